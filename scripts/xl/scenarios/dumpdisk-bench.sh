# dump-throughput bench scenario (busybox sh inside dom0), run by
# bench/dumpdisk.  Each /guest/dumpbench-S.cfg is a minipv with S MiB of
# pattern (kdump_fill=S) and the dump disk xvdb (dom0's /dev/vda, a host
# file); for each, in one guest life:
#   reboot    xl reboot -> the new domain's "service: ready" (a plain reboot)
#   dumpcore  xl dump-core of the running guest onto /dev/vdb (a disk: dom0
#             has no room for the file), bytes = the domain's memory
#   disk      crash panic 1 -> the crash kernel's "vmcore on disk" line (the
#             write), and its "bench: vmcore" line (crash -> written)
#   ready     crash -> dump complete -> the fresh kernel's "service: ready"
# /guest/dumpbench-console.cfg has no dump disk: its vmcore goes to the
# console (rate only; bench/dumpdisk scales it to each size).
# Prints "BENCH-DUMP size=S what=W bytes=B ms=M" lines for the host.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

BOUND=300       # s for any one wait: a 256 MiB fill, dump and fresh boot under TCG

# wait_new_domain OLDID T0: the domain's id once xl restarted it under a new one.
wait_new_domain() {
    while :; do
        id_=$(xl domid "$DOMNAME" 2>/dev/null)
        [ -n "$id_" ] && [ "$id_" != "$1" ] && { DOMID=$id_; return 0; }
        timed_out "$2" 60 && return 1
        sleep 0.1
    done
}

plain_reboot() {
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    xl reboot "$DOMID"
    ok_=1
    wait_new_domain "$DOMID" "$t0" && wait_after "$DOMNAME" "$m" "$BOUND" "service: ready" && ok_=0
    ms=$(ms_since "$t0")
    echo "BENCH-DUMP size=$1 what=reboot bytes=0 ms=$ms"
    check "$TAG: xl reboot -> service ready" "$ms ms" [ $ok_ -eq 0 ]
}

dump_core() {
    mem=$(xl list "$DOMID" | awk 'NR == 2 { print $3 }')
    t0=$(uptime_s)
    timeout "$BOUND" xl dump-core "$DOMID" /dev/vdb >/tmp/dumpcore.out 2>&1
    r=$?
    ms=$(ms_since "$t0")
    echo "BENCH-DUMP size=$1 what=dumpcore bytes=$((mem * 1048576)) ms=$ms"
    check "$TAG: xl dump-core onto /dev/vdb" "rc $r, $mem MiB in $ms ms $(tail -n 2 /tmp/dumpcore.out)" [ $r -eq 0 ]
}

crash_dump() {
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    console_cmd "$DOMID" "crash panic 1"
    ok_=1
    if wait_after "$DOMNAME" "$m" "$BOUND" "kexec: generation" "kdump: a second crash"; then
        wait_after "$DOMNAME" "$(($(mark "$DOMNAME") - 40))" 60 "service: ready" && ok_=0
    fi
    ms=$(ms_since "$t0")
    on=$(after "$DOMNAME" "$m" | grep -m1 "$2")
    bytes=$(echo "$on" | sed -n 's/.*: \([0-9]*\) bytes in \([0-9]*\) ms.*/\1/p')
    wms=$(echo "$on" | sed -n 's/.*: \([0-9]*\) bytes in \([0-9]*\) ms.*/\2/p')
    echo "BENCH-DUMP size=$1 what=$3 bytes=${bytes:-0} ms=${wms:-0}"
    if [ "$3" = disk ]; then
        echo "BENCH-DUMP size=$1 what=ready bytes=0 ms=$ms"
        # From the crash itself: the stop, the plan (every old page read once) and the write.
        e2e=$(after "$DOMNAME" "$m" | sed -n 's/.*bench: vmcore .*crash_to_written_ms=\([0-9]*\).*/\1/p' | head -n 1)
        echo "BENCH-DUMP size=$1 what=disk_e2e bytes=${bytes:-0} ms=${e2e:-0}"
    fi
    check "$TAG: crash -> vmcore ($3) -> fresh kernel ready" "$ms ms; $on" [ $ok_ -eq 0 -a -n "$bytes" ]
}

for CFG in /guest/dumpbench-*.cfg; do
    TAG=$(basename "$CFG" .cfg)
    S=${TAG#dumpbench-}
    start_service "$CFG"
    if [ "$S" = console ]; then
        crash_dump "$S" "kdump: vmcore written: " console
    else
        plain_reboot "$S"
        dump_core "$S"
        crash_dump "$S" "kdump: vmcore on disk" disk
    fi
    xl destroy "$DOMID"
done
finish
