#!/bin/sh
# Boot minipv as dom0 under Xen 4.17 in QEMU (TCG) and turn the run into an outcome.
#
#   run-dom0.sh [--vcpus N] [--mem MiB] [--timeout S] [--log FILE] [--kernel ELF]
#               [--xen-args STR] [--module FILE] [--mttcg] [--pcpus N] -- ARGS...
#
# --mttcg: QEMU's multi-threaded TCG (-accel tcg,thread=multi) with one
# emulated CPU per host core (-smp $(nproc)), so Xen's pCPUs really run in
# parallel (test=scale); dom0 may then have more vCPUs than Xen has pCPUs.
# With more busy vCPUs than pCPUs there, Xen's default scheduler (credit2)
# kept one vCPU runnable, not running, for 5 to 60 s at a time (4 vCPUs on
# 2 pCPUs, test=sched: 5 of 14 boots failed or hung; with
# --xen-args sched=credit 6 of 6 passed): keep vCPUs <= pCPUs (tests/check/mttcg.t)
# or pass sched=credit when a run must not stall.
# Without it: one host thread runs every emulated CPU, and -smp is --vcpus.
#
# --pcpus N: Xen gets N physical CPUs (QEMU -smp N) whatever dom0's vCPU
# count, as a real host with more vCPUs than cores.  scripts/matrix uses it:
# Xen bringing up one pCPU per vCPU (up to 255) under TCG once panicked in
# its own boot, before dom0 existed (credit's csched_tick on a pCPU not yet
# in a pool: FATAL PAGE FAULT at 0x1c, 1 of 5 make check runs, 230 pCPUs).
#
# --module: a boot module for dom0 (Xen's second multiboot module): minipv
# loads it as its kexec image.
#
# ARGS is minipv's command line.  The serial log streams to stdout (and --log);
# the last line, also appended to the log, is "run-dom0: OUTCOME=NAME (why)".
# Exit status (one per outcome, first match wins, top to bottom):
#   6 MULTIPLE     more than one "Test result:" line
#   9 QEMU_FAILED  QEMU refused to start (e.g. -smp over the machine's maximum):
#                  it exited at once, non-zero, before Xen printed anything
#   8 XEN_PANIC    Xen's "Panic on CPU N" (any case), e.g. dom0 memory too small;
#                  the run ends at once and the message quotes Xen's reason
#   0 SUCCESS      "Test result: SUCCESS" and QEMU ended (Xen rebooted)
#  10 HALTED       Xen halted the machine ("Dom0 halted": exit=poweroff) after
#                  SUCCESS or with no result line; the run ends at once
#                  (under QEMU use exit=auto or exit=reboot to get SUCCESS)
#   1 FAILURE, 2 ERROR, 3 SKIP   the guest's result line (a halt is only noted)
#   4 CRASH        no result line; Xen's "Dom0 crashed" or minipv's PANIC/trap dump
#   5 TIMEOUT      no result line within --timeout seconds
#  11 NO_RESULT    QEMU exited by itself with no result line and no crash report
#   7 usage        bad arguments (--vcpus 0, garbage numbers) or missing files
# Environment: QEMU (default qemu-system-x86_64) is the emulator to run; the
# test bed's own tests (tests/check/bed.t) put a stand-in there.
set -eu
cd "$(dirname "$0")/.."

usage() { echo "run-dom0: $*" >&2; exit 7; }
# A whole number >= 1, no sign, no leading zero (so 0, 00, -1, 4x, "" are refused).
posint() { case "$2" in ''|*[!0-9]*|0*) usage "bad $1 '$2' (want a whole number, 1 or more)" ;; esac; }

vcpus=4 mem=256 timeout=120 log="" kernel=build/minipv.stripped xenargs="" module="" mttcg=0 pcpus=
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; break ;;
        --mttcg) mttcg=1; shift; continue ;;
        --vcpus|--mem|--timeout|--log|--kernel|--xen-args|--module|--pcpus)
            [ $# -ge 2 ] && [ "$2" != -- ] || usage "$1 needs a value" ;;
        *) usage "unknown argument '$1'" ;;
    esac
    case "$1" in
        --vcpus) vcpus=$2 ;;
        --mem) mem=$2 ;;
        --timeout) timeout=$2 ;;
        --log) log=$2 ;;
        --kernel) kernel=$2 ;;
        --xen-args) xenargs=$2 ;;
        --module) module=$2 ;;
        --pcpus) pcpus=$2 ;;
    esac
    shift 2
done
posint --vcpus "$vcpus"
posint --mem "$mem"
posint --timeout "$timeout"
[ -z "$pcpus" ] || posint --pcpus "$pcpus"
QEMU=${QEMU:-qemu-system-x86_64}
[ -f build/deps/xen-4.17 ] || usage "build/deps/xen-4.17 missing (make deps)"
[ -f "$kernel" ] || usage "$kernel missing (make)"
[ -z "$module" ] || [ -f "$module" ] || usage "module $module missing"
case "$*" in *,*) usage "a comma in the command line would start another module" ;; esac

