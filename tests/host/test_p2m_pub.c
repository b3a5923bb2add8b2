/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the p2m description the toolstack reads: the generation is
 * odd exactly while a change is open and moves on with every change, a
 * reader modelled on Xen 4.17's live save (read the generation, the list,
 * the generation again) sees a consistent list or knows it did not, and a
 * bad description is refused whole.
 */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/p2m_pub.c"

static struct arch_shared_info arch;
static char why[200];

static const struct p2m_desc good = {
    .nr_pfns = 0x2000, .l4_mfn = 0x1234, .vaddr = 0xffffff8040000000ULL,
};

/* The live-save reader: 0 if it saw a stable list, -1 if it must start over. */
static int reader(const struct p2m_pub *p, uint64_t *gen_seen)
{
    uint64_t g0 = p2m_pub_generation(p);
    if (g0 & 1)
        return -1;
    uint64_t g1 = p2m_pub_generation(p);
    *gen_seen = g1;
    return g0 == g1 ? 0 : -1;
}

static void test_set(void)
{
    struct p2m_pub p = { .arch = &arch };
    memset(&arch, 0, sizeof(arch));
    int rc = p2m_pub_set(&p, &good, why, sizeof(why));
    CASE(rc == 0 && arch.max_pfn == 0x2000 && arch.p2m_cr3 == 0x1234000UL &&
             arch.p2m_vaddr == 0xffffff8040000000UL && arch.pfn_to_mfn_frame_list_list == ~0UL,
         "a good description is published whole", "rc %d max_pfn %#lx cr3 %#lx vaddr %#lx", rc,
         arch.max_pfn, arch.p2m_cr3, arch.p2m_vaddr);
    CASE(arch.p2m_generation == 2 && p.depth == 0, "one publication: generation 0 -> 2",
         "generation %lu depth %u", arch.p2m_generation, p.depth);
    rc = p2m_pub_set(&p, &good, why, sizeof(why));
    CASE(rc == 0 && arch.p2m_generation == 4, "every publication is a change: 2 -> 4",
         "generation %lu", arch.p2m_generation);
}

static void test_bad(void)
{
    struct p2m_pub p = { .arch = &arch };
    static const struct { struct p2m_desc d; const char *want; } bad[] = {
        { { 0, 0x1234, 0xffffff8040000000ULL }, "0 entries" },
        { { P2M_MAX_PFNS + 1, 0x1234, 0xffffff8040000000ULL }, "134217729 entries" },
        { { 0x2000, 0, 0xffffff8040000000ULL }, "L4 mfn 0x0 " },
        { { 0x2000, 0x1234, 0x0000800000000000ULL }, "0x800000000000-" },
        { { 0x2000, 0x1234, 0xffff800000000000ULL }, "Xen's hole" },
        { { 0x2000, 0x1234, 0xffffffff80001000ULL }, "0xffffffff80001000 does not start" },
        { { 0x2000, 0x1234, 0xffffffff80000000ULL + P2M_SLOT_SIZE / 2 }, "does not start a 1 GiB" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&arch, 0, sizeof(arch));
        arch.p2m_generation = 6;
        arch.max_pfn = 77;
        why[0] = 0;
        int rc = p2m_pub_set(&p, &bad[i].d, why, sizeof(why));
        CASE(rc == -EINVAL && strstr(why, bad[i].want) && arch.max_pfn == 77 &&
                 arch.p2m_cr3 == 0 && arch.p2m_generation == 6 && p.depth == 0,
             "a bad description is refused, named, nothing written", "case %u: rc %d why '%s' "
             "max_pfn %lu generation %lu", i, rc, why, arch.max_pfn, arch.p2m_generation);
    }
}

static void test_generation(void)
{
    struct p2m_pub p = { .arch = &arch };
    uint64_t seen;
    memset(&arch, 0, sizeof(arch));
    p2m_pub_set(&p, &good, why, sizeof(why));
    CASE(reader(&p, &seen) == 0 && seen == 2, "holding still: a reader sees one even generation",
         "seen %llu", (unsigned long long)seen);
    p2m_pub_begin(&p);
    CASE(arch.p2m_generation == 3 && reader(&p, &seen) == -1,
         "while a change is open the generation is odd and a reader starts over",
         "generation %lu", arch.p2m_generation);
    p2m_pub_begin(&p);
    p2m_pub_set(&p, &good, why, sizeof(why));
    p2m_pub_end(&p);
    CASE(arch.p2m_generation == 3 && p.depth == 1, "nested changes stay odd until the outermost ends",
         "generation %lu depth %u", arch.p2m_generation, p.depth);
    p2m_pub_end(&p);
    CASE(arch.p2m_generation == 4 && p.depth == 0 && reader(&p, &seen) == 0,
         "the outermost end makes it even, one step on from before", "generation %lu",
         arch.p2m_generation);
    p2m_pub_end(&p);
    CASE(arch.p2m_generation == 4 && p.depth == 0, "an end without a begin changes nothing",
         "generation %lu depth %u", arch.p2m_generation, p.depth);

    /* A pre-copy pass: generation before, pages, generation after (x86_pv_check_vm_state). */
    uint64_t before = p2m_pub_generation(&p);
    uint64_t after = p2m_pub_generation(&p);
    CASE(before == after, "no change between two passes: the save goes on", "%llu != %llu",
         (unsigned long long)before, (unsigned long long)after);
    p2m_pub_begin(&p);
    p2m_pub_end(&p);
    after = p2m_pub_generation(&p);
    CASE(before != after && !(after & 1), "a change between two passes is seen: the save aborts",
         "%llu -> %llu", (unsigned long long)before, (unsigned long long)after);
}

static void test_kexec(void)
{
    /* The old kernel began a change and jumped (or crashed) inside it: odd in shared_info. */
    memset(&arch, 0, sizeof(arch));
    arch.p2m_generation = 9;
    struct p2m_pub fresh = { .arch = &arch };
    uint64_t seen;
    CASE(reader(&fresh, &seen) == -1, "a change left open by an earlier kernel reads as changing",
         "generation %lu", arch.p2m_generation);
    p2m_pub_set(&fresh, &good, why, sizeof(why));
    CASE(arch.p2m_generation == 10 && reader(&fresh, &seen) == 0,
         "the new kernel's publication closes it: 9 -> 10, stable", "generation %lu",
         arch.p2m_generation);
}

int main(void)
{
    ktap_plan(3 + 7 + 7 + 2);
    test_set();
    test_bad();
    test_generation();
    test_kexec();
    return ktap_done();
}
