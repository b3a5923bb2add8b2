/* SPDX-License-Identifier: MIT */
/*
 * Exception, event and NMI entry for a 64-bit PV kernel.
 *
 * Xen bounces every trap to us as: [rsp] = rcx, [rsp+8] = r11, then the
 * error code (for vectors that have one), rip, cs, rflags, rsp, ss.  The
 * saved rflags.IF mirrors the event mask before the trap.  A PV kernel
 * runs in ring 3 and cannot iretq to restore the event mask, so every
 * return goes through HYPERVISOR_iret, which wants on the stack:
 * rax, r11, rcx, flags, rip, cs, rflags, rsp, ss.
 */
#include <xen/xen.h>

#define VEC_EVENT    0x100
#define VEC_FAILSAFE 0x101

    .text

.macro TRAP_NOERR vec
    .globl arch_trap_\vec
arch_trap_\vec:
    pop     %rcx
    pop     %r11
    pushq   $0
    pushq   $\vec
    jmp     trap_common
.endm

.macro TRAP_ERR vec
    .globl arch_trap_\vec
arch_trap_\vec:
    pop     %rcx
    pop     %r11
    pushq   $\vec
    jmp     trap_common
.endm

    TRAP_NOERR 0
    TRAP_NOERR 1
    TRAP_NOERR 2
    TRAP_NOERR 3
    TRAP_NOERR 4
    TRAP_NOERR 5
    TRAP_NOERR 6
    TRAP_NOERR 7
    TRAP_ERR   8
    TRAP_NOERR 9
    TRAP_ERR   10
    TRAP_ERR   11
    TRAP_ERR   12
    TRAP_ERR   13
    TRAP_ERR   14
    TRAP_NOERR 15
    TRAP_NOERR 16
    TRAP_ERR   17
    TRAP_NOERR 18
    TRAP_NOERR 19
    TRAP_NOERR 20
    TRAP_ERR   21

    .globl arch_event_entry
arch_event_entry:
    pop     %rcx
    pop     %r11
    pushq   $0
    pushq   $VEC_EVENT
    jmp     trap_common

    .globl arch_nmi_entry
arch_nmi_entry:
    jmp     arch_trap_2

    /* Failsafe: Xen could not load our segment state; it also pushed ds/es/fs/gs. */
    .globl arch_failsafe_entry
arch_failsafe_entry:
    pop     %rcx
    pop     %r11
    add     $32, %rsp
    pushq   $0
    pushq   $VEC_FAILSAFE
    jmp     trap_common

trap_common:
    push    %rdi
    push    %rsi
    push    %rdx
    push    %rcx
    push    %rax
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %rbx
    push    %rbp
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    cld
    mov     %rsp, %rdi
    call    arch_trap_dispatch
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbp
    pop     %rbx
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rax
    pop     %rcx
    pop     %rdx
    pop     %rsi
    pop     %rdi
    add     $16, %rsp               /* vector, error */
    .globl arch_iret
arch_iret:
    pushq   $0                      /* flags: not returning from a syscall */
    push    %rcx
    push    %r11
    push    %rax
    mov     $__HYPERVISOR_iret, %eax
    syscall
    ud2

    /* A secondary vCPU starts here: rdi = arg, rsi = fn (set by VCPUOP_initialise). */
    .globl arch_ap_entry
arch_ap_entry:
    cld
    xor     %ebp, %ebp
    call    *%rsi
    ud2

    /*
     * arch_capture_regs(struct cpu_regs *r): the caller's registers as if it
     * had trapped at our return address (a crash dump of a panic: gdb then
     * unwinds from inside panic).  Offsets: include/arch/traps.h.
     */
    .globl arch_capture_regs
arch_capture_regs:
    mov     %r15, 0(%rdi)
    mov     %r14, 8(%rdi)
    mov     %r13, 16(%rdi)
    mov     %r12, 24(%rdi)
    mov     %rbp, 32(%rdi)
    mov     %rbx, 40(%rdi)
    mov     %r11, 48(%rdi)
    mov     %r10, 56(%rdi)
    mov     %r9, 64(%rdi)
    mov     %r8, 72(%rdi)
    mov     %rax, 80(%rdi)
    mov     %rcx, 88(%rdi)
    mov     %rdx, 96(%rdi)
    mov     %rsi, 104(%rdi)
    mov     %rdi, 112(%rdi)
    movq    $0, 120(%rdi)           /* vector */
    movq    $0, 128(%rdi)           /* error */
    mov     (%rsp), %rax
    mov     %rax, 136(%rdi)         /* rip: where the caller goes on */
    movq    $FLAT_KERNEL_CS, 144(%rdi)
    pushfq
    pop     %rax
    mov     %rax, 152(%rdi)
    lea     8(%rsp), %rax
    mov     %rax, 160(%rdi)         /* rsp: the caller's, after our return */
    movq    $FLAT_KERNEL_SS, 168(%rdi)
    mov     80(%rdi), %rax
    ret

    /* arch_context_switch(unsigned long *save_sp, unsigned long new_sp) */
    .globl arch_context_switch
arch_context_switch:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, (%rdi)
    mov     %rsi, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret

    /*
     * arch_iret_to_self(): one HYPERVISOR_iret to the instruction after it,
     * with events masked (IF clear: do_iret sets upcall_mask = !IF).  Xen
     * clears a vCPU's NMI latch only in do_iret (pv/iret.c
     * async_exception_cleanup), so a vCPU that stopped inside an NMI handler
     * takes NMIs again only after this.  The CS has RPL 0: RPL 3 would tell
     * do_iret to switch to user mode (create_bounce_frame "andb $0xfc").
     */
    .globl arch_iret_to_self
arch_iret_to_self:
    mov     %rsp, %rax              /* rsp after the iret: our return address on top */
    pushq   $FLAT_KERNEL_SS
    push    %rax
    pushq   $0                      /* rflags: IF clear */
    pushq   $(FLAT_KERNEL_CS & ~3)
    lea     1f(%rip), %rax
    push    %rax                    /* rip */
    pushq   $0                      /* flags: not returning from a syscall */
    push    %rcx
    push    %r11
    push    %rax
    mov     $__HYPERVISOR_iret, %eax
    syscall
1:  ret
