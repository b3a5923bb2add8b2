/* SPDX-License-Identifier: MIT */
/*
 * The kexec trampoline.  arch_kexec_tramp..arch_kexec_tramp_end is copied
 * into the window's first page (include/arch/layout.h), which is mapped at
 * KEXEC_TRAMP_VA in both the old page tables and the new kernel's, so the
 * instruction after the switch is still this code.  It runs with events
 * masked, on whatever stack the caller had, and never touches that stack
 * after the switch (it may not exist in the new address space).
 */
#include <xen/xen.h>
#include <arch/layout.h>
/* xen/sched.h is not assembly-safe: its two numbers here. */
#define SCHEDOP_shutdown 2
#define SHUTDOWN_crash 3

    .section .rodata, "a"
    .balign 16
    .globl arch_kexec_tramp, arch_kexec_tramp_end
arch_kexec_tramp:                   /* %rdi = this vCPU's mailbox */
    mov     %rdi, %rbx
1:  lea     MB_OPS(%rbx), %rdi      /* the ops sit in the window: Xen reads the second */
    mov     $2, %esi                /* one after the first switched page tables */
    xor     %edx, %edx
    mov     $DOMID_SELF, %r10d
    mov     $__HYPERVISOR_mmuext_op, %eax
    syscall
    test    %rax, %rax
    jnz     2f
    /* On the new page tables: this page and the mailbox are where they were. */
    movl    $1, MB_ARRIVED(%rbx)
    mov     MB_STACK(%rbx), %rsp
    mov     MB_ARG0(%rbx), %rdi
    mov     MB_ARG1(%rbx), %rsi
    mov     MB_ARG2(%rbx), %rdx
    xor     %ebp, %ebp
    jmp     *MB_ENTRY(%rbx)
2:  /* Xen refused the new page tables: there is no going back, stop the domain. */
    mov     %rax, MB_ERROR(%rbx)
    movl    $SHUTDOWN_crash, MB_SHUTDOWN(%rbx)
    lea     MB_SHUTDOWN(%rbx), %rsi
    mov     $SCHEDOP_shutdown, %edi
    mov     $__HYPERVISOR_sched_op, %eax
    syscall
    jmp     2b
arch_kexec_tramp_end:

    .text
    /* arch_kexec_enter(mailbox): into the copied trampoline; never returns. */
    .globl arch_kexec_enter
arch_kexec_enter:
    movabs  $KEXEC_TRAMP_VA, %rax
    jmp     *%rax
