/* SPDX-License-Identifier: MIT */
/* The first-level dispatcher of traps and events, and the vector names (entry.S calls it). */
#include <arch/traps.h>
#include <arch/hypercall.h>
#include <arch/mm.h>
#include <minipv/string.h>
#include <minipv/percpu.h>

static arch_trap_fn exception_handler;
static arch_trap_fn event_handler;

void arch_set_exception_handler(arch_trap_fn fn) { exception_handler = fn; }
void arch_set_event_handler(arch_trap_fn fn) { event_handler = fn; }

static const char *const vec_names[22] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

const char *arch_vector_name(unsigned vec)
{
    if (vec < ARRAY_SIZE(vec_names))
        return vec_names[vec];
    if (vec == VEC_EVENT)
        return "event upcall";
    if (vec == VEC_FAILSAFE)
        return "failsafe callback";
    return "unknown";
}

void arch_trap_dispatch(struct cpu_regs *regs);
void arch_trap_dispatch(struct cpu_regs *regs)
{
    arch_trap_fn fn = regs->vector == VEC_EVENT ? event_handler : exception_handler;
    if (!fn)
        arch_hypercall_crash();
    fn(regs);
}

