# NMI scenario (busybox sh inside dom0; config/xl-kdump.cfg: vcpus=4,
# nmi=kdump).  `xl trigger DOM nmi 3` at an offline vCPU 3 (issue 19):
#   - then `online 3`: minipv says the NMI was taken at bring-up and ignored,
#     no crash (item 2);
#   - then `kexec 0` with vCPU 3 still offline: the old kernel, past its point
#     of no return, does not act on it; the new kernel says vCPU 3 came over
#     carrying it; one jump, no crash, the domain serves on (item 1).
# Each check prints an XL-STEP line (tests/check/xl.t).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

JUMP_BOUND=90       # s from `kexec 0` to the new kernel's "service: ready"

start_service /guest/kdump.cfg
wait_after "$DOMNAME" 0 10 "cpus: online 4 [0 1 2 3]"

# offline_nmi: cpu 3 offline, then xl trigger nmi 3 (rc 0: Xen latches it).
offline_nmi() {
    m_=$(mark "$DOMNAME")
    console_cmd "$DOMID" "offline 3"
    wait_after "$DOMNAME" "$m_" 20 "shell: offline 3: done"
    d_=$?
    xl trigger "$DOMID" nmi 3
    t_=$?
    sleep 1
    crashed_=$(after "$DOMNAME" "$m_" | grep -c "kdump: crash on")
    check "$1: offline 3, xl trigger nmi 3: nothing happens yet" \
        "offline wait $d_, xl trigger rc $t_, crash lines $crashed_" \
        [ $d_ -eq 0 -a $t_ -eq 0 -a "$crashed_" -eq 0 ]
}

offline_nmi "bring-up"
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "online 3"
wait_after "$DOMNAME" "$m" 20 "NMI received while offline, taken at bring-up: ignored" "kdump: crash on"
r=$?
sleep 1
check "online 3: the NMI is taken at bring-up, ignored and said; no crash" \
    "$(after "$DOMNAME" "$m" | grep -a -m1 'NMI received') (wait $r, crash lines $(after "$DOMNAME" "$m" | grep -c 'kdump: crash on'))" \
    [ $r -eq 0 -a "$(after "$DOMNAME" "$m" | grep -c 'kdump: crash on')" -eq 0 ]

offline_nmi "kexec"
m=$(mark "$DOMNAME")
console_cmd "$DOMID" "kexec 0"
wait_after "$DOMNAME" "$m" "$JUMP_BOUND" "service: ready" "kdump: crash on"
r=$?
sleep 2
after "$DOMNAME" "$m" >/tmp/nmi-kexec.log
jumps=$(grep -c 'kexec: jump from cpu .* into generation 1' /tmp/nmi-kexec.log)
carried=$(grep -a -m1 'came over carrying' /tmp/nmi-kexec.log)
check "kexec 0: one jump, no crash, the new kernel serves" \
    "wait $r, $jumps jump line(s), crash lines $(grep -c 'kdump: crash on' /tmp/nmi-kexec.log)" \
    [ $r -eq 0 -a "$jumps" -eq 1 -a "$(grep -c 'kdump: crash on' /tmp/nmi-kexec.log)" -eq 0 ]
check "kexec 0: the new kernel says vCPU 3 came over carrying the NMI" "${carried:-no such line}" \
    [ -n "$carried" ]

shutdown_step "xl shutdown after the jump"
finish
