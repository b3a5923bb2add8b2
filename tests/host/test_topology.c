/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for kernel/lib/topo_layout.c, KTAP output, non-zero exit on failure.
 *
 *   mkdir -p build/host && gcc -std=gnu11 -g -O1 -Wall -Wextra -Werror \
 *       -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude \
 *       tests/host/test_topology.c -o build/host/test_topology && build/host/test_topology
 *
 * Expected APIC IDs come from the test, not the module: literal lists for the
 * key shapes, and for every case an SDM enumeration (nested loops, widths by
 * clz) from the counts written in the case table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/topo_layout.c"
#include "../../kernel/lib/topo_parse.c"

static char why[512];

static bool fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return false;
}

#define CHECK(cond, ...) do { if (!(cond)) return fail(__VA_ARGS__); } while (0)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define IDS(...) .ids = (const uint32_t[]){ __VA_ARGS__ }, \
                 .nids = sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t)

/* ---- independent SDM model ---- */

/* SDM: field width = ceil(log2(count)); written via clz, unlike the module. */
static uint32_t sdm_width(uint32_t n)
{
    return n <= 1 ? 0 : 32 - (uint32_t)__builtin_clz(n - 1);
}

struct shape { uint32_t s, d, c, t; };

static bool shape_from(const char *str, struct shape *sh)
{
    unsigned s, d, c, t;
    char end;

    if (sscanf(str, "%us%ud%uc%ut%c", &s, &d, &c, &t, &end) != 4)
        return false;
    *sh = (struct shape){ s, d, c, t };
    return true;
}

/* slot index -> (apic, pkg, die, core, thread), enumerated thread-fastest */
static size_t sdm_enumerate(const struct shape *sh, struct topo_ids *out, size_t max)
{
    uint32_t tw = sdm_width(sh->t), cw = sdm_width(sh->c), dw = sdm_width(sh->d);
    size_t n = 0;

    for (uint32_t p = 0; p < sh->s; p++)
        for (uint32_t d = 0; d < sh->d; d++)
            for (uint32_t c = 0; c < sh->c; c++)
                for (uint32_t t = 0; t < sh->t && n < max; t++)
                    out[n++] = (struct topo_ids){
                        .apic_id = (uint32_t)(t + ((uint64_t)c << tw) +
                                              ((uint64_t)d << (tw + cw)) +
                                              ((uint64_t)p << (tw + cw + dw))),
                        .pkg = p, .die = d, .core = c, .thread = t };
    return n;
}

/* ---- fit cases ---- */

struct fit_case {
    const char *name;
    uint32_t nr;
    const char *cmdline;            /* parsed with topo_parse; NULL = none */
    struct topo_request hint;       /* all zero = none */
    int ret, source;
    const char *layout;             /* expected "NsNdNcNt" */
    uint32_t core_shift, die_shift, pkg_shift;
    const char *msg[2];             /* substrings the message must have */
    const uint32_t *ids;            /* literal APIC IDs, or NULL */
    size_t nids;
};

#define MAX_ENUM 4096

