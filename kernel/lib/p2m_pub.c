/* SPDX-License-Identifier: MIT */
/* The p2m description the toolstack reads (rules: include/kernel/p2m_pub.h).  Pure. */
#include <kernel/p2m_pub.h>
#include <kernel/format.h>
#include <minipv/errno.h>

/* Xen's own part of a 64-bit PV address space (xg_core_x86.c, xg_sr_save_x86_pv.c). */
#define XEN_HOLE_START 0xffff800000000000ULL
#define XEN_HOLE_END   0xffff87ffffffffffULL

static bool canonical(uint64_t va)
{
    return ((int64_t)va >> 47) == ((int64_t)va >> 63);
}

int p2m_desc_check(const struct p2m_desc *d, char *why, size_t len)
{
    uint64_t end = d->vaddr + DIV_ROUND_UP(d->nr_pfns * 8, PAGE_SIZE) * PAGE_SIZE - 1;
    if (!d->nr_pfns || d->nr_pfns > P2M_MAX_PFNS) {
        snprintf(why, len, "p2m: %llu entries (1..%lu)", (unsigned long long)d->nr_pfns,
                 P2M_MAX_PFNS);
        return -EINVAL;
    }
    if (!d->l4_mfn || d->l4_mfn >> 40) {
        snprintf(why, len, "p2m: L4 mfn %#llx is not a frame", (unsigned long long)d->l4_mfn);
        return -EINVAL;
    }
    if (!canonical(d->vaddr) || !canonical(end) || end < d->vaddr ||
        (d->vaddr <= XEN_HOLE_END && end >= XEN_HOLE_START)) {
        snprintf(why, len, "p2m: list at %#llx-%#llx is not canonical or overlaps Xen's hole",
                 (unsigned long long)d->vaddr, (unsigned long long)end);
        return -EINVAL;
    }
    if (d->vaddr & (P2M_SLOT_SIZE - 1)) {
        snprintf(why, len, "p2m: list at %#llx does not start a 1 GiB slot (dump-core reads it "
                 "as empty)", (unsigned long long)d->vaddr);
        return -EINVAL;
    }
    return 0;
}

static void gen_bump_to(struct p2m_pub *p, bool odd)
{
    unsigned long g = __atomic_load_n(&p->arch->p2m_generation, __ATOMIC_RELAXED);
    if ((g & 1) == odd)
        return;
    /* Readers compare it before and after reading the list: the order is the point. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&p->arch->p2m_generation, g + 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void p2m_pub_begin(struct p2m_pub *p)
{
    if (__atomic_fetch_add(&p->depth, 1, __ATOMIC_SEQ_CST) == 0)
        gen_bump_to(p, true);
}

void p2m_pub_end(struct p2m_pub *p)
{
    unsigned d = __atomic_load_n(&p->depth, __ATOMIC_SEQ_CST);
    if (!d)
        return;                             /* an end without a begin changes nothing */
    if (__atomic_sub_fetch(&p->depth, 1, __ATOMIC_SEQ_CST) == 0)
        gen_bump_to(p, false);
}

int p2m_pub_set(struct p2m_pub *p, const struct p2m_desc *d, char *why, size_t len)
{
    int rc = p2m_desc_check(d, why, len);
    if (rc)
        return rc;
    p2m_pub_begin(p);
    struct arch_shared_info *a = p->arch;
    /* No frame-list tree: a reader that wants one finds an impossible mfn (as Linux writes). */
    a->pfn_to_mfn_frame_list_list = ~0UL;
    a->max_pfn = (unsigned long)d->nr_pfns;
    a->p2m_vaddr = (unsigned long)d->vaddr;
    a->p2m_cr3 = (unsigned long)(d->l4_mfn << 12);     /* xen_pfn_to_cr3, 64-bit */
    p2m_pub_end(p);
    return 0;
}

uint64_t p2m_pub_generation(const struct p2m_pub *p)
{
    return __atomic_load_n(&p->arch->p2m_generation, __ATOMIC_SEQ_CST);
}
