/* SPDX-License-Identifier: MIT */
/* Between the files of kernel/smp only. */
#ifndef KERNEL_SMP_INTERNAL_H
#define KERNEL_SMP_INTERNAL_H
#include <kernel/smp.h>

/* bringup.c: after an AP's bring-up (tree: start its children), the boot GO barrier. */
void smp_ap_online(struct percpu *pc);
/* lifecycle.c: install IPI_STOP's handler and panic's stop-others. */
void smp_lifecycle_init(void);
/* lifecycle.c: a line for each NMI pc took while offline (outside the NMI handler). */
void smp_report_offline_nmis(struct percpu *pc, const char *when);

#endif
