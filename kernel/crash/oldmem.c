/* SPDX-License-Identifier: MIT */
/*
 * The crash kernel's reads of the old kernel's memory, read-only: a page
 * at a time (old_peek), a batch of pages at a time through a window (one
 * hypercall a page was most of the time from the crash to the dump), or
 * the old linear map seen whole (old_view_open).  Mapping an old frame
 * read-only is always allowed, even while it is still a page table of the
 * old kernel's.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <arch/mm.h>
#include <minipv/errno.h>
#include <minipv/string.h>

unsigned long *old_p2m;
static unsigned long win;               /* one page: the old page table being walked */
static unsigned long bwin;              /* OLD_BATCH pages: the old pages being dumped */
static const uint8_t *view;             /* the old linear map, whole (old_view_open) */
static unsigned long *view_ok;          /* old pfns read through it */
unsigned long old_window_maps;

static int map_ro(unsigned long va, unsigned long mfn)
{
    return arch_map_page(va, mfn, PTE_P | PTE_A | PTE_NX);
}

int old_mem_open(unsigned long bitmap_pages)
{
    win = arch_vmap_reserve(1);
    bwin = arch_vmap_reserve(OLD_BATCH);
    view_ok = page_alloc(bitmap_pages);
    return win && bwin && view_ok ? 0 : -ENOMEM;
}

const void *old_peek(unsigned long mfn)
{
    return map_ro(win, mfn) ? NULL : (const void *)win;
}

/* The batch being read (internal.h: old_read_begin). */
static struct {
    unsigned long idx[OLD_BATCH], mfn[OLD_BATCH];
    bool ok[OLD_BATCH];
    unsigned n;
    old_page_fn use;
    void *ctx;
} rd;

void old_read_begin(old_page_fn use, void *ctx)
{
    rd.n = 0;
    rd.use = use;
    rd.ctx = ctx;
}

unsigned old_read_pending(void)
{
    return rd.n;
}

void old_read_flush(void)
{
    if (!rd.n)
        return;
    old_window_maps++;
    if (arch_map_window_local(bwin, rd.mfn, rd.n, PTE_P | PTE_A | PTE_NX, rd.ok))
        memset(rd.ok, 0, sizeof(rd.ok));        /* no flush: no page of the window is sure */
    for (unsigned i = 0; i < rd.n; i++)
        rd.use(rd.idx[i], rd.ok[i] ? (const void *)(bwin + i * PAGE_SIZE) : NULL, rd.ctx);
    rd.n = 0;
}

void old_read_page(unsigned long idx, unsigned long mfn)
{
    rd.idx[rd.n] = idx;
    rd.mfn[rd.n] = mfn;
    if (++rd.n == OLD_BATCH)
        old_read_flush();
}

/*
 * The old kernel's own linear map, seen whole: its L2 table under our L3
 * slot OLD_VIEW_BASE, read-only and no-execute (arch_map_l2_ro), so a page
 * is read with no hypercall at all (the window's mapping hypercall, one per
 * 256 pages, was most of the plan's time).  Only pages whose old L1 entry
 * is present and names the frame the old p2m gives are read there
 * (view_ok); the rest go through the window, as before.  Not with a LOST
 * vCPU: it may still run the old kernel and change those tables.
 */
void old_view_open(unsigned long l4_mfn, unsigned long n)
{
    if (kdump_lost_vcpus())
        return;
    const uint64_t *t = old_peek(l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = old_peek((e & PTE_ADDR_MASK) >> PAGE_SHIFT)))
        return;
    e = t[510];                         /* L3 slot 510: the linear map */
    if (!(e & PTE_P) || !(t = old_peek((e & PTE_ADDR_MASK) >> PAGE_SHIFT)))
        return;
    unsigned long l2_mfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT, good = 0;
    static uint64_t l2e[512];
    memcpy(l2e, t, sizeof(l2e));
    for (unsigned long i = 0; i < 512 && i * 512 < n; i++) {
        if (!(l2e[i] & PTE_P) || (l2e[i] & 0x80 /* PSE */) ||
            !(t = old_peek((l2e[i] & PTE_ADDR_MASK) >> PAGE_SHIFT)))
            continue;
        for (unsigned long j = 0, pfn = i * 512; j < 512 && pfn < n; j++, pfn++)
            if ((t[j] & PTE_P) && ((t[j] & PTE_ADDR_MASK) >> PAGE_SHIFT) == old_p2m[pfn]) {
                view_ok[pfn / 64] |= 1UL << (pfn % 64);
                good++;
            }
    }
    int rc = arch_map_l2_ro(OLD_VIEW_BASE, l2_mfn);
    if (rc) {
        pr_warn("kdump: the old linear map cannot be seen whole (%d): every page through the "
                "window", rc);
        return;
    }
    view = (const uint8_t *)OLD_VIEW_BASE;
    printk("kdump: old memory read through its own linear map: %lu of %lu pages (the others "
           "through a window)", good, n);
}

/* Before the old tables are unpinned (kdump_then): our entry holds a reference to one. */
void old_view_close(void)
{
    if (!view)
        return;
    view = NULL;
    int rc = arch_map_l2_ro(OLD_VIEW_BASE, 0);
    if (rc)
        pr_err("kdump: unmapping the old linear map failed: %d", rc);
}

/* Old linear-map page pfn, in file order: through the view when it holds that frame. */
void old_read_pfn(unsigned long pfn)
{
    if (!view || !(view_ok[pfn / 64] >> (pfn % 64) & 1)) {
        old_read_page(pfn, old_p2m[pfn]);
        return;
    }
    old_read_flush();                   /* the pages before it first */
    rd.use(pfn, view + (pfn << PAGE_SHIFT), rd.ctx);
}

int old_map_array(unsigned long **out, const uint64_t *mfns, unsigned n)
{
    unsigned long va = arch_vmap_reserve(n);
    if (!va)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++)
        if (map_ro(va + i * PAGE_SIZE, mfns[i]))
            return -EINVAL;
    *out = (unsigned long *)va;
    return 0;
}
