/* SPDX-License-Identifier: MIT */
/*
 * The p2m as the toolstack reads it: shared_info's arch fields
 * (kernel/lib/p2m_pub.c: pure, host-tested; kernel/mm/mm.c keeps it current).
 *
 * We publish the linear p2m (p2m_cr3, p2m_vaddr, p2m_generation), not the
 * 3-level frame-list tree.  Xen 4.17's two readers, the save path
 * (xg_sr_save_x86_pv.c map_p2m) and dump-core (xg_core_x86.c
 * xc_core_arch_map_p2m_rw), both take the list whenever p2m_cr3 is non-zero;
 * only the list has a generation count, so only it lets a live migration
 * notice a change (migration.pandoc lists tree changes as "not noticed");
 * and the list is our own p2m pages mapped once more, where the tree would
 * be two more levels of frames, by MFN, to rebuild after every restore.
 *
 * The rules the description obeys (checked by p2m_desc_check):
 * - arch.max_pfn is a count of entries (map_p2m: "max_pfn = ... - 1"), and
 *   Xen's XENMEM_maximum_gpfn for a PV guest is max_pfn - 1 (domain_get_
 *   maximum_gpfn), which dump-core compares with the domain's page count.
 * - p2m_cr3 is xen_pfn_to_cr3 of the L4 (a 64-bit guest: mfn << 12).
 * - p2m_vaddr is canonical, outside Xen's hole, and starts a 1 GiB slot:
 *   4.17's dump-core trims the list at its last distinct L2 entry counted
 *   from the slot's start, so a list that starts mid-slot reads as empty.
 * - p2m_generation is odd while we change the p2m or the mappings of it,
 *   and even otherwise ("incremented by the guest before and after each
 *   change", public/arch-x86/xen.h); a live save compares it between passes.
 */
#ifndef KERNEL_P2M_PUB_H
#define KERNEL_P2M_PUB_H
#include <minipv/compiler.h>
#include <xen/xen.h>

#define P2M_SLOT_SIZE   (1UL << 30)          /* what p2m_vaddr must be aligned to */
#define P2M_MAX_PFNS    (P2M_SLOT_SIZE / 8)  /* one slot of 8-byte entries */

struct p2m_desc {
    uint64_t nr_pfns;       /* entries: pfns 0 .. nr_pfns - 1 */
    uint64_t l4_mfn;        /* the page tables in which vaddr maps the list */
    uint64_t vaddr;         /* where the list is mapped there */
};

/* The published state: shared_info's arch part, and how many changes are open. */
struct p2m_pub {
    struct arch_shared_info *arch;
    unsigned depth;
};

/* 0, or -EINVAL with why naming the first bad value. */
int p2m_desc_check(const struct p2m_desc *d, char *why, size_t len);
/*
 * A change begins (generation made odd, unless it already is: a change an
 * earlier kernel began and never ended) or ends (made even once the last
 * open change ends).  Nested changes bump it only at the outermost ones.
 */
void p2m_pub_begin(struct p2m_pub *p);
void p2m_pub_end(struct p2m_pub *p);
/* Publish d whole, as one change; a bad d is refused (-EINVAL) and nothing is written. */
int p2m_pub_set(struct p2m_pub *p, const struct p2m_desc *d, char *why, size_t len);
/* The generation a reader sees now. */
uint64_t p2m_pub_generation(const struct p2m_pub *p);

#endif
