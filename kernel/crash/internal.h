/* SPDX-License-Identifier: MIT */
/*
 * Between the files of kernel/crash only: the crash path (crash.c: stop,
 * capture, the watchdog, drills) and the crash kernel's dump (vmcore.c,
 * over oldmem.c's reads of the old memory, dumpdisk.c's disk, then.c's
 * next step).  The layer sits above kernel/kexec: it uses the jump, the
 * jump never calls it (the registers reach the handoff through a life
 * participant).  Inside it: vmcore.c -> dumpdisk.c, oldmem.c -> then.c ->
 * crash.c, never back.
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

/* An option's values: one list X(ID, "name") gives the enum and the names. */
#define ENUM_(id, name) id,
#define NAME_(id, name) name,

/* then.c: after the dump (kdump_then=). */
unsigned kdump_lost_vcpus(void);        /* LOST vCPUs: they may still run the old kernel */

/*
 * oldmem.c: the old kernel's memory, read-only.  old_peek maps one frame
 * at a time (each call reuses the page); old_read_* go in batches of
 * OLD_BATCH through a window, one mmu_update and one local TLB flush a
 * batch (so the reader stays on its cpu): use(idx, p, ctx) sees each page
 * in the order given, p NULL for a frame Xen would not map, valid until
 * the next flush.  old_read_pfn takes an old linear-map page through the
 * view (old_view_open) when it holds that frame.
 */
#define OLD_BATCH ARCH_WINDOW_MAX
typedef void (*old_page_fn)(unsigned long idx, const void *p, void *ctx);
extern unsigned long *old_p2m;          /* the old kernel's pfn -> mfn (the caller maps it) */
extern unsigned long old_window_maps;   /* how often a batch mapped the window */
int old_mem_open(unsigned long bitmap_pages);   /* bitmap_pages: the view's bitmap of pfns */
int old_map_array(unsigned long **out, const uint64_t *mfns, unsigned n);
const void *old_peek(unsigned long mfn);
void old_read_begin(old_page_fn use, void *ctx);
void old_read_page(unsigned long idx, unsigned long mfn);
void old_read_pfn(unsigned long pfn);
void old_read_flush(void);
unsigned old_read_pending(void);
void old_view_open(unsigned long l4_mfn, unsigned long n);
void old_view_close(void);

#endif
