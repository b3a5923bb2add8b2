/* SPDX-License-Identifier: MIT */
/*
 * Suite "topo": the synthesized topology is consistent.  APIC IDs are
 * recomputed here from the counts alone (SDM: each field as wide as the
 * next power of two of its count), independently of kernel/lib/topo_layout.c.
 */
#include <kernel/test.h>
#include <kernel/cpu_topology.h>
#include <kernel/topo_layout.h>
#include <kernel/smp.h>

static uint32_t width(uint32_t count)
{
    uint32_t w = 0;
    while ((1ULL << w) < count)
        w++;
    return w;
}

static void topo_suite(void)
{
    const struct topo_layout *l = cpu_topology_layout();
    ktap_begin(6);

    uint64_t slots = (uint64_t)l->sockets * l->dies * l->cores * l->threads;
    CHECK(slots == nr_vcpus, "layout has exactly one slot per vCPU",
          "%llu slots for %u vCPUs", (unsigned long long)slots, nr_vcpus);

    unsigned boots = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        boots += cpu_topo[c].boot_cpu;
    CHECK(boots == 1 && cpu_topo[0].boot_cpu, "boot-CPU flag on the boot cpu only",
          "%u cpus flagged, cpu 0 %s", boots, cpu_topo[0].boot_cpu ? "yes" : "no");

    uint32_t sw = width(l->threads), cw = width(l->cores), dw = width(l->dies);
    unsigned bad = 0;
    for (unsigned c = 0; c < nr_cpus; c++) {
        const struct cpu_topo *t = &cpu_topo[c];
        /* The vCPU's linear slot is its Xen vcpu id: thread fastest, then core, die, package. */
        uint32_t v = cpu_to_vcpu(c);
        uint32_t th = v % l->threads, co = v / l->threads % l->cores,
                 di = v / (l->threads * l->cores) % l->dies,
                 pk = v / (l->threads * l->cores * l->dies);
        uint32_t want = th | co << sw | di << (sw + cw) | pk << (sw + cw + dw);
        if (t->apic_id != want || t->thread != th || t->core != co || t->die != di || t->pkg != pk) {
            if (bad++ < 4)
                pr_err("topo: cpu %u vcpu %u apic %u want %u", c, v, t->apic_id, want);
        }
    }
    CHECK(!bad, "APIC IDs follow the SDM packing (power-of-two field widths)", "%u wrong", bad);
    CHECK(l->core_shift == sw && l->die_shift == sw + cw && l->pkg_shift == sw + cw + dw,
          "level shifts are the field widths", "shifts %u/%u/%u want %u/%u/%u", l->core_shift,
          l->die_shift, l->pkg_shift, sw, sw + cw, sw + cw + dw);

    unsigned dup = 0, asym = 0;
    for (unsigned a = 0; a < nr_cpus; a++) {
        for (unsigned b = a + 1; b < nr_cpus; b++) {
            dup += cpu_topo[a].apic_id == cpu_topo[b].apic_id;
            bool same_core = cpu_topo[a].pkg == cpu_topo[b].pkg && cpu_topo[a].die == cpu_topo[b].die &&
                             cpu_topo[a].core == cpu_topo[b].core;
            asym += cpumask_test(&cpu_topo[a].smt_siblings, b) != same_core ||
                    cpumask_test(&cpu_topo[b].smt_siblings, a) != same_core ||
                    cpumask_test(&cpu_topo[a].core_siblings, b) != (cpu_topo[a].pkg == cpu_topo[b].pkg);
        }
    }
    CHECK(!dup, "APIC IDs unique", "%u duplicates", dup);
    CHECK(!asym, "sibling masks match the ids and are symmetric", "%u mismatches", asym);
}
GUEST_SUITE(topo, "topo", "synthetic APIC topology", topo_suite);
