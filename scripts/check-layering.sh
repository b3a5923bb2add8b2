#!/bin/sh
# Layering: kernel -> xen -> arch, nothing points back up.  Every symbol an
# arch object needs must come from arch (or libgcc); a xen object's from xen
# or arch.  The one sanctioned exception: head.S calls kernel_start (the boot).
set -eu
cd "$(dirname "$0")/.."
B=build
defined() { nm --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
arch_objs=$(ls $B/arch/x86/*.o)
xen_objs=$(ls $B/xen/*.o)
defined $arch_objs > $B/layer.arch
defined $arch_objs $xen_objs > $B/layer.xen
bad=0
check() {   # LAYER ALLOWED-DEFS OBJECTS...
    layer=$1 allowed=$2
    shift 2
    for o in "$@"; do
        nm --undefined-only "$o" | awk '{ print $2 }' | while read -r sym; do
            [ "$layer:$sym" = "arch:kernel_start" ] && continue
            grep -qx "$sym" "$allowed" && continue
            case "$sym" in __*di3|__*ti3|__popcount*) continue ;; esac   # libgcc
            echo "layering: $o ($layer) uses '$sym' from a higher layer"
        done
    done
}
out=$(check arch $B/layer.arch $arch_objs; check xen $B/layer.xen $xen_objs)
if [ -n "$out" ]; then
    echo "$out"
    exit 1
fi
echo "layering: arch ($(echo $arch_objs | wc -w) objects) and xen ($(echo $xen_objs | wc -w) objects) call nothing above them"
