/* SPDX-License-Identifier: MIT */
/*
 * How a vCPU comes up, parks and comes back (kernel/smp/).  A PV guest has
 * no INIT/SIPI: Xen starts a vCPU once with VCPUOP_initialise (never again:
 * a second one is -EEXIST for the life of the domain) and VCPUOP_up resumes
 * a downed vCPU exactly where it stopped.  So there is one way in and one
 * way out, both in kernel/smp/lifecycle.c:
 *
 *   in   cpu_bringup(pc): every path that makes a cpu ONLINE runs it, on the
 *        cpu itself -- first boot (cpu 0 too), resume after hotplug, the
 *        first start of a vCPU that never ran, a vCPU that failed before,
 *        and a vCPU coming over from an earlier kernel (kexec).  It redoes
 *        all per-cpu state in one order: GS base, trap table, callbacks, NMI,
 *        kernel stack, LDT/GDT, the NMI latch (arch_cpu_takeover); timers and
 *        the runstate/time areas (xen_vcpu_quiesce); VIRQ_TIMER and IPI
 *        channels; the scheduler; and last, ONLINE.
 *   out  cpu_park(why): the only place a cpu takes itself VCPUOP_down.  It
 *        records why, and on every resume decides: come back up (a hotplug or
 *        failed cpu someone set STARTING: the caller then runs cpu_bringup),
 *        go over to a new kernel (the park resume hook: kexec), or down again.
 *
 * The states and who may change them: include/kernel/cpu.h.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H
#include <kernel/cpu.h>
#include <kernel/life.h>

/* ---- the life cycle (kernel/smp/lifecycle.c) ---- */

/* Why a cpu parks; the enum and park_why_name's table both come from this list. */
#define PARK_WHYS(X) X(NONE, "none") X(STOP, "stop") X(HOTPLUG, "hotplug") X(FAILED, "failed") \
                     X(CRASH, "crash") X(KEXEC, "kexec") X(SUSPEND, "suspend")
#define PARK_WHY_ENUM(e, name) PARK_##e,
enum park_why { PARK_WHYS(PARK_WHY_ENUM) PARK_NR };
#undef PARK_WHY_ENUM
const char *park_why_name(int why);

/*
 * Bring this cpu (pc == this_cpu(), state STARTING, events masked) ONLINE.
 * 0; or a negative errno with the cpu FAILED (its own failure, or it was
 * too late: the waiter's bound passed), everything it set up undone.
 */
int cpu_bringup(struct percpu *pc);
/*
 * Take this cpu down (events masked; pc's state already OFFLINE, FAILED or
 * LOST).  Returns only for PARK_HOTPLUG and PARK_FAILED, once someone set it
 * STARTING and VCPUOP_up'd it; the caller then runs cpu_bringup.  The other
 * reasons never return here (a kexec resume leaves through the hook).
 *
 * PARK_SUSPEND is the one park that stays up in Xen (a save records only
 * online vCPUs, and a downed one would come back uninitialised in a new
 * domain): an ONLINE cpu, in its IPI_SUSPEND upcall, waits here until
 * smp_park_release(), then returns; in a new domain its caller then runs
 * cpu_resume_new_domain.
 */
void cpu_park(enum park_why why);
/* Suspend's parks: start a round, how many have parked in it, release them all. */
void smp_park_begin(void);
unsigned smp_parked(void);
void smp_park_release(void);
/*
 * On pc itself, back from a suspend in a new domain (Xen restored its
 * registers, trap table, callbacks and stack, nothing else): vcpu_info
 * registered again, Xen's 100 Hz tick stopped, VIRQ_TIMER and IPI bound
 * again.  0 or Xen's error.
 */
int cpu_resume_new_domain(struct percpu *pc, bool vcpu_info_done);
/*
 * Asked on every resume from a park, before anything else: a hook that
 * takes the vCPU elsewhere (kexec: into the new kernel) never returns.
 */
void smp_set_park_resume_hook(void (*fn)(struct percpu *pc));
/*
 * In the NMI handler: pc is not online (down, starting, failed), so the NMI
 * was sent while its vCPU was down and Xen delivered it at the VCPUOP_up.
 * true: counted, and reported once the cpu is up (or has arrived from an
 * earlier kernel); the caller does nothing else with it.  false: online.
 */
bool cpu_nmi_offline(struct percpu *pc);
/*
 * Xen's running time of a vCPU so far (ns): a bound on "it had the chance
 * to answer" counts this, not wall time, so an `xl pause` or Xen
 * descheduling it does not use the bound up.
 */
uint64_t vcpu_ran_ns(unsigned vcpu_id);
/* Xen's runstate of any vCPU of ours, in words ("Xen: runnable, 3 ms running, ..."). */
void vcpu_runstate_text(unsigned vcpu, char *buf, size_t len);
/*
 * Wait until vcpu_id is down in Xen, at most until it has run run_ns of its
 * own time since the call, or wall_ns passed (a vCPU Xen never runs).  true:
 * it is down.
 */
