# save/restore scenario (busybox sh inside dom0).  Cold migrations are xl
# save then xl restore: a live migration's last step as the guest sees it
# (live migration itself cannot run here: scripts/xl/README.md).
#   1 vCPU (save1.cfg) and 40 of 48 (save40.cfg, past the 32 shared_info
#   vcpu_info slots): xl save -c, one cold migration, the whole-machine check.
#   4 of 8 (service.cfg, kexec armed): a suspend written into control/shutdown
#   by hand (no xl: ignored, the guest goes on); two xl save -c at once; xl
#   save -c; SR_ROUNDS cold migrations in a row, the whole-machine check
#   (test smp: every vCPU runs, IPIs, timers) after each; xl vcpu-set 8 (the
#   vCPUs offline at the saves need VCPUOP_initialise in the new domain); a
#   save and a migration while xl vcpu-set toggles vCPUs; a migration with
#   vCPU 0 offline; kexec after the restores; a migration of the kexec'd
#   kernel; a crash on vCPU 3 after it (kdump: the host reads the vmcore
#   with gdb); xl shutdown.
# Each check prints an XL-STEP line (tests/check/saverestore.t).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

IMG=/tmp/minipv.save
SR_BOUND=${SR_BOUND:-60}     # s for a save or a restore and minipv's line after it
ROUNDS=${SR_ROUNDS:-10}

# machine_check WHAT: the whole-machine suite on the console passes.
machine_check() {
    m_=$(mark "$DOMNAME")
    console_cmd "$DOMID" "test smp"
    wait_after "$DOMNAME" "$m_" 60 "shell: test smp done" "PANIC"
    r_=$?
    res_=$(after "$DOMNAME" "$m_" | grep -m1 'shell: test smp done')
    fails_=$(after "$DOMNAME" "$m_" | grep -c '^.*not ok')
    check "$1: test smp on every vCPU" "$res_; $fails_ 'not ok' line(s)" \
        [ $r_ -eq 0 -a "$fails_" -eq 0 ]
    echo "$res_" | grep -q 'SUCCESS' || after "$DOMNAME" "$m_" | grep 'not ok' | head -n 5
}

# guest_agrees WHAT IDS: minipv's last cpus line and xl vcpu-list both say IDS.
guest_agrees() {
    g_=$(guest_online "$DOMNAME") x_=$(xl_online "$DOMID")
    check "$1: minipv and xl vcpu-list agree on vcpus $2" "minipv [$g_] xl [$x_]" \
        [ "$g_" = "$2" -a "$x_" = "$2" ]
}

# event_check NAME TIMEOUT OK FAIL LINE PATTERN: past mark $m, OK comes (not FAIL),
# and the first line holding LINE matches PATTERN.
event_check() {
    wait_after "$DOMNAME" "$m" "$2" "$3" "$4"
    r_=$?
    l_=$(after "$DOMNAME" "$m" | grep -m1 "$5")
    echo "$l_" | grep -q "$6"
    check "$1" "$l_" [ $r_ -eq 0 -a $? -eq 0 ]
}

# hotplug_load LOW: the toolstack toggles vCPUs LOW <-> 8 in the background (pid PL).
hotplug_load() {
    ( i_=0; while [ $i_ -lt 40 ]; do xl vcpu-set --ignore-host "$DOMID" "$1" 2>/dev/null
      xl vcpu-set --ignore-host "$DOMID" 8 2>/dev/null; i_=$((i_ + 1)); done ) &
    PL=$!
    sleep 1
}

# checkpoint: xl save -c; minipv says it goes on in the same domain.
checkpoint() {
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    timeout "$SR_BOUND" xl save -c "$DOMID" "$IMG" >/tmp/save.out 2>&1
    rs=$?
    wait_after "$DOMNAME" "$m" "$SR_BOUND" "suspend: back in the same domain" "PANIC"
    r=$?
    line=$(after "$DOMNAME" "$m" | grep -m1 'suspend: back in')
    check "xl save -c: the guest goes on and knows it was checkpointed" \
        "xl rc $rs after $(ms_since "$t0") ms; $line; state $(dom_state "$DOMID")" \
        [ $rs -eq 0 -a $r -eq 0 ]
    [ $rs -eq 0 ] || cat /tmp/save.out
    rm -f "$IMG"
}

