/* SPDX-License-Identifier: MIT */
/*
 * Kernel threads and the SMP scheduler (interface and model: include/kernel/sched.h).
 *
 * Locks.  Every scheduler lock is taken with events masked, so its holder is
 * never preempted on its own cpu; nesting order:
 *
 *     rq->sleep_lock  ->  thread->lock  ->  rq->lock          (stack_lock: leaf)
 *
 * (finish_switch also takes a joiner's lock inside the dead thread's: a
 * joining thread is blocked, never exiting, so no cycle forms.)
 *
 * Thread states:
 *     RUNNING   current on some cpu
 *     RUNNABLE  on a run queue, or between queues: switched out after a
 *               preemption but not queued yet, stolen and about to run, moved
 *     BLOCKED   sleeping or joining; wake() makes it RUNNABLE
 *     DEAD      exited; thread_join frees it once it is off its stack (exited)
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
#include <minipv/errno.h>
#include <kernel/sched.h>
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/cpu_topology.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <arch/traps.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/string.h>


#define EFLAGS_IF (1UL << 9)
#define NEVER UINT64_MAX
/* enqueue() retries while cpus go down under it; more than this is a bug. */
#define ENQUEUE_BOUND_NS 1000000000ULL

/* ---- options ---- */

static uint64_t opt_slice_ms = 10;
KOPT_UINT(sched_slice_ms, "sched_slice_ms", opt_slice_ms, 0, 1000,
          "time slice in ms when threads share a cpu; 0: no preemption (threads switch "
          "only when they block, yield or exit)");
static const char *const fault_names[] = { "none", "flat_steal", "ignore_affinity", NULL };
enum { FAULT_NONE, FAULT_FLAT_STEAL, FAULT_IGNORE_AFFINITY };
static int opt_fault = FAULT_NONE;
KOPT_ENUM(sched_fault, "sched_fault", opt_fault, fault_names,
          "test: break one rule so the sched suite can show it notices: flat_steal (steal "
          "in cpu number order) | ignore_affinity (steal threads whatever their mask)");

static uint64_t slice_ns;

uint64_t sched_slice_ns(void)
{
    return slice_ns;
}

/* ---- data ---- */

enum { T_RUNNING, T_RUNNABLE, T_BLOCKED, T_DEAD };
#define THREAD_MAGIC 0x31306461657268ULL     /* "hread01": catches stale pointers */

struct rq;

struct thread {
    uint64_t magic;
    unsigned long sp;                   /* saved rsp while switched out */
    spinlock_t lock;                    /* state, on_cpu, exited, joiner */
    volatile int state;
    volatile bool on_cpu;               /* its stack is in use by a cpu */
    volatile bool exited;               /* DEAD and switched away from for good */
    bool is_idle;
    volatile unsigned cpu;              /* running on / queued on / last ran on */
    int last_ran;                       /* for migrations; -1 never ran */
    struct rq *volatile rq;             /* run queue it is on, NULL if none */
    struct thread *next, *prev;         /* run queue links */
    struct rq *volatile sleep_rq;       /* sleep list it is on, NULL if none */
    struct thread *snext, *sprev;
    uint64_t wake_at;
    struct thread *joiner;
    struct cpumask affinity;
    struct thread_stats st;
    uint64_t last_in;                   /* when it was last switched in */
    void (*fn)(void *);
    void *arg;
    unsigned long stack_top;            /* 0: a boot stack, not ours */
    char name[THREAD_NAME_LEN];
};

