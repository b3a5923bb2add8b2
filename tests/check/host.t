#!/bin/sh
# Host side: unit tests under ASan/UBSan, the fuzz harness, and the layering rule.
. "$(dirname "$0")/lib.sh"

for src in tests/host/test_*.c; do
    t=build/host/$(basename "$src" .c)
    out=$(make -s "$t" 2>&1 && "$t" 2>&1)
    rc=$?
    plan=$(echo "$out" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
    pass=$(echo "$out" | grep -c '^ok ')
    [ $rc -eq 0 ] && [ -n "$plan" ] && [ "$pass" -eq "$plan" ]
    ok $? "$(basename "$t"): ${pass}/${plan:-?} cases under ASan+UBSan" "$(echo "$out" | grep -v '^ok ' | tail -n 20)"
done

# Every parser's fuzzer (libFuzzer + ASan + UBSan, scripts/fuzz.sh): a short
# run each, from the corpus kept in the tree; `make fuzz` runs 10^7 each.
# A fixed budget of runs (same seed, so a run replays), about 3-10 s each on
# the development machine: topology is the slowest (about 10^3 execs/s; at
# 200000 runs it took 2-3 minutes, most of make check's host time), then
# handoff and vmcore_stream (2-3 * 10^4), cmdline (3 * 10^4).
for tr in cmdline:30000 topology:10000 xenstore_wire:200000 service:200000 handoff:100000 vmcore_stream:100000; do
    t=${tr%%:*}
    runs=${FUZZ_RUNS:-${tr#*:}}
    if ! command -v clang >/dev/null 2>&1; then
        ok 1 "fuzz_$t: clang missing"
        continue
    fi
    s0=$(date +%s)
    out=$(sh scripts/fuzz.sh "$t" "$runs" 2>&1)
    rc=$?
    ok $rc "fuzz_$t: $runs runs, no finding ($(($(date +%s) - s0)) s)" "$(echo "$out" | tail -n 20)"
done

out=$(make -s all 2>&1 && sh scripts/check-layering.sh 2>&1)
rc=$?
echo "$out" | grep -q '^layering: 0 upward references'
ok $(( rc == 0 && $? == 0 ? 0 : 1 )) "layering: kernel sub-folders -> xen -> arch, 0 upward references" "$out"
echo "$out" | grep '^layering: ranks' | sed 's/^/# /'

# The check itself can fail: a kernel/core object that calls up into smp and sched.
mkdir -p build/layering-plant
printf 'int cpu_up(unsigned);\nvoid sched_yield_cpu(void);\nint planted(void) { sched_yield_cpu(); return cpu_up(1); }\n' \
    >build/layering-plant/planted.c
out=$(cc -c build/layering-plant/planted.c -o build/layering-plant/planted.o 2>&1 &&
      LAYERING_EXTRA=kernel/core:build/layering-plant/planted.o sh scripts/check-layering.sh 2>&1)
rc=$?
echo "$out" | grep -q "planted.o (rank 4, kernel/core) uses 'cpu_up' from a higher rank" &&
    echo "$out" | grep -q "uses 'sched_yield_cpu' from a higher rank" &&
    echo "$out" | grep -q '^layering: 2 upward references'
ok $(( rc == 1 && $? == 0 ? 0 : 1 )) "layering: a planted upward call from kernel/core is caught and named" "$out"

# The circle check can fail too: two kernel/core files that call each other
# (no upward call: only the file-to-file check inside a folder sees it).
P=build/layering-plant
printf 'int planted_b(int);\nint planted_a(int n) { return n ? planted_b(n - 1) : 0; }\n' \
    >$P/circle_a.c
printf 'int planted_a(int);\nint planted_b(int n) { return n ? planted_a(n - 1) : 1; }\n' \
    >$P/circle_b.c
out=$(cc -c $P/circle_a.c -o $P/circle_a.o 2>&1 && cc -c $P/circle_b.c -o $P/circle_b.o 2>&1 &&
      LAYERING_EXTRA="kernel/core:$P/circle_a.o kernel/core:$P/circle_b.o" \
          sh scripts/check-layering.sh 2>&1)
rc=$?
echo "$out" | grep -q "circle in kernel/core: $P/circle_a.o -> $P/circle_b.o (planted_b)" &&
    echo "$out" | grep -q "circle in kernel/core: $P/circle_b.o -> $P/circle_a.o (planted_a)" &&
    echo "$out" | grep -q '^layering: 0 upward references' &&
    echo "$out" | grep -q '^layering: 2 edges on circles inside folders'
ok $(( rc == 1 && $? == 0 ? 0 : 1 )) "layering: a planted circle of two kernel/core files is caught and named" "$out"

done_testing