static const struct fit_case fit_cases[] = {
    { "1_default", 1, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d1c1t", 0, 0, 0, {0}, IDS(0) },
    { "2_default", 2, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d2c1t", 0, 1, 1, {0}, IDS(0, 1) },
    { "3_default", 3, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d3c1t", 0, 2, 2, {0}, IDS(0, 1, 2) },
    { "6_1s3c2t", 6, "1s3c2t", {0}, 0, TOPO_SRC_CMDLINE, "1s1d3c2t", 1, 3, 3, {0},
      IDS(0, 1, 2, 3, 4, 5) },
    { "12_2s3c2t", 12, "2s3c2t", {0}, 0, TOPO_SRC_CMDLINE, "2s1d3c2t", 1, 3, 3, {0},
      IDS(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13) },
    { "24_2s6c2t", 24, "sockets=2,cores=6,threads=2", {0}, 0, TOPO_SRC_CMDLINE, "2s1d6c2t",
      1, 4, 4, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27) },
    { "10_cores", 10, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d10c1t", 0, 4, 4, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9) },
    { "28_14c2t", 28, "14c2t", {0}, 0, TOPO_SRC_CMDLINE, "1s1d14c2t", 1, 5, 5, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
          24, 25, 26, 27) },
    { "40_2s10c2t", 40, "2s10c2t", {0}, 0, TOPO_SRC_CMDLINE, "2s1d10c2t", 1, 5, 5, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
          32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51) },
    { "32_4d8c", 32, "4d8c", {0}, 0, TOPO_SRC_CMDLINE, "1s4d8c1t", 0, 3, 5, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
          24, 25, 26, 27, 28, 29, 30, 31) },
    { "15_3d5c_gaps", 15, "dies=3,cores=5", {0}, 0, TOPO_SRC_CMDLINE, "1s3d5c1t", 0, 3, 5, {0},
      IDS(0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20) },
    { "24_2s2d3c2t", 24, "2s2d3c2t", {0}, 0, TOPO_SRC_CMDLINE, "2s2d3c2t", 1, 3, 4, {0},
      IDS(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 29) },
    { "255_default", 255, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d255c1t", 0, 8, 8, {0}, NULL, 0 },
    { "256_default", 256, NULL, {0}, 0, TOPO_SRC_DEFAULT, "1s1d256c1t", 0, 8, 8, {0}, NULL, 0 },
    { "12_partial_cores_threads", 12, "cores=3,threads=2", {0}, 0, TOPO_SRC_CMDLINE,
      "2s1d3c2t", 1, 3, 3, {0}, IDS(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13) },
    { "8_partial_2d", 8, "2d", {0}, 0, TOPO_SRC_CMDLINE, "1s2d4c1t", 0, 2, 3, {0},
      IDS(0, 1, 2, 3, 4, 5, 6, 7) },
    { "12_cpuid_hint", 12, NULL, {0, 0, 3, 2}, 0, TOPO_SRC_CPUID, "2s1d3c2t", 1, 3, 3, {0},
      IDS(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13) },
    { "4_cmdline_beats_hint", 4, "1s4c1t", {0, 0, 2, 2}, 0, TOPO_SRC_CMDLINE, "1s1d4c1t",
      0, 2, 2, {0}, IDS(0, 1, 2, 3) },
    /* mismatches: the vCPU count wins */
    { "6_2s2c1t_too_few", 6, "2s2c1t", {0}, 1, TOPO_SRC_ADJUSTED, "2s1d3c1t", 0, 2, 2,
      { "cmdline 2s2c1t gives 4 CPU slots but there are 6 vCPUs", "; using 2s1d3c1t" },
      IDS(0, 1, 2, 4, 5, 6) },
    { "4_2s3c2t_too_many", 4, "2s3c2t", {0}, 1, TOPO_SRC_ADJUSTED, "2s1d1c2t", 1, 1, 1,
      { "gives 12 CPU slots but there are 4 vCPUs", "using 2s1d1c2t" }, IDS(0, 1, 2, 3) },
    { "10_2s3c2t_keep_threads", 10, "2s3c2t", {0}, 1, TOPO_SRC_ADJUSTED, "1s1d5c2t", 1, 4, 4,
      { "gives 12 CPU slots but there are 10 vCPUs", "using 1s1d5c2t" },
      IDS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9) },
    { "18_2s3c2t_keep_cores", 18, "2s3c2t", {0}, 1, TOPO_SRC_ADJUSTED, "3s1d3c2t", 1, 3, 3,
      { "gives 12 CPU slots but there are 18 vCPUs", "using 3s1d3c2t" },
      IDS(0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21) },
    { "6_4t_not_multiple", 6, "threads=4", {0}, 1, TOPO_SRC_ADJUSTED, "1s1d6c1t", 0, 3, 3,
      { "cmdline 4t needs a multiple of 4 vCPUs but there are 6" }, IDS(0, 1, 2, 3, 4, 5) },
    { "4_8s", 4, "8s", {0}, 1, TOPO_SRC_ADJUSTED, "1s1d4c1t", 0, 2, 2,
      { "8s needs a multiple of 8 vCPUs but there are 4" }, IDS(0, 1, 2, 3) },
    { "4_cpuid_hint_too_big", 4, NULL, {0, 0, 8, 2}, 1, TOPO_SRC_ADJUSTED, "1s1d2c2t", 1, 2, 2,
      { "CPUID 8c2t needs a multiple of 16 vCPUs but there are 4" }, IDS(0, 1, 2, 3) },
    { "8_apic_id_overflow", 8, "sockets=65536,cores=65536,threads=2", {0}, 1,
      TOPO_SRC_ADJUSTED, "1s1d4c2t", 1, 3, 3,
      { "65536s65536c2t needs 33-bit APIC IDs (max 32)", "using 1s1d4c2t" },
      IDS(0, 1, 2, 3, 4, 5, 6, 7) },
    /* product matches but 2+2+27+2 = 33 bits: must fall back, keeping s,t */
    { "exact_but_33_bits", 1811939355u, "3s3d67108865c3t", {0}, 1, TOPO_SRC_ADJUSTED,
      "3s1d201326595c3t", 2, 30, 30, { "needs 33-bit APIC IDs" }, NULL, 0 },
    { "0_vcpus", 0, NULL, {0}, 1, TOPO_SRC_ADJUSTED, "1s1d1c1t", 0, 0, 0,
      { "0 vCPUs reported; assuming 1" }, IDS(0) },
    { "0_vcpus_and_mismatch", 0, "2s", {0}, 1, TOPO_SRC_ADJUSTED, "1s1d1c1t", 0, 0, 0,
      { "assuming 1; topology: cmdline 2s needs a multiple of 2 vCPUs but there are 1" },
      IDS(0) },
    /* full 32-bit ID space: pkg_shift 32 must not be a 32-bit shift */
    { "uint32_max_default", UINT32_MAX, NULL, {0}, 0, TOPO_SRC_DEFAULT,
      "1s1d4294967295c1t", 0, 32, 32, {0}, NULL, 0 },
};

