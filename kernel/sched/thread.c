/* SPDX-License-Identifier: MIT */
/*
 * The thread API (include/kernel/sched.h) and the pool of thread stacks.
 * Above the switch and blocking (a new thread starts in finish_switch,
 * thread_join blocks); only cpus.c (sched_init) is above it.
 */
#include "internal.h"
#include <minipv/errno.h>
#include <kernel/mm.h>
#include <xenpv/xenpv.h>
#include <minipv/string.h>

struct thread main_thread;              /* the boot context, from sched_init on */

static spinlock_t stack_lock = SPINLOCK_INIT;
static unsigned long stack_pool;        /* free stacks' tops; link in each top word */

static void __noreturn thread_start(void)
{
    finish_switch();
    irq_enable();
    struct thread *t = cur();
    t->fn(t->arg);
    thread_exit();
}

/* A new stack whose first switch-in "returns" into thread_start. */
void thread_frame(struct thread *t, unsigned long top)
{
    unsigned long *sp = (unsigned long *)top;
    *--sp = 0;                              /* thread_start's return address: ends backtraces */
    *--sp = (unsigned long)thread_start;    /* popped by arch_context_switch's ret */
    for (int i = 0; i < 6; i++)
        *--sp = 0;                          /* rbp rbx r12 r13 r14 r15 */
    t->sp = (unsigned long)sp;
}

static bool thread_exited(void *arg)
{
    return atomic_load(&((struct thread *)arg)->exited);
}

void thread_init(struct thread *t, const char *name, const struct cpumask *mask)
{
    t->magic = THREAD_MAGIC;
    t->lock = (spinlock_t)SPINLOCK_INIT;
    t->last_ran = -1;
    t->affinity = *mask;
    t->steal_mask = fault_steal_mask(t);
    strlcpy(t->name, name, sizeof(t->name));
}

/* mask (NULL: all) cut to nr_cpus into *out; false with a message if nothing is left. */
static bool mask_ok(const struct cpumask *mask, struct cpumask *out, const char *what,
                    const char *name)
{
    if (!mask) {
        cpumask_fill(out, nr_cpus);
        return true;
    }
    cpumask_zero(out);
    for_each_cpu(c, mask)
        if (c < nr_cpus)
            cpumask_set(out, c);
    if (cpumask_weight(out))
        return true;
    char m[80];
    pr_err("sched: %s '%s': affinity mask %s has no cpu below nr_cpus %u", what, name,
           mask_str(mask, m, sizeof(m)), nr_cpus);
    return false;
}

static unsigned long stack_get(void)
{
    unsigned long flags = irq_save();
    spin_lock(&stack_lock);
    unsigned long top = stack_pool;
    if (top)
        stack_pool = *(unsigned long *)(top - 8);
    spin_unlock(&stack_lock);
    irq_restore(flags);
    /* stack_alloc takes mm locks that are not event-safe: call it unmasked. */
    return top ? top : stack_alloc(STACK_PAGES);
}

/* Stacks are kept for reuse: mm has no way to give a guarded stack back. */
static void stack_put(unsigned long top)
{
    unsigned long flags = irq_save();
    spin_lock(&stack_lock);
    *(unsigned long *)(top - 8) = stack_pool;
    stack_pool = top;
    spin_unlock(&stack_lock);
    irq_restore(flags);
}

struct thread *thread_create(void (*fn)(void *), void *arg, const char *name,
                             const struct cpumask *affinity)
{
    struct cpumask mask;
    if (!name)
        name = "?";
    if (!fn) {
        pr_err("sched: thread_create '%s': fn is NULL", name);
        return NULL;
    }
    if (!mask_ok(affinity, &mask, "thread_create", name))
        return NULL;
    struct thread *t = kmalloc(sizeof(*t));
    unsigned long top = t ? stack_get() : 0;
    if (!top) {
        pr_err("sched: thread_create '%s': out of memory for the %s", name,
               t ? "stack" : "thread");
        kfree(t);
        return NULL;
    }
    thread_init(t, name, &mask);
    t->fn = fn;
    t->arg = arg;
    t->stack_top = top;
    t->state = T_RUNNABLE;
    thread_frame(t, top);

    unsigned long flags = irq_save();
    t->cpu = smp_processor_id();        /* start near the creator */
    spin_lock(&t->lock);
    enqueue(t, -1);
    spin_unlock(&t->lock);
    rearm_if_dirty();
    irq_restore(flags);
    return t;
}

