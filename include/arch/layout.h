/* SPDX-License-Identifier: MIT */
/* Addresses shared by C, assembly and (by value) arch/x86/minipv.lds. */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H
#ifdef __ASSEMBLY__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif
#define KERNEL_VIRT_BASE _UL(0xffffffff80000000)   /* = VIRT_BASE in minipv.lds */
#endif
