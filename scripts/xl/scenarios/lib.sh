# Helpers for xl scenarios (busybox sh, sourced as /xl-lib.sh inside dom0).
# Guest console output is logged by xenconsoled (started by /init with
# --log=guest) to /run/xenconsole/guest-<domain name>.log.

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }'; }
log() { echo "scenario: $*"; }

# cfg_name FILE: the name="..." of an xl cfg.
cfg_name() { sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*["'\'']\([^"'\'']*\)["'\''].*/\1/p' "$1" | head -n1; }

console_log() { echo "/run/xenconsole/guest-$1.log"; }
dom_exists() { xl domid "$1" >/dev/null 2>&1; }
# dom_state DOM: the xl list state column (e.g. "-b----", "---s--", "--psc-")
# of a domain given by name or domid, or "" if there is no such domain.
# Track domains by domid: xl renames preserved domains (on_*="preserve")
# to NAME-<timestamp>.
dom_state() { xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
timed_out() { awk -v e="$(elapsed "$1")" -v m="$2" 'BEGIN { exit !(e > m) }'; }

# create CFG: `xl create -p`, wait (bounded) until xenconsoled has connected
# to the guest's console ring (it creates the log file then), then unpause.
# Without the pause a short-lived guest can print and die before xenconsoled
# ever maps its ring, and its output is lost.  Sets DOMID and DOMNAME;
# prints an XL-CREATE-DONE marker (timed by run-xl.sh).
create() {
    t=$(uptime_s)
    DOMNAME=$(cfg_name "$1")
    timeout 60 xl create -p "$1"
    r=$?
    if [ $r -eq 0 ]; then
        DOMID=$(xl domid "$DOMNAME")
        f=$(console_log "$DOMNAME")
        t2=$(uptime_s)
        until [ -f "$f" ]; do
            timed_out "$t2" 5 && { log "xenconsoled did not connect in 5s"; break; }
            sleep 0.05
        done
        xl unpause "$DOMID" || r=$?
    fi
    echo "XL-CREATE-DONE xl create $1 rc=$r domid=${DOMID:-?} took $(elapsed "$t")s"
    return $r
}

# ---- following a console log cheaply ------------------------------------------
# A vmcore stream makes the log long (850 KB for a 32 MiB guest, megabytes
# for bigger ones).  The waits below read only what was added since their
# last look, at most LOG_CHUNK bytes a look, and never hold the log in a
# shell variable.  busybox's `tail -c +N` reads the file from its start;
# `dd iflag=skip_bytes` seeks.
LOG_CHUNK=1048576

# line_off FILE LINES: the byte offset where line LINES+1 starts.
line_off() {
    if [ "$2" -gt 0 ] && [ -f "$1" ]; then head -n "$2" "$1" | wc -c; else echo 0; fi
}

# scan FILE TMP OK [FAIL]: read FILE from byte SCAN_OFF into TMP (one chunk);
# 0 if it holds OK, 1 if it holds FAIL (and not OK), 2 if neither yet.
# SCAN_OFF moves past the complete lines read: a line still being written
# is read again, whole, next time.  SCAN_FULL=1 if the chunk was full.
scan() {
    SCAN_FULL=0
    [ -f "$1" ] || return 2
    dd if="$1" of="$2" iflag=skip_bytes,count_bytes skip="$SCAN_OFF" count="$LOG_CHUNK" \
        bs=65536 2>/dev/null
    _sn=$(wc -c <"$2")
    [ "$_sn" -gt 0 ] || return 2
    [ "$_sn" -ge "$LOG_CHUNK" ] && SCAN_FULL=1
    _su=$_sn
    if [ -n "$(tail -c 1 "$2")" ]; then
        _sp=$(tail -n 1 "$2" | wc -c)
        # a line longer than a whole chunk is taken as it is
        [ "$_sp" -lt "$_sn" ] || [ $SCAN_FULL -eq 0 ] && _su=$((_sn - _sp))
    fi
    SCAN_OFF=$((SCAN_OFF + _su))
    grep -F -q -- "$3" "$2" && return 0
    [ -n "${4:-}" ] && grep -F -q -- "$4" "$2" && return 1
    return 2
}

# wait_console DOM NAME OK_PATTERN [FAIL_PATTERN] [TIMEOUT_S]
# DOM: domid (or name) to watch; NAME: the cfg's name (console log file).
# Follows the guest console log (fixed strings).  Returns 0 on OK_PATTERN,
# 1 on FAIL_PATTERN, 2 if the domain crashed (state 'c'), 3 if it shut down
# or vanished without OK_PATTERN, 4 on timeout.  After a shutdown/crash the
# log gets a short grace period: xenconsoled may still be copying the last
# bytes out of the ring.
wait_console() {
    dom=$1 name=$2 ok=$3 fail=${4:-} tmo=${5:-60}
    f=$(console_log "$name")
    t=$(uptime_s)
    end=
    SCAN_OFF=0
    _wt=$(mktemp /tmp/xl-wait.XXXXXX)
    while :; do
        scan "$f" "$_wt" "$ok" "$fail"
        _wr=$?
        [ $_wr -lt 2 ] && break
        [ $SCAN_FULL -eq 1 ] && continue
        [ -n "$end" ] && { _wr=$end; break; }
        case $(dom_state "$dom") in
        "") end=3 ;;
        *c*) end=2 ;;
        *s*) end=3 ;;
        *) timed_out "$t" "$tmo" && { _wr=4; break; } ;;
        esac
        if [ -n "$end" ]; then sleep 0.5; else sleep 0.2; fi
    done
    rm -f "$_wt"
    return "$_wr"
}

