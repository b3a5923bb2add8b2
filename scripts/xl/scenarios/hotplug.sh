# Hotplug scenario (busybox sh inside dom0; config/xl-service.cfg: vcpus=4,
# maxvcpus=8, test=service).  Proves that what minipv reports as online
# is what Xen/xl see, through:
#   boot with 4 of 8 vCPUs; xl vcpu-set 8 1 8 2 8; 50 seeded random
#   vcpu-set steps; malformed xenstore values (warned, nothing changes);
#   console commands (help, cpus, topo, offline/online N, test, bad input);
#   vCPU 0 offline and back (console and xenstore); xl trigger nmi.
# Each check prints an XL-STEP line (tests/check/xl.t makes them TAP).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CFG=/guest/service.cfg
STEP_TIMEOUT=20     # s for minipv to report a vcpu-set step (typically < 1 s)
SEED=20240601
RANDOM_STEPS=50

start_service "$CFG"
XS=/local/domain/$DOMID

# ---- boot: vcpus=4 of maxvcpus=8 ----
want=$(seq_ids 4)
wait_after "$DOMNAME" 0 10 "cpus: online 4 [$want]"
check "boot: minipv reports vcpus $want online" "minipv: [$(guest_online "$DOMNAME")]" \
    [ "$(guest_online "$DOMNAME")" = "$want" ]
check "boot: xl vcpu-list agrees" "xl: [$(xl_online "$DOMID")]" [ "$(xl_online "$DOMID")" = "$want" ]
check "boot: xl list VCPUs column agrees" "xl list: $(xl_vcpus "$DOMID")" [ "$(xl_vcpus "$DOMID")" = 4 ]
xl vcpu-list "$DOMID"

# ---- the fixed sequence ----
for n_ in 8 1 8 2 8; do
    if vcpu_set "$n_"; then step ok "vcpu-set $n_" "$WHY"; else step not-ok "vcpu-set $n_" "$WHY"; fi
done

# ---- 50 random steps, fixed seed (LCG: same sequence on every run) ----
x_=$SEED bad_=0 sum_=0 max_=0 xsum_=0 seqn_=""
i_=0
while [ $i_ -lt $RANDOM_STEPS ]; do
    x_=$(((x_ * 1103515245 + 12345) % 2147483648))
    n_=$((x_ / 65536 % 8 + 1))
    seqn_="$seqn_$n_"
    if ! vcpu_set "$n_"; then
        bad_=$((bad_ + 1))
        log "random step $i_ (vcpu-set $n_) failed: $WHY"
    fi
    sum_=$((sum_ + LAT_MS))
    xsum_=$((xsum_ + XL_MS))
    [ "$LAT_MS" -gt "$max_" ] && max_=$LAT_MS
    i_=$((i_ + 1))
done
detail="seed $SEED, sequence $seqn_, $bad_ failed; xl vcpu-set start to minipv's report: avg $((sum_ / RANDOM_STEPS)) ms, max $max_ ms (xl vcpu-set itself: avg $((xsum_ / RANDOM_STEPS)) ms)"
if [ $bad_ -eq 0 ]; then step ok "50 random vcpu-set steps" "$detail"; else step not-ok "50 random vcpu-set steps" "$detail"; fi
# Guest-side numbers: time from the first watch event to the state line.
after "$DOMNAME" 0 | sed -n 's/.*cpus: online.*(changed, \([0-9]*\) us).*/\1/p' |
    awk '{ s += $1; if ($1 > m) m = $1; n++ } END { if (n) printf "scenario: minipv applies a vcpu-set batch in avg %d us, max %d us (%d batches)\n", s / n, m, n }'

# No vCPU lost: back to 8, every cpu ONLINE for minipv and up for Xen.
vcpu_set 8
r=$?
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "cpus"
wait_after "$DOMNAME" "$m" 10 "cpus: online 8" >/dev/null
rows=$(after "$DOMNAME" "$m" | grep -c 'shell: .* ONLINE  *up')
check "no vCPU lost: all 8 back online" "$WHY; 'cpus' shows $rows of 8 ONLINE and up in Xen" \
    [ $r -eq 0 -a "$rows" = 8 ]

# ---- malformed xenstore values: a warning naming key and value, no change ----
before_xl=$(xl_online "$DOMID")
m=$(mark "$DOMNAME")
xenstore-write "$XS/cpu/3/availability" banana
wait_after "$DOMNAME" "$m" 10 "control: cpu/3/availability: bad value 'banana'"
r=$?
sleep 0.5
check "cpu/3/availability=banana: warning names key and value" "$(after "$DOMNAME" "$m" | grep -m1 banana)" [ $r -eq 0 ]
check "cpu/3/availability=banana: nothing changes" "xl [$(xl_online "$DOMID")] minipv [$(guest_online "$DOMNAME")]" \
    [ "$(xl_online "$DOMID")" = "$before_xl" -a "$(guest_online "$DOMNAME")" = "$before_xl" ]
xenstore-write "$XS/cpu/3/availability" online