static bool check_ids_for(const struct topo_layout *l, const struct topo_ids *e, uint32_t i)
{
    struct topo_ids got;

    CHECK(topo_ids(l, i, &got), "topo_ids(%u) failed", i);
    CHECK(got.apic_id == e->apic_id && got.pkg == e->pkg && got.die == e->die &&
          got.core == e->core && got.thread == e->thread,
          "slot %u: got apic %u (%u/%u/%u/%u), SDM says %u (%u/%u/%u/%u)", i, got.apic_id,
          got.pkg, got.die, got.core, got.thread, e->apic_id, e->pkg, e->die, e->core, e->thread);
    CHECK(topo_index_of(l, e->apic_id) == i, "topo_index_of(%u) = %lld, want %u", e->apic_id,
          (long long)topo_index_of(l, e->apic_id), i);
    return true;
}

/* Spans and same_*() against the SDM enumeration's own field equality. */
static bool check_siblings(const struct topo_layout *l, const struct topo_ids *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t cnt[3] = { 0, 0, 0 }, first[3] = { UINT32_MAX, UINT32_MAX, UINT32_MAX };

        for (size_t j = 0; j < n; j++) {
            bool pkg = e[i].pkg == e[j].pkg, die = pkg && e[i].die == e[j].die,
                 core = die && e[i].core == e[j].core;
            bool want[3] = { core, die, pkg };
            bool got[3] = { topo_same_core(l, (uint32_t)i, (uint32_t)j),
                            topo_same_die(l, (uint32_t)i, (uint32_t)j),
                            topo_same_pkg(l, (uint32_t)i, (uint32_t)j) };

            for (int s = 0; s < 3; s++) {
                CHECK(got[s] == want[s], "same scope %d of %zu,%zu: got %d", s, i, j, got[s]);
                if (want[s]) {
                    cnt[s]++;
                    if (first[s] == UINT32_MAX)
                        first[s] = (uint32_t)j;
                }
            }
        }
        for (int s = 0; s < 3; s++) {
            struct topo_span sp;

            CHECK(topo_span(l, (uint32_t)i, (enum topo_scope)s, &sp), "span failed");
            CHECK(sp.first == first[s] && sp.count == cnt[s],
                  "span scope %d of %zu: got %u+%u want %u+%u", s, i, sp.first, sp.count,
                  first[s], cnt[s]);
        }
    }
    return true;
}

static bool check_levels(const struct topo_layout *l, const struct shape *sh)
{
    struct topo_level lv[4];
    uint32_t tw = sdm_width(sh->t), cw = sdm_width(sh->c), dw = sdm_width(sh->d);
    int n = topo_levels(l, 0x1f, lv);

    CHECK(lv[0].type == TOPO_LVL_SMT && lv[0].shift == tw && lv[0].count == sh->t,
          "0x1F SMT level %u/%u/%u", lv[0].type, lv[0].shift, lv[0].count);
    if (sh->d > 1) {
        CHECK(n == 3 && lv[1].type == TOPO_LVL_CORE && lv[1].shift == tw + cw &&
              lv[1].count == sh->t * sh->c && lv[2].type == TOPO_LVL_DIE &&
              lv[2].shift == tw + cw + dw && lv[2].count == sh->t * sh->c * sh->d,
              "0x1F die levels wrong (n=%d)", n);
    } else {
        CHECK(n == 2 && lv[1].type == TOPO_LVL_CORE && lv[1].shift == tw + cw &&
              lv[1].count == sh->t * sh->c, "0x1F core level wrong (n=%d)", n);
    }
    CHECK(lv[n].type == TOPO_LVL_INVALID, "no terminator");
    n = topo_levels(l, 0xb, lv);
    CHECK(n == 2 && lv[1].type == TOPO_LVL_CORE && lv[1].shift == tw + cw + dw &&
          lv[1].count == sh->t * sh->c * sh->d && lv[2].type == TOPO_LVL_INVALID,
          "0xB levels wrong (n=%d)", n);
    return true;
}

/* Huge layouts: check the ends and package edges against the formula. */
static bool check_sampled(const struct topo_layout *l, const struct shape *sh)
{
    uint32_t tw = sdm_width(sh->t), cw = sdm_width(sh->c), dw = sdm_width(sh->d);
    uint64_t per_pkg = (uint64_t)sh->d * sh->c * sh->t;
    uint64_t probes[] = { 0, 1, per_pkg - 1, per_pkg, per_pkg + 1, l->nr_cpus / 2,
                          (uint64_t)l->nr_cpus - 2, (uint64_t)l->nr_cpus - 1 };

    for (size_t k = 0; k < ARRAY_LEN(probes); k++) {
        uint64_t i = probes[k], r = i;
        struct topo_ids e;

        if (i >= l->nr_cpus)
            continue;
        e.thread = (uint32_t)(r % sh->t); r /= sh->t;
        e.core = (uint32_t)(r % sh->c); r /= sh->c;
        e.die = (uint32_t)(r % sh->d);
        e.pkg = (uint32_t)(r / sh->d);
        e.apic_id = (uint32_t)(e.thread + ((uint64_t)e.core << tw) +
                               ((uint64_t)e.die << (tw + cw)) +
                               ((uint64_t)e.pkg << (tw + cw + dw)));
        if (!check_ids_for(l, &e, (uint32_t)i))
            return false;
    }
    return true;
}