# migrate_cold N IDS: xl save then xl restore; minipv back in a new domain with IDS.
migrate_cold() {
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    timeout "$SR_BOUND" xl save "$DOMID" "$IMG" >/tmp/save.out 2>&1
    rs=$?
    save_ms=$(ms_since "$t0")
    gone=$(dom_state "$DOMID")
    t1=$(uptime_s)
    timeout "$SR_BOUND" xl restore "$IMG" >/tmp/restore.out 2>&1
    rr=$?
    rest_ms=$(ms_since "$t1")
    rm -f "$IMG"
    DOMID=$(xl domid "$DOMNAME" 2>/dev/null)
    wait_after "$DOMNAME" "$m" "$SR_BOUND" "suspend: back in a new domain" "PANIC"
    r=$?
    line=$(after "$DOMNAME" "$m" | grep -m1 'suspend: back in')
    n=$(echo "$2" | wc -w)
    check "cold migration $1: xl save + xl restore, back in a new domain with $n of $n" \
        "save rc $rs ($save_ms ms, domain after: '${gone}'), restore rc $rr ($rest_ms ms), domid ${DOMID:-?}; $line" \
        [ $rs -eq 0 -a $rr -eq 0 -a $r -eq 0 -a -z "$gone" ]
    if [ $rs -ne 0 ] || [ $rr -ne 0 ]; then cat /tmp/save.out /tmp/restore.out; fi
    echo "$line" | grep -q "$n of $n vCPUs back \[$2\]"
    check "cold migration $1: every vCPU back, ids [$2]" "$line" [ $? -eq 0 ]
    wait_after "$DOMNAME" "$m" 10 "cpus: online $n [$2] (after suspend)"
    [ -n "${3:-}" ] || guest_agrees "cold migration $1" "$2"
}

# topo_table: the console's `topo` table, without the state column (cpu vcpu apic pkg die core thread).
topo_table() {
    m_=$(mark "$DOMNAME")
    console_cmd "$DOMID" "topo"
    wait_after "$DOMNAME" "$m_" 20 "topology: cpu vcpu apic"
    sleep 1
    after "$DOMNAME" "$m_" | sed -n 's/.*topology: *\([0-9][0-9 ]*\) [A-Z].*/\1/p' |
        awk '{ print $1, $2, $3, $4, $5, $6, $7 }'
}

# small_guest CFG N: xl save -c, a cold migration and the whole-machine check at N vCPUs.
small_guest() {
    start_service "$1"
    ids_=$(seq_ids "$2")
    wait_after "$DOMNAME" 0 20 "cpus: online $2 [$ids_]"
    checkpoint
    machine_check "$2 vCPUs: after xl save -c"
    migrate_cold "at $2 vCPUs" "$ids_"
    machine_check "$2 vCPUs: after a cold migration"
    shutdown_step "$2 vCPUs: xl shutdown after the migration"
}

small_guest /guest/save1.cfg 1
small_guest /guest/save40.cfg 40

start_service /guest/service.cfg
want=$(seq_ids 4)
wait_after "$DOMNAME" 0 10 "cpus: online 4 [$want]"
m=$(mark "$DOMNAME")
xl list "$DOMID"
grep -q 'feature-suspend (evtchn [1-9]' "$(console_log "$DOMNAME")"
check "minipv offers feature-suspend and a suspend event channel" \
    "$(grep -m1 'control: xenstore on evtchn' "$(console_log "$DOMNAME")")" [ $? -eq 0 ]

# A suspend written by hand (no xl): not from xl, the guest goes on.
m=$(mark "$DOMNAME")
xenstore-write "/local/domain/$DOMID/control/shutdown" suspend
wait_after "$DOMNAME" "$m" 20 "not from xl" "PANIC"
r=$?
sleep 1
check "control/shutdown=suspend by hand: named, ignored, the guest goes on" \
    "$(after "$DOMNAME" "$m" | grep -m1 'suspend'); state $(dom_state "$DOMID")" \
    [ $r -eq 0 -a -n "$(dom_state "$DOMID")" ]
machine_check "after a hand-written suspend"

# Two saves at once: libxl lets one through; the guest answers that one and goes on.
m=$(mark "$DOMNAME")
timeout "$SR_BOUND" xl save -c "$DOMID" /tmp/a.save >/tmp/a.out 2>&1 &
pa=$!
timeout "$SR_BOUND" xl save -c "$DOMID" /tmp/b.save >/tmp/b.out 2>&1
rb=$?
wait $pa
ra=$?
rm -f /tmp/a.save /tmp/b.save
wait_after "$DOMNAME" "$m" 20 "suspend: back in the same domain"
n_=$(after "$DOMNAME" "$m" | grep -c 'suspend: back in the same domain')
check "two xl save -c at once: at least one succeeds, the guest goes on with every vCPU" \
    "xl rc $ra and $rb; $n_ suspend(s) seen; state $(dom_state "$DOMID")" \
    [ \( $ra -eq 0 -o $rb -eq 0 \) -a "$n_" -ge 1 -a -n "$(dom_state "$DOMID")" ]
guest_agrees "after two saves at once" "$want"

