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
    out=$(clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude \
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
ok $? "layering: kernel -> xen -> arch" "$out"

done_testing
