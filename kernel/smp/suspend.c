/* SPDX-License-Identifier: MIT */
/*
 * Suspend: xl save, save -c, restore and the last step of a migration, as
 * the guest lives them.  The Xen rules it keeps are next to each step; the
 * whole story is docs/xen-suspend.md.
 *
 * The plan (smp_suspend, from the service thread; the leader is a thread
 * pinned to the cpu of vCPU 0, which Xen's save reads the start_info mfn
 * from and the toolstack's cancel writes its 1 into):
 *   0. one life event at a time; vCPU 0 brought up if it is offline.
 *   1. life_quiesce(SUSPEND): xenstore at a message boundary and locked, the
 *      console flushed, the kexec region disarmed (its renumbered frames
 *      would fail the save), then (here, order 90) every other online vCPU
 *      parked, events masked on all of them.
 *   2. xen_pre_suspend: store and console frames to pfns, shared_info
 *      unmapped.
 *   3. SCHEDOP_shutdown(suspend): 1, the same domain goes on (save -c,
 *      a cancelled or failed save); 0, a new domain (restore, migration).
 *   4. In a new domain our vcpu_info first (until then Xen updates neither
 *      our time nor our events), then our clock rebased over the downtime,
 *      every binding forgotten; xen_post_suspend maps shared_info again.
 *   5. life_resume: the parked vCPUs come back (in a new domain each one
 *      registers its vcpu_info again, stops Xen's 100 Hz tick, rebinds its
 *      VIRQ_TIMER and IPI and re-arms its timer), the region is rebuilt, the
 *      p2m published again, xenstore re-attached with its watches.
 *   6. vCPU 0 down again if it was.
 * A vCPU that was offline at the save has no context in a new domain: it
 * is marked uninitialised, so its next cpu_up takes the first-start path.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/life.h>
#include <kernel/sched.h>
#include <xenpv/xenpv.h>
#include <xenpv/wait.h>
#include <minipv/bounds.h>
#include <minipv/errno.h>

static struct {
    bool active;                /* the others are parked for a suspend (quiesce done) */
    bool irqs_off;              /* ... and the leader's events masked, until its resume */
    unsigned want;              /* how many were sent to park */
    volatile unsigned back;     /* ... and came back */
    volatile unsigned failed;   /* ... and could not bind their events again */
    volatile bool new_domain;
    uint64_t back_ns;           /* when the leader saw the last one back (our clock) */
    volatile uint64_t last_ns;  /* when the last one was back, by its own clock */
} S;

/* ---- the other vCPUs: IPI_SUSPEND, the one park point, and back ---- */

static void park_for_suspend(void)
{
    struct percpu *pc = this_cpu();
    cpu_park(PARK_SUSPEND);
    if (atomic_load(&S.new_domain) && cpu_resume_new_domain(pc, false))
        atomic_add(&S.failed, 1U);
    /* For the resume's split: the latest of the vCPUs' own return times. */
    uint64_t t = xen_system_time(), seen = atomic_load(&S.last_ns);
    while (t > seen && !__atomic_compare_exchange_n(&S.last_ns, &seen, t, false,
                                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        ;
    atomic_add(&S.back, 1U);
}

static bool all_parked(void *arg)
{
    (void)arg;
    return smp_parked() >= S.want;
}

static bool all_back(void *arg)
{
    (void)arg;
    return atomic_load(&S.back) >= S.want;
}

/* Xen rule: a save records online vCPUs only; the others are uninitialised in a new domain. */
static void forget_offline(void)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (cpumask_test(&cpu_online_mask, c))
            continue;
        pc->initialised = false;        /* VCPUOP_up fails until VCPUOP_initialise */
        pc->vcpu_info_maddr = 0;        /* which needs its vcpu_info registered first */
    }
}

/*
 * Released, not waited for: they come back while the leader goes on.  Done
 * as early as the leader can (shared_info mapped, old bindings forgotten):
 * a parked vCPU spins in yields, and under TCG that spin takes the leader's
 * host time (at 8 vCPUs the steps before the release took 5-35 ms).
 */
