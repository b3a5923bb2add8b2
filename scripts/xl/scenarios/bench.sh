# Bench scenario (busybox sh in dom0): minipv and the Linux PV peer, one after
# the other, on the same Xen in the same dom0 run.  bench/run writes the plan,
# /guest/bench-plan, one step a line:
#   boot GUEST N REP [hotplug]   GUEST linux|flat|tree (or linuxev: Linux with
#                                max_event_channels=4095): create with N vCPUs,
#                                unpause, time the "all online" and "ready"
#                                lines; with "hotplug" also xl vcpu-set N/2
#                                and back to N (and Linux's sysfs cycles)
#   latency N                    minipv test=bench (tests/guest/bench.c)
#   saverestore GUEST N [dump]   GUEST linux|minipv: xl dump-core (with
#                                "dump"), then BENCH_SR_REPS cold migrations
#                                (xl save, then xl restore) of the running
#                                guest: xl_save, xl_restore, xl_coldmig and
#                                xl_dumpcore lines (bench/README.md)
#   scale N                      minipv test=scale (tests/guest/scale.c, options
#                                from BENCH_SCALE_ARGS); its "scale: " lines
#                                forwarded as "scale: bed=xl vcpus=N ...", with
#                                xl info's scheduler and xl dmesg's runqueues
# Every step prints one "bench: xl_* ..." line with status=ok or
# status=missing why=WORD, and forwards the guests' own "bench: NAME ..."
# lines as "bench: NAME guest=G vcpus=N ...".  A failed step never stops the
# plan.  Times: *_ms from dom0's CLOCK_MONOTONIC (/proc/timer_list, ns; read
# without a fork), guest_* from the guest's own clock.  The guest console is
# dumped with a "| " prefix (not parsed).
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

PLAN=/guest/bench-plan
LINUX_KERNEL=/guest/linux/vmlinux.gz
LINUX_INITRD=/guest/linux/initrd.gz
# minipv's memory: 32 MiB up to 255 vCPUs; above, 32 + N/8 MiB (per cpu a
# stack, a context and steal orders of N entries; smp_memory_fits says what
# it needs).  BENCH_MINIPV_MEM overrides.
minipv_mem() {
    if [ -n "${BENCH_MINIPV_MEM:-}" ]; then echo "$BENCH_MINIPV_MEM"
    elif [ "$1" -le 255 ]; then echo 32
    else echo $((32 + $1 / 8)); fi
}
# Ports: minipv binds 2 per vCPU (timer VIRQ, IPI) + console + xenstore;
# libxl's default max_event_channels (1023) holds about 510 vCPUs.
minipv_evtchn() { [ "$1" -le 500 ] || echo "max_event_channels = 4095"; }
: "${BENCH_POLL_S:=0.02}"
# Linux under TCG with many vCPUs on 2 physical CPUs: RCU stall and lockup
# reports (backtraces of every cpu, over and over) would flood the console
# log in dom0's tmpfs until dom0 runs out of memory.  They are artefacts of
# the overcommit, not of the boot; bring-up is the same without them.
: "${BENCH_LINUX_EXTRA:=rcupdate.rcu_cpu_stall_suppress=1 nowatchdog}"

# now_ns: dom0 CLOCK_MONOTONIC in ns ("now at N nsecs", 3rd line of timer_list).
now_ns() {
    {
        _i=0
        while [ $_i -lt 5 ] && read -r _l; do
            case $_l in "now at "*) set -- $_l; echo "$3"; return ;; esac
            _i=$((_i + 1))
        done
    } </proc/timer_list
}
# ms_between A_NS B_NS: (B - A) in ms; "missing" for a clock read that
# failed or went backwards (seen once in ~100 steps), never a made-up number.
ms_between() {
    case "$1:$2" in *[!0-9:]*|:*|*:) echo missing; return ;; esac
    if [ "$2" -ge "$1" ]; then echo $((($2 - $1) / 1000000)); else echo missing; fi
}

# MiB: 80 MiB usable at 8 vCPUs; per-cpu areas grow with N.  BENCH_LINUX_MEM overrides.
linux_mem() { echo "${BENCH_LINUX_MEM:-$((128 + $1))}"; }

