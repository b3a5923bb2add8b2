/* SPDX-License-Identifier: MIT */
/*
 * Boot-time bring-up of every AP (flat or binary-tree fan-out) with a
 * bound, and the report.  Each AP itself runs cpu_bringup (lifecycle.c).
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <arch/traps.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>
#include <minipv/string.h>

uint64_t smp_bringup_ns, smp_boot_hcall_ns;
static bool (*available_fn)(unsigned vcpu_id);

#define BRINGUPS(X) X(FLAT, "flat") X(TREE, "tree")
#define FAIL_HOWS(X) X(XEN, "xen") X(STACK, "stack")
#define BRINGUP_ENUM(e, name) BRINGUP_##e,
#define FAIL_ENUM(e, name) FAIL_##e,
#define NAME(e, name) name,
enum { BRINGUPS(BRINGUP_ENUM) };
enum { FAIL_HOWS(FAIL_ENUM) };
static const char *const bringup_names[] = { BRINGUPS(NAME) NULL };
static const char *const fail_how_names[] = { FAIL_HOWS(NAME) NULL };
#undef NAME
static int opt_bringup = BRINGUP_FLAT;
KOPT_ENUM(bringup, "bringup", opt_bringup, bringup_names,
          "flat: the boot cpu starts every AP; tree: online APs start others");
static uint64_t opt_smp_timeout_ms = 30000;
KOPT_UINT(smp_timeout_ms, "smp_timeout_ms", opt_smp_timeout_ms, 1, 600000,
          "an AP not ONLINE this long after bring-up starts is FAILED");
static uint64_t opt_fail_vcpu = MAX_VCPU_ID;   /* = none */
KOPT_UINT(fail_vcpu, "fail_vcpu", opt_fail_vcpu, 0, MAX_VCPU_ID,
          "test: this vcpu fails its first start, as fail_how= says (4096: none)");
static int opt_fail_how = FAIL_XEN;
KOPT_ENUM(fail_how, "fail_how", opt_fail_how, fail_how_names,
          "test: how fail_vcpu= fails: xen (an invalid context: VCPUOP_initialise refuses it) | "
          "stack (no stack at boot, as when memory ran out)");

int smp_fail_vcpu(void)
{
    return opt_fail_vcpu < MAX_VCPU_ID ? (int)opt_fail_vcpu : -1;
}

static volatile int smp_go;
static struct cpumask unavailable;      /* left OFFLINE at boot by available_fn */
static struct cpumask held;             /* left OFFLINE at boot: offline before a kexec */

void smp_set_vcpu_available(bool (*fn)(unsigned vcpu_id))
{
    available_fn = fn;
}

void smp_leave_offline(unsigned cpu)
{
    cpumask_set(&held, cpu);
}

static bool cpu_wanted(unsigned cpu)
{
    return !cpumask_test(&unavailable, cpu) && !cpumask_test(&held, cpu);
}

/* Time one hypercall into *acc (ns of Xen system time). */
#define TIMED(acc, call) ({ uint64_t t0_ = xen_system_time(); long r_ = (call); \
                            *(acc) += xen_system_time() - t0_; r_; })

