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

# The topology parser fuzzer: libFuzzer + ASan + UBSan, a fixed number of runs.
if command -v clang >/dev/null 2>&1 && [ -f tests/fuzz/fuzz_topology.c ]; then
    runs=${FUZZ_RUNS:-200000}   # `make fuzz` runs 10^6 and more
    mkdir -p build/fuzz
    out=$(clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DMINIPV_HOST -Iinclude \
              tests/fuzz/fuzz_topology.c -o build/fuzz/fuzz_topology 2>&1 &&
          cp -r tests/fuzz/corpus_topology build/fuzz/corpus.tmp 2>/dev/null;
          build/fuzz/fuzz_topology -runs="$runs" -seed=1 build/fuzz/corpus.tmp 2>&1)
    rc=$?
    rm -rf build/fuzz/corpus.tmp
    echo "$out" | grep -q "Done $runs runs"
    ok $(( rc == 0 && $? == 0 ? 0 : 1 )) "fuzz_topology: $runs runs, no sanitizer finding" "$(echo "$out" | tail -n 20)"
else
    ok 1 "fuzz_topology: clang or harness missing"
fi

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

done_testing
