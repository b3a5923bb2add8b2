/* SPDX-License-Identifier: MIT */
/* Test aids of the crash path (tests/guest/crash.c only): registered, never called otherwise. */
#ifndef KERNEL_KDUMP_TEST_H
#define KERNEL_KDUMP_TEST_H

struct cpu_regs;
struct percpu;

/* fn runs in every NMI not taken by a crash (it may hold the cpu inside the handler). */
void kdump_set_nmi_test_hook(void (*fn)(struct percpu *pc, struct cpu_regs *r));
/* fn runs on the crash path of the crashing cpu, right after it took the crash. */
void kdump_set_path_test_hook(void (*fn)(void));

#endif
