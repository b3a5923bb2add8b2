/* SPDX-License-Identifier: MIT */
/*
 * SMP: logical cpus, Xen vcpu ids, bringup.
 *
 * One map, cpu -> Xen vcpu id and back, complete for every cpu before any
 * AP runs or any per-cpu preparation on the boot cpu needs it.  The boot
 * vCPU need not be vcpu 0 (a crash kernel starts on the crashed vCPU), so
 * its id is an input.  Every VCPUOP/EVTCHNOP/timer call names
 * cpu_to_vcpu(cpu), never a raw cpu number.
 *
 * Per-cpu state machine:
 *
 *     OFFLINE --boot cpu: VCPUOP_initialise+up--> STARTING --AP: setup done--> ONLINE
 *        ^                                          |                            |
 *        |                                          | error / no ONLINE          | cpu_down():
 *        |                                          v within the bound           | VCPUOP_down
 *        +------------- cpu_up() retries ------- FAILED                          |
 *        +-----------------------------------------------------------------------+
 *
 * ONLINE cpus wait at the GO barrier until the boot cpu releases them.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H
#include <minipv/compiler.h>
#include <minipv/percpu.h>
#include <kernel/cpumask.h>

enum cpu_state { CPU_OFFLINE, CPU_STARTING, CPU_ONLINE, CPU_FAILED };

extern unsigned nr_cpus;           /* logical cpus in use (<= NR_CPUS) */
extern unsigned nr_vcpus;          /* vCPUs Xen gave the domain */
extern unsigned boot_vcpu_id;      /* the vCPU we started on */
extern struct cpumask cpu_online_mask, cpu_present_mask;

unsigned cpu_to_vcpu(unsigned cpu);
/* Logical cpu of a Xen vcpu id, or -1 if that vCPU is not used. */
int vcpu_to_cpu(unsigned vcpu_id);

void smp_init_boot_cpu(unsigned boot_vcpu);
void smp_bringup(void);
void smp_stop_others(void);
const char *cpu_state_name(int s);

/* Run fn(arg) on cpu (IPI); wait for it with a bound.  0, or -ETIMEDOUT/-EINVAL. */
int call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg);
/* Run on every online cpu (this one included); returns how many did not answer. */
int call_on_all(void (*fn)(void *), void *arg);

/* IPI kinds multiplexed on each cpu's one IPI channel. */
enum ipi_kind { IPI_RESCHED, IPI_CALL, IPI_STOP, IPI_PING, IPI_NR };
/* IPI_PING: the sender sets its bit in the target's ping_from; the handler moves it to ping_seen. */
extern struct cpumask ping_from[NR_CPUS], ping_seen[NR_CPUS];
/* The vcpu fail_vcpu= told bring-up to break, or -1. */
int smp_fail_vcpu(void);
void send_ipi(unsigned cpu, enum ipi_kind kind);

/* Per-cpu singleshot timer: fires timer_handler on that cpu at deadline (Xen ns). */
int timer_arm(uint64_t deadline_ns);
extern void (*timer_hook)(void);

/* bringup report numbers (ns) */
extern uint64_t smp_bringup_ns, smp_boot_hcall_ns;

/*
 * Hotplug at run time.  cpu_down() moves the cpu's threads and duties away,
 * tears down its timer and IPI channels and issues VCPUOP_down; cpu 0 (the
 * boot cpu) is allowed.  cpu_up() issues VCPUOP_up and the cpu redoes its
 * per-cpu boot state.  Both wait with a bound; 0 or a negative errno.
 */
int cpu_down(unsigned cpu);
int cpu_up(unsigned cpu);

/*
 * Hotplug notifiers: fn(cpu, up) runs after a cpu came ONLINE (up = true)
 * or before it goes down (up = false), on some other online cpu.  Owners of
 * per-cpu duties (xenstore, console input) move their event channels here.
 */
int cpu_hotplug_notify_register(void (*fn)(unsigned cpu, bool up));

/*
 * Asked during bring-up for every AP; false leaves that vCPU OFFLINE but
 * present (a domU's xenstore says cpu/N/availability = offline when
 * maxvcpus > vcpus).  NULL: every vCPU is wanted.
 */
extern bool (*vcpu_available_hook)(unsigned vcpu_id);

/* Run by a cpu's idle loop when want_down is set: goes down, and on VCPUOP_up returns re-initialised. */
void cpu_play_dead(void);

/* The cpu that currently owns the global duties (xenstore, console input). */
unsigned first_online_cpu(void);

#endif
