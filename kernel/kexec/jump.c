/* SPDX-License-Identifier: MIT */
/*
 * The jump out of this kernel: the numbered plan in include/kernel/kexec.h.
 * A planned one starts in kexec_start; kdump's joins at kexec_jump from the
 * crash path (kernel/crash/), which stopped the others itself.  Every piece
 * of state goes over through its life participant (include/kernel/life.h);
 * this file owns only the plan and the vCPUs' participant.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cpu_topology.h>
#include <kernel/life.h>
#include <kernel/sched.h>
#include <arch/mm.h>
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/bounds.h>
#include <minipv/errno.h>
#include <minipv/string.h>

static struct handoff ho_out;
static volatile int past_return;
static char next_cmdline[HANDOFF_CMDLINE];

bool kexec_past_return(void) { return atomic_load(&past_return); }

void kexec_crash_sig(char *buf, size_t n, const char *reason, uint64_t rip)
{
    snprintf(buf, n, "after a dump: %s at %#llx", reason, (unsigned long long)rip);
}

/* ---- the vCPUs and the id map: their participant ---- */

/*
 * Plan step 3: every other initialised vCPU down in Xen.  One that did not
 * stop is downed from here (allowed on any vCPU, but asynchronous: wait
 * until it no longer runs) and never resumed: it would go on in this
 * kernel at whatever instruction it was.
 */
static void others_down(const struct percpu *me)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (pc == me || !pc->initialised || cpu_state(pc) == CPU_LOST)
            continue;
        /* Bounded in its own running time: a paused or descheduled vCPU has not had its chance. */
        if (vcpu_wait_down(pc->vcpu_id, BOUND_STOP_RUN_NS, BOUND_STOP_WALL_NS(1)))
            continue;
        xen_vcpu_force_down(pc->vcpu_id, BOUND_FORCE_DOWN_NS);
        cpu_state_set(pc, CPU_LOST);
        printk_level(LOG_EMERG, "kexec: cpu %u (vcpu %u) LOST: did not stop within %llu s; "
                     "downed, never resumed", c, pc->vcpu_id,
                     (unsigned long long)(BOUND_STOP_RUN_NS / NS_PER_S));
    }
}

/* What the new kernel must do with one vCPU (the others are all down by now). */
static uint8_t vcpu_fate(const struct percpu *pc, const struct percpu *me)
{
    if (pc == me)
        return HO_VCPU_PARKED;
    if (!pc->initialised)
        return HO_VCPU_FREE;
    if (cpu_state(pc) == CPU_LOST)
        return HO_VCPU_LOST;
    if (pc->park_why == PARK_STOP || pc->park_why == PARK_CRASH)
        return HO_VCPU_PARKED;          /* was online: comes back online */
    return HO_VCPU_OFFLINE;             /* hotplugged away or failed: stays offline */
}

static void vcpus_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    struct percpu *me = this_cpu();
    h->nr_vcpus = MIN(nr_vcpus, (unsigned)HANDOFF_MAX_VCPUS);
    for (unsigned v = 0; v < h->nr_vcpus; v++) {
        struct handoff_vcpu *e = &h->vcpu[v];
        int c = vcpu_to_cpu(v);
        e->old_cpu = 0xffff;
        e->state = HO_VCPU_FREE;        /* not in our map: never ours */
        if (c < 0)
            continue;
        struct percpu *pc = per_cpu((unsigned)c);
        e->old_cpu = (uint16_t)c;
        e->apic_id = cpu_topo[c].apic_id;
        e->vcpu_info_maddr = pc->vcpu_info_maddr;
        e->park_why = (uint8_t)pc->park_why;
        e->state = vcpu_fate(pc, me);
    }
}

static int vcpus_quiesce(enum life_event ev)
{
    /*
     * Stop the others; they park.  THE POINT OF NO RETURN: from here on this
     * kernel does not go on, whatever happens; a failure stops the domain.
     * (kdump never comes here: its crash path stops them by NMI.)
     * No NMI is acted on from here (nmi=kdump would crash over the jump).
     */
    if (ev == LIFE_KEXEC) {
        atomic_store(&past_return, 1);
        smp_stop_others();
    }
    return 0;
}

/* Last: every other participant quiesces while the vCPUs still run. */
LIFE_PARTICIPANT(90, vcpus, .quiesce = vcpus_quiesce, .write = vcpus_write);

/* ---- the plan, steps 3-6: on the jumping cpu, the others stopped ---- */

static void report_jump(const struct handoff *h, const char *reason)
{
    unsigned n[HO_VCPU_NR_STATES] = { 0 };
    for (unsigned v = 0; v < h->nr_vcpus; v++)
        n[h->vcpu[v].state]++;
    printk_level(LOG_EMERG, "kexec: jump from cpu %u (vcpu %u) into generation %u: %u parked, "
                 "%u offline, %u lost (%s)", h->jump_cpu, h->jump_vcpu, h->generation,
                 n[HO_VCPU_PARKED] - 1, n[HO_VCPU_OFFLINE], n[HO_VCPU_LOST], reason);
    xen_console_flush();
}

