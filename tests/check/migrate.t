#!/bin/sh
# migrate: a failed `xl migrate` (localhost, no ssh) leaves minipv running
# where it was, with every vCPU, as it leaves the Linux PV peer
# (scripts/xl/scenarios/migrate.sh; why it fails in this bed:
# scripts/xl/README.md, "xl migrate").  One xl-bed boot, about 1 minute.
. "$(dirname "$0")/lib.sh"

# The Linux peer's kernel and initramfs (cached after the first build).
out=$(bench/linux/mkpeer.sh 2>&1)
ok $? "migrate: the Linux PV peer is built" "$out"
run_scenario migrate 300 config/xl-service.cfg \
    --file build/bench/linux/vmlinux.gz:linux/vmlinux.gz \
    --file build/bench/linux/initrd.gz:linux/initrd.gz
done_testing