# write_cfg GUEST N NAME MODE: a PV cfg in /tmp/NAME.cfg
write_cfg() {
    _c=/tmp/$3.cfg
    {
        echo "type = \"pv\""
        echo "name = \"$3\""
        echo "vcpus = $2"
        echo "maxvcpus = $2"
        echo "on_poweroff = \"preserve\""
        echo "on_reboot = \"preserve\""
        echo "on_crash = \"preserve\""
        case $1 in
        linux|linuxev)
            [ "$1" = linuxev ] && echo "max_event_channels = 4095"
            echo "kernel = \"$LINUX_KERNEL\""
            echo "ramdisk = \"$LINUX_INITRD\""
            echo "memory = $(linux_mem "$2")"
            echo "extra = \"console=hvc0 $BENCH_LINUX_EXTRA bench.mode=$4 bench.cycles=4\"" ;;
        flat|tree)
            echo "kernel = \"/guest/minipv\""
            echo "memory = $(minipv_mem "$2")"
            minipv_evtchn "$2"
            echo "extra = \"test=service bringup=$1\"" ;;
        latency)
            echo "kernel = \"/guest/minipv\""
            echo "memory = $(minipv_mem "$2")"
            minipv_evtchn "$2"
            echo "extra = \"test=bench exit=poweroff\"" ;;
        scale)      # test=scale; BENCH_SCALE_ARGS: its options (budget, repetitions)
            echo "kernel = \"/guest/minipv\""
            echo "memory = $(minipv_mem "$2")"
            minipv_evtchn "$2"
            # tsc_mode native: QEMU's CPU has no invariant TSC, so Xen would trap
            # every rdtsc of a PV domU (about 2 us here, 40 ns in dom0) and the
            # floor's one-call timings would be mostly the clock (not judged).
            echo 'tsc_mode = "native"'
            echo "extra = \"test=scale exit=poweroff ${BENCH_SCALE_ARGS:-}\"" ;;
        crash*)     # kexec / kdump / xl restart: the service, kdump on or off
            echo "kernel = \"/guest/minipv\""
            echo "memory = $(minipv_mem "$2")"
            minipv_evtchn "$2"
            [ "$1" = crashrestart ] && echo 'on_crash = "restart"'
            echo "extra = \"test=service bringup=tree $([ "$1" = crashrestart ] && echo kdump=no)\"" ;;
        mem*)       # memprobe: memory in MiB after "mem", no kexec region (its size follows memory)
            echo "kernel = \"/guest/minipv\""
            echo "memory = ${1#mem}"
            minipv_evtchn "$2"
            echo "extra = \"crashkernel=0 bringup=tree exit=poweroff\"" ;;
        esac
    } >"$_c"
    echo "$_c"
}

# bench_create CFG NAME: xl create -p, wait (5 s) for xenconsoled, unpause.
# Sets DOMID, CREATE_MS, UNPAUSE_MS and T_UNPAUSE (ns, just before xl unpause).
bench_create() {
    DOMID=
    _t=$(now_ns)
    timeout 120 xl create -p "$1" >/tmp/create.out 2>&1 || { cat /tmp/create.out; return 1; }
    DOMID=$(xl domid "$2") || return 1
    CREATE_MS=$(ms_between "$_t" "$(now_ns)")
    _f=$(console_log "$2") _i=0
    until [ -f "$_f" ]; do
        _i=$((_i + 1))
        [ $_i -le 250 ] || { log "xenconsoled did not connect in 5 s"; break; }
        sleep 0.02
    done
    T_UNPAUSE=$(now_ns)
    xl unpause "$DOMID" || return 1
    UNPAUSE_MS=$(ms_between "$T_UNPAUSE" "$(now_ns)")
}

# seen_ms NAME MARK PATTERN TIMEOUT_S: poll the console log (every
# BENCH_POLL_S) past line MARK for a fixed string; prints ms since
# T_UNPAUSE when first seen, returns 1 (prints nothing) on timeout, a crash
# or the domain gone.
seen_ms() {
    _f=$(console_log "$1")
    _end=$(($(now_ns) + $4 * 1000000000)) _k=0
    while :; do
        if tail -n +$(($2 + 1)) "$_f" 2>/dev/null | grep -qF -- "$3"; then
            ms_between "$T_UNPAUSE" "$(now_ns)"
            return 0
        fi
        [ "$(now_ns)" -lt "$_end" ] || return 1
        # xl list costs a process start: look at the domain only every ~0.5 s
        _k=$((_k + 1))
        [ $((_k % 25)) -eq 0 ] && ! dom_alive && return 1
        sleep "$BENCH_POLL_S"
    done
}

