/* SPDX-License-Identifier: MIT */
/*
 * Run queues, placement and the switch (interface and model:
 * include/kernel/sched.h; locks, states and the other files: internal.h).
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
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/string.h>
#include <minipv/bounds.h>
#include <xenpv/wait.h>

#define EFLAGS_IF (1UL << 9)

static uint64_t opt_slice_ms = 10;
KOPT_UINT(sched_slice_ms, "sched_slice_ms", opt_slice_ms, 0, 1000,
          "time slice in ms when threads share a cpu; 0: no preemption (threads switch "
          "only when they block, yield or exit)");

uint64_t slice_ns;
struct rq rqs[NR_CPUS];
struct thread main_thread;
static struct thread idle_threads[NR_CPUS];

uint64_t sched_slice_ns(void)
{
    return slice_ns;
}

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

/* One try: false when the chosen cpu started going down after select_cpu looked. */
static bool enqueue_once(void *arg)
{
    struct enqueue_try *e = arg;
    unsigned cpu = select_cpu(e->t, e->avoid);
    struct rq *rq = cpu_rq(cpu);
    spin_lock(&rq->lock);
    bool ok = rq->active && cpu_state(per_cpu(cpu)) != CPU_DYING;
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

/* ---- the switch ---- */

/* Run something else if we should.  Events masked; may return on another cpu. */
void schedule(void)
{
    struct percpu *pc = this_cpu();
    struct rq *rq = pc->rq;
    struct thread *prev = pc->current, *next = NULL;
    unsigned me = pc->cpu;

    rq->need_resched = false;
    WRITE_ONCE(rq->kicked, false);
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

/* ---- cpus ---- */

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

void sched_cpu_up(unsigned cpu)
{
    struct percpu *pc = this_cpu();
    if (cpu != pc->cpu) {
        pr_err("sched: sched_cpu_up(%u) called on cpu %u: ignored", cpu, pc->cpu);
        return;
    }
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
    struct percpu *pc = this_cpu();
    if (cpu != pc->cpu) {
        pr_err("sched: sched_cpu_down(%u) called on cpu %u: ignored", cpu, pc->cpu);
        return;
    }
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
