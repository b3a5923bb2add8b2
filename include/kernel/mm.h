/* SPDX-License-Identifier: MIT */
/* Physical page allocator, kernel heap, guarded stacks. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H
#include <minipv/compiler.h>

struct start_info;
void mm_init(const struct start_info *si);
void *page_alloc(unsigned long n);      /* n contiguous zeroed pages, or NULL */
void page_free(void *p, unsigned long n);
unsigned long pages_free(void);
extern unsigned long mm_first_free_pfn, mm_total_pages;

void *kmalloc(size_t size);             /* zeroed; NULL if out of memory */
void kfree(void *p);

/* A stack of `pages` pages in VMAP with an unmapped guard page below it; returns its top. */
unsigned long stack_alloc(unsigned long pages);
#define STACK_PAGES 4

#endif