int smp_start_cpu(struct percpu *pc, uint64_t *hcall_ns)
{
    unsigned vcpu = pc->vcpu_id;
    int rc = -ENOMEM;
    /* A page each: the context (trap_ctxt[256] and all) is 5 KiB, too big for a stack. */
    struct vcpu_guest_context *ctxt = NULL;

    ASSERT(cpu_state(pc) == CPU_STARTING);
    pc->fail_what = NULL;
    pc->bringup_step = "its starter: begun";
    if (pc->initialised) {
        /* Xen has its context (parked here, or by the kernel before a kexec): it resumes. */
        rc = (int)TIMED(hcall_ns, hypercall_vcpu_op(VCPUOP_up, vcpu, NULL));
        if (rc)
            goto fail;
        return 0;
    }
    if (!pc->stack_top) {
        pc->fail_what = "no memory for its stack";
        goto fail;
    }
    pc->bringup_step = "its starter: kmalloc of the context";
    ctxt = kmalloc(sizeof(*ctxt));
    if (!ctxt) {
        pc->fail_what = "no memory for its vCPU context";
        goto fail;
    }
    /* Xen rule: vCPUs >= 32 must register vcpu_info before VCPUOP_initialise.
     * It can be done once per vCPU only: a retry after a failure skips it. */
    pc->bringup_step = "its starter: register_vcpu_info";
    if (!pc->vcpu_info_maddr) {
        rc = (int)TIMED(hcall_ns, xen_register_vcpu_info(pc));
        if (rc)
            goto fail;
    }
    arch_vcpu_context(ctxt, pc, ap_main);
    if (vcpu == opt_fail_vcpu && opt_fail_how == FAIL_XEN)
        ctxt->ctrlreg[3] = 0;       /* Xen rejects a context with no valid L4 */
    pc->bringup_step = "its starter: VCPUOP_initialise";
    /* Xen rule: once per vCPU for the life of the domain (then -EEXIST). */
    rc = (int)TIMED(hcall_ns, hypercall_vcpu_op(VCPUOP_initialise, vcpu, ctxt));
    if (rc)
        goto fail;
    pc->initialised = true;
    pc->bringup_step = "its starter: VCPUOP_up";
    rc = (int)TIMED(hcall_ns, hypercall_vcpu_op(VCPUOP_up, vcpu, NULL));
    if (rc)
        goto fail;
    pc->bringup_step = "its starter: done, waiting for Xen to run it";
    kfree(ctxt);
    return 0;
fail:
    kfree(ctxt);
    pc->fail_code = rc;
    cpu_state_cas(pc, CPU_STARTING, CPU_FAILED);
    return rc;
}

/* Start cpu if nobody did yet (edge 1); a tree parent and the boot cpu may race. */
static void start_if_offline(unsigned cpu, uint64_t *hcall_ns)
{
    struct percpu *pc = per_cpu(cpu);
    if (cpu_wanted(cpu) && cpu_state_cas(pc, CPU_OFFLINE, CPU_STARTING)) {
        pc->started_by = (int)this_cpu()->cpu;
        smp_start_cpu(pc, hcall_ns);
    }
}

static unsigned tree_parent(unsigned cpu) { return (cpu - 1) / 2; }

void smp_ap_online(struct percpu *pc)
{
    if (opt_bringup == BRINGUP_TREE) {
        uint64_t hcall = 0;
        for (unsigned child = 2 * pc->cpu + 1; child <= 2 * pc->cpu + 2 && child < nr_cpus; child++)
            start_if_offline(child, &hcall);
    }
    /* GO barrier: hold until the boot cpu allows work (passed at once after boot). */
    while (!atomic_load(&smp_go)) {
        irq_disable();
        if (!atomic_load(&smp_go))
            hypercall_sched_op(SCHEDOP_block, NULL);
        irq_enable();
    }
}

/*
 * A cpu nobody else will start: its tree parent FAILED, was left offline,
 * or is itself such an orphan that the boot cpu already started.
 */
static bool parent_gave_up(unsigned cpu)
{
    if (opt_bringup == BRINGUP_FLAT)
        return true;            /* the boot cpu starts everyone anyway */
    if (cpu <= 2)
        return false;           /* cpu 0's own children: started directly */
    unsigned p = tree_parent(cpu);
    int s = cpu_state(per_cpu(p));
    return s == CPU_FAILED || s == CPU_LOST || !cpu_wanted(p);
}

static void report_left_out(void)
{
    if (nr_vcpus <= nr_cpus)
        return;
    const char *why = nr_cpus < NR_CPUS ? "nr_cpus= limit" : "NR_CPUS limit";
    pr_warn("smp: %u vCPUs, using %u: %u left out (%s)", nr_vcpus, nr_cpus, nr_vcpus - nr_cpus,
            why);
    for (unsigned v = 0; v < nr_vcpus; v++)
        if (vcpu_to_cpu(v) < 0)
            pr_warn("smp: vcpu %u left out (%s)", v, why);
}

