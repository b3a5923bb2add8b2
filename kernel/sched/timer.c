/* SPDX-License-Identifier: MIT */
/*
 * Time in the scheduler: each cpu's singleshot timer (slice ends and
 * sleepers' deadlines, tickless otherwise) and the sleep lists it serves.
 * Below the switch: schedule() re-arms through here; blocking (wait.c)
 * puts a thread on a sleep list before it calls schedule().
 */
#include "internal.h"
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>

uint64_t slice_ns;              /* set once by sched_init (sched_slice_ms=) */

uint64_t sched_slice_ns(void)
{
    return slice_ns;
}

/*
 * Program this cpu's singleshot timer: the slice end if a thread runs and
 * others wait here, else nothing (tickless), and the earliest sleeper.
 * On the rq's own cpu, events masked.
 */
void rearm(struct rq *rq)
{
    struct percpu *pc = this_cpu();
    uint64_t dl = NEVER, now = xen_system_time();

    /*
     * The vCPU has one singleshot timer and others may arm it too
     * (timer_arm records every deadline): keep honouring one we did not set.
     */
    if (pc->timer_deadline != rq->last_set && pc->timer_deadline > now)
        rq->foreign = pc->timer_deadline;
    if (rq->foreign && rq->foreign <= now)
        rq->foreign = 0;
    if (rq->foreign)
        dl = rq->foreign;

    WRITE_ONCE(rq->timer_dirty, false);
    /* Dekker with kick_for_queued(): clear, fence, read nr -- one of us sees the other. */
    WRITE_ONCE(rq->tick_armed, false);
    mb();
    /*
     * A switch already pending (need_resched) re-arms once it is done: arming
     * the past slice end again would fire at once, over and over, and keep
     * xen_upcall's loop from ever reaching sched_upcall_exit.
     */
    if (slice_ns && !cur()->is_idle && READ_ONCE(rq->nr) && !rq->need_resched) {
        dl = MIN(dl, rq->slice_end);
        WRITE_ONCE(rq->tick_armed, true);
    }
    if (READ_ONCE(rq->sleepers)) {
        spin_lock(&rq->sleep_lock);
        for (struct thread *t = rq->sleepers; t; t = t->snext)
            dl = MIN(dl, t->wake_at);
        spin_unlock(&rq->sleep_lock);
    }
    if (dl == NEVER) {
        if (rq->armed) {
            hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, pc->vcpu_id, NULL);
            rq->armed = 0;
        }
        return;
    }
    /* Also when someone else re-armed the timer since: it holds their deadline now. */
    if (dl != rq->armed || pc->timer_deadline != dl) {
        rq->last_set = dl;
        int rc = timer_arm(dl);
        if (rc)
            pr_err("sched: cpu %u: timer_arm(%llu) failed: %d", pc->cpu,
                   (unsigned long long)dl, rc);
        rq->armed = rc ? 0 : dl;
    }
}

void rearm_if_dirty(void)
{
    struct rq *rq = this_cpu()->rq;
    if (READ_ONCE(rq->timer_dirty))
        rearm(rq);
}

/* ---- sleepers (rq->sleep_lock held) ---- */

void sleep_unlink(struct rq *rq, struct thread *t)
{
    if (t->sprev)
        t->sprev->snext = t->snext;
    else
        rq->sleepers = t->snext;
    if (t->snext)
        t->snext->sprev = t->sprev;
    t->snext = t->sprev = NULL;
    t->sleep_rq = NULL;
}

void sleep_add(struct thread *t, uint64_t deadline)
{
    struct rq *rq = this_cpu()->rq;
    spin_lock(&rq->sleep_lock);
    t->wake_at = deadline;
    t->sprev = NULL;
    t->snext = rq->sleepers;
    if (rq->sleepers)
        rq->sleepers->sprev = t;
    rq->sleepers = t;
    t->sleep_rq = rq;
    spin_unlock(&rq->sleep_lock);
}

/*
 * Off the sleep list, if a timer did not already take it off; that cpu
 * then drops the deadline (tickless: no stale wake-up later).  Events masked.
 */
void sleep_cancel(struct thread *t)
{
    struct rq *rq = READ_ONCE(t->sleep_rq);
    if (!rq)
        return;
    spin_lock(&rq->sleep_lock);
    bool was = t->sleep_rq == rq;
    if (was)
        sleep_unlink(rq, t);
    spin_unlock(&rq->sleep_lock);
    if (!was)
        return;
    if (rq == this_cpu()->rq) {
        rearm(rq);
    } else {
        WRITE_ONCE(rq->timer_dirty, true);
        if (usable(rq->cpu))
            send_ipi(rq->cpu, IPI_RESCHED);
    }
}

/* Xen time ns from now, saturating (NEVER itself is "no deadline" to the timer code). */
uint64_t deadline_after(uint64_t ns)
{
    uint64_t now = xen_system_time();
    return ns > NEVER - 1 - now ? NEVER - 1 : now + ns;
}

void sched_timer(void)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    if (!rq || !rq->started)
        return;
    uint64_t now = xen_system_time();
    rq->armed = 0;      /* whatever was armed has fired */

    if (READ_ONCE(rq->sleepers)) {
        spin_lock(&rq->sleep_lock);
        for (struct thread *t = rq->sleepers, *n; t; t = n) {
            n = t->snext;
            if (t->wake_at <= now) {
                sleep_unlink(rq, t);
                wake(t);
            }
        }
        spin_unlock(&rq->sleep_lock);
    }
    if (slice_ns && !cur()->is_idle && now >= rq->slice_end && READ_ONCE(rq->nr)) {
        rq->need_resched = true;
        rq->nr_ticks++;
    }
    rearm(rq);
}
