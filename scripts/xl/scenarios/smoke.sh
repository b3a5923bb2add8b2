# Smoke scenario (busybox sh inside dom0): the toolstack works, and the guest
# built from /guest/smoke.cfg boots under xl and reports
# "Test result: SUCCESS" on its PV console.
# shellcheck source=scripts/xl/scenarios/lib.sh
. /xl-lib.sh

CFG=/guest/smoke.cfg

xl info || exit 2
xl list || exit 2

create "$CFG" || exit 3
xl list

wait_console "$DOMID" "$DOMNAME" "Test result: SUCCESS" "Test result: FAIL" 60
r=$?
case $r in
0) log "guest reported SUCCESS" ;;
1) log "guest reported FAILURE" ;;
2) log "guest CRASHED"; post_mortem "$DOMID" ;;
3) log "guest shut down without reporting SUCCESS"; post_mortem "$DOMID" ;;
4) log "timed out waiting for the guest"; post_mortem "$DOMID" ;;
esac
dump_console "$DOMNAME"
xl list

# The cfg keeps the domain after poweroff/crash (on_*="preserve"), so it is
# still there (shut down, crashed or hung): clean it up.
[ -n "$(dom_state "$DOMID")" ] && xl destroy "$DOMID"
[ $r -eq 0 ]
