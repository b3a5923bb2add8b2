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

/*
 * A guest p2m in miniature (what kernel/mm, kexec and kdump change between
 * mm_p2m_change_begin and _end: entries, and with a publication the shape,
 * max_pfn) and a writer that makes one change as single steps, so a reader
 * can be run between any two of them.
 */
#define MODEL_PFNS 6
static unsigned long model_list[MODEL_PFNS];

/* State v: every entry says v, and the list is MODEL_PFNS - v % 2 long. */
static unsigned long model_len(unsigned long v) { return MODEL_PFNS - v % 2; }

static void model_init(struct p2m_pub *p, unsigned long v)
{
    memset(&arch, 0, sizeof(arch));
    p->arch = &arch;
    p->depth = 0;
    for (unsigned i = 0; i < MODEL_PFNS; i++)
        model_list[i] = v;
    arch.max_pfn = model_len(v);
}

/* Step s (0 .. WRITER_STEPS - 1) of the change from state v to v + 1. */
#define WRITER_STEPS (MODEL_PFNS + 3)
static void writer_step(struct p2m_pub *p, unsigned long v, unsigned s)
{
    if (s == 0)
        p2m_pub_begin(p);
    else if (s <= MODEL_PFNS)
        model_list[s - 1] = v + 1;
    else if (s == MODEL_PFNS + 1)
        arch.max_pfn = model_len(v + 1);        /* the shape changes too */
    else
        p2m_pub_end(p);
}

/* The reader as steps: the generation, the length, the entries, the generation again. */
struct copy {
    uint64_t g0, g1;
    unsigned long len, list[MODEL_PFNS];
};
#define READER_STEPS (MODEL_PFNS + 3)
static void reader_step(const struct p2m_pub *p, struct copy *c, unsigned s)
{
    if (s == 0)
        c->g0 = p2m_pub_generation(p);
    else if (s == 1)
        c->len = arch.max_pfn;
    else if (s <= MODEL_PFNS + 1)
        c->list[s - 2] = model_list[s - 2];
    else
        c->g1 = p2m_pub_generation(p);
}

static bool copy_kept(const struct copy *c) { return !(c->g0 & 1) && c->g0 == c->g1; }

/* A kept copy must be one whole state: every entry and the length agree. */
static bool copy_whole(const struct copy *c)
{
    for (unsigned i = 1; i < MODEL_PFNS; i++)
        if (c->list[i] != c->list[0])
            return false;
    return c->len == model_len(c->list[0]);
}

static void test_two_bumps(void)
{
    struct p2m_pub p;
    model_init(&p, 0);
    bool odd_inside = true;
    for (unsigned long v = 0; v < 5; v++)
        for (unsigned s = 0; s < WRITER_STEPS; s++) {
            writer_step(&p, v, s);
            bool open = s + 1 < WRITER_STEPS;
            odd_inside &= (p2m_pub_generation(&p) & 1) == open;
        }
    CASE(odd_inside, "odd from a change's begin to its end, even between changes",
         "generation %lu", arch.p2m_generation);
    CASE(arch.p2m_generation == 10, "5 changes: the generation moved by 2 each (0 -> 10)",
         "generation %lu", arch.p2m_generation);
}

/*
 * The writer makes w of its steps, the reader r of its own, the writer
 * finishes, the reader finishes: every (w, r).  A copy that the generation
 * lets through must be whole, and the reader that copies again once the
 * writer is done gets the new state.
 */
static void test_interleavings(void)
{
    unsigned torn_kept = 0, retried = 0, kept = 0, bad_retry = 0, cases = 0;
    char first[120] = "";
    for (unsigned w = 0; w <= WRITER_STEPS; w++)
        for (unsigned r = 0; r <= READER_STEPS; r++) {
            struct p2m_pub p;
            struct copy c;
            model_init(&p, 4);
            unsigned s = 0, t = 0;
            for (; s < w; s++)
                writer_step(&p, 4, s);
            for (; t < r; t++)
                reader_step(&p, &c, t);
            for (; s < WRITER_STEPS; s++)
                writer_step(&p, 4, s);
            for (; t < READER_STEPS; t++)
                reader_step(&p, &c, t);
            cases++;
            if (!copy_kept(&c)) {
                retried++;
                for (t = 0; t < READER_STEPS; t++)
                    reader_step(&p, &c, t);
                bad_retry += !copy_kept(&c) || !copy_whole(&c) || c.list[0] != 5;
                continue;
            }
            kept++;
            if (!copy_whole(&c) && !torn_kept++)
                snprintf(first, sizeof(first), "writer %u steps, reader %u: len %lu, entries %lu..%lu",
                         w, r, c.len, c.list[0], c.list[MODEL_PFNS - 1]);
        }
    CASE(torn_kept == 0, "a copy the generation lets through is one whole state",
         "%u of %u kept copies torn; first: %s", torn_kept, kept, first);
    CASE(retried > 0 && bad_retry == 0,
         "a reader that copied during a change sees the generation moved and copies again",
         "%u of %u interleavings retried, %u retries not the new whole state", retried, cases,
         bad_retry);
}

int main(void)
{
    ktap_plan(3 + 7 + 7 + 2 + 2 + 2);
    test_set();
    test_bad();
    test_generation();
    test_kexec();
    test_two_bumps();
    test_interleavings();
    return ktap_done();
}
