/* SPDX-License-Identifier: MIT */
/*
 * Between the files of kernel/crash only: the crash path (crash.c: stop,
 * capture, the watchdog, drills) and the crash kernel's dump (vmcore.c).
 * The layer sits above kernel/kexec: it uses the jump, the jump never
 * calls it (the registers reach the handoff through a life participant).
 */
#ifndef KERNEL_CRASH_INTERNAL_H
#define KERNEL_CRASH_INTERNAL_H
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <kernel/smp.h>
#include <arch/traps.h>

/* crash.c: what each vCPU saved when the crash stopped it (struct user_regs_struct order). */
struct crash_saved {
    volatile int saved;
    uint32_t flags;                 /* HANDOFF_REGS_* */
    uint64_t r[HANDOFF_NREGS];
};
extern struct crash_saved kexec_crash_saved[NR_CPUS];
extern uint64_t kexec_crash_time_ns;
void kexec_regs_to_user(const struct cpu_regs *r, uint64_t u[HANDOFF_NREGS], uint64_t gs_base);

/* dumpdisk.c: the dump disk (kdump_disk=); vmcore.c hands it the core as below. */
struct kdump_disk_src {
    const uint8_t *head;            /* ELF headers and notes, padded to whole pages */
    size_t head_len;
    uint64_t total;                 /* the whole core's bytes */
    uint32_t generation;
    unsigned long (*next_mfn)(void *ctx);   /* each data page's frame in file order; 0: the end */
    uint64_t data_sum;              /* vmcore_sum of the data pages, in that order */
    /* The same pages' bytes, in the same order (until the next call); NULL: the end. */
    const void *(*next_page)(void *ctx);
    void *ctx;
};
void kdump_disk_boot(void);
bool kdump_disk_wanted(void);
int kdump_disk_write(const struct kdump_disk_src *src);

#endif
