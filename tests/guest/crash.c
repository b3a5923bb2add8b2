/* SPDX-License-Identifier: MIT */
/*
 * Suite "crash": kdump drills.  In the kernel that is to crash: optionally
 * plant stale per-vCPU state (crash_stale=on: an armed singleshot timer, an
 * extra IPI port on another vCPU with an event pending on it, a registered
 * runstate area, a vCPU held inside its NMI handler), optionally make a
 * vCPU ignore the stop (crash_ignore=V), then crash vCPU crash_vcpu= the
 * way crash_how= says.  In the crash kernel: the whole-machine checks, the
 * stale-state checks, then the dump and kdump_then=.  With kdump_then=kexec
 * the fresh kernel checks itself and crashes again (another vCPU) until
 * drills= are done; the last kernel prints KTAP and the one result.
 */
#include <kernel/test.h>
#include <kernel/kexec.h>
#include <kernel/kdump_test.h>
#include <kernel/handoff.h>
#include <kernel/cmdline.h>
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <arch/traps.h>
#include <arch/hypercall.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>
#include <minipv/string.h>
#include "machine.h"

static uint64_t opt_crash_vcpu;
KOPT_UINT(crash_vcpu, "crash_vcpu", opt_crash_vcpu, 0, MAX_VCPU_ID - 1,
          "test=crash: the vcpu id that crashes (the first drill)");
/* The first four are kdump_crash_on's own (enum kdump_how). */
static const char *const how_names[] = { "panic", "pf", "de", "hang", "nmi", "double", NULL };
enum { HOW_NMI = KDUMP_NMI, HOW_DOUBLE };
static int opt_how = KDUMP_PANIC;
KOPT_ENUM(crash_how, "crash_how", opt_how, how_names,
          "test=crash: panic | pf | de | nmi (needs nmi=kdump) | hang (needs watchdog_s=) | double "
          "(a panic, and a fault on the crash path itself)");
static uint64_t opt_drills = 1;
KOPT_UINT(drills, "drills", opt_drills, 1, 50, "test=crash: crash, dump, fresh kernel this often");
static bool opt_stale;
KOPT_BOOL(crash_stale, "crash_stale", opt_stale,
          "test=crash: plant stale per-vCPU state before the crash, check it is gone after");
static uint64_t opt_ignore = MAX_VCPU_ID;
KOPT_UINT(crash_ignore, "crash_ignore", opt_ignore, 0, MAX_VCPU_ID,
          "test=crash: this vcpu ignores the stop (it must end LOST); 4096: none");

static uint64_t opt_slow = MAX_VCPU_ID;
KOPT_UINT(crash_slow, "crash_slow", opt_slow, 0, MAX_VCPU_ID,
          "test=crash: this vcpu is off the physical cpu for 6 s when the stop comes (as under "
          "xl pause): it must come back, not LOST; 4096: none");

/* Where the old kernel registers a runstate area: the same address in the crash kernel. */
static volatile uint64_t runstate_canary[64] __aligned(64);
static volatile int nmi_hold_cpu = -1;

/* ---- the kernel that crashes ---- */

static void crash_again(void)
{
    /* A second crash, inside the crash path: a divide by zero. */
    unsigned lo = 1, hi = 0, zero = 0;
    __asm__ __volatile__("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
}

static void double_thread(void *arg)
{
    (void)arg;
    kdump_set_path_test_hook(crash_again);
    panic("test=crash: crash_how=double on vcpu %u", this_cpu()->vcpu_id);
}

static void ignore_thread(void *arg)
{
    (void)arg;
    /* No trap table, so no NMI callback either: the stop's NMI is dropped (Xen pv/traps.c). */
    irq_disable();
    hypercall_set_trap_table(NULL);
    uint64_t until = xen_system_time() + 120000000000ULL;
    while (xen_system_time() < until)
        cpu_relax();
}

static void hold_in_nmi(struct percpu *pc, struct cpu_regs *r)
{
    (void)r;
    if ((int)pc->cpu != nmi_hold_cpu)
        return;
    /* Inside the NMI handler, NMIs latched, until the crash stops us (bounded). */
    uint64_t until = xen_system_time() + 60000000000ULL;
    while (!kdump_crashing() && xen_system_time() < until)
        cpu_relax();
}

/*
 * crash_slow=: when the crash's NMI comes, block 6 s (SCHEDOP_poll with no
 * port: blocked, not running, events stay masked in the NMI handler), as a
 * vCPU Xen does not run (xl pause, a busy host) would.  Its own running
 * time does not move, so the stop must wait for it.
 */
static void slow_in_nmi(struct percpu *pc)
{
    if (opt_slow >= MAX_VCPU_ID || pc->vcpu_id != opt_slow || !kdump_crashing())
        return;
    uint64_t until = xen_system_time() + 6000000000ULL;
    while (xen_system_time() < until) {
        struct sched_poll poll = { .nr_ports = 0, .timeout = until };
        hypercall_sched_op(SCHEDOP_poll, &poll);
    }
}

static void test_nmi_hooks(struct percpu *pc, struct cpu_regs *r)
{
    hold_in_nmi(pc, r);
    slow_in_nmi(pc);
}

static void arm_stale_timer(void *arg)
{
    (void)arg;
    /* In 2 s: after the jump, unless the crash kernel stops it. */
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = xen_system_time() + 2000000000ULL };
    hypercall_vcpu_op(VCPUOP_set_singleshot_timer, this_cpu()->vcpu_id, &t);
}

