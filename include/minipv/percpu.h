/* SPDX-License-Identifier: MIT */
/*
 * The per-cpu area, one page per logical cpu, reached through the kernel
 * GS base.  It also holds the vcpu_info this vCPU registered with Xen:
 * cache-line aligned inside a page-aligned struct, so it never crosses a
 * page (VCPUOP_register_vcpu_info requires that).
 */
#ifndef MINIPV_PERCPU_H
#define MINIPV_PERCPU_H
#include <minipv/compiler.h>
#include <xen/xen.h>

struct percpu {
    struct percpu *self;              /* %gs:0 */
    uint32_t cpu;                     /* logical cpu number: ours */
    uint32_t vcpu_id;                 /* Xen's vcpu id: what every VCPUOP wants */
    struct vcpu_info *vcpu_info;      /* where Xen delivers this vCPU's events/time */
    unsigned long stack_top;
    volatile int state;               /* enum cpu_state, kernel/smp.c */
    int fail_code;                    /* why FAILED: Xen error or timeout */
    volatile bool want_down;          /* hotplug: the idle loop takes this cpu down */
    bool initialised;                 /* VCPUOP_initialise done once: later ups resume it */
    /* events (xen/events.c) */
    uint32_t ipi_port, timer_port;
    volatile unsigned long ipi_pending;   /* IPI kinds multiplexed on one channel */
    volatile uint64_t timer_fired, ipi_count, upcall_count;
    uint64_t timer_deadline;
    /* scheduler (kernel/sched.c) */
    void *current;
    void *idle;
    void *rq;
    uint64_t steal[5];                /* steals by topology level (enum topo_dist) */
    int steal_first;                  /* level of the first steal since sched_stats_reset, -1 none */
    unsigned steal_first_from;        /* the cpu that first steal took from */
    struct vcpu_info vi __aligned(CACHELINE);
} __aligned(PAGE_SIZE);

extern struct percpu percpu_area[NR_CPUS];

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ __volatile__("mov %%gs:0, %0" : "=r"(p));
    return p;
}
static inline unsigned smp_processor_id(void) { return this_cpu()->cpu; }
static inline struct percpu *per_cpu(unsigned cpu) { return &percpu_area[cpu]; }

/* arch/x86/percpu.c: point the kernel GS base at pc. */
void arch_set_percpu(struct percpu *pc);

#endif