# Guest clocks, from the console log.
# minipv: "[cpu C t=S.US] ..." is Xen system time.
# Not anchored: a line can follow the shell's prompt, which has no newline.
mp_t_us() {    # mp_t_us NAME PATTERN: t= of the first line with PATTERN, in us ("" if none)
    grep -F -m1 -- "$2" "$(console_log "$1")" | sed -n 's/.*\[cpu [0-9]* t=\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p' |
        sed 's/^0*\([0-9]\)/\1/'
}
# diff_ms A_US B_US: (A - B) / 1000, or "missing" unless both are numbers
diff_ms() {
    case "$1:$2" in *[!0-9:]*|:*|*:) echo missing ;; *) echo $((($1 - $2) / 1000)) ;; esac
}
# The start: the start_info report, the first line after boot_time_ns is
# taken (lines before it may carry a time from a vcpu_time_info not yet valid).
mp_start_us() { mp_t_us "$1" "start_info: magic"; }
# kv LINE KEY: value of key=value in LINE
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# forward NAME GUEST N: re-emit the guest's "bench: X ..." lines tagged
forward() {
    # minipv's printk lines carry a "[cpu C t=S] " prefix (bench: smp_mem); its suites' do not
    grep -a -o 'bench: [a-z_0-9]* .*' "$(console_log "$1")" 2>/dev/null | grep -v '^bench: linux_ready' |
        sed "s/^bench: \([a-z_0-9]*\) /bench: \1 guest=$2 vcpus=$3 /"
}

# dom_alive: the domain exists and has not crashed.  With a domU of 128 or
# more vCPUs, dom0's processes here now and then die of SIGSEGV (seen at 128
# and 255, once at 64); one failed `xl list` must not read as
# "gone", so xenstore is asked before giving up.
# RESTARTING=NAME (the restart step): on_crash="restart" makes xl destroy the
# crashed domain and build a new one under the same name, so a crashed state
# or a domain not found for a moment is the restart under way, and DOMID
# follows the name (the bound of the wait still holds).
dom_alive() {
    if [ -n "${RESTARTING:-}" ]; then
        _d=$(xl domid "$RESTARTING" 2>/dev/null) || return 0
        DOMID=$_d
        return 0
    fi
    _s=$(dom_state "$DOMID")
    case $_s in
    *c*) return 1 ;;
    "") xenstore-exists "/local/domain/$DOMID" 2>/dev/null ;;
    *) return 0 ;;
    esac
}

missing() {    # missing WHAT GUEST N [REP] WHY
    echo "bench: $1 guest=$2 vcpus=$3${4:+ rep=$4} status=missing why=$5"
}

finish_dom() {    # finish_dom NAME: dump the console (prefixed) and destroy
    if [ "${BENCH_DUMP:-fail}" = all ] || [ "${1#*:}" = fail ]; then
        echo "----- console ${1%%:*} -----"
        sed 's/^/| /' "$(console_log "${1%%:*}")" 2>/dev/null | tail -n "${BENCH_DUMP_LINES:-60}"
    fi
    [ -n "$DOMID" ] && [ -n "$(dom_state "$DOMID")" ] && xl destroy "$DOMID" 2>/dev/null
    DOMID=
    return 0
}

# ---- boot GUEST N REP [hotplug] ----
step_boot() {
    g=$1 n=$2 rep=$3 hp=${4:-}
    name=b-$g-$n-$rep
    mode=boot
    [ -n "$hp" ] && mode=hotplug
    cfg=$(write_cfg "$g" "$n" "$name" "$mode")
    if [ "${g#linux}" != "$g" ]; then
        tmo=$((100 + 3 * n)) online_pat="smp: Brought up " ready_pat="bench: linux_ready"
        mem=$(linux_mem "$n")
    else
        tmo=60 online_pat="vCPUs online in" ready_pat="service: ready"
        mem=$(minipv_mem "$n")
    fi
    if ! bench_create "$cfg" "$name"; then
        missing xl_boot "$g" "$n" "$rep" create_failed
        finish_dom "$name:fail"
        return
    fi
    d_online=$(seen_ms "$name" 0 "$online_pat" "$tmo") || d_online=
    d_ready=$(seen_ms "$name" 0 "$ready_pat" "$tmo") || d_ready=
    if [ -z "$d_online" ] || [ -z "$d_ready" ]; then
        missing xl_boot "$g" "$n" "$rep" "$([ -z "$d_online" ] && echo no_online_line || echo no_ready_line)_in_${tmo}s"
        post_mortem "$DOMID" 2>&1 | head -n 20 | sed 's/^/| /'
        finish_dom "$name:fail"
        return
    fi
    # memory left, once the guest is up (after the timed part)
    echo "bench: xl_mem guest=$g vcpus=$n rep=$rep xen_free_mb=$(xl info | awk '/^free_memory/ { print $3 }')" \
         "dom0_avail_kb=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)"
    # the guest's own clock
    f=$(console_log "$name")
    if [ "${g#linux}" != "$g" ]; then
        sleep 0.3    # linux_boot precedes linux_ready; let the log settle
        lb=$(grep -m1 '^bench: linux_boot ' "$f")
        bu=$(kv "$lb" bringup_us) on_us=$(kv "$lb" online_at_us) rd_us=$(kv "$lb" init_at_us)
        cpus=$(kv "$lb" cpus)
        g_online=$(diff_ms "$on_us" 0) g_ready=$(diff_ms "$rd_us" 0)
    else
        l=$(grep -F -m1 "vCPUs online in" "$f")
        bu=$(echo "$l" | sed -n 's/.*online in \([0-9]*\) us.*/\1/p')
        cpus=$(echo "$l" | sed -n 's/.*smp: \([0-9]*\) of [0-9]* vCPUs.*/\1/p')
        s=$(mp_start_us "$name")
        g_online=$(diff_ms "$(mp_t_us "$name" "vCPUs online in")" "$s")
        g_ready=$(diff_ms "$(mp_t_us "$name" "service: ready")" "$s")
    fi
    echo "bench: xl_boot guest=$g vcpus=$n rep=$rep status=ok cpus=${cpus:-0} mem_mb=$mem" \
         "create_ms=$CREATE_MS unpause_ms=$UNPAUSE_MS" \
         "guest_bringup_us=$bu guest_online_ms=$g_online guest_ready_ms=$g_ready" \
         "dom0_online_ms=$d_online dom0_ready_ms=$d_ready"
    # event channels the guest holds once up: the per-vCPU cost behind the
    # max_event_channels ceiling (libxl's default: 1023)
    [ "$rep" = 1 ] && echo "bench: xl_evtchn guest=$g vcpus=$n ports=$(lsevtchn "$DOMID" 2>/dev/null | grep -c .)"
    [ -n "$hp" ] && step_hotplug "$g" "$n" "$name"
    forward "$name" "$g" "$n"
    finish_dom "$name"
}