/* The n-th online cpu other than cpu `not` (for planting), or -1. */
static int other_cpu(unsigned n, unsigned not)
{
    for_each_cpu(c, &cpu_online_mask)
        if (c != not && c != 0 && !n--)
            return (int)c;
    return -1;
}

static void plant_stale(unsigned crash_cpu)
{
    int a = other_cpu(0, crash_cpu), b = other_cpu(1, crash_cpu), d = other_cpu(2, crash_cpu);
    if (a < 0) {
        printk("crash: crash_stale=on needs two online cpus besides cpu 0: nothing planted");
        return;
    }
    if (b < 0)
        b = a;
    if (d < 0)
        d = b;
    call_on_cpu((unsigned)a, arm_stale_timer, NULL);
    struct evtchn_bind_ipi ipi = { .vcpu = per_cpu((unsigned)b)->vcpu_id };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi);
    if (!rc) {
        xen_evtchn_mask(ipi.port);          /* masked: the event stays pending */
        struct evtchn_send snd = { .port = ipi.port };
        hypercall_event_channel_op(EVTCHNOP_send, &snd);
    }
    struct vcpu_register_runstate_memory_area rs = { .addr.p = (unsigned long)runstate_canary };
    long rs_rc = hypercall_vcpu_op(VCPUOP_register_runstate_memory_area,
                                   per_cpu((unsigned)a)->vcpu_id, &rs);
    nmi_hold_cpu = d;
    kdump_set_nmi_test_hook(test_nmi_hooks);
    hypercall_vcpu_op(VCPUOP_send_nmi, per_cpu((unsigned)d)->vcpu_id, NULL);
    printk("crash: stale state planted: singleshot timer on cpu %d (vcpu %u), IPI port %u "
           "(rc %ld) bound to cpu %d (vcpu %u) with an event pending, runstate area at %p for "
           "vcpu %u (rc %ld), cpu %d (vcpu %u) held inside its NMI handler", a,
           per_cpu((unsigned)a)->vcpu_id, ipi.port, rc, b, per_cpu((unsigned)b)->vcpu_id,
           (void *)runstate_canary, per_cpu((unsigned)a)->vcpu_id, rs_rc, d,
           per_cpu((unsigned)d)->vcpu_id);
}

/* An option of the crash path, as the boot report shows it ("kdump", "0"). */
static bool option_is(const char *name, const char *want)
{
    const struct kopt *o = kopt_find(name, strlen(name));
    char v[32] = "";
    if (o)
        kopt_format(o, v, sizeof(v));
    return !strcmp(v, want);
}

/*
 * A drill the options make impossible is refused before anything happens:
 * with nmi=log the NMI is only logged, and without watchdog_s= nothing sees
 * a hang -- either would wait out the 90 s below and end in ERROR.
 */
static bool drill_possible(void)
{
    const char *need = NULL, *why = NULL;
    if (opt_how == HOW_NMI && !option_is("nmi", "kdump"))
        need = "nmi=kdump", why = "an NMI is only logged";
    else if (opt_how == KDUMP_HANG && option_is("watchdog_s", "0"))
        need = "watchdog_s=N", why = "no watchdog sees the hang";
    if (!need)
        return true;
    printk("crash: crash_how=%s needs %s (without it %s): no crash drill", how_names[opt_how],
           need, why);
    result_report(RESULT_ERROR, "crash_how= needs an option that is not given");
    return false;
}