# wait_gone DOM TIMEOUT_S: 0 once the domain no longer exists.
wait_gone() {
    t=$(uptime_s)
    while [ -n "$(dom_state "$1")" ]; do
        timed_out "$t" "$2" && return 1
        sleep 0.2
    done
    return 0
}

# dump_console NAME: print the guest console log between markers.
dump_console() {
    echo "----- guest console ($1) -----"
    cat "$(console_log "$1")" 2>/dev/null || echo "(no console log)"
    echo "----- end guest console -----"
}

# post_mortem DOMID: registers + code bytes of a crashed/stuck domain.  (Xen's
# own crash dump is already in the serial log: Xen runs with
# guest_loglvl=all on com1, so no need to `xl dmesg`.)
post_mortem() {
    echo "----- xenctx d$1 -----"
    # -s: symbolize with the guest's symbols when run-xl.sh could make them.
    if [ -s /guest/minipv.map ]; then
        xenctx -a -s /guest/minipv.map "$1" 2>&1 | head -n 60
    else
        xenctx -a "$1" 2>&1 | head -n 60
    fi
    for f in /var/log/xen/xl-*.log; do
        [ -f "$f" ] && { echo "----- $f -----"; cat "$f"; }
    done
}

# ---- helpers for the service scenarios (hotplug.sh, lifecycle.sh) -----------
# Each check prints one "XL-STEP ok|not-ok|todo NAME -- DETAIL" line;
# tests/check/xl.t turns them into TAP.  STEP_FAILS counts the not-oks.
STEP_FAILS=0
step() {    # step ok|not-ok|todo NAME [DETAIL]
    [ "$1" = not-ok ] && STEP_FAILS=$((STEP_FAILS + 1))
    echo "XL-STEP $1 $2${3:+ -- $3}"
}
check() {   # check NAME DETAIL COMMAND...: step ok if COMMAND succeeds
    _n=$1 _d=$2
    shift 2
    if "$@"; then step ok "$_n" "$_d"; else step not-ok "$_n" "$_d"; fi
}

# mark NAME: how many lines the guest console log has now; the wait_after
# helpers only look past it, so an old line never satisfies a new wait.
mark() { _f=$(console_log "$1"); if [ -f "$_f" ]; then wc -l <"$_f"; else echo 0; fi; }
after() { tail -n +$(($2 + 1)) "$(console_log "$1")" 2>/dev/null; }

# wait_after NAME MARK TIMEOUT_S OK [FAIL]: fixed strings.  0 once a line past
# MARK contains OK, 1 if one contains FAIL first, 4 on timeout.  Each look
# reads only the new part of the log (scan).
wait_after() {
    _wt0=$(uptime_s)
    _wf=$(console_log "$1")
    SCAN_OFF=$(line_off "$_wf" "$2")
    _wt=$(mktemp /tmp/xl-wait.XXXXXX)
    while :; do
        scan "$_wf" "$_wt" "$4" "${5:-}"
        _wr=$?
        [ $_wr -lt 2 ] && break
        timed_out "$_wt0" "$3" && { _wr=4; break; }
        [ $SCAN_FULL -eq 1 ] || sleep 0.05
    done
    rm -f "$_wt"
    return "$_wr"
}

