#!/bin/sh
# Foundation: dom0 boots with 1 and 4 vCPUs, reports, passes its suite; bad options are named.
. "$(dirname "$0")/lib.sh"

for n in 1 4; do
    boot boot-$n $n
    expect_outcome "boot $n vCPU" 0
    ktap "boot $n vCPU"
    expect_line "boot $n: Xen version reported" '\] Xen 4\.17'
    expect_line "boot $n: start_info summary" 'start_info: magic .xen-3\.0-x86_64.* dom0, nr_pages 65536'
    expect_line "boot $n: memory report" 'memory: 65536 pages \(256 MiB\)'
    expect_line "boot $n: $n of $n vCPUs online" "smp: $n of $n vCPUs online"
    expect_line "boot $n: time monotonic over 10^5 reads" 'time: 100000 reads over [0-9]+ ns, 0 went backwards'
    expect_count "boot $n: exactly one result line" '^Test result: ' 1
done

# A bad command line boots with one warning naming each bad word, and the good words apply.
boot cmdline-bad 2 loglevel=banana nosuchoption=1 cpu_order=sideways nr_cpus=0 exit=reboot
expect_outcome "bad cmdline" 0
expect_count "bad cmdline: loglevel=banana named once" \
    "cmdline: bad value 'banana' for loglevel= \(expected 0\.\.8\); ignored" 1
expect_count "bad cmdline: nosuchoption=1 named once" "cmdline: unknown option 'nosuchoption=1' ignored" 1
expect_count "bad cmdline: cpu_order=sideways named with choices" \
    "cmdline: bad value 'sideways' for cpu_order= \(expected identity\|reverse\|interleave\); ignored" 1
expect_count "bad cmdline: nr_cpus=0 out of range" "cmdline: bad value '0' for nr_cpus= \(expected 1\.\.256\)" 1
expect_line "bad cmdline: count of ignored words" 'cmdline: 4 words ignored'
expect_line "bad cmdline: loglevel keeps its default" 'option loglevel=7 \(default\)'
expect_line "bad cmdline: good word applied" 'option exit=reboot$'
expect_line "bad cmdline: both vCPUs still online" 'smp: 2 of 2 vCPUs online'

# XTF's rule: a run whose suite reports no status is an ERROR, with a line saying so.
boot silent 1 test=silent
expect_outcome "silent suite" 2
expect_line "silent: says why" 'result: no status reported: the run proved nothing'
expect_count "silent: one result line, ERROR" '^Test result: ERROR$' 1

done_testing
