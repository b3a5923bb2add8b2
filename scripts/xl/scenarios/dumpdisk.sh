# dump-disk scenario (busybox sh inside dom0).  Each /guest/dumpdisk*.cfg is
# a domU with a dump disk (kdump_disk=) that crashes on crash_vcpu= with
# crash_how=; its "# dumpdisk-expect: KIND [DRILLS]" line says what must
# happen (a third word "console": every drill is `crash HOW 1` on the
# console, none an NMI from xl; "mixed": drills 2, 5, 8 ... are `crash HOW 1`,
# the others `xl trigger DOM nmi V`, so an NMI also follows an NMI's dump):
#   disk    the crash kernel runs there with every vCPU back, writes the
#           vmcore to the disk (not the console), names disk, bytes, time
#           and rate, gives every grant back; the trailer says complete; a
#           fresh kernel serves and leaves the disk for the next crash
#           kernel; DRILLS crashes in a row, each dump over the last
#   ro, small, none   the disk is read-only, too small, not in the cfg:
#           one line names it and the vmcore goes to the console
#   detach  the backend goes away mid-dump (xl block-detach -f while the
#           crash kernel pauses half-way, kdump_disk_pause_ms=): a line names
#           the failure, the disk says cut, the registers go to the console
#   unplug  a plain xl block-detach (not -f) mid-dump: libxl asks the
#           frontend to close and waits 10 s (then forces it); the crash
#           kernel keeps the disk until its dump is complete, then closes,
#           so the detach succeeds and the fresh kernel finds no disk
# The host then reads each disk file (vmcore-extract --disk, gdb).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CRASH_BOUND=240     # s from the crash to the fresh kernel's "service: ready"

# trailer DEV: "STATE GENERATION" of the dump trailer in DEV's last sector.
trailer() {
    s_=$(cat "/sys/block/${1#/dev/}/size")
    dd if="$1" bs=512 skip=$((s_ - 1)) count=1 2>/dev/null | od -A n -t u4 -j 16 -N 8 | tr -s ' ' |
        sed 's/^ //'
}

# crash_once TAG: crash the domain as its cfg says; wait for the fresh
# kernel; the log since the crash in /tmp/drill.log.
crash_once() {
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    # The console's `crash HOW N` names a logical cpu, which a fresh kernel numbers anew: after
    # the first drill the vCPU is named to Xen (nmi=kdump), unless the cfg says "console".
    via_=$VIA
    [ "$VIA" = mixed ] && via_=$([ $(($2 % 3)) -eq 2 ] && echo console || echo nmi)
    if [ "$via_" = console ]; then
        console_cmd "$DOMID" "crash $HOW 1"
    elif [ "$via_" = nmi ] || [ "$HOW" = nmi ] || [ "$2" -gt 1 ]; then
        xl trigger "$DOMID" nmi "$V"
    else
        console_cmd "$DOMID" "crash $HOW $V"
    fi
    if [ "$KIND" = detach ]; then
        wait_after "$DOMNAME" "$m" 120 "ms half-way (kdump_disk_pause_ms="
        # --force: the backend goes at once, in the middle of the dump.
        timeout 30 xl block-detach -f "$DOMID" "$DISK"
        check "$1: xl block-detach -f $DISK while the crash kernel writes" "rc $?" [ $? -eq 0 ]
    elif [ "$KIND" = unplug ]; then
        wait_after "$DOMNAME" "$m" 120 "ms half-way (kdump_disk_pause_ms="
        t1=$(uptime_s)
        timeout 30 xl block-detach "$DOMID" "$DISK" >/tmp/detach.out 2>&1
        rd_=$?
        check "$1: a plain xl block-detach $DISK mid-dump returns once the dump let the disk go" \
            "rc $rd_ after $(ms_since "$t1") ms: $(tr '\n' ' ' </tmp/detach.out)" [ $rd_ -eq 0 ]
    fi
    # The fresh kernel (kdump_then=kexec), then its service; a line from before it never counts.
    if wait_after "$DOMNAME" "$m" "$CRASH_BOUND" "kexec: generation" "kdump: a second crash"; then
        wait_after "$DOMNAME" "$(($(mark "$DOMNAME") - 40))" 60 "service: ready"
    fi
    ready_ms=$(ms_since "$t0")
    after "$DOMNAME" "$m" >/tmp/drill.log
    ck=$(grep -m1 'kdump: crash kernel on vcpu' /tmp/drill.log)
    if [ "$via_" = console ]; then
        check "$1: the crash kernel runs on the crashed cpu 1's vcpu, $N of $N back" "$ck" \
            grep -q "crash kernel on vcpu [0-9]* (crashed cpu 1, .*): $N of $N vCPUs back" /tmp/drill.log
    else
        check "$1: the crash kernel runs on vcpu $V, $N of $N back" "$ck" \
            grep -q "crash kernel on vcpu $V (crashed cpu [0-9]*, .*): $N of $N vCPUs back" /tmp/drill.log
    fi
}

