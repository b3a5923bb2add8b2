/* SPDX-License-Identifier: MIT */
/*
 * The top of kernel/sched: setting the scheduler up (sched_init, each cpu's
 * run queue, idle thread and steal order) and cpus coming and going
 * (sched_cpu_up, sched_cpu_down: a cpu going down hands its queued threads
 * and sleepers to the others).
 */
#include "internal.h"
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/string.h>

static uint64_t opt_slice_ms = 10;
KOPT_UINT(sched_slice_ms, "sched_slice_ms", opt_slice_ms, 0, 1000,
          "time slice in ms when threads share a cpu; 0: no preemption (threads switch "
          "only when they block, yield or exit)");

static struct thread idle_threads[NR_CPUS];

/* cpu c's run queue and idle thread (pinned to c), and its steal order. */
static void cpu_sched_init(unsigned c)
{
    struct rq *rq = cpu_rq(c);
    struct thread *idle = &idle_threads[c];
    char name[THREAD_NAME_LEN];
    struct cpumask only;
    cpumask_zero(&only);
    cpumask_set(&only, c);
    snprintf(name, sizeof(name), "idle/%u", c);
    thread_init(idle, name, &only);
    idle->is_idle = true;
    idle->cpu = c;
    rq->cpu = c;
    rq->idle = idle;
    rq->lock = (spinlock_t)SPINLOCK_INIT;
    rq->sleep_lock = (spinlock_t)SPINLOCK_INIT;
    per_cpu(c)->rq = rq;
    per_cpu(c)->idle = idle;
    per_cpu(c)->steal_first = -1;
    if (!steal_order_alloc(c))
        panic("sched: no memory for cpu %u's steal order", c);
    build_order(c);
}

void sched_init(void (*idle_fn)(void *))
{
    struct percpu *pc = this_cpu();
    ASSERT(pc->cpu == 0 && nr_cpus >= 1 && nr_cpus <= NR_CPUS);
    slice_ns = opt_slice_ms * 1000000ULL;
    for (unsigned c = 0; c < nr_cpus; c++)
        cpu_sched_init(c);

    /* The boot context becomes "main". */
    struct cpumask all;
    cpumask_fill(&all, nr_cpus);
    thread_init(&main_thread, "main", &all);
    main_thread.state = T_RUNNING;
    main_thread.on_cpu = true;
    main_thread.cpu = 0;
    main_thread.last_ran = 0;
    main_thread.st.switches = 1;
    cpumask_set(&main_thread.st.ran_on, 0);
    main_thread.last_in = xen_system_time();
    pc->current = &main_thread;

    /* cpu 0's idle thread needs a stack of its own; APs lend theirs. */
    struct thread *idle0 = &idle_threads[0];
    idle0->stack_top = stack_alloc(STACK_PAGES);
    if (!idle0->stack_top)
        panic("sched: no memory for cpu 0's idle stack");
    idle0->fn = idle_fn;
    thread_frame(idle0, idle0->stack_top);
    idle0->state = T_RUNNING;

    struct rq *rq = cpu_rq(0);
    rq->active = true;
    rq->started = true;
    cpu_set_timer_hook(sched_timer);
    printk("sched: %u cpus, slice %llu ms%s, steal order %s%s", nr_cpus,
           (unsigned long long)opt_slice_ms, slice_ns ? "" : " (no preemption)",
           fault_order_name(), fault_affinity_note());
}

/* Both run on the cpu they name (its own run queue, its own timer); elsewhere: ignored. */
static struct percpu *on_own_cpu(const char *what, unsigned cpu)
{
    struct percpu *pc = this_cpu();
    if (cpu == pc->cpu)
        return pc;
    pr_err("sched: %s(%u) called on cpu %u: ignored", what, cpu, pc->cpu);
    return NULL;
}

void sched_cpu_up(unsigned cpu)
{
    struct percpu *pc = on_own_cpu("sched_cpu_up", cpu);
    if (!pc)
        return;
    struct rq *rq = pc->rq;
    unsigned long flags = irq_save();
    build_order(cpu);
    spin_lock(&rq->lock);
    ASSERT(!rq->head);
    rq->need_resched = rq->kicked = rq->timer_dirty = rq->evict = false;
    rq->tick_armed = false;
    rq->armed = rq->foreign = 0;    /* the vCPU went down: its timer with it */
    /* An AP's first bring-up runs before its boot context becomes the idle thread. */
    rq->idling = !pc->current || cur()->is_idle;
    rq->active = true;
    spin_unlock(&rq->lock);
    irq_restore(flags);
}

void sched_cpu_down(unsigned cpu)
{
    struct percpu *pc = on_own_cpu("sched_cpu_down", cpu);
    if (!pc)
        return;
    struct rq *rq = pc->rq;
    unsigned long flags = irq_save();
    if (!cur()->is_idle)
        pr_err("sched: cpu %u goes down under thread '%s': it is lost", cpu, cur()->name);

    spin_lock(&rq->lock);
    rq->active = false;
    struct thread *list = rq->head;
    for (struct thread *t = list; t; t = t->next)
        t->rq = NULL;
    rq->head = rq->tail = NULL;
    WRITE_ONCE(rq->nr, 0);
    spin_unlock(&rq->lock);

    unsigned moved = 0, woken = 0;
    for (struct thread *t = list, *n; t; t = n) {
        n = t->next;
        spin_lock(&t->lock);
        enqueue(t, -1);     /* select_cpu skips us: no longer active */
        spin_unlock(&t->lock);
        moved++;
    }
    /* Sleepers wake early and re-arm their deadline on the cpu they land on. */
    spin_lock(&rq->sleep_lock);
    while (rq->sleepers) {
        struct thread *t = rq->sleepers;
        sleep_unlink(rq, t);
        wake(t);
        woken++;
    }
    spin_unlock(&rq->sleep_lock);

    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, pc->vcpu_id, NULL);
    rq->armed = rq->foreign = 0;
    rq->tick_armed = false;
    irq_restore(flags);
    if (moved || woken)
        printk("sched: cpu %u down: %u queued thread%s moved, %u sleeper%s woken elsewhere", cpu,
               moved, moved == 1 ? "" : "s", woken, woken == 1 ? "" : "s");
}
