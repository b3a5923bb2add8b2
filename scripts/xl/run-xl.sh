#!/usr/bin/env bash
# run-xl.sh — boot QEMU(TCG) -> Xen 4.17 -> Debian dom0 and run one scenario
# that drives a PV domU with the real xl toolstack.
#
#   run-xl.sh --guest PATH --cfg FILE [FILE...] --scenario FILE
#             [--timeout S] [--log FILE] [--file SRC[:DEST]]...
#             [--xen-append STR] [--dom0-append STR] [--disk FILE]...
#
# --disk FILE: a host file becomes dom0's /dev/vda (the next one /dev/vdb,
# ...; QEMU virtio-blk) with xen-blkback loaded, for a cfg's
# disk=[...target=/dev/vda,script=/etc/xen/scripts/block-dumpdisk]: what a
# domU writes there lands in FILE on the host.
#
# Inside dom0: guest at /guest/minipv, cfgs at /guest/<basename minus "xl-">
# (config/xl-smoke.cfg -> /guest/smoke.cfg), scenario at /scenario.sh,
# helpers (scenarios/lib.sh) at /xl-lib.sh, --file extras at /guest/<DEST>.
# Streams the serial log (Xen + dom0 + scenario) to stdout (and --log), and
# exits with the scenario's status, taken from the XL-SCENARIO-EXIT=<n> line
# that dom0's /init prints.  No marker => 125; QEMU timeout => 124.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/scripts/xl
OUT=${XL_OUT:-$REPO/build/xl}

die() { echo "run-xl: error: $*" >&2; exit 2; }
usage() { sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2; }

