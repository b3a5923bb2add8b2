/* SPDX-License-Identifier: MIT */
/*
 * SMP bring-up with VCPUOP_initialise/VCPUOP_up (a PV guest has no
 * INIT/SIPI), the cpu <-> vcpu map, IPIs, per-cpu timers, cross-calls.
 */
#include <kernel/smp.h>
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <arch/traps.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/string.h>

#define ENOENT 2
#define EINVAL 22
#define ETIME 62
#define ETIMEDOUT 110

unsigned nr_cpus = 1, nr_vcpus = 1, boot_vcpu_id;
struct cpumask cpu_online_mask, cpu_present_mask;
uint64_t smp_bringup_ns, smp_boot_hcall_ns;
void (*timer_hook)(void);

static uint16_t cpu_to_vcpu_map[NR_CPUS];
/* vcpu id -> cpu + 1 (0 = unused); Xen's vcpu ids are below its own max, bounded here. */
#define MAX_VCPU_ID 4096
static uint16_t vcpu_to_cpu_map[MAX_VCPU_ID];

/* ---- options ---- */
static uint64_t opt_nr_cpus = NR_CPUS;
KOPT_UINT(nr_cpus, "nr_cpus", opt_nr_cpus, 1, NR_CPUS, "use at most this many vCPUs");
static const char *const order_names[] = { "identity", "reverse", "interleave", NULL };
enum { ORDER_IDENTITY, ORDER_REVERSE, ORDER_INTERLEAVE };
static int opt_cpu_order = ORDER_IDENTITY;
KOPT_ENUM(cpu_order, "cpu_order", opt_cpu_order, order_names,
          "logical numbering of the APs: identity | reverse | interleave");
static const char *const bringup_names[] = { "flat", "tree", NULL };
enum { BRINGUP_FLAT, BRINGUP_TREE };
static int opt_bringup = BRINGUP_FLAT;
KOPT_ENUM(bringup, "bringup", opt_bringup, bringup_names,
          "flat: the boot cpu starts every AP; tree: online APs start others");
static uint64_t opt_smp_timeout_ms = 30000;
KOPT_UINT(smp_timeout_ms, "smp_timeout_ms", opt_smp_timeout_ms, 1, 600000,
          "an AP not ONLINE this long after bring-up starts is FAILED");
static uint64_t opt_fail_vcpu = MAX_VCPU_ID;   /* = none */
KOPT_UINT(fail_vcpu, "fail_vcpu", opt_fail_vcpu, 0, MAX_VCPU_ID,
          "test: this vcpu gets an invalid context so VCPUOP_initialise fails (4096: none)");

const char *cpu_state_name(int s)
{
    static const char *const n[] = { "OFFLINE", "STARTING", "ONLINE", "FAILED" };
    return s >= 0 && s < 4 ? n[s] : "?";
}

unsigned cpu_to_vcpu(unsigned cpu)
{
    ASSERT(cpu < nr_cpus);
    return cpu_to_vcpu_map[cpu];
}

int vcpu_to_cpu(unsigned vcpu_id)
{
    if (vcpu_id >= MAX_VCPU_ID || !vcpu_to_cpu_map[vcpu_id])
        return -1;
    return vcpu_to_cpu_map[vcpu_id] - 1;
}

