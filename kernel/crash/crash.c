/* SPDX-License-Identifier: MIT */
/*
 * kdump, the old kernel's half: a crash on any vCPU (panic, fatal trap, an
 * NMI with nmi=kdump, the watchdog) stops the other vCPUs by NMI -- each
 * saves its registers for the dump and parks -- and jumps into the crash
 * kernel loaded in the region (kernel/kexec/jump.c, plan step 3 on).  A
 * vCPU that does not answer in time is LOST: downed by force and never
 * resumed.  The registers reach the handoff through this layer's life
 * participant (the end of this file): the jump below never calls up here.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/sched.h>
#include <kernel/life.h>
#include <kernel/kdump_test.h>
#include <arch/traps.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>
#include <minipv/string.h>

static bool opt_kdump = true;
KOPT_BOOL(kdump, "kdump", opt_kdump, "a crash ends in the crash kernel (when the region is armed)");
#define NMI_MODES(X) X(NMI_LOG, "log") X(NMI_KDUMP, "kdump")     /* the enum and its names */
#define MODE_ENUM_(id, name) id,
#define MODE_NAME_(id, name) name,
enum { NMI_MODES(MODE_ENUM_) };
static const char *const nmi_names[] = { NMI_MODES(MODE_NAME_) NULL };
static int opt_nmi = NMI_LOG;
KOPT_ENUM(nmi, "nmi", opt_nmi, nmi_names,
          "an external NMI (xl trigger DOM nmi V): log it, or kdump from that vCPU");
static uint64_t opt_kdump_max = 10;
KOPT_UINT(kdump_max, "kdump_max", opt_kdump_max, 1, 1000,
          "at most this many crash kernels since the boot from Xen; then a crash is SHUTDOWN_crash "
          "(a kernel that crashes at every start must not loop)");
static uint64_t opt_watchdog_s;
KOPT_UINT(watchdog_s, "watchdog_s", opt_watchdog_s, 0, 3600,
          "a cpu stuck with events masked this long is a crash (0: no watchdog)");

struct crash_saved kexec_crash_saved[NR_CPUS];
static volatile int crash_cpu = -1;         /* the logical cpu on the crash path */
static volatile int watchdog_victim = -1;   /* a cpu the watchdog found stuck */
static char crash_reason[HANDOFF_REASON];
uint64_t kexec_crash_time_ns;
static void (*kdump_nmi_test_hook)(struct percpu *pc, struct cpu_regs *r);
static void (*kdump_path_test_hook)(void);
static volatile int drill;                  /* a crash on purpose (kdump_crash_on): never a loop */
static uint64_t stop_ran_from[NR_CPUS];     /* each vCPU's running time when the stop's NMI went */

void kdump_set_nmi_test_hook(void (*fn)(struct percpu *pc, struct cpu_regs *r))
{
    kdump_nmi_test_hook = fn;
}

void kdump_set_path_test_hook(void (*fn)(void))
{
    kdump_path_test_hook = fn;
}

bool kdump_crashing(void) { return atomic_load(&crash_cpu) >= 0; }

static bool armed(void)
{
    return opt_kdump && kexec_armed() && kexec_carried()->crashes < opt_kdump_max;
}

void kexec_regs_to_user(const struct cpu_regs *r, uint64_t u[HANDOFF_NREGS], uint64_t gs_base)
{
    /* struct user_regs_struct order (include/kernel/vmcore.h). */
    memset(u, 0, HANDOFF_NREGS * sizeof(u[0]));
    u[0] = r->r15; u[1] = r->r14; u[2] = r->r13; u[3] = r->r12; u[4] = r->rbp; u[5] = r->rbx;
    u[6] = r->r11; u[7] = r->r10; u[8] = r->r9; u[9] = r->r8; u[10] = r->rax; u[11] = r->rcx;
    u[12] = r->rdx; u[13] = r->rsi; u[14] = r->rdi; u[15] = ~0ULL /* orig_ax: no syscall */;
    u[16] = r->rip; u[17] = r->cs; u[18] = r->rflags; u[19] = r->rsp; u[20] = r->ss;
    u[22] = gs_base;
}

