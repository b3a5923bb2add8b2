#!/bin/sh
# Real concurrency (issue 19): a short slice under multi-threaded TCG
# (run-dom0.sh --mttcg: Xen gets one pCPU per host core, -smp 2 on the
# development machine), so two vCPUs run at the same instant and the races
# that single-threaded TCG hides (orderings, lost wake-ups and kicks) can
# happen: SMP and the scheduler, hotplug torture (cpu 0 included), kexec,
# kdump.  Fixed seeds, so a failure replays with the same steps.
#
# 2 vCPUs, one per pCPU.  With 4 vCPUs on the 2 pCPUs, Xen's credit2 kept a
# busy vCPU runnable, not running, for 5 s at a time (its runstate, printed
# by the guest when a join timed out: "runstate 1 for 5004144 us"), and the
# suites' bounded waits failed on that: a bed that stalls vCPUs for seconds
# tests the bed, not minipv.
. "$(dirname "$0")/lib.sh"

# mboot NAME VCPUS ARGS...: boot as dom0 under MTTCG; sets LOG and OUTCOME.
mboot() {
    name=$1 vcpus=$2
    shift 2
    LOG=$LOGS/mttcg-$name.log
    ${QSLOT:+$QSLOT} sh scripts/run-dom0.sh --mttcg --vcpus "$vcpus" --timeout "${BOOT_TIMEOUT:-120}" \
        --kernel "${KERNEL:-build/minipv.stripped}" --log "$LOG" -- "$@" >/dev/null 2>&1
    OUTCOME=$?
}

mboot smp 2 test=smp bringup=tree
expect_outcome "mttcg smp" 0
ktap "mttcg smp"
expect_line "mttcg smp: under multi-threaded TCG" 'run-dom0: QEMU TCG thread=multi'
expect_line "mttcg smp: 2 of 2 online" 'smp: 2 of 2 vCPUs online in [0-9]+ us .*tree bring-up'

mboot sched 2 test=sched
expect_outcome "mttcg sched" 0
ktap "mttcg sched"

mboot torture 2 test=torture torture_cycles=60 torture_seed=19
expect_outcome "mttcg torture, 60 steps" 0
ktap "mttcg torture"
expect_line "mttcg torture: the seed is printed" 'torture: seed 19, 60 cycles over'

mboot kexec 2 test=kexec gens=3 kexec_vcpu=1
expect_outcome "mttcg kexec" 0
ktap "mttcg kexec"
expect_count "mttcg kexec: 3 generations, both back each time" \
    'kexec: generation [1-3] on vcpu [01]: 2 of 2 vCPUs back online' 3
expect_no_line "mttcg kexec: no vCPU lost" 'LOST'

mboot kdump 2 test=crash crash_vcpu=1 crash_how=panic drills=2 vmcore=regs
expect_outcome "mttcg kdump" 0
ktap "mttcg kdump"
expect_count "mttcg kdump: 2 crash kernels, both back each time" \
    'kdump: crash kernel on vcpu [01] \(crashed cpu [0-9]+, .*\): 2 of 2 vCPUs back online' 2
expect_no_line "mttcg kdump: no vCPU lost" 'LOST'

done_testing
