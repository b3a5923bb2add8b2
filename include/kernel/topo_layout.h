/* SPDX-License-Identifier: MIT */
/*
 * Synthetic CPU topology for a Xen PV guest.
 *
 * Xen gives a PV guest no trustworthy topology, so minipv makes one up.  The
 * only hard fact is the vCPU count, and it always wins: a topology= request
 * or a CPUID hint that does not describe exactly nr_cpus CPUs is replaced by
 * the nearest layout that does, with a message naming both numbers.
 *
 * APIC IDs follow the SDM packing (Vol. 3A 9.9.1, CPUID leaves 0xB/0x1F):
 * each level gets a bit field whose width is the smallest power of two
 * holding its count, ceil(log2(count)), 0 for a count of 1:
 *
 *   apic_id = thread | core << core_shift | die << die_shift | pkg << pkg_shift
 *   core_shift = smt_width, die_shift = core_shift + core_width,
 *   pkg_shift  = die_shift + die_width
 *
 * so 3 cores x 2 threads use IDs 0..5 and the next package starts at 8.
 *
 * Nothing here treats CPU index 0 (or APIC ID 0) as special: the boot CPU is
 * whatever index the caller says it is, and every index has an ID in the table.
 *
 * Pure logic, no allocation, no printing: messages go to caller buffers.
 */
#ifndef KERNEL_TOPO_LAYOUT_H
#define KERNEL_TOPO_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPO_MAX_CPUS   1024    /* >= NR_CPUS of the kernel */
#define TOPO_BAD_ID     0xffffffffu /* x2APIC broadcast: never a real APIC ID */

/* A requested shape; 0 = not given (derived from nr_cpus or defaulted). */
struct topo_request {
    uint32_t sockets, dies, cores, threads;
};

/*
 * Parse a topology= value:
 *   compact  "2s3c2t", "2s2d3c2t": any non-empty subset, order s,d,c,t
 *   keyed    "sockets=2,dies=1,cores=3,threads=2": any subset, any order
 * Counts are decimal, 1..UINT32_MAX.  Rejects 0, overflow, empty input,
 * empty items, unknown/duplicate keys and trailing garbage.
 * Returns 0, or -1 with err set to a message quoting the bad word, e.g.
 *   "topology: bad value 'x3' in '2sx3c'".
 * err may be NULL/errlen 0; it is always NUL-terminated otherwise.
 */
int topo_parse(const char *s, struct topo_request *out, char *err, size_t errlen);

/*
 * Raw CPUID values, filled by the kernel (arch_cpuid_topo()) and judged here.
 * Leaf 0x1F is preferred over 0xB; level[] holds subleaves 0.. in order, up to
 * and including the first one with level type 0 (or TOPO_CPUID_LEVELS).
 */
#define TOPO_CPUID_LEVELS 8
struct topo_cpuid {
    uint32_t leaf1_ebx;         /* [23:16] addressable logical CPUs per package */
    uint32_t leaf1_edx;         /* [28] HTT: leaf1_ebx[23:16] is valid */
    bool has_leaf4;
    uint32_t leaf4_eax;         /* subleaf 0, [31:26] addressable cores - 1 */
    uint32_t ext_leaf;          /* 0x1F, 0xB, or 0 if neither is usable */
    uint32_t nr_levels;         /* valid entries in level[] */
    struct { uint32_t eax, ebx, ecx; } level[TOPO_CPUID_LEVELS];
    bool has_amd_ext;           /* AMD/Hygon with TOPOEXT: leaf 0x8000001E valid */
    uint32_t amd_8000001e_ebx;  /* [15:8] threads per core - 1 */
};

/*
 * Turn raw CPUID into a request (sockets always 0: CPUID does not count
 * packages).  Returns 0 if the data is self-consistent, else -1 with a reason.
 */
int topo_from_cpuid(const struct topo_cpuid *c, struct topo_request *out,
                    char *err, size_t errlen);

enum { TOPO_SRC_DEFAULT, TOPO_SRC_CMDLINE, TOPO_SRC_CPUID, TOPO_SRC_ADJUSTED };

