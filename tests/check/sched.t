#!/bin/sh
# Scheduler: the "sched" guest suite under Xen on three topologies (threads
# finish on every cpu, stealing follows topology order, affinity, time
# slices, bounded join, tickless idle, hotplug), the per-level steal counts
# it prints, and -- with one rule broken on purpose (sched_fault=,
# sched_slice_ms=0) -- that the matching case, and only the expected ones,
# fail.
. "$(dirname "$0")/lib.sh"

# steal_totals TAG: "smt die pkg other" from the guest's "sched: TAG: steal totals" line.
steal_totals() {
    sed -n "s/.*sched: $1: steal totals smt \([0-9]*\) die \([0-9]*\) pkg \([0-9]*\) other \([0-9]*\).*/\1 \2 \3 \4/p" \
        "$LOG" | tail -n 1
}

# expect_steals NAME TAG CONDITION: the totals line exists and CONDITION (awk, on smt die pkg other) holds.
expect_steals() {
    t=$(steal_totals "$2")
    [ -n "$t" ] && echo "$t" | awk "{ smt = \$1; die = \$2; pkg = \$3; other = \$4; exit !($3) }"
    ok $? "$1: $2 steals per level ($3)" "totals: smt die pkg other = '${t:-no line}'"
}

common() {  # NAME: what every passing boot shows
    expect_outcome "$1" 0
    ktap "$1"
    expect_line "$1: tickless when idle" 'sched: tickless: 0 timer interrupts on [0-9]+ cpus'
    expect_line "$1: preemption interleaves both hogs" \
        'sched: preempt: cpu [0-9]+, [0-9]+ ms: hog/0 \+[1-9][0-9]* loops [0-9]+ slices, hog/1 \+[1-9][0-9]* loops'
    expect_line "$1: join timed out, then joined" 'sched: join: timed out after [0-9]+ ms .* rc -110; after stop rc 0'
    expect_line "$1: bad mask named in the message" \
        "sched: thread_create 'beyond': affinity mask 0x[0-9a-f]+ has no cpu below nr_cpus"
    expect_line "$1: widened mask of a pinned thread is reported" \
        "sched: thread 'pinned-h': no online cpu left in its affinity mask 0x[0-9a-f]+; allowing every online cpu"
    expect_line "$1: a thread allowed only on a stopped cpu is placed elsewhere" \
        "sched: thread 'stranded': no online cpu left in its affinity mask 0x[0-9a-f]+; allowing every online cpu"
}

# 4 vCPUs, topology from CPUID (whatever this host gives).
boot sched-4 4 test=sched
common "sched 4"
expect_steals "sched 4" burst "smt + die + pkg + other > 0"

# 1 socket, 3 cores, 2 threads: cpu 1 steals from its sibling cpu 0 first, the others from their die.
boot sched-1s3c2t 6 test=sched topology=1s3c2t
common "sched 1s3c2t"
expect_line "sched 1s3c2t: topology option used" 'topology: 1s1d3c2t from cmdline for 6 vCPUs'
expect_steals "sched 1s3c2t" burst "smt > 0 && die > 0 && other == 0"
expect_line "sched 1s3c2t: cpu 1's first steal was from its SMT sibling" \
    'sched: burst: cpu 1 steals .*first: smt from cpu 0'
expect_line "sched 1s3c2t: cpu 5 took its sibling's work before cpu 1's" \
    'sched: order: cpu 5 steals .*first: smt from cpu 4'

# 2 sockets: the second socket's cpus first steal across packages.
boot sched-2s3c2t 12 test=sched topology=2s3c2t
common "sched 2s3c2t"
expect_line "sched 2s3c2t: topology option used" 'topology: 2s1d3c2t from cmdline for 12 vCPUs'
expect_steals "sched 2s3c2t" burst "smt > 0 && die > 0 && other > 0"
expect_line "sched 2s3c2t: cpu 6 (other socket) first stole across packages" \
    'sched: burst: cpu 6 steals .*first: other from cpu 0'
expect_line "sched 2s3c2t: cpu 11 took its sibling's work before the other socket's" \
    'sched: order: cpu 11 steals .*first: smt from cpu 10'

# At scale (issue 12, defect 7): every cpu gets burst work at 64 and 128 vCPUs.
for n in 64 128; do
    boot sched-$n $n test=sched
    expect_outcome "sched $n" 0
    ktap "sched $n"
    expect_no_line "sched $n: no cpu without burst work" 'sched: burst: cpu [0-9]+ ran 0 of the threads'
done

# The longest slice in range still shows preemption (defect 9): the window follows the slice.
boot sched-slice1000 4 test=sched sched_slice_ms=1000
expect_outcome "sched_slice_ms=1000" 0
expect_line "sched_slice_ms=1000: both hogs interleave over 10 s" \
    'sched: preempt: cpu [0-9]+, 10000 ms: hog/0 \+[1-9][0-9]* loops [0-9]+ slices, hog/1 \+[1-9][0-9]* loops'

# watchdog_s=1 (issue 19 item 6): the watchers' wake-ups land in the tickless window; they
# are counted apart (they are sleepers' deadlines, not ticks), and nothing else may fire there.
boot sched-watchdog 4 test=sched watchdog_s=1
common "sched watchdog_s=1"
expect_line "sched watchdog_s=1: the watchdog's wake-ups counted apart" \
    "sched: tickless: 0 timer interrupts on 4 cpus in 300 ms, besides [0-9]+ of the watchdog's wake-ups \\(2 watchers, every 250 ms: at most 3 each\\)"

# Each rule broken on purpose: its case fails, the run says FAILURE.
# negative NAME ARGS... -- REGEX...: boot 1s3c2t with ARGS, expect FAILURE and a "not ok" per REGEX.
negative() {
    name=$1
    shift
    args=""
    while [ "$1" != "--" ]; do args="$args $1"; shift; done
    shift
    # shellcheck disable=SC2086
    boot "sched-$name" 6 test=sched topology=1s3c2t $args
    expect_outcome "sched $name (broken on purpose)" 1
    for re in "$@"; do
        expect_line "sched $name: the case notices" "^not ok [0-9]+ $re"
    done
}
negative flat-steal sched_fault=flat_steal -- 'steal order'
expect_count "sched flat-steal: only the steal-order case fails" '^not ok ' 1
negative ignore-affinity sched_fault=ignore_affinity -- 'affinity: threads pinned'
negative no-preempt sched_slice_ms=0 -- 'preemption: two CPU-bound threads'
expect_count "sched no-preempt: only the preemption case fails" '^not ok ' 1

done_testing
