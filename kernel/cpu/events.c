/* SPDX-License-Identifier: MIT */
/* Per-cpu event channels: IPIs, cross-calls, the singleshot timer (include/kernel/cpu.h). */
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>

static cpu_timer_fn timer_hook;
uint64_t cpu_stray_timer_events;
struct cpumask ping_from[NR_CPUS], ping_seen[NR_CPUS];
static void (*stop_handler)(void);
static void (*suspend_handler)(void);

cpu_timer_fn cpu_set_timer_hook(cpu_timer_fn fn)
{
    return atomic_xchg(&timer_hook, fn);
}

void cpu_set_stop_handler(void (*fn)(void))
{
    stop_handler = fn;
}

void cpu_set_suspend_handler(void (*fn)(void))
{
    suspend_handler = fn;
}

struct call_data {
    void (*fn)(void *);
    void *arg;
    volatile int pending;
};
static struct call_data *volatile call_mailbox[NR_CPUS];

static void ipi_handler(uint32_t port, void *arg)
{
    (void)port;
    struct percpu *pc = arg;
    pc->ipi_count++;
    unsigned long kinds = atomic_xchg(&pc->ipi_pending, 0UL);
    if (kinds & (1UL << IPI_CALL)) {
        struct call_data *cd = atomic_xchg(&call_mailbox[pc->cpu], (struct call_data *)NULL);
        if (cd) {
            cd->fn(cd->arg);
            atomic_sub(&cd->pending, 1);
        }
    }
    if ((kinds & (1UL << IPI_STOP)) && stop_handler)
        stop_handler();
    if ((kinds & (1UL << IPI_SUSPEND)) && suspend_handler)
        suspend_handler();
    if (kinds & (1UL << IPI_PING)) {
        for (unsigned w = 0; w < NR_CPUS / 64; w++) {
            unsigned long b = atomic_xchg(&ping_from[pc->cpu].bits[w], 0UL);
            /* Recorded by the cpu the IPI was meant for, or not at all. */
            if (smp_processor_id() == pc->cpu)
                atomic_or(&ping_seen[pc->cpu].bits[w], b);
        }
    }
    /* IPI_RESCHED: the upcall return path checks need_resched. */
}

void send_ipi(unsigned cpu, enum ipi_kind kind)
{
    struct percpu *pc = per_cpu(cpu);
    atomic_or(&pc->ipi_pending, 1UL << kind);
    xen_evtchn_send(pc->ipi_port);
}

/* Grows with the online count: TCG answers the cpus in turn (bounds.h). */
uint64_t cpu_call_bound_ns(void)
{
    return BOUND_CPU_CALL_NS(cpumask_weight(&cpu_online_mask));
}

/* What is left of a bound shared by several waits. */
static uint64_t time_left(uint64_t deadline)
{
    uint64_t now = xen_system_time();
    return now < deadline ? deadline - now : 0;
}

struct post {
    unsigned cpu;
    struct call_data *cd;
};

static bool try_post(void *arg)
{
    struct post *p = arg;
    struct call_data *expect = NULL;
    if (!atomic_cas(&call_mailbox[p->cpu], &expect, p->cd))
        return false;
    send_ipi(p->cpu, IPI_CALL);
    return true;
}

static bool post_call(unsigned cpu, struct call_data *cd, uint64_t deadline)
{
    struct post p = { cpu, cd };
    return wait_until(try_post, &p, time_left(deadline), wait_idle_spin);
}

static bool calls_answered(void *cd)
{
    return atomic_load(&((struct call_data *)cd)->pending) <= 0;
}

static int wait_calls(struct call_data *cd, uint64_t deadline)
{
    wait_until(calls_answered, cd, time_left(deadline), wait_idle_spin);
    return atomic_load(&cd->pending);
}