/* How many vCPUs the domain has: VCPUOP_is_up answers -ENOENT past the last. */
static unsigned probe_vcpus(void)
{
    unsigned n = 0;
    while (n < MAX_VCPU_ID && hypercall_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
        n++;
    return n;
}

/* Position k (0-based) among m APs -> index into the ascending AP vcpu list. */
static unsigned order_index(unsigned k, unsigned m)
{
    switch (opt_cpu_order) {
    case ORDER_REVERSE:
        return m - 1 - k;
    case ORDER_INTERLEAVE:      /* lowest, highest, second lowest, second highest, ... */
        return (k & 1) ? m - 1 - k / 2 : k / 2;
    default:
        return k;
    }
}

void smp_init_boot_cpu(unsigned boot_vcpu)
{
    struct percpu *bsp = this_cpu();
    boot_vcpu_id = boot_vcpu;
    nr_vcpus = probe_vcpus();
    if (boot_vcpu >= nr_vcpus)
        panic("smp: boot vcpu %u but the domain has %u vCPUs", boot_vcpu, nr_vcpus);
    nr_cpus = (unsigned)MIN((uint64_t)nr_vcpus, MIN(opt_nr_cpus, (uint64_t)NR_CPUS));

    /*
     * The whole map, now, before any per-cpu preparation: cpu 0 is the boot
     * vCPU; the APs are the lowest other vcpu ids, numbered in cpu_order.
     */
    unsigned aps[NR_CPUS], m = 0;
    for (unsigned v = 0; v < nr_vcpus && m < nr_cpus - 1; v++)
        if (v != boot_vcpu)
            aps[m++] = v;
    cpu_to_vcpu_map[0] = (uint16_t)boot_vcpu;
    for (unsigned k = 0; k < m; k++)
        cpu_to_vcpu_map[k + 1] = (uint16_t)aps[order_index(k, m)];
    for (unsigned c = 0; c < nr_cpus; c++) {
        vcpu_to_cpu_map[cpu_to_vcpu_map[c]] = (uint16_t)(c + 1);
        per_cpu(c)->self = per_cpu(c);      /* %gs:0, before the AP's first instruction */
        per_cpu(c)->cpu = c;
        per_cpu(c)->vcpu_id = cpu_to_vcpu_map[c];
        per_cpu(c)->state = CPU_OFFLINE;
        cpumask_set(&cpu_present_mask, c);
    }
    ASSERT(bsp->vcpu_id == boot_vcpu);
    /* The domain builder initialised the boot vCPU: bringing it back after cpu_down is VCPUOP_up. */
    bsp->initialised = true;

    /* Until registration the boot vCPU's events land in its legacy shared_info slot. */
    if (boot_vcpu < XEN_LEGACY_MAX_VCPUS)
        bsp->vcpu_info = &xen_shared_info->vcpu_info[boot_vcpu];
    int rc = xen_register_vcpu_info(bsp);
    if (rc)
        panic("smp: VCPUOP_register_vcpu_info for boot vcpu %u failed: %d", boot_vcpu, rc);
}

/* ---- IPIs, cross-calls, timers ---- */

struct cpumask ping_from[NR_CPUS], ping_seen[NR_CPUS];

int smp_fail_vcpu(void)
{
    return opt_fail_vcpu < MAX_VCPU_ID ? (int)opt_fail_vcpu : -1;
}

struct call_data {
    void (*fn)(void *);
    void *arg;
    volatile int pending;
};
static struct call_data *volatile call_mailbox[NR_CPUS];

static void ipi_handler(uint32_t port, void *arg)
{
    (void)port;
    struct percpu *pc = arg;
    pc->ipi_count++;
    unsigned long kinds = atomic_xchg(&pc->ipi_pending, 0UL);
    if (kinds & (1UL << IPI_CALL)) {
        struct call_data *cd = atomic_xchg(&call_mailbox[pc->cpu], (struct call_data *)NULL);
        if (cd) {
            cd->fn(cd->arg);
            atomic_sub(&cd->pending, 1);
        }
    }
    if (kinds & (1UL << IPI_STOP)) {
        cpumask_clear(&cpu_online_mask, pc->cpu);
        /* A vCPU may take itself down; the domain's shutdown then finds it stopped. */
        for (;;)
            hypercall_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
    }
    if (kinds & (1UL << IPI_PING)) {
        for (unsigned w = 0; w < NR_CPUS / 64; w++) {
            unsigned long b = atomic_xchg(&ping_from[pc->cpu].bits[w], 0UL);
            /* Recorded by the cpu the IPI was meant for, or not at all. */
            if (smp_processor_id() == pc->cpu)
                atomic_or(&ping_seen[pc->cpu].bits[w], b);
        }
    }
    /* IPI_RESCHED: the upcall return path checks need_resched. */
}

void send_ipi(unsigned cpu, enum ipi_kind kind)
{
    struct percpu *pc = per_cpu(cpu);
    atomic_or(&pc->ipi_pending, 1UL << kind);
    xen_evtchn_send(pc->ipi_port);
}

#define CALL_TIMEOUT_NS 2000000000ULL

static bool post_call(unsigned cpu, struct call_data *cd, uint64_t deadline)
{
    for (;;) {
        struct call_data *expect = NULL;
        if (atomic_cas(&call_mailbox[cpu], &expect, cd)) {
            send_ipi(cpu, IPI_CALL);
            return true;
        }
        if (xen_system_time() > deadline)
            return false;
        cpu_relax();
    }
}

static int wait_calls(struct call_data *cd, uint64_t deadline)
{
    while (atomic_load(&cd->pending) > 0 && xen_system_time() < deadline)
        cpu_relax();
    return atomic_load(&cd->pending);
}

int call_on_cpu(unsigned cpu, void (*fn)(void *), void *arg)
{
    if (cpu >= nr_cpus || !cpumask_test(&cpu_online_mask, cpu))
        return -EINVAL;
    if (cpu == smp_processor_id()) {
        fn(arg);
        return 0;
    }
    /* Heap, not stack: a call that times out may still run later. */
    struct call_data *cd = kmalloc(sizeof(*cd));
    if (!cd)
        return -12;
    cd->fn = fn;
    cd->arg = arg;
    cd->pending = 1;
    uint64_t deadline = xen_system_time() + CALL_TIMEOUT_NS;
    if (!post_call(cpu, cd, deadline) || wait_calls(cd, deadline)) {
        pr_err("smp: call to cpu %u (vcpu %u) timed out", cpu, cpu_to_vcpu(cpu));
        return -ETIMEDOUT;    /* cd deliberately leaked */
    }
    kfree(cd);
    return 0;
}

int call_on_all(void (*fn)(void *), void *arg)
{
    struct call_data *cd = kmalloc(sizeof(*cd));
    if (!cd)
        return -12;
    cd->fn = fn;
    cd->arg = arg;
    unsigned me = smp_processor_id();
    uint64_t deadline = xen_system_time() + CALL_TIMEOUT_NS;
    int posted = 0, failed = 0;
    for_each_cpu(c, &cpu_online_mask) {
        if (c == me)
            continue;
        atomic_add(&cd->pending, 1);
        if (post_call(c, cd, deadline))
            posted++;
        else {
            atomic_sub(&cd->pending, 1);
            failed++;
        }
    }
    fn(arg);
    failed += wait_calls(cd, deadline);
    if (failed)
        pr_err("smp: call_on_all: %d cpu(s) did not answer", failed);
    else
        kfree(cd);
    return failed;
}

static void timer_handler(uint32_t port, void *arg)
{
    (void)port;
    struct percpu *pc = arg;
    pc->timer_fired++;
    if (timer_hook)
        timer_hook();
}

int timer_arm(uint64_t deadline_ns)
{
    struct percpu *pc = this_cpu();
    struct vcpu_set_singleshot_timer t = {
        .timeout_abs_ns = deadline_ns,
        .flags = VCPU_SSHOTTMR_future,
    };
    pc->timer_deadline = deadline_ns;
    /* Xen: with _future, a deadline already past is refused with -ETIME. */
    long rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, pc->vcpu_id, &t);
    if (rc == -ETIME) {
        t.timeout_abs_ns = xen_system_time() + 1000;
        t.flags = 0;
        rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, pc->vcpu_id, &t);
    }
    return (int)rc;
}

