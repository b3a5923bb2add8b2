/* SPDX-License-Identifier: MIT */
/*
 * Suite "bench": in-guest latencies against the floor of one hypercall,
 * all in one boot.  Each measure prints one machine-readable line
 *   bench: NAME p50_ns=.. p99_ns=.. max_ns=.. n=..
 * (Xen system time, ns; under QEMU TCG absolute values depend on the host)
 * and is one KTAP case, failed when it got no sample or a sample passed
 * its bound (a lost IPI, a timer that never fired, a thread never run).
 *
 *   clock_read        two back-to-back xen_system_time() reads: the resolution floor
 *   hcall_evtchn_send EVTCHNOP_send to an IPI port of our own (events masked)
 *   hcall_vcpu_is_up  VCPUOP_is_up on our own vCPU
 *   hcall_xen_version XENVER_version (a null hypercall)
 *   ipi_rtt           cpu A -> B -> A over event channels: A sends on B's
 *                     port, B's handler sends on A's, A waits in SCHEDOP_poll
 *   ipi_all           every cpu pings every other (call_on_all + IPI_PING)
 *                     until each has heard from all; one sample per round
 *   timer_late        singleshot timer on each cpu: fire time - deadline,
 *                     taken in the timer upcall
 *   sched_wake        thread_create() pinned to another cpu -> its first
 *                     instruction there (enqueue, resched IPI, switch); the
 *                     two ends are two vCPUs' clocks (skew clamped, counted)
 *   sleep_wake        a thread asleep in sched_sleep, woken by sched_wakeup from a
 *                     timer upcall on each cpu in turn -> it runs; a wake-up lost
 *                     (the sleep ran into its 1 s timeout) fails the case
 *   xenstore_read     xs_read of "domid" (domU; skipped on dom0)
 *   hotplug_cycle     cpu_down + cpu_up of one AP
 */
#include <kernel/sort.h>
#include <kernel/test.h>
#include "machine.h"
#include "floor.h"
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <xenpv/xenstore.h>
#include <arch/x86.h>

#define MAX_SAMPLES 1024
#define BOUND_NS    5000000000ULL     /* any single sample above this fails the case */

static uint64_t samples[MAX_SAMPLES];
static unsigned nsamples;

static void sample(uint64_t ns)
{
    if (nsamples < MAX_SAMPLES)
        samples[nsamples++] = ns;
}

/* Sort the samples, print the bench line and the KTAP case. */
static void report(const char *name, unsigned want, const char *what)
{
    sort_u64(samples, nsamples);
    if (!nsamples) {
        printk_raw("bench: %s p50_ns=missing p99_ns=missing max_ns=missing n=0\n", name);
        ktap_case(false, name, "no sample (%s)", what);
        return;
    }
    unsigned p99 = (nsamples * 99 + 99) / 100;
    if (p99 > nsamples)
        p99 = nsamples;
    uint64_t max = samples[nsamples - 1];
    printk_raw("bench: %s p50_ns=%llu p99_ns=%llu max_ns=%llu n=%u\n", name,
               (unsigned long long)samples[(nsamples - 1) / 2],
               (unsigned long long)samples[p99 - 1], (unsigned long long)max, nsamples);
    ktap_case(nsamples == want && max < BOUND_NS, name, "%u of %u samples (%s), max %llu ns",
              nsamples, want, what, (unsigned long long)max);
}

static unsigned scaled(unsigned small, unsigned large)
{
    return cpumask_weight(&cpu_online_mask) > 64 ? large : small;
}

/* ---- hypercall floors (floor.c: test=scale takes the same beside its serial step) ---- */

static void null_handler(uint32_t port, void *arg) { (void)port; (void)arg; }

static void floors(void)
{
    const unsigned n = 1000;
    nsamples = floor_clock(samples, n);
    report("clock_read", n, "back-to-back clock reads");

    uint32_t port = 0;
    nsamples = 0;
    if (xen_bind_ipi(this_cpu(), null_handler, NULL, &port) == 0) {
        unsigned long flags = irq_save();
        nsamples = floor_sample(floor_evtchn_send, (void *)(unsigned long)port, samples, n);
        irq_restore(flags);
        xen_evtchn_close(port);
    }
    report("hcall_evtchn_send", n, "EVTCHNOP_send to self");

    void *me = (void *)(unsigned long)this_cpu()->vcpu_id;
    nsamples = floor_sample(floor_vcpu_is_up, me, samples, n);
    report("hcall_vcpu_is_up", n, "VCPUOP_is_up of our vCPU");

    nsamples = floor_sample(floor_xen_version, NULL, samples, n);
    report("hcall_xen_version", n, "XENVER_version");
}

