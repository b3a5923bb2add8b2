#!/bin/sh
# bench: the guest latency suite (test=bench) runs to its KTAP plan as dom0
# at 1 and 8 vCPUs and prints a well-formed "bench: NAME p50_ns=.. p99_ns=..
# max_ns=.. n=.." line per measure (p50 <= p99 <= max, n > 0; xenstore_read
# is skipped on dom0, with n=0 and "missing", never zero); the host helpers
# the benchmarks share (scripts/bootlib.sh) compute medians and ratios and
# mark a missing value "missing".  No timing is judged: TCG times are noisy.
. "$(dirname "$0")/lib.sh"

# ---- the shared helpers, on the host ----
[ "$(printf '3\n1\n2\n' | median)" = 2 ]; ok $? "median of 3 1 2 is 2"
[ "$(printf '4\n1\n' | median)" = 2.5 ]; ok $? "median of 4 1 is 2.5"
[ "$(printf 'missing\n' | median)" = missing ]; ok $? "median of nothing is missing, not 0"
[ "$(ratio 10 4)" = 2.50 ]; ok $? "ratio 10/4 = 2.50"
[ "$(ratio missing 4)" = missing ] && [ "$(ratio 4 0)" = missing ]; ok $? "ratio with a missing or zero operand is missing"
[ "$(echo 'bench: x a=1 ab=2 b=3' | kv ab)" = 2 ]; ok $? "kv takes the exact key"

# well_formed NAME: the bench line of NAME in $LOG has p50 <= p99 <= max and n > 0
well_formed() {
    l=$(bench_lines "$LOG" "$1" | head -n 1)
    p50=$(echo "$l" | kv p50_ns) p99=$(echo "$l" | kv p99_ns) max=$(echo "$l" | kv max_ns) n=$(echo "$l" | kv n)
    case "$p50$p99$max$n" in ''|*[!0-9]*) false ;; *) [ "$p50" -le "$p99" ] && [ "$p99" -le "$max" ] && [ "$n" -gt 0 ] ;; esac
    ok $? "$2: bench: $1 well formed" "line: '${l:-none}' in $LOG"
}

for v in 1 8; do
    boot bench-$v $v test=bench
    expect_outcome "bench $v vCPU" 0
    ktap "bench $v vCPU"
    for m in clock_read hcall_evtchn_send hcall_vcpu_is_up hcall_xen_version timer_late; do
        well_formed $m "bench $v"
    done
    # sched_sleep woken by sched_wakeup from an upcall: a lost wake-up fails the guest's case
    well_formed sleep_wake "bench $v"
    if [ $v -gt 1 ]; then
        for m in ipi_rtt ipi_all sched_wake hotplug_cycle; do well_formed $m "bench $v"; done
    else
        expect_line "bench 1: one vCPU skips the IPI cases" '^ok [0-9]+ ipi_rtt # SKIP one vCPU'
    fi
    expect_line "bench $v: xenstore_read skipped on dom0" '^ok [0-9]+ xenstore_read # SKIP'
    expect_line "bench $v: xenstore_read is missing, not zero" '^bench: xenstore_read p50_ns=missing .* n=0$'
done

done_testing
