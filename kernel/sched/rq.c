/* SPDX-License-Identifier: MIT */
/*
 * Run queues, placement and wake-ups: the bottom of kernel/sched (it calls
 * no other file here but fault.c's and stats.c's leaves; see internal.h).
 * Everything that queues a thread ends in enqueue(): it picks a cpu
 * (select_cpu, by the steal order steal.c builds), queues the thread there
 * and makes sure some cpu will run it (kick_for_queued).
 */
#include "internal.h"
#include <minipv/string.h>
#include <minipv/bounds.h>
#include <xenpv/wait.h>

struct rq rqs[NR_CPUS];
/* Read here (placement, kicks) and by steal(); built by steal.c's build_order. */
struct near *volatile steal_order[NR_CPUS];

/* "0x..." of a mask, for messages. */
const char *mask_str(const struct cpumask *m, char *buf, size_t len)
{
    int hi = NR_CPUS / 64 - 1;
    while (hi > 0 && !m->bits[hi])
        hi--;
    size_t n = (size_t)snprintf(buf, len, "0x%lx", m->bits[hi]);
    for (int w = hi - 1; w >= 0 && n < len; w--)
        n += (size_t)snprintf(buf + n, len - n, "%016lx", m->bits[w]);
    return buf;
}

/* ---- run queues (rq->lock held) ---- */

static void rq_append(struct rq *rq, struct thread *t)
{
    t->next = NULL;
    t->prev = rq->tail;
    if (rq->tail)
        rq->tail->next = t;
    else
        rq->head = t;
    rq->tail = t;
    t->cpu = rq->cpu;
    t->rq = rq;
    WRITE_ONCE(rq->nr, rq->nr + 1);
}

void rq_remove(struct rq *rq, struct thread *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        rq->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        rq->tail = t->prev;
    t->next = t->prev = NULL;
    t->rq = NULL;
    WRITE_ONCE(rq->nr, rq->nr - 1);
}

/* ---- placement and wake-ups ---- */

/*
 * Where t should be queued: its last cpu if allowed and usable, else the
 * nearest such cpu; `avoid` only if nothing else.  A thread with no usable
 * cpu in its mask is allowed all online cpus.  t->lock held.
 */
static unsigned select_cpu(struct thread *t, int avoid)
{
    for (int pass = 0; pass < 2; pass++) {
        unsigned pref = t->cpu;
        const struct near *o = atomic_load(&steal_order[pref]);
        int fallback = -1;
        for (int i = -1; i < (int)nr_cpus - 1; i++) {
            unsigned c = i < 0 ? pref : o[i].cpu;
            if (!usable(c) || !allowed(t, c))
                continue;
            if ((int)c != avoid)
                return c;
            fallback = (int)c;
        }
        if (fallback >= 0)
            return (unsigned)fallback;
        if (pass)
            break;
        char m[80];
        pr_warn("sched: thread '%s': no online cpu left in its affinity mask %s; "
                "allowing every online cpu", t->name, mask_str(&t->affinity, m, sizeof(m)));
        t->affinity = cpu_online_mask;
    }
    panic("sched: no usable cpu for thread '%s' (online mask weight %u)", t->name,
          cpumask_weight(&cpu_online_mask));
}

static void kick(unsigned c)
{
    if (!atomic_xchg(&rqs[c].kicked, true))
        send_ipi(c, IPI_RESCHED);
}

/*
 * t was just queued on cpu: make sure someone runs it.  An idle target gets
 * a reschedule IPI; a busy one keeps it queued, the nearest idle cpu that may
 * run t is kicked to steal it, and the target arms its slice tick.
 */
void kick_for_queued(struct thread *t, unsigned cpu)
{
    unsigned me = smp_processor_id();
    struct rq *rq = cpu_rq(cpu);

    mb();       /* the queue update before reading idling/tick_armed (Dekker) */
    if (cpu_idle(cpu)) {
        /* Our own idle loop looks at its queue after every event. */
        if (cpu != me)
            kick(cpu);
        return;
    }
    const struct near *o = atomic_load(&steal_order[cpu]);
    for (unsigned i = 0; i < nr_cpus - 1; i++) {
        unsigned c = o[i].cpu;
        if (c == me || !usable(c) || !may_steal(t, c) || !cpu_idle(c) || READ_ONCE(rqs[c].kicked))
            continue;
        kick(c);
        break;
    }
    if (!READ_ONCE(rq->tick_armed)) {
        WRITE_ONCE(rq->timer_dirty, true);
        if (cpu != me)
            send_ipi(cpu, IPI_RESCHED);
        /* else: our caller re-arms once its locks are dropped (rearm takes sleep_lock) */
    }
}

struct enqueue_try {
    struct thread *t;
    int avoid;
    unsigned cpu;       /* where it went */
};

/* One try: false when the chosen cpu stopped serving (going down, stopped) after select_cpu looked. */
static bool enqueue_once(void *arg)
{
    struct enqueue_try *e = arg;
    unsigned cpu = select_cpu(e->t, e->avoid);
    struct rq *rq = cpu_rq(cpu);
    spin_lock(&rq->lock);
    bool ok = usable(cpu);
    if (ok)
        rq_append(rq, e->t);
    spin_unlock(&rq->lock);
    e->cpu = cpu;
    return ok;
}

/* Queue a RUNNABLE thread that is off every cpu and queue.  t->lock held, events masked. */
void enqueue(struct thread *t, int avoid)
{
    struct enqueue_try e = { .t = t, .avoid = avoid };
    /* Each retry follows a cpu that went down under us: more than the bound is a bug. */
    if (!wait_until(enqueue_once, &e, BOUND_ENQUEUE_NS, wait_idle_spin))
        panic("sched: thread '%s' found no cpu to queue on within %llu s", t->name,
              (unsigned long long)(BOUND_ENQUEUE_NS / NS_PER_S));
    kick_for_queued(t, e.cpu);
}

/* Make a BLOCKED thread runnable; anything else is left alone.  Events masked. */
void wake(struct thread *t)
{
    spin_lock(&t->lock);
    if (t->state == T_BLOCKED) {
        t->state = T_RUNNABLE;
        /* Still switching out: finish_switch queues it. */
        if (!t->on_cpu)
            enqueue(t, -1);
    }
    spin_unlock(&t->lock);
}