/*
 * What each cpu costs, in pages, with n cpus in use: its stack (VMAP, with
 * one page-table page per 128 stacks, rounded up to 1), its vCPU context
 * (kmalloc: 5 KiB, two pages) and its two steal orders (n entries of 4
 * bytes each: the scheduler's O(n) per cpu, n^2 in all).  Plus a fixed
 * 1 MiB for the service, the suites' threads and the heap's first pages.
 */
#define MEM_FIXED_PAGES 256
static unsigned long cpu_pages(unsigned long n)
{
    return STACK_PAGES + 1 + 2 + 2 * DIV_ROUND_UP(n * 4 + 16, PAGE_SIZE);
}

unsigned long smp_memory_need(unsigned long n)
{
    return MEM_FIXED_PAGES + n * cpu_pages(n);
}

bool smp_memory_fits(void)
{
    unsigned long free = pages_free(), n = nr_cpus;
    /*
     * After a kexec, kexec_prepare_cpus has already given every cpu coming
     * over its stack (out of the region): count those once, not twice (at
     * 255 vCPUs that is 4 MiB, and a 32 MiB domU's region fell short).
     */
    unsigned long have = 0;
    for (unsigned c = 1; c < n; c++)
        if (per_cpu(c)->stack_top)
            have += STACK_PAGES;
    unsigned long need = smp_memory_need(n);
    need = need > have ? need - have : 0;
    if (need <= free)
        return true;
    unsigned long fit = n;
    while (fit > 1 && smp_memory_need(fit) > free + have)
        fit--;
    /* Defined, named, at once: no cpu brought up, no half-built scheduler. */
    pr_err("smp: %lu KiB free is too little for %lu cpus (about %lu KiB needed: %lu KiB per cpu "
           "+ %lu KiB); give the domain about %lu MiB more, or nr_cpus=%lu fits",
           free * 4, n, need * 4, cpu_pages(n) * 4, (unsigned long)MEM_FIXED_PAGES * 4,
           DIV_ROUND_UP(need - free, 256), fit);
    return false;
}

void vcpu_runstate_text(unsigned vcpu, char *buf, size_t len)
{
    static const char *const names[] = {
        [RUNSTATE_running] = "running", [RUNSTATE_runnable] = "runnable",
        [RUNSTATE_blocked] = "blocked", [RUNSTATE_offline] = "offline",
    };
    struct vcpu_runstate_info rs;
    if (hypercall_vcpu_op(VCPUOP_get_runstate_info, vcpu, &rs) || (unsigned)rs.state >= ARRAY_SIZE(names)) {
        snprintf(buf, len, "Xen: runstate unknown");
        return;
    }
    snprintf(buf, len, "Xen: %s, %llu ms running, %llu ms runnable, %llu ms blocked",
             names[rs.state], (unsigned long long)(rs.time[RUNSTATE_running] / 1000000),
             (unsigned long long)(rs.time[RUNSTATE_runnable] / 1000000),
             (unsigned long long)(rs.time[RUNSTATE_blocked] / 1000000));
}

/* Step 1: the boot cpu comes up the way every other cpu does. */
static void bringup_boot_cpu(void)
{
    struct percpu *bsp = this_cpu();
    smp_lifecycle_init();
    int rc = cpu_bringup(bsp);
    if (rc)
        panic("smp: boot cpu (vcpu %u) bring-up failed: %d", bsp->vcpu_id, rc);
    irq_enable();
    report_left_out();
}

