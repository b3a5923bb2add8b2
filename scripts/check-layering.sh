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
#     9   kernel/kexec             the jump: region, plan, arrival
#    10   kernel/crash             the crash path (stop, capture, watchdog) and the vmcore
#    11   kernel/service           toolstack control over xenstore, console shell
#    12   kernel/main.c            boot order
#    13   tests/guest              guest suites
#
# The one sanctioned upward call: head.S -> kernel_start (the boot itself).
# Upper layers reach down through inversions (arch_set_*_handler,
# kernel_set_stop_others, cpu_set_stop_handler, park_resume_hook, the life
# participants of include/kernel/life.h), never calls.
#
# Inside each folder (arch/x86, xen, every kernel/ one, tests/guest) the
# files form a stack too: no two files call
# each other in a circle (A -> B -> ... -> A, from nm, file to file).  A
# circle is printed edge by edge, with a symbol that makes each edge.
#
#   check-layering.sh [BUILD_DIR]     default build; prints the ranks and the count
# BUILD_DIR holds <source>.o for every source (the Makefile's layout).
# LAYERING_EXTRA="RANK:OBJECT ..." adds objects to a rank (tests/check/host.t
# plants an upward call that way, to prove this script catches it).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
RANKS="arch/x86 xen kernel/lib kernel/core kernel/mm kernel/cpu kernel/sched kernel/smp kernel/kexec kernel/crash kernel/service kernel/main tests/guest"

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
# Circles inside one folder: keep only files on a circle (drop, until none
# is left to drop, every file that calls no kept file or is called by none).
circles() {     # objects of one folder -> "layering: circle in DIR: A -> B (sym)" lines
    for o in "$@"; do
        nm --defined-only "$o" 2>/dev/null | awk -v o="$o" 'NF == 3 { print "D", $3, o }'
        nm --undefined-only "$o" | awk -v o="$o" '{ print "U", $2, o }'
    done | awk -v dir="$dir" '
        $1 == "D" { def[$2] = $3; next }
        { use[++n] = $3; sym[n] = $2 }
        END {
            for (i = 1; i <= n; i++) {
                t = def[sym[i]]
                if (t == "" || t == use[i] || ((use[i], t) in edge)) continue
                edge[use[i], t] = sym[i]; node[use[i]] = 1; node[t] = 1
            }
            do {
                changed = 0
                for (a in node) {
                    out = 0; in_ = 0
                    for (b in node) { if ((a, b) in edge) out = 1; if ((b, a) in edge) in_ = 1 }
                    if (!out || !in_) { delete node[a]; changed = 1 }
                }
            } while (changed)
            for (k in edge) {
                split(k, ab, SUBSEP)
                if ((ab[1] in node) && (ab[2] in node))
                    printf "layering: circle in %s: %s -> %s (%s)\n", dir, ab[1], ab[2], edge[k]
            }
        }' | sort
}
for r in $RANKS; do
    case $r in kernel/main) continue ;; esac
    objs=$(objs_of "$r")
    [ "$(echo $objs | wc -w)" -gt 1 ] || continue
    dir=$r
    circles $objs
done >"$tmp/circles"

echo "layering: ranks$report"
rc=0
if [ -s "$tmp/bad" ]; then
    cat "$tmp/bad"
    echo "layering: $(wc -l <"$tmp/bad") upward references in $total objects"
    rc=1
else
    echo "layering: 0 upward references in $total objects"
fi
if [ -s "$tmp/circles" ]; then
    cat "$tmp/circles"
    echo "layering: $(wc -l <"$tmp/circles") edges on circles inside folders"
    rc=1
else
    echo "layering: no circle inside a folder"
fi
exit $rc
