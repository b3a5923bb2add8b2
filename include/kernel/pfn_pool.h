/* SPDX-License-Identifier: MIT */
/* A first-fit bitmap allocator of page frame numbers (pure; host-tested). */
#ifndef KERNEL_PFN_POOL_H
#define KERNEL_PFN_POOL_H
#include <minipv/compiler.h>

struct pfn_pool {
    unsigned long *bitmap;      /* 1 = used, one bit per pfn below end */
    unsigned long first;        /* lowest pfn the pool hands out */
    unsigned long end;          /* one past the highest pfn */
    unsigned long hint;         /* where the next search starts */
    unsigned long nfree;
};
#define PFN_NONE (~0UL)

/* bitmap must hold end bits; pfns below first are marked used. */
void pfn_pool_init(struct pfn_pool *p, unsigned long *bitmap, unsigned long first,
                   unsigned long end);
/* n contiguous pfns, or PFN_NONE. */
unsigned long pfn_pool_alloc(struct pfn_pool *p, unsigned long n);
/* 0, or -1 if any pfn was not allocated (double free, outside the pool). */
int pfn_pool_free(struct pfn_pool *p, unsigned long pfn, unsigned long n);
/* Mark the free pfns [pfn, pfn + n) used; 0, or -1 (nothing changed) if one is not free or outside. */
int pfn_pool_take(struct pfn_pool *p, unsigned long pfn, unsigned long n);

#endif
