/* SPDX-License-Identifier: MIT */
/* Host test of the page-frame allocator, against a shadow model. */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/pfn_pool.c"

#define END 1000
static unsigned long bits[DIV_ROUND_UP(END, 64)];
static unsigned char shadow[END];      /* 1 = allocated by us */

int main(void)
{
    struct pfn_pool p;
    ktap_plan(10);
    pfn_pool_init(&p, bits, 37, END);
    CASE(p.nfree == END - 37, "init counts free pfns", "nfree %lu", p.nfree);

    unsigned long a = pfn_pool_alloc(&p, 1);
    CASE(a == 37, "first allocation is the first free pfn", "got %lu", a);
    unsigned long b = pfn_pool_alloc(&p, 10);
    CASE(b == 38 && p.nfree == END - 37 - 11, "contiguous run", "got %lu nfree %lu", b, p.nfree);
    CASE(pfn_pool_free(&p, a, 1) == 0 && pfn_pool_free(&p, a, 1) == -1, "double free refused", "%s", "failed");
    CASE(pfn_pool_free(&p, 5, 1) == -1 && pfn_pool_free(&p, END - 1, 5) == -1 &&
             pfn_pool_free(&p, ~0UL - 2, 4) == -1,
         "frees outside the pool refused", "%s", "failed");
    CASE(pfn_pool_alloc(&p, 0) == PFN_NONE && pfn_pool_alloc(&p, END) == PFN_NONE,
         "impossible sizes refused", "%s", "failed");
    pfn_pool_free(&p, b, 10);
    {
        unsigned long before = p.nfree;
        int t1 = pfn_pool_take(&p, 500, 20), t2 = pfn_pool_take(&p, 510, 5),
            t3 = pfn_pool_take(&p, END - 2, 5);
        unsigned long c = pfn_pool_alloc(&p, 1);
        int f1 = pfn_pool_free(&p, 500, 20);
        pfn_pool_free(&p, c, 1);
        CASE(t1 == 0 && t2 == -1 && t3 == -1 && f1 == 0 && p.nfree == before,
             "take marks a range used, refuses overlaps and ranges past the end",
             "take %d %d %d free %d nfree %lu before %lu", t1, t2, t3, f1, p.nfree, before);
    }

    /* Random alloc/free against a shadow: no overlap, no loss, counts exact. */
    unsigned long seed = 12345, live_pfn[400], live_n[400];
    int nlive = 0, bad = 0;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        if (nlive < 400 && (seed >> 33) % 3) {
            unsigned long n = 1 + (seed >> 40) % 8, pfn = pfn_pool_alloc(&p, n);
            if (pfn == PFN_NONE)
                continue;
            for (unsigned long i = pfn; i < pfn + n; i++) {
                bad += i < 37 || i >= END || shadow[i];
                if (i < END)
                    shadow[i] = 1;
            }
            live_pfn[nlive] = pfn;
            live_n[nlive++] = n;
        } else if (nlive) {
            int k = (int)((seed >> 20) % (unsigned long)nlive);
            bad += pfn_pool_free(&p, live_pfn[k], live_n[k]) != 0;
            for (unsigned long i = live_pfn[k]; i < live_pfn[k] + live_n[k]; i++)
                shadow[i] = 0;
            live_pfn[k] = live_pfn[--nlive];
            live_n[k] = live_n[nlive];
        }
    }
    unsigned long held = 0;
    for (int i = 0; i < END; i++)
        held += shadow[i];
    CASE(!bad, "random alloc/free: no overlap, only pool pfns", "%d bad", bad);
    CASE(p.nfree == END - 37 - held, "free count matches the shadow", "nfree %lu held %lu", p.nfree, held);
    while (nlive--)
        pfn_pool_free(&p, live_pfn[nlive], live_n[nlive]);
    CASE(pfn_pool_alloc(&p, END - 37) == 37, "everything coalesces back into one run", "%s", "failed");
    return ktap_done();
}
