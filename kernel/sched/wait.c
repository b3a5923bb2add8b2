/* SPDX-License-Identifier: MIT */
/*
 * Blocking: block_until (a condition, a deadline, maybe a wait queue) and
 * what is built on it: thread_sleep, sched_sleep/sched_wakeup.  It sits
 * above the switch (it calls schedule()) and below the thread API.
 */
#include "internal.h"
#include <xenpv/xenpv.h>

/* A thread sleeping on a wait queue: lives on the sleeper's stack. */
struct sched_waiter {
    struct thread *t;
    struct sched_waiter *next, *prev;
};

static void waitq_add(struct sched_waitq *wq, struct sched_waiter *w)
{
    spin_lock(&wq->lock);
    w->prev = NULL;
    w->next = wq->head;
    if (wq->head)
        wq->head->prev = w;
    wq->head = w;
    spin_unlock(&wq->lock);
}

static void waitq_del(struct sched_waitq *wq, struct sched_waiter *w)
{
    spin_lock(&wq->lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        wq->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    spin_unlock(&wq->lock);
}

/*
 * Block the current thread until cond(arg) holds or Xen time reaches
 * deadline; returns cond(arg).  Wakers set the condition, then wake() (a
 * timer, a joiner's exit) or sched_wakeup(wq).  The thread is on wq for the
 * whole wait, so a wake-up between its look at cond and schedule() finds it.
 */
bool block_until(bool (*cond)(void *), void *arg, uint64_t deadline, struct sched_waitq *wq)
{
    unsigned long flags = irq_save();
    struct sched_waiter w = { .t = cur() };    /* masked: cur() of the cpu we are on */
    if (wq)
        waitq_add(wq, &w);
    for (;;) {
        struct thread *t = w.t;
        spin_lock(&t->lock);
        t->state = T_BLOCKED;
        spin_unlock(&t->lock);
        mb();   /* state before the condition: a waker sets it, then looks at state */
        if ((cond && cond(arg)) || xen_system_time() >= deadline) {
            spin_lock(&t->lock);
            t->state = T_RUNNING;
            spin_unlock(&t->lock);
            break;
        }
        sleep_add(t, deadline);
        schedule();
        sleep_cancel(t);
        /* Let pending events in between two looks, as a fresh call would. */
        irq_restore(flags);
        flags = irq_save();
    }
    if (wq)
        waitq_del(wq, &w);
    bool done = cond && cond(arg);
    irq_restore(flags);
    return done;
}

void thread_sleep(uint64_t ns)
{
    block_until(NULL, NULL, deadline_after(ns), NULL);
}

bool thread_can_block(void)
{
    if (irqs_disabled())
        return false;
    unsigned long flags = irq_save();
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    bool ok = rq && rq->started && pc->current && !cur()->is_idle;
    irq_restore(flags);
    return ok;
}

bool sched_sleep(struct sched_waitq *wq, bool (*cond)(void *), void *arg, uint64_t timeout_ns)
{
    if (!thread_can_block())
        panic("sched: sched_sleep from a context that cannot block (cpu %u, %s)",
              smp_processor_id(), irqs_disabled() ? "events masked" : "no thread");
    return block_until(cond, arg, deadline_after(timeout_ns), wq);
}

void sched_wakeup(struct sched_waitq *wq)
{
    if (!READ_ONCE(wq->head))
        return;
    unsigned long flags = irq_save();
    spin_lock(&wq->lock);
    for (struct sched_waiter *w = wq->head; w; w = w->next)
        wake(w->t);
    spin_unlock(&wq->lock);
    /* A wake-up queued here may want this cpu's slice tick (kick_for_queued). */
    struct rq *rq = this_cpu()->rq;
    if (rq && rq->started)
        rearm_if_dirty();
    irq_restore(flags);
}
