#!/bin/sh
# Hotplug on dom0: every AP down and up again, three rounds; each comes back
# whole (Xen says it is up, it answers IPIs, Xen accepts its own timer);
# then cpu 0 takes itself down and is brought back by another cpu.
. "$(dirname "$0")/lib.sh"

for n in 4 33; do
    boot hotplug-$n $n test=hotplug
    expect_outcome "hotplug $n" 0
    ktap "hotplug $n"
    expect_line "hotplug $n: counts" "hotplug: 3 rounds over $((n - 1)) APs: $((3 * (n - 1))) down, $((3 * (n - 1))) up, $((3 * (n - 1))) whole"
    expect_line "hotplug $n: cpu 0 back online, reported by another cpu" '\[cpu [1-9][0-9]* t=[0-9.]*\] smp: cpu 0 \(vcpu 0\) online'
done
boot hotplug-reverse 8 test=hotplug cpu_order=reverse
expect_outcome "hotplug 8 reverse" 0
ktap "hotplug 8 reverse"
expect_line "hotplug reverse: logical cpu 1 is vcpu 7" 'smp: cpu 1 \(vcpu 7\) offline'

# The report is the truth, and a cpu that timed out at boot can be brought up later
# (issue 12, defects 1 and 2): 1 ms to come up, tree fan-out, 64 vCPUs.
boot hotplug-timeout 64 test=hotplug smp_timeout_ms=1 bringup=tree
expect_outcome "timeout 64" 0
ktap "timeout 64"
k=$(sed -n 's/.*smp: \([0-9]*\) of 64 vCPUs online.*/\1/p' "$LOG" | head -n 1)
n=$(sed -n 's/.*hotplug: at start \([0-9]*\) ONLINE.*/\1/p' "$LOG" | head -n 1)
ok $(( ${k:-0} > 0 && ${k:-0} == ${n:--1} ? 0 : 1 )) "timeout 64: the report's count is what the suite finds online" \
    "report says ${k:-?} of 64, the suite found ${n:-?} ONLINE"
f=$(grep -c 'FAILED: not ONLINE within smp_timeout_ms=1' "$LOG")
ok $(( f == 64 - ${k:-0} ? 0 : 1 )) "timeout 64: every other cpu is named FAILED" "$f named, want $((64 - ${k:-0}))"
expect_line "timeout 64: every FAILED cpu came up later" 'hotplug: ([0-9]+) of \1 cpus FAILED at boot brought up; 64 online now'

done_testing
