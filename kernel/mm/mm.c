/* SPDX-License-Identifier: MIT */
/*
 * Physical pages: kernel/pfn_pool.c over the pfns Xen gave us past the
 * bootstrap region (first fit, contiguous runs).  Heap: power-of-two size classes
 * carved from pages, each object preceded by a 16-byte header.
 */
#include <kernel/mm.h>
#include <kernel/kernel.h>
#include <kernel/pfn_pool.h>
#include <kernel/p2m_pub.h>
#include <kernel/printk.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <minipv/string.h>
#include <minipv/errno.h>
#include <xen/xen.h>

unsigned long mm_first_free_pfn, mm_total_pages;
static struct pfn_pool pool;
static spinlock_t page_lock = SPINLOCK_INIT;

static void *page_source(void) { return page_alloc(1); }
static unsigned long lock_mm(spinlock_t *l);
static void unlock_mm(spinlock_t *l, unsigned long flags);

void mm_init(const struct start_info *si, unsigned long usable_pages)
{
    /*
     * Everything up to the bootstrap page tables is the image, p2m,
     * start_info and (domU) xenstore/console pages; the bootstrap stack
     * after the page tables was abandoned in head.S.  After a kexec the
     * pages from usable_pages on are the old kernel's until it is gone.
     */
    unsigned long next = virt_to_pfn((void *)si->pt_base) + si->nr_pt_frames;
    int rc = arch_mm_init(si, &next, usable_pages);
    if (rc)
        panic("mm: extending the linear map failed: %d", rc);
    unsigned long end = MIN(nr_pages, LINEAR_MAX_PAGES);
    /* The bitmap covers every page we may ever own, and takes the first free pages. */
    unsigned long bm_pages = DIV_ROUND_UP(DIV_ROUND_UP(end, 64) * 8, PAGE_SIZE);
    unsigned long *bitmap = pfn_to_virt(next);
    next += bm_pages;
    pfn_pool_init(&pool, bitmap, next, end);
    if (linear_pages < end && pfn_pool_take(&pool, linear_pages, end - linear_pages))
        panic("mm: cannot hold pages %lu-%lu back", linear_pages, end - 1);
    mm_total_pages = linear_pages;
    mm_first_free_pfn = next;
    arch_mm_set_page_source(page_source);
}

static bool (*reclaim_keep)(unsigned long pfn);
static unsigned long reclaimed;

static void reclaim_one(unsigned long pfn)
{
    if (reclaim_keep && reclaim_keep(pfn))
        return;
    unsigned long f = lock_mm(&page_lock);
    int rc = pfn_pool_free(&pool, pfn, 1);
    unlock_mm(&page_lock, f);
    if (!rc)
        reclaimed++;
}

unsigned long mm_reclaim(unsigned long from, unsigned long to, bool (*keep)(unsigned long pfn))
{
    reclaim_keep = keep;
    reclaimed = 0;
    arch_mm_extend(from, to, reclaim_one);
    mm_total_pages = linear_pages;
    return reclaimed;
}

/*
 * The allocator locks mask events: a thread preempted while holding one
 * would leave the other threads of its cpu spinning for a whole slice, and
 * an event handler allocating on that cpu would never get the lock.
 */
static unsigned long lock_mm(spinlock_t *l)
{
    unsigned long flags = irq_save();
    spin_lock(l);
    return flags;
}

static void unlock_mm(spinlock_t *l, unsigned long flags)
{
    spin_unlock(l);
    irq_restore(flags);
}

void *page_alloc(unsigned long n)
{
    unsigned long f = lock_mm(&page_lock);
    unsigned long pfn = pfn_pool_alloc(&pool, n);
    unlock_mm(&page_lock, f);
    if (pfn == PFN_NONE)
        return NULL;
    void *p = pfn_to_virt(pfn);
    memset(p, 0, n * PAGE_SIZE);
    return p;
}

void page_free(void *p, unsigned long n)
{
    unsigned long f = lock_mm(&page_lock);
    int rc = pfn_pool_free(&pool, virt_to_pfn(p), n);
    unlock_mm(&page_lock, f);
    if (rc)
        panic("page_free(%p, %lu): not allocated (double free?)", p, n);
}

unsigned long pages_free(void) { return pool.nfree; }

void mm_pool_bitmap(uint64_t *pfn, uint64_t *end)
{
    *pfn = virt_to_pfn(pool.bitmap);
    *end = pool.end;
}

/* ---- the p2m the toolstack reads (rules: include/kernel/p2m_pub.h) ---- */
static struct p2m_pub p2m_pub;