/* Per-cpu event setup, run by each cpu on itself. */
static int cpu_events_init(struct percpu *pc)
{
    /* Xen gives PV vCPUs a 10 ms periodic tick by default; we are tickless. */
    hypercall_vcpu_op(VCPUOP_stop_periodic_timer, pc->vcpu_id, NULL);
    int rc = xen_bind_virq(VIRQ_TIMER, pc, timer_handler, pc, &pc->timer_port);
    if (rc)
        return rc;
    return xen_bind_ipi(pc, ipi_handler, pc, &pc->ipi_port);
}

/* ---- bring-up ---- */

static volatile int smp_go;
static uint64_t bringup_start_ns;
static volatile uint64_t online_at[NR_CPUS];
static void ap_start_children(unsigned cpu);
bool (*vcpu_available_hook)(unsigned vcpu_id);
static struct cpumask unavailable;      /* left OFFLINE at boot by vcpu_available_hook */

static bool cpu_wanted(unsigned cpu)
{
    if (!vcpu_available_hook || vcpu_available_hook(cpu_to_vcpu(cpu)))
        return true;
    cpumask_set(&unavailable, cpu);
    return false;
}

static void __noreturn ap_main(struct percpu *pc)
{
    arch_traps_init_cpu();
    int rc = cpu_events_init(pc);
    int expect = CPU_STARTING;
    if (rc || !atomic_cas(&pc->state, &expect, CPU_ONLINE)) {
        /* Timed out meanwhile (FAILED) or could not bind: park this vCPU. */
        if (rc) {
            pc->fail_code = rc;
            atomic_store(&pc->state, CPU_FAILED);
        }
        for (;;)
            hypercall_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
    }
    online_at[pc->cpu] = xen_system_time();
    cpumask_set(&cpu_online_mask, pc->cpu);
    irq_enable();
    if (opt_bringup == BRINGUP_TREE)
        ap_start_children(pc->cpu);
    /* GO barrier: hold until the boot cpu allows work. */
    while (!atomic_load(&smp_go)) {
        irq_disable();
        if (!atomic_load(&smp_go))
            hypercall_sched_op(SCHEDOP_block, NULL);
        irq_enable();
    }
    sched_idle_loop();
}

