/* SPDX-License-Identifier: MIT */
/*
 * Logical cpus and the Xen vCPUs under them (kernel/cpu/): the cpu <-> vcpu
 * id map, each cpu's life-cycle state, IPIs, cross-calls and the per-cpu
 * timer.  How a vCPU comes up, parks and comes back is kernel/smp/lifecycle.c
 * (include/kernel/smp.h); this layer only keeps the books.
 *
 * The map.  cpu -> Xen vcpu id and back, complete for every cpu before any
 * AP runs or any per-cpu preparation on the boot cpu needs it.  The boot
 * vCPU need not be vcpu 0 (a kexec'd or crash kernel starts on whichever
 * vCPU jumped), so its id is an input.  Every VCPUOP/EVTCHNOP/timer call
 * names cpu_to_vcpu(cpu) or pc->vcpu_id, never a raw cpu number.
 *
 * The state of a cpu.  Changed only through cpu_state_cas()/cpu_state_set(),
 * which panic on an edge not drawn here.  Each edge says who takes it:
 *
 *                 (1) starter                      (3) the cpu itself: the last
 *     OFFLINE ------------------------> STARTING -------------------> ONLINE
 *      | ^  ^                            |    ^     store of cpu_bringup  | |
 *      | |  |                        (4) |    | (2) cpu_up caller         | |
 *      | |  |                            v    |     (a retry)             | | (6) cpu_down
 *      | |  |   (5) boot cpu at the     FAILED                            | |     caller
 *      | |  |       bring-up bound,      ^                                | v
 *      | |  |       never started        |                                | DYING
 *      +-|--|----------------------------+                                | |
 *        |  +-------------------------------------------------------------+ | (7) the cpu
 *        |         (8) the cpu itself: IPI_STOP, a kexec stop or a crash    |     itself,
 *        +-------------------------------------------------------------------+     then parks
 *
 *   (1) OFFLINE -> STARTING   whoever starts it (boot cpu, a tree parent, cpu_up),
 *                             then VCPUOP_initialise+up, or VCPUOP_up of a parked vCPU
 *   (2) FAILED -> STARTING    cpu_up: a vCPU that failed or timed out gets another go
 *   (3) STARTING -> ONLINE    the cpu itself, as the last store of cpu_bringup()
 *   (4) STARTING -> FAILED    the starter on a Xen error, the waiter at its bound
 *                             (smp_timeout_ms=, cpu_up's 5 s), or the cpu itself when
 *                             its bring-up fails
 *   (5) OFFLINE -> FAILED     the boot cpu at the bring-up bound: nobody started it
 *   (6) ONLINE -> DYING       cpu_down's caller (any cpu, the dying one included)
 *   (7) DYING -> OFFLINE      the cpu itself in its idle thread, then it parks
 *   (8) ONLINE -> OFFLINE     the cpu itself when stopped (IPI_STOP, kexec, crash)
 *   (9) any -> LOST           the crashing cpu for a vCPU that did not stop in time,
 *                             or a new kernel's boot cpu when the handoff says so.
 *                             LOST is the end: resuming it would run the old kernel.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H
#include <minipv/compiler.h>
#include <minipv/percpu.h>
#include <kernel/cpumask.h>
#include <arch/x86.h>

/* The states, in order; the enum and cpu_state_name's table both come from it. */
#define CPU_STATES(X) X(OFFLINE) X(STARTING) X(ONLINE) X(DYING) X(FAILED) X(LOST)
#define CPU_STATE_ENUM(s) CPU_##s,
enum cpu_state { CPU_STATES(CPU_STATE_ENUM) CPU_NR_STATES };
#undef CPU_STATE_ENUM

const char *cpu_state_name(int s);
static inline int cpu_state(const struct percpu *pc) { return atomic_load(&pc->state); }
/*
 * Take the edge from -> to if pc is in `from` now (true), else change
 * nothing (false: a race the caller handles).  Release ordering: whoever
 * reads the new state sees every store made before it.
 */
