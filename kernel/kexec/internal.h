/* SPDX-License-Identifier: MIT */
/* Between the files of kernel/kexec only.  The design: include/kernel/kexec.h. */
#ifndef KERNEL_KEXEC_INTERNAL_H
#define KERNEL_KEXEC_INTERNAL_H
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <arch/layout.h>
#include <xen/xen.h>
#include <kernel/smp.h>
#include <arch/traps.h>

/*
 * One vCPU's mailbox in the window.  arch/x86/kexec.S reads it by the MB_*
 * offsets of include/arch/layout.h: each is asserted against the struct.
 */
struct kexec_mailbox {
    volatile uint32_t go;
    volatile uint32_t arrived;
    uint64_t entry, stack, arg0, arg1, arg2;
    int64_t error;
    uint32_t shutdown_reason, pad;
    struct { uint32_t cmd, pad; uint64_t arg1, arg2; } ops[2];
    /* C only (no MB_ constant): the old kernel counts here, the new one reads it. */
    /* C only, no MB_ constant: the old kernel counts here (kexec_mark_nmi), boot.c reports. */
    volatile uint32_t nmis_old;     /* NMIs the old kernel took past its point of no return */
} __aligned(KEXEC_MAILBOX_SIZE);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, go) != MB_GO);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, arrived) != MB_ARRIVED);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, entry) != MB_ENTRY);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, stack) != MB_STACK);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, arg0) != MB_ARG0);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, arg1) != MB_ARG1);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, arg2) != MB_ARG2);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, error) != MB_ERROR);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, shutdown_reason) != MB_SHUTDOWN);
BUILD_BUG_ON(offsetof(struct kexec_mailbox, ops) != MB_OPS);
/* The ops are struct mmuext_op as Xen reads them (public/xen.h). */
BUILD_BUG_ON(sizeof(((struct kexec_mailbox *)0)->ops[0]) != sizeof(struct mmuext_op));
/* Right after the ops, clear of everything the assembly reads. */
BUILD_BUG_ON(offsetof(struct kexec_mailbox, nmis_old) != MB_OPS + 2 * sizeof(struct mmuext_op));
BUILD_BUG_ON(sizeof(struct kexec_mailbox) != KEXEC_MAILBOX_SIZE);

static inline struct kexec_mailbox *kexec_mailbox(unsigned vcpu)
{
    return (struct kexec_mailbox *)(KEXEC_MAILBOX_VA + (unsigned long)vcpu * KEXEC_MAILBOX_SIZE);
}

/* The armed region and the new kernel laid out in it (region.c). */
struct kexec_region {
    bool armed;
    char image[24];                 /* "self" or "module" */
    unsigned long pfn, pages;       /* our pfns [pfn, pfn + pages) */
    /* The new kernel's pfns: [0, prefix) mapped at its start, [prefix, usable) its
     * pool, [usable, total) our memory, its own once it reclaims it. */
    unsigned long prefix, usable, total;
    unsigned long image_pages, mailbox_pages, tables;
    unsigned long new_l4_mfn;
    uint64_t entry;                 /* the new kernel's ELF entry */
    uint64_t new_si_va;             /* its start_info, at its own address */
    struct start_info *new_si;      /* the same page, at ours */
};
extern struct kexec_region kexec_region;

/* The handoff we were given (boot.c): NULL on a first boot. */
extern const struct handoff *kexec_ho_in;

/*
 * The files are a stack too: region.c (the region and its window) <
 * boot.c (the arrival) < jump.c (the plan out).  A file calls only its
 * own rank or lower ones (scripts/check-layering.sh checks for circles).
 */
/* region.c: reserve the region, load the image, build and pin the new kernel's tables. */
void kexec_arm(void);
/* region.c: a vCPU's mailbox (go set last). */
void kexec_fill_mailbox(unsigned vcpu, uint64_t entry, uint64_t stack, uint64_t a0, uint64_t a1,
                        uint64_t a2, unsigned long l4_mfn);

#endif