/* ---- IPI round trip over event channels of our own ---- */

static uint32_t rtt_port[NR_CPUS];
static volatile unsigned rtt_origin;

static void rtt_handler(uint32_t port, void *arg)
{
    (void)port;
    unsigned cpu = (unsigned)(unsigned long)arg;
    if (cpu != READ_ONCE(rtt_origin))
        xen_evtchn_send(rtt_port[READ_ONCE(rtt_origin)]);
}

static void ipi_rtt(void)
{
    unsigned online = cpumask_weight(&cpu_online_mask), me = smp_processor_id();
    if (online < 2) {
        ktap_skip("ipi_rtt", "one vCPU");
        return;
    }
    int bad = 0;
    for_each_cpu(c, &cpu_online_mask) {
        rtt_port[c] = 0;
        bad |= xen_bind_ipi(per_cpu(c), rtt_handler, (void *)(unsigned long)c, &rtt_port[c]);
    }
    const unsigned n = bad ? 0 : scaled(400, 510);
    rtt_origin = me;
    nsamples = 0;
    unsigned b = me, sent = 0;
    for (unsigned i = 0; i < n; i++) {
        do
            b = (b + 1) % nr_cpus;
        while (b == me || !cpumask_test(&cpu_online_mask, b));
        unsigned long flags = irq_save();
        evtchn_port_t ports[1] = { rtt_port[me] };
        struct sched_poll poll = { .nr_ports = 1 };
        set_xen_guest_handle(poll.ports, ports);
        uint64_t t0 = xen_system_time();
        poll.timeout = t0 + 1000000000ULL;
        xen_evtchn_send(rtt_port[b]);
        sent++;
        hypercall_sched_op(SCHEDOP_poll, &poll);
        uint64_t t1 = xen_system_time();
        /* pending means B answered (the upcall on restore clears it) */
        bool answered = (READ_ONCE(xen_shared_info->evtchn_pending[rtt_port[me] / 64]) >>
                         (rtt_port[me] % 64)) & 1;
        irq_restore(flags);
        if (answered)
            sample(t1 - t0);
    }
    for_each_cpu(c, &cpu_online_mask)
        if (rtt_port[c])
            xen_evtchn_close(rtt_port[c]);
    report("ipi_rtt", sent ? sent : 1, "A->B->A, B over every other cpu");
}

/* ---- all-to-all ---- */

static void ipi_all(void)
{
    unsigned online = cpumask_weight(&cpu_online_mask);
    if (online < 2) {
        ktap_skip("ipi_all", "one vCPU");
        return;
    }
    const unsigned rounds = scaled(5, 3);
    nsamples = 0;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned c = 0; c < NR_CPUS; c++)
            cpumask_zero(&ping_seen[c]);
        uint64_t t0 = xen_system_time(), t1;
        int missing = call_on_all(machine_ping_all, NULL);
        unsigned complete;
        do {
            complete = 0;
            for_each_cpu(d, &cpu_online_mask)
                complete += cpumask_weight(&ping_seen[d]) == online - 1;
            t1 = xen_system_time();
            if (complete == online)
                break;
            hypercall_sched_op(SCHEDOP_yield, NULL);
        } while (t1 - t0 < BOUND_NS);
        if (!missing && complete == online)
            sample(t1 - t0);
    }
    printk_raw("bench: ipi_all_count cpus=%u ipis_per_round=%u\n", online, online * (online - 1));
    report("ipi_all", rounds, "rounds of every cpu pinging every other");
}

/* ---- timer lateness ---- */

static cpu_timer_fn saved_timer_hook;
static volatile uint64_t tl_deadline[NR_CPUS], tl_fired[NR_CPUS];
static volatile bool tl_armed[NR_CPUS];

