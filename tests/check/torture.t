#!/bin/sh
# CPU-hotplug torture (issue 12): random offline/online steps, cpu 0 included,
# under load (threads, timers, IPIs), at 8 and 64 vCPUs; fixed seeds here so a
# run replays.  `make torture` runs 1000 steps each with fresh seeds.
. "$(dirname "$0")/lib.sh"

CYCLES=${TORTURE_CYCLES:-150}
for c in "8:11" "64:7"; do
    n=${c%%:*} seed=${c#*:}
    [ -n "${TORTURE_RANDOM:-}" ] && seed=0
    boot torture-$n "$n" test=torture torture_cycles="$CYCLES" torture_seed="$seed"
    expect_outcome "torture $n vCPUs, $CYCLES steps" 0
    ktap "torture $n vCPUs"
    expect_line "torture $n: the seed is printed" 'torture: seed [0-9]+, [0-9]+ cycles over'
    grep -E 'torture: [0-9]+ down' "$LOG" | sed 's/^\[[^]]*\] /# /'
    # A failing run's replay line, for the person who has to look at it.
    [ "$OUTCOME" -ne 0 ] && sed -n 's/.*(replay: \(torture_seed=[0-9]*\)).*/# replay: sh scripts\/run-dom0.sh --vcpus '"$n"' -- test=torture torture_cycles='"$CYCLES"' \1/p' "$LOG"
done

done_testing
