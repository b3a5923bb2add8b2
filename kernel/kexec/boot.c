/* SPDX-License-Identifier: MIT */
/*
 * The new kernel's side of a jump, the plan's mirror (steps: include/kernel/kexec.h):
 * read the handoff, trust nothing the old kernel left in Xen, bring every
 * vCPU over, take the old memory, report.  Nothing runs on a first boot.
 * Also the participant of the result and the counters carried across.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/cpu_topology.h>
#include <arch/mm.h>
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <kernel/life.h>
#include <minipv/errno.h>
#include <minipv/string.h>

static struct handoff ho_in;
const struct handoff *kexec_ho_in;
static struct kexec_carry carry;

unsigned kexec_generation(void) { return kexec_ho_in ? kexec_ho_in->generation : 0; }
const struct kexec_carry *kexec_carried(void) { return &carry; }
const struct handoff *kexec_handoff(void) { return kexec_ho_in; }
void kexec_carry(uint32_t failed) { carry.failed += failed; }

static void __noreturn refuse(const char *why)
{
    /* We may be any vCPU of the domain, with no idea which: nothing else is safe. */
    printk_level(LOG_EMERG, "kexec: %s: cannot take over from the old kernel", why);
    kernel_shutdown(SHUTDOWN_crash);
}

const struct handoff *kexec_intake(const struct start_info *si, uint64_t ho_va, uint64_t magic)
{
    if (magic != KEXEC_ENTRY_MAGIC)
        return NULL;                        /* a boot from Xen: %rdx is 0 */
    char err[200];
    if (ho_va != KEXEC_HANDOFF_VA) {
        snprintf(err, sizeof(err), "handoff at %#llx, want %#lx", (unsigned long long)ho_va,
                 KEXEC_HANDOFF_VA);
        refuse(err);
    }
    if (handoff_decode((const void *)KEXEC_HANDOFF_VA, (KEXEC_HANDOFF_PAGES - 4) * PAGE_SIZE,
                       &ho_in, err, sizeof(err)))
        refuse(err);
    if (ho_in.nr_pages != si->nr_pages) {
        snprintf(err, sizeof(err), "handoff says %llu pages, start_info %lu",
                 (unsigned long long)ho_in.nr_pages, si->nr_pages);
        refuse(err);
    }
    kexec_ho_in = &ho_in;
    life_read(kexec_ho_in);
    return kexec_ho_in;
}

/* ---- the result and the counters carried across generations: their participant ---- */

static void result_write(enum life_event ev, struct handoff *h)
{
    h->test_result = result_get();
    h->test_failed = carry.failed;
    h->crashes = carry.crashes + (ev == LIFE_KDUMP);
    h->first_free_pages = carry.first_free_pages;
}

static void result_read(const struct handoff *h)
{
    carry.result = h->test_result;
    carry.failed = h->test_failed;
    carry.first_free_pages = h->first_free_pages;
    carry.crashes = h->crashes;
    if (h->test_result > RESULT_NONE)
        result_report((enum test_result)h->test_result, NULL);   /* only gets worse */
}

LIFE_PARTICIPANT(70, result, .write = result_write, .read = result_read);

void kexec_sweep_old_state(void)
{
    const struct handoff *h = kexec_ho_in;
    if (!h)
        return;
    /* Every port the old kernel bound goes, but the toolstack's two (never EVTCHNOP_reset). */
    uint32_t keep[2];
    unsigned nkeep = 0;
    if (h->console_mfn)
        keep[nkeep++] = h->console_port;
    if (h->store_mfn)
        keep[nkeep++] = h->store_port;
    struct xen_evtchn_census c;
    xen_evtchn_walk(keep, nkeep, true, &c);
    /* Runstate/time areas (virtual addresses, any vCPU may set them) and periodic timers. */
    for (unsigned v = 0; v < h->nr_vcpus; v++) {
        xen_vcpu_drop_areas(v);
        hypercall_vcpu_op(VCPUOP_stop_periodic_timer, v, NULL);
    }
    printk("kexec: generation %u (%s from vcpu %u): closed %u event channels of the old kernel "
           "(%u VIRQ, %u IPI, %u interdomain, %u unbound, %u other), kept %u; runstate and time "
           "areas dropped and periodic timers stopped on %u vCPUs", h->generation,
           h->kind == HANDOFF_CRASH ? "crash" : "kexec", h->jump_vcpu, c.closed, c.virq, c.ipi,
           c.interdomain, c.unbound, c.other, c.kept, h->nr_vcpus);
}

/* The vCPUs the old kernel ran: the cpu map must use them all (they hold its page tables). */
const unsigned long *kexec_must_use(void)
{
    static unsigned long must[HANDOFF_MAX_VCPUS / 64];
    const struct handoff *h = kexec_ho_in;
    if (!h)
        return NULL;
    for (unsigned v = 0; v < h->nr_vcpus; v++)
        if (h->vcpu[v].state == HO_VCPU_PARKED || h->vcpu[v].state == HO_VCPU_OFFLINE)
            must[v / 64] |= 1UL << (v % 64);
    return must;
}