static bool run_fit_case(const void *arg)
{
    const struct fit_case *tc = arg;
    struct topo_request req = {0}, *reqp = NULL;
    struct topo_layout l;
    struct shape sh;
    char msg[256], err[128], str[64];
    static struct topo_ids e[MAX_ENUM];
    uint64_t product;
    size_t n;
    int ret;

    if (tc->cmdline) {
        CHECK(topo_parse(tc->cmdline, &req, err, sizeof(err)) == 0, "parse '%s': %s",
              tc->cmdline, err);
        reqp = &req;
    }
    memset(&l, 0xa5, sizeof(l));
    ret = topo_fit(tc->nr, reqp, &tc->hint, &l, msg, sizeof(msg));
    CHECK(ret == tc->ret, "ret %d want %d (msg '%s')", ret, tc->ret, msg);
    CHECK(l.source == tc->source, "source %d want %d", l.source, tc->source);
    topo_format(&l, str, sizeof(str));
    CHECK(!strcmp(str, tc->layout), "layout %s want %s (msg '%s')", str, tc->layout, msg);
    CHECK(ret ? msg[0] != '\0' : msg[0] == '\0', "message presence wrong: '%s'", msg);
    for (int k = 0; k < 2; k++)
        CHECK(!tc->msg[k] || strstr(msg, tc->msg[k]), "msg '%s' lacks '%s'", msg, tc->msg[k]);

    /* the vCPU count wins: exactly nr slots (0 means 1) */
    CHECK(shape_from(tc->layout, &sh), "bad layout string in table");
    product = (uint64_t)sh.s * sh.d * sh.c * sh.t;
    CHECK(l.nr_cpus == (tc->nr ? tc->nr : 1) && product == l.nr_cpus,
          "nr_cpus %u, product %llu", l.nr_cpus, (unsigned long long)product);
    CHECK(l.smt_width == sdm_width(sh.t) && l.core_width == sdm_width(sh.c) &&
          l.die_width == sdm_width(sh.d), "widths %u/%u/%u", l.smt_width, l.core_width,
          l.die_width);
    CHECK(l.core_shift == tc->core_shift && l.die_shift == tc->die_shift &&
          l.pkg_shift == tc->pkg_shift, "shifts %u/%u/%u want %u/%u/%u", l.core_shift,
          l.die_shift, l.pkg_shift, tc->core_shift, tc->die_shift, tc->pkg_shift);
    CHECK(l.pkg_shift + sdm_width(sh.s) <= 32, "IDs exceed 32 bits");
    if (!check_levels(&l, &sh))
        return false;

    if (l.nr_cpus > MAX_ENUM) {
        CHECK(!tc->ids, "table: literal IDs for a huge case");
        return check_sampled(&l, &sh);
    }
    n = sdm_enumerate(&sh, e, MAX_ENUM);
    CHECK(n == l.nr_cpus, "enumerated %zu", n);
    if (tc->ids) {
        CHECK(tc->nids == n, "table has %zu IDs for %zu slots", tc->nids, n);
        for (size_t i = 0; i < n; i++)
            CHECK(tc->ids[i] == e[i].apic_id, "table vs SDM at %zu: %u vs %u", i, tc->ids[i],
                  e[i].apic_id);
    }
    for (size_t i = 0; i < n; i++)
        if (!check_ids_for(&l, &e[i], (uint32_t)i))
            return false;
    /* every ID in the gaps maps to no slot */
    for (uint32_t id = 0, k = 0; id <= e[n - 1].apic_id + 2; id++) {
        bool used = k < n && e[k].apic_id == id;

        CHECK(used || topo_index_of(&l, id) == -1, "gap ID %u maps to slot %lld", id,
              (long long)topo_index_of(&l, id));
        k += used;
    }
    return check_siblings(&l, e, n);
}

/* ---- parser cases ---- */

struct parse_case {
    const char *name, *in;
    int ret;
    struct topo_request want;
    const char *err;                /* substring, or full message if exact */
    bool exact;
};

