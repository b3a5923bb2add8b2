# Lifecycle scenario (busybox sh inside dom0): xl reboot restarts minipv
# (on_reboot="restart"), xl shutdown ends it (on_poweroff="destroy"), both
# within a bound; xl destroy of a guest keeping all its vCPUs busy leaves
# dom0 healthy.  Configs: /guest/service.cfg, /guest/busy.cfg.
# Each check prints an XL-STEP line (tests/check/xl.t makes them TAP).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

REBOOT_BOUND=60     # s from xl reboot to the new domain's "service: ready"
SHUTDOWN_BOUND=30   # s from xl shutdown to the domain being gone
DESTROY_BOUND=15    # s from xl destroy to the domain being gone

finish() {
    for d_ in minipv-svc minipv-busy; do
        dump_console "$d_"
        dom_exists "$d_" && xl destroy "$d_"
    done
    log "$STEP_FAILS failed step(s)"
    exit $((STEP_FAILS > 0))
}

start_service /guest/service.cfg

# ---- xl reboot: the guest acts on control/shutdown=reboot, xl restarts it ----
m=$(mark "$DOMNAME")
t0=$(uptime_s)
xl reboot "$DOMID"
r=$?
newid=""
while :; do
    id_=$(xl domid "$DOMNAME" 2>/dev/null)
    [ -n "$id_" ] && [ "$id_" != "$DOMID" ] && { newid=$id_; break; }
    timed_out "$t0" "$REBOOT_BOUND" && break
    sleep 0.1
done
restart_ms=$(ms_since "$t0")
ready=1
[ -n "$newid" ] && wait_after "$DOMNAME" "$m" "$REBOOT_BOUND" "service: ready" && ready=0
ready_ms=$(ms_since "$t0")
said=$(after "$DOMNAME" "$m" | grep -c "control: reboot now")
check "xl reboot: guest reboots and comes back" \
    "xl reboot rc $r; domain $DOMID -> ${newid:-none} in $restart_ms ms, service ready again after $ready_ms ms; 'control: reboot now' seen: $said" \
    [ $r -eq 0 -a -n "$newid" -a $ready -eq 0 -a "$said" -ge 1 ]
[ -n "$newid" ] && DOMID=$newid
# Read both views until they settle (10 s at most), then judge the values read.
t1=$(uptime_s)
while :; do
    g_=$(guest_online "$DOMNAME" "$m")
    x_=$(xl_online "$DOMID")
    [ "$g_" = "0 1 2 3" ] && [ "$x_" = "0 1 2 3" ] && break
    timed_out "$t1" 10 && break
    sleep 0.2
done
check "xl reboot: restarted guest honours availability (4 of 8)" "minipv [$g_] xl [$x_]" \
    [ "$g_" = "0 1 2 3" -a "$x_" = "0 1 2 3" ]

# ---- xl shutdown: poweroff, the domain goes away ----
m=$(mark "$DOMNAME")
t0=$(uptime_s)
# Not `xl shutdown -w`: its waiting half once died in dom0 with "malloc():
# corrupted top size" (an xl abort after the domain was already gone; the
# bed's dom0 corruption, fixed since: scripts/xl/README.md).
timeout "$SHUTDOWN_BOUND" xl shutdown "$DOMID"
r=$?
wait_gone "$DOMID" "$SHUTDOWN_BOUND"
g=$?
gone_ms=$(ms_since "$t0")
said=$(after "$DOMNAME" "$m" | grep -c "control: poweroff now")
check "xl shutdown: guest powers off, domain gone within ${SHUTDOWN_BOUND}s" \
    "gone after $gone_ms ms, 'control: poweroff now' seen: $said" \
    [ $g -eq 0 -a "$said" -ge 1 ]
# xl's own exit status, apart: xl used to abort in its heap ("malloc():
# corrupted top size", rc 134) after the guest acknowledged and went away.
# That was not Debian's xl but the bed (lazy FPU switching under TCG,
# scripts/xl/README.md); the TODO branch stays so a recurrence shows.
if [ $r -eq 0 ]; then
    step ok "xl shutdown: xl exits 0" "rc 0"
elif [ $r -eq 134 ] && [ $g -eq 0 ]; then
    step todo "xl shutdown: xl exits 0" "rc 134: xl aborted after the domain was gone (dom0 corruption? scripts/xl/README.md)"
else
    step not-ok "xl shutdown: xl exits 0" "rc $r"
fi

# ---- xl destroy of a busy guest ----
create /guest/busy.cfg || { step not-ok "create busy guest" "xl create failed"; finish; }
wait_console "$DOMID" "$DOMNAME" "service: ready" "PANIC" 60
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "burn 300"
wait_after "$DOMNAME" "$m" 20 "shell: burn: all 4 online cpus busy"
r=$?
sleep 2
xl vcpu-list "$DOMID"
busy=$(xl vcpu-list "$DOMID" | awk 'NR > 1 && $5 ~ /r/ { n++ } END { print n + 0 }')
check "busy guest: burn started" "$(after "$DOMNAME" "$m" | grep -m1 'burn:'); $busy vCPU(s) running at one sample" [ $r -eq 0 ]
t0=$(uptime_s)
timeout "$DESTROY_BOUND" xl destroy "$DOMID"
r=$?
wait_gone "$DOMID" "$DESTROY_BOUND"
g=$?
check "xl destroy of the busy guest: gone within ${DESTROY_BOUND}s" "rc $r, gone after $(ms_since "$t0") ms" \
    [ $r -eq 0 -a $g -eq 0 ]
xl list >/tmp/list.out 2>&1
rl=$?
xl info >/tmp/info.out 2>&1
ri=$?
others=$(awk 'NR > 1 && $1 != "Domain-0"' /tmp/list.out | wc -l)
left=$(xenstore-list /local/domain 2>/dev/null | tr '\n' ' ')
check "dom0 healthy after destroy: xl list, xl info work, no domain left" \
    "xl list rc $rl, xl info rc $ri, $others other domain(s), /local/domain: $left" \
    [ $rl -eq 0 -a $ri -eq 0 -a "$others" -eq 0 -a "$left" = "0 " ]
cat /tmp/list.out
grep -E '^(nr_cpus|free_memory|xen_version)' /tmp/info.out
finish
