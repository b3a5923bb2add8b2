/* SPDX-License-Identifier: MIT */
/* Synthetic APIC topology: parse, judge CPUID, fit to the vCPU count, number. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kernel/topo_layout.h>

/* Field order everywhere: sockets, dies, cores, threads. */
enum { F_S, F_D, F_C, F_T, NR_F };
static const char unit_ch[NR_F] = { 's', 'd', 'c', 't' };
static const char *const key_name[NR_F] = { "sockets", "dies", "cores", "threads" };

/* ---- bounded string appender: never overruns, always NUL-terminated ---- */

struct sbuf {
    char *p;
    size_t len, pos;        /* pos = chars wanted so far, may exceed len */
};

static void sb_init(struct sbuf *b, char *p, size_t len)
{
    b->p = p;
    b->len = p ? len : 0;
    b->pos = 0;
    if (b->len)
        p[0] = '\0';
}

static void sb_putc(struct sbuf *b, char c)
{
    if (b->pos + 1 < b->len) {
        b->p[b->pos] = c;
        b->p[b->pos + 1] = '\0';
    }
    b->pos++;
}

static void sb_puts(struct sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static void sb_putu(struct sbuf *b, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        sb_putc(b, tmp[--n]);
}

/* 'word' with at most 24 chars shown: user input can be long or binary. */
static void sb_quote(struct sbuf *b, const char *s, size_t n)
{
    size_t show = n > 24 ? 21 : n;

    sb_putc(b, '\'');
    for (size_t i = 0; i < show; i++)
        sb_putc(b, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
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

/* ---- small arithmetic ---- */

/* Bits for an SDM field holding count values: ceil(log2(count)), 0 for 0/1. */
static uint32_t field_width(uint32_t count)
{
    uint32_t w = 0;

    while (w < 32 && ((uint64_t)1 << w) < count)
        w++;
    return w;
}

static uint32_t id_bits(const uint32_t f[NR_F])
{
    return field_width(f[F_S]) + field_width(f[F_D]) + field_width(f[F_C]) +
           field_width(f[F_T]);
}

/* Saturating: request values are arbitrary u32s and 4 of them overflow u64. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

static void req_to_f(const struct topo_request *r, uint32_t f[NR_F])
{
    f[F_S] = r->sockets;
    f[F_D] = r->dies;
    f[F_C] = r->cores;
    f[F_T] = r->threads;
}

static bool req_given(const struct topo_request *r)
{
    return r && (r->sockets | r->dies | r->cores | r->threads);
}

/* Compact form, zero (unset) fields left out: "2s3c2t", "4t". */
static void sb_fields(struct sbuf *b, const uint32_t f[NR_F], bool all)
{
    for (int i = 0; i < NR_F; i++) {
        if (!all && !f[i])
            continue;
        sb_putu(b, f[i]);
        sb_putc(b, unit_ch[i]);
    }
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

/* ---- fitting ---- */

enum { FIT_OK, FIT_BITS, FIT_DIVIDE, FIT_SLOTS };

/*
 * Resolve a request against nr vCPUs into f[].  dies/threads default to 1;
 * cores (or sockets, if cores was given) is the free field taking the rest.
 * *need = what the request demands: slot count, multiple, or ID bits.
 */
static int resolve(const uint32_t r[NR_F], uint32_t nr, uint32_t f[NR_F], uint64_t *need)
{
    int free = !r[F_C] ? F_C : !r[F_S] ? F_S : -1;
    uint64_t fixed = 1;

    for (int i = 0; i < NR_F; i++)
        f[i] = r[i] ? r[i] : 1;
    if (free >= 0) {
        for (int i = 0; i < NR_F; i++)
            if (i != free)
                fixed = mul_sat(fixed, f[i]);
        f[free] = fixed <= nr ? (uint32_t)(nr / fixed) : 1;
    }
    if (id_bits(f) > 32) {
        *need = id_bits(f);
        return FIT_BITS;
    }
    if (free >= 0 && nr % fixed) {  /* fixed <= 2^32 here: bits <= 32 */
        *need = fixed;
        return FIT_DIVIDE;
    }
    /* bits <= 32 means every field <= 2^width, so the product is exact */
    *need = (uint64_t)f[F_S] * f[F_D] * f[F_C] * f[F_T];
    return *need == nr ? FIT_OK : FIT_SLOTS;
}

/* Which request fields each fallback keeps, and which one absorbs the rest. */
#define K(f) (1u << (f))
static const struct { uint8_t keep, free; } fallback[] = {
    { K(F_S) | K(F_D) | K(F_T), F_C },
    { K(F_D) | K(F_C) | K(F_T), F_S },
    { K(F_S) | K(F_T),          F_C },
    { K(F_C) | K(F_T),          F_S },
    { K(F_T),                   F_C },
    { K(F_S),                   F_C },
    { 0,                        F_C },  /* 1s1d<nr>c1t: always fits */
};

static void pick_fallback(const uint32_t r[NR_F], uint32_t nr, uint32_t f[NR_F])
{
    for (size_t k = 0; k < sizeof(fallback) / sizeof(fallback[0]); k++) {
        uint64_t fixed = 1;
        int fr = fallback[k].free;

        /* keeping an unset cores count would mean "1 core": not what anyone asked */
        if ((fallback[k].keep & K(F_C)) && !r[F_C])
            continue;
        for (int i = 0; i < NR_F; i++) {
            f[i] = (fallback[k].keep & K(i)) && r[i] ? r[i] : 1;
            if (i != fr)
                fixed = mul_sat(fixed, f[i]);
        }
        if (fixed > nr || nr % fixed)
            continue;
        f[fr] = (uint32_t)(nr / fixed);
        if (id_bits(f) <= 32)
            return;
    }
    /* unreachable: the last entry always fits, but stay total */
    f[F_S] = f[F_D] = f[F_T] = 1;
    f[F_C] = nr;
}

static void set_layout(struct topo_layout *l, uint32_t nr, const uint32_t f[NR_F], int src)
{
    l->nr_cpus = nr;
    l->sockets = f[F_S];
    l->dies = f[F_D];
    l->cores = f[F_C];
    l->threads = f[F_T];
    l->smt_width = field_width(l->threads);
    l->core_width = field_width(l->cores);
    l->die_width = field_width(l->dies);
    l->core_shift = l->smt_width;
    l->die_shift = l->core_shift + l->core_width;
    l->pkg_shift = l->die_shift + l->die_width;
    l->source = src;
}

int topo_fit(uint32_t nr_cpus, const struct topo_request *req,
             const struct topo_request *cpuid_hint, struct topo_layout *out,
             char *msg, size_t msglen)
{
    uint32_t r[NR_F] = { 0, 0, 0, 0 }, f[NR_F];
    const char *name = NULL;
    int src = TOPO_SRC_DEFAULT, adjusted = 0, why;
    uint64_t need;
    struct sbuf b;

    sb_init(&b, msg, msglen);
    if (!nr_cpus) {
        sb_puts(&b, "topology: 0 vCPUs reported; assuming 1");
        nr_cpus = 1;
        adjusted = 1;
    }
    if (req_given(req)) {
        req_to_f(req, r);
        name = "cmdline";
        src = TOPO_SRC_CMDLINE;
    } else if (req_given(cpuid_hint)) {
        req_to_f(cpuid_hint, r);
        name = "CPUID";
        src = TOPO_SRC_CPUID;
    }

    why = resolve(r, nr_cpus, f, &need);
    if (why != FIT_OK) {    /* never for the default: 1s1d<nr>c1t fits */
        if (adjusted)
            sb_puts(&b, "; ");
        sb_puts(&b, "topology: ");
        sb_puts(&b, name);
        sb_putc(&b, ' ');
        sb_fields(&b, r, false);
        if (why == FIT_BITS) {
            sb_puts(&b, " needs ");
            sb_putu(&b, need);
            sb_puts(&b, "-bit APIC IDs (max 32)");
        } else if (why == FIT_DIVIDE) {
            sb_puts(&b, " needs a multiple of ");
            sb_putu(&b, need);
            sb_puts(&b, " vCPUs but there are ");
            sb_putu(&b, nr_cpus);
        } else {
            sb_puts(&b, " gives ");
            sb_putu(&b, need);
            sb_puts(&b, " CPU slots but there are ");
            sb_putu(&b, nr_cpus);
            sb_puts(&b, " vCPUs");
        }
        pick_fallback(r, nr_cpus, f);
        adjusted = 1;
    }
    if (adjusted) {
        src = TOPO_SRC_ADJUSTED;
        sb_puts(&b, "; using ");
        sb_fields(&b, f, true);
    }
    set_layout(out, nr_cpus, f, src);
    return adjusted;
}

size_t topo_format(const struct topo_layout *l, char *buf, size_t len)
{
    uint32_t f[NR_F] = { l->sockets, l->dies, l->cores, l->threads };
    struct sbuf b;

    sb_init(&b, buf, len);
    sb_fields(&b, f, true);
    return b.pos;
}

/* ---- numbering ---- */

/* 64-bit shifts: pkg_shift may be 32 when there is a single package. */
static uint32_t pack(const struct topo_layout *l, uint32_t pkg, uint32_t die, uint32_t core,
                     uint32_t thread)
{
    return (uint32_t)(thread | (uint64_t)core << l->core_shift |
                      (uint64_t)die << l->die_shift | (uint64_t)pkg << l->pkg_shift);
}

bool topo_ids(const struct topo_layout *l, uint32_t index, struct topo_ids *out)
{
    uint32_t i = index;

    if (index >= l->nr_cpus) {
        out->apic_id = out->pkg = out->die = out->core = out->thread = TOPO_BAD_ID;
        return false;
    }
    out->thread = i % l->threads;
    i /= l->threads;
    out->core = i % l->cores;
    i /= l->cores;
    out->die = i % l->dies;
    out->pkg = i / l->dies;
    out->apic_id = pack(l, out->pkg, out->die, out->core, out->thread);
    return true;
}

static uint32_t field(uint32_t id, uint32_t shift, uint32_t width)
{
    return (uint32_t)(((uint64_t)id >> shift) & (((uint64_t)1 << width) - 1));
}

int64_t topo_index_of(const struct topo_layout *l, uint32_t apic_id)
{
    uint32_t thread = field(apic_id, 0, l->smt_width);
    uint32_t core = field(apic_id, l->core_shift, l->core_width);
    uint32_t die = field(apic_id, l->die_shift, l->die_width);
    uint64_t pkg = (uint64_t)apic_id >> l->pkg_shift;
    uint64_t idx;

    /* IDs in the gaps (e.g. core 3 of 3) belong to no slot */
    if (thread >= l->threads || core >= l->cores || die >= l->dies)
        return -1;
    idx = ((pkg * l->dies + die) * l->cores + core) * l->threads + thread;
    return idx < l->nr_cpus ? (int64_t)idx : -1;
}

static uint32_t scope_size(const struct topo_layout *l, enum topo_scope scope)
{
    uint32_t n = l->threads;

    if (scope >= TOPO_SCOPE_DIE)
        n *= l->cores;
    if (scope >= TOPO_SCOPE_PKG)
        n *= l->dies;
    return n;
}

/* Slots are in topology order, so every scope is one contiguous span. */
bool topo_span(const struct topo_layout *l, uint32_t index, enum topo_scope scope,
               struct topo_span *out)
{
    uint32_t n = scope_size(l, scope);

    if (index >= l->nr_cpus) {
        out->first = out->count = 0;
        return false;
    }
    out->first = index - index % n;
    out->count = n;
    return true;
}

static bool same(const struct topo_layout *l, uint32_t a, uint32_t b, enum topo_scope s)
{
    uint32_t n = scope_size(l, s);

    return a < l->nr_cpus && b < l->nr_cpus && a / n == b / n;
}

bool topo_same_core(const struct topo_layout *l, uint32_t a, uint32_t b)
{
    return same(l, a, b, TOPO_SCOPE_CORE);
}

bool topo_same_die(const struct topo_layout *l, uint32_t a, uint32_t b)
{
    return same(l, a, b, TOPO_SCOPE_DIE);
}

bool topo_same_pkg(const struct topo_layout *l, uint32_t a, uint32_t b)
{
    return same(l, a, b, TOPO_SCOPE_PKG);
}

int topo_levels(const struct topo_layout *l, uint32_t leaf, struct topo_level out[4])
{
    int n = 0;

    out[n++] = (struct topo_level){ TOPO_LVL_SMT, l->core_shift, l->threads };
    if (leaf == 0xb || l->dies == 1) {
        out[n++] = (struct topo_level){ TOPO_LVL_CORE, l->pkg_shift,
                                        l->threads * l->cores * l->dies };
    } else {
        out[n++] = (struct topo_level){ TOPO_LVL_CORE, l->die_shift, l->threads * l->cores };
        out[n++] = (struct topo_level){ TOPO_LVL_DIE, l->pkg_shift,
                                        l->threads * l->cores * l->dies };
    }
    out[n] = (struct topo_level){ TOPO_LVL_INVALID, 0, 0 };
    return n;
}
