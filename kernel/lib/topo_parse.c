/* SPDX-License-Identifier: MIT */
/* Synthetic APIC topology, the readers: topology= and CPUID, into a request. */
#include <minipv/escape.h>
#include "topo_internal.h"

static const char *const key_name[NR_F] = { "sockets", "dies", "cores", "threads" };

/* One byte as esc_byte spells it.  A message cut by a short buffer is cut
 * like snprintf's (a prefix of the whole one), escapes included. */
static void sb_put_byte(struct sbuf *b, unsigned char c)
{
    char e[ESC_BYTE_MAX];
    size_t n = esc_byte(e, c);

    for (size_t i = 0; i < n; i++)
        sb_putc(b, e[i]);
}

/* 'word' with at most 24 bytes shown (user input can be long or binary),
 * each byte as esc_byte spells it. */
static void sb_quote(struct sbuf *b, const char *s, size_t n)
{
    size_t show = n > 24 ? 21 : n;

    sb_putc(b, '\'');
    for (size_t i = 0; i < show; i++)
        sb_put_byte(b, (unsigned char)s[i]);
    if (show < n)
        sb_puts(b, "...");
    sb_putc(b, '\'');
}

static size_t str_len(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

/* ---- topology= parser ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whole of s[0..n) must be a decimal count in 1..UINT32_MAX. */
static int parse_count(const char *s, size_t n, uint32_t *v)
{
    uint64_t x = 0;

    if (!n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
        if (x > UINT32_MAX)
            return -2;
    }
    if (!x)
        return -3;
    *v = (uint32_t)x;
    return 0;
}

static int bad_count(struct sbuf *b, int why, const char *w, size_t n, const char *what,
                     const char *s)
{
    static const char *const reason[] = { "", "bad value ", "value too large ", "zero count " };

    sb_puts(b, "topology: ");
    sb_puts(b, reason[-why]);
    sb_quote(b, w, n);
    sb_puts(b, " for ");
    sb_puts(b, what);
    sb_puts(b, " in ");
    sb_quote(b, s, str_len(s));
    return -1;
}

static int bad_word(struct sbuf *b, const char *what, const char *w, size_t n, const char *s)
{
    sb_puts(b, "topology: ");
    sb_puts(b, what);
    sb_putc(b, ' ');
    sb_quote(b, w, n);
    sb_puts(b, " in ");
    sb_quote(b, s, str_len(s));
    return -1;
}

static int unit_index(char c)
{
    for (int i = 0; i < NR_F; i++)
        if (unit_ch[i] == c)
            return i;
    return -1;
}

/* "2s2d3c2t": each word is a count and a unit; units strictly in s,d,c,t order. */
static int parse_compact(const char *s, uint32_t f[NR_F], struct sbuf *b)
{
    const char *p = s;
    int last = -1;

    while (*p) {
        const char *w = p;
        int u, r;

        while (*p && unit_index(*p) < 0)
            p++;
        if (!*p)
            return bad_word(b, "trailing garbage", w, (size_t)(p - w), s);
        u = unit_index(*p);
        if (u <= last)
            return bad_word(b, "unit repeated or out of order (want s,d,c,t):", w,
                            (size_t)(p - w) + 1, s);
        r = parse_count(w, (size_t)(p - w), &f[u]);
        if (r)
            return bad_count(b, r, w, (size_t)(p - w), key_name[u], s);
        last = u;
        p++;
    }
    return 0;
}

/* "sockets=2,cores=3": comma-separated key=value, any subset, any order. */
static int parse_keyed(const char *s, uint32_t f[NR_F], struct sbuf *b)
{
    const char *p = s;

    for (;;) {
        const char *w = p, *eq = NULL, *v;
        size_t klen;
        int k = -1, r;

        while (*p && *p != ',') {
            if (*p == '=' && !eq)
                eq = p;
            p++;
        }
        if (p == w)
            return bad_word(b, "empty item", w, 0, s);
        if (!eq)
            return bad_word(b, "expected key=value, got", w, (size_t)(p - w), s);
        klen = (size_t)(eq - w);
        for (int i = 0; i < NR_F; i++) {
            const char *kn = key_name[i];
            size_t j = 0;

            while (j < klen && kn[j] && kn[j] == w[j])
                j++;
            if (j == klen && !kn[j])
                k = i;
        }
        if (k < 0)
            return bad_word(b, "unknown key", w, klen, s);
        if (f[k])
            return bad_word(b, "duplicate key", w, klen, s);
        v = eq + 1;
        r = parse_count(v, (size_t)(p - v), &f[k]);
        if (r)
            return bad_count(b, r, v, (size_t)(p - v), key_name[k], s);
        if (!*p)
            return 0;
        p++;            /* a trailing ',' then yields an "empty item" */
    }
}

int topo_parse(const char *s, struct topo_request *out, char *err, size_t errlen)
{
    uint32_t f[NR_F] = { 0, 0, 0, 0 };
    struct sbuf b;
    const char *p;
    int r;

    sb_init(&b, err, errlen);
    out->sockets = out->dies = out->cores = out->threads = 0;
    if (!s || !*s) {
        sb_puts(&b, "topology: empty string");
        return -1;
    }
    for (p = s; *p && *p != '='; p++)
        ;
    r = *p ? parse_keyed(s, f, &b) : parse_compact(s, f, &b);
    if (r)
        return r;
    out->sockets = f[F_S];
    out->dies = f[F_D];
    out->cores = f[F_C];
    out->threads = f[F_T];
    return 0;
}

/* ---- CPUID ---- */

/* Level types grouped by what they mean for us; MODULE/TILE fold into cores
 * and DIEGRP into dies, since minipv only has the four SDM-classic levels. */
static int level_rank(uint32_t type)
{
    switch (type) {
    case 1:                 return 1;   /* SMT */
    case 2: case 3: case 4: return 2;   /* core, module, tile */
    case 5: case 6:         return 3;   /* die, die group */
    default:                return -1;
    }
}

static int cpuid_bad(struct sbuf *b, const char *why, uint32_t sub, uint32_t v)
{
    sb_puts(b, "topology: CPUID ");
    sb_puts(b, why);
    sb_puts(b, " (subleaf ");
    sb_putu(b, sub);
    sb_puts(b, ", value ");
    sb_putu(b, v);
    sb_putc(b, ')');
    return -1;
}

/* Leaf 0xB/0x1F: EBX of a level = logical CPUs in the scope its shift leaves,
 * i.e. SMT -> per core, CORE -> per die (per package in 0xB), DIE -> per pkg. */
static int cpuid_ext(const struct topo_cpuid *c, uint32_t per[4], struct sbuf *b)
{
    uint32_t n = c->nr_levels < TOPO_CPUID_LEVELS ? c->nr_levels : TOPO_CPUID_LEVELS;
    uint32_t prev_shift = 0, prev_count = 1;
    int prev_rank = 0;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t type = (c->level[i].ecx >> 8) & 0xff;
        uint32_t shift = c->level[i].eax & 0x1f;
        uint32_t count = c->level[i].ebx & 0xffff;
        int rank = level_rank(type);

        if (!type)
            break;
        if ((c->level[i].ecx & 0xff) != i)
            return cpuid_bad(b, "level number mismatch", i, c->level[i].ecx & 0xff);
        if (rank < 0)
            return cpuid_bad(b, "unknown level type", i, type);
        if (i == 0 && rank != 1)
            return cpuid_bad(b, "first level is not SMT", i, type);
        if (rank < prev_rank)
            return cpuid_bad(b, "levels out of order", i, type);
        if (!count || count < prev_count || count % prev_count)
            return cpuid_bad(b, "CPU count does not nest", i, count);
        if (shift < prev_shift || count > (1u << shift))
            return cpuid_bad(b, "shift too small for count", i, shift);
        per[rank] = count;
        prev_rank = rank;
        prev_shift = shift;
        prev_count = count;
    }
    if (!per[1])
        return cpuid_bad(b, "has no topology levels", 0, 0);
    return 0;
}

