/* SPDX-License-Identifier: MIT */
/* CPUID, plain and Xen-PV-emulated. */
#include <stdbool.h>
#include <stdint.h>
#include <arch/cpuid.h>

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