# ---- xl vcpu-set N/2 and back to N on the running guest ----
step_hotplug() {
    g=$1 n=$2 name=$3
    if [ "$g" = linux ]; then
        # the sysfs cycles run first; the watcher's line says they are done
        seen_ms "$name" 0 "bench: linux_watching" $((60 + 4 * n)) >/dev/null ||
            { missing xl_vcpuset "$g" "$n" "" no_watcher; return; }
    fi
    half=$((n / 2))
    [ "$half" -ge 1 ] || half=1
    for to in $half $n; do
        [ "$to" -eq "$n" ] && [ "$half" -eq "$n" ] && break
        m=$(mark "$name")
        if [ "$g" = linux ]; then pat="bench: linux_online n=$to "; else pat="cpus: online $to ["; fi
        t0=$(now_ns)
        if ! xl vcpu-set --ignore-host "$DOMID" "$to" >/tmp/vcpuset.out 2>&1; then
            missing xl_vcpuset "$g" "$n" "" "xl_vcpu_set_${to}_failed"
            cat /tmp/vcpuset.out
            continue
        fi
        xl_ms=$(ms_between "$t0" "$(now_ns)")
        T_UNPAUSE=$t0
        if r_ms=$(seen_ms "$name" "$m" "$pat" $((30 + n))); then
            gus=
            [ "$g" != linux ] && gus=$(after "$name" "$m" | grep -F -- "$pat" | sed -n 's/.*(changed, \([0-9]*\) us).*/ guest_apply_us=\1/p' | tail -n 1)
            echo "bench: xl_vcpuset guest=$g vcpus=$n from=$([ "$to" -eq "$n" ] && echo "$half" || echo "$n") to=$to status=ok xl_ms=$xl_ms report_ms=$r_ms$gus"
        else
            missing xl_vcpuset "$g" "$n" "" "no_report_of_${to}"
        fi
    done
}

