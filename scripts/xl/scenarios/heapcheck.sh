# heapcheck scenario (busybox sh inside dom0; config/xl-kdump.cfg): the
# reproducer for the dom0 heap corruption of issue 19.  `xl trigger nmi`
# sends the guest into kdump, which streams its vmcore (850 KB) over its
# console while dom0 follows the log with the helpers and runs xl beside it;
# then the fresh kernel serves and `xl shutdown` powers it off.  Every xl
# exit status is checked (134 is an abort, 139 a segfault), and at the end
# dom0's kernel log must hold no user-space fault.  The host counts the
# runs whose serial log shows glibc's "corrupted" messages or a fault line.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CFG=/guest/kdump.cfg
CRASH_BOUND=240     # s from the trigger to the fresh kernel's "service: ready"

# xl_ok NAME CMD...: run an xl command; an abort or a crash is a failed step
# (counted through a file: the loop below runs in a subshell).
xl_ok() {
    _n=$1
    shift
    "$@" >/tmp/heapcheck.out 2>&1
    _r=$?
    if [ $_r -ge 128 ]; then
        echo "$_n" >>/tmp/heapcheck.bad
        echo "XL-STEP not-ok $_n -- rc $_r: $(tail -n 3 /tmp/heapcheck.out | tr '\n' '|')"
    fi
    return $_r
}

start_service "$CFG"
wait_after "$DOMNAME" 0 10 "cpus: online 4 [0 1 2 3]"
m=$(mark "$DOMNAME")
log "xl trigger $DOMID nmi 3 at $(uptime_s)"
xl_ok "xl trigger nmi 3" xl trigger "$DOMID" nmi 3
# xl beside the stream, as a toolstack user would run it.
(
    i=0
    while [ $i -lt 400 ] && [ -n "$(dom_state "$DOMID")" ]; do
        xl_ok "xl list during the dump" xl list
        xl_ok "xl vcpu-list during the dump" xl vcpu-list "$DOMID"
        [ -f /tmp/heapcheck.stop ] && break
        sleep 0.3
        i=$((i + 1))
    done
    log "xl loop: $i rounds, stopped at $(uptime_s)"
) &
bg=$!
wait_after "$DOMNAME" "$m" "$CRASH_BOUND" "service: ready" "kdump: a second crash"
r=$?
log "wait_after returned $r at $(uptime_s); log $(wc -c <"$(console_log "$DOMNAME")") bytes"
: >/tmp/heapcheck.stop
wait "$bg"
[ -f /tmp/heapcheck.bad ] && STEP_FAILS=$((STEP_FAILS + $(wc -l </tmp/heapcheck.bad)))
lines=$(after "$DOMNAME" "$m" | grep -c 'VMCORE-LINE ')
ends=$(after "$DOMNAME" "$m" | grep -c 'VMCORE-END')
check "kdump after xl trigger: vmcore streamed, fresh kernel ready" \
    "wait_after $r, $lines vmcore lines, $ends end line(s), log $(wc -c <"$(console_log "$DOMNAME")") bytes" \
    [ $r -eq 0 -a "$ends" -eq 1 ]
shutdown_step "after kdump: xl shutdown powers the fresh kernel off"
faults=$(dmesg | grep -E 'segfault at|traps:|general protection|invalid opcode' | grep -v 'kernel')
check "dom0: no user-space process faulted" "${faults:-none}" [ -z "$faults" ]
finish