bool vcpu_wait_down(unsigned vcpu_id, uint64_t run_ns, uint64_t wall_ns);
/* The idle thread of every cpu: scheduler idle, and takes the cpu down when it is DYING. */
void __noreturn cpu_idle_loop(void *unused);
/* First C code of an AP (its VCPUOP_initialise context, or a kexec resume). */
void __noreturn ap_main(void *pc);

/* ---- boot (kernel/smp/bringup.c) ---- */

/*
 * The boot cpu comes up through cpu_bringup, then starts every AP that is
 * wanted (flat: itself; tree: online APs start their children, and the boot
 * cpu starts any child whose parent will not), waits smp_timeout_ms= for
 * them and reports "smp: N of M vCPUs online in X us ...".
 */
void smp_bringup(void);
/* Before sched_init: is there memory for nr_cpus cpus?  false: said why (and how many fit). */
bool smp_memory_fits(void);
/* The pages smp_memory_fits asks to be free for n cpus (a kexec region is sized by it). */
unsigned long smp_memory_need(unsigned long n);
/*
 * Asked during bring-up for every AP; false leaves that vCPU OFFLINE but
 * present (a domU's xenstore says cpu/N/availability = offline when
 * maxvcpus > vcpus).  None registered: every vCPU is wanted.  The service
 * (above smp) registers it: an inversion, not a call.
 */
void smp_set_vcpu_available(bool (*fn)(unsigned vcpu_id));
/* Bring-up leaves this cpu OFFLINE though present (it was offline before a kexec). */
void smp_leave_offline(unsigned cpu);
/* The vcpu fail_vcpu= told bring-up to break, or -1. */
int smp_fail_vcpu(void);
/* Bring-up report numbers (ns). */
extern uint64_t smp_bringup_ns, smp_boot_hcall_ns;
/* Start a vCPU Xen never ran (VCPUOP_initialise + up); pc OFFLINE or FAILED.  0 or errno. */
int smp_start_cpu(struct percpu *pc, uint64_t *hcall_ns);

/* Stop every other online cpu (IPI_STOP, bounded wait): shutdown, panic. */
void smp_stop_others(void);

/* ---- suspend (kernel/smp/suspend.c) ---- */
struct smp_suspend_report {
    long hypercall_rc;          /* 1 same domain, 0 new domain, <0 Xen refused, -1 not made */
    bool new_domain;
    int err;                    /* the first error of the leader (a participant's refusal) */
    unsigned cpu0;              /* the cpu of vCPU 0, which led */
    unsigned parked, back;      /* the other vCPUs parked for it, and back after */
    uint64_t down_ns;           /* Xen's clock across the hypercall (same host only) */
    uint64_t returned_ns;       /* our clock when the hypercall returned */
    uint64_t back_ns;           /* ... when the leader saw every parked vCPU back (after the rest) */
    uint64_t done_ns;           /* ... and when every participant had resumed */
    /* The split of the resume (our clock), from returned_ns on: */
    uint64_t shinfo_ns;         /* shared_info mapped again, the console attached */
    uint64_t events_ns;         /* the leader's own vcpu_info and events (new domain) */
    uint64_t last_back_ns;      /* the last parked vCPU back, by its own clock (0: none) */
    unsigned nsteps;            /* each life participant's resume, in walk order */
    struct life_step steps[8];
};
/*
 * Suspend the domain for the toolstack (save, checkpoint, migration), from
 * thread context.  0: it happened and this kernel goes on (r says where);
 * else refused or failed before the hypercall, said why, nothing changed.
 */
int smp_suspend(struct smp_suspend_report *r);
/* Where a resume's time went: each phase's end, in us after the hypercall's return. */
void smp_suspend_split(const struct smp_suspend_report *r, char *buf, size_t size);

/* ---- hotplug (kernel/smp/hotplug.c) ---- */

/*
 * cpu_down(): the cpu's duties move away (notifiers), it leaves the online
 * mask, goes DYING, its threads move, it parks; returns once Xen says it is
 * down.  cpu 0 is allowed, the last online cpu is not.  cpu_up(): an OFFLINE
 * or FAILED cpu goes STARTING, is VCPUOP_initialise'd (never ran) or
 * VCPUOP_up'd (parked), runs cpu_bringup, and the notifiers run.  Both wait
 * with a bound; 0 or a negative errno.
 */
int cpu_down(unsigned cpu);
int cpu_up(unsigned cpu);

/*
 * Hotplug notifiers: fn(cpu, up) runs after a cpu came ONLINE (up = true)
 * or before it goes down (up = false), on some other online cpu.  Owners of
 * per-cpu duties (xenstore, console input) move their event channels here.
 * The caller owns the struct (static storage); adding cannot fail.
 */
struct cpu_notifier {
    void (*fn)(unsigned cpu, bool up);
    struct cpu_notifier *next;
};
void cpu_notifier_add(struct cpu_notifier *n);

#endif