void __noreturn kexec_jump(uint32_t kind, const char *reason)
{
    struct percpu *me = this_cpu();
    struct kexec_region *r = &kexec_region;
    struct handoff *h = &ho_out;
    irq_disable();
    printk_force_unlock();
    if (kind == HANDOFF_CRASH)      /* the crash kernel runs our command line */
        strlcpy(next_cmdline, kernel_cmdline, sizeof(next_cmdline));
    memset(h, 0, sizeof(*h));
    h->kind = kind;
    h->generation = kexec_generation() + 1;
    h->jump_vcpu = me->vcpu_id;
    h->jump_cpu = me->cpu;
    strlcpy(h->cmdline, next_cmdline, sizeof(h->cmdline));
    strlcpy(h->reason, reason, sizeof(h->reason));
    /* 3 */
    others_down(me);
    /* 4 */
    life_write(kind == HANDOFF_CRASH ? LIFE_KDUMP : LIFE_KEXEC, h);
    report_jump(h, reason);
    /* 5 */
    atomic_store(&past_return, 1);          /* a crash's late NMIs: ignored from here on */
    h->jump_time_ns = xen_system_time();
    char err[160];
    size_t room = (KEXEC_HANDOFF_PAGES - 4) * PAGE_SIZE;     /* the top 16 KiB: the entry stack */
    if (!handoff_encode(h, (void *)KEXEC_HANDOFF_VA, room, err, sizeof(err))) {
        printk_level(LOG_EMERG, "kexec: %s: cannot jump, and past the point of no return", err);
        kernel_shutdown(SHUTDOWN_crash);
    }
    strlcpy((char *)r->new_si->cmd_line, next_cmdline, sizeof(r->new_si->cmd_line));
    /* 6: the new kernel's _start, with %rsi start_info, %rdi the handoff, %rdx the magic. */
    kexec_fill_mailbox(me->vcpu_id, r->entry, KEXEC_HANDOFF_VA + KEXEC_HANDOFF_PAGES * PAGE_SIZE,
                       KEXEC_HANDOFF_VA, r->new_si_va, KEXEC_ENTRY_MAGIC, r->new_l4_mfn);
    arch_kexec_enter(kexec_mailbox(me->vcpu_id));
}

/* Step 2, on the cpu that jumps.  Returns only if a participant refused (named by the walk). */
static void jump_here(void)
{
    irq_disable();
    /* A crash kernel's kdump_then=kexec names the crash: the next generation spots a loop. */
    char why[HANDOFF_REASON] = "planned kexec";
    const struct handoff *in = kexec_ho_in;
    if (in && in->kind == HANDOFF_CRASH)
        kexec_crash_sig(why, sizeof(why), in->reason, in->nr_regs ? in->regs[0].r[16] : 0);
    if (!life_quiesce(LIFE_KEXEC))
        kexec_jump(HANDOFF_KEXEC, why);
    /* Refused before the vCPUs' quiesce: nothing was stopped, this kernel goes on. */
    life_end(LIFE_KEXEC);
    irq_enable();
}

static void jump_thread(void *arg)
{
    (void)arg;
    jump_here();
}

/* Step 1. */
int kexec_start(unsigned cpu, const char *cmdline, const char *who)
{
    if (!kexec_region.armed) {
        printk("%s: kexec: not armed (see the kexec: line of the boot report)", who);
        return -ENODEV;
    }
    if (cpu >= nr_cpus || cpu_state(per_cpu(cpu)) != CPU_ONLINE) {
        printk("%s: kexec: cpu %u is not an online cpu (cpus 0..%u)", who, cpu, nr_cpus - 1);
        return -EINVAL;
    }
    const char *cl = cmdline ? cmdline : kernel_cmdline;
    if (strlen(cl) >= sizeof(next_cmdline)) {
        printk("%s: kexec: the command line is %zu bytes, at most %zu", who, strlen(cl),
               sizeof(next_cmdline) - 1);
        return -E2BIG;
    }
    /* One life event at a time: a second jump, or a suspend under way, is refused. */
    int busy = life_begin(LIFE_KEXEC);
    if (busy >= 0) {
        printk("%s: kexec: a %s is already under way: refused", who,
               busy == LIFE_KEXEC ? "jump" : life_event_name((enum life_event)busy));
        return -EBUSY;
    }
    strlcpy(next_cmdline, cl, sizeof(next_cmdline));
    printk("%s: kexec: jumping from cpu %u (vcpu %u) into generation %u", who, cpu,
           per_cpu(cpu)->vcpu_id, kexec_generation() + 1);
    if (cpu == smp_processor_id()) {
        jump_here();
        return -EAGAIN;
    }
    struct cpumask only;
    cpumask_zero(&only);
    cpumask_set(&only, cpu);
    if (!thread_create(jump_thread, NULL, "kexec", &only)) {
        life_end(LIFE_KEXEC);
        return -ENOMEM;
    }
    return 0;
}

/* exit=kexec: the same command line without that word, from the cpu we are on. */
static int exit_kexec(void)
{
    static char cl[HANDOFF_CMDLINE];
    size_t n = 0;
    for (const char *p = kernel_cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - w);
        if (!len || (len == 10 && !strncmp(w, "exit=kexec", 10)))
            continue;
        if (n + len + 2 > sizeof(cl))
            break;
        if (n)
            cl[n++] = ' ';
        memcpy(cl + n, w, len);
        n += len;
    }
    cl[n] = 0;
    return kexec_start(smp_processor_id(), cl, "exit");
}

bool kexec_arm_jump(void)
{
    kexec_arm();
    if (kexec_region.armed)
        kernel_set_exit_kexec(exit_kexec);
    return kexec_region.armed;
}