static void tl_hook(void)
{
    unsigned c = smp_processor_id();
    if (tl_armed[c]) {
        uint64_t now = xen_system_time();
        if (now >= tl_deadline[c]) {
            tl_fired[c] = now;
            tl_armed[c] = false;
        }
    }
    if (saved_timer_hook)
        saved_timer_hook();
}

static void tl_arm(void *arg)
{
    (void)arg;
    unsigned c = smp_processor_id();
    tl_fired[c] = 0;
    tl_deadline[c] = xen_system_time() + 200000;      /* 200 us */
    tl_armed[c] = true;
    if (timer_arm(tl_deadline[c]))
        tl_armed[c] = false;
}

static bool tl_done(void *cpu)
{
    unsigned c = *(unsigned *)cpu;
    return READ_ONCE(tl_fired[c]) || !READ_ONCE(tl_armed[c]);
}

static void timer_late(void)
{
    const unsigned n = scaled(200, 255);
    saved_timer_hook = cpu_set_timer_hook(tl_hook);
    nsamples = 0;
    unsigned c = 0;
    for (unsigned i = 0; i < n; i++) {
        do
            c = (c + 1) % nr_cpus;
        while (!cpumask_test(&cpu_online_mask, c));
        if (call_on_cpu(c, tl_arm, NULL))
            continue;
        wait_until(tl_done, &c, BOUND_TEST_TIMER_NS, wait_idle_yield);
        tl_armed[c] = false;
        if (tl_fired[c])
            sample(tl_fired[c] - tl_deadline[c]);
    }
    cpu_set_timer_hook(saved_timer_hook);
    report("timer_late", n, "singleshot timer fire - deadline, on every cpu");
}

/* ---- cross-cpu wake-up through the scheduler ---- */

static volatile uint64_t wake_at;
static void wake_fn(void *arg)
{
    (void)arg;
    wake_at = xen_system_time();
}

static void sched_wake(void)
{
    unsigned me = smp_processor_id();
    if (cpumask_weight(&cpu_online_mask) < 2) {
        ktap_skip("sched_wake", "one vCPU");
        return;
    }
    const unsigned n = 100;
    nsamples = 0;
    unsigned b = me, skewed = 0;
    uint64_t skew_max = 0;
    for (unsigned i = 0; i < n; i++) {
        do
            b = (b + 1) % nr_cpus;
        while (b == me || !cpumask_test(&cpu_online_mask, b));
        struct cpumask aff;
        cpumask_zero(&aff);
        cpumask_set(&aff, b);
        wake_at = 0;
        uint64_t t0 = xen_system_time();
        struct thread *t = thread_create(wake_fn, NULL, "bench-wake", &aff);
        if (!t)
            continue;
        if (thread_join(t, 2000000000ULL) == 0 && wake_at) {
            /*
             * t0 is cpu A's clock, wake_at cpu B's: each vCPU computes Xen
             * time from its own vcpu_time_info, and they can disagree by
             * a few hundred ns.  A wake-up "before" t0 counts as 0.
             */
            if (wake_at >= t0) {
                sample(wake_at - t0);
            } else {
                sample(0);
                skewed++;
                skew_max = MAX(skew_max, t0 - wake_at);
            }
        }
    }
    printk_raw("bench: sched_wake_skew clamped=%u max_skew_ns=%llu\n", skewed,
               (unsigned long long)skew_max);
    report("sched_wake", n, "thread_create pinned to another cpu -> it runs there");
}

/* ---- sched_sleep woken from upcall context ---- */

static struct sched_waitq sw_wq = SCHED_WAITQ_INIT;
static volatile bool sw_flag;
static volatile uint64_t sw_woken_at;

static void sw_hook(void)
{
    unsigned c = smp_processor_id();
    if (tl_armed[c] && xen_system_time() >= tl_deadline[c]) {
        tl_armed[c] = false;
        sw_woken_at = xen_system_time();
        atomic_store(&sw_flag, true);
        sched_wakeup(&sw_wq);
    }
    if (saved_timer_hook)
        saved_timer_hook();
}

static bool sw_cond(void *arg)
{
    (void)arg;
    return atomic_load(&sw_flag);
}

#define SW_TIMEOUT_NS 1000000000ULL     /* a lost wake-up shows as this */

