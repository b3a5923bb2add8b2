#!/bin/sh
# Layering: kernel -> xen -> arch, and inside kernel/ a stack of sub-folders;
# nothing points up.  For every object, each symbol it needs must be defined
# in its own rank or a lower one (or be link-time data: the linker script's
# section bounds and the generated symbol table, or libgcc).
#
#   rank  folder(s)                what
#     1   arch/x86                 entry, traps, page tables, per-cpu GS base
#     2   xen                      shared_info/vcpu_info, events, console, time, xenstore
#     3   kernel/lib               pure code: format, cmdline, topology layout, pfn pool
#     4   kernel/core              printk, panic, the result and the end of the run
#     5   kernel/mm                pages, heap, stacks
#     6   kernel/cpu               cpu <-> vcpu map, cpu states, IPIs, timers, topology
#     7   kernel/sched             threads and run queues
#     8   kernel/smp               bring-up, park, hotplug: the vCPU life cycle
#     9   kernel/kexec             handoff, jump, crash kernel, vmcore
#    10   kernel/service           toolstack control over xenstore, console shell
#    11   kernel/main.c            boot order
#    12   tests/guest              guest suites
#
# The one sanctioned upward call: head.S -> kernel_start (the boot itself).
# Upper layers reach down through inversions (arch_set_*_handler,
# kernel_set_stop_others, cpu_set_stop_handler, park_resume_hook), never calls.
#
#   check-layering.sh [BUILD_DIR]     default build; prints the ranks and the count
# BUILD_DIR holds <source>.o for every source (the Makefile's layout).
# LAYERING_EXTRA="RANK:OBJECT ..." adds objects to a rank (tests/check/host.t
# plants an upward call that way, to prove this script catches it).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
RANKS="arch/x86 xen kernel/lib kernel/core kernel/mm kernel/cpu kernel/sched kernel/smp kernel/kexec kernel/service kernel/main tests/guest"

objs_of() {     # objects of one rank: from its sources, so a stale object never counts
    case $1 in
    kernel/main) srcs=kernel/main.c ;;
    *) srcs=$(ls "$1"/*.c "$1"/*.S 2>/dev/null || true) ;;
    esac
    for s in $srcs; do
        [ -f "$B/$s.o" ] || { echo "layering: $B/$s.o missing (run make)" >&2; exit 2; }
        echo "$B/$s.o"
    done
    for e in ${LAYERING_EXTRA:-}; do
        [ "${e%%:*}" = "$1" ] && echo "${e#*:}"
    done
    return 0
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/below"
bad=0 n=0 total=0
report=""
for r in $RANKS; do
    n=$((n + 1))
    objs=$(objs_of "$r")
    count=$(echo $objs | wc -w)
    total=$((total + count))
    report="$report $n:$r($count)"
    [ -n "$objs" ] || continue
    # Allowed for this rank: everything defined at or below it.
    nm --defined-only $objs 2>/dev/null | awk 'NF == 3 { print $3 }' >>"$tmp/below"
    sort -u "$tmp/below" -o "$tmp/below"
    for o in $objs; do
        nm --undefined-only "$o" | awk '{ print $2 }' | while read -r sym; do
            [ "$r:$sym" = "arch/x86:kernel_start" ] && continue
            grep -qx -- "$sym" "$tmp/below" && continue
            case "$sym" in
            __*di3|__*ti3|__popcount*) continue ;;          # libgcc
            __start_*|__stop_*|__data_*|__bss_start|_text|_etext|_end|_edata) continue ;;   # minipv.lds
            ksym_table|ksym_count) continue ;;               # scripts/mksyms.sh
            esac
            echo "layering: $o (rank $n, $r) uses '$sym' from a higher rank"
        done
    done >>"$tmp/bad"
done
echo "layering: ranks$report"
if [ -s "$tmp/bad" ]; then
    cat "$tmp/bad"
    echo "layering: $(wc -l <"$tmp/bad") upward references in $total objects"
    exit 1
fi
echo "layering: 0 upward references in $total objects"
