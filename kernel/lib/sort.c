/* SPDX-License-Identifier: MIT */
/* Sorting for the measuring suites' samples: pure, like all of kernel/lib. */
#include <kernel/sort.h>

void sort_u64(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        size_t j = i;
        for (; j && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}