fresh_checks() {
    fresh=$(grep -m1 'kexec: generation [0-9]* on vcpu' /tmp/drill.log)
    ok_=1
    echo "$fresh" | grep -q ": $N of $N vCPUs back online" && grep -q 'service: ready' /tmp/drill.log && ok_=0
    check "$1: kdump_then=kexec: a fresh kernel serves again ($N of $N)" "$fresh (ready $ready_ms ms after the crash)" \
        [ $ok_ -eq 0 ]
}

disk_checks() {
    on=$(grep -m1 'kdump: vmcore on disk' /tmp/drill.log)
    echo "DUMPDISK-RATE $TAG $on"
    check "$1: the vmcore went to the disk, named with bytes, time and rate" "$on" \
        grep -q "kdump: vmcore on disk '$DISK' (vbd $VBD): [0-9]* bytes in [0-9]* ms, [0-9.]* MB/s" /tmp/drill.log
    check "$1: not on the console" "$(grep -c VMCORE-LINE /tmp/drill.log) VMCORE-LINE lines" \
        [ "$(grep -c 'VMCORE-LINE' /tmp/drill.log)" -eq 0 ]
    gr=$(grep -m1 'kdump: dump disk closed' /tmp/drill.log)
    check "$1: every grant given back" "$gr" grep -q 'dump disk closed: 0 grants still given, 0 could not' /tmp/drill.log
    tr=$(trailer "$DEV")
    check "$1: the trailer on $DEV says complete" "state generation: $tr (previous: ${prev_gen:-none})" \
        [ "${tr%% *}" = 2 -a "${tr#* }" != "${prev_gen:-x}" ]
    prev_gen=${tr#* }
    fresh_checks "$1"
    check "$1: the fresh kernel leaves the disk for its crash kernel" \
        "$(grep "kdump: dump disk '$DISK'" /tmp/drill.log | tail -n 1)" \
        grep -q "kdump: dump disk '$DISK' (vbd $VBD): left for the crash kernel" /tmp/drill.log
    be=$(xenstore-read "/local/domain/0/backend/vbd/$DOMID/$VBD/state")
    check "$1: the backend waits for the next crash kernel (InitWait)" "backend state $be" [ "$be" = 2 ]
}

unplug_checks() {
    on=$(grep -m1 'kdump: vmcore on disk' /tmp/drill.log)
    check "$1: the dump completes before the disk is let go" "$on" [ -n "$on" ]
    check "$1: the trailer on $DEV says complete" "state generation: $(trailer "$DEV")" \
        [ "$(trailer "$DEV" | cut -d' ' -f1)" = 2 ]
    gr=$(grep -m1 'kdump: dump disk closed' /tmp/drill.log)
    check "$1: every grant given back" "$gr" grep -q 'dump disk closed: 0 grants still given, 0 could not' /tmp/drill.log
    check "$1: the disk is gone from the domain" "$(xenstore-ls "/local/domain/$DOMID/device/vbd" 2>&1 | head -n 3)" \
        [ -z "$(xenstore-read "/local/domain/$DOMID/device/vbd/$VBD/state" 2>/dev/null)" ]
    fresh_checks "$1"
    check "$1: the fresh kernel names the missing disk" "$(grep "kdump: dump disk '$DISK'" /tmp/drill.log | tail -n 1)" \
        grep -q "kdump: dump disk '$DISK' (vbd $VBD): no disk device/vbd/$VBD in the domain's config" /tmp/drill.log
}

fallback_checks() {
    case $KIND in
    ro) why="is read-only" ;;
    small) why="is too small: " ;;
    none) why=": no disk device/vbd/$VBD in the domain's config (-2)" ;;
    esac
    n_=$(grep -F "kdump: dump disk '$DISK' (vbd $VBD)$([ "$KIND" = none ] || echo ' ')$why" /tmp/drill.log |
        grep -c -F ": vmcore to the console")
    check "$1: one line names why" "$n_ of: $(grep "kdump: dump disk '$DISK'" /tmp/drill.log)" [ "$n_" -eq 1 ]
    check "$1: the vmcore is on the console instead" "$(grep -m1 'kdump: vmcore written' /tmp/drill.log)" \
        [ "$(grep -c 'VMCORE-END' /tmp/drill.log)" -eq 1 ]
    [ "$KIND" = none ] || check "$1: the disk holds no dump" "trailer: $(trailer "$DEV")" \
        [ "$(trailer "$DEV" | cut -d' ' -f1)" != 2 ]
    fresh_checks "$1"
}

