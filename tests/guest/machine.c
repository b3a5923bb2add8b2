/* SPDX-License-Identifier: MIT */
/* Whole-machine checks a kexec'd or crash kernel runs on itself (test=kexec, test=crash). */
#include <kernel/test.h>
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <kernel/smp.h>
#include <kernel/mm.h>
#include <kernel/cpu_topology.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include "machine.h"

static volatile int timer_rc[NR_CPUS];
static void arm_own_timer(void *arg)
{
    (void)arg;
    timer_rc[smp_processor_id()] = timer_arm(xen_system_time() + 1000000);
}

static const char *check_tag;

static unsigned check(bool ok, const char *name, const char *detail)
{
    printk("%s: generation %u: %s: %s%s%s", check_tag, kexec_generation(), name,
           ok ? "ok" : "FAILED", detail && *detail ? " -- " : "", detail ? detail : "");
    return ok ? 0 : 1;
}

unsigned machine_checks(struct machine_checks *g, const char *tag)
{
    const struct kexec_carry *c = kexec_carried();
    const struct handoff *h = kexec_handoff();
    char d[160];
    unsigned failed = 0;
    check_tag = tag;

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
            printk("%s: vcpu %u: APIC ID %u, was %u", tag, v, cpu_topo[cpu].apic_id,
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
    if (h->kind == HANDOFF_KEXEC) {
        g->memory = g->free_diff <= LEAK_BOUND_PAGES && g->free_diff >= -LEAK_BOUND_PAGES;
        snprintf(d, sizeof(d), "%llu free, generation 1 had %llu (bound %d pages)",
                 (unsigned long long)c->free_now, (unsigned long long)c->first_free_pages,
                 LEAK_BOUND_PAGES);
    } else {
        g->memory = true;           /* a crash kernel leaves the old memory alone */
        snprintf(d, sizeof(d), "a crash kernel: the old memory is kept for the dump");
    }
    failed += check(g->memory, "no page lost across generations", d);
    return failed;
}


/* The online vCPU after `prev` in vcpu id order (wrapping), other than prev. */
int next_vcpu(unsigned prev)
{
    for (unsigned i = 1; i <= nr_vcpus; i++) {
        unsigned v = (prev + i) % nr_vcpus;
        int c = vcpu_to_cpu(v);
        if (v != prev && c >= 0 && cpumask_test(&cpu_online_mask, (unsigned)c))
            return (int)v;
    }
    return -1;
}

bool machine_xen_agrees(int *bad)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        bool online = cpu_state(per_cpu(c)) == CPU_ONLINE;
        if ((hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(c), NULL) == 1) != online) {
            *bad = (int)c;
            return false;
        }
    }
    return true;
}

void machine_ping_all(void *arg)
{
    (void)arg;
    unsigned me = smp_processor_id();
    for_each_cpu(d, &cpu_online_mask) {
        if (d == me)
            continue;
        cpumask_set(&ping_from[d], me);
        send_ipi(d, IPI_PING);
    }
}
