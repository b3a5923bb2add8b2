#!/bin/sh
# xl-lib: the xl scenario helpers' console-log waits (scripts/xl/scenarios/lib.sh),
# on the host, with dom0's busybox when build/deps has it (else the host's
# sh).  No QEMU.  The cases are in xl-lib-cases.sh.
. "$(dirname "$0")/lib.sh"

D=$(mktemp -d build/xl-lib.XXXXXX)
BB=build/deps/xl/root/bin/busybox
path=$PATH
sh_="sh"
if [ -x "$BB" ]; then
    mkdir -p "$D/bin"
    for a in $("$BB" --list); do ln -sf "$(pwd)/$BB" "$D/bin/$a"; done
    path=$(pwd)/$D/bin sh_=$D/bin/sh
fi
mkdir -p "$D/log"
out=$(PATH=$path TMPDIR=$D "$sh_" tests/check/xl-lib-cases.sh "$D/log" 2>&1)
echo "$out" | grep '^case ' >"$D/cases"
n=0
while read -r _ status rest; do
    n=$((n + 1))
    ok $([ "$status" = ok ] && echo 0 || echo 1) "${rest%% -- *}" "${rest#* -- }"
done <"$D/cases"
ok $([ "$n" -eq 11 ] && echo 0 || echo 1) "all 11 cases ran (shell: $sh_)" "$out"
left=$(ls /tmp/xl-wait.* "$D"/xl-wait.* 2>/dev/null)
ok $([ -z "$left" ] && echo 0 || echo 1) "no scratch file left behind" "$left"
rm -rf "$D"
done_testing
