/* SPDX-License-Identifier: MIT */
/* The cpu <-> vcpu id map and the checked cpu state changes (include/kernel/cpu.h). */
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>

unsigned nr_cpus = 1, nr_vcpus = 1, boot_vcpu_id;
struct cpumask cpu_online_mask;

static uint16_t cpu_to_vcpu_map[NR_CPUS];
/* vcpu id -> cpu + 1 (0 = unused). */
static uint16_t vcpu_to_cpu_map[MAX_VCPU_ID];

static uint64_t opt_nr_cpus = NR_CPUS;
KOPT_UINT(nr_cpus, "nr_cpus", opt_nr_cpus, 1, NR_CPUS, "use at most this many vCPUs");
#define ORDERS(X) X(IDENTITY, "identity") X(REVERSE, "reverse") X(INTERLEAVE, "interleave")
#define ORDER_ENUM(e, name) ORDER_##e,
#define ORDER_NAME(e, name) name,
enum { ORDERS(ORDER_ENUM) };
static const char *const order_names[] = { ORDERS(ORDER_NAME) NULL };
static int opt_cpu_order = ORDER_IDENTITY;
KOPT_ENUM(cpu_order, "cpu_order", opt_cpu_order, order_names,
          "logical numbering of the APs: identity | reverse | interleave");

/* ---- states ---- */

#define B(s) (1u << (s))
/* edges[from]: the states `from` may go to (the diagram in include/kernel/cpu.h). */
static const uint8_t edges[CPU_NR_STATES] = {
    [CPU_OFFLINE]  = B(CPU_STARTING) | B(CPU_FAILED) | B(CPU_LOST),
    [CPU_STARTING] = B(CPU_ONLINE) | B(CPU_FAILED) | B(CPU_LOST),
    [CPU_ONLINE]   = B(CPU_DYING) | B(CPU_OFFLINE) | B(CPU_LOST),
    [CPU_DYING]    = B(CPU_OFFLINE) | B(CPU_LOST),
    [CPU_FAILED]   = B(CPU_STARTING) | B(CPU_LOST),
    [CPU_LOST]     = 0,
};

const char *cpu_state_name(int s)
{
#define NAME(s) #s,
    static const char *const n[] = { CPU_STATES(NAME) };
#undef NAME
    return s >= 0 && s < CPU_NR_STATES ? n[s] : "?";
}

static void check_edge(const struct percpu *pc, int from, int to)
{
    if (from < 0 || from >= CPU_NR_STATES || to < 0 || to >= CPU_NR_STATES ||
        !(edges[from] & B(to)))
        panic("cpu %u (vcpu %u): state %s -> %s is not an edge of the cpu state diagram",
              pc->cpu, pc->vcpu_id, cpu_state_name(from), cpu_state_name(to));
}

bool cpu_state_cas(struct percpu *pc, enum cpu_state from, enum cpu_state to)
{
    check_edge(pc, (int)from, (int)to);
    int expect = (int)from;
    return atomic_cas(&pc->state, &expect, (int)to);
}

void cpu_state_set(struct percpu *pc, enum cpu_state to)
{
    int cur = atomic_load(&pc->state);
    do
        check_edge(pc, cur, (int)to);
    while (!atomic_cas(&pc->state, &cur, (int)to));
}

/* ---- the map ---- */

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

static bool must_use(const unsigned long *must, unsigned v)
{
    return must && (must[v / 64] >> (v % 64)) & 1;
}

void cpu_map_init(unsigned boot_vcpu, const unsigned long *must)
{
    boot_vcpu_id = boot_vcpu;
    nr_vcpus = probe_vcpus();
    if (boot_vcpu >= nr_vcpus)
        panic("cpu: boot vcpu %u but the domain has %u vCPUs", boot_vcpu, nr_vcpus);
    unsigned want = (unsigned)MIN((uint64_t)nr_vcpus, MIN(opt_nr_cpus, (uint64_t)NR_CPUS));
    unsigned needed = 1;
    for (unsigned v = 0; v < nr_vcpus; v++)
        needed += v != boot_vcpu && must_use(must, v);
    if (needed > want) {
        /* The vCPUs an earlier kernel ran still hold its page tables until they come over. */
        pr_warn("cpu: nr_cpus=%u is below the %u vCPUs the previous kernel used: using %u",
                want, needed, MIN(needed, (unsigned)NR_CPUS));
        want = MIN(needed, (unsigned)NR_CPUS);
    }
    nr_cpus = want;

    /*
     * The whole map, now, before any per-cpu preparation: cpu 0 is the boot
     * vCPU; the APs are the vCPUs we must use plus the lowest others, numbered
     * in cpu_order.
     */
    static unsigned aps[NR_CPUS];   /* boot cpu only, once per boot */
    unsigned m = 0;
    for (unsigned v = 0; v < nr_vcpus && m < nr_cpus - 1; v++)
        if (v != boot_vcpu && must_use(must, v))
            aps[m++] = v;
    for (unsigned v = 0; v < nr_vcpus && m < nr_cpus - 1; v++)
        if (v != boot_vcpu && !must_use(must, v))
            aps[m++] = v;
    /* Ascending, so cpu_order permutes a sorted list (insertion sort: m <= 255). */
    for (unsigned i = 1; i < m; i++)
        for (unsigned j = i; j > 0 && aps[j - 1] > aps[j]; j--) {
            unsigned t = aps[j];
            aps[j] = aps[j - 1];
            aps[j - 1] = t;
        }
    cpu_to_vcpu_map[0] = (uint16_t)boot_vcpu;
    for (unsigned k = 0; k < m; k++)
        cpu_to_vcpu_map[k + 1] = (uint16_t)aps[order_index(k, m)];
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        vcpu_to_cpu_map[cpu_to_vcpu_map[c]] = (uint16_t)(c + 1);
        pc->self = pc;              /* %gs:0, before the AP's first instruction */
        pc->cpu = c;
        pc->vcpu_id = cpu_to_vcpu_map[c];
        pc->state = c ? CPU_OFFLINE : CPU_STARTING;
    }
}

unsigned first_online_cpu(void)
{
    for_each_cpu(c, &cpu_online_mask)
        return c;
    return 0;
}