bool cpu_state_cas(struct percpu *pc, enum cpu_state from, enum cpu_state to);
/* Move pc from whatever state it is in to `to`. */
void cpu_state_set(struct percpu *pc, enum cpu_state to);

/* ---- the map (kernel/cpu/map.c) ---- */

extern unsigned nr_cpus;           /* logical cpus in use (<= NR_CPUS) */
extern unsigned nr_vcpus;          /* vCPUs Xen gave the domain */
extern unsigned boot_vcpu_id;      /* the vCPU we started on: cpu 0 */
extern struct cpumask cpu_online_mask;
#define MAX_VCPU_ID 4096           /* bound on Xen vcpu ids we look at */

unsigned cpu_to_vcpu(unsigned cpu);
/* Logical cpu of a Xen vcpu id, or -1 if that vCPU is not used. */
int vcpu_to_cpu(unsigned vcpu_id);
/*
 * Count the domain's vCPUs and build the map: cpu 0 is boot_vcpu, the APs
 * the lowest other vcpu ids (nr_cpus= caps them; every vCPU whose bit is
 * set in `must` is used whatever the cap), numbered in cpu_order=.  Every
 * cpu starts OFFLINE, the boot cpu STARTING.
 */
void cpu_map_init(unsigned boot_vcpu, const unsigned long *must);
/* The cpu that holds the global duties (xenstore, console input): the lowest online one. */
unsigned first_online_cpu(void);

/* ---- events: IPIs, cross-calls, the timer (kernel/cpu/events.c) ---- */

/* Bind this cpu's VIRQ_TIMER and IPI channels (on itself); 0 or Xen's error. */
int cpu_events_init(struct percpu *pc);
/* Close them again and stop the timer (on itself, before it goes down). */
void cpu_events_teardown(struct percpu *pc);

/* IPI kinds multiplexed on each cpu's one IPI channel. */
enum ipi_kind { IPI_RESCHED, IPI_CALL, IPI_STOP, IPI_PING, IPI_SUSPEND, IPI_NR };
void send_ipi(unsigned cpu, enum ipi_kind kind);
/* What IPI_STOP runs (kernel/smp installs it; it never returns). */
void cpu_set_stop_handler(void (*fn)(void));
/* What IPI_SUSPEND runs (kernel/smp: park while the domain is saved, then come back). */
void cpu_set_suspend_handler(void (*fn)(void));
/* After a restore into a new domain, on pc itself: VIRQ_TIMER and IPI bound again, timer re-armed. */
int cpu_events_rebind(struct percpu *pc);
/* IPI_PING: the sender sets its bit in the target's ping_from; the handler moves it to ping_seen. */
extern struct cpumask ping_from[NR_CPUS], ping_seen[NR_CPUS];

/*
 * Run fn(arg) on cpu (IPI) and wait for it; on every online cpu (this one
 * included).  The bound scales with the online count: under TCG every vCPU
 * waits its turn on one host thread (cpu_call_bound_ns).  call_on_cpu: 0,
 * -EINVAL (not online) or -ETIMEDOUT; call_on_all: how many did not answer.
 */
int call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg);
int call_on_all(void (*fn)(void *), void *arg);
uint64_t cpu_call_bound_ns(void);

/* This cpu's singleshot timer: runs the timer hook on this cpu at deadline (Xen ns). */
int timer_arm(uint64_t deadline_ns);
/*
 * What a timer event runs, after the bookkeeping: the scheduler registers
 * it (an upper layer reached from below).  Returns the one it replaces, so
 * a test that interposes can hand on to it and put it back.
 */
typedef void (*cpu_timer_fn)(void);
cpu_timer_fn cpu_set_timer_hook(cpu_timer_fn fn);
/* Timer events that came while no deadline of ours was armed (left over from before us). */
extern uint64_t cpu_stray_timer_events;

#endif
