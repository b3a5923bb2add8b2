/* SPDX-License-Identifier: MIT */
/* Synthetic APIC topology: fit a request to the vCPU count, number (readers: topo_parse.c). */
#include "topo_internal.h"

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
