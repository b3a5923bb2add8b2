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
expect_count "bad cmdline: nr_cpus=0 out of range" "cmdline: bad value '0' for nr_cpus= \(expected 1\.\.1024\)" 1
expect_line "bad cmdline: count of ignored words" 'cmdline: 4 words ignored'
expect_line "bad cmdline: loglevel keeps its default" 'option loglevel=7 \(default\)'
expect_line "bad cmdline: good word applied" 'option exit=reboot$'
expect_line "bad cmdline: both vCPUs still online" 'smp: 2 of 2 vCPUs online'

# Xen passes at most 1023 bytes: a line that fills them was cut, and the cut
# word is refused whole (defect 5: nr_cpus=12 cut to nr_cpus=1 gave 1 vCPU).
# "loglevel=007" + 91 x " loglevel=7" + " nr_cpus=12" is 1024 bytes.
pad="loglevel=007 $(awk 'BEGIN { for (i = 0; i < 91; i++) printf "%sloglevel=7", i ? " " : "" }')"
# shellcheck disable=SC2086
boot cmdline-cut 4 $pad nr_cpus=12
expect_outcome "cut cmdline" 0
expect_count "cut cmdline: named with the word it cut" \
    "cmdline: line fills the 1024-byte buffer \(Xen passes at most 1023 bytes\), probably cut: its last word 'nr_cpus=1' \(9 characters\) is refused" 1
expect_line "cut cmdline: nr_cpus keeps its default" 'option nr_cpus=1024 \(default\)'
expect_line "cut cmdline: all 4 vCPUs online, not 1" 'smp: 4 of 4 vCPUs online'

# Empty and over-long values: a bad value, named, default kept (defect 11);
# test= given but refused is ERROR: the suite asked for did not run.
long=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "s" }')
boot cmdline-test-empty 1 test=
expect_outcome "test= (empty)" 2
expect_line "test= (empty): named" "cmdline: bad value '' for test= \(empty; expected 1\.\.31 characters\); ignored"
expect_line "test= (empty): no suite ran, said so" 'test: test= was given but refused .*: no suite run'
expect_no_line "test= (empty): the boot suite did not stand in" '^test: boot:'
boot cmdline-test-long 1 "test=$long"
expect_outcome "test=<200 chars>" 2
expect_line "test=<200 chars>: named, cut, with its length" \
    "cmdline: bad value 's{48}'\.\.\. \(200 characters\) for test= \(expected 1\.\.31 characters\); ignored"
boot cmdline-topology-empty 2 topology=
expect_outcome "topology= (empty)" 0
expect_line "topology= (empty): named, not silently unset" "cmdline: bad value '' for topology= \(empty; expected 1\.\.63 characters\); ignored"
expect_line "topology= (empty): default kept" 'option topology= \(default\)'

# Warnings escape control and non-ASCII bytes (defect 10: an ESC sequence cleared the terminal).
esc=$(printf '\033')
boot cmdline-escape 1 "nosuch=${esc}[2J${esc}[H" "loglevel=$(printf '\303\251')"
expect_outcome "escaped cmdline" 0
expect_line "escape: ESC shown as \\x1b" "cmdline: unknown option 'nosuch=\\\\x1b\\[2J\\\\x1b\\[H' ignored"
expect_line "escape: UTF-8 shown as \\xNN" "cmdline: bad value '\\\\xc3\\\\xa9' for loglevel="
n=$(grep -v '^(XEN)' "$LOG" | grep -c "$esc" || true)
ok $((n == 0 ? 0 : 1)) "escape: no raw ESC byte in anything minipv printed" "$n lines with ESC"

# XTF's rule: a run whose suite reports no status is an ERROR, with a line saying so.
boot silent 1 test=silent
expect_outcome "silent suite" 2
expect_line "silent: says why" 'result: no status reported: the run proved nothing'
expect_count "silent: one result line, ERROR" '^Test result: ERROR$' 1

# Fewer cpus than asked for is a FAILURE of the boot suite, never a quiet SUCCESS.
boot boot-one-failed 4 test=boot fail_vcpu=2
expect_outcome "boot suite with vcpu 2 failing" 1
expect_line "boot suite: names the cpu that did not come up" \
    'not ok 1 every cpu in use came online .*3 of 4 online; 1 did not come up, the first cpu 2 \(vcpu 2\) FAILED'

done_testing
