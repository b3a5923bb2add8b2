/* SPDX-License-Identifier: MIT */
/*
 * The per-cpu area of each logical cpu, reached through the kernel GS base
 * (%gs:0 holds a self pointer).  Indexed by logical cpu; pc->vcpu_id is what
 * Xen calls the vCPU.
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
    uint64_t vcpu_info_maddr;         /* the registered one's machine address; 0: legacy slot */
    unsigned long stack_top;          /* this cpu's boot/idle stack */
    volatile int state;               /* enum cpu_state: only via cpu_state_cas/_set (kernel/cpu) */
    int fail_code;                    /* why FAILED: Xen error or timeout */
    const char *fail_what;            /* or this, when it was our own doing (no memory) */
    const char *volatile bringup_step; /* how far its own bring-up got (for a timeout's report) */
    volatile int started_by;          /* the cpu that started it last (valid once bringup_step is set) */
    volatile int park_why;            /* enum park_why of the last park (kernel/smp) */
    bool initialised;                 /* Xen has a context for it: VCPUOP_up resumes it */
    /* events (kernel/cpu/events.c) */
    uint32_t ipi_port, timer_port;
    volatile unsigned long ipi_pending;   /* IPI kinds multiplexed on one channel */
    volatile uint64_t timer_fired, ipi_count, upcall_count, nmis;
    uint64_t watchdog_seen;           /* upcall_count when the watchdog last looked */
    uint64_t timer_deadline;
    volatile uint64_t online_at;      /* Xen time it last became ONLINE, by its own clock */
    uint64_t online_seen;             /* when boot bring-up saw it ONLINE, by the boot cpu's clock */
    /* scheduler (kernel/sched) */
    void *current;
    void *idle;
    void *rq;
    uint64_t steal[5];                /* steals by topology level (enum topo_dist) */
    int steal_first;                  /* level of the first steal since sched_stats_reset, -1 none */
    unsigned steal_first_from;        /* the cpu that first steal took from */
} __aligned(CACHELINE);

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
