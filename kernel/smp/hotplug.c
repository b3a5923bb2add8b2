/* SPDX-License-Identifier: MIT */
/* Run-time hotplug: cpu_down / cpu_up, and the notifiers that move per-cpu duties. */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <kernel/mm.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>

static spinlock_t hotplug_lock = SPINLOCK_INIT;
static struct cpu_notifier *notifiers;

void cpu_notifier_add(struct cpu_notifier *n)
{
    /* Push onto the list: lock-free, cannot fail; notifiers are never removed. */
    struct cpu_notifier *head = atomic_load(&notifiers);
    do
        n->next = head;
    while (!atomic_cas(&notifiers, &head, n));
}

static void run_hotplug_notifiers(unsigned cpu, bool up)
{
    for (struct cpu_notifier *n = atomic_load(&notifiers); n; n = n->next)
        n->fn(cpu, up);
}

static bool hotplug_trylock(void *unused)
{
    (void)unused;
    return spin_trylock(&hotplug_lock);
}

/* Check cpu, then one hotplug operation at a time; a second caller yields, bounded. */
static int hotplug_enter(unsigned cpu)
{
    if (cpu >= nr_cpus)
        return -EINVAL;
    return wait_until(hotplug_trylock, NULL, BOUND_HOTPLUG_QUEUE_NS, thread_yield) ? 0 : -EBUSY;
}

static bool went_down(struct percpu *pc)
{
    return cpu_state(pc) == CPU_OFFLINE &&
           hypercall_vcpu_op(VCPUOP_is_up, pc->vcpu_id, NULL) == 0;
}

static bool came_up(struct percpu *pc)
{
    int s = cpu_state(pc);
    if (s == CPU_STARTING && pc->initialised &&
        hypercall_vcpu_op(VCPUOP_is_up, pc->vcpu_id, NULL) == 0)
        /* Our VCPUOP_up came while it was still on its way down (cpu_park): again. */
        hypercall_vcpu_op(VCPUOP_up, pc->vcpu_id, NULL);
    return s == CPU_ONLINE || s == CPU_FAILED;
}

struct hotplug_step {
    struct percpu *pc;
    bool (*done)(struct percpu *);
};

static bool hotplug_step_done(void *arg)
{
    struct hotplug_step *s = arg;
    return s->done(s->pc);
}

/* Wait (BOUND_HOTPLUG_NS at most) for done(pc), letting other threads run. */
static int hotplug_wait(struct percpu *pc, bool (*done)(struct percpu *))
{
    struct hotplug_step s = { pc, done };
    return wait_until(hotplug_step_done, &s, BOUND_HOTPLUG_NS, thread_yield) ? 0 : -ETIMEDOUT;
}

int cpu_down(unsigned cpu)
{
    int rc = hotplug_enter(cpu);
    if (rc)
        return rc;
    struct percpu *pc = per_cpu(cpu);
    if (cpu_state(pc) != CPU_ONLINE) {
        rc = -EINVAL;
        goto out;
    }
    if (cpumask_weight(&cpu_online_mask) == 1) {
        pr_warn("smp: cpu %u is the last online cpu: not taking it down", cpu);
        rc = -EBUSY;
        goto out;
    }
    /* Duties first, while the cpu can still answer. */
    cpumask_clear(&cpu_online_mask, cpu);
    run_hotplug_notifiers(cpu, false);
    if (!cpu_state_cas(pc, CPU_ONLINE, CPU_DYING)) {
        cpumask_set(&cpu_online_mask, cpu);
        rc = -EBUSY;
        goto out;
    }
    if (cpu == smp_processor_id())
        sched_yield_cpu();      /* we must leave first: its idle thread takes it down */
    else
        send_ipi(cpu, IPI_RESCHED);
    /* Return only once Xen agrees, so a caller's report matches xl vcpu-list. */
    rc = hotplug_wait(pc, went_down);
    if (rc) {
        pr_err("smp: cpu %u (vcpu %u) did not go down within 5 s", cpu, pc->vcpu_id);
        goto out;
    }
    printk("smp: cpu %u (vcpu %u) offline", cpu, pc->vcpu_id);
out:
    spin_unlock(&hotplug_lock);
    return rc;
}

int cpu_up(unsigned cpu)
{
    int rc = hotplug_enter(cpu);
    if (rc)
        return rc;
    struct percpu *pc = per_cpu(cpu);
    int s = cpu_state(pc);
    if (s == CPU_LOST) {
        pr_err("smp: cpu %u (vcpu %u) is LOST: resuming it would run the kernel it stopped in",
               cpu, pc->vcpu_id);
        rc = -EPERM;
        goto out;
    }
    if ((s != CPU_OFFLINE && s != CPU_FAILED) || !cpu_state_cas(pc, s, CPU_STARTING)) {
        rc = -EINVAL;           /* ONLINE, or on its way up or down */
        goto out;
    }
    if (!pc->initialised) {
        /* Xen never ran it (unavailable at boot, or its start failed): the first start. */
        if (!pc->stack_top)
            pc->stack_top = stack_alloc(STACK_PAGES);
        uint64_t hcall = 0;
        rc = smp_start_cpu(pc, &hcall);
    } else {
        /* Parked (or failed after its start): it resumes in cpu_park and runs cpu_bringup. */
        rc = (int)hypercall_vcpu_op(VCPUOP_up, pc->vcpu_id, NULL);
    }
    if (!rc)
        rc = hotplug_wait(pc, came_up);
    if (!rc && cpu_state(pc) == CPU_FAILED)
        rc = pc->fail_code ? pc->fail_code : -EIO;
    if (rc) {
        pc->fail_code = rc;
        cpu_state_cas(pc, CPU_STARTING, CPU_FAILED);
        pr_err("smp: cpu %u (vcpu %u) did not come up: %d", cpu, pc->vcpu_id, rc);
        goto out;
    }
    spin_unlock(&hotplug_lock);
    run_hotplug_notifiers(cpu, true);
    printk("smp: cpu %u (vcpu %u) online", cpu, pc->vcpu_id);
    return 0;
out:
    spin_unlock(&hotplug_lock);
    return rc;
}