struct rq {
    spinlock_t lock;                    /* head, tail, nr, active */
    struct thread *head, *tail;
    volatile unsigned nr;
    volatile bool active;               /* takes work: off from sched_cpu_down to _up */
    volatile bool started;              /* this cpu runs threads (main / idle loop reached) */
    volatile bool need_resched;         /* the current thread must give up the cpu */
    volatile bool idling;               /* idle or looking for work: kick on new work */
    volatile bool kicked;               /* a reschedule IPI is on its way to this idle cpu */
    volatile bool tick_armed;           /* the armed deadline includes the slice end */
    volatile bool timer_dirty;          /* re-arm at the next chance (upcall exit) */
    bool evict;                         /* sched_yield_cpu: the thread switched out goes elsewhere */
    uint64_t slice_end;                 /* current thread's slice ends (Xen ns) */
    uint64_t armed;                     /* deadline we armed, 0 none */
    uint64_t last_set;                  /* the last deadline we gave timer_arm */
    uint64_t foreign;                   /* a pending deadline someone else armed, 0 none */
    struct thread *prev;                /* switched away from: for finish_switch */
    spinlock_t sleep_lock;              /* sleepers and their sleep_rq */
    struct thread *sleepers;
    struct thread *idle;
    uint64_t nr_switches, nr_ticks;
    unsigned cpu;
} __aligned(CACHELINE);

/* A cpu's steal order: every other cpu, nearest level first. */
struct near {
    uint16_t cpu;
    uint8_t level;
};

static struct rq rqs[NR_CPUS];
static struct thread idle_threads[NR_CPUS];
static struct thread main_thread;
/* Double-buffered so sched_cpu_up can rebuild one while others read it. */
static struct near *order_buf[NR_CPUS][2];
static struct near *volatile steal_order[NR_CPUS];

static spinlock_t stack_lock = SPINLOCK_INIT;
static unsigned long stack_pool;        /* free stacks' tops; link in each top word */

static inline struct thread *cur(void) { return this_cpu()->current; }
static inline struct rq *cpu_rq(unsigned c) { return &rqs[c]; }

const char *sched_level_name(int level)
{
    static const char *const n[] = { "self", "smt", "die", "pkg", "other" };
    return level >= 0 && level < TOPO_NR_LEVELS ? n[level] : "none";
}

/* A cpu that may take threads now. */
static bool usable(unsigned c)
{
    return READ_ONCE(rqs[c].active) && cpu_state(per_cpu(c)) != CPU_DYING;
}

static bool allowed(const struct thread *t, unsigned c)
{
    return cpumask_test(&t->affinity, c);
}

/* May cpu c take t from another queue?  (sched_fault=ignore_affinity breaks this.) */
static bool may_steal(const struct thread *t, unsigned c)
{
    return opt_fault == FAULT_IGNORE_AFFINITY || allowed(t, c);
}

/* Idle, or about to be (scanning for work with nothing of its own): worth a kick. */
static bool cpu_idle(unsigned c)
{
    return per_cpu(c)->current == rqs[c].idle || READ_ONCE(rqs[c].idling);
}

/* "0x..." of a mask, for messages. */
static const char *mask_str(const struct cpumask *m, char *buf, size_t len)
{
    int hi = NR_CPUS / 64 - 1;
    while (hi > 0 && !m->bits[hi])
        hi--;
    size_t n = (size_t)snprintf(buf, len, "0x%lx", m->bits[hi]);
    for (int w = hi - 1; w >= 0 && n < len; w--)
        n += (size_t)snprintf(buf + n, len - n, "%016lx", m->bits[w]);
    return buf;
}

/* ---- topology order ---- */