m=$(mark "$DOMNAME")
xenstore-write "$XS/cpu/7x/availability" offline
wait_after "$DOMNAME" "$m" 10 "control: 'cpu/7x/availability': not a cpu/<vcpu>/availability key"
r=$?
check "cpu/7x/availability: warning names the key" "$(after "$DOMNAME" "$m" | grep -m1 7x)" [ $r -eq 0 ]
xenstore-rm "$XS/cpu/7x"

m=$(mark "$DOMNAME")
xenstore-write "$XS/control/shutdown" garbage
wait_after "$DOMNAME" "$m" 10 "control: control/shutdown: unknown request 'garbage'"
r=$?
sleep 0.5
check "control/shutdown=garbage: warning names key and value" "$(after "$DOMNAME" "$m" | grep -m1 garbage)" [ $r -eq 0 ]
st=$(dom_state "$DOMID")
req=$(xenstore-read "$XS/control/shutdown")
ok_=0
case $st in ""|*s*|*c*) ok_=1 ;; esac
xl_now=$(xl_online "$DOMID")     # once: the detail shows what was judged
[ -z "$req" ] && [ "$xl_now" = "$before_xl" ] || ok_=1
check "control/shutdown=garbage: still running, request cleared, cpus unchanged" \
    "state '$st', control/shutdown '$req', xl [$xl_now], before [$before_xl]" [ $ok_ -eq 0 ]

m=$(mark "$DOMNAME")
# Written by hand, not by xl (which asks through device/suspend/event-channel
# once minipv offers it): named, cleared, minipv goes on (README, "Save, restore
# and migration"; xl save itself: saverestore.sh).
xenstore-write "$XS/control/shutdown" suspend
wait_after "$DOMNAME" "$m" 10 "'suspend', but xl asks through device/suspend/event-channel"
r=$?
check "control/shutdown=suspend: refused with a message" "$(after "$DOMNAME" "$m" | grep -m1 suspend)" [ $r -eq 0 ]
xenstore-write "$XS/control/shutdown" ""     # the toolstack's cancel

# cpu/03/availability is not vcpu 3 (issue 12, defect 10): named, nothing changes.
m=$(mark "$DOMNAME")
xenstore-write "$XS/cpu/03/availability" offline
wait_after "$DOMNAME" "$m" 10 "control: 'cpu/03/availability': not a cpu/<vcpu>/availability key"
r=$?
sleep 0.5
check "cpu/03/availability=offline: refused and named, vcpu 3 stays online" \
    "$(after "$DOMNAME" "$m" | grep -m1 'cpu/03' || echo 'no warning'); xl [$(xl_online "$DOMID")]" \
    [ $r -eq 0 -a "$(xl_online "$DOMID")" = "$before_xl" ]
xenstore-rm "$XS/cpu/03"

# A 200-character control/shutdown: named with key and cut value, and cleared (answered).
m=$(mark "$DOMNAME")
long_=$(awk 'BEGIN { while (i++ < 200) printf "x" }')
xenstore-write "$XS/control/shutdown" "$long_"
wait_after "$DOMNAME" "$m" 10 "control: control/shutdown: unknown request 'xxxxxxxx"
r=$?
sleep 0.5
req=$(xenstore-read "$XS/control/shutdown")
cut_=$(after "$DOMNAME" "$m" | grep -c "'\.\.\. (200 bytes)" || true)
check "control/shutdown=<200 chars>: named with key and cut value, request cleared" \
    "$(after "$DOMNAME" "$m" | grep -m1 'control/shutdown' || echo 'no warning'); control/shutdown now '${req}'" \
    [ $r -eq 0 -a -z "$req" -a "$cut_" -ge 1 ]

# Lost watch events (issue 12, defect 8): a burst of 600 keys under cpu/
# overflows the event queue, and vcpu 7's "offline" in the middle of it is
# lost with the rest; the rescan must still apply it, at any size of cpu/.
m=$(mark "$DOMNAME")
args_=$(awk -v xs="$XS" 'BEGIN { for (i = 1000; i < 1300; i++) printf "%s/cpu/%d x ", xs, i }')
args2_=$(awk -v xs="$XS" 'BEGIN { for (i = 1300; i < 1600; i++) printf "%s/cpu/%d x ", xs, i }')
# shellcheck disable=SC2086
xenstore-write $args_ "$XS/cpu/7/availability" offline $args2_
wait_after "$DOMNAME" "$m" 30 "cpus: online 7 [0 1 2 3 4 5 6]"
r=$?
lost=$(after "$DOMNAME" "$m" | grep -c 'watch events were lost' || true)
check "600-key burst under cpu/: events lost, the rescan applies vcpu 7 offline" \
    "lost-event warnings: $lost; minipv [$(guest_online "$DOMNAME" "$m")] xl [$(xl_online "$DOMID")]; $(after "$DOMNAME" "$m" | grep -m2 'rescan\|listing' | tr '\n' ' ')" \
    [ $r -eq 0 -a "$lost" -ge 1 -a "$(xl_online "$DOMID")" = "0 1 2 3 4 5 6" ]
