/* SPDX-License-Identifier: MIT */
/* CPUID access.  regs[] = { EAX, EBX, ECX, EDX }. */
#ifndef ARCH_CPUID_H
#define ARCH_CPUID_H

#include <stdbool.h>
#include <stdint.h>

/* Plain CPUID: in a PV guest this may see raw host values (no faulting). */
void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
/* Xen PV forced emulation (ud2a; "xen"; cpuid): Xen's policy for this domain. */
void arch_cpuid_pv(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);


#endif /* ARCH_CPUID_H */