static void release_parked(enum life_resume how)
{
    if (!S.active)
        return;
    S.active = false;
    atomic_store(&S.new_domain, how == LIFE_NEW_DOMAIN);
    if (how == LIFE_NEW_DOMAIN)
        forget_offline();
    smp_park_release();
}

static void cpus_resume(enum life_resume how)
{
    if (!S.irqs_off)
        return;
    S.irqs_off = false;
    release_parked(how);        /* a refused quiesce: the leader never got that far */
    irq_enable();
}

/* The leader, after every participant resumed: the parked vCPUs back (bounded). */
static void wait_back(void)
{
    if (!wait_until(all_back, NULL, cpu_call_bound_ns(), wait_idle_yield))
        pr_err("suspend: %u of %u parked vCPUs came back within %llu ms", atomic_load(&S.back),
               S.want, (unsigned long long)(cpu_call_bound_ns() / NS_PER_MS));
    if (atomic_load(&S.failed))
        pr_err("suspend: %u vCPU(s) could not bind their event channels again",
               atomic_load(&S.failed));
    S.back_ns = xen_system_time();
}

static int cpus_quiesce(enum life_event ev)
{
    if (ev != LIFE_SUSPEND)
        return 0;
    unsigned me = smp_processor_id();
    irq_disable();
    smp_park_begin();
    S = (typeof(S)){ .active = true, .irqs_off = true };
    for_each_cpu(c, &cpu_online_mask) {
        if (c == me)
            continue;
        send_ipi(c, IPI_SUSPEND);
        S.want++;
    }
    if (wait_until(all_parked, NULL, cpu_call_bound_ns(), wait_idle_spin))
        return 0;
    pr_err("suspend: %u of %u other vCPUs parked within %llu ms: not suspending", smp_parked(),
           S.want, (unsigned long long)(cpu_call_bound_ns() / NS_PER_MS));
    cpus_resume(LIFE_SAME_DOMAIN);
    return -ETIMEDOUT;
}

/* Last: every other participant quiesces while the vCPUs still run, and resumes after. */
LIFE_PARTICIPANT(90, suspend_cpus, .quiesce = cpus_quiesce, .resume = cpus_resume);

/* ---- the leader, on vCPU 0 ---- */

static void back_from_xen(long rc, uint64_t before, uint64_t xen_before,
                          struct smp_suspend_report *r)
{
    struct percpu *me = this_cpu();
    r->new_domain = rc == 0;
    /* First of all in a new domain: our time and events come through it. */
    if (r->new_domain) {
        r->err = xen_register_vcpu_info(me);
        me->vcpu_info->evtchn_upcall_mask = 1;      /* Xen copied its old slot over ours */
    }
    uint64_t xen_now = xen_raw_time();
    r->down_ns = xen_now - xen_before;
    /* Our clock stops for the downtime: deadlines, slices and the watchdog go on as before. */
    xen_time_rebase(before, xen_now);
    /* The resume's figure starts here: the first moment our clock reads (vcpu_info is back). */
    r->returned_ns = xen_system_time();
    int err = xen_post_suspend(r->new_domain);
    if (err)
        panic("suspend: shared_info cannot be mapped again (mfn %#llx): %d",
              (unsigned long long)(xen_start_info->shared_info >> 12), err);
    r->shinfo_ns = xen_system_time();
    if (r->new_domain)
        xen_events_forget();
    /* Their IPIs to us before our rebind are kept pending and sent on (cpu_events_rebind). */
    release_parked(r->new_domain ? LIFE_NEW_DOMAIN : LIFE_SAME_DOMAIN);
    if (r->new_domain) {
        if ((err = cpu_resume_new_domain(me, true)))
            pr_err("suspend: cpu %u: binding its events again failed: %d", me->cpu, err);
    }
    if (r->err)
        pr_err("suspend: registering vcpu_info again failed: %d", r->err);
    r->events_ns = xen_system_time();
}

