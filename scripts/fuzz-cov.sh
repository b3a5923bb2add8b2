#!/bin/sh
# Line coverage of a fuzz target's parser, from a corpus (llvm-cov):
#
#   scripts/fuzz-cov.sh TARGET [CORPUS_DIR...]
#
# Builds the harness with -fprofile-instr-generate -fcoverage-mapping (no
# sanitizers), runs every input of the corpora once (default: the tree's
# tests/fuzz/corpus_TARGET) and prints llvm-cov's report for the parser's
# source file(s) (the harness itself is left out).
set -eu
cd "$(dirname "$0")/.."
t=${1:?target}
shift
[ $# -gt 0 ] || set -- "tests/fuzz/corpus_$t"
out=build/fuzz/cov-$t
mkdir -p "$out"
clang -g -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping -Iinclude \
    -I/usr/include "tests/fuzz/fuzz_$t.c" -o "$out/fuzz_$t"
rm -f "$out"/*.profraw
LLVM_PROFILE_FILE="$out/%p.profraw" "$out/fuzz_$t" -runs=0 "$@" >"$out/run.log" 2>&1
llvm-profdata merge -sparse "$out"/*.profraw -o "$out/merged.profdata"
case $t in
    cmdline) files="kernel/lib/cmdline.c kernel/lib/escape.c" ;;
    topology) files="kernel/lib/topo_layout.c kernel/lib/topo_parse.c" ;;
    xenstore_wire) files="xen/xenstore_wire.c" ;;
    service) files="kernel/lib/service_parse.c kernel/lib/escape.c" ;;
    *) files="" ;;
esac
# shellcheck disable=SC2086
llvm-cov report "$out/fuzz_$t" -instr-profile="$out/merged.profdata" $files
