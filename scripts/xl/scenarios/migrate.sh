# Failed-migration scenario (busybox sh inside dom0): a localhost `xl
# migrate` without ssh, which this bed cannot complete (Debian 12's Xen has
# no shadow paging, so log-dirty for a PV guest is refused), must leave the
# guest running where it was, with every vCPU.  minipv (/guest/service.cfg,
# 4 of 8 vCPUs) first, then the Linux PV peer (/guest/linux/*, given by
# tests/check/migrate.t) to show the same outcome.  Each check prints an
# XL-STEP line; every xl command's output is shown with a "| " prefix.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

MIGRATE_BOUND=120   # s for xl migrate to give up (the failure comes in seconds)
LINUX_BOUND=240     # s for the Linux peer to boot and report under TCG

finish() {
    for d_ in minipv-svc linux-mig; do
        [ "$d_" = linux-mig ] && [ "${LINUX_DUMP:-0}" = 0 ] && continue
        dump_console "$d_"
    done
    for d_ in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$d_" 2>/dev/null; done
    log "$STEP_FAILS failed step(s)"
    exit $((STEP_FAILS > 0))
}

# domains: the names xl lists besides dom0, one line.
domains() { xl list | awk 'NR > 2 { printf "%s%s", s, $1; s = " " } END { print "" }'; }

# try_migrate DOM NAME: the localhost migration; the receiver is the rune
# itself (-s ''), so nothing but the protocol may reach its stdout (xl
# prints its own messages on stderr).  Sets MIG_RC, MIG_OUT, MIG_MS.
try_migrate() {
    t0_=$(uptime_s)
    timeout "$MIGRATE_BOUND" xl migrate -s '' "$1" 'xl migrate-receive -e 2>/tmp/mig-recv.err' \
        >/tmp/mig.out 2>&1
    MIG_RC=$?
    MIG_MS=$(ms_since "$t0_")
    sed 's/^/| sender: /' /tmp/mig.out
    sed 's/^/| receiver: /' /tmp/mig-recv.err 2>/dev/null
    MIG_OUT=$(cat /tmp/mig.out /tmp/mig-recv.err 2>/dev/null)
}

# migrate_failed NAME WHO: the migration failed for the known reason and left
# one domain, under its own name, not paused, not crashed, same domid.
migrate_failed() {
    st_=$(dom_state "$DOMID")
    doms_=$(domains)
    why_=$(echo "$MIG_OUT" | grep -m1 -o 'Failed to enable logdirty[^ ]*[ 0-9,]*')
    check "$2: xl migrate fails (no log-dirty here) and leaves the guest where it was" \
        "xl rc $MIG_RC after $MIG_MS ms; '${why_:-no logdirty message}'; domains now [$doms_]; d$DOMID state $st_" \
        [ "$MIG_RC" -ne 0 -a "$MIG_RC" -ne 124 -a -n "$why_" -a "$doms_" = "$1" ]
    case $st_ in
    *p*|*c*|*s*|"") step not-ok "$2: still running after the failed migration" "state '$st_'" ;;
    *) step ok "$2: still running after the failed migration" "state '$st_'" ;;
    esac
}

# ---- minipv ----
start_service /guest/service.cfg
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "cpus"
wait_after "$DOMNAME" "$m" 10 "cpus: online 4 [0 1 2 3] (shell)"
check "minipv before: 4 of 8 vCPUs online, xl agrees" \
    "minipv [$(guest_online "$DOMNAME" "$m")] xl [$(xl_online "$DOMID")]" \
    [ "$(guest_online "$DOMNAME" "$m")" = "0 1 2 3" -a "$(xl_online "$DOMID")" = "0 1 2 3" ]

m=$(mark "$DOMNAME")
try_migrate "$DOMID"
migrate_failed minipv-svc minipv
# Nothing reached the guest: log-dirty is refused before libxl asks it to suspend.
after "$DOMNAME" "$m" | sed 's/^/| minipv during: /'