# shellcheck disable=SC2046
xenstore-rm $(awk -v xs="$XS" 'BEGIN { for (i = 1000; i < 1600; i++) printf "%s/cpu/%d ", xs, i }')
m=$(mark "$DOMNAME")
xenstore-write "$XS/cpu/7/availability" online
wait_after "$DOMNAME" "$m" 30 "cpus: online 8 [0 1 2 3 4 5 6 7]"
check "after the burst: vcpu 7 back online" "minipv [$(guest_online "$DOMNAME" "$m")] xl [$(xl_online "$DOMID")]" \
    [ "$(xl_online "$DOMID")" = "0 1 2 3 4 5 6 7" ]

# ---- console commands ----
# shell_cmd NAME LINE EXPECT: type LINE, wait for EXPECT.
shell_cmd() {
    m=$(mark "$DOMNAME")
    console_cmd "$DOMID" "$2"
    wait_after "$DOMNAME" "$m" 10 "$3"
    r=$?
    check "console: $1" "$(after "$DOMNAME" "$m" | grep -F -m1 -- "$3" || echo "no '$3'")" [ $r -eq 0 ]
}
shell_cmd "help lists the commands" "help" "shell:   offline N"
shell_cmd "unknown command is named" "frobnicate now" "shell: unknown command 'frobnicate'"
shell_cmd "backspace edits the line" "$(printf 'cpuz\bs')" "cpus: online 8 [0 1 2 3 4 5 6 7] (shell)"
shell_cmd "overlong line is discarded" \
    "$(awk 'BEGIN { while (i++ < 120) printf "x" }')" "shell: line longer than 79 characters: discarded"
shell_cmd "topo calls the topology report" "topo" "topology: cpu vcpu apic"
shell_cmd "bad cpu argument is named" "offline banana" "shell: offline: bad cpu 'banana'"
shell_cmd "cpu out of range is named" "online 99" "shell: online: no cpu 99"
shell_cmd "offline 3" "offline 3" "cpus: online 7 [0 1 2 4 5 6 7] (shell)"
check "console: offline 3 agrees with xl" "xl [$(xl_online "$DOMID")]" [ "$(xl_online "$DOMID")" = "0 1 2 4 5 6 7" ]
shell_cmd "online 3" "online 3" "cpus: online 8 [0 1 2 3 4 5 6 7] (shell)"
check "console: online 3 agrees with xl" "xl [$(xl_online "$DOMID")]" [ "$(xl_online "$DOMID")" = "0 1 2 3 4 5 6 7" ]
shell_cmd "test runs a guest suite" "test smp" "shell: test smp done"

# ---- NMI (to vcpu 0: before the vcpu 0 cycle) ----
m=$(mark "$DOMNAME")
xl trigger "$DOMID" nmi
wait_after "$DOMNAME" "$m" 10 "NMI received on cpu"
r=$?
check "xl trigger nmi is logged" "$(after "$DOMNAME" "$m" | grep -m1 NMI)" [ $r -eq 0 ]

# ---- vCPU 0 offline and back ----
# The service runs on cpu 0 (vcpu 0): cpu_down() has the scheduler move it
# off first.  Known gap (reported as todo, not a failure): cpu_up() of the
# boot cpu fails while smp.c does not count it as VCPUOP_initialise'd.
cpu0_cycle() {     # cpu0_cycle HOW OFFLINE-CMD ONLINE-CMD
    m=$(mark "$DOMNAME")
    eval "$2"
    wait_after "$DOMNAME" "$m" 15 "cpus: online 7 [1 2 3 4 5 6 7]"
    r=$?
    xl0=$(xl_online "$DOMID")
    g0=$(guest_online "$DOMNAME" "$m")
    m2=$(mark "$DOMNAME")
    eval "$3"
    wait_after "$DOMNAME" "$m2" 15 "cpus: online 8 [0 1 2 3 4 5 6 7]" "cpu 0 (vcpu 0) did not come up"
    r2=$?
    d="offline: minipv [$g0] xl [$xl0]; online: minipv [$(guest_online "$DOMNAME" "$m2")] xl [$(xl_online "$DOMID")]"
    if [ $r -eq 0 ] && [ "$xl0" = "1 2 3 4 5 6 7" ] && [ $r2 -eq 0 ] &&
       [ "$(xl_online "$DOMID")" = "0 1 2 3 4 5 6 7" ]; then
        step ok "vcpu 0 offline and online ($1)" "$d"
    elif [ $r -eq 0 ] && [ $r2 -eq 1 ]; then
        step todo "vcpu 0 offline and online ($1)" "$d; minipv: $(after "$DOMNAME" "$m2" | grep -m1 -o 'cpu 0 (vcpu 0) did not come up.*')"
    else
        step not-ok "vcpu 0 offline and online ($1)" "$d"
    fi
}
cpu0_cycle "console" 'console_cmd "$DOMID" "offline 0"' 'console_cmd "$DOMID" "online 0"'
cpu0_cycle "xenstore" 'xenstore-write "$XS/cpu/0/availability" offline' \
    'xenstore-write "$XS/cpu/0/availability" online; console_cmd "$DOMID" "cpus"'

# The service is still whole after all that.
shell_cmd "still serving" "xs" "shell: xenstore connected"
finish
