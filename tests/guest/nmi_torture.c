/* SPDX-License-Identifier: MIT */
/*
 * Suite "nmitorture": random NMIs at online and offline vCPUs, interleaved
 * with offline/online (cpu 0 included), kexec and kdump.  VCPUOP_send_nmi
 * hits exactly one vCPU, as `xl trigger DOM nmi V` does.  Run with nmi=log
 * (an NMI at an online cpu is then logged, not a crash).  Each generation
 * does nmi_steps= random steps, then jumps (kexec from a random online cpu,
 * or a panic there: kdump, its crash kernel, kdump_then=kexec), leaving
 * offline cpus, some with an NMI pending, across the jump; until
 * generation nmi_gens= is reached.  The seed is printed; each generation
 * uses seed + generation.  Every NMI sent is one line here
 * ("nmitorture: NMI N to cpu C (vcpu V), online|offline"), and must have
 * one outcome line: "NMI received on cpu" (online), "NMI received while
 * offline, taken ..." (at bring-up, or on arrival after a jump) or "came
 * over carrying K NMI(s)" (taken in the old kernel past its point of no
 * return); tests/check/torture.t counts them.  The last generation brings
 * every cpu up and checks no vCPU is lost and the machine is whole.
 */
#include <kernel/test.h>
#include <kernel/kexec.h>
#include <kernel/cmdline.h>
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <kernel/kernel.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>
#include <minipv/string.h>
#include "machine.h"

static uint64_t opt_steps = 40;
KOPT_UINT(nmi_steps, "nmi_steps", opt_steps, 1, 10000, "test=nmitorture: random steps a generation");
static uint64_t opt_gens = 4;
KOPT_UINT(nmi_gens, "nmi_gens", opt_gens, 0, 50,
          "test=nmitorture: jump (kexec or kdump) until this generation is reached");
static uint64_t opt_seed;
KOPT_UINT(nmi_seed, "nmi_seed", opt_seed, 0, UINT64_MAX,
          "test=nmitorture: the seed (0: from Xen time; printed either way)");

static uint64_t rng;
static uint64_t next_rand(void)
{
    /* xorshift64*: the same sequence for the same seed. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (rng * 2685821657736338717ULL) >> 16;    /* its low bits are its weakest */
}

/* Xen keeps one NMI per down vCPU: we send at most one until it is up again. */
static bool pending[NR_CPUS];
static unsigned sent_on, sent_off, failed;

static bool nmi_taken(void *arg)
{
    const uint64_t *want = arg;
    return per_cpu((unsigned)want[0])->nmis >= want[1];
}

static void send_nmi(unsigned c)
{
    struct percpu *pc = per_cpu(c);
    bool online = cpu_state(pc) == CPU_ONLINE;
    if (!online && pending[c])
        return;
    uint64_t want[2] = { c, pc->nmis + 1 };
    printk("nmitorture: NMI %u to cpu %u (vcpu %u), %s", sent_on + sent_off + 1, c, pc->vcpu_id,
           online ? "online" : "offline");
    hypercall_vcpu_op(VCPUOP_send_nmi, pc->vcpu_id, NULL);
    if (!online) {
        pending[c] = true;
        sent_off++;
        return;
    }
    sent_on++;
    /* Taken before the next step (it could go down next): its outcome is the online one. */
    if (!wait_until(nmi_taken, want, BOUND_HOTPLUG_NS, thread_yield)) {
        printk("nmitorture: the NMI to online cpu %u was not taken in time", c);
        failed++;
    }
}

static void hotplug(unsigned c)
{
    bool online = cpumask_test(&cpu_online_mask, c);
    if (online && cpumask_weight(&cpu_online_mask) == 1)
        return;                 /* the last one stays */
    int rc = online ? cpu_down(c) : cpu_up(c);
    if (rc) {
        printk("nmitorture: cpu %u %s failed: %d", c, online ? "down" : "up", rc);
        failed++;
    }
    if (!online && !rc)
        pending[c] = false;     /* taken at bring-up */
}

static unsigned random_online(void)
{
    unsigned pick = (unsigned)(next_rand() % cpumask_weight(&cpu_online_mask));
    for_each_cpu(c, &cpu_online_mask)
        if (!pick--)
            return c;
    return 0;
}

/* Without nmi_seed= the first jump is a kexec that hands the seed on in the command line. */
static const char *with_seed(uint64_t seed)
{
    static char cl[sizeof(kernel_cmdline) + 32];
    snprintf(cl, sizeof(cl), "%s nmi_seed=%llu", kernel_cmdline, (unsigned long long)seed);
    return cl;
}

static void jump(unsigned g, uint64_t seed)
{
    unsigned c = random_online();
    bool kdump = next_rand() % 2 && opt_seed;
    kexec_carry(failed);
    printk("nmitorture: generation %u: %u NMIs (%u online, %u offline); %s from cpu %u", g,
           sent_on + sent_off, sent_on, sent_off, kdump ? "kdump (panic)" : "kexec", c);
    int rc = kdump ? kdump_crash_on(c, KDUMP_PANIC, "nmitorture") : kexec_start(c, opt_seed ? NULL : with_seed(seed), "nmitorture");
    if (rc) {
        result_report(RESULT_ERROR, "the jump was refused");
        return;
    }
    thread_sleep(BOUND_CRASH_HAPPEN_NS);
    result_report(RESULT_ERROR, "the jump did not happen in time");
}

static void nmi_torture_suite(void)
{
    unsigned g = kexec_generation();
    uint64_t seed = opt_seed ? opt_seed : xen_system_time() | 1;
    rng = seed + g;
    printk("nmitorture: generation %u, seed %llu, %llu steps over %u cpus (replay: nmi_seed=%llu)",
           g, (unsigned long long)seed, (unsigned long long)opt_steps, nr_cpus,
           (unsigned long long)seed);
    /* First, while the vCPUs offline at the jump are still offline: the whole machine. */
    struct machine_checks mc = { 0 };
    if (g)
        failed += machine_checks(&mc, "nmitorture-check");
    for (uint64_t i = 0; i < opt_steps; i++) {
        unsigned c = (unsigned)(next_rand() % nr_cpus);
        if (next_rand() % 2)
            send_nmi(c);
        else
            hotplug(c);
    }
    if (g < opt_gens) {
        jump(g, seed);
        return;
    }
    for (unsigned c = 0; c < nr_cpus; c++)
        if (!cpumask_test(&cpu_online_mask, c))
            hotplug(c);
    thread_sleep(100000000ULL);     /* the reports of the last bring-ups */
    unsigned lost = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        lost += cpu_state(per_cpu(c)) != CPU_ONLINE;
    int bad = -1;
    bool agree = machine_xen_agrees(&bad);
    printk("nmitorture: generation %u: %u NMIs (%u online, %u offline); done", g,
           sent_on + sent_off, sent_on, sent_off);
    ktap_begin(4);
    CHECK(!failed, "every step and whole-machine check of this generation passed", "%u failed "
          "(see nmitorture lines)", failed);
    CHECK(!lost, "every cpu online, none lost", "%u not ONLINE", lost);
    CHECK(agree, "Xen has exactly the ONLINE cpus up", "cpu %d differs", bad);
    CHECK(kexec_carried()->failed == 0, "every earlier generation passed its steps",
          "%u failed in earlier generations", kexec_carried()->failed);
}
GUEST_SUITE(nmitorture, "nmitorture", "NMIs at online and offline vCPUs, hotplug, kexec, kdump",
            nmi_torture_suite);