static void leader(void *arg)
{
    struct smp_suspend_report *r = arg;
    struct percpu *me = this_cpu();
    if ((r->err = life_quiesce(LIFE_SUSPEND)))
        return;
    /* Events are masked from here to the vCPUs' resume (their participant). */
    r->parked = S.want;
    printk("suspend: cpu %u (vcpu %u) suspends the domain; %u vCPUs parked", me->cpu,
           me->vcpu_id, S.want);
    xen_console_flush();
    uint64_t before = xen_system_time(), xen_before = xen_raw_time();
    xen_pre_suspend();
    r->hypercall_rc = xen_suspend_hypercall();
    back_from_xen(r->hypercall_rc, before, xen_before, r);
    r->nsteps = life_resume_timed(r->new_domain ? LIFE_NEW_DOMAIN : LIFE_SAME_DOMAIN,
                                  xen_system_time, r->steps, ARRAY_SIZE(r->steps));
    wait_back();
    r->back = atomic_load(&S.back);
    r->back_ns = S.back_ns;
    r->last_back_ns = S.last_ns;
    r->done_ns = xen_system_time();
}

static int refuse(int busy_or_rc, const char *why)
{
    pr_warn("suspend: refused: %s", why);
    return busy_or_rc;
}

static bool cpus_settled(void)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        int s = cpu_state(per_cpu(c));
        if (s == CPU_STARTING || s == CPU_DYING)
            return false;
    }
    return true;
}

static int run_leader(unsigned c0, struct smp_suspend_report *r)
{
    struct cpumask only;
    cpumask_zero(&only);
    cpumask_set(&only, c0);
    struct thread *t = thread_create(leader, r, "suspend", &only);
    if (!t)
        return refuse(-ENOMEM, "no memory for the leader thread");
    if (thread_join(t, BOUND_SUSPEND_NS)) {
        pr_err("suspend: the leader on cpu %u did not finish within %llu s", c0,
               (unsigned long long)(BOUND_SUSPEND_NS / NS_PER_S));
        return -ETIMEDOUT;
    }
    return r->err;
}

int smp_suspend(struct smp_suspend_report *r)
{
    *r = (struct smp_suspend_report){ .hypercall_rc = -1 };
    if (xen_is_dom0())
        return refuse(-EOPNOTSUPP, "dom0 is not saved or migrated");
    cpu_set_suspend_handler(park_for_suspend);
    int busy = life_begin(LIFE_SUSPEND);
    if (busy >= 0) {
        pr_warn("suspend: refused: a %s is under way", life_event_name((enum life_event)busy));
        return -EBUSY;
    }
    int rc, c0 = vcpu_to_cpu(0);
    if (c0 < 0)
        rc = refuse(-ENODEV, "vCPU 0 is not one of our cpus (nr_cpus=), and only it may suspend");
    else if (!cpus_settled())
        rc = refuse(-EAGAIN, "a vCPU is on its way up or down");
    else
        rc = 0;
    bool up0 = !rc && !cpumask_test(&cpu_online_mask, (unsigned)c0);
    if (up0) {
        /* Xen rule: the save reads vCPU 0's registers; it must make the call. */
        printk("suspend: vCPU 0 (cpu %d) is offline: up for the suspend, down again after", c0);
        if ((rc = cpu_up((unsigned)c0)))
            refuse(rc, "vCPU 0 did not come up");
    }
    r->cpu0 = (unsigned)c0;
    if (!rc)
        rc = run_leader((unsigned)c0, r);
    if (up0 && !rc && cpu_down((unsigned)c0))
        pr_err("suspend: vCPU 0 (cpu %d) did not go down again", c0);
    life_end(LIFE_SUSPEND);
    return rc;
}

void smp_suspend_split(const struct smp_suspend_report *r, char *buf, size_t size)
{
    size_t n = 0;
#define AT(t) ((unsigned long long)(((t) - r->returned_ns) / 1000))
    n += (size_t)snprintf(buf + n, size - n, "shared_info %llu, own events %llu",
                          AT(r->shinfo_ns), AT(r->events_ns));
    for (unsigned i = 0; i < r->nsteps && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, ", %s %llu", r->steps[i].name,
                              AT(r->steps[i].end_ns));
    if (n < size && r->last_back_ns)
        n += (size_t)snprintf(buf + n, size - n, ", last vCPU back %llu", AT(r->last_back_ns));
    if (n < size)
        snprintf(buf + n, size - n, ", leader saw all back %llu, done %llu", AT(r->back_ns),
                 AT(r->done_ns));
#undef AT
}
