/* SPDX-License-Identifier: MIT */
/* Placeholder until the scheduler lands: idle by blocking in Xen. */
#include <kernel/sched.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <kernel/smp.h>

void sched_idle_loop(void)
{
    for (;;) {
        if (this_cpu()->want_down)
            cpu_play_dead();
        irq_disable();
        /* SCHEDOP_block re-enables events atomically and returns on the next one. */
        hypercall_sched_op(SCHEDOP_block, NULL);
        irq_enable();
    }
}

void sched_upcall_exit(struct cpu_regs *regs)
{
    (void)regs;
}

void sched_cpu_down(unsigned cpu) { (void)cpu; }
void sched_cpu_up(unsigned cpu) { (void)cpu; }
void sched_yield_cpu(void) { }