static void crash_now(unsigned drill, unsigned v)
{
    if (!drill_possible())
        return;
    int cpu = vcpu_to_cpu(v);
    if (v >= nr_vcpus || cpu < 0 || !cpumask_test(&cpu_online_mask, (unsigned)cpu)) {
        printk("crash: crash_vcpu=%u: not an online vCPU of this kernel (the domain has %u "
               "vCPUs): no crash", v, nr_vcpus);
        result_report(RESULT_ERROR, "crash_vcpu= names no online vCPU");
        return;
    }
    if (!kexec_armed()) {
        printk("crash: no region armed (crashkernel=): no crash drill");
        result_report(RESULT_ERROR, "kdump needs an armed region");
        return;
    }
    if (opt_stale)
        plant_stale((unsigned)cpu);
    if (opt_ignore < nr_vcpus && vcpu_to_cpu((unsigned)opt_ignore) > 0) {
        struct cpumask only;
        cpumask_zero(&only);
        cpumask_set(&only, (unsigned)vcpu_to_cpu((unsigned)opt_ignore));
        thread_create(ignore_thread, NULL, "ignore-stop", &only);
        thread_sleep(50000000ULL);
    }
    if (opt_slow < MAX_VCPU_ID)
        kdump_set_nmi_test_hook(test_nmi_hooks);
    printk("crash: drill %u of %llu: crash_how=%s on vcpu %u (cpu %d)", drill,
           (unsigned long long)opt_drills, how_names[opt_how], v, cpu);
    kexec_carry(0);
    if (opt_how == HOW_DOUBLE) {
        struct cpumask only;
        cpumask_zero(&only);
        cpumask_set(&only, (unsigned)cpu);
        thread_create(double_thread, NULL, "crash", &only);
    } else if (kdump_crash_on((unsigned)cpu, opt_how, "test")) {
        result_report(RESULT_ERROR, "the crash could not be started");
        return;
    }
    thread_sleep(90000000000ULL);           /* the crash stops this cpu too */
    result_report(RESULT_ERROR, "the crash did not happen within 90 s");
}

/* ---- the crash kernel ---- */

struct stale_checks {
    bool timer, ports, pending, runstate, nmi;
    unsigned foreign_pending, nmi_ok, online;
    struct xen_evtchn_census census;
};

static void block_a_few(void *arg)
{
    (void)arg;
    /* Context switches on this vCPU: Xen would write a runstate area at each. */
    for (int i = 0; i < 5; i++) {
        timer_arm(xen_system_time() + 2000000);
        irq_disable();
        hypercall_sched_op(SCHEDOP_block, NULL);
        irq_enable();
    }
}

static unsigned stale_checks(struct stale_checks *s)
{
    char d[200];
    unsigned failed = 0;
    /* Past the planted timer's deadline (2 s after planting). */
    thread_sleep(2500000000ULL);
    s->timer = cpu_stray_timer_events == 0 && xen_spurious_events == 0;
    snprintf(d, sizeof(d), "%llu stray timer events, %llu events with no handler",
             (unsigned long long)cpu_stray_timer_events, (unsigned long long)xen_spurious_events);
    printk("kdump-check: stale: no stray timer or event: %s -- %s", s->timer ? "ok" : "FAILED", d);
    failed += !s->timer;

    s->online = cpumask_weight(&cpu_online_mask);
    const struct handoff *h = kexec_handoff();
    uint32_t keep[2];
    unsigned nk = 0;
    if (h->console_mfn)
        keep[nk++] = h->console_port;
    if (h->store_mfn)
        keep[nk++] = h->store_port;
    xen_evtchn_walk(keep, nk, false, &s->census);
    s->ports = s->census.ipi == s->online && s->census.virq == s->online &&
               !s->census.interdomain && !s->census.unbound && !s->census.other;
    snprintf(d, sizeof(d), "%u VIRQ and %u IPI ports for %u online cpus, %u other bound",
             s->census.virq, s->census.ipi, s->online,
             s->census.interdomain + s->census.unbound + s->census.other);
    printk("kdump-check: stale: only our own event channels: %s -- %s", s->ports ? "ok" : "FAILED", d);
    failed += !s->ports;

    s->foreign_pending = 0;
    for (unsigned p = 1; p < s->census.ports; p++) {
        if (!((xen_shared_info->evtchn_pending[p / 64] >> (p % 64)) & 1))
            continue;
        struct evtchn_status st = { .dom = DOMID_SELF, .port = p };
        if (!hypercall_event_channel_op(EVTCHNOP_status, &st) && st.status == EVTCHNSTAT_closed)
            s->foreign_pending++;
    }
    s->pending = !s->foreign_pending;
    snprintf(d, sizeof(d), "%u closed ports with an event pending", s->foreign_pending);
    printk("kdump-check: stale: no pending bit left by the old kernel: %s -- %s",
           s->pending ? "ok" : "FAILED", d);
    failed += !s->pending;

    for_each_cpu(c, &cpu_online_mask)
        call_on_cpu(c, block_a_few, NULL);
    unsigned written = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(runstate_canary); i++)
        written += runstate_canary[i] != 0;
    s->runstate = !written;
    snprintf(d, sizeof(d), "%u of %zu words of the old runstate area written", written,
             ARRAY_SIZE(runstate_canary));
    printk("kdump-check: stale: no runstate area left registered: %s -- %s",
           s->runstate ? "ok" : "FAILED", d);
    failed += !s->runstate;

    /* Every vCPU takes NMIs again (one was inside its NMI handler when the crash stopped it). */
    static uint64_t before[NR_CPUS];
    for_each_cpu(c, &cpu_online_mask) {
        before[c] = per_cpu(c)->nmis;
        hypercall_vcpu_op(VCPUOP_send_nmi, per_cpu(c)->vcpu_id, NULL);
    }
    uint64_t until = xen_system_time() + cpu_call_bound_ns();
    do {
        s->nmi_ok = 0;
        for_each_cpu(c, &cpu_online_mask)
            s->nmi_ok += per_cpu(c)->nmis > before[c];
        if (s->nmi_ok == s->online)
            break;
        thread_yield();
    } while (xen_system_time() < until);
    s->nmi = s->nmi_ok == s->online;
    snprintf(d, sizeof(d), "%u of %u cpus took a new NMI", s->nmi_ok, s->online);
    printk("kdump-check: stale: every vCPU takes NMIs again: %s -- %s", s->nmi ? "ok" : "FAILED", d);
    failed += !s->nmi;
    return failed;
}