static void sleep_wake(void)
{
    const unsigned n = 50;
    unsigned lost = 0, c = 0;
    saved_timer_hook = cpu_set_timer_hook(sw_hook);
    nsamples = 0;
    for (unsigned i = 0; i < n; i++) {
        do
            c = (c + 1) % nr_cpus;
        while (!cpumask_test(&cpu_online_mask, c));
        sw_flag = false;
        sw_woken_at = 0;
        if (call_on_cpu(c, tl_arm, NULL))
            continue;
        uint64_t t0 = xen_system_time();
        sched_sleep(&sw_wq, sw_cond, NULL, SW_TIMEOUT_NS);
        uint64_t t1 = xen_system_time();
        tl_armed[c] = false;
        (void)t0;
        if (!sw_woken_at)
            continue;               /* the timer never fired: no sample */
        /*
         * Lost: the upcall woke us and we still slept on.  Not lost: the
         * upcall itself came late, because the scheduler's own rearm on cpu
         * c took the one singleshot timer over (timer.c) and the hook ran at
         * the scheduler's next deadline; then the wake-up is as quick as ever.
         */
        if (t1 > sw_woken_at && t1 - sw_woken_at >= SW_TIMEOUT_NS / 2)
            lost++;
        /* Two vCPUs' clocks: a wake "before" the upcall counts as 0. */
        sample(t1 > sw_woken_at ? t1 - sw_woken_at : 0);
    }
    cpu_set_timer_hook(saved_timer_hook);
    if (lost) {
        printk_raw("bench: sleep_wake p50_ns=missing p99_ns=missing max_ns=missing n=0\n");
        ktap_case(false, "sleep_wake", "%u of %u wake-ups lost (slept into the timeout)", lost, n);
        return;
    }
    report("sleep_wake", n, "sched_wakeup from a timer upcall -> the sleeper runs");
}

/* ---- xenstore read ---- */

static void xenstore_read(void)
{
    if (!xs_available()) {
        ktap_skip("xenstore_read", "no xenstore (dom0)");
        printk_raw("bench: xenstore_read p50_ns=missing p99_ns=missing max_ns=missing n=0\n");
        return;
    }
    const unsigned n = 50;
    nsamples = floor_sample(floor_xenstore_read, NULL, samples, n);
    report("xenstore_read", n, "xs_read of domid");
}

/* ---- hotplug cycle ---- */

static void hotplug_cycle(void)
{
    unsigned online = cpumask_weight(&cpu_online_mask), me = smp_processor_id();
    if (online < 2) {
        ktap_skip("hotplug_cycle", "one vCPU");
        ktap_skip("online count restored after hotplug_cycle", "one vCPU");
        return;
    }
    const unsigned n = online - 1 < 16 ? online - 1 : 16;
    nsamples = 0;
    unsigned c = me, done = 0;
    for (unsigned i = 0; i < n; i++) {
        do
            c = (c + 1) % nr_cpus;
        while (c == me || !cpumask_test(&cpu_online_mask, c));
        uint64_t t0 = xen_system_time();
        int down = cpu_down(c);
        int up = down ? -1 : cpu_up(c);
        uint64_t t1 = xen_system_time();
        done++;
        if (!down && !up)
            sample(t1 - t0);
        else
            pr_err("bench: cpu %u: cpu_down %d cpu_up %d", c, down, up);
    }
    report("hotplug_cycle", done, "cpu_down + cpu_up of one AP");
    CHECK(cpumask_weight(&cpu_online_mask) == online, "online count restored after hotplug_cycle",
          "%u online, want %u", cpumask_weight(&cpu_online_mask), online);
}

static void bench_suite(void)
{
    ktap_begin(12);
    printk_raw("bench: bench_env cpus=%u nr_vcpus=%u dom0=%u\n", cpumask_weight(&cpu_online_mask),
               nr_vcpus, xen_is_dom0() ? 1 : 0);
    floors();
    ipi_rtt();
    ipi_all();
    timer_late();
    sched_wake();
    sleep_wake();
    xenstore_read();
    hotplug_cycle();
}
GUEST_SUITE(bench, "bench", "in-guest latencies against the hypercall floor", bench_suite);
