/* SPDX-License-Identifier: MIT */
/* Trap frames and the arch trap/event entry points. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H
#include <minipv/compiler.h>

/* Layout built by arch/x86/entry.S: GPRs, then vector/error, then the frame Xen bounced. */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
BUILD_BUG_ON(sizeof(struct cpu_regs) != 176);   /* arch_capture_regs, entry.S trap_common */

/* Pseudo vectors for the callbacks Xen uses besides the trap table. */
#define VEC_EVENT     0x100
#define VEC_FAILSAFE  0x101

/*
 * Upper layers install their handlers here (dependency inversion: arch never
 * calls up).  An exception with no handler stops the domain with SHUTDOWN_crash.
 */
typedef void (*arch_trap_fn)(struct cpu_regs *regs);
void arch_set_exception_handler(arch_trap_fn fn);  /* vectors 0-31 and failsafe */
void arch_set_event_handler(arch_trap_fn fn);      /* the event upcall */

struct percpu;
struct vcpu_guest_context;
/*
 * Make this vCPU ours, whatever state it was left in: GS base -> pc, the
 * trap table (cleared first), event/failsafe/NMI callbacks, kernel stack,
 * no LDT, no GDT of our own, and one HYPERVISOR_iret so Xen's NMI latch is
 * clear.  Events stay masked.  Run by every cpu on itself when it comes up.
 */
void arch_cpu_takeover(struct percpu *pc);
/*
 * The VCPUOP_initialise context of an AP: it starts in arch_ap_entry on
 * pc->stack_top and calls fn(pc), GS base pc, our page tables, trap table
 * (NMI included) and callbacks already in place, events masked.
 */
void arch_vcpu_context(struct vcpu_guest_context *c, struct percpu *pc, void (*fn)(void *));
const char *arch_vector_name(unsigned vec);

/* entry.S */
extern char arch_event_entry[], arch_failsafe_entry[], arch_nmi_entry[];
extern char arch_ap_entry[];
void arch_context_switch(unsigned long *save_sp, unsigned long new_sp);
void arch_iret_to_self(void);
/* The caller's registers, as if it trapped at the return address (rip, rsp after return). */
void arch_capture_regs(struct cpu_regs *r);
/* arch/x86/kexec.S: through the trampoline copied into the kexec window; never returns. */
void __noreturn arch_kexec_enter(void *mailbox);
extern char arch_kexec_tramp[], arch_kexec_tramp_end[];

#endif