detach_checks() {
    f=$(grep -m1 "kdump: dump disk '$DISK' (vbd $VBD) failed after" /tmp/drill.log)
    check "$1: the failure is named, the dump called cut" "$f" \
        grep -q "failed after [0-9]* of [0-9]* bytes: .*: the disk holds a cut dump" /tmp/drill.log
    check "$1: the registers go to the console" "$(grep -m1 'vmcore=regs on the console' /tmp/drill.log)" \
        [ "$(grep -c 'VMCORE-END' /tmp/drill.log)" -eq 1 ]
    tr=$(trailer "$DEV")
    check "$1: the trailer on $DEV says writing (cut)" "state generation: $tr" [ "${tr%% *}" = 1 ]
    fresh_checks "$1"
}

for CFG in /guest/dumpdisk*.cfg; do
    TAG=$(basename "$CFG" .cfg)
    set -- $(sed -n 's/^# dumpdisk-expect: *//p' "$CFG")
    KIND=${1:-disk} DRILLS=${2:-1} VIA=${3:-}
    V=$(sed -n 's/.*crash_vcpu=\([0-9]*\).*/\1/p' "$CFG")
    HOW=$(sed -n 's/.*crash_how=\([a-z]*\).*/\1/p' "$CFG")
    N=$(sed -n 's/^vcpus *= *\([0-9]*\).*/\1/p' "$CFG")
    DISK=$(sed -n 's/.*kdump_disk=\(xvd[a-z]\).*/\1/p' "$CFG")
    DEV=$(sed -n 's/.*target=\(\/dev\/[a-z]*\).*/\1/p' "$CFG")
    VBD=$((202 * 256 + ($(printf '%d' "'${DISK#xvd}") - 97) * 16))
    prev_gen=
    start_service "$CFG"
    wait_after "$DOMNAME" 0 60 "cpus: online $N [$(seq_ids "$N")]"
    [ "$KIND" = none ] || check "$TAG: boot: the main kernel leaves the dump disk to the crash kernel" \
        "$(grep -m1 'kdump: dump disk' "$(console_log "$DOMNAME")")" \
        grep -q "kdump: dump disk '$DISK' (vbd $VBD): left for the crash kernel" "$(console_log "$DOMNAME")"
    d=1 whole=0
    while [ $d -le "$DRILLS" ]; do
        f0=$STEP_FAILS
        crash_once "$TAG drill $d" "$d"
        case $KIND in
        disk) disk_checks "$TAG drill $d" ;;
        detach) detach_checks "$TAG" ;;
        unplug) unplug_checks "$TAG" ;;
        *) fallback_checks "$TAG" ;;
        esac
        [ "$STEP_FAILS" = "$f0" ] && whole=$((whole + 1))
        d=$((d + 1))
    done
    [ "$DRILLS" -ge 10 ] && check "$TAG: $DRILLS drills in a row, each whole (dump complete, 0 grants left, the backend in InitWait, $N of $N vCPUs)" \
        "$whole of $DRILLS" [ "$whole" -eq "$DRILLS" ]
    shutdown_step "$TAG: xl shutdown powers the fresh kernel off"
    [ -n "$(dom_state "$DOMID")" ] && xl destroy "$DOMID"
done
finish
