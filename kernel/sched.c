/* SPDX-License-Identifier: MIT */
/* Placeholder until the scheduler lands: idle by blocking in Xen. */
#include <kernel/sched.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>

void sched_idle_loop(void)
{
    for (;;) {
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
