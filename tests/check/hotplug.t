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

done_testing