static void save_regs(struct percpu *pc, const struct cpu_regs *r, uint32_t flags)
{
    struct crash_saved *s = &kexec_crash_saved[pc->cpu];
    kexec_regs_to_user(r, s->r, (unsigned long)pc);
    s->flags = flags;
    atomic_store(&s->saved, 1);
}

/* An NMI on a cpu while another crashes: its registers for the dump, then park for good. */
static void __noreturn stopped_here(struct percpu *pc, const struct cpu_regs *r)
{
    save_regs(pc, r, HANDOFF_REGS_NMI);
    cpumask_clear(&cpu_online_mask, pc->cpu);
    int s = cpu_state(pc);
    if (s == CPU_ONLINE || s == CPU_DYING)
        cpu_state_set(pc, CPU_OFFLINE);
    /* Down inside the NMI handler: the new kernel's one HYPERVISOR_iret clears the latch. */
    for (;;)
        cpu_park(PARK_CRASH);
}

/*
 * Every other cpu that is up has saved its registers (it answered the
 * stop's NMI), or has had its chance: the stop is bounded in each vCPU's
 * own running time, and one that Xen does not run (an `xl pause`, a busy
 * host) has not had its chance to answer yet.
 */
static bool stopped_or_ran(void *arg)
{
    const struct percpu *me = arg;
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (pc == me || cpu_state(pc) == CPU_LOST || kexec_crash_saved[c].saved ||
            hypercall_vcpu_op(VCPUOP_is_up, pc->vcpu_id, NULL) != 1)
            continue;
        if (vcpu_ran_ns(pc->vcpu_id) - stop_ran_from[c] < BOUND_STOP_RUN_NS)
            return false;
    }
    return true;
}

/*
 * A crash loop: this generation follows a dump (its old kernel was a crash
 * kernel: the handoff's reason says so) and crashes the same way, at the
 * same RIP, before it is ready.  A second dump would show the same again,
 * and the next generation would too, until kdump_max=.  A dump asked for
 * (a drill, an external NMI with nmi=kdump) is never one: an NMI finds an
 * idle vCPU at the same RIP every time, so `xl trigger DOM nmi V` twice
 * after an NMI's dump looked like a loop and ended in SHUTDOWN_crash.
 */
static void stop_if_loop(const struct cpu_regs *r, const char *reason, bool asked)
{
    const struct handoff *h = kexec_handoff();
    if (drill || asked || !h || h->kind != HANDOFF_KEXEC ||
        strncmp(h->reason, "after a dump: ", 14) ||
        xen_system_time() - h->jump_time_ns > BOUND_CRASH_LOOP_READY_NS)
        return;
    char sig[HANDOFF_REASON];
    kexec_crash_sig(sig, sizeof(sig), reason, r->rip);
    if (strcmp(sig, h->reason))
        return;
    unsigned long off;
    const char *fn = ksym_lookup(r->rip, &off);
    printk_level(LOG_EMERG, "kdump: crash loop: generation %u crashed as its generation %u did "
                 "before the dump (%s, RIP %#llx <%s+%#lx>), %llu ms after its start: no second "
                 "dump: SHUTDOWN_crash", h->generation, h->generation - 2, reason,
                 (unsigned long long)r->rip, fn ? fn : "?", fn ? off : 0UL,
                 (unsigned long long)((xen_system_time() - h->jump_time_ns) / NS_PER_MS));
    kernel_shutdown(SHUTDOWN_crash);
}

