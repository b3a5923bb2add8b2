/* SPDX-License-Identifier: MIT */
/*
 * The synthesized topology of each logical cpu (kernel/cpu/topology.c builds it
 * from kernel/lib/topo_layout.c's layout at boot and after hotplug).
 */
#ifndef KERNEL_CPU_TOPOLOGY_H
#define KERNEL_CPU_TOPOLOGY_H
#include <minipv/compiler.h>
#include <kernel/cpumask.h>

struct cpu_topo {
    uint32_t apic_id;                  /* x2APIC id, SDM packing */
    uint32_t pkg, die, core, thread;   /* ids within the parent level */
    bool boot_cpu;                     /* set on the boot cpu only */
    struct cpumask smt_siblings;       /* cpus of the same core (incl. self) */
    struct cpumask core_siblings;      /* cpus of the same package (incl. self) */
};
extern struct cpu_topo cpu_topo[NR_CPUS];

/* How close two cpus are, for work stealing: nearest first. */
enum topo_dist { TOPO_SELF, TOPO_SMT, TOPO_DIE, TOPO_PKG, TOPO_OTHER, TOPO_NR_LEVELS };
enum topo_dist cpu_topo_level(unsigned a, unsigned b);

/* Build cpu_topo[] once the cpu <-> vcpu map exists (topology= option, CPUID, vCPU count). */
void cpu_topology_init(void);
struct topo_layout;
const struct topo_layout *cpu_topology_layout(void);
/* The lscpu-like report (boot, and the console `topo` command). */
void cpu_topology_report(void);

#endif
