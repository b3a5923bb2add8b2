/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (kernel/sched/, one file per concern): kernel threads on per-cpu run queues,
 * round-robin time slices from each cpu's singleshot timer, idle cpus that
 * block in Xen and pull work from others in topology order.
 *
 * Model
 *   - Every context is a thread with its own stack: "main" (the context
 *     that called kernel_start, on cpu 0), one idle thread per cpu (an AP's
 *     boot context; a fresh stack on cpu 0) and thread_create()d ones.
 *   - A runnable thread sits on exactly one cpu's run queue (FIFO).  New and
 *     woken threads go to the cpu they last ran on (the creator's cpu for a
 *     new one) if their affinity allows it, else to the nearest allowed cpu.
 *   - Balancing is pull only: when a queue gets work while its cpu is busy,
 *     the nearest idle cpu that may run the thread gets a reschedule IPI;
 *     an idle cpu steals one queued thread, scanning its SMT siblings first,
 *     then its die, its package, then other packages (cpu_topo_level()).
 *     Each steal counts in this_cpu()->steal[level]; steal_first records the
 *     level of a cpu's first steal since sched_stats_reset().
 *   - Preemption: a busy cpu with others queued behind its thread arms its
 *     timer for the end of the slice (sched_slice_ms=, default 10); the
 *     upcall that delivers it switches threads in sched_upcall_exit().  A
 *     cpu running one thread alone, or idle, arms no tick (sleepers' wake-up
 *     deadlines excepted).
 *   - Idle: SCHEDOP_block with events masked; woken by any event.
 *
 * The thread_* calls are for thread context (not event handlers) after
 * sched_init().  Threads must not hold a spinlock that an event handler
 * takes, nor block or sleep with events masked; all waits here are bounded.
 * A thread holding a plain (not event-safe) spinlock may be preempted:
 * others spinning on it on the same cpu wait up to a slice.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <minipv/compiler.h>
#include <kernel/cpumask.h>
#include <arch/x86.h>         /* spinlock_t */

struct cpu_regs;
struct thread;

/*
 * Boot: kernel_start calls sched_init() after cpu_topology_init() and before
 * smp_bringup().  It turns the calling context into the thread "main" on
 * cpu 0 (affinity: every cpu) and gives cpu 0 an idle thread running
 * idle_fn (kernel/smp's cpu_idle_loop: the scheduler cannot call up into
 * the layer that takes cpus down); each AP's boot context becomes its idle
 * thread when it calls sched_idle_enter().
 */
void sched_init(void (*idle_fn)(void *));

/* The idle thread's two halves: adopt this context as the idle thread, then one round of idling. */
void sched_idle_enter(void);
void sched_idle_step(void);
/*
 * Called at the end of every event upcall, events still masked: switches
 * threads if the running one's slice is over and others wait, if it may no
 * longer run here (affinity, hotplug), and re-arms the timer when asked.
 */
void sched_upcall_exit(struct cpu_regs *regs);

/*
 * Hotplug (kernel/smp: cpu_down, the idle loop, cpu_bringup):
 *
 * sched_cpu_down(cpu): on `cpu`, from its idle thread, events masked, once
 *   the cpu is DYING and the running thread, if any, left (sched_upcall_exit
 *   and schedule never keep a thread on a DYING cpu).  Stops new work from
 *   arriving, moves every queued thread to another online cpu its affinity
 *   allows -- a thread with none left gets its mask widened to all online
 *   cpus, with a pr_warn naming it -- wakes the threads sleeping on this
 *   cpu's timer early (they re-arm on the cpu they wake on) and stops the
 *   timer.
 * sched_cpu_up(cpu): on `cpu` with events masked, in cpu_bringup: resets
 *   that cpu's run queue state and re-reads its topology order.
 * sched_yield_cpu(): the calling thread leaves this cpu for another one its
 *   affinity allows (widened as above if none); used by cpu_down() of the
 *   caller's own cpu.  From the idle thread it does nothing.
 */
void sched_cpu_down(unsigned cpu);
void sched_cpu_up(unsigned cpu);
void sched_yield_cpu(void);

/* ---- threads ---- */

#define THREAD_NAME_LEN 24