int topo_from_cpuid(const struct topo_cpuid *c, struct topo_request *out,
                    char *err, size_t errlen)
{
    struct sbuf b;
    uint32_t per[4] = { 1, 0, 0, 0 };   /* [rank] = logical CPUs per core/die/pkg */
    uint32_t threads, cores, dies = 0;

    sb_init(&b, err, errlen);
    out->sockets = out->dies = out->cores = out->threads = 0;
    if (c->ext_leaf) {
        if (cpuid_ext(c, per, &b))
            return -1;
        threads = per[1];
        if (!per[2])
            per[2] = per[1];
        cores = per[2] / per[1];
        if (per[3])
            dies = per[3] / per[2];
    } else if (!(c->leaf1_edx & (1u << 28))) {
        threads = cores = 1;    /* no HTT: one logical CPU per package */
    } else {
        /* Legacy leaves count addressable IDs (often rounded up to a power
         * of two), so this is only ever an upper-bound hint. */
        uint32_t lp = (c->leaf1_ebx >> 16) & 0xff;

        if (!lp)
            return cpuid_bad(&b, "leaf 1 reports 0 logical CPUs", 0, 0);
        if (c->has_leaf4)
            cores = (c->leaf4_eax >> 26) + 1;
        else if (c->has_amd_ext)
            cores = lp / (((c->amd_8000001e_ebx >> 8) & 0xff) + 1);
        else
            cores = 1;
        if (!cores || lp % cores)
            return cpuid_bad(&b, "leaf 1/4 CPU counts do not divide", 0, lp);
        threads = lp / cores;
    }
    if (c->has_amd_ext && threads != ((c->amd_8000001e_ebx >> 8) & 0xff) + 1)
        return cpuid_bad(&b, "0x8000001E threads per core disagree", 0,
                         ((c->amd_8000001e_ebx >> 8) & 0xff) + 1);
    out->dies = dies;
    out->cores = cores;
    out->threads = threads;
    return 0;
}