/* Step 2: which APs to leave offline, and their stacks (so the timed part is the hypercalls). */
static void prepare_aps(void)
{
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (available_fn && !available_fn(pc->vcpu_id))
            cpumask_set(&unavailable, c);
        if (!pc->stack_top && !(pc->vcpu_id == opt_fail_vcpu && opt_fail_how == FAIL_STACK))
            pc->stack_top = stack_alloc(STACK_PAGES);
    }
}

/* Step 3: the APs the boot cpu starts itself (all of them flat, its two children tree). */
static void start_direct(uint64_t *hcall)
{
    unsigned last_direct = opt_bringup == BRINGUP_FLAT ? nr_cpus - 1 : 2;
    for (unsigned c = 1; c <= last_direct && c < nr_cpus; c++)
        start_if_offline(c, hcall);
}

struct ap_wait {
    uint64_t hcall;         /* the boot cpu's hypercall time */
    uint64_t last;          /* when the last AP was first seen ONLINE */
};

/* Done when no AP is STARTING or wanted and OFFLINE; starts tree orphans on the way. */
static bool aps_settled(void *arg)
{
    struct ap_wait *w = arg;
    unsigned pending = 0;
    uint64_t now = xen_system_time();
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (cpu_state(pc) == CPU_OFFLINE && cpu_wanted(c) && parent_gave_up(c))
            start_if_offline(c, &w->hcall);     /* tree: an orphan; the boot cpu takes it */
        int s = cpu_state(pc);
        if (s == CPU_ONLINE && !pc->online_seen) {
            pc->online_seen = now;
            w->last = MAX(w->last, now);
        }
        pending += s == CPU_STARTING || (s == CPU_OFFLINE && cpu_wanted(c));
    }
    return !pending;
}

/*
 * Sleep 1 ms, not spin: the vCPUs we wait for (and their tree starters) may
 * be queued behind us on our physical CPU.  Seen on the QEMU bed at 138
 * vCPUs: a starter runnable for the whole 30 s bound, 0.2 s run, while the
 * boot cpu spun.
 */
static void poll_1ms(void)
{
    struct sched_poll poll = { .nr_ports = 0, .timeout = xen_system_time() + NS_PER_MS };
    hypercall_sched_op(SCHEDOP_poll, &poll);
}

/*
 * Step 4, bounded by smp_timeout_ms= from start: STARTING past it becomes
 * FAILED; the others carry on.  Times are taken here, on the boot cpu: each
 * vCPU's Xen system time is its own extrapolation, and under TCG two vCPUs'
 * clocks can be tens of ms apart.
 */
static void wait_aps(uint64_t start, struct ap_wait *w)
{
    uint64_t deadline = start + opt_smp_timeout_ms * NS_PER_MS, now = xen_system_time();
    if (wait_until(aps_settled, w, deadline > now ? deadline - now : 0, poll_1ms))
        return;
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (cpu_state_cas(pc, CPU_STARTING, CPU_FAILED) ||
            (cpu_wanted(c) && cpu_state_cas(pc, CPU_OFFLINE, CPU_FAILED)))
            pc->fail_code = -ETIMEDOUT;
    }
}

/* Where a timed-out AP got to, and what Xen says it (and its starter) did. */
static void report_timeout(unsigned c, struct percpu *pc)
{
    char xen[96], starter[128] = "";
    vcpu_runstate_text(pc->vcpu_id, xen, sizeof(xen));
    int by = pc->started_by;
    if (pc->bringup_step && by >= 0 && (unsigned)by < nr_cpus) {
        char sx[96];
        vcpu_runstate_text(per_cpu((unsigned)by)->vcpu_id, sx, sizeof(sx));
        snprintf(starter, sizeof(starter), "; its starter cpu %d %s: %s", by,
                 cpu_state_name(cpu_state(per_cpu((unsigned)by))), sx);
    }
    pr_err("smp: cpu %u (vcpu %u) %s: not ONLINE within smp_timeout_ms=%llu (its bring-up "
           "got to: %s; %s%s)", c, pc->vcpu_id, cpu_state_name(cpu_state(pc)),
           (unsigned long long)opt_smp_timeout_ms,
           pc->bringup_step ? pc->bringup_step : "nothing: nobody started it", xen, starter);
}

