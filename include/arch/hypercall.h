/* SPDX-License-Identifier: MIT */
/*
 * The 64-bit PV hypercall ABI and the arch-specific hypercalls.
 *
 * A 64-bit PV kernel runs in ring 3; a `syscall` issued in guest kernel
 * mode is taken by Xen as a hypercall: number in rax, arguments in
 * rdi, rsi, rdx, r10, r8, result in rax.  The CPU clobbers rcx/r11, and a
 * debug Xen poisons argument registers, so all of them are outputs.
 * We do not use the hypercall page (Linux dropped it after XSA-466).
 */
#ifndef ARCH_HYPERCALL_H
#define ARCH_HYPERCALL_H
#include <minipv/compiler.h>
#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/physdev.h>

static inline long _hypercall5(unsigned nr, unsigned long a1, unsigned long a2,
                               unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    long ret;
    __asm__ __volatile__("syscall"
                         : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                         : "0"((unsigned long)nr)
                         : "rcx", "r11", "memory");
    return ret;
}
#define _hypercall0(nr)             _hypercall5(nr, 0, 0, 0, 0, 0)
#define _hypercall1(nr, a)          _hypercall5(nr, (unsigned long)(a), 0, 0, 0, 0)
#define _hypercall2(nr, a, b)       _hypercall5(nr, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define _hypercall3(nr, a, b, c)    _hypercall5(nr, (unsigned long)(a), (unsigned long)(b), \
                                                (unsigned long)(c), 0, 0)
#define _hypercall4(nr, a, b, c, d) _hypercall5(nr, (unsigned long)(a), (unsigned long)(b), \
                                                (unsigned long)(c), (unsigned long)(d), 0)

/* --- x86 PV specific hypercalls: typed wrappers --- */

static inline long hypercall_set_trap_table(const struct trap_info *t)
{
    return _hypercall1(__HYPERVISOR_set_trap_table, t);
}

static inline long hypercall_mmu_update(struct mmu_update *req, unsigned count,
                                        unsigned *done, domid_t dom)
{
    return _hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}

static inline long hypercall_mmuext_op(struct mmuext_op *op, unsigned count,
                                       unsigned *done, domid_t dom)
{
    return _hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom);
}

static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte,
                                               unsigned long flags)
{
    return _hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long hypercall_stack_switch(unsigned long ss, unsigned long sp)
{
    return _hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline long hypercall_set_segment_base(unsigned which, unsigned long base)
{
    return _hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

static inline long hypercall_set_gdt(const unsigned long *frames, unsigned entries)
{
    return _hypercall2(__HYPERVISOR_set_gdt, frames, entries);
}

static inline long hypercall_callback_op(int cmd, const void *arg)
{
    return _hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

static inline long hypercall_fpu_taskswitch(int set)
{
    return _hypercall1(__HYPERVISOR_fpu_taskswitch, set);
}

static inline long hypercall_physdev_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

/* The arch layer may need to stop the machine before anything above it runs. */
static inline void __noreturn arch_hypercall_crash(void)
{
    struct { unsigned reason; } s = { 3 /* SHUTDOWN_crash */ };
    for (;;)
        _hypercall2(29 /* __HYPERVISOR_sched_op */, 2 /* SCHEDOP_shutdown */, &s);
}

#endif
