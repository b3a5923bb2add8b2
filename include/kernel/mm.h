/* SPDX-License-Identifier: MIT */
/* Physical page allocator, kernel heap, guarded stacks. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H
#include <minipv/compiler.h>

struct start_info;
/* Pages [usable_pages, nr_pages) are held back (a kexec'd kernel's old memory) until mm_reclaim. */
void mm_init(const struct start_info *si, unsigned long usable_pages);
/*
 * Map pfns [from, to) and give them to the allocator, except those keep()
 * says to keep and those Xen will not map writable (still page tables).
 * Returns how many were added.
 */
unsigned long mm_reclaim(unsigned long from, unsigned long to, bool (*keep)(unsigned long pfn));
void *page_alloc(unsigned long n);      /* n contiguous zeroed pages, or NULL */
void page_free(void *p, unsigned long n);
unsigned long pages_free(void);
/* Where the page allocator's bitmap (1 = used) is, and how many pfns it covers (for a dump). */
void mm_pool_bitmap(uint64_t *pfn, uint64_t *end);
extern unsigned long mm_first_free_pfn, mm_total_pages;

/*
 * The p2m the toolstack reads (xl save, xl dump-core; include/kernel/p2m_pub.h):
 * publish it whole (at boot, after a kexec, after a restore), and bracket
 * every change of the pfn <-> mfn relation (the m2p renumbering of kexec's
 * region, memory taken back after a kexec) so a live save sees it.
 */
int mm_p2m_publish(bool say);     /* say: print the line (a resume is quiet) */
void mm_p2m_change_begin(void);
void mm_p2m_change_end(void);

void *kmalloc(size_t size);             /* zeroed; NULL if out of memory */
void kfree(void *p);

/* A stack of `pages` pages in VMAP with an unmapped guard page below it; returns its top. */
unsigned long stack_alloc(unsigned long pages);
#define STACK_PAGES 4

#endif