static const struct parse_case parse_cases[] = {
    { "compact_s_c_t", "2s3c2t", 0, {2, 0, 3, 2}, NULL, false },
    { "compact_s_d_c_t", "2s2d3c2t", 0, {2, 2, 3, 2}, NULL, false },
    { "compact_subset", "4t", 0, {0, 0, 0, 4}, NULL, false },
    { "compact_leading_zeros", "007c", 0, {0, 0, 7, 0}, NULL, false },
    { "compact_u32_max", "4294967295s", 0, {UINT32_MAX, 0, 0, 0}, NULL, false },
    { "keyed_all", "sockets=2,dies=1,cores=3,threads=2", 0, {2, 1, 3, 2}, NULL, false },
    { "keyed_any_order", "threads=2,sockets=4", 0, {4, 0, 0, 2}, NULL, false },
    { "empty", "", -1, {0}, "topology: empty string", true },
    { "null", NULL, -1, {0}, "topology: empty string", true },
    { "abc", "abc", -1, {0}, "topology: bad value 'ab' for cores in 'abc'", true },
    { "bad_value_quoted", "2sx3c", -1, {0}, "topology: bad value 'x3' for cores in '2sx3c'", true },
    { "repeat_2s2s", "2s2s", -1, {0},
      "topology: unit repeated or out of order (want s,d,c,t): '2s' in '2s2s'", true },
    { "out_of_order", "2c2s", -1, {0}, "out of order (want s,d,c,t): '2s'", false },
    { "bare_unit", "s", -1, {0}, "bad value '' for sockets in 's'", false },
    { "overflow", "99999999999s", -1, {0},
      "topology: value too large '99999999999' for sockets in '99999999999s'", true },
    { "overflow_2p32", "4294967296c", -1, {0}, "value too large '4294967296'", false },
    { "trailing_junk", "2s3c2t junk", -1, {0},
      "topology: trailing garbage ' junk' in '2s3c2t junk'", true },
    { "trailing_newline", "2s3c2t\n", -1, {0}, "trailing garbage '\\x0a' in '2s3c2t\\x0a'", false },
    { "no_unit", "12", -1, {0}, "trailing garbage '12'", false },
    { "zero_compact", "0s", -1, {0}, "zero count '0' for sockets", false },
    { "zero_keyed", "sockets=0", -1, {0}, "zero count '0' for sockets", false },
    { "negative", "-1s", -1, {0}, "bad value '-1' for sockets", false },
    { "leading_space", " 2s", -1, {0}, "bad value ' 2'", false },
    { "keyed_empty_value", "sockets=,cores=3", -1, {0},
      "topology: bad value '' for sockets in 'sockets=,cores=3'", true },
    { "keyed_duplicate", "cores=2,threads=2,cores=2", -1, {0}, "duplicate key 'cores'", false },
    { "keyed_unknown", "cpus=4", -1, {0}, "unknown key 'cpus'", false },
    { "keyed_prefix_key", "core=4", -1, {0}, "unknown key 'core'", false },
    { "keyed_trailing_comma", "sockets=2,", -1, {0}, "empty item '' in 'sockets=2,'", false },
    { "keyed_leading_comma", ",sockets=2", -1, {0}, "empty item", false },
    { "keyed_no_equals", "cores=3,threads", -1, {0}, "expected key=value, got 'threads'", false },
    { "keyed_two_equals", "cores=3=4", -1, {0}, "bad value '3=4' for cores", false },
    { "keyed_value_junk", "cores=3 ", -1, {0}, "bad value '3 ' for cores", false },
    { "long_input_quoted_short", "sockets=1234567890123456789012345678901234567890", -1, {0},
      "value too large '123456789012345678901...' for sockets in 'sockets=1234567890123...'",
      false },
};

static bool run_parse_case(const void *arg)
{
    const struct parse_case *tc = arg;
    struct topo_request r;
    char err[160];
    int ret;

    memset(&r, 0x5a, sizeof(r));
    memset(err, 'X', sizeof(err));
    ret = topo_parse(tc->in, &r, err, sizeof(err));
    CHECK(ret == tc->ret, "ret %d want %d (err '%.*s')", ret, tc->ret,
          (int)sizeof(err), ret ? err : "");
    if (ret) {
        CHECK(memchr(err, '\0', sizeof(err)), "err not terminated");
        CHECK(tc->exact ? !strcmp(err, tc->err) : !!strstr(err, tc->err),
              "err '%s' want '%s'", err, tc->err);
        CHECK(!r.sockets && !r.dies && !r.cores && !r.threads, "out not cleared on error");
    } else {
        CHECK(!memcmp(&r, &tc->want, sizeof(r)), "got %u/%u/%u/%u", r.sockets, r.dies,
              r.cores, r.threads);
        CHECK(err[0] == '\0', "err set on success");
    }
    return true;
}

/* ---- CPUID cases ---- */

#define LVL(n, type, shift, count) { (shift), (count), ((type) << 8) | (n) }
#define END(n) { 0, 0, (n) }

struct cpuid_case {
    const char *name;
    struct topo_cpuid in;
    int ret;
    struct topo_request want;
    const char *err;
};

