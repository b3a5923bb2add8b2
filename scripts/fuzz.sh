#!/bin/sh
# Build and run one libFuzzer harness (clang, ASan + UBSan) on a copy of its
# corpus from the tree; print libFuzzer's final stats.
#
#   scripts/fuzz.sh TARGET RUNS [JOBS] [SECONDS]
#
# TARGET: cmdline | topology | xenstore_wire | service | handoff | vmcore_stream (tests/fuzz/fuzz_TARGET.c,
# seeds in tests/fuzz/corpus_TARGET).  RUNS is per job; JOBS > 1 runs that many
# workers in parallel, each with its own copy of the corpus.  SECONDS (if
# given) bounds each worker's run.  New inputs are kept in build/fuzz/TARGET/corpus,
# the logs in build/fuzz/TARGET/last-N.log (a failed run keeps its directory).
# Exit: 0 if every worker did its RUNS with no finding, else non-zero.
# `scripts/fuzz.sh TARGET --merge` folds build/fuzz/TARGET/corpus into the
# tree's corpus and minimizes it (libFuzzer -merge=1: only inputs that add coverage).
set -eu
cd "$(dirname "$0")/.."
t=${1:?target}
runs=${2:?runs}
jobs=${3:-1}
secs=${4:-0}
src=tests/fuzz/fuzz_$t.c seeds=tests/fuzz/corpus_$t out=build/fuzz/$t
[ -f "$src" ] || { echo "fuzz: no $src" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz: clang missing (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out" "$seeds"
# The message formatter is left out of coverage tracing (tests/fuzz/coverage-ignore.txt):
# it is unit-tested on its own and would take most of each run's time.
# Each run in its own directory (binary, corpora, logs), so runs never meet.
run=$(mktemp -d "$out/run.XXXXXX")
bin=$run/fuzz_$t
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt -DMINIPV_HOST -Iinclude \
    -I/usr/include "$src" -o "$bin"
mkdir -p "$out/corpus"
if [ "$runs" = --merge ]; then
    # Keep only inputs that add coverage: a fresh minimal set replaces the tree's corpus.
    mkdir -p "$run/min"
    "$bin" -merge=1 "$run/min" "$seeds" "$out/corpus" >"$run/merge.log" 2>&1 || { tail "$run/merge.log"; exit 1; }
    rm -f "$seeds"/*
    cp "$run/min"/* "$seeds"/
    echo "fuzz $t: corpus now $(ls "$seeds" | wc -l) inputs"
    rm -rf "$run"
    exit 0
fi
limit=""
[ "$secs" -gt 0 ] && limit="-max_total_time=$secs"
# Xen's command line is at most 1024 bytes: longer inputs only slow the fuzzer.
[ "$t" = cmdline ] && limit="$limit -max_len=1100"
i=0
pids=""
while [ $i -lt "$jobs" ]; do
    mkdir -p "$run/$i"
    cp -r "$seeds/." "$run/$i/" 2>/dev/null || true
    # shellcheck disable=SC2086
    "$bin" -runs="$runs" -seed=$((i + 1)) -print_final_stats=1 $limit \
        -artifact_prefix="$out/" "$run/$i" >"$run/$i.log" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
i=0
while [ $i -lt "$jobs" ]; do
    grep -E '^(stat::|Done|==[0-9]+==ERROR|SUMMARY|violated)|#[0-9]+.*DONE' "$run/$i.log" | sed "s/^/fuzz $t[$i]: /"
    grep -q "^Done $runs runs" "$run/$i.log" || rc=1
    cp -n "$run/$i"/* "$out/corpus/" 2>/dev/null || true
    cp "$run/$i.log" "$out/last-$i.log"
    i=$((i + 1))
done
[ $rc -ne 0 ] || rm -rf "$run"
exit $rc
