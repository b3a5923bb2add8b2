/* SPDX-License-Identifier: MIT */
/*
 * The synthesized topology of the domain, and each logical cpu's place in
 * it.  Slots are Xen vcpu ids (a vCPU keeps its APIC ID whatever logical
 * number it gets, whichever vCPU we booted on, across hotplug); the layout
 * always covers every vCPU the domain has (nr_vcpus), never fewer.
 */
#include <kernel/cpu_topology.h>
#include <kernel/topo_layout.h>
#include <kernel/cmdline.h>
#include <kernel/kernel.h>
#include <kernel/smp.h>
#include <arch/cpuid.h>
#include <minipv/string.h>

struct cpu_topo cpu_topo[NR_CPUS];
static struct topo_layout layout;
static const char *const src_names[] = {
    [TOPO_SRC_DEFAULT] = "default", [TOPO_SRC_CMDLINE] = "cmdline",
    [TOPO_SRC_CPUID] = "CPUID", [TOPO_SRC_ADJUSTED] = "adjusted request",
};

static char opt_topology[64];
KOPT_STR(topology, "topology", opt_topology,
         "synthetic topology, e.g. 2s3c2t, 2s2d4c2t or sockets=2,cores=3,threads=2");

/* Subleaf 0 of a usable 0xB/0x1F has a non-zero level type (and count). */
static bool ext_leaf_ok(void (*cpuid)(uint32_t, uint32_t, uint32_t *), uint32_t max,
                        uint32_t leaf)
{
    uint32_t r[4];

    if (max < leaf)
        return false;
    cpuid(leaf, 0, r);
    return ((r[2] >> 8) & 0xff) != 0 && (r[1] & 0xffff) != 0;
}

static void cpuid_topo(struct topo_cpuid *c, bool pv)
{
    void (*cpuid)(uint32_t, uint32_t, uint32_t *) = pv ? arch_cpuid_pv : arch_cpuid;
    uint32_t r[4], max, max_ext;
    bool amd;

    *c = (struct topo_cpuid){ 0 };
    cpuid(0, 0, r);
    max = r[0];
    /* "AuthenticAMD" / "HygonGenuine": EBX is "Auth" / "Hygo" */
    amd = r[1] == 0x68747541 || r[1] == 0x6f677948;

    cpuid(1, 0, r);
    c->leaf1_ebx = r[1];
    c->leaf1_edx = r[3];
    if (max >= 4) {
        cpuid(4, 0, r);
        c->has_leaf4 = (r[0] & 0x1f) != 0;     /* cache type 0 = leaf unusable */
        c->leaf4_eax = r[0];
    }

    c->ext_leaf = ext_leaf_ok(cpuid, max, 0x1f) ? 0x1f :
                  ext_leaf_ok(cpuid, max, 0xb) ? 0xb : 0;
    if (c->ext_leaf) {
        for (uint32_t i = 0; i < TOPO_CPUID_LEVELS; i++) {
            cpuid(c->ext_leaf, i, r);
            c->level[i].eax = r[0];
            c->level[i].ebx = r[1];
            c->level[i].ecx = r[2];
            c->nr_levels = i + 1;
            if (!((r[2] >> 8) & 0xff))
                break;
        }
    }

    cpuid(0x80000000, 0, r);
    max_ext = r[0];
    if (amd && max_ext >= 0x8000001e) {
        cpuid(0x80000001, 0, r);
        if (r[2] & (1u << 22)) {                /* TOPOEXT */
            cpuid(0x8000001e, 0, r);
            c->has_amd_ext = true;
            c->amd_8000001e_ebx = r[1];
        }
    }
}

static void describe_cpuid(const char *how, bool pv)
{
    struct topo_cpuid raw;
    struct topo_request r;
    char why[160];
    cpuid_topo(&raw, pv);
    if (topo_from_cpuid(&raw, &r, why, sizeof(why)))
        printk("topology: %s CPUID: no usable topology (%s)", how, why);
    else
        printk("topology: %s CPUID: leaf %#x, %u dies, %u cores, %u threads per core "
               "(leaf 1 EBX %#x)", how, raw.ext_leaf, r.dies, r.cores, r.threads, raw.leaf1_ebx);
}

/* CPUID's view, used only if it describes exactly nr_vcpus vCPUs. */
static bool cpuid_hint(struct topo_request *hint)
{
    struct topo_cpuid raw;
    char why[160];
    /* Plain CPUID in a PV guest may see the host; report both, trust only Xen's policy. */
    describe_cpuid("plain", false);
    describe_cpuid("PV (forced emulation)", true);
    cpuid_topo(&raw, true);
    if (topo_from_cpuid(&raw, hint, why, sizeof(why))) {
        printk("topology: CPUID gives no usable topology (%s)", why);
        return false;
    }
    struct topo_layout l;
    char msg[200];
    if (topo_fit(nr_vcpus, NULL, hint, &l, msg, sizeof(msg))) {
        printk("topology: CPUID topology does not fit %u vCPUs, not used (%s)", nr_vcpus, msg);
        return false;
    }
    return true;
}