static void ap_entry_c(void *arg);
static void ap_entry_c(void *arg)
{
    ap_main(arg);
}

/* Time one hypercall into *acc (ns of Xen system time). */
#define TIMED(acc, call) ({ uint64_t t0_ = xen_system_time(); long r_ = (call); \
                            *(acc) += xen_system_time() - t0_; r_; })

/*
 * Start one AP whose stack is ready.  Runs on the boot cpu (flat) or on an
 * online AP (tree); ctxt is the caller's own buffer.  Adds the time spent in
 * hypercalls to *hcall_ns.
 */
static int start_cpu(unsigned cpu, struct vcpu_guest_context *ctxt, uint64_t *hcall_ns)
{
    struct percpu *pc = per_cpu(cpu);
    unsigned vcpu = cpu_to_vcpu(cpu);
    int rc;

    if (!pc->stack_top) {
        rc = -12;
        goto fail;
    }
    /* Xen rule: vCPUs >= 32 must register vcpu_info before VCPUOP_initialise.
     * It can be done once per vCPU only: a retry after a failure skips it. */
    if (pc->vcpu_info != &pc->vi) {
        rc = (int)TIMED(hcall_ns, xen_register_vcpu_info(pc));
        if (rc)
            goto fail;
    }

    memset(ctxt, 0, sizeof(*ctxt));
    ctxt->flags = VGCF_in_kernel;
    ctxt->user_regs.rip = (unsigned long)arch_ap_entry;
    ctxt->user_regs.rsp = pc->stack_top;
    ctxt->user_regs.rdi = (unsigned long)pc;
    ctxt->user_regs.rsi = (unsigned long)ap_entry_c;
    ctxt->user_regs.cs = FLAT_KERNEL_CS;
    ctxt->user_regs.ss = FLAT_KERNEL_SS;
    ctxt->user_regs.rflags = 0;
    ctxt->kernel_ss = FLAT_KERNEL_SS;
    ctxt->kernel_sp = pc->stack_top;
    ctxt->event_callback_eip = (unsigned long)arch_event_entry;
    ctxt->failsafe_callback_eip = (unsigned long)arch_failsafe_entry;
    ctxt->gs_base_kernel = (unsigned long)pc;
    /* Same page tables as the boot cpu: cr3 holds the L4's machine frame. */
    ctxt->ctrlreg[3] = (unsigned long)virt_to_mfn((void *)xen_start_info->pt_base) << PAGE_SHIFT;
    if (vcpu == opt_fail_vcpu)
        ctxt->ctrlreg[3] = 0;       /* Xen rejects a context with no valid L4 */

    atomic_store(&pc->state, CPU_STARTING);
    rc = (int)TIMED(hcall_ns, hypercall_vcpu_op(VCPUOP_initialise, vcpu, ctxt));
    if (rc)
        goto fail;
    pc->initialised = true;
    rc = (int)TIMED(hcall_ns, hypercall_vcpu_op(VCPUOP_up, vcpu, NULL));
    if (rc)
        goto fail;
    return 0;
fail:
    pc->fail_code = rc;
    atomic_store(&pc->state, CPU_FAILED);
    return rc;
}

