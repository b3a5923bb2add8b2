#!/bin/sh
# A stand-in for qemu-system-x86_64 (tests/check/bed.t): prints a canned
# serial log for FAKE_QEMU=MODE and behaves as QEMU would after it.
# Writes its pid to -pidfile like QEMU, so run-dom0.sh can end it.
pidfile=""
while [ $# -gt 0 ]; do
    [ "$1" = -pidfile ] && pidfile=$2
    shift
done
[ -n "$pidfile" ] && echo $$ >"$pidfile"
xen() { echo "(XEN) Xen version 4.17.0 (stand-in)"; echo "(XEN) Command line: console=com1"; }
case "${FAKE_QEMU:-}" in
    failure) xen; echo "not ok 1 something # on purpose"; echo "Test result: FAILURE" ;;
    multiple) xen; echo "Test result: SUCCESS"; echo "Test result: FAILURE" ;;
    noresult) xen; echo "(XEN) Hardware Dom0 shutdown: rebooting machine" ;;
    hang) xen; exec sleep 600 ;;
    panic-upper) xen; echo "(XEN) ****************************************"
        echo "(XEN) PANIC ON CPU 3:"; echo "(XEN) Stand-in reason in capitals"
        echo "(XEN) ****************************************"; exec sleep 600 ;;
    halt-failure) xen; echo "Test result: FAILURE"; echo "(XEN) Hardware Dom0 halted: halting machine"
        exec sleep 600 ;;
    halt-noresult) xen; echo "(XEN) Hardware Dom0 halted: halting machine"; exec sleep 600 ;;
    *) echo "fake-qemu: unknown FAKE_QEMU '${FAKE_QEMU:-}'" >&2; exit 1 ;;
esac