static void report(const struct machine_checks *m, const struct stale_checks *st, bool stale)
{
    unsigned lost = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        lost += cpu_state(per_cpu(c)) == CPU_LOST;
    ktap_begin(stale ? 12 : 7);
    ktap_case(m->back, "every vCPU online at the last jump is back", "%u of %u",
              kexec_carried()->back, kexec_carried()->of);
    ktap_case(m->ipi && m->timers, "every cpu answers an IPI and arms its own timer",
              "%u and %u of %u", m->ipi_ok, m->timers_ok, m->online);
    ktap_case(m->xen_view, "Xen has exactly the ONLINE cpus up", "see the check lines");
    ktap_case(m->apic, "APIC IDs unchanged", "%u changed", m->apic_bad);
    ktap_case(m->stray, "no stray events", "see the check lines");
    ktap_case(m->memory, "no page lost across generations", "off by %lld", m->free_diff);
    ktap_case(kexec_carried()->failed == 0, "every earlier generation passed its checks",
              "%u checks failed earlier", kexec_carried()->failed);
    if (stale) {
        ktap_case(st->timer, "stale: the planted singleshot timer never fired", "see the lines");
        ktap_case(st->ports, "stale: the extra IPI port is gone", "%u IPI for %u cpus",
                  st->census.ipi, st->online);
        ktap_case(st->pending, "stale: the pending event is gone", "%u", st->foreign_pending);
        ktap_case(st->runstate, "stale: the runstate area is off", "written to");
        ktap_case(st->nmi, "stale: every vCPU takes NMIs again", "%u of %u", st->nmi_ok,
                  st->online);
    }
    printk("crash: %u lost vCPU(s); drills done %u", lost, (kexec_generation() + 1) / 2);
}

static void crash_suite(void)
{
    unsigned g = kexec_generation();
    const struct handoff *h = kexec_handoff();
    struct machine_checks m = { 0 };
    struct stale_checks st = { 0 };

    if (kdump_is_crash_kernel()) {
        unsigned failed = machine_checks(&m, "kdump-check");
        if (opt_stale)
            failed += stale_checks(&st);
        kexec_carry(failed);
        kdump_write_vmcore();
        /* kdump_then=kexec: the fresh kernel goes on and reports; otherwise this is the last word. */
        if (!kdump_then_kexec())
            report(&m, &st, opt_stale);
        kdump_then();
    }
    /* A first boot (g 0) or the fresh kernel after drill g/2. */
    unsigned done = (g + 1) / 2;
    if (g)
        kexec_carry(machine_checks(&m, "kexec-check"));
    if (done < opt_drills) {
        unsigned v = done == 0 ? (unsigned)opt_crash_vcpu : (unsigned)next_vcpu(h->jump_vcpu);
        crash_now(done + 1, v);
        return;
    }
    report(&m, &st, false);
}
GUEST_SUITE(crash, "crash", "kdump drills: crash a vCPU, crash kernel on it, dump, fresh kernel",
            crash_suite);