static const struct cpuid_case cpuid_cases[] = {
    { "leaf1f_6c2t", { .ext_leaf = 0x1f, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 4, 12), END(2) } }, 0, {0, 0, 6, 2}, NULL },
    { "leaf1f_4d4c2t", { .ext_leaf = 0x1f, .nr_levels = 4,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 3, 8), LVL(2, 5, 5, 32), END(3) } }, 0,
      {0, 4, 4, 2}, NULL },
    { "leafb_8c1t", { .ext_leaf = 0xb, .nr_levels = 3,
      .level = { LVL(0, 1, 0, 1), LVL(1, 2, 3, 8), END(2) } }, 0, {0, 0, 8, 1}, NULL },
    { "leaf1f_module_folds_into_cores", { .ext_leaf = 0x1f, .nr_levels = 4,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 3, 8), LVL(2, 3, 4, 16), END(3) } }, 0,
      {0, 0, 8, 2}, NULL },
    { "amd_ext_consistent", { .ext_leaf = 0xb, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 7, 16), END(2) },
      .has_amd_ext = true, .amd_8000001e_ebx = 1 << 8 }, 0, {0, 0, 8, 2}, NULL },
    { "legacy_ht", { .leaf1_ebx = 16 << 16, .leaf1_edx = 1u << 28, .has_leaf4 = true,
      .leaf4_eax = 7u << 26 }, 0, {0, 0, 8, 2}, NULL },
    { "legacy_no_htt", { .leaf1_ebx = 16 << 16 }, 0, {0, 0, 1, 1}, NULL },
    { "legacy_amd", { .leaf1_ebx = 8 << 16, .leaf1_edx = 1u << 28, .has_amd_ext = true,
      .amd_8000001e_ebx = 1 << 8 }, 0, {0, 0, 4, 2}, NULL },
    { "amd_ext_disagrees", { .ext_leaf = 0xb, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 7, 16), END(2) },
      .has_amd_ext = true, .amd_8000001e_ebx = 0 }, -1, {0}, "0x8000001E" },
    { "counts_do_not_nest", { .ext_leaf = 0x1f, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(1, 2, 3, 5), END(2) } }, -1, {0}, "does not nest" },
    { "shift_too_small", { .ext_leaf = 0x1f, .nr_levels = 2,
      .level = { LVL(0, 1, 0, 2), END(1) } }, -1, {0}, "shift too small" },
    { "first_not_smt", { .ext_leaf = 0x1f, .nr_levels = 2,
      .level = { LVL(0, 2, 3, 8), END(1) } }, -1, {0}, "first level is not SMT" },
    { "unknown_type", { .ext_leaf = 0x1f, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(1, 9, 3, 8), END(2) } }, -1, {0}, "unknown level type" },
    { "out_of_order", { .ext_leaf = 0x1f, .nr_levels = 4,
      .level = { LVL(0, 1, 1, 2), LVL(1, 5, 3, 8), LVL(2, 2, 4, 16), END(3) } }, -1, {0},
      "out of order" },
    { "level_number_mismatch", { .ext_leaf = 0x1f, .nr_levels = 3,
      .level = { LVL(0, 1, 1, 2), LVL(4, 2, 3, 8), END(2) } }, -1, {0}, "level number" },
    { "no_levels", { .ext_leaf = 0xb, .nr_levels = 0 }, -1, {0}, "no topology levels" },
    { "legacy_zero", { .leaf1_edx = 1u << 28 }, -1, {0}, "0 logical CPUs" },
    { "legacy_not_divisible", { .leaf1_ebx = 12 << 16, .leaf1_edx = 1u << 28,
      .has_leaf4 = true, .leaf4_eax = 7u << 26 }, -1, {0}, "do not divide" },
};

static bool run_cpuid_case(const void *arg)
{
    const struct cpuid_case *tc = arg;
    struct topo_request r;
    char err[160];
    int ret = topo_from_cpuid(&tc->in, &r, err, sizeof(err));

    CHECK(ret == tc->ret, "ret %d want %d (%s)", ret, tc->ret, err);
    if (ret)
        CHECK(strstr(err, tc->err) && !strncmp(err, "topology: CPUID ", 16),
              "err '%s' want '%s'", err, tc->err);
    else
        CHECK(!memcmp(&r, &tc->want, sizeof(r)) && !err[0], "got %u/%u/%u/%u", r.sockets,
              r.dies, r.cores, r.threads);
    return true;
}

/* ---- one-off tests ---- */

static bool t_static_helpers(const void *arg)
{
    static const uint32_t w[][2] = { {0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3},
                                     {9, 4}, {255, 8}, {256, 8}, {257, 9},
                                     {0x80000000u, 31}, {0x80000001u, 32}, {UINT32_MAX, 32} };
    struct sbuf b;
    char buf[8];

    (void)arg;
    for (size_t i = 0; i < ARRAY_LEN(w); i++)
        CHECK(field_width(w[i][0]) == w[i][1] && sdm_width(w[i][0]) == w[i][1],
              "width(%u) = %u want %u", w[i][0], field_width(w[i][0]), w[i][1]);
    CHECK(mul_sat(UINT32_MAX, UINT32_MAX) == (uint64_t)UINT32_MAX * UINT32_MAX, "mul_sat");
    CHECK(mul_sat(1ull << 40, 1ull << 40) == UINT64_MAX, "mul_sat saturate");
    CHECK(mul_sat(0, UINT64_MAX) == 0, "mul_sat 0");
    sb_init(&b, buf, sizeof(buf));
    sb_puts(&b, "abc");
    sb_putu(&b, 18446744073709551615ull);
    CHECK(!strcmp(buf, "abc1844") && b.pos == 23, "sbuf '%s' pos %zu", buf, b.pos);
    sb_init(&b, NULL, 99);
    sb_puts(&b, "xyz");
    CHECK(b.pos == 3, "null sbuf");
    return true;
}

