#!/bin/sh
# The test bed itself (scripts/run-dom0.sh): every outcome it can give, each
# with its exit code and message.  Real boots where a real cause is cheap
# (Xen panic, QEMU refusing -smp 256, exit=poweroff, ...); a stand-in QEMU
# (tests/check/bed/fake-qemu.sh) for FAILURE, MULTIPLE, TIMEOUT, NO_RESULT
# and the odd spellings.  BED=old-script runs the same checks on another bed.
. "$(dirname "$0")/lib.sh"

BED=${BED:-scripts/run-dom0.sh}
FAKE_QEMU_PATH=$PWD/tests/check/bed/fake-qemu.sh

# bed NAME CODE REGEX MAXSECS MODE ARGS...: run the bed (MODE real, or a
# stand-in mode), expect exit CODE and a last "run-dom0:" line matching
# REGEX; if MAXSECS > 0, QEMU must have run at most MAXSECS s (the bed's own
# count, so waiting for a QEMU slot does not count).
bed() {
    name=$1 code=$2 re=$3 max=$4 mode=$5
    shift 5
    LOG=$LOGS/bed-$name.log
    rm -f "$LOG"
    if [ "$mode" = real ]; then
        out=$(${QSLOT:+$QSLOT} sh "$BED" --log "$LOG" "$@" 2>&1)
    else
        out=$(QEMU=$FAKE_QEMU_PATH FAKE_QEMU=$mode sh "$BED" --log "$LOG" "$@" 2>&1)
    fi
    rc=$?
    last=$(echo "$out" | grep '^run-dom0: ' | tail -n 1)
    ok $(( rc == code ? 0 : 1 )) "$name: exit $code" "got exit $rc: $last"
    echo "$last" | grep -Eq -- "$re"
    ok $? "$name: says /$re/" "got: ${last:-nothing}
$(echo "$out" | grep -v '^(XEN)' | tail -n 5)"
    if [ "$max" -gt 0 ]; then
        secs=$(echo "$out" | sed -n 's/^run-dom0: QEMU ran \([0-9]*\) s.*/\1/p' | tail -n 1)
        [ -n "$secs" ] && [ "$secs" -le "$max" ]
        ok $? "$name: ended within $max s, not at the timeout" "QEMU ran ${secs:-?} s"
    fi
}

# Results the guest reports (real boots).
bed success 0 'OUTCOME=SUCCESS$' 0 real --vcpus 1 -- test=boot
bed error 2 'OUTCOME=ERROR' 0 real --vcpus 1 -- test=nosuch
bed skip 3 'OUTCOME=SKIP' 0 real --vcpus 1 -- test=service
bed crash 4 'OUTCOME=CRASH \(no result line; FATAL TRAP: vector 6' 0 real --vcpus 1 -- test=fault fault=ud

# Xen panics: dom0 memory too small for the image (defect 12: was TIMEOUT).
bed xen-panic 8 'OUTCOME=XEN_PANIC \(Xen: Panic on CPU 0: Domain 0 allocation is too small' 60 \
    real --vcpus 2 --mem 1 --timeout 300 -- test=boot
# The match ignores case.
bed xen-panic-case 8 'OUTCOME=XEN_PANIC \(Xen: PANIC ON CPU 3: Stand-in reason in capitals\)' 10 \
    panic-upper --vcpus 4 --timeout 60 -- test=boot

# QEMU refuses -smp 256 (its pc machine's maximum is 255): its own outcome, at once.
bed qemu-refuses 9 "OUTCOME=QEMU_FAILED \(QEMU exited with status 1 before Xen started: .*Invalid SMP CPUs 256" 10 \
    real --vcpus 256 --timeout 300 -- test=boot

# exit=poweroff: Xen halts, QEMU would sit there; the bed sees Xen's line and ends the run.
bed halted 10 'OUTCOME=HALTED \(Test result: SUCCESS, then Xen halted the machine' 120 \
    real --vcpus 2 --timeout 300 -- exit=poweroff
# A failure before the halt is still a failure; a halt without a result is HALTED.
bed halt-failure 1 'OUTCOME=FAILURE \(Xen halted the machine' 10 halt-failure --timeout 60 -- x
bed halt-noresult 10 'OUTCOME=HALTED \(no result line, then Xen halted' 10 halt-noresult --timeout 60 -- x

# Stand-in QEMU: the outcomes a real guest gives only by accident.
bed failure 1 'OUTCOME=FAILURE$' 10 failure -- x
bed multiple 6 'OUTCOME=MULTIPLE \(2 result lines\)' 10 multiple -- x
bed timeout 5 'OUTCOME=TIMEOUT \(no result line within 2s\)' 15 hang --timeout 2 -- x
bed no-result 11 'OUTCOME=NO_RESULT \(QEMU exited with status 0: no result line' 10 noresult -- x

# --pcpus: Xen gets that many pCPUs whatever dom0's vCPU count (scripts/matrix).
bed pcpus 0 'OUTCOME=SUCCESS$' 0 real --vcpus 8 --pcpus 2 -- test=boot
grep -q '(XEN) Brought up 2 CPUs' "$LOGS/bed-pcpus.log" && grep -q 'smp: 8 of 8 vCPUs online' "$LOGS/bed-pcpus.log"
ok $? "pcpus: Xen brought up 2 pCPUs, dom0 has 8 of 8 vCPUs online" \
    "$(grep -a 'Brought up\|vCPUs online' "$LOGS/bed-pcpus.log")"

# Usage errors name the bad value and never start QEMU (was: --vcpus 0 gave 1 vCPU).
for v in 0 00 -1 4x '' 1.5; do
    bed "usage-vcpus-'$v'" 7 "run-dom0: bad --vcpus '$v' \(want a whole number, 1 or more\)" 0 \
        hang --vcpus "$v" -- x
done
bed usage-mem 7 "bad --mem 'lots'" 0 hang --mem lots -- x
bed usage-timeout 7 "bad --timeout '0'" 0 hang --timeout 0 -- x
bed usage-missing 7 "run-dom0: --vcpus needs a value" 0 hang --vcpus -- x
bed usage-pcpus 7 "run-dom0: bad --pcpus '0'" 0 hang --pcpus 0 -- x
bed usage-unknown 7 "run-dom0: unknown argument '--cpus'" 0 hang --cpus 4 -- x

done_testing
