# save/restore scenario (busybox sh inside dom0; config/xl-service.cfg:
# vcpus=4, maxvcpus=8, test=service, kexec armed).  xl save -c (the same
# domain goes on), then cold migrations: xl save, xl restore (a new domain),
# each followed by the whole-machine check (test smp on the console), then
# xl vcpu-set 8 (vCPUs offline at the save need VCPUOP_initialise in the new
# domain), a save with vCPU 0 offline, a suspend written into control/shutdown
# by hand (no xl: ignored, the guest goes on), kexec after a restore, and
# xl shutdown.  Each check prints an XL-STEP line (tests/check/saverestore.t).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

IMG=/tmp/minipv.save
SR_BOUND=${SR_BOUND:-60}     # s for a save or a restore and minipv's line after it
ROUNDS=${SR_ROUNDS:-3}

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

checkpoint
machine_check "after xl save -c"

i=1
while [ $i -le "$ROUNDS" ]; do
    migrate_cold "$i" "$want"
    machine_check "after cold migration $i"
    i=$((i + 1))
done

# vCPUs 4-7 were offline at every save: in the new domain they need VCPUOP_initialise.
if vcpu_set 8; then step ok "after restore: xl vcpu-set 8 (offline vCPUs initialised again)" "$WHY"
else step not-ok "after restore: xl vcpu-set 8 (offline vCPUs initialised again)" "$WHY"; fi
machine_check "after vcpu-set 8"

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
wait_after "$DOMNAME" "$m" 60 "service: ready" "PANIC"
r=$?
gen=$(after "$DOMNAME" "$m" | grep -m1 'kexec: generation 1 on vcpu')
check "after restores: kexec 2 works, the new kernel on vcpu 2 with 8 of 8 back" "$gen" \
    [ $r -eq 0 ] && echo "$gen" | grep -q '8 of 8'

shutdown_step "after save/restore: xl shutdown powers minipv off"
finish
