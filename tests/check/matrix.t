#!/bin/sh
# Randomized boot matrix (scripts/matrix), fixed seed, 20 boots: vCPUs online
# as asked (or capped by nr_cpus=), layout and APIC IDs as the host computes
# them from kernel/lib/topo_layout.c.  `make matrix` runs 200 boots.
# Xen's default scheduler (credit2) on 1-16 pCPUs (scripts/matrix says why).
. "$(dirname "$0")/lib.sh"

seed=${MATRIX_SEED:-20261202}
boots=${MATRIX_BOOTS:-20}
out=$LOGS/matrix.out
sh scripts/matrix --seed "$seed" --boots "$boots" --log-dir "$LOGS/matrix" >"$out" 2>&1
rc=$?
n=0
while read -r tag status k rest; do
    [ "$tag" = MATRIX-CASE ] || continue
    n=$((n + 1))
    if [ "$status" = ok ]; then ok 0 "matrix case $k: ${rest#-- }"; else ok 1 "matrix case $k: ${rest#-- }" "${rest#-- }"; fi
done <"$out"
ok $(( n == boots ? 0 : 1 )) "matrix: $n of $boots cases ran (seed $seed, exit $rc)" "$(tail -n 5 "$out")"
done_testing
