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

# wait_console DOM NAME OK_PATTERN [FAIL_PATTERN] [TIMEOUT_S]
# DOM: domid (or name) to watch; NAME: the cfg's name (console log file).
# Polls the guest console log.  Returns 0 on OK_PATTERN, 1 on FAIL_PATTERN,
# 2 if the domain crashed (state 'c'), 3 if it shut down or vanished without
# OK_PATTERN, 4 on timeout.  After a shutdown/crash the log gets a short grace
# period: xenconsoled may still be copying the last bytes out of the ring.
wait_console() {
    dom=$1 name=$2 ok=$3 fail=${4:-} tmo=${5:-60}
    f=$(console_log "$name")
    t=$(uptime_s)
    end=
    while :; do
        if [ -f "$f" ] && grep -q -- "$ok" "$f"; then return 0; fi
        if [ -n "$fail" ] && [ -f "$f" ] && grep -q -- "$fail" "$f"; then return 1; fi
        [ -n "$end" ] && return "$end"
        case $(dom_state "$dom") in
        "") end=3 ;;
        *c*) end=2 ;;
        *s*) end=3 ;;
        *) timed_out "$t" "$tmo" && return 4 ;;
        esac
        if [ -n "$end" ]; then sleep 0.5; else sleep 0.2; fi
    done
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
