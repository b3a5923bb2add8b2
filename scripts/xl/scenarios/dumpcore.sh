# dump-core scenario (busybox sh inside dom0): `xl dump-core` of a running
# and of a paused minipv (4 of 8 vCPUs up), then a panic on cpu 2 with
# on_crash="coredump-restart": xl writes the core and starts a fresh
# domain, which serves.  The running and the crashed cores travel to the
# host on the console (gzip, base64, one "XLCORE NAME SEQ DATA" line each,
# an md5 at the end), where tests/check/xl.t turns them into ELF cores
# with scripts/xl-core-to-elf and opens them with gdb.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CFG=/guest/dumpcore.cfg
N=4
CRASH_CPU=2
CORE_MIN=33554432           # 32 MiB of pages, plus the headers

# dump_step WHAT FILE: xl dump-core into FILE, timed; prints XL-DUMPCORE for the host.
dump_step() {
    t0=$(uptime_s)
    timeout 120 xl dump-core "$DOMID" "$2" >/tmp/dumpcore.out 2>&1
    r=$?
    ms=$(ms_since "$t0")
    sz=$(stat -c %s "$2" 2>/dev/null || echo 0)
    echo "XL-DUMPCORE $1 ms=$ms bytes=$sz"
    check "xl dump-core of a $1 guest" \
        "rc $r, $sz bytes in $ms ms; $(tail -n 3 /tmp/dumpcore.out | tr '\n' ' ')" \
        [ "$r" -eq 0 -a "$sz" -ge "$CORE_MIN" ]
}

# export_core NAME FILE: the file on the console, framed for the host.
export_core() {
    gzip -1 -c "$2" >/tmp/core.gz || return 1
    sum=$(md5sum </tmp/core.gz | cut -d' ' -f1)
    echo "XLCORE-BEGIN $1 bytes=$(wc -c </tmp/core.gz) md5=$sum"
    base64 /tmp/core.gz | awk -v n="$1" '{ print "XLCORE " n " " NR " " $0 }'
    echo "XLCORE-END $1"
    rm -f /tmp/core.gz
}

start_service "$CFG"
want=$(seq_ids "$N")
wait_after "$DOMNAME" 0 10 "cpus: online $N [$want]"
pub=$(grep -m1 'mm: p2m for the toolstack' "$(console_log "$DOMNAME")")
check "the guest publishes its p2m" "$pub" [ -n "$pub" ]

dump_step running /tmp/running.core
export_core running /tmp/running.core
rm -f /tmp/running.core

xl pause "$DOMID"
dump_step paused /tmp/paused.core
rm -f /tmp/paused.core
xl unpause "$DOMID"
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "cpus"
wait_after "$DOMNAME" "$m" 20 "cpus: online $N [$want]"
r=$?
check "after the paused dump the guest goes on" "$(after "$DOMNAME" "$m" | grep -m1 'cpus: online')" \
    [ $r -eq 0 ]

# A crash goes to Xen (kdump off): xl dumps the core, then restarts the domain.
m=$(mark "$DOMNAME")
old=$DOMID
t0=$(uptime_s)
console_cmd "$DOMID" "crash panic $CRASH_CPU"
wait_after "$DOMNAME" "$m" 120 "service: ready"
r=$?
core=/var/lib/xen/dump/$DOMNAME
sz=$(stat -c %s "$core" 2>/dev/null || echo 0)
DOMID=$(xl domid "$DOMNAME" 2>/dev/null || echo "$old")
echo "XL-DUMPCORE crashed ms=$(ms_since "$t0") bytes=$sz"
check "on_crash=coredump-restart: the core is written and a fresh domain serves" \
    "core $sz bytes, domain $old -> $DOMID, ready: rc $r; $(grep -h 'dumping core\|core dump' /var/log/xen/xl-*.log | tail -n 2 | tr '\n' ' ')" \
    [ "$r" -eq 0 -a "$sz" -ge "$CORE_MIN" -a "$DOMID" != "$old" ]
export_core crashed "$core"
rm -f "$core"
shutdown_step "after the crash dump: xl shutdown powers the fresh domain off"
finish