/* One AP's outcome; true if it is ONLINE. */
static bool report_ap(unsigned c)
{
    struct percpu *pc = per_cpu(c);
    int s = cpu_state(pc);
    if (s == CPU_ONLINE) {
        /* ONLINE promises its bring-up is done: it is in the online mask before that. */
        if (!cpumask_test(&cpu_online_mask, c))
            pr_err("smp: cpu %u (vcpu %u) ONLINE before its bring-up finished (not in "
                   "the online mask)", c, pc->vcpu_id);
        return true;
    }
    if (s == CPU_LOST)
        pr_err("smp: cpu %u (vcpu %u) LOST: left down (resuming it would run an old kernel)",
               c, pc->vcpu_id);
    else if (!cpu_wanted(c))
        printk("smp: cpu %u (vcpu %u) left offline: %s", c, pc->vcpu_id,
               cpumask_test(&held, c) ? "it was offline before the jump" :
               "not available (xenstore)");
    else if (pc->fail_code == -ETIMEDOUT)
        report_timeout(c, pc);
    else if (pc->fail_what)
        pr_err("smp: cpu %u (vcpu %u) %s: %s", c, pc->vcpu_id, cpu_state_name(s),
               pc->fail_what);
    else
        pr_err("smp: cpu %u (vcpu %u) %s: Xen error %d", c, pc->vcpu_id, cpu_state_name(s),
               pc->fail_code);
    return false;
}

/* Step 5: the report (every AP that is not ONLINE named), then work may begin. */
static void report_and_go(unsigned online)
{
    printk("smp: %u of %u vCPUs online in %llu us (boot cpu hypercalls %llu us, %s bring-up)",
           online, nr_vcpus, (unsigned long long)(smp_bringup_ns / 1000),
           (unsigned long long)(smp_boot_hcall_ns / 1000), bringup_names[opt_bringup]);
    /* Memory with every cpu up (before the kexec region is armed): the bench's scale table. */
    printk("bench: smp_mem cpus=%u online=%u total_kib=%lu used_kib=%lu free_kib=%lu", nr_cpus,
           online, mm_total_pages * 4, (mm_total_pages - pages_free()) * 4, pages_free() * 4);
    atomic_store(&smp_go, 1);
    for_each_cpu(c, &cpu_online_mask)
        if (c != 0)
            send_ipi(c, IPI_RESCHED);
}

/*
 * Every AP's first instruction in C (and a kexec'd vCPU's in the new kernel).
 * Here, not in lifecycle.c: it ends in smp_ap_online, and lifecycle.c is
 * below this file (no circle inside kernel/smp).
 */
void ap_main(void *arg)
{
    struct percpu *pc = arg;
    /*
     * Not STARTING: a vCPU that was offline under an earlier kernel and came
     * over only to leave that kernel's page tables.  It stays offline here.
     */
    if (cpu_state(pc) != CPU_STARTING) {
        arch_cpu_takeover(pc);
        xen_vcpu_quiesce(pc);
        smp_report_offline_nmis(pc, "on arrival from the old kernel");
        cpu_park(PARK_HOTPLUG);
    }
    while (cpu_bringup(pc))
        cpu_park(PARK_FAILED);
    irq_enable();
    smp_ap_online(pc);
    cpu_idle_loop(NULL);
}

void smp_bringup(void)
{
    bringup_boot_cpu();
    prepare_aps();
    uint64_t start = xen_system_time();
    struct ap_wait w = { 0, start };
    start_direct(&w.hcall);
    wait_aps(start, &w);
    smp_boot_hcall_ns = w.hcall;
    unsigned online = 1;
    for (unsigned c = 1; c < nr_cpus; c++)
        online += report_ap(c);
    smp_bringup_ns = nr_cpus > 1 ? w.last - start : 0;
    report_and_go(online);
}
