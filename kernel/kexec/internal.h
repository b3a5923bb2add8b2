/* SPDX-License-Identifier: MIT */
/* Between the files of kernel/kexec only.  The design: include/kernel/kexec.h. */
#ifndef KERNEL_KEXEC_INTERNAL_H
#define KERNEL_KEXEC_INTERNAL_H
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <arch/layout.h>
#include <kernel/smp.h>
#include <arch/traps.h>

/* One vCPU's mailbox in the window (offsets: include/arch/layout.h). */
struct kexec_mailbox {
    volatile uint32_t go;
    volatile uint32_t arrived;
    uint64_t entry, stack, arg0, arg1, arg2;
    int64_t error;
    uint32_t shutdown_reason, pad;
    struct { uint32_t cmd, pad; uint64_t arg1, arg2; } ops[2];
    volatile uint32_t nmis_old;     /* NMIs the old kernel took past its point of no return */
    uint8_t rest[KEXEC_MAILBOX_SIZE - 116];
};

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

/* The handoff we write (jump.c) and the one we were given (boot.c). */
extern struct handoff kexec_ho_out;
extern const struct handoff *kexec_ho_in;    /* NULL: a first boot */

/* region.c: reserve the region, load the image, build and pin the new kernel's tables. */
void kexec_arm(void);
/* jump.c: the park resume hook of an armed kernel; a vCPU's mailbox (go set last). */
void kexec_park_resume(struct percpu *pc);
void kexec_fill_mailbox(unsigned vcpu, uint64_t entry, uint64_t stack, uint64_t a0, uint64_t a1,
                        uint64_t a2, unsigned long l4_mfn);
/* crash.c: what each vCPU saved when the crash stopped it (struct user_regs_struct order). */
struct crash_saved {
    volatile int saved;
    uint32_t flags;                 /* HANDOFF_REGS_* */
    uint64_t r[HANDOFF_NREGS];
};
extern struct crash_saved kexec_crash_saved[NR_CPUS];
extern uint64_t kexec_crash_time_ns;
void kexec_regs_to_user(const struct cpu_regs *r, uint64_t u[HANDOFF_NREGS], uint64_t gs_base);
void kdump_install(void);
void kdump_report_state(void);

/* jump.c: past the point of no return (this kernel acts on no NMI any more). */
bool kexec_past_return(void);
/* jump.c: the new kernel filled vcpu's mailbox: count an NMI there (true), else false. */
bool kexec_mark_nmi(unsigned vcpu);
/* crash.c: the reason a crash kernel's kdump_then=kexec hands on (crash loop detection). */
void kdump_after_dump_reason(char *buf, size_t n);

/* jump.c: exit=kexec's jump. */
void kexec_install_exit(void);
/* jump.c: steps 3-6 of the plan, the others already stopped (kdump calls it too). */
void __noreturn kexec_jump(uint32_t kind, const char *reason);

#endif