static void ap_start_children(unsigned cpu)
{
    struct vcpu_guest_context *ctxt = kmalloc(sizeof(*ctxt));
    uint64_t hcall = 0;
    for (unsigned child = 2 * cpu + 1; child <= 2 * cpu + 2 && child < nr_cpus; child++) {
        if (!cpu_wanted(child))
            continue;
        if (!ctxt) {
            per_cpu(child)->fail_code = -12;
            atomic_store(&per_cpu(child)->state, CPU_FAILED);
            continue;
        }
        start_cpu(child, ctxt, &hcall);
    }
    kfree(ctxt);
}

void smp_bringup(void)
{
    struct percpu *bsp = this_cpu();
    int rc = cpu_events_init(bsp);
    if (rc)
        panic("smp: boot cpu event channels: %d", rc);
    bsp->state = CPU_ONLINE;
    cpumask_set(&cpu_online_mask, 0);
    irq_enable();

    if (nr_vcpus > nr_cpus) {
        pr_warn("smp: %u vCPUs, using %u: %u left out (%s)", nr_vcpus, nr_cpus,
                nr_vcpus - nr_cpus, opt_nr_cpus < nr_vcpus ? "nr_cpus= limit" : "NR_CPUS limit");
        for (unsigned v = 0; v < nr_vcpus; v++)
            if (vcpu_to_cpu(v) < 0)
                pr_warn("smp: vcpu %u left out (%s)", v,
                        opt_nr_cpus < nr_vcpus ? "nr_cpus= limit" : "NR_CPUS limit");
    }

    struct vcpu_guest_context *ctxt = kmalloc(sizeof(*ctxt));
    if (!ctxt)
        panic("smp: no memory for a vCPU context");
    /* Stacks first, so the timed part is the hypercalls and the APs' own setup. */
    for (unsigned c = 1; c < nr_cpus; c++)
        per_cpu(c)->stack_top = stack_alloc(STACK_PAGES);

    bringup_start_ns = xen_system_time();
    uint64_t hcall = 0;
    unsigned last_direct = opt_bringup == BRINGUP_FLAT ? nr_cpus - 1 : 2;
    for (unsigned c = 1; c <= last_direct && c < nr_cpus; c++)
        if (cpu_wanted(c))
            start_cpu(c, ctxt, &hcall);
    kfree(ctxt);
    smp_boot_hcall_ns = hcall;

    /* Bounded wait: STARTING past the deadline becomes FAILED; others carry on. */
    uint64_t deadline = bringup_start_ns + opt_smp_timeout_ms * 1000000ULL;
    for (;;) {
        unsigned starting = 0, offline = 0;
        for (unsigned c = 1; c < nr_cpus; c++) {
            int s = atomic_load(&per_cpu(c)->state);
            starting += s == CPU_STARTING;
            /* tree: parent not up yet; an unavailable vCPU stays OFFLINE on purpose */
            offline += s == CPU_OFFLINE && !cpumask_test(&unavailable, c);
        }
        if (!starting && !offline)
            break;
        if (xen_system_time() > deadline) {
            for (unsigned c = 1; c < nr_cpus; c++) {
                int s = CPU_STARTING;
                if (atomic_cas(&per_cpu(c)->state, &s, CPU_FAILED) ||
                    (!cpumask_test(&unavailable, c) &&
                     (s = CPU_OFFLINE, atomic_cas(&per_cpu(c)->state, &s, CPU_FAILED))))
                    per_cpu(c)->fail_code = -ETIMEDOUT;
            }
            break;
        }
        cpu_relax();
    }

    uint64_t last = bringup_start_ns;
    unsigned online = 1;
    for (unsigned c = 1; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        if (pc->state == CPU_ONLINE) {
            online++;
            last = MAX(last, online_at[c]);
        } else if (cpumask_test(&unavailable, c)) {
            printk("smp: cpu %u (vcpu %u) left offline: not available (xenstore)", c, pc->vcpu_id);
        } else {
            pr_err("smp: cpu %u (vcpu %u) %s: %s %d", c, pc->vcpu_id, cpu_state_name(pc->state),
                   pc->fail_code == -ETIMEDOUT ? "not ONLINE within smp_timeout_ms, error"
                                               : "Xen error", pc->fail_code);
        }
    }
    smp_bringup_ns = nr_cpus > 1 ? last - bringup_start_ns : 0;
    printk("smp: %u of %u vCPUs online in %llu us (boot cpu hypercalls %llu us, %s bring-up)",
           online, nr_vcpus, (unsigned long long)(smp_bringup_ns / 1000),
           (unsigned long long)(smp_boot_hcall_ns / 1000), bringup_names[opt_bringup]);
    atomic_store(&smp_go, 1);
    for_each_cpu(c, &cpu_online_mask)
        if (c != 0)
            send_ipi(c, IPI_RESCHED);
}

