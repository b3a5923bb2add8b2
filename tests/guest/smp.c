/* SPDX-License-Identifier: MIT */
/*
 * Suite "smp": every vCPU online, the cpu -> vcpu map proven by Xen itself
 * (VCPUOP_set_singleshot_timer only accepts the calling vCPU's own id),
 * IPIs between every pair of cpus, a timer on every cpu.
 * Each cpu prints "map: cpu C vcpu V" so the host can check the permutation.
 */
#include <kernel/test.h>
#include "machine.h"
#include <kernel/smp.h>
#include <kernel/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <arch/x86.h>
#include <minipv/string.h>


static struct {
    volatile int ran_on, timer_rc;
    volatile uint64_t armed_at, deadline, fired_before;
} probe[NR_CPUS];

static void map_probe(void *arg)
{
    (void)arg;
    struct percpu *pc = this_cpu();
    unsigned c = pc->cpu;
    probe[c].ran_on = (int)c;
    probe[c].fired_before = pc->timer_fired;
    uint64_t now = xen_system_time();
    probe[c].armed_at = now;
    probe[c].deadline = now + 1000000;          /* 1 ms */
    /* Xen rejects a singleshot timer for any vCPU but the caller: the map must be right. */
    probe[c].timer_rc = timer_arm(probe[c].deadline);
    printk("map: cpu %u vcpu %u timer_rc %d", c, pc->vcpu_id, probe[c].timer_rc);
}

/* How many cpus got there, of how many online. */
struct count {
    unsigned n, online;
};

static bool timers_fired(void *arg)
{
    struct count *k = arg;
    k->n = 0;
    for_each_cpu(c, &cpu_online_mask)
        k->n += per_cpu(c)->timer_fired > probe[c].fired_before;
    return k->n == k->online;
}

static bool pings_complete(void *arg)
{
    struct count *k = arg;
    k->n = 0;
    for_each_cpu(d, &cpu_online_mask)
        k->n += cpumask_weight(&ping_seen[d]) == k->online - 1;
    return k->n == k->online;
}

/* Xen's running time of each cpu's vCPU when the pings went out. */
static uint64_t ran_at_ping[NR_CPUS];

/*
 * The first cpu short of pings: how many it heard, the first sender it
 * missed, how long Xen ran its vCPU meanwhile and its runstate now
 * (runnable and unrun: Xen's doing; blocked: an IPI was lost).
 */
static void ping_shortfall(unsigned online)
{
    for_each_cpu(d, &cpu_online_mask) {
        unsigned heard = cpumask_weight(&ping_seen[d]);
        if (heard == online - 1)
            continue;
        int first = -1;
        for_each_cpu(s, &cpu_online_mask)
            if (s != d && !cpumask_test(&ping_seen[d], s)) {
                first = (int)s;
                break;
            }
        unsigned v = cpu_to_vcpu(d);
        char rs[96];
        vcpu_runstate_text(v, rs, sizeof(rs));
        printk("smp: cpu %u (vcpu %u) heard %u of %u pings, not cpu %d's; Xen ran it %llu ms "
               "since they were sent (%s)", d, v, heard, online - 1, first,
               (unsigned long long)((vcpu_ran_ns(v) - ran_at_ping[d]) / 1000000), rs);
        return;
    }
}

static void smp_suite(void)
{
    unsigned online = cpumask_weight(&cpu_online_mask);
    int fail_vcpu = smp_fail_vcpu();
    ktap_begin(6);

    /* 1: the count: every used vCPU online, except the one we were told to break. */
    unsigned failed = 0, failed_expected = 0, unavailable = 0;
    for (unsigned c = 0; c < nr_cpus; c++) {
        if (per_cpu(c)->state == CPU_FAILED) {
            failed++;
            failed_expected += (int)per_cpu(c)->vcpu_id == fail_vcpu;
        } else if (per_cpu(c)->state == CPU_OFFLINE && !per_cpu(c)->initialised) {
            unavailable++;      /* cpu/N/availability = offline at boot (maxvcpus > vcpus) */
        }
    }
    unsigned want = nr_cpus - unavailable - (fail_vcpu >= 0 && vcpu_to_cpu((unsigned)fail_vcpu) > 0);
    CHECK(online == want && failed == nr_cpus - unavailable - want && failed_expected == failed,
          "all used vCPUs online", "online %u want %u (nr_cpus %u, nr_vcpus %u, %u unavailable), failed %u expected %u",
          online, want, nr_cpus, nr_vcpus, unavailable, failed, failed_expected);
    printk("smp: online %u failed %u nr_cpus %u nr_vcpus %u", online, failed, nr_cpus, nr_vcpus);

    /* 2-3: run on every cpu via IPI; the timer arm there proves the map. */
    unsigned ran = 0, armed = 0;
    for_each_cpu(c, &cpu_online_mask) {
        probe[c].ran_on = -1;
        if (!call_on_cpu(c, map_probe, NULL) && probe[c].ran_on == (int)c)
            ran++;
        armed += probe[c].timer_rc == 0;
    }
    CHECK(ran == online, "call_on_cpu reaches every cpu", "%u of %u ran", ran, online);
    CHECK(armed == online, "singleshot timer armed on every cpu with its own vcpu id",
          "%u of %u accepted by Xen", armed, online);

    /* 4: the timers fire, each on its own cpu, within a bound. */
    uint64_t start = xen_system_time(), worst = 0;
    struct count fired = { 0, online };
    wait_until(timers_fired, &fired, BOUND_TEST_TIMERS_ALL_NS, wait_idle_yield);
    worst = xen_system_time() - start;
    CHECK(fired.n == online, "every cpu's timer fires within 2 s", "%u of %u fired", fired.n, online);
    printk("smp: timers: %u of %u fired, last seen after %llu us", fired.n, online,
           (unsigned long long)(worst / 1000));

    /* 5: every cpu pings every other. */
    for (unsigned c = 0; c < NR_CPUS; c++)
        cpumask_zero(&ping_seen[c]);
    for_each_cpu(c, &cpu_online_mask)
        ran_at_ping[c] = vcpu_ran_ns(cpu_to_vcpu(c));
    int missing = call_on_all(machine_ping_all, NULL);
    struct count complete = { 0, online };
    start = xen_system_time();
    wait_until(pings_complete, &complete, BOUND_TEST_PING_ALL_NS, wait_idle_yield);
    CHECK(!missing && complete.n == online, "IPIs: every cpu pings every other",
          "%u of %u cpus heard from all others (%d did not run the sender)", complete.n, online,
          missing);
    printk("smp: %u x %u IPIs delivered in %llu us", online, online - 1,
           (unsigned long long)((xen_system_time() - start) / 1000));
    if (complete.n != online)
        ping_shortfall(online);

    /* 6: the reverse map agrees with the forward one. */
    unsigned bad = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        bad += vcpu_to_cpu(cpu_to_vcpu(c)) != (int)c;
    CHECK(!bad && cpu_to_vcpu(0) == boot_vcpu_id, "cpu <-> vcpu map is a bijection, cpu 0 = boot vcpu",
          "%u mismatches", bad);
}
GUEST_SUITE(smp, "smp", "vCPU bring-up, id map, IPIs, timers", smp_suite);
