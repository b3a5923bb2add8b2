/* SPDX-License-Identifier: MIT */
/*
 * Suite "torture": CPU-hotplug torture in the spirit of rcutorture's
 * (which found Linux's CPU0 bug in 14 of 15 runs).  torture_cycles= random
 * offline/online steps, cpu 0 included, seeded (torture_seed=, printed so a
 * failure replays), while a worker per cpu keeps threads, timers and IPIs
 * flowing.  At the end: every cpu back, no hang, no lost vCPU, no page and
 * no event channel leaked, and every cpu passes the whole-machine check.
 */
#include <kernel/test.h>
#include "machine.h"
#include <kernel/cmdline.h>
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>

static uint64_t opt_cycles = 100;
KOPT_UINT(torture_cycles, "torture_cycles", opt_cycles, 1, 100000,
          "test=torture: random offline/online steps");
static uint64_t opt_seed = 0;
KOPT_UINT(torture_seed, "torture_seed", opt_seed, 0, UINT64_MAX,
          "test=torture: the seed (0: from Xen time; printed either way)");

/* The heap keeps the pages it carves objects from: a busier run may keep a few more. */
#define HEAP_SLACK_PAGES 8

static uint64_t rng;
static uint64_t next_rand(void)
{
    /* xorshift64*: small, seeded, the same sequence on every run with the same seed. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static volatile bool stop;
static volatile uint64_t work_done, pings_sent;
static volatile int timer_rc[NR_CPUS];

static void arm_own_timer(void *arg)
{
    (void)arg;
    timer_rc[smp_processor_id()] = timer_arm(xen_system_time() + 1000000);
}

static void worker(void *arg)
{
    uint64_t r = (uint64_t)(unsigned long)arg * 0x9e3779b97f4a7c15ULL + 1;
    while (!atomic_load(&stop)) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        /* A little work, a timer (sleep), an IPI to some online cpu. */
        uint64_t until = xen_system_time() + 200000 + r % 500000;
        while (xen_system_time() < until)
            cpu_relax();
        thread_sleep(100000 + r % 1000000);
        unsigned me = smp_processor_id(), to = (unsigned)(r >> 20) % nr_cpus;
        if (to != me && cpumask_test(&cpu_online_mask, to)) {
            cpumask_set(&ping_from[to], me);
            send_ipi(to, IPI_PING);
            atomic_add(&pings_sent, 1);
        }
        atomic_add(&work_done, 1);
    }
}

static void torture_suite(void)
{
    rng = opt_seed ? opt_seed : (xen_system_time() | 1);
    uint64_t seed = rng;
    printk("torture: seed %llu, %llu cycles over %u cpus (replay: torture_seed=%llu)",
           (unsigned long long)seed, (unsigned long long)opt_cycles, nr_cpus,
           (unsigned long long)seed);
    ktap_begin(7);

    unsigned nw = nr_cpus;
    static struct thread *w[NR_CPUS];
    for (unsigned i = 0; i < nw; i++)
        w[i] = thread_create(worker, (void *)(unsigned long)(i + 1), "torture", NULL);
    thread_sleep(50000000ULL);          /* the workers' stacks are taken: measure after */
    unsigned long pages_before = pages_free();
    struct xen_evtchn_census ev0;
    xen_evtchn_walk(NULL, 0, false, &ev0);

    unsigned downs = 0, ups = 0, fails = 0, cpu0 = 0;
    int first_fail = -1;
    uint64_t t0 = xen_system_time();
    for (uint64_t i = 0; i < opt_cycles; i++) {
        unsigned c = (unsigned)(next_rand() % nr_cpus);
        bool online = cpumask_test(&cpu_online_mask, c);
        int rc;
        if (online && cpumask_weight(&cpu_online_mask) == 1)
            continue;                   /* the last one stays */
        rc = online ? cpu_down(c) : cpu_up(c);
        if (rc) {
            fails++;
            if (first_fail < 0) {
                first_fail = (int)i;
                printk("torture: cycle %llu: cpu %u (vcpu %u) %s failed: %d (seed %llu)",
                       (unsigned long long)i, c, cpu_to_vcpu(c), online ? "down" : "up", rc,
                       (unsigned long long)seed);
            }
        }
        downs += online && !rc;
        ups += !online && !rc;
        cpu0 += c == 0 && !rc;
    }
    uint64_t took = xen_system_time() - t0;
    CHECK(!fails, "every random offline/online step succeeded", "%u of %llu failed, first at "
          "cycle %d (seed %llu)", fails, (unsigned long long)opt_cycles, first_fail,
          (unsigned long long)seed);
    CHECK(cpu0 > 0 || opt_cycles < 4 * nr_cpus, "cpu 0 went down and up too", "%u cpu 0 steps",
          cpu0);

    unsigned back = 0, lost = 0;
    for (unsigned c = 0; c < nr_cpus; c++) {
        if (!cpumask_test(&cpu_online_mask, c) && cpu_up(c) == 0)
            back++;
        lost += cpu_state(per_cpu(c)) != CPU_ONLINE;
    }
    CHECK(!lost && cpumask_weight(&cpu_online_mask) == nr_cpus, "every cpu back online, none lost",
          "%u not ONLINE, %u online of %u", lost, cpumask_weight(&cpu_online_mask), nr_cpus);

    atomic_store(&stop, true);
    unsigned joined = 0;
    for (unsigned i = 0; i < nw; i++)
        joined += w[i] && thread_join(w[i], 10000000000ULL) == 0;
    CHECK(joined == nw, "the workers ran on and ended (no hang)", "%u of %u joined", joined, nw);

    unsigned ipi_ok = 0, timers_ok = 0;
    for_each_cpu(c, &cpu_online_mask) {
        timer_rc[c] = -1;
        ipi_ok += call_on_cpu(c, arm_own_timer, NULL) == 0;
        timers_ok += timer_rc[c] == 0;
    }
    int bad = -1;
    bool agree = machine_xen_agrees(&bad);
    CHECK(ipi_ok == nr_cpus && timers_ok == nr_cpus && agree,
          "whole machine: every cpu answers an IPI, arms its own timer, Xen agrees",
          "%u IPIs, %u timers of %u; Xen disagrees on cpu %d", ipi_ok, timers_ok, nr_cpus, bad);

    struct xen_evtchn_census ev1;
    xen_evtchn_walk(NULL, 0, false, &ev1);
    CHECK(ev1.virq == ev0.virq && ev1.ipi == ev0.ipi && ev1.virq == nr_cpus && ev1.ipi == nr_cpus,
          "no event channel leaked", "VIRQ %u -> %u, IPI %u -> %u for %u cpus", ev0.virq, ev1.virq,
          ev0.ipi, ev1.ipi, nr_cpus);
    long long leak = (long long)pages_before - (long long)pages_free();
    CHECK(leak <= HEAP_SLACK_PAGES, "no page leaked (the heap may keep a few more slab pages)",
          "%lld pages fewer free (before %lu, after %lu, bound %d)", leak, pages_before,
          pages_free(), HEAP_SLACK_PAGES);
    printk("torture: %u down, %u up (%u of cpu 0), %u failed in %llu ms (%llu us per step); "
           "workers did %llu rounds, %llu IPIs; seed %llu", downs, ups, cpu0, fails,
           (unsigned long long)(took / 1000000),
           (unsigned long long)(opt_cycles ? took / 1000 / opt_cycles : 0),
           (unsigned long long)work_done, (unsigned long long)pings_sent,
           (unsigned long long)seed);
}
GUEST_SUITE(torture, "torture", "CPU-hotplug torture: random offline/online under load",
            torture_suite);
