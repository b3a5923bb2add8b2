/* SPDX-License-Identifier: MIT */
#include <kernel/pfn_pool.h>

#define BITS (sizeof(unsigned long) * 8)

static bool used(const struct pfn_pool *p, unsigned long pfn)
{
    return (p->bitmap[pfn / BITS] >> (pfn % BITS)) & 1;
}

static void mark(struct pfn_pool *p, unsigned long pfn, bool u)
{
    if (u)
        p->bitmap[pfn / BITS] |= 1UL << (pfn % BITS);
    else
        p->bitmap[pfn / BITS] &= ~(1UL << (pfn % BITS));
}

void pfn_pool_init(struct pfn_pool *p, unsigned long *bitmap, unsigned long first,
                   unsigned long end)
{
    p->bitmap = bitmap;
    p->first = p->hint = first;
    p->end = end;
    for (unsigned long i = 0; i < DIV_ROUND_UP(end, BITS); i++)
        bitmap[i] = 0;
    for (unsigned long pfn = 0; pfn < first && pfn < end; pfn++)
        mark(p, pfn, true);
    p->nfree = end > first ? end - first : 0;
}

unsigned long pfn_pool_alloc(struct pfn_pool *p, unsigned long n)
{
    if (!n || n > p->nfree)
        return PFN_NONE;
    /* From the hint to the end, then once more from the start. */
    for (int pass = 0; pass < 2; pass++) {
        unsigned long run = 0;
        for (unsigned long pfn = pass ? p->first : p->hint; pfn < p->end; pfn++) {
            run = used(p, pfn) ? 0 : run + 1;
            if (run == n) {
                unsigned long start = pfn + 1 - n;
                for (unsigned long i = start; i <= pfn; i++)
                    mark(p, i, true);
                p->hint = pfn + 1;
                p->nfree -= n;
                return start;
            }
        }
    }
    return PFN_NONE;
}

int pfn_pool_free(struct pfn_pool *p, unsigned long pfn, unsigned long n)
{
    if (pfn < p->first || pfn > p->end || n > p->end - pfn)
        return -1;
    for (unsigned long i = pfn; i < pfn + n; i++)
        if (!used(p, i))
            return -1;
    for (unsigned long i = pfn; i < pfn + n; i++)
        mark(p, i, false);
    p->nfree += n;
    if (pfn < p->hint)
        p->hint = pfn;
    return 0;
}

int pfn_pool_take(struct pfn_pool *p, unsigned long pfn, unsigned long n)
{
    if (pfn < p->first || pfn > p->end || n > p->end - pfn)
        return -1;
    for (unsigned long i = pfn; i < pfn + n; i++)
        if (used(p, i))
            return -1;
    for (unsigned long i = pfn; i < pfn + n; i++)
        mark(p, i, true);
    p->nfree -= n;
    return 0;
}