/* asked: the dump was asked for from outside (nmi=kdump), not a crash of this kernel's own. */
static void __noreturn crash(const struct cpu_regs *r, const char *reason, bool asked)
{
    struct percpu *me = this_cpu();
    irq_disable();
    int expect = -1;
    if (!atomic_cas(&crash_cpu, &expect, (int)me->cpu)) {
        if (expect == (int)me->cpu) {
            printk_level(LOG_EMERG, "kdump: a second crash during the crash path on cpu %u "
                         "(vcpu %u): %s: SHUTDOWN_crash", me->cpu, me->vcpu_id, reason);
            kernel_shutdown(SHUTDOWN_crash);
        }
        stopped_here(me, r);        /* another cpu got there first: it stops us too */
    }
    if (kexec_past_return()) {
        /* A planned jump is under way: its stop ignores NMIs, so ours would not stop anyone. */
        printk_level(LOG_EMERG, "kdump: crash on cpu %u (vcpu %u) during a kexec, past its point "
                     "of no return: %s: SHUTDOWN_crash", me->cpu, me->vcpu_id, reason);
        kernel_shutdown(SHUTDOWN_crash);
    }
    kexec_crash_time_ns = xen_system_time();
    stop_if_loop(r, reason, asked);
    if (kdump_path_test_hook)
        kdump_path_test_hook();             /* test=crash crash_how=double faults right here */
    strlcpy(crash_reason, reason, sizeof(crash_reason));
    save_regs(me, r, HANDOFF_REGS_CRASHED);
    printk_level(LOG_EMERG, "kdump: crash on cpu %u (vcpu %u): %s: stopping the others by NMI",
                 me->cpu, me->vcpu_id, reason);
    /*
     * THE POINT OF NO RETURN.  Xen (x86 do_vcpu_op VCPUOP_send_nmi): any vCPU
     * of the domain, NULL argument; a down one keeps it latched until it is
     * up, so only the ones up get one.
     */
    unsigned sent = 0;
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (pc == me || cpu_state(pc) == CPU_LOST ||
            hypercall_vcpu_op(VCPUOP_is_up, pc->vcpu_id, NULL) != 1)
            continue;
        stop_ran_from[c] = vcpu_ran_ns(pc->vcpu_id);
        hypercall_vcpu_op(VCPUOP_send_nmi, pc->vcpu_id, NULL);
        sent++;
    }
    /* Every one of them saves its registers and goes down (jump.c waits for down). */
    wait_until(stopped_or_ran, me, BOUND_STOP_WALL_NS(sent), wait_idle_spin);
    /* The watchdog's victim: name where it was stuck, from the registers its NMI saved. */
    if (watchdog_victim >= 0 && kexec_crash_saved[watchdog_victim].saved) {
        unsigned long off;
        const char *fn = ksym_lookup(kexec_crash_saved[watchdog_victim].r[16], &off);
        snprintf(crash_reason, sizeof(crash_reason), "%s in %s", reason, fn ? fn : "?");
    }
    kexec_jump(HANDOFF_CRASH, crash_reason);
}

static void crash_op(const struct cpu_regs *r, const char *reason)
{
    if (armed())
        crash(r, reason, false);
}

static void kdump_report_state(void)
{
    if (!kexec_armed())
        return;
    if (!opt_kdump)
        printk("kdump: off (kdump=off): a crash ends in SHUTDOWN_crash");
    else if (kexec_carried()->crashes >= opt_kdump_max)
        pr_warn("kdump: off: %u crash kernels since the boot from Xen (kdump_max=%llu): the next "
                "crash ends in SHUTDOWN_crash", kexec_carried()->crashes,
                (unsigned long long)opt_kdump_max);
    else
        printk("kdump: armed: a crash on any vCPU goes to the crash kernel (nmi=%s, watchdog %llu s, "
               "%u of %llu crash kernels used)", nmi_names[opt_nmi],
               (unsigned long long)opt_watchdog_s, kexec_carried()->crashes,
               (unsigned long long)opt_kdump_max);
}

/*
 * Past the point of no return this kernel never acts on an NMI: it would
 * crash over the new kernel.  The new kernel ups a vCPU that was down here
 * and Xen delivers an NMI latched meanwhile first, on top of the resume in
 * cpu_park, before the vCPU leaves.  Once its mailbox is filled the new
 * kernel runs, so we only mark it there (it reports); before that, this
 * kernel still owns the console.
 */
static void nmi_after_return(struct percpu *pc)
{
    if (kexec_mark_nmi(pc->vcpu_id))
        return;
    printk_level(LOG_WARN, "kexec: NMI on cpu %u (vcpu %u) past the point of no return: ignored",
                 pc->cpu, pc->vcpu_id);
}