# ---- memprobe N: the least memory minipv boots N vCPUs in ----
# Three boots: one far too small (its refusal names what it needs), one at
# that figure (must bring every vCPU up), one 1 MiB below it (must be
# refused with the message, not hang or crash).  No kexec region
# (crashkernel=0): it would take a share of whatever memory is given.
probe_boot() {    # probe_boot N MIB: sets PROBE=online|refused|failed, PROBE_LINE
    _name=mp-$1-$2
    _cfg=$(write_cfg "mem$2" "$1" "$_name" "")
    PROBE=failed PROBE_LINE=
    if ! bench_create "$_cfg" "$_name"; then
        PROBE_LINE="xl create: $(grep -v '^Parsing' /tmp/create.out | tail -n 1)"
        finish_dom "$_name"
        return
    fi
    if seen_ms "$_name" 0 "Test result:" $((60 + $1 / 4)) >/dev/null; then
        _f=$(console_log "$_name")
        if grep -q "smp: .* too little for" "$_f"; then
            PROBE=refused PROBE_LINE=$(grep -m1 -o "smp: .* too little for.*" "$_f")
        elif grep -q "smp: $1 of $1 vCPUs online" "$_f" && grep -q 'Test result: SUCCESS' "$_f"; then
            PROBE=online PROBE_LINE=$(grep -m1 -o 'bench: smp_mem.*' "$_f")
        else
            PROBE_LINE=$(grep -m1 -o 'PANIC on cpu.*\|Test result: .*' "$_f")
        fi
    else
        PROBE_LINE="no result line in $((60 + $1 / 4)) s: $(tail -n 1 "$(console_log "$_name")")"
    fi
    finish_dom "$_name$([ "$PROBE" = failed ] && echo :fail)"
}
step_memprobe() {
    n=$1
    # Up from 8 MiB (or from what a refusal at 8 says it needs) to a boot
    # that brings all N up, then down 1 MiB at a time to the first failure.
    m=8
    probe_boot "$n" $m
    if [ "$PROBE" = refused ]; then
        hint=$(echo "$PROBE_LINE" | sed -n 's/.*(about \([0-9]*\) KiB needed.*/\1/p')
        lo=$(((${hint:-8192} + 1023) / 1024))
        m=$lo
        while :; do
            probe_boot "$n" "$m"
            [ "$PROBE" = online ] && break
            [ "$PROBE" = refused ] && [ "$m" -lt $((lo + 64)) ] ||
                { missing xl_memprobe minipv "$n" "" "at_${m}MiB:$PROBE"; echo "| $PROBE_LINE"; return; }
            m=$((m + 1 + (m - lo)))      # 1, 2, 4 ... MiB more: the fixed part is a few MiB
        done
    elif [ "$PROBE" != online ]; then
        missing xl_memprobe minipv "$n" "" "at_8MiB:$PROBE"
        echo "| $PROBE_LINE"
        return
    fi
    ok_line=$PROBE_LINE b=$m
    while [ "$b" -gt 1 ]; do
        probe_boot "$n" $((b - 1))
        [ "$PROBE" = online ] || break
        b=$((b - 1)) ok_line=$PROBE_LINE
    done
    # What fails below: minipv's refusal (named, at once) or the toolstack's own limit.
    why=$(echo "$PROBE_LINE" | tr '"' "'")
    echo "bench: xl_memprobe guest=minipv vcpus=$n status=ok min_mb=$b below=$PROBE" \
         "used_kib=$(kv "$ok_line" used_kib) total_kib=$(kv "$ok_line" total_kib) why=\"$why\""
}

# ---- kexec N / kdump N / restart N: minipv after a jump or a crash ----
# kexec: console `kexec`; the old kernel's first-boot bring-up and the new
#   kernel's jump -> all online, both from the same boot, and dom0's
#   command -> "service: ready".
# kdump: console `crash panic 1`: the crash kernel's crash -> ready, the
#   vmcore's size and write time (through the console ring), then
#   kdump_then=kexec; dom0's command -> the fresh kernel's "service: ready".
# restart: the peer: kdump=no and on_crash="restart": xl destroys the
#   crashed domain and builds a new one; dom0's command -> its "service: ready".
step_jump() {
    what=$1 n=$2 name=j-$1-$2
    cfg=$(write_cfg "$([ "$what" = restart ] && echo crashrestart || echo crash)" "$n" "$name" "")
    if ! bench_create "$cfg" "$name"; then
        missing "xl_$what" minipv "$n" "" create_failed
        finish_dom "$name:fail"
        return
    fi
    seen_ms "$name" 0 "service: ready" $((60 + n / 8)) >/dev/null ||
        { missing "xl_$what" minipv "$n" "" no_first_ready; finish_dom "$name:fail"; return; }
    first=$(grep -F -m1 "vCPUs online in" "$(console_log "$name")" | sed -n 's/.*online in \([0-9]*\) us.*/\1/p')
    # first boot, guest clock: start_info report -> all online (the kexec's jump -> all online is the same span)
    first_on=$(diff_ms "$(mp_t_us "$name" "vCPUs online in")" "$(mp_start_us "$name")")
    m=$(mark "$name")
    case $what in
    kexec) cmd=kexec bound=$((60 + n / 4)) ;;
    kdump) cmd="crash panic $((n > 1 ? 1 : 0))" bound=$((180 + n)) ;;
    restart) cmd="crash panic $((n > 1 ? 1 : 0))" bound=$((90 + n / 4)) ;;
    esac
    T_UNPAUSE=$(now_ns)
    console_cmd "$DOMID" "$cmd"
    [ "$what" = restart ] && RESTARTING=$name
    if ! d_ms=$(seen_ms "$name" "$m" "service: ready" "$bound"); then
        RESTARTING=
        missing "xl_$what" minipv "$n" "" "no_ready_in_${bound}s"
        finish_dom "$name:fail"
        return
    fi
    RESTARTING=
    sleep 0.3
    f=$(console_log "$name")
    extra=
    case $what in
    kexec) l=$(after "$name" "$m" | grep -a -m1 -o 'bench: kexec .*')
           extra="jump_to_online_us=$(kv "$l" jump_to_online_us)" ;;
    kdump) l=$(after "$name" "$m" | grep -a -m1 -o 'bench: kdump .*')
           v=$(after "$name" "$m" | grep -a -m1 -o 'bench: vmcore .*')
           extra="crash_to_ready_us=$(kv "$l" crash_to_ready_us) jump_to_online_us=$(kv "$l" jump_to_online_us) vmcore_bytes=$(kv "$v" bytes) vmcore_write_ms=$(kv "$v" write_ms) crash_to_written_ms=$(kv "$v" crash_to_written_ms)" ;;
    restart) DOMID=$(xl domid "$name" 2>/dev/null)
             extra="new_bringup_us=$(after "$name" "$m" | grep -a -m1 'vCPUs online in' | sed -n 's/.*online in \([0-9]*\) us.*/\1/p')" ;;
    esac
    echo "bench: xl_$what guest=minipv vcpus=$n status=ok first_bringup_us=$first first_start_to_online_ms=$first_on dom0_cmd_to_ready_ms=$d_ms $extra"
    finish_dom "$name"
}

