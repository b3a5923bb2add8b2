# kdump scenario (busybox sh inside dom0): a domU running test=service with
# nmi=kdump crashes on one vCPU -- `xl trigger DOM nmi V` for crash_how=nmi,
# the console's `crash HOW V` otherwise -- and the crash kernel runs on that
# vCPU, writes the vmcore to the console, and kdump_then=kexec starts a fresh
# kernel that serves again: every vCPU online in xl vcpu-list, xl shutdown
# works.  The cfg (/guest/kdump.cfg or /guest/drill.cfg) carries crash_vcpu=
# and crash_how= in extra=.  The host pulls the vmcore out of this log.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CFG=/guest/kdump.cfg
[ -f /guest/drill.cfg ] && CFG=/guest/drill.cfg
V=$(sed -n 's/.*crash_vcpu=\([0-9]*\).*/\1/p' "$CFG")
HOW=$(sed -n 's/.*crash_how=\([a-z]*\).*/\1/p' "$CFG")
N=$(sed -n 's/^vcpus *= *\([0-9]*\).*/\1/p' "$CFG")
CRASH_BOUND=240     # s from the crash to the fresh kernel's "service: ready"

start_service "$CFG"
want=$(seq_ids "$N")
wait_after "$DOMNAME" 0 10 "cpus: online $N [$want]"
m=$(mark "$DOMNAME")
t0=$(uptime_s)
if [ "$HOW" = nmi ]; then
    xl trigger "$DOMID" nmi "$V"
else
    console_cmd "$DOMID" "crash $HOW $V"
fi
wait_after "$DOMNAME" "$m" "$CRASH_BOUND" "kexec: generation 2 on vcpu" "kdump: a second crash"
r=$?
m2=$(mark "$DOMNAME")
[ $r -eq 0 ] && wait_after "$DOMNAME" "$((m2 - 40))" 60 "service: ready"
ready_ms=$(ms_since "$t0")
after "$DOMNAME" "$m" >/tmp/drill.log
ck=$(grep -m1 'kdump: crash kernel on vcpu' /tmp/drill.log)
ok_=1
echo "$ck" | grep -q "crash kernel on vcpu $V (crashed cpu [0-9]*, .*): $N of $N vCPUs back" && ok_=0
check "crash $HOW on vcpu $V: the crash kernel runs on vcpu $V, $N of $N back" "$ck" [ $ok_ -eq 0 ]
ends=$(grep -c 'VMCORE-END' /tmp/drill.log)
check "crash $HOW on vcpu $V: the vmcore is on the console" \
    "$(grep -m1 'kdump: vmcore written' /tmp/drill.log)" [ "$ends" -eq 1 ]
fresh=$(grep -m1 'kexec: generation 2 on vcpu' /tmp/drill.log)
ok_=1
echo "$fresh" | grep -q ": $N of $N vCPUs back online" && grep -q 'service: ready' /tmp/drill.log && ok_=0
check "kdump_then=kexec: a fresh kernel serves again ($N of $N)" "$fresh (ready $ready_ms ms after the crash)" \
    [ $ok_ -eq 0 ]
wait_after "$DOMNAME" "$m" 10 "cpus: online $N [$want] (boot)"
check "after kdump: xl vcpu-list shows every vCPU online" "xl [$(xl_online "$DOMID")] want [$want]" \
    [ "$(xl_online "$DOMID")" = "$want" ]
shutdown_step "after kdump: xl shutdown powers the fresh kernel off"
finish
