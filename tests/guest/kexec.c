/* SPDX-License-Identifier: MIT */
/*
 * Suite "kexec": jump into a new minipv gens= times in one boot, the first
 * time from kexec_vcpu=, each later one from another vCPU than the last.
 * Every generation checks the whole machine again: every vCPU back, each
 * answers an IPI and Xen accepts its own singleshot timer (the map is
 * right), Xen's up/down view matches ours, APIC IDs unchanged, no stray
 * events, no page lost.  Generations in between print "kexec-check:" lines
 * and carry their failures on; the last one prints KTAP and the one result.
 */
#include <kernel/test.h>
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <kernel/cmdline.h>
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <kernel/cpu_topology.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>
#include "machine.h"

static uint64_t opt_kexec_vcpu;
KOPT_UINT(kexec_vcpu, "kexec_vcpu", opt_kexec_vcpu, 0, MAX_VCPU_ID - 1,
          "test=kexec: the vcpu id the first jump is made from");
static uint64_t opt_gens = 1;
KOPT_UINT(gens, "gens", opt_gens, 1, 100, "test=kexec: jumps in one boot (1..100)");
static const char *const drill_names[] = { "none", "cpu0", "offline2", "nmi_offline", NULL };
enum { DRILL_NONE, DRILL_CPU0, DRILL_OFFLINE2, DRILL_NMI_OFFLINE };
static int opt_drill = DRILL_NONE;
KOPT_ENUM(kexec_drill, "kexec_drill", opt_drill, drill_names,
          "test=kexec, before the first jump: none | cpu0 (cpu 0 offline and back) | "
          "offline2 (two vCPUs offline across the jump, onlined after) | nmi_offline (an NMI to "
          "each of two offline vCPUs: one comes up at once, one stays offline across the jump)");

/*
 * kexec_drill=nmi_offline: VCPUOP_send_nmi hits exactly one vCPU, as `xl
 * trigger DOM nmi V` does; Xen latches it on a down vCPU.  The first cpu
 * comes back up now (its NMI is taken at bring-up, ignored and said); the
 * second stays offline across the jump (it takes its NMI in the old kernel,
 * which must not act on it; the new kernel says so).  Run with nmi=kdump.
 */
static bool nmi_offline_drill(int v)
{
    int cpus[2], n = 0;
    for (int cpu = (int)nr_cpus - 1; cpu > 0 && n < 2; cpu--)
        if (cpu_to_vcpu((unsigned)cpu) != (unsigned)v)
            cpus[n++] = cpu;
    if (n < 2)
        return false;
    for (int i = 0; i < 2; i++) {
        int down = cpu_down((unsigned)cpus[i]);
        long nmi = hypercall_vcpu_op(VCPUOP_send_nmi, cpu_to_vcpu((unsigned)cpus[i]), NULL);
        printk("kexec: drill nmi_offline: cpu %d (vcpu %u) offline: %d, NMI sent: %ld", cpus[i],
               cpu_to_vcpu((unsigned)cpus[i]), down, nmi);
        if (down || nmi)
            return false;
    }
    int up = cpu_up((unsigned)cpus[0]);
    printk("kexec: drill nmi_offline: cpu %d back up: %d", cpus[0], up);
    return up == 0;
}