/*
 * A new thread running fn(arg), runnable at once.  affinity NULL: every cpu.
 * The mask must contain a cpu below nr_cpus.  NULL (with a message naming
 * the bad value) on a bad argument or out of memory.  A thread that returns
 * from fn exits.  Every thread must be joined: that frees it.
 */
struct thread *thread_create(void (*fn)(void *), void *arg, const char *name,
                             const struct cpumask *affinity);
/* End the calling thread (not main, not an idle thread). */
void __noreturn thread_exit(void);

/*
 * Wait at most timeout_ns (Xen time) for t to exit, then free it.
 * 0; -ETIMEDOUT (t still runs and may be joined again); -EINVAL for NULL,
 * a freed thread, main, an idle thread or the caller itself; -EBUSY if
 * another thread is already joining t.
 */
int thread_join(struct thread *t, uint64_t timeout_ns);

/* What the scheduler saw of a thread (thread_stats, thread_join_stats). */
struct thread_stats {
    struct cpumask ran_on;      /* every cpu it was switched in on */
    uint64_t switches;          /* times switched in */
    uint64_t preempted;         /* switched out while still runnable: slice end, yield, move */
    uint64_t migrations;        /* switched in on another cpu than the previous time */
    uint64_t run_ns;            /* time on a cpu, up to its last switch out */
};
/* thread_join, and on success a copy of t's final stats in *st (may be NULL). */
int thread_join_stats(struct thread *t, uint64_t timeout_ns, struct thread_stats *st);
/* A snapshot of a live (not yet joined) thread's stats. */
void thread_stats(const struct thread *t, struct thread_stats *st);

/* Give the cpu to the next queued thread of this cpu, if any. */
void thread_yield(void);
/* Block for at least ns (Xen time); other threads run meanwhile. */
void thread_sleep(uint64_t ns);
/*
 * Restrict t to the cpus in mask (must contain a cpu below nr_cpus, else
 * -EINVAL with a message).  A queued thread moves at once; a running one
 * leaves its cpu at the next upcall if that cpu is no longer allowed.
 * Widening lets idle cpus in the new mask steal it.  0 or -EINVAL.
 */
int thread_set_affinity(struct thread *t, const struct cpumask *mask);

struct thread *thread_current(void);
const char *thread_name(const struct thread *t);

/* The time slice (sched_slice_ms=) in ns; 0: no preemption. */
uint64_t sched_slice_ns(void);

/* ---- sleep and wake-up (xv6's sleep/wakeup, bounded) ---- */

/*
 * A wait queue: threads block on it until their condition holds, and
 * whoever makes the condition true calls sched_wakeup() -- from thread or
 * upcall (event handler) context, on any cpu.  The condition is what counts,
 * not the wake-up: a wake-up with the condition still false only makes the
 * sleeper look again, and one that comes before the sleeper blocks is not
 * lost (it is on the queue before it looks at the condition).
 */
struct sched_waiter;
struct sched_waitq {
    spinlock_t lock;
    struct sched_waiter *head;
};
#define SCHED_WAITQ_INIT { .lock = SPINLOCK_INIT, .head = NULL }

/*
 * Block the calling thread until cond(arg) holds or timeout_ns (Xen time)
 * passed; returns cond(arg).  Thread context, events enabled (see
 * thread_can_block); cond runs with events masked and must not block.
 */
bool sched_sleep(struct sched_waitq *wq, bool (*cond)(void *), void *arg, uint64_t timeout_ns);
/* Make every thread sleeping on wq look at its condition again.  Any context. */
void sched_wakeup(struct sched_waitq *wq);
/*
 * Whether the caller may block: a thread (not an idle one) on a cpu whose
 * scheduler runs, with events enabled.  Code that can also run before
 * sched_init or in an event handler asks first, and else waits in Xen.
 */
bool thread_can_block(void);

/* ---- statistics ---- */

/* Zero every cpu's steal[] counts and forget their first steals. */
void sched_stats_reset(void);
/* Print "sched: steals ..." per cpu that stole and a total line, tagged with what. */
void sched_report_steals(const char *what);
/* Steal counts over all cpus for one topology level (TOPO_SMT...TOPO_OTHER). */
uint64_t sched_steals_total(unsigned level);
/* Name of a topology level: "self", "smt", "die", "pkg", "other". */
const char *sched_level_name(int level);

#endif