static bool nmi_op(struct cpu_regs *r)
{
    struct percpu *pc = this_cpu();
    if (kexec_past_return()) {
        nmi_after_return(pc);
        return true;
    }
    if (kdump_nmi_test_hook)
        kdump_nmi_test_hook(pc, r);         /* may hold us inside the handler until a crash */
    int cc = atomic_load(&crash_cpu);
    if (cc >= 0 && cc != (int)pc->cpu)
        stopped_here(pc, r);
    if (cc == (int)pc->cpu)
        return true;                /* ours, during our own crash path: nothing to do */
    if (cpu_nmi_offline(pc))
        return true;                /* sent while it was down: stale, reported at bring-up */
    if (atomic_load(&watchdog_victim) == (int)pc->cpu && armed()) {
        char why[64];
        snprintf(why, sizeof(why), "watchdog: cpu %u (vcpu %u) stuck", pc->cpu, pc->vcpu_id);
        crash(r, why, false);       /* a hang of its own: it can loop */
    }
    if (opt_nmi == NMI_KDUMP && armed()) {
        printk_level(LOG_EMERG, "NMI received on cpu %u (vcpu %u): nmi=kdump", pc->cpu, pc->vcpu_id);
        crash(r, "NMI", true);
    }
    return false;                   /* logged by the caller */
}

static const struct kernel_crash_ops ops = { .armed = armed, .crash = crash_op, .nmi = nmi_op };

/* The region for the next jump, and kdump with it. */
void kdump_arm(void)
{
    if (!kexec_arm_jump())
        return;
    kernel_set_crash_ops(&ops);
    kdump_report_state();
}

/* ---- the watchdog: a cpu that takes no event for watchdog_s ---- */

/* Each watcher keeps its own books: two sharing them raced into false alarms. */
static uint64_t beat[2][NR_CPUS], seen[2][NR_CPUS];

static void watchdog_thread(void *arg)
{
    unsigned w = (unsigned)(unsigned long)arg;
    uint64_t bound = opt_watchdog_s * 1000000000ULL;
    for (unsigned c = 0; c < nr_cpus; c++) {
        beat[w][c] = xen_system_time();
        seen[w][c] = per_cpu(c)->upcall_count;
    }
    for (;;) {
        thread_sleep(bound / 4 ? bound / 4 : 1000000000ULL);
        unsigned me = smp_processor_id();
        for_each_cpu(c, &cpu_online_mask) {
            if (c == me)
                continue;
            /* Answered only by a cpu that takes events: one stuck with them masked never does. */
            struct percpu *pc = per_cpu(c);
            uint64_t now = xen_system_time();
            if (pc->upcall_count != seen[w][c]) {
                seen[w][c] = pc->upcall_count;
                beat[w][c] = now;
            } else if (now > beat[w][c] + bound && armed()) {
                int expect = -1;
                if (atomic_cas(&watchdog_victim, &expect, (int)c)) {
                    printk_level(LOG_EMERG, "kdump: watchdog: cpu %u (vcpu %u) took no event for "
                                 "%llu s: NMI to it", c, pc->vcpu_id,
                                 (unsigned long long)opt_watchdog_s);
                    hypercall_vcpu_op(VCPUOP_send_nmi, pc->vcpu_id, NULL);
                }
            }
            send_ipi(c, IPI_RESCHED);           /* any IPI: it counts its upcalls */
        }
    }
}

void kdump_start_watchdog(void)
{
    if (!opt_watchdog_s)
        return;
    /*
     * Two watchers, on the two lowest online cpus, each watching every other
     * cpu (each other too): a watcher sleeps on its own cpu's timer, so a
     * watcher on a stuck cpu sees nothing.
     */
    unsigned started = 0;
    for_each_cpu(c, &cpu_online_mask) {
        if (started == 2)
            break;
        struct cpumask only;
        cpumask_zero(&only);
        cpumask_set(&only, c);
        if (thread_create(watchdog_thread, (void *)(unsigned long)started,
                          started ? "watchdog/1" : "watchdog/0", &only))
            started++;
    }
    if (!started)
        pr_err("kdump: no memory for the watchdog threads: no watchdog");
    else
        printk("kdump: watchdog: a cpu that takes no event for %llu s is a crash (%u watchers)",
               (unsigned long long)opt_watchdog_s, started);
}