[ -n "$log" ] || log=$(mktemp /tmp/minipv-log.XXXXXX)
mkdir -p "$(dirname "$log")"
: >"$log"
work=$(mktemp -d /tmp/minipv-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

# QEMU needs at least as many CPUs as dom0 has vCPUs for Xen to give them all
# (dom0_max_vcpus only sets the count; under --mttcg Xen shares its pCPUs).
accel=single smp=$vcpus
if [ "$mttcg" = 1 ]; then
    accel=multi smp=$(nproc)
    echo "run-dom0: QEMU TCG thread=multi, -smp $smp (host cores $(nproc)), dom0 vCPUs $vcpus" | tee "$log"
fi
if [ -n "$pcpus" ]; then
    smp=$pcpus
    echo "run-dom0: Xen pCPUs $smp (QEMU -smp), dom0 vCPUs $vcpus" | tee -a "$log"
fi
# serial_tx_buffer: Xen drops dom0 console output once its serial buffer (16 KiB by
# default) is full (drivers/char/serial.c __serial_putc); a vmcore is megabytes.
# The first word of a multiboot module string is its file name: Xen drops it.
# sed -u: line by line, so the watcher below sees Xen's last words at once.
t0=$(date +%s)
set +e
{
    timeout --foreground -k 5 "$timeout" "$QEMU" \
        -accel tcg,thread=$accel -cpu max -smp "$smp" -m 1024 \
        -nodefaults -display none -no-reboot -serial stdio -pidfile "$work/qemu.pid" \
        -kernel build/deps/xen-4.17 \
        -append "console=com1 dom0_max_vcpus=$vcpus dom0_mem=${mem}M,max:${mem}M noreboot=false serial_tx_buffer=32M $xenargs" \
        -initrd "$kernel $*${module:+,$module}" </dev/null 2>&1
    echo $? >"$work/rc"
} | sed -u 's/\r//g' | tee -a "$log" &
pipeline=$!

# Watch the log: a halted or panicked Xen never makes QEMU exit by itself
# (halt) or only after its own delay (panic).  Bounded by the pipeline, which
# timeout bounds; the watcher also gives up 30 s after the timeout.
XEN_PANIC_RE='^\(XEN\) .*panic on cpu [0-9]+'
HALT_RE='^\(XEN\) .*Dom0 halted'
ended="" seen_at=0 ticks=0 limit=$(( (timeout + 30) * 5 ))
while kill -0 "$pipeline" 2>/dev/null && [ "$ticks" -lt "$limit" ]; do
    sleep 0.2
    ticks=$((ticks + 1))
    if [ -z "$ended" ]; then
        if grep -Eiq "$XEN_PANIC_RE" "$log"; then ended=panic seen_at=$ticks
        elif grep -Eq "$HALT_RE" "$log"; then ended=halt seen_at=$ticks
        fi
    fi
    # A panic's reason follows its line: give Xen half a second to print it.
    if [ -n "$ended" ] && [ $((ticks - seen_at)) -ge 3 ] && [ -s "$work/qemu.pid" ]; then
        kill "$(cat "$work/qemu.pid")" 2>/dev/null
        rm -f "$work/qemu.pid"
    fi
done
if kill -0 "$pipeline" 2>/dev/null && [ -s "$work/qemu.pid" ]; then
    kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null
fi
wait "$pipeline"
qrc=$(cat "$work/rc" 2>/dev/null || echo "?")
set -e

outcome() {     # CODE NAME WHY
    echo "run-dom0: QEMU ran $(( $(date +%s) - t0 )) s (timeout ${timeout} s)" | tee -a "$log"
    echo "run-dom0: OUTCOME=$2${3:+ ($3)}" | tee -a "$log"
    exit "$1"
}

results=$(grep -c '^Test result: ' "$log" || true)
[ "$results" -le 1 ] || outcome 6 MULTIPLE "$results result lines"
if ! grep -q '^(XEN)' "$log" && [ "$qrc" != 0 ] && [ "$qrc" != 124 ] && [ "$qrc" != 137 ]; then
    why=$(grep -m 1 -i 'qemu' "$log" || true)
    outcome 9 QEMU_FAILED "QEMU exited with status $qrc before Xen started: ${why:-no message}"
fi
if grep -Eiq "$XEN_PANIC_RE" "$log"; then
    # The reason is the first non-empty line after "Panic on CPU N:" that is not the frame.
    why=$(grep -Ei -A 4 "$XEN_PANIC_RE" "$log" | sed 's/^(XEN) \{0,1\}//' |
          grep -Eiv '^(panic on cpu|\*+ *$|$|--$)' | head -n 1)
    line=$(grep -Ei -m 1 "$XEN_PANIC_RE" "$log" | sed 's/^(XEN) //; s/:$//')
    outcome 8 XEN_PANIC "Xen: $line: ${why:-no reason printed}"
fi
halted=""
grep -Eq "$HALT_RE" "$log" && halted="Xen halted the machine (dom0 powered off)"
line=$(grep '^Test result: ' "$log" || true)
case "$line" in
    "Test result: SUCCESS")
        [ -z "$halted" ] || outcome 10 HALTED "Test result: SUCCESS, then $halted; the run was ended at once"
        outcome 0 SUCCESS ;;
    "Test result: FAILURE") outcome 1 FAILURE "$halted" ;;
    "Test result: ERROR") outcome 2 ERROR "$halted" ;;
    "Test result: SKIP") outcome 3 SKIP "$halted" ;;
esac
if grep -q 'Hardware Dom0 crashed\|Domain 0 crashed\|PANIC on cpu\|FATAL TRAP' "$log"; then
    outcome 4 CRASH "no result line; $(grep -m 1 'Dom0 crashed\|Domain 0 crashed\|PANIC on cpu\|FATAL TRAP' "$log" | sed 's/^(XEN) //; s/^\[cpu [^]]*\] //')"
fi
[ -z "$halted" ] || outcome 10 HALTED "no result line, then $halted; the run was ended at once"
case "$qrc" in
    124|137) outcome 5 TIMEOUT "no result line within ${timeout}s" ;;
esac
outcome 11 NO_RESULT "QEMU exited with status $qrc: no result line and no crash report"