static void kexec_suite(void)
{
    unsigned g = kexec_generation();
    struct machine_checks gc = { 0 };
    unsigned failed = g ? machine_checks(&gc, "kexec-check") : 0;

    if (g < opt_gens) {
        int v;
        if (g == 0) {
            v = (int)opt_kexec_vcpu;
            if (opt_kexec_vcpu >= nr_vcpus || vcpu_to_cpu((unsigned)v) < 0 ||
                !cpumask_test(&cpu_online_mask, (unsigned)vcpu_to_cpu((unsigned)v))) {
                printk("kexec: kexec_vcpu=%llu: not an online vCPU of this kernel (the domain "
                       "has %u vCPUs, %u in use): no jump", (unsigned long long)opt_kexec_vcpu,
                       nr_vcpus, nr_cpus);
                result_report(RESULT_ERROR, "kexec_vcpu= names no online vCPU");
                return;
            }
        } else {
            v = next_vcpu(kexec_handoff()->jump_vcpu);
        }
        if (v < 0) {
            result_report(RESULT_ERROR, "no online vCPU to jump from");
            return;
        }
        if (g == 0 && opt_drill == DRILL_CPU0) {
            /* cpu 0 down from itself and back: its per-cpu state redone before the jump. */
            int down = cpu_down(0), up = cpu_up(0);
            printk("kexec: drill cpu0: down %d, up %d", down, up);
            if (down || up)
                result_report(RESULT_FAILURE, "cpu 0 offline and back before the jump failed");
        } else if (g == 0 && opt_drill == DRILL_OFFLINE2) {
            /* The two highest cpus that are not the one we jump from go offline across it. */
            unsigned taken = 0;
            for (int cpu = (int)nr_cpus - 1; cpu > 0 && taken < 2; cpu--) {
                if (cpu_to_vcpu((unsigned)cpu) == (unsigned)v)
                    continue;
                int rc = cpu_down((unsigned)cpu);
                printk("kexec: drill offline2: cpu %d (vcpu %u) offline: %d", cpu,
                       cpu_to_vcpu((unsigned)cpu), rc);
                taken += rc == 0;
            }
            if (taken < 2)
                result_report(RESULT_FAILURE, "could not take two vCPUs offline before the jump");
        } else if (g == 0 && opt_drill == DRILL_NMI_OFFLINE && !nmi_offline_drill(v)) {
            result_report(RESULT_FAILURE, "the nmi_offline drill could not run (3 vCPUs needed)");
        }
        kexec_carry(failed);
        printk("kexec: generation %u of %llu: next jump from vcpu %d (cpu %d)", g,
               (unsigned long long)opt_gens, v, vcpu_to_cpu((unsigned)v));
        int rc = kexec_start((unsigned)vcpu_to_cpu((unsigned)v), NULL, "test");
        if (rc) {
            result_report(RESULT_ERROR, "kexec_start refused the jump");
            return;
        }
        /* Under way on the other cpu: a second jump meanwhile is refused, changing nothing. */
        rc = kexec_start((unsigned)vcpu_to_cpu((unsigned)v), NULL, "test (second)");
        printk("kexec: a second kexec while one is under way: %d", rc);
        /* The jump is under way on that cpu; this one is stopped with the rest of us. */
        thread_sleep(60000000000ULL);
        result_report(RESULT_ERROR, "the jump did not happen within 60 s");
        return;
    }
    ktap_begin(9);
    ktap_case(gc.offline, "vCPUs offline at the last jump stayed offline, came up after",
              "%u offline, %u stayed, %u came up", gc.was_offline, gc.stayed, gc.revived);
    ktap_case(gc.back, "every vCPU online at the last jump is back", "%u of %u",
              kexec_carried()->back, kexec_carried()->of);
    ktap_case(gc.ipi, "every online cpu answers an IPI", "%u of %u", gc.ipi_ok, gc.online);
    ktap_case(gc.timers, "each cpu's own singleshot timer", "%u of %u", gc.timers_ok, gc.online);
    ktap_case(gc.xen_view, "Xen has exactly the ONLINE cpus up", "see kexec-check lines");
    ktap_case(gc.apic, "APIC IDs unchanged", "%u changed", gc.apic_bad);
    ktap_case(gc.stray, "no stray events", "see kexec-check lines");
    ktap_case(gc.memory, "free pages within the bound of generation 1", "off by %lld pages",
              gc.free_diff);
    ktap_case(kexec_carried()->failed == 0, "every earlier generation passed its checks",
              "%u checks failed in earlier generations", kexec_carried()->failed);
    printk("kexec: %u generations done; free pages %llu, generation 1 %llu", g,
           (unsigned long long)kexec_carried()->free_now,
           (unsigned long long)kexec_carried()->first_free_pages);
}
GUEST_SUITE(kexec, "kexec", "kexec generations: jump, every vCPU back, whole-machine checks",
            kexec_suite);
