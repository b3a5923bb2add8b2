/* SPDX-License-Identifier: MIT */
/*
 * The switch (interface and model: include/kernel/sched.h; locks, states
 * and the other files: internal.h).
 *
 * The switch.  schedule() runs with events masked: it picks the next thread
 * (own queue, else the previous thread if still runnable, else a steal,
 * else idle) and arch_context_switch()es to it; whatever runs next on this
 * cpu calls finish_switch(), which queues the previous thread if it is
 * still runnable.  Queuing only after the switch means no other cpu can pick
 * up a thread whose registers are still being saved; on_cpu tells a waker
 * that the switch is still under way, and finish_switch then queues it.
 * A preempted thread's upcall frame stays on its own stack; when it is
 * switched back in, schedule() returns into sched_upcall_exit and the
 * upcall returns through HYPERVISOR_iret, which restores its event mask.
 */
#include "internal.h"
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>

#define EFLAGS_IF (1UL << 9)

/* Run something else if we should.  Events masked; may return on another cpu. */
void schedule(void)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    struct thread *prev = pc->current, *next = NULL;
    unsigned me = pc->cpu;

    rq->need_resched = false;
    /*
     * Dekker with kick(): clear, fence, then read our queue.  Without the
     * fence (x86 lets the load pass the store) a kicker could still see
     * kicked set and send no IPI while we read the queue empty and block.
     */
    WRITE_ONCE(rq->kicked, false);
    mb();
    bool here = usable(me);
    int st = READ_ONCE(prev->state);
    bool runnable = !prev->is_idle && (st == T_RUNNING || st == T_RUNNABLE);
    bool keep = runnable && here && !rq->evict && allowed(prev, me);

    if (here && READ_ONCE(rq->nr)) {
        spin_lock(&rq->lock);
        next = rq->head;
        if (next)
            rq_remove(rq, next);
        spin_unlock(&rq->lock);
    }
    if (!next && keep)
        next = prev;
    if (!next && here) {
        /* Dekker with kick_for_queued(): announce idling, fence, then look at the queues. */
        WRITE_ONCE(rq->idling, true);
        mb();
        next = steal(pc);
    }
    if (!next)
        next = rq->idle;
    WRITE_ONCE(rq->idling, next->is_idle);

    uint64_t now = xen_system_time();
    if (next == prev) {
        if (!prev->is_idle) {
            spin_lock(&prev->lock);
            prev->state = T_RUNNING;
            spin_unlock(&prev->lock);
            rq->slice_end = now + slice_ns;
        }
        rearm(rq);
        return;
    }

    prev->st.run_ns += now - prev->last_in;
    if (runnable)
        prev->st.preempted++;
    spin_lock(&next->lock);
    next->state = T_RUNNING;
    next->on_cpu = true;
    spin_unlock(&next->lock);
    next->cpu = me;
    if (next->last_ran >= 0 && next->last_ran != (int)me)
        next->st.migrations++;
    next->last_ran = (int)me;
    next->st.switches++;
    cpumask_set(&next->st.ran_on, me);
    next->last_in = now;
    rq->slice_end = now + slice_ns;
    rq->nr_switches++;
    rq->prev = prev;
    pc->current = next;
    arch_context_switch(&prev->sp, next->sp);
    /* Back in prev, on whichever cpu picked it: pc and rq above may be stale. */
    finish_switch();
}

/*
 * The first thing a thread does after being switched in (also a new one):
 * deal with the thread this cpu switched away from, then re-arm the timer.
 */
void finish_switch(void)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    struct thread *prev = rq->prev;
    bool evict = rq->evict;

    rq->prev = NULL;
    rq->evict = false;
    if (prev) {
        spin_lock(&prev->lock);
        prev->on_cpu = false;
        if (!prev->is_idle) {
            if (prev->state == T_RUNNING || prev->state == T_RUNNABLE) {
                prev->state = T_RUNNABLE;
                enqueue(prev, evict ? (int)pc->cpu : -1);
            } else if (prev->state == T_DEAD) {
                atomic_store(&prev->exited, true);
                /* Under prev's lock: the joiner re-takes it before freeing anything. */
                if (prev->joiner)
                    wake(prev->joiner);
            }
        }
        spin_unlock(&prev->lock);
    }
    rearm(rq);
}

void sched_upcall_exit(struct cpu_regs *regs)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    if (!rq || !rq->started)
        return;
    if (READ_ONCE(rq->timer_dirty))
        rearm(rq);
    /* The idle loop looks for work after every event by itself. */
    if (cur()->is_idle)
        return;
    /* Never switch under code that had events masked (cannot happen for an upcall, but cheap). */
    if (!(regs->rflags & EFLAGS_IF))
        return;
    if (rq->need_resched || cpu_state(pc) == CPU_DYING)
        schedule();
}

void sched_yield_cpu(void)
{
    unsigned long flags = irq_save();
    struct rq *rq = this_cpu()->rq;
    if (rq && rq->started && !cur()->is_idle) {
        rq->evict = true;
        schedule();
    }
    irq_restore(flags);
}

void sched_idle_enter(void)
{
    irq_disable();
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    if (!rq)
        panic("sched: cpu %u reached the idle loop before sched_init", pc->cpu);
    struct thread *idle = rq->idle;
    if (pc->current != idle) {
        /* An AP's boot context becomes its idle thread. */
        idle->state = T_RUNNING;
        idle->on_cpu = true;
        idle->cpu = pc->cpu;
        idle->last_ran = (int)pc->cpu;
        idle->last_in = xen_system_time();
        cpumask_set(&idle->st.ran_on, pc->cpu);
        pc->current = idle;
    }
    rq->started = true;
    irq_enable();
}

void sched_idle_step(void)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    irq_disable();
    schedule();
    /* Work queued after schedule() looked sends us an IPI: SCHEDOP_block returns at once. */
    if (!READ_ONCE(rq->nr) && cpu_state(pc) != CPU_DYING)
        hypercall_sched_op(SCHEDOP_block, NULL);
    irq_enable();
}
