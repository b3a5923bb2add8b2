/* SPDX-License-Identifier: MIT */
/*
 * The jump out of this kernel (the plan in include/kernel/kexec.h): a
 * planned one from kexec_start, and (kdump) one from a crash.  Both end in
 * kexec_jump(), past the point of no return.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cpu_topology.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <arch/mm.h>
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/xenstore.h>
#include <minipv/bounds.h>
#include <minipv/errno.h>
#include <minipv/string.h>

struct handoff kexec_ho_out;
static volatile int in_progress;
static volatile int past_return;
static char next_cmdline[HANDOFF_CMDLINE];
static struct xs_stream xs_state;

bool kexec_in_progress(void) { return atomic_load(&in_progress); }
bool kexec_past_return(void) { return atomic_load(&past_return); }

bool kexec_mark_nmi(unsigned vcpu)
{
    struct kexec_mailbox *mb = kexec_mailbox(vcpu);
    if (!atomic_load(&mb->go))
        return false;
    atomic_add(&mb->nmis_old, 1);
    return true;
}

void kexec_park_resume(struct percpu *pc)
{
    /* In the old kernel, on every resume from cpu_park: the new kernel may want us. */
    struct kexec_mailbox *mb = kexec_mailbox(pc->vcpu_id);
    if (atomic_load(&mb->go))
        arch_kexec_enter(mb);
}

static void fill_ops(struct kexec_mailbox *mb, unsigned long l4_mfn)
{
    /* Kernel base to the new tables; no user base (minipv never runs user mode). */
    mb->ops[0].cmd = MMUEXT_NEW_BASEPTR;
    mb->ops[0].arg1 = l4_mfn;
    mb->ops[1].cmd = MMUEXT_NEW_USER_BASEPTR;
    mb->ops[1].arg1 = 0;
}

void kexec_fill_mailbox(unsigned vcpu, uint64_t entry, uint64_t stack, uint64_t a0, uint64_t a1,
                        uint64_t a2, unsigned long l4_mfn)
{
    struct kexec_mailbox *mb = kexec_mailbox(vcpu);
    memset(mb, 0, sizeof(*mb));
    mb->entry = entry;
    mb->stack = stack;
    mb->arg0 = a0;
    mb->arg1 = a1;
    mb->arg2 = a2;
    fill_ops(mb, l4_mfn);
    barrier();
    atomic_store(&mb->go, 1);
}

/* Bounded in its own running time (a paused or descheduled vCPU has not had its chance). */
static bool wait_down(unsigned vcpu)
{
    return vcpu_wait_down(vcpu, BOUND_STOP_RUN_NS, BOUND_STOP_WALL_NS(1));
}

/*
 * A vCPU that did not stop: down it from here (allowed on any vCPU, but
 * asynchronous: wait until its runstate is no longer running) and never
 * resume it, it would go on in this kernel at whatever instruction it was.
 */
static void force_down(struct percpu *pc, const char *why)
{
    unsigned v = pc->vcpu_id;
    xen_vcpu_force_down(v, 1000000000ULL);
    cpu_state_set(pc, CPU_LOST);
    printk_level(LOG_EMERG, "kexec: cpu %u (vcpu %u) LOST: %s; downed, never resumed", pc->cpu, v,
                 why);
}

