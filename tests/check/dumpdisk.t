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
#           through gdb, with the rate (through persistent grants; the 9-vCPU
#           drill without); xl block-detach -f mid-dump (cut)
. "$(dirname "$0")/lib.sh"

D=$LOGS/dumpdisk
rm -rf "$D"
mkdir -p "$D"
t_start=$(date +%s)
. tests/check/dumpdisk-lib.sh

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
# Both paths: the copy through persistent grants (the default, when blkback offers them) and
# each page's own frame granted (kdump_disk_persistent=no, the 9-vCPU drill).
echo "$rate" | grep -q 'persistent grants yes, [1-9][0-9]* pages)'
ok $? "the 128 MiB dump went through persistent grants" "$rate"
r9=$(grep -h '^DUMPDISK-RATE dumpdisk-9 ' "$D"/drills.log | head -n 1)
echo "$r9" | grep -q 'persistent grants no (kdump_disk_persistent=no), 0 pages)'
ok $? "kdump_disk_persistent=no: the 9-vCPU dump granted its pages' own frames" "$r9"
out=$(sh scripts/vmcore-extract --disk "$D/fill-vdb.img" 2>&1)
echo "$out" | grep -q ': cut: '
ok $? "xl block-detach mid-dump: vmcore-extract --disk says cut" "$out"

echo "# dumpdisk.t took $(($(date +%s) - t_start)) s"
done_testing