int call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg)
{
    if (cpu >= nr_cpus || !cpumask_test(&cpu_online_mask, cpu))
        return -EINVAL;
    if (cpu == smp_processor_id()) {
        fn(arg);
        return 0;
    }
    /* Heap, not stack: a call that times out may still run later. */
    struct call_data *cd = kmalloc(sizeof(*cd));
    if (!cd)
        return -ENOMEM;
    cd->fn = fn;
    cd->arg = arg;
    cd->pending = 1;
    uint64_t bound = cpu_call_bound_ns(), deadline = xen_system_time() + bound;
    if (!post_call(cpu, cd, deadline) || wait_calls(cd, deadline)) {
        pr_err("cpu: call to cpu %u (vcpu %u) not answered within %llu ms", cpu,
               cpu_to_vcpu(cpu), (unsigned long long)(bound / 1000000));
        return -ETIMEDOUT;    /* cd deliberately leaked */
    }
    kfree(cd);
    return 0;
}

int call_on_all(void (*fn)(void *), void *arg)
{
    struct call_data *cd = kmalloc(sizeof(*cd));
    if (!cd)
        return -ENOMEM;
    cd->fn = fn;
    cd->arg = arg;
    unsigned me = smp_processor_id();
    uint64_t bound = cpu_call_bound_ns(), deadline = xen_system_time() + bound;
    int failed = 0;
    for_each_cpu(c, &cpu_online_mask) {
        if (c == me)
            continue;
        atomic_add(&cd->pending, 1);
        if (!post_call(c, cd, deadline)) {
            atomic_sub(&cd->pending, 1);
            failed++;
        }
    }
    fn(arg);
    failed += wait_calls(cd, deadline);
    if (failed)
        pr_err("cpu: call_on_all: %d cpu(s) did not answer within %llu ms", failed,
               (unsigned long long)(bound / 1000000));
    else
        kfree(cd);
    return failed;
}

static void timer_handler(uint32_t port, void *arg)
{
    (void)port;
    struct percpu *pc = arg;
    pc->timer_fired++;
    if (!pc->timer_deadline)
        atomic_add(&cpu_stray_timer_events, 1);
    cpu_timer_fn hook = atomic_load(&timer_hook);
    if (hook)
        hook();
}

int timer_arm(uint64_t deadline_ns)
{
    struct percpu *pc = this_cpu();
    struct vcpu_set_singleshot_timer t = {
        .timeout_abs_ns = xen_time_to_xen(deadline_ns),
        .flags = VCPU_SSHOTTMR_future,
    };
    pc->timer_deadline = deadline_ns;
    /* Xen: with _future, a deadline already past is refused with -ETIME. */
    long rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, pc->vcpu_id, &t);
    if (rc == -ETIME) {
        t.timeout_abs_ns = xen_raw_time() + 1000;
        t.flags = 0;
        rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, pc->vcpu_id, &t);
    }
    return (int)rc;
}

/* The channels alone: a rebind keeps the IPIs other cpus post meanwhile. */
static int bind_channels(struct percpu *pc)
{
    int rc = xen_bind_virq(VIRQ_TIMER, pc, timer_handler, pc, &pc->timer_port);
    if (rc)
        return rc;
    rc = xen_bind_ipi(pc, ipi_handler, pc, &pc->ipi_port);
    if (rc) {
        xen_evtchn_close(pc->timer_port);
        pc->timer_port = 0;
    }
    return rc;
}

int cpu_events_init(struct percpu *pc)
{
    pc->timer_deadline = 0;
    pc->ipi_pending = 0;
    return bind_channels(pc);
}

int cpu_events_rebind(struct percpu *pc)
{
    /*
     * A new domain (restore): the old ports are gone and their numbers may
     * be the toolstack's new ones, so forget them, never close them.  The
     * IPIs not yet handled and the timer's deadline carry over.
     */
    uint64_t deadline = pc->timer_deadline;
    pc->timer_deadline = 0;
    pc->timer_port = pc->ipi_port = 0;
    int rc = bind_channels(pc);
    if (rc)
        return rc;
    /* Posted before the new port was known (other vCPUs may already run): delivered now. */
    if (atomic_load(&pc->ipi_pending))
        xen_evtchn_send(pc->ipi_port);
    if (deadline)
        timer_arm(deadline);
    return 0;
}

void cpu_events_teardown(struct percpu *pc)
{
    /* No timer, no channels bound to a vCPU that goes down. */
    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, pc->vcpu_id, NULL);
    xen_evtchn_close(pc->timer_port);
    xen_evtchn_close(pc->ipi_port);
    pc->timer_port = pc->ipi_port = 0;
    pc->ipi_pending = 0;
    pc->timer_deadline = 0;
}