/* ---- crashing on purpose: drills (test=crash, the console's `crash`) ---- */

static volatile int how_now;

static void __attribute__((noinline)) crash_pf(void)
{
    *(volatile int *)0xdead000UL = 1;       /* unmapped: #PF, write, not-present */
}

static void __attribute__((noinline)) crash_de(void)
{
    /* In asm: gcc turns 1/x into a compare and never divides. */
    unsigned lo = 1, hi = 0, zero = 0;
    __asm__ __volatile__("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
}

static void __attribute__((noinline)) crash_hang(void)
{
    /* Stuck with events masked: only the watchdog's NMI gets in.  Bounded all the same. */
    irq_disable();
    uint64_t until = xen_system_time() + 120000000000ULL;
    while (xen_system_time() < until)
        cpu_relax();
    irq_enable();
}

static void crash_thread(void *arg)
{
    (void)arg;
    switch (how_now) {
    case KDUMP_PANIC:
        panic("crash drill: panic on cpu %u (vcpu %u)", this_cpu()->cpu, this_cpu()->vcpu_id);
    case KDUMP_PF:
        crash_pf();
        break;
    case KDUMP_DE:
        crash_de();
        break;
    case KDUMP_HANG:
        crash_hang();
        break;
    }
}

#define HOW_NAME_(id, name) name,
const char *const kdump_how_names[] = { KDUMP_HOWS(HOW_NAME_) NULL };

int kdump_crash_on(unsigned cpu, int how, const char *who)
{
    if (cpu >= nr_cpus || cpu_state(per_cpu(cpu)) != CPU_ONLINE) {
        printk("%s: crash: cpu %u is not an online cpu (cpus 0..%u)", who, cpu, nr_cpus - 1);
        return -EINVAL;
    }
    if (how < 0 || how >= KDUMP_NR_HOWS) {
        printk("%s: crash: no such way to crash (%d)", who, how);
        return -EINVAL;
    }
    if (how == KDUMP_NMI && opt_nmi != NMI_KDUMP)
        printk("%s: crash: nmi with nmi=log is only logged", who);
    if (how == KDUMP_HANG && !opt_watchdog_s)
        printk("%s: crash: a hang needs watchdog_s= to be seen; it ends after 120 s", who);
    printk("%s: crash: %s on cpu %u (vcpu %u)", who, kdump_how_names[how], cpu,
           per_cpu(cpu)->vcpu_id);
    drill = 1;
    if (how == KDUMP_NMI) {
        /* As `xl trigger DOM nmi V` does: exactly that vCPU (Xen domctl SENDTRIGGER_NMI). */
        hypercall_vcpu_op(VCPUOP_send_nmi, per_cpu(cpu)->vcpu_id, NULL);
        return 0;
    }
    how_now = how;
    struct cpumask only;
    cpumask_zero(&only);
    cpumask_set(&only, cpu);
    return thread_create(crash_thread, NULL, "crash", &only) ? 0 : -ENOMEM;
}

/* ---- the crash registers as a life participant: the dump's threads (CRASH, REGS) ---- */

static void crash_write(enum life_event ev, struct handoff *h)
{
    if (ev != LIFE_KDUMP)
        return;
    h->crash_time_ns = kexec_crash_time_ns;
    /* The crashed vCPU first, then every one that saved its registers. */
    struct percpu *me = this_cpu();
    h->nr_regs = 0;
    for (int pass = 0; pass < 2; pass++)
        for (unsigned c = 0; c < nr_cpus && h->nr_regs < HANDOFF_MAX_REGS; c++) {
            const struct crash_saved *cs = &kexec_crash_saved[c];
            bool crashed = (per_cpu(c) == me);
            if (!cs->saved || crashed != (pass == 0))
                continue;
            struct handoff_regs *hr = &h->regs[h->nr_regs++];
            hr->vcpu = per_cpu(c)->vcpu_id;
            hr->flags = cs->flags;
            memcpy(hr->r, cs->r, sizeof(hr->r));
        }
}

LIFE_PARTICIPANT(80, crash, .write = crash_write);