/* Every truncation of the message is a terminated prefix; ASan checks bounds. */
static bool t_msg_truncation(const void *arg)
{
    struct topo_request req = { 2, 0, 2, 1 };
    struct topo_layout l;
    char full[256];
    size_t n;

    (void)arg;
    CHECK(topo_fit(6, &req, NULL, &l, full, sizeof(full)) == 1, "fit");
    n = strlen(full);
    for (size_t len = 0; len <= n + 1; len++) {
        char *m = malloc(len ? len : 1);
        bool ok;

        memset(m, 'Z', len ? len : 1);
        ok = topo_fit(6, &req, NULL, &l, len ? m : NULL, len) == 1 &&
             (!len || (strlen(m) == (len - 1 < n ? len - 1 : n) && !strncmp(m, full, len - 1)));
        free(m);
        CHECK(ok, "fit with msglen %zu", len);
    }
    for (size_t len = 1; len < 12; len++) {
        char *m = malloc(len);
        struct topo_request r;
        bool ok = topo_parse("2s3c2t junk", &r, m, len) == -1 && strlen(m) == len - 1;

        ok = ok && topo_format(&l, m, len) == strlen("2s1d3c1t") &&
             !strncmp(m, "2s1d3c1t", len - 1) && strlen(m) <= len - 1;
        free(m);
        CHECK(ok, "parse/format with buffer %zu", len);
    }
    return true;
}

static bool t_out_of_range(const void *arg)
{
    struct topo_request req = { 2, 0, 3, 2 };
    struct topo_layout l;
    struct topo_ids id;
    struct topo_span sp;

    (void)arg;
    topo_fit(12, &req, NULL, &l, NULL, 0);
    CHECK(!topo_ids(&l, 12, &id) && id.apic_id == TOPO_BAD_ID && id.pkg == TOPO_BAD_ID,
          "index 12 accepted");
    CHECK(!topo_ids(&l, UINT32_MAX, &id), "index max accepted");
    CHECK(!topo_span(&l, 12, TOPO_SCOPE_PKG, &sp) && sp.count == 0, "span 12 accepted");
    CHECK(!topo_same_pkg(&l, 11, 12) && !topo_same_core(&l, 12, 12), "same_* out of range");
    CHECK(topo_index_of(&l, 6) == -1 && topo_index_of(&l, 7) == -1, "gap 6/7");
    CHECK(topo_index_of(&l, 14) == -1 && topo_index_of(&l, 16) == -1, "beyond last");
    CHECK(topo_index_of(&l, TOPO_BAD_ID) == -1, "broadcast ID");
    return true;
}

/*
 * The boot CPU is data: whichever slot Xen boots on, its APIC ID must be in
 * the table and map back, and nothing may single out slot 0.  Check that the
 * numbering is translation-invariant by whole packages (so package 0 is not
 * special) and that every slot, including the last, is a valid boot CPU.
 */
static bool t_any_slot_can_boot(const void *arg)
{
    static const char *const shapes[] = { "2s3c2t", "3s2d3c2t", "4s5c1t", "2s10c2t", "4d8c" };

    (void)arg;
    for (size_t k = 0; k < ARRAY_LEN(shapes); k++) {
        struct topo_request req;
        struct topo_layout l;
        uint32_t per_pkg, nr;
        struct shape sh;

        CHECK(!topo_parse(shapes[k], &req, NULL, 0), "parse %s", shapes[k]);
        sh = (struct shape){ req.sockets ? req.sockets : 1, req.dies ? req.dies : 1,
                             req.cores, req.threads ? req.threads : 1 };
        per_pkg = sh.d * sh.c * sh.t;
        nr = sh.s * per_pkg;
        CHECK(topo_fit(nr, &req, NULL, &l, NULL, 0) == 0, "fit %s", shapes[k]);
        for (uint32_t boot = 0; boot < nr; boot++) {
            struct topo_ids a, b;
            struct topo_span sp;

            CHECK(topo_ids(&l, boot, &a) && topo_index_of(&l, a.apic_id) == boot,
                  "%s: boot slot %u not enumerable", shapes[k], boot);
            CHECK(topo_span(&l, boot, TOPO_SCOPE_PKG, &sp) && sp.first <= boot &&
                  boot < sp.first + sp.count && sp.count == per_pkg, "%s: pkg span", shapes[k]);
            if (boot + per_pkg < nr) {
                topo_ids(&l, boot + per_pkg, &b);
                CHECK(b.apic_id == a.apic_id + (1u << l.pkg_shift) && b.pkg == a.pkg + 1 &&
                      b.core == a.core && b.thread == a.thread && b.die == a.die,
                      "%s: slot %u vs %u not a package apart", shapes[k], boot, boot + per_pkg);
            }
        }
    }
    return true;
}