void thread_exit(void)
{
    irq_disable();
    struct thread *t = cur();
    if (t == &main_thread || t->is_idle)
        panic("sched: thread_exit from '%s': that thread must never end", t->name);
    spin_lock(&t->lock);
    t->state = T_DEAD;
    spin_unlock(&t->lock);
    schedule();
    panic("sched: dead thread '%s' was switched back in", t->name);
}

/* A thread pointer that can be used at all: non-NULL and not freed (best effort). */
static bool thread_ok(const struct thread *t, const char *what)
{
    if (t && t->magic == THREAD_MAGIC)
        return true;
    pr_err("sched: %s: %p is not a live thread", what, (const void *)t);
    return false;
}

int thread_join_stats(struct thread *t, uint64_t timeout_ns, struct thread_stats *st)
{
    struct thread *me = cur();
    if (!thread_ok(t, "thread_join"))
        return -EINVAL;
    if (t == me || t == &main_thread || t->is_idle) {
        pr_err("sched: thread_join: cannot join '%s': %s", t->name,
               t == me ? "it is the caller" : "it never exits");
        return -EINVAL;
    }
    uint64_t deadline = deadline_after(timeout_ns);

    unsigned long flags = irq_save();
    spin_lock(&t->lock);
    struct thread *other = t->joiner;
    if (!other)
        t->joiner = me;
    spin_unlock(&t->lock);
    irq_restore(flags);
    if (other && other != me) {
        pr_err("sched: thread_join: '%s' is already being joined by '%s'", t->name, other->name);
        return -EBUSY;
    }

    block_until(thread_exited, t, deadline, NULL);

    /* Take t's lock: finish_switch may still be inside it waking us. */
    flags = irq_save();
    spin_lock(&t->lock);
    bool done = t->exited;
    if (!done)
        t->joiner = NULL;
    spin_unlock(&t->lock);
    irq_restore(flags);
    if (!done) {
        pr_warn("sched: thread_join: '%s' still running after %llu ms", t->name,
                (unsigned long long)(timeout_ns / 1000000));
        sched_dump(t);
        return -ETIMEDOUT;
    }
    if (st)
        *st = t->st;
    t->magic = 0;
    stack_put(t->stack_top);
    kfree(t);
    return 0;
}

int thread_join(struct thread *t, uint64_t timeout_ns)
{
    return thread_join_stats(t, timeout_ns, NULL);
}

void thread_stats(const struct thread *t, struct thread_stats *st)
{
    if (!thread_ok(t, "thread_stats")) {
        memset(st, 0, sizeof(*st));
        return;
    }
    *st = t->st;
}

void thread_yield(void)
{
    unsigned long flags = irq_save();
    schedule();
    irq_restore(flags);
}

int thread_set_affinity(struct thread *t, const struct cpumask *mask)
{
    struct cpumask m;
    if (!thread_ok(t, "thread_set_affinity"))
        return -EINVAL;
    if (t->is_idle) {
        pr_err("sched: thread_set_affinity: '%s' is an idle thread: it stays on its cpu", t->name);
        return -EINVAL;
    }
    if (!mask_ok(mask, &m, "thread_set_affinity", t->name))
        return -EINVAL;

    unsigned long flags = irq_save();
    unsigned me = smp_processor_id();
    spin_lock(&t->lock);
    t->affinity = m;
    bool queued = false, moved = false;
    struct rq *rq = t->rq;
    if (rq) {
        spin_lock(&rq->lock);
        if (t->rq == rq) {
            queued = true;
            if (!allowed(t, rq->cpu)) {
                rq_remove(rq, t);
                moved = true;
            }
        }
        spin_unlock(&rq->lock);
        if (moved)
            enqueue(t, -1);
        else if (queued)
            kick_for_queued(t, rq->cpu);     /* widened: idle cpus in the new mask may steal it */
    }
    int st = t->state;
    unsigned c = t->cpu;
    if (!queued && (st == T_RUNNING || st == T_RUNNABLE) && !allowed(t, c) && t != cur()) {
        /* Running (or on its way to) a cpu it may no longer use: that cpu lets it go. */
        rqs[c].need_resched = true;
        if (c != me)
            send_ipi(c, IPI_RESCHED);
    }
    spin_unlock(&t->lock);
    if (t == cur() && !allowed(t, me))
        schedule();
    rearm_if_dirty();
    irq_restore(flags);
    return 0;
}

struct thread *thread_current(void)
{
    return cur();
}

const char *thread_name(const struct thread *t)
{
    return t ? t->name : "(null)";
}