struct topo_layout {
    uint32_t nr_cpus;           /* the vCPU count: always wins */
    uint32_t sockets, dies, cores, threads; /* dies per socket, cores per die, threads per core */
    uint32_t smt_width, core_width, die_width;  /* ceil(log2(count)) */
    uint32_t core_shift, die_shift, pkg_shift;  /* as leaf 0xB/0x1F report */
    int source;                 /* TOPO_SRC_* */
};

/*
 * Pick the layout for nr_cpus vCPUs from req (topology=), else cpuid_hint,
 * else the default 1s1d<nr>c1t.  Either pointer may be NULL or all-zero.
 *
 * Unset fields: dies and threads default to 1; cores (or, if cores is given,
 * sockets) absorbs nr_cpus / the rest.  The result always has exactly
 * sockets*dies*cores*threads == nr_cpus (no partial packages) and IDs that
 * fit 32 bits.  If the chosen source cannot give that, the first of these
 * that divides nr_cpus and fits 32 bits is used, the free field absorbing
 * the rest; fields the source left unset count as 1:
 *   keep sockets,dies,threads -> keep dies,cores,threads -> keep sockets,threads
 *   -> keep cores,threads -> keep threads -> keep sockets -> 1s1d<nr>c1t
 * (threads stick hardest: SMT siblings share a core's resources.)
 * nr_cpus 0 is reported and treated as 1.
 *
 * Never fails.  Returns 0 if the source was used as is, 1 if adjusted, with
 * msg saying why, e.g.
 *   "topology: cmdline 2s2c1t gives 4 CPU slots but there are 6 vCPUs; using 2s1d3c1t"
 */
int topo_fit(uint32_t nr_cpus, const struct topo_request *req,
             const struct topo_request *cpuid_hint, struct topo_layout *out,
             char *msg, size_t msglen);

/* Render "2s1d3c2t"; returns the length it wanted (snprintf-like). */
size_t topo_format(const struct topo_layout *l, char *buf, size_t len);

/*
 * Slots are numbered 0..nr_cpus-1 in topology order: thread fastest, then
 * core, die, package.  APIC IDs increase strictly with the index.
 */
struct topo_ids {
    uint32_t apic_id, pkg, die, core, thread;
};

/* false (and all fields TOPO_BAD_ID) if index >= nr_cpus */
bool topo_ids(const struct topo_layout *l, uint32_t index, struct topo_ids *out);
/* inverse of topo_ids: slot index of an APIC ID, or -1 if no slot has it */
int64_t topo_index_of(const struct topo_layout *l, uint32_t apic_id);

/* Sibling spans for cpumasks: slots sharing index's core / die / package. */
enum topo_scope { TOPO_SCOPE_CORE, TOPO_SCOPE_DIE, TOPO_SCOPE_PKG };
struct topo_span {
    uint32_t first, count;
};
bool topo_span(const struct topo_layout *l, uint32_t index, enum topo_scope scope,
               struct topo_span *out);
bool topo_same_core(const struct topo_layout *l, uint32_t a, uint32_t b);
bool topo_same_die(const struct topo_layout *l, uint32_t a, uint32_t b);
bool topo_same_pkg(const struct topo_layout *l, uint32_t a, uint32_t b);

/*
 * The level table CPUID leaf 0xB or 0x1F would report (ECX[15:8] type,
 * EAX[4:0] shift, EBX[15:0] logical CPUs in the enclosing scope).  0x1F gets
 * a DIE level when dies > 1; 0xB never does, its CORE level shifts straight
 * to the package.  Returns the number of levels; out[n] is the type-0
 * terminator.  An unknown leaf is treated as 0x1F.
 */
enum { TOPO_LVL_INVALID = 0, TOPO_LVL_SMT = 1, TOPO_LVL_CORE = 2, TOPO_LVL_DIE = 5 };
struct topo_level {
    uint32_t type, shift, count;
};
int topo_levels(const struct topo_layout *l, uint32_t leaf, struct topo_level out[4]);

#endif /* KERNEL_TOPO_LAYOUT_H */