guest='' scenario='' log='' timeout=180
cfgs=() files=()
xen_append='' dom0_append=''
disks=()
while (($#)); do
    case $1 in
    --guest) guest=${2:?}; shift 2 ;;
    --scenario) scenario=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --log) log=${2:?}; shift 2 ;;
    --file) files+=("${2:?}"); shift 2 ;;
    --xen-append) xen_append=${2?}; shift 2 ;;
    --dom0-append) dom0_append=${2?}; shift 2 ;;
    --disk) disks+=("${2:?}"); shift 2 ;;
    --cfg) shift
        while (($#)) && [[ $1 != --* ]]; do cfgs+=("$1"); shift; done ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -n $guest && -n $scenario && ${#cfgs[@]} -gt 0 ]] || usage
[[ -f $guest ]] || die "guest image '$guest' not found (did you run make?)"
[[ -f $scenario ]] || die "scenario '$scenario' not found"
for c in "${cfgs[@]}"; do [[ -f $c ]] || die "cfg '$c' not found"; done
for d in "${disks[@]}"; do
    [[ -f $d ]] || die "disk '$d' not found (create it first, e.g. truncate -s 64M FILE)"
    [[ $d != *,* ]] || die "disk path '$d' contains a comma (QEMU's -drive splits on it)"
done
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"

"$HERE/mkdom0.sh" || die "mkdom0.sh failed"
BB=${XL_DEPS:-$REPO/build/deps/xl}/root/bin/busybox

mkdir -p "$OUT"
RUN=$(mktemp -d "$OUT/run.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
# QEMU's -initrd splits module strings on ',' and on the first space.
[[ $RUN != *[,\ ]* ]] || die "build path '$RUN' contains a comma or space"

# --- per-run payload: a second newc archive appended to the cached base ------
P=$RUN/payload
mkdir -p "$P/guest"
cp "$guest" "$P/guest/minipv"
# System.map-style symbols so xenctx (post_mortem) can name guest addresses.
nm -n "$guest" 2>/dev/null | grep -i ' [tw] ' >"$P/guest/minipv.map" || rm -f "$P/guest/minipv.map"
# config/xl-NAME.cfg lands at /guest/NAME.cfg (the xl- prefix only marks
# the repo's xl configs).
for c in "${cfgs[@]}"; do b=$(basename "$c"); cp "$c" "$P/guest/${b#xl-}"; done
for f in "${files[@]}"; do
    src=${f%%:*}; dst=${f#*:}; [[ $f == *:* ]] || dst=$(basename "$src")
    [[ -f $src ]] || die "--file '$src' not found"
    mkdir -p "$P/guest/$(dirname "$dst")"; cp "$src" "$P/guest/$dst"
done
cp "$scenario" "$P/scenario.sh"
cp "$HERE/scenarios/lib.sh" "$P/xl-lib.sh"
# Inner limit a bit below the host one so a stuck scenario still reports.
inner=$((timeout > 60 ? timeout - 30 : timeout / 2))
echo "XL_SCENARIO_TIMEOUT=$inner" >"$P/guest/env"
((${#disks[@]})) && echo "XL_DISKS=${#disks[@]}" >>"$P/guest/env"
(cd "$P" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0 2>/dev/null) >"$RUN/payload.cpio"
cat "$OUT/dom0-base.cpio" "$RUN/payload.cpio" >"$RUN/dom0.cpio"

# --- boot ---------------------------------------------------------------------
# smap=0: Debian's dom0 crashes under TCG with SMAP on.
# guest_loglvl=all: domU HYPERVISOR_console_io output lands in the serial log.
# spec-ctrl=eager-fpu: QEMU's max CPU says "AMD", so Xen 4.17 would switch
# FPU/SSE/AVX state lazily (CR0.TS, then #NM on first use), and under QEMU
# 7.2's TCG that loses vector registers between vCPUs: dom0's programs (xl,
# busybox sh and awk, glibc's AVX2 string functions) aborted and segfaulted
# whenever a domU ran beside dom0 (README.md, "dom0 corrupted its own heap").
# Eager switching saves and restores the state on every vCPU switch instead.
xen_cmd="console=com1 dom0_mem=192M,max:192M smap=0 loglvl=all guest_loglvl=all serial_tx_buffer=32M spec-ctrl=eager-fpu $xen_append"
# panic=-1: a dom0 panic reboots at once, and -no-reboot turns that into exit.
dom0_cmd="console=hvc0 panic=-1 loglevel=4 $dom0_append"
# Single-threaded TCG: on this 2-core box MTTCG is no faster idle and 2x
# slower when anything else (a build, a fuzzer) runs next to it.
accel=${XL_QEMU_ACCEL:-tcg,thread=single}
# Guest RAM of the whole box (Xen + dom0's 192M + the domUs): bench/run's
# scale step needs more for a Linux domU with 255 vCPUs.
qmem=${XL_QEMU_MEM:-512}
[[ $qmem =~ ^[0-9]+$ ]] && ((qmem >= 512 && qmem <= 8192)) || die "XL_QEMU_MEM '$qmem' must be 512-8192 (MiB)"
cpu=${XL_QEMU_CPU:-max}
qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp 2 -m "$qmem"
      -nodefaults -display none -no-reboot -serial stdio
      -kernel "$OUT/xen" -append "$xen_cmd"
      -initrd "$OUT/vmlinuz $dom0_cmd,$RUN/dom0.cpio")
# cache=writeback: dom0's flushes reach the file (a FLUSH_DISKCACHE is honoured).
for d in "${disks[@]}"; do qemu+=(-drive "file=$d,if=virtio,format=raw,cache=writeback"); done

[[ -n $log ]] && { mkdir -p "$(dirname "$log")"; : >"$log"; }
marks=$RUN/marks
t0=$EPOCHREALTIME
set +e
timeout -k 5 "$timeout" "${qemu[@]}" </dev/null 2>&1 |
while IFS= read -r line || [[ -n $line ]]; do
    line=${line//$'\r'/}
    printf '%s\n' "$line"
    [[ -n $log ]] && printf '%s\n' "$line" >>"$log"
    case $line in
    *XL-DOM0-READY*|*XL-CREATE-DONE*|*XL-SCENARIO-EXIT=*)
        printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$marks" ;;
    esac
done
qrc=${PIPESTATUS[0]}
set -e
t1=$EPOCHREALTIME

rel() { awk -v a="$t0" -v b="$1" 'BEGIN { printf "%.1f", b - a }'; }
summary() {
    echo "run-xl: $*"
    [[ -n $log ]] && echo "run-xl: $*" >>"$log"
    return 0
}
if [[ -f $marks ]]; then
    while read -r ts rest; do
        case $rest in
        *XL-DOM0-READY*) summary "dom0 ready (scenario start) at +$(rel "$ts")s" ;;
        *XL-CREATE-DONE*) summary "${rest##*XL-CREATE-DONE} (xl create returned at +$(rel "$ts")s)" ;;
        esac
    done <"$marks"
fi
summary "total $(rel "$t1")s (qemu exit status $qrc)"

rc=$(sed -n 's/.*XL-SCENARIO-EXIT=\([0-9][0-9]*\).*/\1/p' "$marks" 2>/dev/null | tail -n1)
if [[ -z $rc ]]; then
    if ((qrc == 124 || qrc == 137)); then
        summary "FAIL: timed out after ${timeout}s without XL-SCENARIO-EXIT marker"
        exit 124
    fi
    summary "FAIL: no XL-SCENARIO-EXIT marker (dom0 or Xen died?)"
    exit 125
fi
summary "scenario exit status $rc"
exit "$rc"
