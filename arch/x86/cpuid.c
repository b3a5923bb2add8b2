/* SPDX-License-Identifier: MIT */
/* CPUID, plain and Xen-PV-emulated, and collection of the topology leaves. */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>
#include <kernel/topology.h>

void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    __asm__ __volatile__("cpuid"
                         : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                         : "0"(leaf), "2"(subleaf));
}

/*
 * A PV guest runs on the real CPU, so a bare CPUID bypasses Xen's CPUID
 * policy (unless the host has CPUID faulting).  Xen traps ud2a followed by
 * the "xen" signature and emulates the next CPUID with the domain's policy.
 */
void arch_cpuid_pv(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    __asm__ __volatile__(".byte 0x0f,0x0b,0x78,0x65,0x6e\n\t"  /* ud2a; .ascii "xen" */
                         "cpuid"
                         : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                         : "0"(leaf), "2"(subleaf));
}

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

void arch_cpuid_topo(struct topo_cpuid *c, bool pv)
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