void smp_stop_others(void)
{
    if (!per_cpu(smp_processor_id())->ipi_port)
        return;             /* too early: no other cpu runs */
    unsigned me = smp_processor_id();
    for_each_cpu(c, &cpu_online_mask)
        if (c != me)
            send_ipi(c, IPI_STOP);
    /* Bounded: wait up to 1 s (Xen time) for them to go down so output stays whole. */
    uint64_t deadline = xen_system_time() + 1000000000ULL;
    while (cpumask_weight(&cpu_online_mask) > 1 && xen_system_time() < deadline)
        cpu_relax();
}

/* ---- hotplug ---- */

#define EBUSY 16
#define HOTPLUG_TIMEOUT_NS 5000000000ULL
static void (*notifiers[8])(unsigned cpu, bool up);
static spinlock_t hotplug_lock = SPINLOCK_INIT;

/* Check cpu, then one hotplug operation at a time; a second caller yields, bounded. */
static int hotplug_enter(unsigned cpu)
{
    if (cpu >= nr_cpus)
        return -EINVAL;
    uint64_t deadline = xen_system_time() + 2 * HOTPLUG_TIMEOUT_NS;
    while (!spin_trylock(&hotplug_lock)) {
        if (xen_system_time() > deadline)
            return -EBUSY;
        thread_yield();
    }
    return 0;
}

static bool went_down(struct percpu *pc)
{
    return atomic_load(&pc->state) == CPU_OFFLINE &&
           hypercall_vcpu_op(VCPUOP_is_up, pc->vcpu_id, NULL) == 0;
}

static bool came_up(struct percpu *pc)
{
    int s = atomic_load(&pc->state);
    return s == CPU_ONLINE || s == CPU_FAILED;
}

/* Wait (HOTPLUG_TIMEOUT_NS at most) for done(pc), letting other threads run. */
static int hotplug_wait(struct percpu *pc, bool (*done)(struct percpu *))
{
    uint64_t deadline = xen_system_time() + HOTPLUG_TIMEOUT_NS;
    while (!done(pc)) {
        if (xen_system_time() > deadline)
            return -ETIMEDOUT;
        thread_yield();
    }
    return 0;
}

int cpu_hotplug_notify_register(void (*fn)(unsigned cpu, bool up))
{
    for (unsigned i = 0; i < ARRAY_SIZE(notifiers); i++) {
        void (*expect)(unsigned, bool) = NULL;
        if (atomic_cas(&notifiers[i], &expect, fn))
            return 0;
    }
    return -12;
}

static void notify(unsigned cpu, bool up)
{
    for (unsigned i = 0; i < ARRAY_SIZE(notifiers); i++)
        if (notifiers[i])
            notifiers[i](cpu, up);
}

unsigned first_online_cpu(void)
{
    for_each_cpu(c, &cpu_online_mask)
        return c;
    return 0;
}

/* Undo cpu_events_init on this cpu: no timer, no channels bound to a dead vCPU. */
static void cpu_events_teardown(struct percpu *pc)
{
    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, pc->vcpu_id, NULL);
    xen_evtchn_close(pc->timer_port);
    xen_evtchn_close(pc->ipi_port);
    pc->timer_port = pc->ipi_port = 0;
    pc->ipi_pending = 0;
}

