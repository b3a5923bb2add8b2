/* SPDX-License-Identifier: MIT */
/*
 * Memory as a life participant (include/kernel/life.h): what the next
 * kernel needs to unpin our page tables, take our frames and, after a
 * crash, dump them (our p2m's frames and the allocator's bitmap).
 */
#include <kernel/life.h>
#include <kernel/handoff.h>
#include <kernel/mm.h>
#include <arch/mm.h>

static void mm_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    h->old_l4_mfn = arch_pt_base_mfn();
    h->old_nr_pages = nr_pages;
    h->old_first_free_pfn = mm_first_free_pfn;
    mm_pool_bitmap(&h->old_bitmap_pfn, &h->old_bitmap_end);
    h->nr_old_p2m = (uint32_t)MIN(DIV_ROUND_UP(nr_pages * 8, PAGE_SIZE),
                                  (unsigned long)HANDOFF_MAX_P2M);
    for (uint32_t i = 0; i < h->nr_old_p2m; i++)
        h->old_p2m[i] = virt_to_mfn((const char *)p2m + i * PAGE_SIZE);
    h->prev_free_pages = pages_free();
}

/*
 * A new domain: new mfns everywhere; the restore zeroed what the tools read.
 * Quiet: a console line in the resume costs dom0 work its xenstored waits on.
 */
static void mm_resume(enum life_resume how)
{
    if (how == LIFE_NEW_DOMAIN)
        mm_p2m_publish(false);
}

LIFE_PARTICIPANT(60, mm, .write = mm_write, .resume = mm_resume);
