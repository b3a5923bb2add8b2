# SPDX-License-Identifier: MIT
# Helpers of the dump disk suites (dumpdisk.t, dumpdisk-drills.t), sourced
# after lib.sh with D set: one boot of the xl bed with dump disks, and the
# checks of a disk image through vmcore-extract and gdb.

# run NAME TIMEOUT MIN-STEPS "DISK-SIZES" CFG...: one boot, a host file per size (vda, vdb, ...).
run() {
    name=$1 tmo=$2 min=$3 sizes=$4
    shift 4
    LOG=$D/$name.log
    set -- --cfg "$@"
    i=0
    for s in $sizes; do
        f=$D/$name-vd$(printf "\\$(printf '%03o' $((97 + i)))").img
        truncate -s "$s" "$f"
        set -- "$@" --disk "$f"
        i=$((i + 1))
    done
    s0=$(date +%s)
    ${QSLOT:+$QSLOT} scripts/xl/run-xl.sh --guest build/minipv --scenario scripts/xl/scenarios/dumpdisk.sh \
        --timeout "$tmo" --log "$LOG" "$@" >/dev/null 2>&1
    rc=$?
    grep -q '^scenario: [0-9]* failed step' "$LOG"
    ok $? "dumpdisk $name: scenario ran to its end (exit $rc, $(($(date +%s) - s0)) s)" \
        "log $LOG; $(grep -v '^(XEN)' "$LOG" | tail -n 20)"
    grep '^XL-STEP ' "$LOG" >"$D/$name.steps"
    n=0
    while read -r _ status rest; do
        detail=
        case $rest in *" -- "*) detail=${rest#* -- } ;; esac
        ok $([ "$status" = ok ] && echo 0 || echo 1) "dumpdisk $name: ${rest%% -- *}" "$detail"
        [ "$status" = ok ] && [ -n "$detail" ] && echo "# $detail"
        n=$((n + 1))
    done <"$D/$name.steps"
    ok $((n >= $min ? 0 : 1)) "dumpdisk $name: every case ran its checks ($n steps, at least $min)"
}

# disk_gdb NAME IMG N LWP [nmi]: the image is a complete dump; gdb: N threads, LWP first,
# its backtrace (through the panic; an NMI may stop an idle vCPU: any whole one), nr_cpus N.
disk_gdb() {
    out=$(sh scripts/vmcore-extract --disk "$2" 2>&1)
    echo "$out" | grep -q ': complete: '
    ok $? "$1: vmcore-extract --disk: complete" "$out"
    g=$(gdb -batch -nx build/minipv "$2" -ex 'info threads' -ex bt -ex 'print nr_cpus' 2>&1)
    th=$(echo "$g" | grep -cE '^[* ] +[0-9]+ +LWP')
    first=$(echo "$g" | grep -E '^\* +1 +LWP' | awk '{ print $4 }')
    ok $((th == $3 ? 0 : 1)) "$1: gdb reads the disk image: $3 threads" "$th threads"
    ok $([ "${first:-x}" = "$4" ] && echo 0 || echo 1) "$1: the crashed vCPU first (LWP $4)" "LWP ${first:-?}"
    if [ "${5:-}" = nmi ]; then
        echo "$g" | grep -qE '^#2 +0x[0-9a-f]+ in [a-z_]+ '
    else
        echo "$g" | grep -qE '^#[0-9]+ .* (panic|crash_thread) '
    fi
    ok $? "$1: its backtrace goes through the crash${5:+ (NMI: a whole backtrace)}" \
        "$(echo "$g" | grep '^#' | head -n 8)"
    echo "$g" | grep -q "^\$1 = $3\$"
    ok $? "$1: print nr_cpus = $3" "$(echo "$g" | tail -n 2)"
}
