#!/bin/sh
# Boot minipv as dom0 under Xen 4.17 in QEMU (TCG) and turn the run into an outcome.
#
#   run-dom0.sh [--vcpus N] [--mem MiB] [--timeout S] [--log FILE] [--kernel ELF]
#               [--module FILE] -- ARGS...
#
# --module: a boot module for dom0 (Xen's second multiboot module): minipv
# loads it as its kexec image.
#
# ARGS is minipv's command line.  The serial log streams to stdout (and --log).
# Exit status: 0 SUCCESS, 1 FAILURE, 2 ERROR, 3 SKIP, 4 CRASH (no result line),
# 5 TIMEOUT, 6 more than one result line, 7 bad usage / missing files.
set -eu
cd "$(dirname "$0")/.."

vcpus=4 mem=256 timeout=120 log="" kernel=build/minipv.stripped xenargs="" module=""
while [ $# -gt 0 ]; do
    case "$1" in
        --vcpus) vcpus=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        --kernel) kernel=$2; shift 2 ;;
        --module) module=$2; shift 2 ;;
        --xen-args) xenargs=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "run-dom0: unknown argument '$1'" >&2; exit 7 ;;
    esac
done
case "$vcpus" in ''|*[!0-9]*) echo "run-dom0: bad --vcpus '$vcpus'" >&2; exit 7 ;; esac
[ -f build/deps/xen-4.17 ] || { echo "run-dom0: build/deps/xen-4.17 missing (make deps)" >&2; exit 7; }
[ -f "$kernel" ] || { echo "run-dom0: $kernel missing (make)" >&2; exit 7; }
[ -z "$module" ] || [ -f "$module" ] || { echo "run-dom0: module $module missing" >&2; exit 7; }
case "$*" in *,*) echo "run-dom0: a comma in the command line would start another module" >&2; exit 7 ;; esac

[ -n "$log" ] || log=$(mktemp /tmp/minipv-log.XXXXXX)
mkdir -p "$(dirname "$log")"
# QEMU needs at least as many CPUs as dom0 has vCPUs for Xen to give them all.
# serial_tx_buffer: Xen drops dom0 console output once its serial buffer (16 KiB by
# default) is full (drivers/char/serial.c __serial_putc); a vmcore is megabytes.
# The first word of a multiboot module string is its file name: Xen drops it.
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
    -accel tcg,thread=single -cpu max -smp "$vcpus" -m 1024 \
    -nodefaults -display none -no-reboot -serial stdio \
    -kernel build/deps/xen-4.17 \
    -append "console=com1 dom0_max_vcpus=$vcpus dom0_mem=${mem}M,max:${mem}M noreboot=false serial_tx_buffer=32M $xenargs" \
    -initrd "$kernel $*${module:+,$module}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
rc=$?
set -e
# tee's status hides timeout's: look at the log instead.
results=$(grep -c '^Test result: ' "$log" || true)
if [ "$results" -gt 1 ]; then echo "run-dom0: OUTCOME=MULTIPLE ($results result lines)"; exit 6; fi
line=$(grep '^Test result: ' "$log" | tr -d '\r' || true)
case "$line" in
    "Test result: SUCCESS") echo "run-dom0: OUTCOME=SUCCESS"; exit 0 ;;
    "Test result: FAILURE") echo "run-dom0: OUTCOME=FAILURE"; exit 1 ;;
    "Test result: ERROR") echo "run-dom0: OUTCOME=ERROR"; exit 2 ;;
    "Test result: SKIP") echo "run-dom0: OUTCOME=SKIP"; exit 3 ;;
esac
if grep -q 'Hardware Dom0 crashed\|Domain 0 crashed\|PANIC\|FATAL TRAP' "$log"; then
    echo "run-dom0: OUTCOME=CRASH"; exit 4
fi
echo "run-dom0: OUTCOME=TIMEOUT (no result line within ${timeout}s)"; exit 5