void kexec_prepare_cpus(void)
{
    const struct handoff *h = kexec_ho_in;
    if (!h)
        return;
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        unsigned v = pc->vcpu_id;
        const struct handoff_vcpu *e = v < h->nr_vcpus ? &h->vcpu[v] : NULL;
        if (!e || e->state == HO_VCPU_FREE)
            continue;           /* never ran: started as at first boot */
        /* Xen rule: a vcpu_info can be registered once, and stays where it is. */
        if (e->vcpu_info_maddr && xen_adopt_vcpu_info(pc, e->vcpu_info_maddr)) {
            if (!c)
                panic("kexec: our own vcpu_info at %#llx is not one of our frames",
                      (unsigned long long)e->vcpu_info_maddr);
            pr_err("kexec: cpu %u (vcpu %u): vcpu_info at %#llx is not one of our frames: LOST",
                   c, v, (unsigned long long)e->vcpu_info_maddr);
            cpu_state_set(pc, CPU_LOST);
            continue;
        }
        if (!c)
            continue;           /* cpu 0 is us */
        if (e->state == HO_VCPU_LOST) {
            cpu_state_set(pc, CPU_LOST);
            continue;
        }
        /* PARKED or OFFLINE: initialised, waiting in the old cpu_park for its mailbox. */
        pc->initialised = true;
        if (!pc->stack_top)
            pc->stack_top = stack_alloc(STACK_PAGES);
        if (!pc->stack_top) {
            pr_err("kexec: cpu %u (vcpu %u): no memory for its stack: left down, LOST", c, v);
            cpu_state_set(pc, CPU_LOST);
            continue;
        }
        kexec_fill_mailbox(v, (unsigned long)arch_ap_entry, pc->stack_top, (unsigned long)pc,
                           (unsigned long)ap_main, 0, arch_pt_base_mfn());
        if (e->state == HO_VCPU_OFFLINE)
            smp_leave_offline(c);
    }
}

/* A vCPU the old kernel had initialised: it must come over (or be LOST). */
static bool old_vcpu(const struct handoff *h, unsigned v)
{
    return v < h->nr_vcpus &&
           (h->vcpu[v].state == HO_VCPU_PARKED || h->vcpu[v].state == HO_VCPU_OFFLINE);
}

/* Old vCPUs: have they all left the old page tables?  Re-up one whose up we consumed. */
static unsigned not_arrived(bool nudge)
{
    const struct handoff *h = kexec_ho_in;
    unsigned n = 0;
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        unsigned v = pc->vcpu_id;
        if (!old_vcpu(h, v) || cpu_state(pc) == CPU_LOST)
            continue;
        if (atomic_load(&kexec_mailbox(v)->arrived))
            continue;
        n++;
        /* One that resumed into old code before its cpu_park took the first up: up again. */
        if (nudge && hypercall_vcpu_op(VCPUOP_is_up, v, NULL) == 0)
            hypercall_vcpu_op(VCPUOP_up, v, NULL);
    }
    return n;
}

static bool all_arrived(void *arg)
{
    (void)arg;
    return !not_arrived(true);
}

static void wait_arrivals(void)
{
    const struct handoff *h = kexec_ho_in;
    /* The offline ones come over too (they would keep the old page tables alive), then park. */
    for (unsigned c = 1; c < nr_cpus; c++) {
        unsigned v = per_cpu(c)->vcpu_id;
        if (v < h->nr_vcpus && h->vcpu[v].state == HO_VCPU_OFFLINE &&
            cpu_state(per_cpu(c)) != CPU_LOST)
            hypercall_vcpu_op(VCPUOP_up, v, NULL);
    }
    wait_until(all_arrived, NULL, cpu_call_bound_ns() + BOUND_KEXEC_ARRIVE_NS, thread_yield);
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        unsigned v = pc->vcpu_id;
        if (old_vcpu(h, v) && cpu_state(pc) != CPU_LOST &&
            !atomic_load(&kexec_mailbox(v)->arrived)) {
            xen_vcpu_force_down(v, BOUND_FORCE_DOWN_NS);
            cpu_state_set(pc, CPU_LOST);
            pr_err("kexec: cpu %u (vcpu %u) never came over from the old kernel: LOST", c, v);
        }
    }
}

static bool keep_vcpu_info(unsigned long pfn)
{
    (void)pfn;
    return false;               /* Xen-bound frames are all in the prefix, never reclaimed */
}

