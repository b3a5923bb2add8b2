#!/bin/sh
# dumpdisk-drills: the dump disk (issue 18) over and over, in one boot of the
# xl bed (scripts/xl/scenarios/dumpdisk.sh):
#   20      20 crash drills in a row on a small guest, each dump over the
#           last: every dump complete (trailer, then vmcore-extract and gdb
#           on the last), every grant given back, none left mapped, the
#           backend back in InitWait, every vCPU back, each time; drills
#           2, 5 ... 20 are `crash panic 1` on the console, the others
#           `xl trigger DOM nmi 1`, so an NMI comes after an NMI's dump too
#           (two in a row were taken for a crash loop: SHUTDOWN_crash)
#   unplug  a plain xl block-detach (not -f) mid-dump: the dump completes,
#           the disk is let go, the detach succeeds, the fresh kernel names
#           the missing disk
. "$(dirname "$0")/lib.sh"

D=$LOGS/dumpdisk-drills
rm -rf "$D"
mkdir -p "$D"
t_start=$(date +%s)
. tests/check/dumpdisk-lib.sh

run drills 600 150 "64M 64M" config/xl-dumpdisk-20.cfg config/xl-dumpdisk-unplug.cfg
# Drill 20 is `crash panic 1` on the console: which vCPU is cpu 1 changes with each fresh kernel.
v=$(sed -n 's/.*dumpdisk-20 drill 20: the crash kernel runs.*panic on cpu 1 (vcpu \([0-9]*\)).*/\1/p' \
    "$D/drills.steps")
disk_gdb "the 20th drill's dump" "$D/drills-vda.img" 2 $((${v:-0} + 1))
out=$(sh scripts/vmcore-extract --disk "$D/drills-vdb.img" 2>&1)
echo "$out" | grep -q ': complete: '
ok $? "a plain xl block-detach mid-dump: vmcore-extract --disk says complete" "$out"

echo "# dumpdisk-drills.t took $(($(date +%s) - t_start)) s"
done_testing
