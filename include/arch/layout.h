/* SPDX-License-Identifier: MIT */
/* Addresses shared by C, assembly and (by value) arch/x86/minipv.lds. */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H
#ifdef __ASSEMBLY__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif
#define KERNEL_VIRT_BASE _UL(0xffffffff80000000)   /* = VIRT_BASE in minipv.lds */

/*
 * The kexec window (L4 slot 511, L3 slot 0): mapped at the same address in
 * the old kernel's page tables and in the ones it builds for the new kernel,
 * so code and data here survive the switch of page tables (kernel/kexec).
 *   +0         the trampoline page (arch/x86/kexec.S, copied)
 *   +4 KiB     mailboxes, KEXEC_MAILBOX_SIZE bytes per vcpu id
 *   +1 MiB     the handoff (include/kernel/handoff.h)
 */
#define KEXEC_WINDOW        _UL(0xffffff8000000000)
#define KEXEC_TRAMP_VA      KEXEC_WINDOW
#define KEXEC_MAILBOX_VA    (KEXEC_WINDOW + 0x1000)
#define KEXEC_MAILBOX_SIZE  128
#define KEXEC_HANDOFF_VA    (KEXEC_WINDOW + 0x100000)
#define KEXEC_HANDOFF_PAGES 96     /* 1024 vCPUs' records and registers + a 16 KiB stack */

/* The mailbox of one vCPU (offsets for arch/x86/kexec.S). */
#define MB_GO        0      /* u32: the new kernel says come over */
#define MB_ARRIVED   4      /* u32: set by the trampoline once on the new page tables */
#define MB_ENTRY     8      /* where to jump, with: */
#define MB_STACK     16     /*   rsp */
#define MB_ARG0      24     /*   rdi */
#define MB_ARG1      32     /*   rsi */
#define MB_ARG2      40     /*   rdx */
#define MB_ERROR     48     /* the trampoline's mmuext_op error, if any */
#define MB_SHUTDOWN  56     /* struct sched_shutdown for the failure path */
#define MB_OPS       64     /* two struct mmuext_op: NEW_BASEPTR, NEW_USER_BASEPTR */

/* %rdx at the new kernel's entry after a jump; a first boot from Xen has 0 there. */
#define KEXEC_ENTRY_MAGIC   _UL(0x6b657865636d7076)  /* "vpmcexek" */
#endif
