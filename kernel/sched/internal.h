/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's private state, shared by the files of kernel/sched/ only
 * (the interface is include/kernel/sched.h).  The files form a stack, each
 * calling only files below it (scripts/check-layering.sh checks there is no
 * circle):
 *   cpus.c    sched_init; cpus coming and going (sched_cpu_up / sched_cpu_down)
 *   thread.c  the thread API and the stack pool
 *   wait.c    blocking: block_until, thread_sleep, wait queues
 *             (sched_sleep / sched_wakeup)
 *   sched.c   schedule() and the switch, the upcall exit, the idle loop's steps
 *   timer.c   each cpu's singleshot timer, sleepers and their deadlines
 *   steal.c   the steal order by topology, and stealing
 *   rq.c      run queues, placement, enqueue and wake
 *   stats.c   steal counts (a leaf)
 *   fault.c   sched_fault= (test only; a leaf): consulted when threads are
 *             made and steal orders built, never per schedule()
 * (timer.c and steal.c are side by side: neither calls the other.)
 *
 * Locks.  Every scheduler lock is taken with events masked, so its holder is
 * never preempted on its own cpu; nesting order:
 *
 *     waitq->lock, rq->sleep_lock  ->  thread->lock  ->  rq->lock     (stack_lock: leaf)
 *
 * (finish_switch also takes a joiner's lock inside the dead thread's: a
 * joining thread is blocked, never exiting, so no cycle forms.)
 *
 * Thread states:
 *     RUNNING   current on some cpu
 *     RUNNABLE  on a run queue, or between queues: switched out after a
 *               preemption but not queued yet, stolen and about to run, moved
 *     BLOCKED   sleeping, joining or on a wait queue; wake() makes it RUNNABLE
 *     DEAD      exited; thread_join frees it once it is off its stack (exited)
 */
#ifndef KERNEL_SCHED_INTERNAL_H
#define KERNEL_SCHED_INTERNAL_H
#include <kernel/sched.h>
#include <kernel/kernel.h>
#include <kernel/cpu_topology.h>
#include <kernel/cpu.h>
#include <arch/x86.h>

#define NEVER UINT64_MAX

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
    /* Where other cpus may steal it from: &affinity (sched_fault= may widen it). */
    const struct cpumask *steal_mask;
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

extern struct rq rqs[NR_CPUS];                     /* rq.c */
extern struct near *volatile steal_order[NR_CPUS]; /* rq.c; built by steal.c */
extern uint64_t slice_ns;                          /* timer.c; set by sched_init */
extern struct thread main_thread;                  /* thread.c */

static inline struct thread *cur(void) { return this_cpu()->current; }
static inline struct rq *cpu_rq(unsigned c) { return &rqs[c]; }

/*
 * A cpu that may take threads now: one that will serve its queue.  Not one
 * whose scheduler has not started (an AP at boot's GO barrier), nor one
 * that is not ONLINE: going down (DYING), or stopped for good by IPI_STOP
 * (a panic, a kexec), which parks it with its run queue still active.
 */
static inline bool usable(unsigned c)
{
    return READ_ONCE(rqs[c].active) && READ_ONCE(rqs[c].started) &&
           cpu_state(per_cpu(c)) == CPU_ONLINE;
}

static inline bool allowed(const struct thread *t, unsigned c)
{
    return cpumask_test(&t->affinity, c);
}

/* May cpu c take t from another queue? */
static inline bool may_steal(const struct thread *t, unsigned c)
{
    return cpumask_test(t->steal_mask, c);
}

/* Idle, or about to be (scanning for work with nothing of its own): worth a kick. */
static inline bool cpu_idle(unsigned c)
{
    return per_cpu(c)->current == rqs[c].idle || READ_ONCE(rqs[c].idling);
}

/* rq.c */
const char *mask_str(const struct cpumask *m, char *buf, size_t len);
void rq_remove(struct rq *rq, struct thread *t);
void kick_for_queued(struct thread *t, unsigned cpu);
void enqueue(struct thread *t, int avoid);
void wake(struct thread *t);

/* stats.c */
void sched_dump(const struct thread *t);

/* steal.c */
bool steal_order_alloc(unsigned cpu);
void build_order(unsigned cpu);
struct thread *steal(struct percpu *pc);

/* timer.c */
void rearm(struct rq *rq);
void rearm_if_dirty(void);
void sleep_unlink(struct rq *rq, struct thread *t);
void sleep_add(struct thread *t, uint64_t deadline);
void sleep_cancel(struct thread *t);
void sched_timer(void);
uint64_t deadline_after(uint64_t ns);

/* sched.c */
void schedule(void);
void finish_switch(void);

/* wait.c */
bool block_until(bool (*cond)(void *), void *arg, uint64_t deadline,
                 struct sched_waitq *wq);

/* thread.c */
void thread_init(struct thread *t, const char *name, const struct cpumask *mask);
void thread_frame(struct thread *t, unsigned long top);

/* fault.c: sched_fault= */
const struct cpumask *fault_steal_mask(const struct thread *t);
bool fault_flat_order(void);
const char *fault_order_name(void);
const char *fault_affinity_note(void);

#endif