m=$(mark "$DOMNAME")
console_cmd "$DOMID" "cpus"
wait_after "$DOMNAME" "$m" 10 "cpus: online 4 [0 1 2 3] (shell)"
r=$?
check "minipv after: every vCPU still online (console cpus), xl vcpu-list agrees" \
    "minipv [$(guest_online "$DOMNAME" "$m")] xl [$(xl_online "$DOMID")] xl list $(xl_vcpus "$DOMID")" \
    [ $r -eq 0 -a "$(xl_online "$DOMID")" = "0 1 2 3" -a "$(xl_vcpus "$DOMID")" = 4 ]

m=$(mark "$DOMNAME")
console_cmd "$DOMID" "test smp"
wait_after "$DOMNAME" "$m" 60 "shell: test smp done"
r=$?
res=$(after "$DOMNAME" "$m" | grep -a -m1 -o 'shell: test smp done.*')
bad=$(after "$DOMNAME" "$m" | grep -a -c '^not ok ' || true)
check "minipv after: test smp passes on every vCPU (IPIs, timers)" \
    "${res:-no 'shell: test smp done' in 60 s}; $bad KTAP case(s) not ok" \
    [ $r -eq 0 -a "$bad" -eq 0 -a -n "$(echo "$res" | grep 'so far: SUCCESS')" ]

shutdown_step "minipv after: xl shutdown ends it"

# ---- the Linux PV peer: the same failure, the same outcome ----
if [ -f /guest/linux/vmlinux.gz ]; then
    cat >/tmp/linux-mig.cfg <<EOF
type = "pv"
name = "linux-mig"
kernel = "/guest/linux/vmlinux.gz"
ramdisk = "/guest/linux/initrd.gz"
memory = 136
vcpus = 4
maxvcpus = 4
on_poweroff = "destroy"
on_crash = "preserve"
extra = "console=hvc0 rcupdate.rcu_cpu_stall_suppress=1 nowatchdog bench.mode=hotplug bench.cycles=1"
EOF
    create /tmp/linux-mig.cfg || { step not-ok "linux: create"; LINUX_DUMP=1; finish; }
    # the init reports, cycles one cpu through sysfs, then watches the online set
    wait_console "$DOMID" "$DOMNAME" "bench: linux_watching" "Kernel panic" "$LINUX_BOUND"
    r=$?
    check "linux before: up and watching its cpus" \
        "$(grep -a -m1 -o 'bench: linux_watching.*' "$(console_log "$DOMNAME")" || echo "wait returned $r")" [ $r -eq 0 ]
    [ $r -eq 0 ] || { LINUX_DUMP=1; finish; }
    try_migrate "$DOMID"
    migrate_failed linux-mig linux
    # Alive and still with its 4 vCPUs: xl vcpu-set 2 must reach its cpu
    # watcher (a line from the guest), and xl must agree.
    check "linux after: xl vcpu-list shows its 4 vCPUs" "xl [$(xl_online "$DOMID")]" \
        [ "$(xl_online "$DOMID")" = "0 1 2 3" ]
    m=$(mark "$DOMNAME")
    xl vcpu-set "$DOMID" 2
    wait_after "$DOMNAME" "$m" 60 "bench: linux_online n=2 online=0-1"
    r=$?
    check "linux after: it still runs (xl vcpu-set 2 reaches it, xl agrees)" \
        "$(after "$DOMNAME" "$m" | grep -a -o 'bench: linux_online.*' | tr '\n' ' ' | grep . || echo "no line in 60 s"); xl [$(xl_online "$DOMID")]" \
        [ $r -eq 0 -a "$(xl_online "$DOMID")" = "0 1" ]
    [ "$STEP_FAILS" -gt 0 ] && LINUX_DUMP=1
else
    step not-ok "linux: the peer's kernel is not in the bed" "/guest/linux/vmlinux.gz missing"
fi
finish
