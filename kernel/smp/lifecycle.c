/* SPDX-License-Identifier: MIT */
/*
 * The life of a vCPU: the one way up (cpu_bringup), the one park point
 * (cpu_park), the idle thread that takes a cpu down, and IPI_STOP.  The
 * model is in include/kernel/smp.h, the states in include/kernel/cpu.h.
 *
 * Every path, in order:
 *   first start   VCPUOP_initialise context -> arch_ap_entry -> ap_main -> cpu_bringup
 *   boot cpu      smp_bringup -> cpu_bringup
 *   hotplug       idle loop (DYING) -> cpu_down_self -> cpu_park(HOTPLUG) ...
 *                 ... VCPUOP_up -> cpu_park returns -> cpu_bringup
 *   failed        ap_main / cpu_down_self -> cpu_park(FAILED) -> (cpu_up) -> cpu_bringup
 *   stop          IPI_STOP -> stop_this_cpu -> cpu_park(STOP), for good
 *   kexec         cpu_park -> park_resume_hook -> (new kernel) ap_main -> cpu_bringup
 *   suspend       IPI_SUSPEND -> cpu_park(SUSPEND), up in Xen -> released -> (a new
 *                 domain) cpu_resume_new_domain; offline ones: the first-start path
 *                 next time (kernel/smp/suspend.c)
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/sched.h>
#include <arch/traps.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>

static void (*park_resume_hook)(struct percpu *pc);

/* NMIs each cpu took while not online, not yet reported (cpu_nmi_offline). */
static volatile uint32_t nmi_offline[NR_CPUS];

const char *park_why_name(int why)
{
#define NAME(e, name) name,
    static const char *const n[] = { PARK_WHYS(NAME) };
#undef NAME
    return why >= 0 && why < PARK_NR ? n[why] : "?";
}

bool cpu_nmi_offline(struct percpu *pc)
{
    int s = cpu_state(pc);
    if (s == CPU_ONLINE || s == CPU_DYING)
        return false;
    atomic_add(&nmi_offline[pc->cpu], 1);
    return true;
}

/*
 * Outside the NMI handler (printing there could wait on a console lock this
 * cpu holds): say what happened to the NMIs it took while offline.  Xen
 * latches one NMI on a down vCPU and delivers it at the next VCPUOP_up, on
 * top of the resume, so "taken at bring-up" is when it arrives; it is
 * stale by then and never acted on, whatever nmi= says.
 */
void smp_report_offline_nmis(struct percpu *pc, const char *when)
{
    uint32_t n = __atomic_exchange_n(&nmi_offline[pc->cpu], 0, __ATOMIC_SEQ_CST);
    for (uint32_t i = 0; i < n; i++)
        printk_level(LOG_WARN, "cpu %u (vcpu %u): NMI received while offline, taken %s: ignored",
                     pc->cpu, pc->vcpu_id, when);
}

uint64_t vcpu_ran_ns(unsigned vcpu_id)
{
    struct vcpu_runstate_info rs;
    /*
     * Xen (common/domain.c VCPUOP_get_runstate_info, vcpu_runstate_get): any
     * vCPU of the domain; time[] includes the stretch it is in now.  No
     * answer counts as "ran for ever", so a bound on it still ends.
     */
    if (hypercall_vcpu_op(VCPUOP_get_runstate_info, vcpu_id, &rs))
        return ~0ULL;
    return rs.time[RUNSTATE_running];
}

struct down_wait { unsigned vcpu_id; uint64_t from, run_ns; };

static bool down_or_ran(void *arg)
{
    const struct down_wait *w = arg;
    return hypercall_vcpu_op(VCPUOP_is_up, w->vcpu_id, NULL) != 1 ||
           vcpu_ran_ns(w->vcpu_id) - w->from >= w->run_ns;
}

bool vcpu_wait_down(unsigned vcpu_id, uint64_t run_ns, uint64_t wall_ns)
{
    struct down_wait w = { vcpu_id, vcpu_ran_ns(vcpu_id), run_ns };
    wait_until(down_or_ran, &w, wall_ns, wait_idle_spin);
    return hypercall_vcpu_op(VCPUOP_is_up, vcpu_id, NULL) != 1;
}

int cpu_bringup(struct percpu *pc)
{
    /* First: until the GS base is ours, this_cpu() may be an earlier kernel's. */
    pc->bringup_step = "takeover (trap table, callbacks, stack, GDT)";
    arch_cpu_takeover(pc);
    pc->bringup_step = "quiesce (timers, runstate and time areas)";
    xen_vcpu_quiesce(pc);
    pc->bringup_step = "events (VIRQ_TIMER, IPI channels)";
    int rc = cpu_events_init(pc);
    if (rc) {
        pc->fail_code = rc;
        cpu_state_cas(pc, CPU_STARTING, CPU_FAILED);   /* or the waiter got there first */
        return rc;
    }
    pc->bringup_step = "scheduler";
    sched_cpu_up(pc->cpu);
    pc->bringup_step = "online";
    pc->online_at = xen_system_time();
    cpumask_set(&cpu_online_mask, pc->cpu);
    /*
     * The last store: whoever reads ONLINE finds everything above done
     * (cpu_state_cas orders it).  If the waiter's bound passed meanwhile we
     * are FAILED: undo, so the report stays the truth.
     */
    if (!cpu_state_cas(pc, CPU_STARTING, CPU_ONLINE)) {
        cpumask_clear(&cpu_online_mask, pc->cpu);
        sched_cpu_down(pc->cpu);
        cpu_events_teardown(pc);
        return -ETIMEDOUT;
    }
    smp_report_offline_nmis(pc, "at bring-up");
    return 0;
}

