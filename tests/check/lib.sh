# SPDX-License-Identifier: MIT
# Shared helpers for the prove suites: TAP output and booting minipv under Xen.
# Each .t sources this, calls boot/expect/..., and ends with `done_testing`.
set -u
cd "$(dirname "$0")/../.."
# boot_dom0, median, ...: shared with the benchmarks
. scripts/bootlib.sh
LOGS=build/logs
mkdir -p "$LOGS"
T=0
FAILS=0

ok() {      # ok STATUS NAME [DIAG]: STATUS 0 = pass
    T=$((T + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T - $2"
    else
        echo "not ok $T - $2"
        [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
        FAILS=$((FAILS + 1))
    fi
}

done_testing() {
    echo "1..$T"
    [ "$FAILS" -eq 0 ]
}

# boot NAME VCPUS ARGS...: boot as dom0; sets LOG and OUTCOME (run-dom0.sh's exit status).
# QSLOT and KERNEL: see boot_dom0 (scripts/bootlib.sh).
boot() {
    name=$1 vcpus=$2
    shift 2
    LOG=$LOGS/$name.log
    boot_dom0 "$LOG" "$vcpus" "${BOOT_TIMEOUT:-240}" "$@"
    OUTCOME=$?
}

# expect_outcome NAME CODE: the run ended as expected (0 SUCCESS, 4 CRASH, ...).
expect_outcome() {
    last=$(grep 'OUTCOME=' "$LOG" 2>/dev/null | tail -n 1)
    ok $(( OUTCOME == $2 ? 0 : 1 )) "$1: outcome $(outcome_name "$2")" \
        "got exit $OUTCOME; log $LOG; last lines:
$(grep -v '^(XEN)' "$LOG" | tail -n 15)"
}

outcome_name() {
    case $1 in 0) echo SUCCESS ;; 1) echo FAILURE ;; 2) echo ERROR ;; 3) echo SKIP ;;
               4) echo CRASH ;; 5) echo TIMEOUT ;; 6) echo MULTIPLE ;; 7) echo USAGE ;;
               8) echo XEN_PANIC ;; 9) echo QEMU_FAILED ;; 10) echo HALTED ;; 11) echo NO_RESULT ;;
               *) echo "code $1" ;; esac
}

# expect_line NAME REGEX: the guest log has a line matching the extended regex.
expect_line() {
    grep -Eq -- "$2" "$LOG"
    ok $? "$1" "no line matching /$2/ in $LOG"
}

expect_no_line() {
    ! grep -Eq -- "$2" "$LOG"
    ok $? "$1" "unexpected: $(grep -E -- "$2" "$LOG" | head -n 3)"
}

# expect_count NAME REGEX N: exactly N lines match.
expect_count() {
    n=$(grep -Ec -- "$2" "$LOG")
    ok $(( n == $3 ? 0 : 1 )) "$1" "$n lines match /$2/, want $3"
}

# ktap NAME: every KTAP case the guest printed passed, and the plan was met.
ktap() {
    plan=$(grep -E '^1\.\.[0-9]+' "$LOG" | head -n 1 | cut -c4-)
    pass=$(grep -Ec '^ok [0-9]+ ' "$LOG")
    fail=$(grep -E '^not ok [0-9]+ ' "$LOG")
    [ -n "$plan" ] && [ "$pass" -eq "$plan" ] && [ -z "$fail" ]
    ok $? "$1: guest KTAP ${pass:-0}/${plan:-?} ok" "$fail"
}

# ---- the xl bed (scripts/xl/run-xl.sh): one boot of dom0, one scenario ----
# todo NAME REASON [DETAIL]: a known gap, reported without failing prove.
todo() {
    T=$((T + 1))
    echo "not ok $T - $1 # TODO $2"
    [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
}

# run_scenario NAME TIMEOUT CFG...: boot, run scripts/xl/scenarios/NAME.sh, report its steps.
run_scenario() {
    name=$1 tmo=$2
    shift 2
    LOG=$LOGS/xl-$name.log
    s0=$(date +%s)
    scripts/xl/run-xl.sh --guest build/minipv --cfg "$@" --scenario "scripts/xl/scenarios/$name.sh" \
        --timeout "$tmo" --log "$LOG" >/dev/null 2>&1
    rc=$?
    secs=$(($(date +%s) - s0))
    grep -q '^scenario: [0-9]* failed step' "$LOG"
    ok $? "xl $name: scenario ran to its end (exit $rc, ${secs} s)" \
        "log $LOG; last lines:
$(grep -v '^(XEN)' "$LOG" | tail -n 25)"
    # dom0's /init lists every user-space fault of the run (scripts/xl/README.md,
    # "dom0 corrupted its own heap"): one is a broken bed, not a passing test.
    faults=$(grep -a 'xl-init: dom0 fault:' "$LOG")
    ok $([ -z "$faults" ] && echo 0 || echo 1) "xl $name: no user-space fault in dom0" "$faults"
    steps=$LOGS/xl-$name.steps
    grep '^XL-STEP ' "$LOG" >"$steps"
    while read -r _ status rest; do
        step_name=${rest%% -- *}
        detail=
        case $rest in *" -- "*) detail=${rest#* -- } ;; esac
        case $status in
        ok)
            ok 0 "xl $name: $step_name"
            [ -n "$detail" ] && echo "# $detail" ;;
        todo)
            todo "xl $name: $step_name" "$detail" ;;
        *)
            ok 1 "xl $name: $step_name" "$detail (log $LOG)" ;;
        esac
    done <"$steps"
}

# vmcore_gdb WHAT LOG CORE N LWP: extract the vmcore a crash kernel wrote into
# LOG (scripts/vmcore-extract), open it with gdb: N threads, LWP first (the
# crashed vCPU + 1), nr_cpus = N.  Three TAP lines.
vmcore_gdb() {
    out_=$(sh scripts/vmcore-extract "$2" "$3" 2>&1)
    ok $? "$1: the vmcore is extracted from the console log" "$out_"
    g_=$(gdb -batch -nx build/minipv "$3" -ex 'info threads' -ex 'print nr_cpus' 2>&1)
    th_=$(echo "$g_" | grep -cE '^[* ] +[0-9]+ +LWP')
    first_=$(echo "$g_" | grep -E '^\* +1 +LWP' | awk '{ print $4 }')
    ok $((th_ == $4 && ${first_:-0} == $5 ? 0 : 1)) \
        "$1: gdb shows $4 threads, the crashed vCPU $(($5 - 1)) first (LWP $5)" \
        "$th_ threads, first LWP ${first_:-?}"
    echo "$g_" | grep -q "^\\\$1 = $4\$"
    ok $? "$1: gdb: print nr_cpus = $4" "$(echo "$g_" | tail -n 2)"
}