topo_before=$(topo_table)
checkpoint
machine_check "after xl save -c"

i=1
while [ $i -le "$ROUNDS" ]; do
    migrate_cold "$i" "$want"
    machine_check "after cold migration $i"
    i=$((i + 1))
done

topo_after=$(topo_table)
check "after $ROUNDS cold migrations: the id map, every APIC ID and the topology are unchanged" \
    "$(echo "$topo_before" | wc -l) rows before, $(echo "$topo_after" | wc -l) after; first: $(echo "$topo_after" | head -n 1)" \
    [ -n "$topo_before" -a "$topo_before" = "$topo_after" ]

# vCPUs 4-7 were offline at every save: in the new domain they need VCPUOP_initialise.
if vcpu_set 8; then step ok "after restore: xl vcpu-set 8 (offline vCPUs initialised again)" "$WHY"
else step not-ok "after restore: xl vcpu-set 8 (offline vCPUs initialised again)" "$WHY"; fi
machine_check "after vcpu-set 8"

# A checkpoint and a migration while the toolstack toggles vCPUs (hotplug load).
hotplug_load 5
checkpoint
kill $PL 2>/dev/null
wait $PL 2>/dev/null
sleep 1
vcpu_set 8 || true
machine_check "after a checkpoint under hotplug load"
hotplug_load 6
m=$(mark "$DOMNAME")
timeout "$SR_BOUND" xl save "$DOMID" "$IMG" >/tmp/save.out 2>&1
rs=$?
kill $PL 2>/dev/null
wait $PL 2>/dev/null
timeout "$SR_BOUND" xl restore "$IMG" >/tmp/restore.out 2>&1
rr=$?
rm -f "$IMG"
DOMID=$(xl domid "$DOMNAME" 2>/dev/null)
wait_after "$DOMNAME" "$m" "$SR_BOUND" "suspend: back in a new domain" "PANIC"
r=$?
check "a cold migration under hotplug load" "save rc $rs, restore rc $rr; $(after "$DOMNAME" "$m" | grep -m1 'suspend: back in')" \
    [ $rs -eq 0 -a $rr -eq 0 -a $r -eq 0 ]
sleep 1
if vcpu_set 8; then step ok "after it: xl vcpu-set 8" "$WHY"; else step not-ok "after it: xl vcpu-set 8" "$WHY"; fi
machine_check "after a migration under hotplug load"

# vCPU 0 offline at the save: it comes up to make the call, and goes down again.
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "offline 0"
wait_after "$DOMNAME" "$m" 20 "shell: offline 0: done"
m0=$(mark "$DOMNAME")
migrate_cold "vcpu0-off" "1 2 3 4 5 6 7" no-agree
# libxl writes back cpu/0/availability = online (only xl vcpu-set changes it):
# vCPU 0 comes back by the availability rescan, through VCPUOP_initialise.
wait_after "$DOMNAME" "$m0" 20 "cpus: online 8 [0 1 2 3 4 5 6 7] (changed"
r=$?
check "after that: vCPU 0 comes back by the availability libxl wrote back (VCPUOP_initialise)" \
    "$(after "$DOMNAME" "$m0" | grep -a 'smp: cpu 0 (vcpu 0)' | tr '\n' ' ')" [ $r -eq 0 ]
guest_agrees "after the vCPU 0 migration" "$(seq_ids 8)"
machine_check "after a migration with vCPU 0 offline"

# kexec after a restore: the region was rebuilt for the new mfns.
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "kexec 2"
event_check "after restores: kexec 2 works, the new kernel on vcpu 2 with 8 of 8 back" 60 \
    "service: ready" "PANIC" 'kexec: generation 1 on vcpu' 'on vcpu 2: 8 of 8' 
wait_after "$DOMNAME" "$m" 10 "cpus: online 8"

# The kexec'd kernel migrates too, then crashes on vCPU 3: kdump, the vmcore on
# the console (saverestore.t reads it with gdb), a fresh kernel serves.
migrate_cold "of the kexec'd kernel" "$(seq_ids 8)"
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "crash panic 3"
event_check "after a migration: a crash on vcpu 3 goes to the crash kernel there, 8 of 8 back" \
    240 "kexec: generation 3 on vcpu" "kdump: a second crash" 'kdump: crash kernel on vcpu' \
    'crash kernel on vcpu 3 .*: 8 of 8 vCPUs back' 
ends=$(after "$DOMNAME" "$m" | grep -c 'VMCORE-END')
check "after a migration: the vmcore is on the console" "$ends end marker(s)" [ "$ends" -eq 1 ]
wait_after "$DOMNAME" "$m" 60 "service: ready on"

shutdown_step "after save/restore: xl shutdown powers minipv off"
finish
