/* SPDX-License-Identifier: MIT */
/*
 * Every wait's bound, named once, with why.  All are Xen system time (ns).
 * The bed is QEMU TCG on a busy 2-core host: one host thread may run every
 * vCPU, so a bound that grows with the work it waits for says so and scales.
 */
#ifndef MINIPV_BOUNDS_H
#define MINIPV_BOUNDS_H

#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

/* A printk lock holder that died (crash, NMI) releases it after this. */
#define BOUND_PRINTK_LOCK_NS        (1 * NS_PER_S)
/* xenconsoled drains a 2 KiB ring in far less; it may be gone at shutdown. */
#define BOUND_CONSOLE_DRAIN_NS      (1 * NS_PER_S)
/* Room in the console ring: xenconsoled is a dom0 process, scheduled late. */
#define BOUND_CONSOLE_RING_NS       (2 * NS_PER_S)
/* One xenstore request's reply (xenstored is one dom0 process for every domain). */
#define BOUND_XENSTORE_REPLY_NS     (5 * NS_PER_S)
/* xenstore quiet at a message boundary before a jump. */
#define BOUND_XENSTORE_QUIESCE_NS   (2 * NS_PER_S)
/* Another vCPU downed by force no longer runs (Xen deschedules it at once). */
#define BOUND_FORCE_DOWN_NS         (1 * NS_PER_S)
/* The old kernel's vCPUs arrive in the new one: on top of the cross-cpu call bound. */
#define BOUND_KEXEC_ARRIVE_NS       (5 * NS_PER_S)
/* One cpu_up/cpu_down: the cpu itself must be scheduled by Xen to come up or park. */
#define BOUND_HOTPLUG_NS            (5 * NS_PER_S)
/*
 * A cross-cpu call: the base plus per online cpu (TCG runs them in turn: 255
 * vCPUs answered an all-to-all in ~1.9 s on an idle host, a busy one takes
 * several times that).
 */
#define BOUND_CPU_CALL_NS(online)   (2 * NS_PER_S + 40 * NS_PER_MS * (uint64_t)(online))
/* A thread enqueued on another cpu's run queue is taken. */
#define BOUND_ENQUEUE_NS            (1 * NS_PER_S)
/*
 * A second cpu to panic waits for the first one's stop (under kdump its NMI,
 * which comes after the crash kernel's setup, so longer), then ends the
 * domain itself if none came.
 */
#define BOUND_PANIC_STOP_KDUMP_NS   (30 * NS_PER_S)
#define BOUND_PANIC_STOP_NS         (5 * NS_PER_S)
/* A crash drill's crash must happen (the drill's own trigger, then the NMI path). */
#define BOUND_CRASH_HAPPEN_NS       (120 * NS_PER_S)

/* ---- the xenstore client and the service loop ---- */
/* The xenstore client lock: another caller's exchange ends (a pipelined read of
 * every vCPU's availability holds it longest: one reply bound per answer). */
#define BOUND_XENSTORE_LOCK_NS      (60 * NS_PER_S)
/* ---- hygiene: bounds of the loops moved over to wait_until ---- */
/* A second hotplug caller queues behind the one in progress: two operations' worth. */
#define BOUND_HOTPLUG_QUEUE_NS      (2 * BOUND_HOTPLUG_NS)
/* Guest suites: a 1 ms singleshot timer's event arrives (Xen runs us within a slice or so). */
#define BOUND_TEST_TIMER_NS         (1 * NS_PER_S)
/* Guest suites: every online cpu's 1 ms timer fires (TCG runs the vCPUs in turn). */
#define BOUND_TEST_TIMERS_ALL_NS    (2 * NS_PER_S)
/* Guest suites: every cpu has heard every other's IPI (N x N-1 events, TCG in turn). */
#define BOUND_TEST_PING_ALL_NS      (5 * NS_PER_S)
/* Guest suites: an AP that missed smp_timeout_ms= parks on its own by then. */
#define BOUND_TEST_LATE_PARK_NS     (10 * NS_PER_S)
/* ---- the sched suite (tests/guest/sched.c) ---- */
/* A thread queued on an idle cpu runs, or gets where it was sent (kicks reach far cpus late). */
#define BOUND_SCHED_START_NS        (5 * NS_PER_S)
/* 4 x nr_cpus burst threads all joined: one host thread may run every vCPU in turn. */
#define BOUND_SCHED_BURST_NS        (60 * NS_PER_S)
/* A timed-out join returns within this after its timeout (the joiner may be descheduled). */
#define BOUND_SCHED_JOIN_SLACK_NS   (3 * NS_PER_S)
/* ---- nmi: stop bounds in the vCPU's own running time (issue 19 item 9) ---- */
/* Running time (its own, Xen runstate) a vCPU gets to answer a stop: a pause does not count. */
#define BOUND_STOP_RUN_NS           (2 * NS_PER_S)
/* A vCPU Xen never runs meanwhile still ends the stop: wall time, base plus per vCPU waited for. */
#define BOUND_STOP_WALL_NS(n)       (60 * NS_PER_S + 100 * NS_PER_MS * (uint64_t)(n))
/* A generation that crashes this soon after its start, the same way as before the dump, loops. */
#define BOUND_CRASH_LOOP_READY_NS   (30 * NS_PER_S)

/* ---- test=scale (tests/guest/scale.c) ---- */
/*
 * k workers at the start (or end) line: threads enqueued on k cpus, TCG may
 * run them in turn, and the last may be inside a slow operation (a TLB flush
 * over every pCPU took 10-30 ms under TCG).
 */
#define BOUND_SCALE_START_NS(k)     (5 * NS_PER_S + 100 * NS_PER_MS * (uint64_t)(k))
/*
 * One step's run on the wall clock: each worker stops at its budget of OWN
 * running time, which k vCPUs sharing fewer pCPUs take about k times as long
 * to spend; 4x that plus 10 s leaves room for a busy host.
 */
#define BOUND_SCALE_RUN_NS(budget_ns, k) (10 * NS_PER_S + 4 * (uint64_t)(budget_ns) * (uint64_t)(k))

/* ---- suspend (kernel/smp/suspend.c) ---- */
/*
 * A parked vCPU waits for its release with no clock (frozen in a new domain
 * until its vcpu_info is registered again): in yields, some minutes' worth
 * under TCG, far past every bounded step of the leader's.
 */
#define BOUND_SUSPEND_PARK_YIELDS   (1ULL << 26)
/*
 * The whole suspend, on our clock, which stops for the downtime: the
 * quiesce steps (xenstore at a boundary, the region disarmed, every vCPU
 * parked), the resume steps, and the region rebuilt.
 */
#define BOUND_SUSPEND_NS            (120 * NS_PER_S)

/* ---- the dump disk (xen/blkfront.c, kernel/crash/dumpdisk.c) ---- */
/* The block backend follows one frontend state step (blkback in dom0, which may be busy). */
#define BOUND_BLK_STATE_NS          (10 * NS_PER_S)
/* One block request answered: a slow host disk under a busy dom0; longer is a dead backend. */
#define BOUND_BLK_IO_NS             (20 * NS_PER_S)
/* A look at the ring between sleeps on its channel (the backend may not signal). */
#define BOUND_BLK_NAP_NS            (10 * NS_PER_MS)
/* A detached disk's frontend keys, after its backend's went (libxl: milliseconds apart). */
#define BOUND_BLK_GONE_NS           (5 * NS_PER_S)

#endif