# ---- latency N: minipv test=bench ----
step_latency() {
    n=$1 name=lat-$1
    cfg=$(write_cfg latency "$n" "$name" "")
    if ! bench_create "$cfg" "$name"; then
        missing xl_latency minipv "$n" "" create_failed
        finish_dom "$name:fail"
        return
    fi
    tmo=$((120 + n))
    if seen_ms "$name" 0 "Test result:" "$tmo" >/dev/null; then
        sleep 0.3
        res=$(grep -m1 -o 'Test result: [A-Z]*' "$(console_log "$name")")
        echo "bench: xl_latency guest=minipv vcpus=$n status=ok result=${res#Test result: }"
        forward "$name" minipv "$n"
        case $res in *SUCCESS*) finish_dom "$name" ;; *) finish_dom "$name:fail" ;; esac
    else
        missing xl_latency minipv "$n" "" "no_result_in_${tmo}s"
        finish_dom "$name:fail"
    fi
}

# step_scale N: test=scale as a domU; its "scale: " lines are forwarded tagged
# bed=xl vcpus=N, with Xen's scheduler and runqueue layout (xl info, xl dmesg).
step_scale() {
    n=$1 name=scale-$1
    echo "bench: xl_sched scheduler=$(xl info | awk '/^xen_scheduler/ { print $3 }')" \
         "nr_cpus=$(xl info | awk '/^nr_cpus/ { print $3 }')" \
         "cores_per_socket=$(xl info | awk '/^cores_per_socket/ { print $3 }')" \
         "threads_per_core=$(xl info | awk '/^threads_per_core/ { print $3 }')"
    xl dmesg | grep -i 'runqueue\|scheduler' | sed 's/^/bench: xl_dmesg /' | head -n 20
    cfg=$(write_cfg scale "$n" "$name" "")
    if ! bench_create "$cfg" "$name"; then
        missing xl_scale minipv "$n" "" create_failed
        finish_dom "$name:fail"
        return
    fi
    tmo=$((240 + 4 * n))
    if seen_ms "$name" 0 "Test result:" "$tmo" >/dev/null; then
        sleep 0.3
        res=$(grep -m1 -o 'Test result: [A-Z]*' "$(console_log "$name")")
        echo "bench: xl_scale guest=minipv vcpus=$n status=ok result=${res#Test result: }"
        grep -a -o 'scale: .*' "$(console_log "$name")" | sed "s/^scale: /scale: bed=xl vcpus=$n /"
        case $res in *SUCCESS*|*SKIP*) finish_dom "$name" ;; *) finish_dom "$name:fail" ;; esac
    else
        missing xl_scale minipv "$n" "" "no_result_in_${tmo}s"
        finish_dom "$name:fail"
    fi
}

# ---- saverestore GUEST N [dump]: xl dump-core, xl save, xl restore ----
# Images go to dom0's tmpfs /tmp (bench/run sizes dom0 for a Linux image).
# dom0 watches the console log: a background loop writes "NS LINES" each
# time the log grows (every BENCH_POLL_S), so the time a line appeared is
# known after the fact.  The downtime is from the last line that appeared
# before `xl save` returned to the first that appeared after `xl restore`
# began; the guest-side resume is the guest's own figure (minipv: its
# "back in a new domain" line; Linux: bench/linux/init's linux_resume, from
# dmesg).  minipv without suspend support (control/feature-suspend not 1)
# gets status=skip why=not_supported rows, never a number.
: "${BENCH_SR_REPS:=2}"