enum topo_dist cpu_topo_level(unsigned a, unsigned b)
{
    if (a == b)
        return TOPO_SELF;
    uint32_t va = cpu_to_vcpu(a), vb = cpu_to_vcpu(b);
    if (topo_same_core(&layout, va, vb))
        return TOPO_SMT;
    if (topo_same_die(&layout, va, vb))
        return TOPO_DIE;
    if (topo_same_pkg(&layout, va, vb))
        return TOPO_PKG;
    return TOPO_OTHER;
}

const struct topo_layout *cpu_topology_layout(void) { return &layout; }

void cpu_topology_init(void)
{
    struct topo_request req, hint;
    bool have_req = false, have_hint = false;
    char msg[256];

    if (opt_topology[0]) {
        if (topo_parse(opt_topology, &req, msg, sizeof(msg)))
            pr_warn("%s; ignored", msg);
        else
            have_req = true;
    }
    if (!have_req)
        have_hint = cpuid_hint(&hint);
    /* The vCPU count always wins: topo_fit adjusts the request to it and says so. */
    if (topo_fit(nr_vcpus, have_req ? &req : NULL, have_hint ? &hint : NULL, &layout, msg,
                 sizeof(msg)))
        pr_warn("%s", msg);

    for (unsigned c = 0; c < nr_cpus; c++) {
        struct topo_ids ids;
        struct cpu_topo *t = &cpu_topo[c];
        if (!topo_ids(&layout, cpu_to_vcpu(c), &ids))
            panic("topology: vcpu %u has no slot in a %u-vCPU layout", cpu_to_vcpu(c), nr_vcpus);
        t->apic_id = ids.apic_id;
        t->pkg = ids.pkg;
        t->die = ids.die;
        t->core = ids.core;
        t->thread = ids.thread;
        /* The boot flag follows the vCPU we booted on (cpu 0), never APIC ID 0. */
        t->boot_cpu = c == 0;
        cpumask_zero(&t->smt_siblings);
        cpumask_zero(&t->core_siblings);
    }
    for (unsigned a = 0; a < nr_cpus; a++) {
        for (unsigned b = 0; b < nr_cpus; b++) {
            enum topo_dist lv = cpu_topo_level(a, b);
            if (lv <= TOPO_SMT)
                cpumask_set(&cpu_topo[a].smt_siblings, b);
            if (lv <= TOPO_PKG)
                cpumask_set(&cpu_topo[a].core_siblings, b);
        }
    }
}

/* lscpu-style report; also the shell's `topo` command. */
void cpu_topology_report(void)
{
    char name[48];
    topo_format(&layout, name, sizeof(name));
    printk("topology: %s from %s for %u vCPUs: sockets %u, dies per socket %u, "
           "cores per die %u, threads per core %u", name, src_names[layout.source], nr_vcpus,
           layout.sockets, layout.dies, layout.cores, layout.threads);
    printk("topology: threads per core %u, cores per package %u, %u CPUs", layout.threads,
           layout.dies * layout.cores, nr_vcpus);
    struct topo_level lv[5];
    for (uint32_t leaf = 0xb; leaf <= 0x1f; leaf += 0x14) {
        int n = topo_levels(&layout, leaf, lv);
        char line[160];
        size_t len = (size_t)snprintf(line, sizeof(line), "topology: leaf %#x:", leaf);
        for (int i = 0; i < n && len < sizeof(line); i++)
            len += (size_t)snprintf(line + len, sizeof(line) - len, " %s shift %u",
                                    lv[i].type == TOPO_LVL_SMT ? "SMT" :
                                    lv[i].type == TOPO_LVL_CORE ? "CORE" : "DIE", lv[i].shift);
        printk("%s", line);
    }
    printk("topology: cpu vcpu apic  pkg die core thread state");
    for (unsigned c = 0; c < nr_cpus; c++) {
        const struct cpu_topo *t = &cpu_topo[c];
        printk("topology: %3u %4u %4u %4u %3u %4u %6u %s%s", c, cpu_to_vcpu(c), t->apic_id,
               t->pkg, t->die, t->core, t->thread, cpu_state_name(per_cpu(c)->state),
               t->boot_cpu ? " boot" : "");
    }
}
