/* SPDX-License-Identifier: MIT */
/* Fatal paths: exception dump, symbolised backtrace, panic (once), SHUTDOWN_crash. */
#include <kernel/kernel.h>
#include <arch/traps.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>

/* Generated at link time by scripts/mksyms (sorted by address). */
struct ksym { unsigned long addr; const char *name; };
extern const struct ksym ksym_table[];
extern const unsigned long ksym_count;

const char *ksym_lookup(unsigned long addr, unsigned long *off)
{
    unsigned long lo = 0, hi = ksym_count;
    if (!hi || addr < ksym_table[0].addr)
        return NULL;
    while (hi - lo > 1) {
        unsigned long mid = (lo + hi) / 2;
        if (ksym_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    extern char _etext[];
    if (addr >= (unsigned long)_etext)
        return NULL;
    *off = addr - ksym_table[lo].addr;
    return ksym_table[lo].name;
}

static void backtrace_frames(unsigned long rbp);

static void print_addr(const char *what, unsigned long addr)
{
    unsigned long off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        printk_level(LOG_EMERG, "%s %016lx <%s+0x%lx>", what, addr, name, off);
    else
        printk_level(LOG_EMERG, "%s %016lx", what, addr);
}

static bool is_text(unsigned long a)
{
    extern char _text[], _etext[];
    return a >= (unsigned long)_text && a < (unsigned long)_etext;
}

void backtrace_regs(unsigned long rip, unsigned long rsp, unsigned long rbp)
{
    printk_level(LOG_EMERG, "Call trace:");
    print_addr("  [<rip>]", rip);
    /*
     * A leaf function may fault before (or without) pushing a frame; then
     * the return address is still on top of the stack.  Like Linux's "?",
     * mark it unreliable.
     */
    unsigned long top = rsp >= KERNEL_VIRT_BASE && !(rsp & 7) ? *(unsigned long *)rsp : 0;
    if (is_text(top) && (rbp < KERNEL_VIRT_BASE || ((unsigned long *)rbp)[1] != top))
        print_addr("  [<ret?>]", top);
    backtrace_frames(rbp);
}

void backtrace(unsigned long rip, unsigned long rbp)
{
    printk_level(LOG_EMERG, "Call trace:");
    print_addr("  [<rip>]", rip);
    backtrace_frames(rbp);
}

static void backtrace_frames(unsigned long rbp)
{
    /* Frame-pointer walk, bounded in depth and to kernel addresses. */
    for (int depth = 0; depth < 32 && rbp; depth++) {
        if (rbp < KERNEL_VIRT_BASE || (rbp & 7))
            break;
        unsigned long *frame = (unsigned long *)rbp;
        unsigned long ret = frame[1];
        if (ret < KERNEL_VIRT_BASE)
            break;
        print_addr("  [<ret>]", ret);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

static volatile int panicking = -1;
static const struct kernel_crash_ops *crash_ops;

void kernel_set_crash_ops(const struct kernel_crash_ops *ops)
{
    crash_ops = ops;
}

static bool kdump_armed(void)
{
    return crash_ops && crash_ops->armed();
}

static bool never(void *unused)
{
    (void)unused;
    return false;
}

/*
 * First cpu in wins; a second panicking cpu waits so the report stays
 * whole.  With kdump armed the others are stopped later, by NMI, so their
 * registers make it into the dump; a second cpu waits for that NMI.
 */
static void panic_enter(void)
{
    irq_disable();
    int me = (int)smp_processor_id(), expect = -1;
    if (!atomic_cas(&panicking, &expect, me)) {
        if (panicking == me) {
            printk_level(LOG_EMERG, "a second crash on cpu %u (vcpu %u) during the %s path: "
                         "SHUTDOWN_crash", me, this_cpu()->vcpu_id, kdump_armed() ? "crash" : "panic");
            kernel_shutdown(SHUTDOWN_crash);
        }
        /* Only the first cpu's stop ends this wait; the bound is for when it never comes. */
        wait_until(never, NULL, kdump_armed() ? BOUND_PANIC_STOP_KDUMP_NS : BOUND_PANIC_STOP_NS,
                   wait_idle_spin);
        kernel_shutdown(SHUTDOWN_crash);
    }
    if (kdump_armed())
        return;
    kernel_stop_others();
    /* A cpu we just stopped may have held the console: the report must not wait for it. */
    printk_force_unlock();
}

static void crash_to_kdump(const struct cpu_regs *r, const char *reason)
{
    if (kdump_armed())
        crash_ops->crash(r, reason);        /* returns only if it could not take it */
}

void panic(const char *fmt, ...)
{
    panic_enter();
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk_level(LOG_EMERG, "PANIC on cpu %u (vcpu %u): %s", smp_processor_id(),
                 this_cpu()->vcpu_id, msg);
    backtrace((unsigned long)__builtin_return_address(0), read_rbp());
    if (kdump_armed()) {
        struct cpu_regs r;
        char reason[96];
        snprintf(reason, sizeof(reason), "panic: %s", msg);
        arch_capture_regs(&r);              /* the dump's thread stops here, in panic() */
        crash_to_kdump(&r, reason);
    }
    kernel_shutdown(SHUTDOWN_crash);
}

uint64_t nmi_count;

void kernel_fault(struct cpu_regs *r)
{
    if (r->vector == 2) {
        /* NMI (CALLBACKTYPE_nmi, e.g. `xl trigger DOM nmi`): kdump's, or log it. */
        atomic_add(&nmi_count, 1);
        this_cpu()->nmis++;
        if (crash_ops && crash_ops->nmi(r))
            return;
        printk_level(LOG_WARN, "NMI received on cpu %u (vcpu %u)", smp_processor_id(),
                     this_cpu()->vcpu_id);
        return;
    }
    panic_enter();
    unsigned vec = (unsigned)r->vector;
    printk_level(LOG_EMERG, "FATAL TRAP: vector %u (%s), error 0x%llx, cpu %u (vcpu %u)",
                 vec, arch_vector_name(vec), (unsigned long long)r->error, smp_processor_id(),
                 this_cpu()->vcpu_id);
    print_addr("RIP:", r->rip);
    printk_level(LOG_EMERG, "CS: %04llx RFLAGS: %016llx RSP: %016llx SS: %04llx",
                 (unsigned long long)r->cs, (unsigned long long)r->rflags,
                 (unsigned long long)r->rsp, (unsigned long long)r->ss);
    printk_level(LOG_EMERG, "RAX: %016llx RBX: %016llx RCX: %016llx",
                 (unsigned long long)r->rax, (unsigned long long)r->rbx, (unsigned long long)r->rcx);
    printk_level(LOG_EMERG, "RDX: %016llx RSI: %016llx RDI: %016llx",
                 (unsigned long long)r->rdx, (unsigned long long)r->rsi, (unsigned long long)r->rdi);
    printk_level(LOG_EMERG, "RBP: %016llx R8:  %016llx R9:  %016llx",
                 (unsigned long long)r->rbp, (unsigned long long)r->r8, (unsigned long long)r->r9);
    printk_level(LOG_EMERG, "R10: %016llx R11: %016llx R12: %016llx",
                 (unsigned long long)r->r10, (unsigned long long)r->r11, (unsigned long long)r->r12);
    printk_level(LOG_EMERG, "R13: %016llx R14: %016llx R15: %016llx",
                 (unsigned long long)r->r13, (unsigned long long)r->r14, (unsigned long long)r->r15);
    if (vec == 14) {
        /* A PV guest cannot read %cr2: Xen stores it in vcpu_info. */
        unsigned long cr2 = this_cpu()->vcpu_info->arch.cr2;
        int level;
        uint64_t pte = arch_pt_lookup(cr2, &level);
        const char *area = arch_image_area(cr2);
        printk_level(LOG_EMERG, "CR2: %016lx (%s %s in %s mode; L%d entry %016llx%s%s)", cr2,
                     r->error & 1 ? "protection violation" : "not-present",
                     r->error & 16 ? "instruction fetch" : r->error & 2 ? "write" : "read",
                     r->error & 4 ? "user" : "kernel", level, (unsigned long long)pte,
                     area ? "; " : "", area ? area : "");
    }
    backtrace_regs(r->rip, r->rsp, r->rbp);
    char reason[96];
    unsigned long off;
    const char *fn = ksym_lookup(r->rip, &off);
    snprintf(reason, sizeof(reason), "fatal trap: vector %u (%s) in %s", vec, arch_vector_name(vec),
             fn ? fn : "?");
    crash_to_kdump(r, reason);
    kernel_shutdown(SHUTDOWN_crash);
}
