#!/bin/sh
# dumpdisk: kdump at disk speed (issue 18).  The crash kernel writes its
# vmcore through minipv's PV block frontend to a dump disk (kdump_disk=)
# that is a host file in the xl bed (run-xl.sh --disk: QEMU virtio-blk in
# dom0, served by xen-blkback); the test reads the file with
# vmcore-extract --disk and gdb, as a user would.  Two boots of the bed
# (scripts/xl/scenarios/dumpdisk.sh, config/xl-dumpdisk*.cfg):
#   drills  a crash on a non-zero vCPU at 2 (twice: the second dump over the
#           first), 9 (xl trigger nmi) and 40 vCPUs; a read-only, a too small
#           and a missing dump disk (the console takes the vmcore)
#   fill    a 256 MiB domU with 128 MiB of pattern (kdump_fill=128) read back
#           through gdb, with the rate; xl block-detach -f mid-dump (cut)
. "$(dirname "$0")/lib.sh"

D=$LOGS/dumpdisk
rm -rf "$D"
mkdir -p "$D"
t_start=$(date +%s)

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

run drills 600 40 "64M 64M 128M 64M 256K" config/xl-dumpdisk.cfg config/xl-dumpdisk-9.cfg \
    config/xl-dumpdisk-40.cfg config/xl-dumpdisk-ro.cfg config/xl-dumpdisk-small.cfg \
    config/xl-dumpdisk-none.cfg
disk_gdb "2 vCPUs, the second drill's dump" "$D/drills-vda.img" 2 2 nmi
# shared_info (Xen's page, in the old kernel's VMAP) changes while the dump is in flight: left out.
g=$(gdb -batch -nx build/minipv "$D/drills-vda.img" -ex 'x/gx xen_shared_info' 2>&1 | tail -n 1)
echo "$g" | grep -q 'Cannot access memory'
ok $? "2 vCPUs: shared_info (written by Xen during the dump) is not in the disk's core" "$g"
disk_gdb "9 vCPUs, nmi on vCPU 8" "$D/drills-vdb.img" 9 9 nmi
disk_gdb "40 vCPUs, panic on vCPU 37" "$D/drills-vdc.img" 40 38
for x in vdd vde; do
    out=$(sh scripts/vmcore-extract --disk "$D/drills-$x.img" 2>&1)
    echo "$out" | grep -q ': no dump: '
    ok $? "the $x disk ($([ $x = vdd ] && echo read-only || echo too small)) holds no dump" "$out"
done
# The checker names what it finds: a byte of the core flipped, the trailer broken.
cp "$D/drills-vda.img" "$D/flip.img"
printf '\377' | dd of="$D/flip.img" bs=1 seek=300000 conv=notrunc 2>/dev/null
out=$(sh scripts/vmcore-extract --disk "$D/flip.img" 2>&1)
echo "$out" | grep -q ': corrupt: the core'
ok $? "vmcore-extract --disk: a byte of the core flipped is corrupt" "$out"
cp "$D/drills-vda.img" "$D/flip.img"
printf '\377' | dd of="$D/flip.img" bs=1 seek=$(($(stat -c %s "$D/flip.img") - 400)) conv=notrunc 2>/dev/null
out=$(sh scripts/vmcore-extract --disk "$D/flip.img" 2>&1)
echo "$out" | grep -q ": corrupt: the trailer's crc32"
ok $? "vmcore-extract --disk: a broken trailer is corrupt" "$out"
rm -f "$D/flip.img"

XL_QEMU_MEM=768 run fill 600 10 "192M 192M" config/xl-dumpdisk-fill.cfg config/xl-dumpdisk-detach.cfg
disk_gdb "256 MiB guest, 128 MiB filled" "$D/fill-vda.img" 2 2
# The pattern at kdump_fill_chunk[c][w] is MAGIC ^ (c << 17 | w): first, middle and last words.
M=0x6d696e6970764d42
g=$(gdb -batch -nx build/minipv "$D/fill-vda.img" -ex 'print kdump_fill_chunks' \
    -ex 'print/x kdump_fill_chunk[0][0]' -ex 'print/x kdump_fill_chunk[64][4096]' \
    -ex 'print/x kdump_fill_chunk[127][131071]' 2>&1)
want=$(printf '$1 = 128\n$2 = 0x%x\n$3 = 0x%x\n$4 = 0x%x' $((M)) $((M ^ (64 << 17 | 4096))) \
    $((M ^ (127 << 17 | 131071))))
[ "$(echo "$g" | grep '^\$')" = "$want" ]
ok $? "gdb reads the 128 MiB pattern back from the disk image" "$(echo "$g" | tail -n 4)"
rate=$(sed -n "s/^DUMPDISK-RATE dumpdisk-fill .*kdump: vmcore on disk/disk/p" "$D/fill.log" | head -n 1)
echo "# 256 MiB guest, 128 MiB filled: $rate"
out=$(sh scripts/vmcore-extract --disk "$D/fill-vdb.img" 2>&1)
echo "$out" | grep -q ': cut: '
ok $? "xl block-detach mid-dump: vmcore-extract --disk says cut" "$out"

echo "# dumpdisk.t took $(($(date +%s) - t_start)) s"
done_testing