# xl_online DOM: vcpu ids Xen has up, "0 1 2" (xl vcpu-list: 'p' in the
# state column means the vCPU is down).
xl_online() {
    xl vcpu-list "$1" | awk 'NR > 1 && $5 !~ /p/ { printf "%s%s", s, $3; s = " " } END { print "" }'
}
# xl_vcpus DOM: the VCPUs column of xl list (online count).
xl_vcpus() { xl list "$1" | awk 'NR == 2 { print $4 }'; }
# guest_online NAME [MARK]: vcpu ids of the guest's last "cpus: online N [...]" line.
guest_online() {
    after "$1" "${2:-0}" | sed -n 's/.*cpus: online [0-9]* \[\([0-9 ]*\)\].*/\1/p' | tail -n 1
}
# seq_ids N: "0 1 ... N-1"
seq_ids() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s%d", i ? " " : "", i; print "" }'; }
# console_cmd DOM LINE: type LINE on the guest console (its pty in dom0;
# xenconsoled keeps the pty raw, so the bytes reach the ring as written).
console_cmd() { printf '%s\r' "$2" >"$(xenstore-read "/local/domain/$1/console/tty")"; }
# ms_since T0: milliseconds since uptime T0.
ms_since() { awk -v a="$1" -v b="$(uptime_s)" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# start_service CFG: xl create CFG and wait (60 s) for "service: ready";
# on failure record the step, show a post-mortem and call the scenario's finish.
start_service() {
    create "$1" || { step not-ok "create" "xl create $1 failed"; exit 3; }
    wait_console "$DOMID" "$DOMNAME" "service: ready" "PANIC" 60
    r_=$?
    if [ $r_ -ne 0 ]; then
        step not-ok "service ready" "wait_console returned $r_"
        post_mortem "$DOMID"
        finish
    fi
    step ok "service ready" "domain $DOMID"
}

# vcpu_set N: xl vcpu-set, then wait (bounded) for minipv's state line with
# vcpus 0..N-1 and compare with xl.  Sets LAT_MS; returns 0 if all agree.
vcpu_set() {    # STEP_TIMEOUT: s for minipv to report (default 20)
    XL_MS=0 LAT_MS=0
    want=$(seq_ids "$1")
    m=$(mark "$DOMNAME")
    t0=$(uptime_s)
    if ! xl vcpu-set --ignore-host "$DOMID" "$1" >/tmp/vcpu-set.out 2>&1; then
        WHY="xl vcpu-set $1 failed: $(cat /tmp/vcpu-set.out)"
        return 1
    fi
    XL_MS=$(ms_since "$t0")
    wait_after "$DOMNAME" "$m" "${STEP_TIMEOUT:-20}" "cpus: online $1 [$want]"
    r=$?
    LAT_MS=$(ms_since "$t0")
    got_guest=$(guest_online "$DOMNAME" "$m")
    if [ $r -eq 0 ] && [ "$got_guest" != "$want" ]; then
        # the line may still be on its way into the log: look once more
        sleep 0.2
        got_guest=$(guest_online "$DOMNAME" "$m")
    fi
    got_xl=$(xl_online "$DOMID")
    got_list=$(xl_vcpus "$DOMID")
    WHY="minipv [$got_guest] xl vcpu-list [$got_xl] xl list $got_list, want [$want]; xl vcpu-set returned after $XL_MS ms, minipv reported after $LAT_MS ms"
    if [ $r -eq 0 ] && [ "$got_guest" != "$want" ]; then
        # The wait saw the line but the parse did not: show what the log held past the mark.
        WHY="$WHY; report lines past mark $m: $(after "$DOMNAME" "$m" | grep -a 'cpus: online' | tr '\n' '|' | od -c | head -n 4 | tr -s ' ' | tr '\n' ' ')"
    fi
    [ $r -eq 0 ] && [ "$got_guest" = "$want" ] && [ "$got_xl" = "$want" ] && [ "$got_list" = "$1" ]
}

# finish: the scenario's end (also on a failed start): show the console,
# destroy the domain if it is still there, report the failed steps.  A
# scenario with more domains defines its own after sourcing this file.
finish() {
    dump_console "$DOMNAME"
    [ -n "$(dom_state "$DOMID")" ] && xl destroy "$DOMID"
    log "$STEP_FAILS failed step(s)"
    exit $((STEP_FAILS > 0))
}

# shutdown_step NAME: xl shutdown (bounded); the domain must go and minipv
# must have said it powers off.
shutdown_step() {
    m_=$(mark "$DOMNAME")
    t0_=$(uptime_s)
    timeout 30 xl shutdown "$DOMID"
    rs_=$?
    wait_gone "$DOMID" 30
    g_=$?
    said_=$(after "$DOMNAME" "$m_" | grep -c "control: poweroff now")
    check "$1" "gone after $(ms_since "$t0_") ms (xl rc $rs_), 'control: poweroff now' seen: $said_" \
        [ $g_ -eq 0 -a "$said_" -ge 1 ]
}
