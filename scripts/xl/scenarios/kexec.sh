# kexec scenario (busybox sh inside dom0; config/xl-service.cfg: vcpus=4,
# maxvcpus=8, test=service).  minipv jumps into a new minipv from vCPU 3
# (console command `kexec 3`); the new kernel runs on vCPU 3, every vCPU
# comes back, the console shows both kernels with no line lost or doubled,
# and the toolstack still drives it: xl vcpu-set 8, xl vcpu-set 2,
# xl shutdown.  Each check prints an XL-STEP line (tests/check/xl.t).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

STEP_TIMEOUT=20
JUMP_BOUND=60       # s from `kexec 3` to the new kernel's "service: ready"

start_service /guest/service.cfg
want=$(seq_ids 4)
wait_after "$DOMNAME" 0 10 "cpus: online 4 [$want]"
check "before: minipv and xl vcpu-list agree on vcpus $want" \
    "minipv [$(guest_online "$DOMNAME")] xl [$(xl_online "$DOMID")]" \
    [ "$(guest_online "$DOMNAME")" = "$want" -a "$(xl_online "$DOMID")" = "$want" ]

# Bad input is named and changes nothing.
for bad_ in "kexec 999|shell: kexec: no cpu 999" "kexec banana|shell: kexec: bad cpu 'banana'"; do
    m=$(mark "$DOMNAME")
    console_cmd "$DOMID" "${bad_%%|*}"
    wait_after "$DOMNAME" "$m" 10 "${bad_#*|}"
    check "console: '${bad_%%|*}' is refused with a message" "$(after "$DOMNAME" "$m" | grep -m1 'shell: kexec')" \
        [ $? -eq 0 ]
done

m=$(mark "$DOMNAME")
t0=$(uptime_s)
console_cmd "$DOMID" "kexec 3"
wait_after "$DOMNAME" "$m" "$JUMP_BOUND" "service: ready" "PANIC"
r=$?
jump_ms=$(ms_since "$t0")
after "$DOMNAME" "$m" >/tmp/kexec.log
gen=$(grep -m1 'kexec: generation 1 on vcpu' /tmp/kexec.log)
ok_gen=1
[ $r -eq 0 ] && echo "$gen" | grep -q 'generation 1 on vcpu 3: 4 of 4 vCPUs back online' && ok_gen=0
check "kexec 3: the new kernel runs on vcpu 3 with 4 of 4 back" "$gen (ready after $jump_ms ms)" \
    [ $ok_gen -eq 0 ]
ready=$(grep -m1 'service: ready' /tmp/kexec.log)
ok_ready=1
echo "$ready" | grep -q "ready on cpu 0 (vcpu 3)" && ok_ready=0
check "kexec 3: the new kernel serves, its cpu 0 is vcpu 3" "$ready" [ $ok_ready -eq 0 ]

# Both kernels on one console, in order, nothing lost or doubled: the old one's
# last line is its jump line, the new one's first is its boot line.
jl=$(grep -n 'kexec: jump from cpu 3 (vcpu 3) into generation 1' /tmp/kexec.log | cut -d: -f1)
bl=$(grep -n 'minipv 0.1 booting (kexec)' /tmp/kexec.log | cut -d: -f1)
nj=$(echo "$jl" | grep -c .)
nb=$(echo "$bl" | grep -c .)
ok_con=1
[ "$nj" -eq 1 ] && [ "$nb" -eq 1 ] && [ "$((jl + 1))" -eq "$bl" ] && ok_con=0
check "console: the old kernel's jump line, then straight the new kernel's boot line, once each" \
    "jump line at ${jl:-?} ($nj), boot line at ${bl:-?} ($nb) of $(wc -l </tmp/kexec.log)" \
    [ $ok_con -eq 0 ]

wait_after "$DOMNAME" "$m" 10 "cpus: online 4 [$want] (boot)"
check "after: minipv and xl vcpu-list agree on vcpus $want" \
    "minipv [$(guest_online "$DOMNAME" "$m")] xl [$(xl_online "$DOMID")]" \
    [ "$(guest_online "$DOMNAME" "$m")" = "$want" -a "$(xl_online "$DOMID")" = "$want" ]

for n_ in 8 2; do
    if vcpu_set "$n_"; then step ok "after kexec: vcpu-set $n_" "$WHY"; else step not-ok "after kexec: vcpu-set $n_" "$WHY"; fi
done

shutdown_step "after kexec: xl shutdown powers the new kernel off"
finish
