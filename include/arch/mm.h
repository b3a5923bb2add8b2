/* SPDX-License-Identifier: MIT */
/*
 * PV memory: the p2m (pfn -> mfn, from start_info), Xen's read-only m2p,
 * and page tables that Xen validates.  Page-table pages stay mapped
 * read-only; every update goes through mmu_update / update_va_mapping.
 *
 * Virtual layout (all in the top 2 GiB, reachable with -mcmodel=kernel):
 *   KERNEL_VIRT_BASE + pfn * 4K   linear map of all our pseudo-physical pages
 *                                 (the kernel image is pfn 0 onwards)
 *   VMAP_BASE ..                  stacks with guard pages, shared_info, fixed maps
 *   P2M_VIRT_BASE                 the p2m once more, read-only, for the toolstack
 *                                 (L4 slot 511, L3 slot 1: a 1 GiB slot of its own)
 */
#ifndef ARCH_MM_H
#define ARCH_MM_H
#include <minipv/compiler.h>
#include <xen/xen.h>

#include <arch/layout.h>
#define LINEAR_MAX_PAGES (1UL << 18)            /* 1 GiB: L3 slot 510 */
#define VMAP_BASE        0xffffffffc0000000UL   /* L3 slot 511 */
#define VMAP_END         0xffffffffff000000UL
#define P2M_VIRT_BASE    0xffffff8040000000UL   /* after the kexec window's slot */
#define OLD_VIEW_BASE    0xffffff8080000000UL   /* L4 slot 511, L3 slot 2: arch_map_l2_ro */

/* Leaf flags we use; Xen forces _PAGE_USER for a 64-bit PV guest. */
#define PTE_P   0x001UL
#define PTE_RW  0x002UL
#define PTE_US  0x004UL
#define PTE_A   0x020UL
#define PTE_D   0x040UL
#define PTE_NX  (1UL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000UL

extern unsigned long *p2m;              /* start_info mfn_list */
extern unsigned long nr_pages;          /* pages the p2m covers */
extern unsigned long linear_pages;      /* pages we mapped (<= nr_pages) */

static inline unsigned long pfn_to_mfn(unsigned long pfn) { return p2m[pfn]; }
static inline unsigned long mfn_to_pfn(unsigned long mfn)
{
    return ((const unsigned long *)MACH2PHYS_VIRT_START)[mfn];
}
static inline void *pfn_to_virt(unsigned long pfn)
{
    return (void *)(KERNEL_VIRT_BASE + (pfn << PAGE_SHIFT));
}
static inline unsigned long virt_to_pfn(const void *va)
{
    return ((unsigned long)va - KERNEL_VIRT_BASE) >> PAGE_SHIFT;
}
static inline unsigned long virt_to_mfn(const void *va) { return pfn_to_mfn(virt_to_pfn(va)); }
static inline uint64_t virt_to_maddr(const void *va)
{
    return ((uint64_t)virt_to_mfn(va) << PAGE_SHIFT) | ((unsigned long)va & ~PAGE_MASK);
}

/*
 * Extend the bootstrap mapping so the linear map covers min(map_pages,
 * LINEAR_MAX_PAGES) pages (map_pages <= nr_pages: a kexec'd kernel maps the
 * old kernel's pages only once nobody runs on them), taking page-table pages from *next_free_pfn.
 * Returns 0 or a negative Xen error.
 */
int arch_mm_init(const struct start_info *si, unsigned long *next_free_pfn, unsigned long map_pages);

/*
 * The linear map keeps the image's text read-only and executable, its
 * rodata read-only, and every other page no-execute (arch_mm_init).  What
 * va is, as a fault message says it ("kernel text: read-only"), or NULL.
 */
const char *arch_image_area(unsigned long va);

/* Page source for page-table pages needed after boot (set by the kernel's allocator). */
void arch_mm_set_page_source(void *(*alloc_page)(void));

/* Map one page at a VMAP address.  Returns 0 or a negative Xen error. */
int arch_map_page(unsigned long va, unsigned long mfn, unsigned long flags);
/*
 * Map n (at most ARCH_WINDOW_MAX) pages at va, va + PAGE_SIZE, ... to mfn[i]
 * with flags, in one mmu_update, then flush this cpu's TLB only: the caller
 * reads the window on this cpu alone.  ok[i] is false for a frame Xen
 * refused (left not present).  Returns 0 or a negative Xen error.
 */
#define ARCH_WINDOW_MAX 256
int arch_map_window_local(unsigned long va, const unsigned long *mfn, unsigned n,
                          unsigned long flags, bool *ok);
/*
 * Put another tree's L2 table (l2_mfn: an old kernel's, still a validated
 * L2 to Xen) under our L3 entry for the 1 GiB slot at va, or take it away
 * (l2_mfn 0); flushes every vCPU's TLB.  The L3 entry has no RW bit and
 * has NX: every page under it is read-only and no-execute to us, whatever
 * its own entries say.  One hypercall maps a whole old linear map.
 * Returns 0, -EBUSY (the slot is in use), or a negative Xen error.
 */
int arch_map_l2_ro(unsigned long va, unsigned long l2_mfn);
/* Machine frame of the L4 every cpu runs on. */
unsigned long arch_pt_base_mfn(void);
/* Make a linear-map page read-only/writable again (page-table pages must be RO). */
int arch_set_page_ro(void *va, bool ro);

/* Reserve VMAP address space (page granular, never reused). */
unsigned long arch_vmap_reserve(unsigned long pages);

/* ---- kexec support ---- */
/* Map (mfn 0: unmap) one page, flushing every vCPU's TLB. */
int arch_map_page_all(unsigned long va, unsigned long mfn, unsigned long flags);
/* Linear-map pages [pfn, pfn + n) read-only (ro) or writable again, batched, then flush all TLBs. */
int arch_linear_protect(unsigned long pfn, unsigned long n, bool ro);
/*
 * Building another kernel's page tables in frames we own: l4 is a zeroed
 * page of ours; alloc hands out more (zeroed here), returning its VA and mfn.
 */
struct arch_ptb {
    uint64_t *l4;
    void *(*alloc)(void *ctx, unsigned long *mfn);
    void *ctx;
};
int arch_ptb_map(struct arch_ptb *b, unsigned long va, unsigned long mfn, bool rw, bool exec);
int arch_pin_l4(unsigned long mfn);
int arch_unpin(unsigned long mfn);
/* m2p[mfn[i]] = first_pfn + i (MMU_MACHPHYS_UPDATE, batched). */
int arch_m2p_set(const unsigned long *mfn, unsigned long first_pfn, unsigned long n);
/* Map pfns [from, to) writable (capped at the linear map); mapped(pfn) for each that Xen took. */
unsigned long arch_mm_extend(unsigned long from, unsigned long to, void (*mapped)(unsigned long pfn));

/* ---- the p2m the toolstack reads ---- */
/* Map linear-map pages [src, src + pages) once more, read-only, at va (flushes every vCPU). */
int arch_map_ro_alias(unsigned long va, const void *src, unsigned long pages);

/* Walk the live page tables; returns the L1 entry value or 0, and level where it stopped. */
uint64_t arch_pt_lookup(unsigned long va, int *level);

#endif