void cpu_play_dead(void)
{
    struct percpu *pc = this_cpu();
    irq_disable();
    sched_cpu_down(pc->cpu);
    cpu_events_teardown(pc);
    atomic_store(&pc->state, CPU_OFFLINE);
    pc->want_down = false;
    /*
     * VCPUOP_down on ourselves: Xen deschedules us here.  A later VCPUOP_up
     * (without a new VCPUOP_initialise) resumes right after the call, on
     * this stack, so from here on everything per-cpu is redone: the old
     * kernel's or our own earlier state is not trusted.
     */
    while (atomic_load(&pc->state) != CPU_STARTING)
        hypercall_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
    arch_set_percpu(pc);
    arch_traps_init_cpu();
    int rc = cpu_events_init(pc);
    if (rc) {
        pc->fail_code = rc;
        atomic_store(&pc->state, CPU_FAILED);
        for (;;)
            hypercall_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
    }
    sched_cpu_up(pc->cpu);
    online_at[pc->cpu] = xen_system_time();
    cpumask_set(&cpu_online_mask, pc->cpu);
    atomic_store(&pc->state, CPU_ONLINE);
    irq_enable();
}

int cpu_down(unsigned cpu)
{
    int rc = hotplug_enter(cpu);
    if (rc)
        return rc;
    struct percpu *pc = per_cpu(cpu);
    if (!cpumask_test(&cpu_online_mask, cpu)) {
        rc = -EINVAL;
        goto out;
    }
    if (cpumask_weight(&cpu_online_mask) == 1) {
        pr_warn("smp: cpu %u is the last online cpu: not taking it down", cpu);
        rc = -EBUSY;
        goto out;
    }
    /* Duties first, while the cpu can still answer. */
    cpumask_clear(&cpu_online_mask, cpu);
    notify(cpu, false);
    pc->want_down = true;
    if (cpu == smp_processor_id())
        sched_yield_cpu();      /* we must leave first: its idle thread takes it down */
    else
        send_ipi(cpu, IPI_RESCHED);
    /* Return only once Xen agrees, so a caller's report matches xl vcpu-list. */
    rc = hotplug_wait(pc, went_down);
    if (rc) {
        pr_err("smp: cpu %u (vcpu %u) did not go down within 5 s", cpu, pc->vcpu_id);
        goto out;
    }
    printk("smp: cpu %u (vcpu %u) offline", cpu, pc->vcpu_id);
out:
    spin_unlock(&hotplug_lock);
    return rc;
}

int cpu_up(unsigned cpu)
{
    int rc = hotplug_enter(cpu);
    if (rc)
        return rc;
    struct percpu *pc = per_cpu(cpu);
    if (cpumask_test(&cpu_online_mask, cpu) || pc->state == CPU_ONLINE) {
        rc = -EINVAL;
        goto out;
    }
    if (!pc->initialised) {
        /* Never started (unavailable at boot, or FAILED): the full start. */
        struct vcpu_guest_context *ctxt = kmalloc(sizeof(*ctxt));
        uint64_t hcall = 0;
        if (!pc->stack_top)
            pc->stack_top = stack_alloc(STACK_PAGES);
        rc = ctxt ? start_cpu(cpu, ctxt, &hcall) : -12;
        kfree(ctxt);
    } else {
        atomic_store(&pc->state, CPU_STARTING);
        rc = (int)hypercall_vcpu_op(VCPUOP_up, pc->vcpu_id, NULL);
    }
    if (rc)
        goto fail;
    rc = hotplug_wait(pc, came_up);
    if (!rc && pc->state == CPU_FAILED)
        rc = pc->fail_code;
    if (rc)
        goto fail;
    cpumask_clear(&unavailable, cpu);
    spin_unlock(&hotplug_lock);
    notify(cpu, true);
    printk("smp: cpu %u (vcpu %u) online", cpu, pc->vcpu_id);
    return 0;
fail:
    pr_err("smp: cpu %u (vcpu %u) did not come up: %d", cpu, pc->vcpu_id, rc);
    pc->fail_code = rc;
    atomic_store(&pc->state, CPU_FAILED);
out:
    spin_unlock(&hotplug_lock);
    return rc;
}