/* Every nr in 1..TOPO_MAX_CPUS against a spread of requests: invariants hold. */
static bool t_sweep(const void *arg)
{
    static const char *const reqs[] = { NULL, "2s3c2t", "4t", "2s", "2d", "3c", "8s8c8t",
                                        "sockets=65536,cores=65536,threads=2", "5s2d3c" };

    (void)arg;
    for (uint32_t nr = 1; nr <= TOPO_MAX_CPUS; nr++) {
        for (size_t k = 0; k < ARRAY_LEN(reqs); k++) {
            struct topo_request req = {0};
            struct topo_layout l;
            uint32_t prev = 0;
            char msg[200];
            int ret;

            if (reqs[k])
                topo_parse(reqs[k], &req, NULL, 0);
            ret = topo_fit(nr, &req, NULL, &l, msg, sizeof(msg));
            CHECK((uint64_t)l.sockets * l.dies * l.cores * l.threads == nr,
                  "nr %u %s: product", nr, reqs[k] ? reqs[k] : "-");
            CHECK(ret == (msg[0] != '\0'), "nr %u: ret/msg", nr);
            CHECK(!ret || (strstr(msg, "there are") && strstr(msg, "; using ")) ||
                  strstr(msg, "APIC IDs"), "nr %u: msg '%s'", nr, msg);
            for (uint32_t i = 0; i < nr; i++) {
                struct topo_ids id;

                topo_ids(&l, i, &id);
                CHECK(i == 0 || id.apic_id > prev, "nr %u: IDs not increasing at %u", nr, i);
                CHECK(topo_index_of(&l, id.apic_id) == i, "nr %u: roundtrip %u", nr, i);
                prev = id.apic_id;
            }
        }
    }
    return true;
}

/* What the parser accepts, format prints back and parse takes again. */
static bool t_parse_format_roundtrip(const void *arg)
{
    static const char *const in[] = { "2s3c2t", "sockets=3,threads=2,dies=2,cores=5", "7c" };

    (void)arg;
    for (size_t k = 0; k < ARRAY_LEN(in); k++) {
        struct topo_request a, b;
        struct topo_layout l;
        char s[64];
        uint32_t nr;

        CHECK(!topo_parse(in[k], &a, NULL, 0), "parse");
        nr = (a.sockets ? a.sockets : 1) * (a.dies ? a.dies : 1) * a.cores *
             (a.threads ? a.threads : 1);
        CHECK(!topo_fit(nr, &a, NULL, &l, NULL, 0), "fit %s", in[k]);
        topo_format(&l, s, sizeof(s));
        CHECK(!topo_parse(s, &b, NULL, 0), "reparse %s", s);
        CHECK(b.sockets == l.sockets && b.dies == l.dies && b.cores == l.cores &&
              b.threads == l.threads, "roundtrip %s -> %s", in[k], s);
    }
    return true;
}

/* ---- runner ---- */

struct test {
    const char *name;
    bool (*fn)(const void *);
    const void *arg;
};

#define MAX_TESTS 128
_Static_assert(ARRAY_LEN(fit_cases) + ARRAY_LEN(parse_cases) + ARRAY_LEN(cpuid_cases) + 6 <= MAX_TESTS,
               "raise MAX_TESTS");

int main(void)
{
    static struct test tests[MAX_TESTS];
    static char names[MAX_TESTS][80];
    size_t n = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);   /* sanitizer aborts must not eat results */

    for (size_t i = 0; i < ARRAY_LEN(fit_cases); i++, n++) {
        snprintf(names[n], sizeof(names[n]), "fit_%s", fit_cases[i].name);
        tests[n] = (struct test){ names[n], run_fit_case, &fit_cases[i] };
    }
    for (size_t i = 0; i < ARRAY_LEN(parse_cases); i++, n++) {
        snprintf(names[n], sizeof(names[n]), "parse_%s", parse_cases[i].name);
        tests[n] = (struct test){ names[n], run_parse_case, &parse_cases[i] };
    }
    for (size_t i = 0; i < ARRAY_LEN(cpuid_cases); i++, n++) {
        snprintf(names[n], sizeof(names[n]), "cpuid_%s", cpuid_cases[i].name);
        tests[n] = (struct test){ names[n], run_cpuid_case, &cpuid_cases[i] };
    }
    tests[n++] = (struct test){ "static_helpers", t_static_helpers, NULL };
    tests[n++] = (struct test){ "msg_truncation", t_msg_truncation, NULL };
    tests[n++] = (struct test){ "out_of_range", t_out_of_range, NULL };
    tests[n++] = (struct test){ "any_slot_can_boot", t_any_slot_can_boot, NULL };
    tests[n++] = (struct test){ "sweep_1_to_max_cpus", t_sweep, NULL };
    tests[n++] = (struct test){ "parse_format_roundtrip", t_parse_format_roundtrip, NULL };

    printf("KTAP version 1\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        why[0] = '\0';
        if (tests[i].fn(tests[i].arg)) {
            printf("ok %zu %s\n", i + 1, tests[i].name);
        } else {
            printf("not ok %zu %s # %s\n", i + 1, tests[i].name, why);
            failed++;
        }
    }
    printf("# %zu/%zu passed\n", n - failed, n);
    return failed ? 1 : 0;
}