/* Steps 3-6, on the jumping cpu, the others stopped.  Past the point of no return. */
void __noreturn kexec_jump(uint32_t kind, const char *reason)
{
    struct percpu *me = this_cpu();
    struct kexec_region *r = &kexec_region;
    struct handoff *h = &kexec_ho_out;
    irq_disable();
    printk_force_unlock();
    if (kind == HANDOFF_CRASH)
        strlcpy(next_cmdline, kernel_cmdline, sizeof(next_cmdline));   /* the same, for the crash kernel */

    memset(h, 0, sizeof(*h));
    h->kind = kind;
    h->generation = kexec_generation() + 1;
    h->jump_vcpu = me->vcpu_id;
    h->jump_cpu = me->cpu;
    h->nr_vcpus = nr_vcpus;
    unsigned lost = 0, parked = 0, offline = 0;
    /* 3, 4: every vCPU's state as Xen and we see it. */
    for (unsigned v = 0; v < nr_vcpus && v < HANDOFF_MAX_VCPUS; v++) {
        struct handoff_vcpu *e = &h->vcpu[v];
        int c = vcpu_to_cpu(v);
        e->old_cpu = 0xffff;
        if (c < 0) {
            e->state = HO_VCPU_FREE;    /* never ours; every initialised vCPU is in our map */
            continue;
        }
        struct percpu *pc = per_cpu((unsigned)c);
        e->old_cpu = (uint16_t)c;
        e->apic_id = cpu_topo[c].apic_id;
        e->vcpu_info_maddr = pc->vcpu_info_maddr;
        e->park_why = (uint8_t)pc->park_why;
        if (pc == me) {
            e->state = HO_VCPU_PARKED;
            parked++;
            continue;
        }
        if (!pc->initialised) {
            e->state = HO_VCPU_FREE;
            continue;
        }
        if (cpu_state(pc) != CPU_LOST && !wait_down(v))
            force_down(pc, "did not stop within 2 s");
        if (cpu_state(pc) == CPU_LOST) {
            e->state = HO_VCPU_LOST;
            lost++;
        } else if (pc->park_why == PARK_STOP || pc->park_why == PARK_CRASH) {
            e->state = HO_VCPU_PARKED;      /* was online: comes back online */
            parked++;
        } else {
            e->state = HO_VCPU_OFFLINE;     /* hotplugged away or failed: stays offline */
            offline++;
        }
    }
    const struct start_info *si = xen_start_info;
    h->shared_info_maddr = si->shared_info;
    if (!xen_is_dom0()) {
        h->console_mfn = si->console.domU.mfn;
        h->console_port = si->console.domU.evtchn;
    }
    h->store_mfn = si->store_mfn;
    h->store_port = si->store_evtchn;
    h->nr_pages = r->total;
    h->usable_pages = r->usable;
    h->old_l4_mfn = arch_pt_base_mfn();
    h->old_nr_pages = nr_pages;
    h->old_first_free_pfn = mm_first_free_pfn;
    mm_pool_bitmap(&h->old_bitmap_pfn, &h->old_bitmap_end);
    h->old_region_pfn = r->pfn;
    h->old_region_pages = r->pages;
    h->nr_old_p2m = (uint32_t)MIN(DIV_ROUND_UP(nr_pages * 8, PAGE_SIZE), (unsigned long)HANDOFF_MAX_P2M);
    for (uint32_t i = 0; i < h->nr_old_p2m; i++)
        h->old_p2m[i] = virt_to_mfn((const char *)p2m + i * PAGE_SIZE);
    strlcpy(h->cmdline, next_cmdline, sizeof(h->cmdline));
    h->xs_rx_have = xs_state.rx_have;
    memcpy(h->xs_rx_hdr, xs_state.rx_hdr, sizeof(h->xs_rx_hdr));
    h->xs_req_left = xs_state.req_left;
    h->xs_next_req = xs_state.next_req;
    h->first_free_pages = kexec_carried()->first_free_pages;
    h->prev_free_pages = pages_free();
    h->test_result = result_get();
    h->test_failed = kexec_carried()->failed;
    h->crashes = kexec_carried()->crashes + (kind == HANDOFF_CRASH);
    strlcpy(h->reason, reason, sizeof(h->reason));
    h->crash_time_ns = kind == HANDOFF_CRASH ? kexec_crash_time_ns : 0;
    if (kind == HANDOFF_CRASH) {
        /* The dump's threads: the crashed vCPU first, then every one that saved its registers. */
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

    /* 5: Xen would go on writing these through whatever page tables each vCPU has. */
    for (unsigned v = 0; v < nr_vcpus; v++) {
        xen_vcpu_drop_areas(v);
        hypercall_vcpu_op(VCPUOP_stop_periodic_timer, v, NULL);   /* allowed on any vCPU */
    }
    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, me->vcpu_id, NULL);   /* only our own */
    atomic_store(&past_return, 1);          /* a crash's late NMIs: ignored from here on */

    printk_level(LOG_EMERG, "kexec: jump from cpu %u (vcpu %u) into generation %u: %u parked, "
                 "%u offline, %u lost (%s)", me->cpu, me->vcpu_id, h->generation, parked - 1,
                 offline, lost, reason);
    xen_console_flush();
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

static void __noreturn jump_here(void)
{
    irq_disable();
    /* 1: xenstore at a message boundary (bounded; a busy ring is handed over as it is). */
    if (xs_available() && xs_quiesce(&xs_state, 2000000000ULL))
        pr_warn("kexec: xenstore did not quiesce in 2 s: handing the stream over mid-message");
    /*
     * 2: stop the others; they park.  THE POINT OF NO RETURN: from here on
     * this kernel does not go on, whatever happens; a failure stops the domain.
     * No NMI is acted on from here (nmi=kdump would crash over the jump).
     */
    atomic_store(&past_return, 1);
    smp_stop_others();
    /* A crash kernel's kdump_then=kexec names the crash: the next generation spots a loop. */
    char why[HANDOFF_REASON] = "planned kexec";
    if (kdump_is_crash_kernel())
        kdump_after_dump_reason(why, sizeof(why));
    kexec_jump(HANDOFF_KEXEC, why);
}

static void jump_thread(void *arg)
{
    (void)arg;
    jump_here();
}

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
    int expect = 0;
    if (!atomic_cas(&in_progress, &expect, 1)) {
        printk("%s: kexec: a jump is already under way: refused", who);
        return -EBUSY;
    }
    strlcpy(next_cmdline, cl, sizeof(next_cmdline));
    printk("%s: kexec: jumping from cpu %u (vcpu %u) into generation %u", who, cpu,
           per_cpu(cpu)->vcpu_id, kexec_generation() + 1);
    if (cpu == smp_processor_id())
        jump_here();
    struct cpumask only;
    cpumask_zero(&only);
    cpumask_set(&only, cpu);
    if (!thread_create(jump_thread, NULL, "kexec", &only)) {
        atomic_store(&in_progress, 0);
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

void kexec_install_exit(void)
{
    kernel_set_exit_kexec(exit_kexec);
}