/* ---- suspend: the park that stays up ---- */

static volatile unsigned long park_epoch, park_released;
static volatile unsigned park_count;

void smp_park_begin(void)
{
    atomic_store(&park_count, 0U);
    atomic_store(&park_epoch, atomic_load(&park_released) + 1);
}

unsigned smp_parked(void)
{
    return atomic_load(&park_count);
}

void smp_park_release(void)
{
    atomic_store(&park_released, atomic_load(&park_epoch));
}

static void park_suspended(struct percpu *pc)
{
    /*
     * No lock held (every lock is taken with events masked, and we are in
     * an upcall), no page-table update half done.  No clock either: in a new
     * domain ours is frozen until our vcpu_info is registered again, so the
     * bound counts yields (BOUND_SUSPEND_PARK_YIELDS).  The leader releases
     * us after its own bounded steps; a release that never comes is said.
     */
    unsigned long epoch = atomic_load(&park_epoch);
    atomic_add(&park_count, 1U);
    for (uint64_t n = 0; atomic_load(&park_released) < epoch; n++) {
        if (n == BOUND_SUSPEND_PARK_YIELDS) {
            pr_err("cpu %u (vcpu %u): suspend: never released: going on", pc->cpu, pc->vcpu_id);
            return;
        }
        hypercall_sched_op(SCHEDOP_yield, NULL);
    }
}

int cpu_resume_new_domain(struct percpu *pc, bool vcpu_info_done)
{
    /*
     * First the vcpu_info (Xen rule: on the vCPU itself, once per domain,
     * and this is a new domain): until then Xen updates neither our time
     * nor our pending bits.  Xen copies its old slot over ours, upcall mask
     * included, so mask again: we are in an upcall.
     */
    if (!vcpu_info_done) {
        int rc = xen_register_vcpu_info(pc);
        pc->vcpu_info->evtchn_upcall_mask = 1;
        if (rc)
            return rc;
    }
    xen_vcpu_quiesce(pc);       /* a new vCPU gets the PV default 100 Hz tick */
    return cpu_events_rebind(pc);
}

void cpu_park(enum park_why why)
{
    struct percpu *pc = this_cpu();
    bool may_return = why == PARK_HOTPLUG || why == PARK_FAILED;
    irq_disable();
    if (why == PARK_SUSPEND) {
        int was = pc->park_why;
        pc->park_why = why;
        park_suspended(pc);
        pc->park_why = was;     /* kexec's handoff reads why a parked cpu parked */
        return;
    }
    pc->park_why = why;
    for (;;) {
        /* Checked before each down too: a cpu_up may come before we are down. */
        if (may_return && cpu_state(pc) == CPU_STARTING)
            return;
        /*
         * Xen: a vCPU may take itself down (synchronous for the caller); a
         * later VCPUOP_up resumes right after this call, on this stack.  The
         * last vCPU up going down powers the domain off instead, so nobody
         * parks the last online cpu.  Arguments are reloaded every time (a
         * debug Xen poisons them on return).
         */
        hypercall_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
        if (park_resume_hook)
            park_resume_hook(pc);
    }
}

/* In the idle thread of a DYING cpu: leave, park, and come back through cpu_bringup. */
static void cpu_down_self(struct percpu *pc)
{
    irq_disable();
    sched_cpu_down(pc->cpu);
    cpu_events_teardown(pc);
    cpu_state_set(pc, CPU_OFFLINE);
    cpu_park(PARK_HOTPLUG);
    while (cpu_bringup(pc))
        cpu_park(PARK_FAILED);
    irq_enable();
}

void cpu_idle_loop(void *unused)
{
    (void)unused;
    sched_idle_enter();
    for (;;) {
        struct percpu *pc = this_cpu();
        if (cpu_state(pc) == CPU_DYING)
            cpu_down_self(pc);
        sched_idle_step();
    }
}

/* IPI_STOP, in its upcall (events masked): leave and stay down. */
static void stop_this_cpu(void)
{
    struct percpu *pc = this_cpu();
    cpumask_clear(&cpu_online_mask, pc->cpu);
    int s = cpu_state(pc);
    if (s == CPU_ONLINE || s == CPU_DYING)
        cpu_state_set(pc, CPU_OFFLINE);
    cpu_park(PARK_STOP);
}

static bool others_stopped(void *me)
{
    unsigned cpu = ((struct percpu *)me)->cpu;
    return cpumask_weight(&cpu_online_mask) == (unsigned)cpumask_test(&cpu_online_mask, cpu);
}

void smp_stop_others(void)
{
    struct percpu *me = this_cpu();
    if (!me->ipi_port)
        return;             /* too early: no other cpu runs */
    for_each_cpu(c, &cpu_online_mask)
        if (c != me->cpu)
            send_ipi(c, IPI_STOP);
    /* Bounded, so output stays whole while they go down. */
    wait_until(others_stopped, me, cpu_call_bound_ns(), wait_idle_spin);
}

void smp_lifecycle_init(void)
{
    cpu_set_stop_handler(stop_this_cpu);
    kernel_set_stop_others(smp_stop_others);
}

/* kexec's way back up from cpu_park (it ranks above smp): registered, not called by name. */
void smp_set_park_resume_hook(void (*fn)(struct percpu *pc))
{
    park_resume_hook = fn;
}