int mm_p2m_publish(bool say)
{
    /*
     * xl save and xl dump-core read it before they pause or suspend us, so
     * it must be right from here on (and again after a kexec or a restore:
     * a new p2m, a new L4, and a restore zeroes the tree pointer).
     */
    char why[160] = "";
    unsigned long frames = DIV_ROUND_UP(nr_pages * sizeof(unsigned long), PAGE_SIZE);
    struct p2m_desc d = { .nr_pfns = nr_pages, .l4_mfn = arch_pt_base_mfn(),
                          .vaddr = P2M_VIRT_BASE };
    int rc = p2m_desc_check(&d, why, sizeof(why));
    if (!rc && ((unsigned long)p2m & ~PAGE_MASK)) {
        snprintf(why, sizeof(why), "p2m: list at %p is not page aligned", (void *)p2m);
        rc = -EINVAL;
    }
    if (rc) {
        pr_warn("mm: %s: xl save and xl dump-core will fail", why);
        return rc;
    }
    p2m_pub.arch = &xen_shared_info->arch;
    p2m_pub_begin(&p2m_pub);
    rc = arch_map_ro_alias(P2M_VIRT_BASE, p2m, frames);
    if (rc)
        snprintf(why, sizeof(why), "mapping the p2m at %#lx failed: %d", P2M_VIRT_BASE, rc);
    else
        rc = p2m_pub_set(&p2m_pub, &d, why, sizeof(why));
    p2m_pub_end(&p2m_pub);
    if (rc) {
        pr_warn("mm: %s: xl save and xl dump-core will fail", why);
        return rc;
    }
    if (!say)
        return 0;
    printk("mm: p2m for the toolstack: %lu pfns at %#lx (%lu frames), L4 mfn %#lx, generation %llu",
           nr_pages, P2M_VIRT_BASE, frames, arch_pt_base_mfn(),
           (unsigned long long)p2m_pub_generation(&p2m_pub));
    return 0;
}

void mm_p2m_change_begin(void)
{
    if (p2m_pub.arch)
        p2m_pub_begin(&p2m_pub);
}

void mm_p2m_change_end(void)
{
    if (p2m_pub.arch)
        p2m_pub_end(&p2m_pub);
}

/* ---- heap ---- */
#define HDR 16
#define MIN_SHIFT 5                       /* 32-byte objects incl. header */
#define MAX_SHIFT 11                      /* 2 KiB; larger goes to whole pages */
struct free_obj { struct free_obj *next; };
static struct free_obj *free_lists[MAX_SHIFT + 1];
static spinlock_t heap_lock = SPINLOCK_INIT;

void *kmalloc(size_t size)
{
    size_t need = size + HDR;
    if (need > (1UL << MAX_SHIFT)) {
        unsigned long pages = DIV_ROUND_UP(need, PAGE_SIZE);
        uint64_t *h = page_alloc(pages);
        if (!h)
            return NULL;
        h[0] = pages << PAGE_SHIFT;       /* page-sized: store byte count */
        h[1] = 0x6b6d616c6c6f6321ULL;
        return (char *)h + HDR;
    }
    unsigned shift = MIN_SHIFT;
    while ((1UL << shift) < need)
        shift++;
    unsigned long f = lock_mm(&heap_lock);
    if (!free_lists[shift]) {
        char *page = page_alloc(1);
        if (!page) {
            unlock_mm(&heap_lock, f);
            return NULL;
        }
        for (size_t off = 0; off < PAGE_SIZE; off += 1UL << shift) {
            struct free_obj *o = (struct free_obj *)(page + off);
            o->next = free_lists[shift];
            free_lists[shift] = o;
        }
    }
    struct free_obj *o = free_lists[shift];
    free_lists[shift] = o->next;
    unlock_mm(&heap_lock, f);
    uint64_t *h = (uint64_t *)o;
    memset(h, 0, 1UL << shift);
    h[0] = shift;
    h[1] = 0x6b6d616c6c6f6321ULL;
    return (char *)h + HDR;
}

void kfree(void *p)
{
    if (!p)
        return;
    uint64_t *h = (uint64_t *)((char *)p - HDR);
    BUG_ON(h[1] != 0x6b6d616c6c6f6321ULL);  /* not ours, or freed twice */
    h[1] = 0;
    if (h[0] > MAX_SHIFT) {
        page_free(h, h[0] >> PAGE_SHIFT);
        return;
    }
    unsigned shift = (unsigned)h[0];
    unsigned long f = lock_mm(&heap_lock);
    ((struct free_obj *)h)->next = free_lists[shift];
    free_lists[shift] = (struct free_obj *)h;
    unlock_mm(&heap_lock, f);
}

unsigned long stack_alloc(unsigned long pages)
{
    unsigned long va = arch_vmap_reserve(pages + 1);
    if (!va)
        return 0;
    for (unsigned long i = 1; i <= pages; i++) {
        void *pg = page_alloc(1);
        if (!pg || arch_map_page(va + i * PAGE_SIZE, virt_to_mfn(pg),
                                 PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX))
            return 0;
    }
    return va + (pages + 1) * PAGE_SIZE;
}
