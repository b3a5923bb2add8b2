#!/bin/sh
# xl: minipv as a PV domU under the real toolstack (QEMU -> Xen 4.17 -> Debian
# dom0 with xl, xenstored, xenconsoled; scripts/xl/README.md).  Two boots:
#   hotplug.sh    vcpus=4/maxvcpus=8 agree with xl; xl vcpu-set 8 1 8 2 8 and
#                 50 seeded random steps; malformed xenstore values; console
#                 commands; xl trigger nmi; vCPU 0 offline and back
#   lifecycle.sh  xl reboot (restart), xl shutdown, xl destroy of a busy guest
#   dumpcore.sh   xl dump-core of a running, a paused and a crashed guest
#                 (on_crash=coredump-restart); the cores through xl-core-to-elf into gdb
#   nmi.sh        xl trigger nmi at an offline vCPU: ignored at bring-up, and
#                 across a kexec (about 45 s)
# Each scenario step prints "XL-STEP ok|not-ok|todo NAME -- DETAIL"; each
# becomes one TAP line here.  The whole file must stay within 10 minutes.
. "$(dirname "$0")/lib.sh"

XL_BUDGET=${XL_BUDGET:-600}
t_start=$(date +%s)

run_scenario hotplug 420 config/xl-service.cfg
run_scenario lifecycle 240 config/xl-service.cfg config/xl-busy.cfg
run_scenario kexec 240 config/xl-service.cfg
run_scenario drill 420 config/xl-kdump.cfg
# The vmcore comes out of the console log the scenario printed; gdb opens it.
vmcore_gdb "xl kdump" "$LOGS/xl-drill.log" "$LOGS/xl-kdump.core" 4 4

run_scenario dumpcore 480 config/xl-dumpcore.cfg
# Each core came out on the console (XLCORE lines, gzip + base64): back into
# the file, through scripts/xl-core-to-elf, into gdb.
sed -n 's/^XL-DUMPCORE \([a-z]*\) ms=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2 \3/p' "$LOG" |
    while read -r what ms bytes; do
        case $what in
        crashed) echo "# on_crash=coredump-restart: $bytes bytes; crash to the fresh domain's ready $ms ms" ;;
        *) [ "$bytes" -gt 0 ] && echo "# xl dump-core ($what): $bytes bytes in $ms ms, $((ms * 1048576 / bytes)) ms per MiB" ;;
        esac
    done
# xlcore_gdb WHAT: the core WHAT as gdb sees it (sets G), or a failed step.
xlcore_gdb() {
    base=$LOGS/xl-dumpcore-$1
    want=$(sed -n "s/^XLCORE-BEGIN $1 bytes=[0-9]* md5=\([0-9a-f]*\).*/\1/p" "$LOG")
    sed -n "s/^XLCORE $1 [0-9]* //p" "$LOG" | base64 -d >"$base.gz" 2>/dev/null
    got=$(md5sum <"$base.gz" | cut -d' ' -f1)
    out=$(gunzip -c "$base.gz" >"$base.xc" 2>&1 && sh scripts/xl-core-to-elf "$base.xc" "$base.elf" 2>&1)
    [ $? -eq 0 ] && [ ${#want} -eq 32 ] && [ "$want" = "$got" ]
    ok $? \
        "xl dump-core ($1): off the console (md5 ${want:-?}) and through xl-core-to-elf" "got md5 $got; $out"
    G=$(gdb -batch -nx build/minipv "$base.elf" -ex 'info threads' -ex bt -ex 'print nr_cpus' 2>&1)
    TH=$(echo "$G" | grep -cE '^[* ] +[0-9]+ +LWP')
    FIRST=$(echo "$G" | grep -E '^\* +1 +LWP' | awk '{ print $4 }')
}
xlcore_gdb running
ok $((TH == 4 ? 0 : 1)) "xl dump-core (running): gdb shows a thread per initialised vCPU (4 of 8)" \
    "$TH threads, first LWP ${FIRST:-?}: $(echo "$G" | head -n 12)"
echo "$G" | grep -q '^\$1 = 8$'
ok $? "xl dump-core (running): gdb: print nr_cpus = 8" "$(echo "$G" | tail -n 2)"
xlcore_gdb crashed
ok $((TH == 4 && ${FIRST:-0} == 3 ? 0 : 1)) \
    "xl dump-core (crashed): 4 threads, the crashed vCPU 2 first (LWP 3)" "$TH threads, first LWP ${FIRST:-?}"
echo "$G" | grep -qE '^#[0-9]+ .* (panic|crash_thread) '
ok $? "xl dump-core (crashed): gdb's backtrace of it goes through the panic" "$(echo "$G" | grep '^#' | head -n 12)"
# xl trigger nmi at an offline vCPU, then online it, then across a kexec (issue 19 items 1, 2).
run_scenario nmi 240 config/xl-kdump.cfg

total=$(($(date +%s) - t_start))
ok $((total <= XL_BUDGET ? 0 : 1)) "xl suite within $XL_BUDGET s (took $total s)"

done_testing
