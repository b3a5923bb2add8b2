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

static uint64_t opt_kexec_vcpu;
KOPT_UINT(kexec_vcpu, "kexec_vcpu", opt_kexec_vcpu, 0, MAX_VCPU_ID - 1,
          "test=kexec: the vcpu id the first jump is made from");
static uint64_t opt_gens = 1;
KOPT_UINT(gens, "gens", opt_gens, 1, 100, "test=kexec: jumps in one boot (1..100)");
static const char *const drill_names[] = { "none", "cpu0", "offline2", NULL };
enum { DRILL_NONE, DRILL_CPU0, DRILL_OFFLINE2 };
static int opt_drill = DRILL_NONE;
KOPT_ENUM(kexec_drill, "kexec_drill", opt_drill, drill_names,
          "test=kexec, before the first jump: none | cpu0 (cpu 0 offline and back) | "
          "offline2 (two vCPUs offline across the jump, onlined after)");
/* Free pages may differ between generations by a few page-table pages of the linear map. */
#define LEAK_BOUND_PAGES 16

static volatile int timer_rc[NR_CPUS];
static void arm_own_timer(void *arg)
{
    (void)arg;
    timer_rc[smp_processor_id()] = timer_arm(xen_system_time() + 1000000);
}

struct gen_checks {
    bool back, ipi, timers, xen_view, apic, stray, memory, offline;
    unsigned ipi_ok, timers_ok, online, apic_bad, stayed, revived, was_offline;
    long long free_diff;
};

static unsigned check(bool ok, const char *name, const char *detail)
{
    printk("kexec-check: generation %u: %s: %s%s%s", kexec_generation(), name,
           ok ? "ok" : "FAILED", detail && *detail ? " -- " : "", detail ? detail : "");
    return ok ? 0 : 1;
}

static unsigned run_checks(struct gen_checks *g)
{
    const struct kexec_carry *c = kexec_carried();
    const struct handoff *h = kexec_handoff();
    char d[160];
    unsigned failed = 0;

    /* vCPUs offline at the jump: still offline (Xen agrees), then they come up whole. */
    g->stayed = g->revived = g->was_offline = 0;
    for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
        unsigned v = cpu_to_vcpu(cpu);
        if (v >= h->nr_vcpus || h->vcpu[v].state != HO_VCPU_OFFLINE)
            continue;
        g->was_offline++;
        g->stayed += cpu_state(per_cpu(cpu)) == CPU_OFFLINE &&
                     hypercall_vcpu_op(VCPUOP_is_up, v, NULL) == 0;
        g->revived += cpu_up(cpu) == 0;
    }
    g->offline = g->stayed == g->was_offline && g->revived == g->was_offline;
    snprintf(d, sizeof(d), "%u offline at the jump, %u stayed offline, %u came up after",
             g->was_offline, g->stayed, g->revived);
    failed += check(g->offline, "vCPUs offline at the jump stay offline and come up later", d);

    g->online = cpumask_weight(&cpu_online_mask);
    g->back = c->back == c->of && c->of > 0 && cpu_to_vcpu(0) == h->jump_vcpu;
    snprintf(d, sizeof(d), "%u of %u back online in %llu us, cpu 0 is vcpu %u (jumped from %u)",
             c->back, c->of, (unsigned long long)(c->jump_ns / 1000), cpu_to_vcpu(0), h->jump_vcpu);
    failed += check(g->back, "every vCPU online at the jump is back, cpu 0 the one that jumped", d);

    g->ipi_ok = g->timers_ok = 0;
    for_each_cpu(cpu, &cpu_online_mask) {
        timer_rc[cpu] = -1;
        g->ipi_ok += call_on_cpu(cpu, arm_own_timer, NULL) == 0;
        g->timers_ok += timer_rc[cpu] == 0;
    }
    g->ipi = g->ipi_ok == g->online;
    g->timers = g->timers_ok == g->online;
    snprintf(d, sizeof(d), "%u of %u answered", g->ipi_ok, g->online);
    failed += check(g->ipi, "every online cpu answers an IPI", d);
    snprintf(d, sizeof(d), "%u of %u accepted", g->timers_ok, g->online);
    failed += check(g->timers, "Xen accepts each cpu's own singleshot timer (the map is right)", d);

    unsigned bad_view = 0;
    for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
        bool online = cpu_state(per_cpu(cpu)) == CPU_ONLINE;
        bad_view += (hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(cpu), NULL) == 1) != online;
    }
    g->xen_view = !bad_view;
    snprintf(d, sizeof(d), "%u cpus where Xen disagrees", bad_view);
    failed += check(g->xen_view, "Xen has exactly the ONLINE cpus up", d);

    g->apic_bad = 0;
    unsigned compared = 0;
    for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
        unsigned v = cpu_to_vcpu(cpu);
        if (v >= h->nr_vcpus || h->vcpu[v].old_cpu == 0xffff)
            continue;
        compared++;
        if (h->vcpu[v].apic_id != cpu_topo[cpu].apic_id) {
            g->apic_bad++;
            printk("kexec-check: vcpu %u: APIC ID %u, was %u", v, cpu_topo[cpu].apic_id,
                   h->vcpu[v].apic_id);
        }
    }
    g->apic = !g->apic_bad && compared;
    snprintf(d, sizeof(d), "%u of %u vCPUs changed", g->apic_bad, compared);
    failed += check(g->apic, "each vCPU keeps its APIC ID", d);

    g->stray = cpu_stray_timer_events == 0 && xen_spurious_events == 0;
    snprintf(d, sizeof(d), "%llu stray timer events, %llu events with no handler",
             (unsigned long long)cpu_stray_timer_events, (unsigned long long)xen_spurious_events);
    failed += check(g->stray, "no stray event from the old kernel", d);

    g->free_diff = (long long)c->free_now - (long long)c->first_free_pages;
    g->memory = g->free_diff <= LEAK_BOUND_PAGES && g->free_diff >= -LEAK_BOUND_PAGES;
    snprintf(d, sizeof(d), "%llu free, generation 1 had %llu (bound %d pages)",
             (unsigned long long)c->free_now, (unsigned long long)c->first_free_pages,
             LEAK_BOUND_PAGES);
    failed += check(g->memory, "no page lost across generations", d);
    return failed;
}

/* The online vCPU after `prev` in vcpu id order (wrapping), other than prev. */
static int next_vcpu(unsigned prev)
{
    for (unsigned i = 1; i <= nr_vcpus; i++) {
        unsigned v = (prev + i) % nr_vcpus;
        int c = vcpu_to_cpu(v);
        if (v != prev && c >= 0 && cpumask_test(&cpu_online_mask, (unsigned)c))
            return (int)v;
    }
    return -1;
}

static void kexec_suite(void)
{
    unsigned g = kexec_generation();
    struct gen_checks gc = { 0 };
    unsigned failed = g ? run_checks(&gc) : 0;

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
