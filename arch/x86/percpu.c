/* SPDX-License-Identifier: MIT */
/* Storage for the per-cpu areas; the layout lives in include/minipv/percpu.h. */
#include <minipv/percpu.h>
#include <arch/hypercall.h>

struct percpu percpu_area[NR_CPUS];

void arch_set_percpu(struct percpu *pc)
{
    pc->self = pc;
    /* %gs:0 is then this cpu's struct percpu. */
    if (hypercall_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)pc))
        arch_hypercall_crash();
}
