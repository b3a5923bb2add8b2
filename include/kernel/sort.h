/* SPDX-License-Identifier: MIT */
/* Sorting for the measuring suites' samples (kernel/lib/sort.c). */
#ifndef KERNEL_SORT_H
#define KERNEL_SORT_H
#include <minipv/compiler.h>

/* Ascending, in place: insertion sort (a few hundred samples at most). */
void sort_u64(uint64_t *a, size_t n);

#endif