/* A vCPU that took an NMI in the old kernel past its point of no return (it marked the mailbox). */
static void report_carried_nmis(void)
{
    for (unsigned c = 1; c < nr_cpus; c++) {
        unsigned v = per_cpu(c)->vcpu_id, n = kexec_mailbox(v)->nmis_old;
        if (n && atomic_load(&kexec_mailbox(v)->arrived))
            pr_warn("kexec: cpu %u (vcpu %u) came over carrying %u NMI(s), sent to it before the "
                    "jump and taken in the old kernel: ignored", c, v, n);
    }
}

/* Who came back: counts into carry, a line for each that did not. */
static void count_back(const struct handoff *h, unsigned *stay, unsigned *lost)
{
    unsigned back = 0, of = 0;
    uint64_t last = h->jump_time_ns;
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        unsigned v = pc->vcpu_id;
        int st = v < h->nr_vcpus ? h->vcpu[v].state : HO_VCPU_FREE;
        if (st == HO_VCPU_PARKED) {
            of++;
            if (cpu_state(pc) == CPU_ONLINE) {
                back++;
                /* By our clock, the one the jump time was read on (the same vCPU). */
                last = MAX(last, c ? pc->online_seen : pc->online_at);
            } else {
                pr_err("kexec: cpu %u (vcpu %u) was online at the jump and is %s now", c, v,
                       cpu_state_name(cpu_state(pc)));
            }
        } else if (st == HO_VCPU_OFFLINE && cpu_state(pc) != CPU_LOST) {
            (*stay)++;
            printk("kexec: cpu %u (vcpu %u) was offline at the jump: stays offline (%s)", c,
                   v, cpu_state_name(cpu_state(pc)));
        }
        if (cpu_state(pc) == CPU_LOST) {
            (*lost)++;
            pr_err("kexec: cpu %u (vcpu %u) LOST: left down, never resumed", c, v);
        }
    }
    carry.jump_ns = last - h->jump_time_ns;
    carry.back = back;
    carry.of = of;
}

static void report_arrival(const struct handoff *h)
{
    unsigned long long us = carry.jump_ns / 1000;
    const char *incomplete = carry.back == carry.of ? "" : " INCOMPLETE";
    if (h->kind == HANDOFF_CRASH) {
        printk("kdump: crash kernel on vcpu %u (crashed cpu %u, %s): %u of %u vCPUs back "
               "online in %llu us%s", h->jump_vcpu, h->jump_cpu, h->reason, carry.back,
               carry.of, us, incomplete);
        /* Both times by this vCPU's clock: the crash and the jump were read on it too. */
        printk("bench: kdump vcpus=%u crash_to_ready_us=%llu jump_to_online_us=%llu",
               nr_cpus, (unsigned long long)((xen_system_time() - h->crash_time_ns) / 1000), us);
        return;
    }
    printk("bench: kexec vcpus=%u generation=%u jump_to_online_us=%llu", nr_cpus,
           h->generation, us);
    printk("kexec: generation %u on vcpu %u: %u of %u vCPUs back online in %llu us "
           "(from the jump to the last ONLINE, Xen time)%s", h->generation, h->jump_vcpu,
           carry.back, carry.of, us, incomplete);
}

/* The old kernel's memory is ours now: its pfns get our numbering first. */
static void take_old_memory(const struct handoff *h)
{
    unsigned long n = h->nr_pages - h->usable_pages;
    mm_p2m_change_begin();
    int rc = arch_m2p_set(p2m + h->usable_pages, h->usable_pages, n);
    unsigned long got = rc ? 0 : mm_reclaim(h->usable_pages, h->nr_pages, keep_vcpu_info);
    mm_p2m_change_end();
    printk("kexec: reclaimed %lu of the old kernel's %lu pages (%lu left out%s); %lu pages free",
           got, n, n - got, n - got ? ": still page tables of a LOST vCPU" : "", pages_free());
    carry.free_now = pages_free();
    if (!carry.first_free_pages)
        carry.first_free_pages = carry.free_now;    /* generation 1 sets the baseline */
}

void kexec_boot_finish(void)
{
    const struct handoff *h = kexec_ho_in;
    if (!h)
        return;
    wait_arrivals();
    report_carried_nmis();
    unsigned stay = 0, lost = 0;
    count_back(h, &stay, &lost);
    /* Nobody runs on the old page tables now (a LOST vCPU still holds them as its CR3). */
    int rc = h->kind == HANDOFF_KEXEC ? arch_unpin(h->old_l4_mfn) : 0;
    if (rc)
        pr_err("kexec: unpinning the old page tables (L4 mfn %#llx) failed: %d",
               (unsigned long long)h->old_l4_mfn, rc);
    report_arrival(h);
    if (stay || lost)
        printk("kexec: %u vCPU(s) offline at the jump stay offline, %u lost", stay, lost);
    /* A crash kernel keeps the old memory as it is until the dump is out (kernel/crash/vmcore.c). */
    if (h->kind == HANDOFF_KEXEC)
        take_old_memory(h);
    life_resume(LIFE_NEW_KERNEL);
}