watch_start() {    # watch_start NAME: start the log watcher into /tmp/watch-NAME
    _wf=$(console_log "$1") _wo=/tmp/watch-$1
    : >"$_wo"
    (
        _last=-1
        while :; do
            _c=$(wc -l <"$_wf" 2>/dev/null || echo 0)
            [ "$_c" != "$_last" ] && { echo "$(now_ns) $_c" >>"$_wo"; _last=$_c; }
            sleep "$BENCH_POLL_S"
        done
    ) &
    WATCH_PID=$!
}
watch_stop() { kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; }
# lines_at NAME NS: how many lines the log had at NS (the watcher's last look before it)
lines_at() { awk -v t="$2" '$1 <= t { c = $2 } END { print c + 0 }' "/tmp/watch-$1"; }
# seen_at NAME LINES: NS when the log first had more than LINES lines ("" if never)
seen_at() { awk -v l="$2" '$2 > l { print $1; exit }' "/tmp/watch-$1"; }
# first_after NAME NS: NS of the first growth of the log after NS ("" if none)
first_after() { awk -v t="$2" '$1 > t && $2 > c { print $1; exit } { c = $2 }' "/tmp/watch-$1"; }

sr_skip() {    # sr_skip G N WHY: the three rows, not measured
    for w in xl_save xl_restore xl_coldmig; do echo "bench: $w guest=$1 vcpus=$2 status=skip why=$3"; done
}

step_dumpcore() {    # step_dumpcore G N NAME
    _t=$(now_ns)
    timeout 600 xl dump-core "$DOMID" "/tmp/$3.core" >/tmp/dump.out 2>&1
    _r=$? _ms=$(ms_between "$_t" "$(now_ns)")
    _b=$(stat -c %s "/tmp/$3.core" 2>/dev/null || echo 0)
    rm -f "/tmp/$3.core"
    if [ $_r -ne 0 ] || [ "$_b" -eq 0 ]; then
        missing xl_dumpcore "$1" "$2" "" "xl_rc_$_r"
        sed 's/^/| /' /tmp/dump.out | tail -n 5
        return
    fi
    echo "bench: xl_dumpcore guest=$1 vcpus=$2 status=ok ms=$_ms bytes=$_b" \
         "ms_per_mb=$(awk -v m="$_ms" -v b="$_b" 'BEGIN { printf "%.1f", m * 1048576 / b }')"
}

# sr_once G N NAME REP: one xl save + xl restore; 0 if the guest came back
sr_once() {
    g=$1 n=$2 name=$3 rep=$4 img=/tmp/$3.save
    m=$(mark "$name")
    watch_start "$name"
    t0=$(now_ns)
    timeout 600 xl save "$DOMID" "$img" >/tmp/save.out 2>&1
    rs=$? t1=$(now_ns)
    ib=$(stat -c %s "$img" 2>/dev/null || echo 0)
    if [ $rs -ne 0 ]; then
        watch_stop
        missing xl_save "$g" "$n" "$rep" "xl_rc_$rs"
        sed 's/^/| /' /tmp/save.out | tail -n 8
        rm -f "$img"
        return 1
    fi
    t2=$(now_ns)
    timeout 600 xl restore "$img" >/tmp/restore.out 2>&1
    rr=$? t3=$(now_ns)
    rm -f "$img"
    DOMID=$(xl domid "$name" 2>/dev/null)
    if [ $rr -ne 0 ] || [ -z "$DOMID" ]; then
        watch_stop
        missing xl_restore "$g" "$n" "$rep" "xl_rc_$rr"
        sed 's/^/| /' /tmp/restore.out | tail -n 8
        return 1
    fi
    if [ "$g" = linux ]; then pat="bench: linux_resume n=$rep " ; else pat="suspend: back in a new domain"; fi
    T_UNPAUSE=$t2
    seen_ms "$name" "$m" "$pat" $((60 + n)) >/dev/null
    sw=$?
    sleep 0.3
    watch_stop
    last=$(lines_at "$name" "$t1")
    tb=$(seen_at "$name" $((last - 1)))      # when the last line before appeared
    ta=$(first_after "$name" "$t2")          # the first line after xl restore began
    l=$(after "$name" "$m" | grep -a -m1 -o "$pat.*")
    if [ "$g" = linux ]; then
        gr=$(kv "$l" resume_us) cpus=$(kv "$l" cpus)
    else
        gr=$(echo "$l" | sed -n 's/.*guest resume \([0-9]*\) us.*/\1/p')
        cpus=$(echo "$l" | sed -n 's/.*: \([0-9]*\) of [0-9]* vCPUs back.*/\1/p')
    fi
    echo "bench: xl_save guest=$g vcpus=$n rep=$rep status=ok total_ms=$(ms_between "$t0" "$t1")" \
         "image_bytes=$ib cmd_to_last_line_ms=$(ms_between "$t0" "$tb")"
    if [ $sw -ne 0 ]; then
        # restored but never said it was back: no restore or migration figure
        missing xl_restore "$g" "$n" "$rep" "no_resume_line_in_$((60 + n))s"
        missing xl_coldmig "$g" "$n" "$rep" "no_resume_line_in_$((60 + n))s"
        return 1
    fi
    echo "bench: xl_restore guest=$g vcpus=$n rep=$rep status=ok total_ms=$(ms_between "$t2" "$t3")" \
         "cmd_to_first_line_ms=$(ms_between "$t2" "$ta") guest_resume_us=${gr:-missing}"
    echo "bench: xl_coldmig guest=$g vcpus=$n rep=$rep status=ok total_ms=$(ms_between "$t0" "$ta")" \
         "downtime_ms=$(ms_between "$tb" "$ta") guest_resume_us=${gr:-missing} cpus_back=${cpus:-missing}" \
         "last_line_before=$last"
    [ $sw -eq 0 ]
}

