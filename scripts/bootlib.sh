# SPDX-License-Identifier: MIT
# Boot-and-median helpers shared by the prove suites (tests/check/lib.sh) and
# the benchmarks (bench/run, bench/bringup).  POSIX sh; source it from the
# top of the repository.  Every boot is bounded (run-dom0.sh and run-xl.sh
# run QEMU under timeout).  On a shared machine, limit the callers that run
# at once as a whole (QSLOT below does it per boot).

# boot_dom0 LOG VCPUS TIMEOUT_S ARGS...: minipv as dom0 under Xen in QEMU.
# Returns run-dom0.sh's status (0 SUCCESS, 1 FAILURE, 2 ERROR, 3 SKIP,
# 4 CRASH, 5 TIMEOUT, ...); the serial log is in LOG.
# QSLOT, if set, is a command that each boot runs under (e.g. one that holds a QEMU slot);
# KERNEL, if set, is the image to boot (e.g. an older build, to show a check fails there).
# PCPUS, if set, is Xen's pCPU count (run-dom0.sh --pcpus; default one per vCPU).
boot_dom0() {
    _log=$1 _n=$2 _t=$3
    shift 3
    ${QSLOT:+$QSLOT} sh scripts/run-dom0.sh --vcpus "$_n" ${PCPUS:+--pcpus "$PCPUS"} --timeout "$_t" \
        --kernel "${KERNEL:-build/minipv.stripped}" --log "$_log" -- "$@" >/dev/null 2>&1
}

# boot_xl LOG TIMEOUT_S SCENARIO [run-xl.sh options...]: one dom0 run of
# the xl bed.  Returns the scenario's status (124 host timeout, 125 no marker).
boot_xl() {
    _log=$1 _t=$2 _s=$3
    shift 3
    scripts/xl/run-xl.sh --guest build/minipv --scenario "$_s" --timeout "$_t" --log "$_log" "$@" \
        >/dev/null 2>&1
}

# bench_lines LOG NAME: the machine-readable "bench: NAME ..." lines of a log.
bench_lines() { grep "^bench: $2 " "$1" 2>/dev/null; }

# kv KEY: from "bench: ..." lines on stdin, the value of KEY=VALUE of each.
kv() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); break } }'; }

# median: of the numbers on stdin (one a line, anything else ignored);
# prints "missing" when there is none: a missing value is never zero.
median() {
    grep -E '^-?[0-9]+(\.[0-9]+)?$' | sort -g |
        awk '{ a[NR] = $1 } END {
            if (!NR) { print "missing"; exit }
            v = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            if (v == int(v)) printf "%d\n", v; else printf "%.1f\n", v }'
}

# ratio A B: A/B to two decimals, "missing" if either is missing or B is 0.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a !~ /^-?[0-9.]+$/ || b !~ /^-?[0-9.]+$/ || b + 0 == 0) print "missing"; else printf "%.2f\n", a / b }'
}
