/* SPDX-License-Identifier: MIT */
/* Scheduler entry points used by the rest of the kernel (kernel/sched.c). */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H
#include <minipv/compiler.h>

struct cpu_regs;

/* Each cpu ends up here once it has nothing else to do (never returns). */
void __noreturn sched_idle_loop(void);
/* Called at the end of every event upcall, events still masked: may preempt. */
void sched_upcall_exit(struct cpu_regs *regs);

/* Hotplug: move cpu's threads elsewhere (on that cpu, events masked) / redo its state. */
void sched_cpu_down(unsigned cpu);
void sched_cpu_up(unsigned cpu);
/* The calling thread leaves this cpu (used when a cpu takes itself down). */
void sched_yield_cpu(void);

#endif