step_saverestore() {
    g=$1 n=$2 dump=${3:-} name=sr-$1-$2
    if [ "$g" = linux ]; then
        cfg=$(write_cfg linux "$n" "$name" suspend) ready="bench: linux_ready" tmo=$((100 + 3 * n))
    else
        cfg=$(write_cfg flat "$n" "$name" "") ready="service: ready" tmo=60
    fi
    if ! bench_create "$cfg" "$name"; then
        sr_skip "$g" "$n" create_failed
        finish_dom "$name:fail"
        return
    fi
    if ! seen_ms "$name" 0 "$ready" "$tmo" >/dev/null; then
        sr_skip "$g" "$n" "no_ready_in_${tmo}s"
        finish_dom "$name:fail"
        return
    fi
    [ -n "$dump" ] && step_dumpcore "$g" "$n" "$name"
    if [ "$g" != linux ] &&
       [ "$(xenstore-read "/local/domain/$DOMID/control/feature-suspend" 2>/dev/null)" != 1 ]; then
        sr_skip "$g" "$n" not_supported
        finish_dom "$name"
        return
    fi
    st=ok
    r=1
    while [ $r -le "$BENCH_SR_REPS" ]; do
        sr_once "$g" "$n" "$name" "$r" || { st=fail; break; }
        r=$((r + 1))
    done
    forward "$name" "$g" "$n" | grep -v 'linux_tick'
    grep -a '^linux-dmesg: ' "$(console_log "$name")" | head -n 60
    # minipv's own split of each resume (where its time went): for the README, not the tables
    grep -a -o 'suspend: resume split.*' "$(console_log "$name")" | sed "s/^/sr-split: vcpus=$n /"
    finish_dom "$name:$st"
}

[ -f "$PLAN" ] || { echo "bench: scenario status=missing why=no_plan"; exit 2; }
echo "bench: xl_env xen=$(xl info | awk '/^xen_version/ { print $3 }') dom0_kernel=$(uname -r)" \
     "host_cpus=$(xl info | awk '/^nr_cpus/ { print $3 }') free_mb=$(xl info | awk '/^free_memory/ { print $3 }')"
while read -r kind a b c d; do
    case $kind in
    ''|'#'*) continue ;;
    boot) echo "scenario: step boot $a $b $c $d"; step_boot "$a" "$b" "$c" "$d" ;;
    latency) echo "scenario: step latency $a"; step_latency "$a" ;;
    scale) echo "scenario: step scale $a"; step_scale "$a" ;;
    memprobe) echo "scenario: step memprobe $a"; step_memprobe "$a" ;;
    kexec|kdump|restart) echo "scenario: step $kind $a"; step_jump "$kind" "$a" ;;
    saverestore) echo "scenario: step saverestore $a $b $c"; step_saverestore "$a" "$b" "$c" ;;
    set)    # set BENCH_NAME VALUE...: a scenario setting (BENCH_DUMP=all, ...)
        case $a in BENCH_[A-Z_]*) eval "$a=\"\$b\${c:+ \$c}\${d:+ \$d}\"" ;; *) echo "bench: scenario status=missing why=bad_setting_$a" ;; esac ;;
    *) echo "bench: scenario status=missing why=bad_plan_line_$kind" ;;
    esac
done <"$PLAN"
echo "scenario: 0 failed step(s)"
exit 0
