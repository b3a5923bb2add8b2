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

# NMIs at online and offline vCPUs, with hotplug (cpu 0 included), kexec and kdump
# (issue 19): no hang, no lost vCPU, and one logged outcome per NMI sent.
nmi_torture() {    # VCPUS SEED
    boot nmitorture-$1 "$1" test=nmitorture nmi=log vmcore=off nmi_seed="$2" nmi_gens=4 \
        nmi_steps=${NMI_STEPS:-40}
    expect_outcome "nmitorture $1 vCPUs" 0
    ktap "nmitorture $1 vCPUs"
    expect_line "nmitorture $1: the seed is printed" 'nmitorture: generation 0, seed [0-9]+'
    expect_no_line "nmitorture $1: no vCPU lost" 'LOST'
    expect_no_line "nmitorture $1: no crash but the drills" 'kdump: crash on cpu [0-9]+ \(vcpu [0-9]+\): (NMI|fatal)'
    # An NMI sent to an online cpu is logged there; one sent to an offline cpu is
    # ignored at bring-up or on arrival, or carried over a jump: never taken as online.
    sent_on=$(grep -Ec 'nmitorture: NMI [0-9]+ to cpu [0-9]+ \(vcpu [0-9]+\), online' "$LOG")
    sent_off=$(grep -Ec 'nmitorture: NMI [0-9]+ to cpu [0-9]+ \(vcpu [0-9]+\), offline' "$LOG")
    on=$(grep -Ec 'NMI received on cpu [0-9]+ \(vcpu [0-9]+\)' "$LOG")
    off=$(grep -Ec 'NMI received while offline, taken (at bring-up|on arrival from the old kernel): ignored' "$LOG")
    over=$(sed -n 's/.*came over carrying \([0-9]*\) NMI(s).*/\1/p' "$LOG" | awk '{ n += $1 } END { print n + 0 }')
    ok $(( sent_on > 0 && sent_off > 0 && sent_on == on && sent_off == off + over ? 0 : 1 )) \
        "nmitorture $1: one outcome per NMI (online: $sent_on sent, $on logged; offline: $sent_off sent, $off ignored at bring-up or arrival, $over carried over a jump)" \
        "$(grep -E 'nmitorture: (NMI|generation)' "$LOG" | tail -n 5)"
    jumps=$(grep -Ec 'nmitorture: generation [0-9]+: .*(kexec|kdump)' "$LOG")
    ok $(( jumps > 0 ? 0 : 1 )) "nmitorture $1: jumped ($jumps)"
    grep -E 'nmitorture: generation [0-9]+: ' "$LOG" | sed 's/^/# /'
}
nmi_torture 4 23
nmi_torture 8 7

done_testing