static void build_order(unsigned cpu)
{
    int sel = order_buf[cpu][0] == steal_order[cpu] ? 1 : 0;
    struct near *o = order_buf[cpu][sel];
    uint8_t lv[NR_CPUS];
    unsigned n = 0;

    for (unsigned b = 0; b < nr_cpus; b++) {
        unsigned l = b == cpu ? TOPO_SELF : (unsigned)cpu_topo_level(cpu, b);
        /* Two cpus are never the same place; an out-of-range answer counts as farthest. */
        lv[b] = (uint8_t)(b == cpu ? TOPO_SELF : l == TOPO_SELF ? TOPO_SMT :
                          l > TOPO_OTHER ? TOPO_OTHER : l);
    }
    if (opt_fault == FAULT_FLAT_STEAL) {
        for (unsigned b = 0; b < nr_cpus; b++)
            if (b != cpu)
                o[n++] = (struct near){ (uint16_t)b, lv[b] };
    } else {
        for (unsigned l = TOPO_SMT; l <= TOPO_OTHER; l++)
            for (unsigned b = 0; b < nr_cpus; b++)
                if (b != cpu && lv[b] == l)
                    o[n++] = (struct near){ (uint16_t)b, (uint8_t)l };
    }
    ASSERT(n == nr_cpus - 1);
    atomic_store(&steal_order[cpu], o);
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

static void rq_remove(struct rq *rq, struct thread *t)
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

/* ---- timer ---- */

/*
 * Program this cpu's singleshot timer: the slice end if a thread runs and
 * others wait here, else nothing (tickless), and the earliest sleeper.
 * On the rq's own cpu, events masked.
 */
static void rearm(struct rq *rq)
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

static void rearm_if_dirty(void)
{
    struct rq *rq = this_cpu()->rq;
    if (READ_ONCE(rq->timer_dirty))
        rearm(rq);
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
static void kick_for_queued(struct thread *t, unsigned cpu)
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

/* Queue a RUNNABLE thread that is off every cpu and queue.  t->lock held. */
static void enqueue(struct thread *t, int avoid)
{
    uint64_t deadline = 0;
    for (;;) {
        unsigned cpu = select_cpu(t, avoid);
        struct rq *rq = cpu_rq(cpu);
        spin_lock(&rq->lock);
        if (rq->active && cpu_state(per_cpu(cpu)) != CPU_DYING) {
            rq_append(rq, t);
            spin_unlock(&rq->lock);
            kick_for_queued(t, cpu);
            return;
        }
        /* That cpu started going down after select_cpu looked: choose again. */
        spin_unlock(&rq->lock);
        uint64_t now = xen_system_time();
        if (!deadline)
            deadline = now + ENQUEUE_BOUND_NS;
        else if (now > deadline)
            panic("sched: thread '%s' found no cpu to queue on within 1 s", t->name);
        cpu_relax();
    }
}

/* Make a BLOCKED thread runnable; anything else is left alone.  Events masked. */
static void wake(struct thread *t)
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

/* ---- sleepers (rq->sleep_lock held) ---- */

static void sleep_unlink(struct rq *rq, struct thread *t)
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

static void sleep_add(struct thread *t, uint64_t deadline)
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
static void sleep_cancel(struct thread *t)
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

/* ---- stealing ---- */

/* Take one queued thread that may run on me, nearest cpu first. */
static struct thread *steal(struct percpu *pc)
{
    unsigned me = pc->cpu;
    const struct near *o = atomic_load(&steal_order[me]);
    for (unsigned i = 0; i < nr_cpus - 1; i++) {
        struct rq *v = cpu_rq(o[i].cpu);
        if (!READ_ONCE(v->nr))
            continue;
        spin_lock(&v->lock);
        struct thread *t = v->head;
        while (t && !may_steal(t, me))
            t = t->next;
        if (t) {
            /* cpu before rq: whoever sees rq == NULL sees the new cpu (TSO). */
            t->cpu = me;
            barrier();
            rq_remove(v, t);
        }
        spin_unlock(&v->lock);
        if (t) {
            pc->steal[o[i].level]++;
            if (pc->steal_first < 0) {
                pc->steal_first_from = o[i].cpu;
                pc->steal_first = o[i].level;
            }
            return t;
        }
    }
    return NULL;
}

/* ---- the switch ---- */

static void finish_switch(void);

/* Run something else if we should.  Events masked; may return on another cpu. */
static void schedule(void)
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
static void finish_switch(void)
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

static void __noreturn thread_start(void)
{
    finish_switch();
    irq_enable();
    struct thread *t = cur();
    t->fn(t->arg);
    thread_exit();
}

/* A new stack whose first switch-in "returns" into thread_start. */
static void thread_frame(struct thread *t, unsigned long top)
{
    unsigned long *sp = (unsigned long *)top;
    *--sp = 0;                              /* thread_start's return address: ends backtraces */
    *--sp = (unsigned long)thread_start;    /* popped by arch_context_switch's ret */
    for (int i = 0; i < 6; i++)
        *--sp = 0;                          /* rbp rbx r12 r13 r14 r15 */
    t->sp = (unsigned long)sp;
}

/* ---- blocking ---- */

/*
 * Block the current thread until cond(arg) holds or Xen time reaches
 * deadline; returns cond(arg).  Wakers set the condition, then wake().
 */
static bool block_until(bool (*cond)(void *), void *arg, uint64_t deadline)
{
    for (;;) {
        unsigned long flags = irq_save();
        struct thread *t = cur();
        spin_lock(&t->lock);
        t->state = T_BLOCKED;
        spin_unlock(&t->lock);
        mb();   /* state before the condition: a waker sets it, then looks at state */
        if ((cond && cond(arg)) || xen_system_time() >= deadline) {
            spin_lock(&t->lock);
            t->state = T_RUNNING;
            spin_unlock(&t->lock);
            irq_restore(flags);
            return cond && cond(arg);
        }
        sleep_add(t, deadline);
        schedule();
        sleep_cancel(t);
        irq_restore(flags);
    }
}

static bool thread_exited(void *arg)
{
    return atomic_load(&((struct thread *)arg)->exited);
}

/* ---- timer and upcall hooks ---- */

static void sched_timer(void)
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

/* ---- threads ---- */

static void thread_init(struct thread *t, const char *name, const struct cpumask *mask)
{
    t->magic = THREAD_MAGIC;
    t->lock = (spinlock_t)SPINLOCK_INIT;
    t->last_ran = -1;
    t->affinity = *mask;
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
    uint64_t now = xen_system_time();
    uint64_t deadline = timeout_ns > NEVER - now ? NEVER - 1 : now + timeout_ns;

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

    block_until(thread_exited, t, deadline);

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

void thread_sleep(uint64_t ns)
{
    uint64_t now = xen_system_time();
    block_until(NULL, NULL, ns > NEVER - now ? NEVER - 1 : now + ns);
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

/* ---- statistics ---- */

void sched_stats_reset(void)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        for (unsigned l = 0; l < TOPO_NR_LEVELS; l++)
            pc->steal[l] = 0;
        pc->steal_first = -1;
    }
}

uint64_t sched_steals_total(unsigned level)
{
    uint64_t n = 0;
    if (level < TOPO_NR_LEVELS)
        for (unsigned c = 0; c < nr_cpus; c++)
            n += per_cpu(c)->steal[level];
    return n;
}

void sched_report_steals(const char *what)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        const struct percpu *pc = per_cpu(c);
        if (pc->steal_first < 0)
            continue;
        printk("sched: %s: cpu %u steals smt %llu die %llu pkg %llu other %llu, first: %s "
               "from cpu %u", what, c, (unsigned long long)pc->steal[TOPO_SMT],
               (unsigned long long)pc->steal[TOPO_DIE], (unsigned long long)pc->steal[TOPO_PKG],
               (unsigned long long)pc->steal[TOPO_OTHER], sched_level_name(pc->steal_first),
               pc->steal_first_from);
    }
    printk("sched: %s: steal totals smt %llu die %llu pkg %llu other %llu", what,
           (unsigned long long)sched_steals_total(TOPO_SMT),
           (unsigned long long)sched_steals_total(TOPO_DIE),
           (unsigned long long)sched_steals_total(TOPO_PKG),
           (unsigned long long)sched_steals_total(TOPO_OTHER));
}

/* ---- cpus ---- */

void sched_init(void (*idle_fn)(void *))
{
    struct percpu *pc = this_cpu();
    ASSERT(pc->cpu == 0 && nr_cpus >= 1 && nr_cpus <= NR_CPUS);
    slice_ns = opt_slice_ms * 1000000ULL;

    for (unsigned c = 0; c < nr_cpus; c++) {
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
        for (int b = 0; b < 2; b++) {
            order_buf[c][b] = kmalloc(nr_cpus * sizeof(struct near));
            if (!order_buf[c][b])
                panic("sched: no memory for cpu %u's steal order", c);
        }
        build_order(c);
    }

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
           opt_fault == FAULT_FLAT_STEAL ? "flat (sched_fault)" : "by topology",
           opt_fault == FAULT_IGNORE_AFFINITY ? ", steals ignore affinity (sched_fault)" : "");
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
