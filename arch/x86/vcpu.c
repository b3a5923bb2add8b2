/* SPDX-License-Identifier: MIT */
/*
 * A vCPU made ours: the trap table, the event/failsafe/NMI callbacks and an
 * AP's first context.  Above entry.S (it names the entry stubs), which calls
 * only the dispatcher in traps.c below it: no circle inside arch/x86.
 */
#include <arch/traps.h>
#include <arch/hypercall.h>
#include <arch/mm.h>
#include <minipv/string.h>
#include <minipv/percpu.h>

/* entry.S: one stub per vector. */
#define T(n) extern char arch_trap_##n[];
T(0) T(1) T(2) T(3) T(4) T(5) T(6) T(7) T(8) T(9) T(10) T(11) T(12) T(13) T(14)
T(15) T(16) T(17) T(18) T(19) T(20) T(21)
#undef T

/*
 * trap_info.flags: bits 0-1 are the DPL a software `int` needs (3 lets
 * int3/into work from our ring-3 kernel); bit 2 masks events on entry
 * like an interrupt gate, which #PF needs so an event cannot overwrite
 * vcpu_info.arch.cr2 before the handler reads it, and the NMI needs so no
 * event upcall runs inside it (CALLBACKTYPE_nmi sets the same bit).
 * Vector 2 is also how an AP has its NMI handler from its first instruction:
 * VCPUOP_initialise copies trap_ctxt[] (arch_vcpu_context).
 */
#define TI(v, f) { (v), (f), FLAT_KERNEL_CS, (unsigned long)arch_trap_##v }
static const struct trap_info trap_table[] = {
    TI(0, 0), TI(1, 0), TI(2, 4), TI(3, 3), TI(4, 3), TI(5, 0), TI(6, 0), TI(7, 0),
    TI(8, 0), TI(9, 0), TI(10, 0), TI(11, 0), TI(12, 0), TI(13, 0), TI(14, 4),
    TI(15, 0), TI(16, 0), TI(17, 0), TI(18, 0), TI(19, 0), TI(20, 0), TI(21, 0),
    { 0, 0, 0, 0 },
};

static void register_callback(unsigned type, void *addr, unsigned flags)
{
    struct callback_register cb = {
        .type = (uint16_t)type,
        .flags = (uint16_t)flags,
        .address = (unsigned long)addr,
    };
    /* Without working callbacks the domain cannot take events: stop now. */
    if (hypercall_callback_op(CALLBACKOP_register, &cb))
        arch_hypercall_crash();
}

void arch_cpu_takeover(struct percpu *pc)
{
    /*
     * Nothing a previous kernel (or our own earlier life on this vCPU) left
     * in Xen is trusted (pv/callback.c, pv/descriptor-tables.c, mm.c):
     *  - set_trap_table(NULL) clears all 256 vectors, the NMI one included;
     *    a table only overwrites the vectors it lists.
     *  - event, failsafe and NMI callbacks can only be overwritten.
     *  - kernel_ss/sp (stack_switch), the LDT and the GDT are per vCPU.
     * Events stay masked throughout; the caller unmasks.
     */
    arch_set_percpu(pc);
    if (hypercall_set_trap_table(NULL) || hypercall_set_trap_table(trap_table))
        arch_hypercall_crash();
    /* CALLBACKF_mask_events: the upcall runs with events masked, like an interrupt gate. */
    register_callback(CALLBACKTYPE_event, arch_event_entry, CALLBACKF_mask_events);
    register_callback(CALLBACKTYPE_failsafe, arch_failsafe_entry, CALLBACKF_mask_events);
    register_callback(CALLBACKTYPE_nmi, arch_nmi_entry, 0);
    if (pc->stack_top)
        hypercall_stack_switch(FLAT_KERNEL_SS, pc->stack_top);
    struct mmuext_op ldt = { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0, .arg2.nr_ents = 0 };
    hypercall_mmuext_op(&ldt, 1, NULL, DOMID_SELF);
    hypercall_set_gdt(NULL, 0);     /* Xen's reserved entries (FLAT_KERNEL_CS...) stay */
    arch_iret_to_self();            /* clears an NMI latch left set */
}

void arch_vcpu_context(struct vcpu_guest_context *c, struct percpu *pc, void (*fn)(void *))
{
    memset(c, 0, sizeof(*c));
    c->flags = VGCF_in_kernel;
    c->user_regs.rip = (unsigned long)arch_ap_entry;
    c->user_regs.rsp = pc->stack_top;
    c->user_regs.rdi = (unsigned long)pc;
    c->user_regs.rsi = (unsigned long)fn;
    c->user_regs.cs = FLAT_KERNEL_CS;
    c->user_regs.ss = FLAT_KERNEL_SS;
    c->user_regs.rflags = 0;
    c->kernel_ss = FLAT_KERNEL_SS;
    c->kernel_sp = pc->stack_top;
    c->event_callback_eip = (unsigned long)arch_event_entry;
    c->failsafe_callback_eip = (unsigned long)arch_failsafe_entry;
    /* Exceptions and the NMI work from the first instruction on. */
    for (const struct trap_info *t = trap_table; t->address; t++)
        c->trap_ctxt[t->vector] = *t;
    c->gs_base_kernel = (unsigned long)pc;
    /* The same page tables as the caller: cr3 holds the L4's machine frame. */
    c->ctrlreg[3] = arch_pt_base_mfn() << PAGE_SHIFT;
}
