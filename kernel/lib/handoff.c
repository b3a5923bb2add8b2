/* SPDX-License-Identifier: MIT */
/* The kexec/kdump handoff codec (format and rules: include/kernel/handoff.h).  Pure. */
#include <kernel/handoff.h>
#include <kernel/format.h>
#include <minipv/string.h>
#include <minipv/escape.h>

/*
 * Record types.  The order is the order encode writes them in; a type's
 * number never changes (it is on the wire).
 */
#define HO_RECORDS(X)                                                                   \
    X(GEN) X(DOMAIN) X(VCPUS) X(MEMORY) X(OLD_P2M) X(CMDLINE) X(XENSTORE) X(STATS)       \
    X(CRASH) X(TEST) X(REGS)
#define REC_ENUM_(r) REC_##r,
#define REC_NAME_(r) #r,
enum { REC_NONE, HO_RECORDS(REC_ENUM_) REC_NR };
static const char *const rec_names[REC_NR] = { "?", HO_RECORDS(REC_NAME_) };
#define REQUIRED ((1u << REC_GEN) | (1u << REC_DOMAIN) | (1u << REC_VCPUS) | (1u << REC_MEMORY))

#define HDR_LEN 32
#define REC_HDR 8
#define ARRAY_HDR 8                     /* u32 count, 4 zero bytes */

/* ---- the field tables, from the lists in include/kernel/handoff.h ---- */

enum field_kind { FK_INT, FK_BYTES, FK_STR, FK_PAD };
struct field {
    uint32_t off;                       /* in the struct */
    uint16_t size;                      /* on the wire, = in the struct but for padding */
    uint8_t kind;
};
#define WIRE_F(t, n) + sizeof(t)
#define WIRE_A(t, n, k) + sizeof(t) * (k)
#define WIRE_S(n, k) + (k)
#define WIRE_P(k) + (k)
#define WIRE_LEN(list) (0 list(WIRE_F, WIRE_A, WIRE_S, WIRE_P))
/* The member's size is its wire size: a type change that would move the wire is a build error. */
#define CHK_F(st, t, n) BUILD_BUG_ON(sizeof(((st *)0)->n) != sizeof(t));
#define CHK_A(st, t, n, k) BUILD_BUG_ON(sizeof(((st *)0)->n) != sizeof(t) * (k));
#define CHK_S(st, n, k) BUILD_BUG_ON(sizeof(((st *)0)->n) != (k));

#define STRUCT_ handoff
#define F_(t, n) { offsetof(struct STRUCT_, n), sizeof(t), FK_INT },
#define A_(t, n, k) { offsetof(struct STRUCT_, n), sizeof(t) * (k), FK_BYTES },
#define S_(n, k) { offsetof(struct STRUCT_, n), (k), FK_STR },
#define P_(k) { 0, (k), FK_PAD },
#define FIELDS(list) list(F_, A_, S_, P_)

static const struct field gen_f[] = { FIELDS(HO_REC_GEN) };
static const struct field domain_f[] = { FIELDS(HO_REC_DOMAIN) };
static const struct field memory_f[] = { FIELDS(HO_REC_MEMORY) };
static const struct field xenstore_f[] = { FIELDS(HO_REC_XENSTORE) };
static const struct field stats_f[] = { FIELDS(HO_REC_STATS) };
static const struct field crash_f[] = { FIELDS(HO_REC_CRASH) };
static const struct field test_f[] = { FIELDS(HO_REC_TEST) };
#undef STRUCT_
#define STRUCT_ handoff_vcpu
static const struct field vcpu_f[] = { FIELDS(HO_ENTRY_VCPU) };
#undef STRUCT_
#define STRUCT_ handoff_regs
static const struct field regs_f[] = { FIELDS(HO_ENTRY_REGS) };
#undef STRUCT_
static const struct field p2m_f[] = { { 0, 8, FK_INT } };

/* A fixed record, or an array record: `count` entries of `f` at `array`. */
struct rec_desc {
    uint8_t type;
    const struct field *f;
    uint8_t nf;
    uint16_t first, len;                /* payload: of the first version, of ours */
    /* array records */
    uint32_t count_off, array_off;      /* in struct handoff */
    uint16_t stride;                    /* one entry in the struct */
    uint32_t max;
};
#define FIXED(r, tab) \
    { REC_##r, tab, ARRAY_SIZE(tab), HO_FIRST_##r, WIRE_LEN(HO_REC_##r), 0, 0, 0, 0 }
#define ARRAY(r, tab, len, cnt, arr, max)                                                 \
    { REC_##r, tab, ARRAY_SIZE(tab), 0, len, offsetof(struct handoff, cnt),               \
      offsetof(struct handoff, arr), sizeof(((struct handoff *)0)->arr[0]), max }
#define VCPU_ENTRY WIRE_LEN(HO_ENTRY_VCPU)
#define REGS_ENTRY WIRE_LEN(HO_ENTRY_REGS)

/* Every record but CMDLINE (a string of its own length), in type order. */
static const struct rec_desc recs[] = {
    FIXED(GEN, gen_f),
    FIXED(DOMAIN, domain_f),
    ARRAY(VCPUS, vcpu_f, VCPU_ENTRY, nr_vcpus, vcpu, HANDOFF_MAX_VCPUS),
    FIXED(MEMORY, memory_f),
    ARRAY(OLD_P2M, p2m_f, 8, nr_old_p2m, old_p2m, HANDOFF_MAX_P2M),
    FIXED(XENSTORE, xenstore_f),
    FIXED(STATS, stats_f),
    FIXED(CRASH, crash_f),
    FIXED(TEST, test_f),
    ARRAY(REGS, regs_f, REGS_ENTRY, nr_regs, regs, HANDOFF_MAX_REGS),
};

/* The wire layout is fixed: what the first version of each record held stays where it was. */
BUILD_BUG_ON(WIRE_LEN(HO_REC_GEN) != 32);        /* 24, then time_offset */
BUILD_BUG_ON(WIRE_LEN(HO_REC_DOMAIN) != 32);
BUILD_BUG_ON(WIRE_LEN(HO_REC_MEMORY) != 72);
BUILD_BUG_ON(WIRE_LEN(HO_REC_XENSTORE) != 32);
BUILD_BUG_ON(WIRE_LEN(HO_REC_STATS) != 16);
BUILD_BUG_ON(WIRE_LEN(HO_REC_CRASH) != HANDOFF_REASON + 8);
BUILD_BUG_ON(WIRE_LEN(HO_REC_TEST) != 16);
BUILD_BUG_ON(VCPU_ENTRY != 16 || VCPU_ENTRY != sizeof(struct handoff_vcpu));
BUILD_BUG_ON(REGS_ENTRY != 8 + 8 * HANDOFF_NREGS || REGS_ENTRY != sizeof(struct handoff_regs));
#define CHK_H_F(t, n) CHK_F(struct handoff, t, n)
#define CHK_H_A(t, n, k) CHK_A(struct handoff, t, n, k)
#define CHK_H_S(n, k) CHK_S(struct handoff, n, k)
#define CHK_H_P(k)
#define CHECKS(list) list(CHK_H_F, CHK_H_A, CHK_H_S, CHK_H_P)
CHECKS(HO_REC_GEN) CHECKS(HO_REC_DOMAIN) CHECKS(HO_REC_MEMORY) CHECKS(HO_REC_XENSTORE)
CHECKS(HO_REC_STATS) CHECKS(HO_REC_CRASH) CHECKS(HO_REC_TEST)

#define HO_STATE_NAME_(id, name) name,
const char *handoff_vcpu_state_name(unsigned s)
{
    static const char *const n[] = { HO_VCPU_STATES(HO_STATE_NAME_) };
    return s < HO_VCPU_NR_STATES ? n[s] : "?";
}

uint32_t handoff_crc32(uint32_t crc, const void *p, size_t n)
{
    /* Table-driven: a vmcore is megabytes, and TCG makes every instruction count. */
    static uint32_t table[256];
    static volatile bool ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
            table[i] = c;
        }
        ready = true;       /* the same values if two cpus race here */
    }
    const uint8_t *b = p;
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ table[(crc ^ *b++) & 0xff];
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static size_t cmdline_len(const struct handoff *h)
{
    return strnlen(h->cmdline, HANDOFF_CMDLINE - 1) + 1;
}

static size_t rec_size(size_t payload) { return REC_HDR + ALIGN_UP(payload, 8); }

static uint32_t array_count(const struct rec_desc *d, const struct handoff *h)
{
    return get32((const uint8_t *)h + d->count_off);
}

static size_t payload_len(const struct rec_desc *d, const struct handoff *h)
{
    if (!d->max)
        return d->len;
    return ARRAY_HDR + (size_t)MIN(array_count(d, h), d->max) * d->len;
}

size_t handoff_size(const struct handoff *h)
{
    size_t n = HDR_LEN + rec_size(cmdline_len(h));
    for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
        n += rec_size(payload_len(&recs[i], h));
    return n;
}

/* ---- encode ---- */

/* Fields from the struct at s to the wire at p (little-endian both: the bytes as they are). */
static void put_fields(const struct field *f, unsigned nf, const uint8_t *s, uint8_t *p)
{
    for (unsigned i = 0; i < nf; p += f[i].size, i++) {
        if (f[i].kind == FK_STR)
            memcpy(p, s + f[i].off, strnlen((const char *)s + f[i].off, f[i].size - 1u));
        else if (f[i].kind != FK_PAD)
            memcpy(p, s + f[i].off, f[i].size);
    }
}

struct writer {
    uint8_t *buf;
    size_t at;
    uint32_t records;
};

/* Start a record of `len` payload bytes; returns where the payload goes (zeroed). */
static uint8_t *rec_begin(struct writer *w, uint16_t type, size_t len)
{
    uint8_t *p = w->buf + w->at;
    size_t total = rec_size(len);
    memset(p, 0, total);
    memcpy(p, &type, 2);
    put32(p + 4, (uint32_t)len);
    p[2] = 1;                               /* record version */
    w->at += total;
    w->records++;
    return p + REC_HDR;
}

static void put_rec(struct writer *w, const struct rec_desc *d, const struct handoff *h)
{
    uint8_t *p = rec_begin(w, d->type, payload_len(d, h));
    if (!d->max) {
        put_fields(d->f, d->nf, (const uint8_t *)h, p);
        return;
    }
    uint32_t n = array_count(d, h);
    put32(p, n);
    for (uint32_t i = 0; i < n; i++)
        put_fields(d->f, d->nf, (const uint8_t *)h + d->array_off + (size_t)i * d->stride,
                   p + ARRAY_HDR + (size_t)i * d->len);
}

size_t handoff_encode(const struct handoff *h, void *buf, size_t size, char *err, size_t errlen)
{
    if (h->nr_vcpus == 0 || h->nr_vcpus > HANDOFF_MAX_VCPUS || h->nr_old_p2m > HANDOFF_MAX_P2M ||
        h->nr_regs > HANDOFF_MAX_REGS) {
        snprintf(err, errlen, "handoff: nr_vcpus %u (1..%u) or old p2m frames %u (0..%u) out of range",
                 h->nr_vcpus, HANDOFF_MAX_VCPUS, h->nr_old_p2m, HANDOFF_MAX_P2M);
        return 0;
    }
    size_t need = handoff_size(h);
    if (need > size) {
        snprintf(err, errlen, "handoff: needs %zu bytes, the area has %zu", need, size);
        return 0;
    }
    struct writer w = { .buf = buf, .at = HDR_LEN };
    for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
        if (recs[i].type == REC_CMDLINE + 1) {      /* CMDLINE goes in its type's place */
            size_t cl = cmdline_len(h);
            memcpy(rec_begin(&w, REC_CMDLINE, cl), h->cmdline, cl - 1);    /* NUL: zeroed */
        }
        put_rec(&w, &recs[i], h);
    }
    uint8_t *hd = buf;
    memcpy(hd, HANDOFF_MAGIC, 8);
    put32(hd + 8, HANDOFF_VERSION);
    put32(hd + 12, (uint32_t)w.at);
    put32(hd + 20, HDR_LEN);
    put32(hd + 24, w.records);
    put32(hd + 28, 0);
    put32(hd + 16, handoff_crc32(0, hd + HDR_LEN, w.at - HDR_LEN));
    return w.at;
}

/* ---- decode ---- */

static int refuse(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(err, errlen, "handoff refused: ");
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Fields from the wire at p (have bytes of it; the rest reads as zero) into the struct at s. */
static void get_fields(const struct field *f, unsigned nf, const uint8_t *p, size_t have,
                       uint8_t *s)
{
    for (unsigned i = 0, at = 0; i < nf; at += f[i].size, i++) {
        if (f[i].kind == FK_PAD || at >= have)
            continue;
        size_t n = MIN((size_t)f[i].size, have - at);
        if (f[i].kind == FK_STR)        /* as a string: nothing past its first NUL is kept */
            n = strnlen((const char *)p + at, MIN(n, f[i].size - 1u));
        memcpy(s + f[i].off, p + at, n);
    }
}

static int get_array(const struct rec_desc *d, const uint8_t *p, uint32_t len,
                     struct handoff *h, char *err, size_t errlen)
{
    uint32_t n = len >= ARRAY_HDR ? get32(p) : 0;
    if (len < ARRAY_HDR || n > d->max || (uint64_t)len < ARRAY_HDR + (uint64_t)n * d->len)
        return refuse(err, errlen, "record %s: %u bytes for %u entries of %u (at most %u)",
                      rec_names[d->type], len, n, d->len, d->max);
    put32((uint8_t *)h + d->count_off, n);
    for (uint32_t i = 0; i < n; i++)
        get_fields(d->f, d->nf, p + ARRAY_HDR + (size_t)i * d->len, d->len,
                   (uint8_t *)h + d->array_off + (size_t)i * d->stride);
    return 0;
}

static int get_cmdline(const uint8_t *p, uint32_t len, struct handoff *h, char *err,
                       size_t errlen)
{
    if (len == 0 || len > HANDOFF_CMDLINE || p[len - 1] != 0)
        return refuse(err, errlen, "record CMDLINE: %u bytes, want 1..%u ending in NUL", len,
                      HANDOFF_CMDLINE);
    /* As a string: what follows its first NUL is not kept (one handoff, one reading). */
    memcpy(h->cmdline, p, strnlen((const char *)p, len));
    return 0;
}

static int get_rec(unsigned type, const uint8_t *p, uint32_t len, struct handoff *h, char *err,
                   size_t errlen)
{
    if (type == REC_CMDLINE)
        return get_cmdline(p, len, h, err, errlen);
    const struct rec_desc *d = &recs[type - 1 - (type > REC_CMDLINE)];
    if (d->max)
        return get_array(d, p, len, h, err, errlen);
    if (len < d->first)
        return refuse(err, errlen, "record %s is %u bytes, its first version has %u",
                      rec_names[type], len, d->first);
    get_fields(d->f, d->nf, p, len, (uint8_t *)h);      /* longer: cut to what we know */
    return 0;
}

static int check_header(const uint8_t *b, size_t size, char *err, size_t errlen)
{
    if (size < HDR_LEN)
        return refuse(err, errlen, "truncated: %zu bytes, the header alone is %u", size, HDR_LEN);
    if (memcmp(b, HANDOFF_MAGIC, 8)) {
        char shown[8 * ESC_BYTE_MAX + 1];
        size_t n = 0;
        for (int i = 0; i < 8; i++)
            n += esc_byte(shown + n, b[i]);
        shown[n] = 0;
        return refuse(err, errlen, "wrong magic '%s' (want '%s')", shown, HANDOFF_MAGIC);
    }
    uint32_t version = get32(b + 8), total = get32(b + 12), crc = get32(b + 16);
    uint32_t hdr_len = get32(b + 20);
    if (version != HANDOFF_VERSION)
        return refuse(err, errlen, "version %u, this kernel speaks %u", version, HANDOFF_VERSION);
    if (hdr_len != HDR_LEN)
        return refuse(err, errlen, "header length %u, want %u", hdr_len, HDR_LEN);
    if (total < HDR_LEN || total > size)
        return refuse(err, errlen, "%s: length %u, the area holds %zu",
                      total > size ? "oversize or truncated" : "too short", total, size);
    uint32_t got = handoff_crc32(0, b + HDR_LEN, total - HDR_LEN);
    if (got != crc)
        return refuse(err, errlen, "checksum %#x, the bytes give %#x", crc, got);
    return 0;
}

/* The records, each once; *seen: a bit per type read. */
static int get_records(const uint8_t *b, struct handoff *h, uint32_t *seen, char *err,
                       size_t errlen)
{
    uint32_t total = get32(b + 12), nrec = get32(b + 24), at = HDR_LEN;
    for (uint32_t i = 0; i < nrec; i++) {
        if (total - at < REC_HDR)
            return refuse(err, errlen, "record %u of %u starts past the end (at %u of %u)", i + 1,
                          nrec, at, total);
        const uint8_t *r = b + at;
        uint16_t type = get16(r);
        uint32_t len = get32(r + 4);
        if ((uint64_t)len + REC_HDR > total - at)
            return refuse(err, errlen, "record %u (type %u) of %u bytes runs past the end", i + 1,
                          type, len);
        at += (uint32_t)MIN(rec_size(len), (size_t)(total - at));
        if (type == 0 || type >= REC_NR) {
            h->skipped_records++;           /* a later writer's: not ours to read */
            continue;
        }
        if (*seen & (1u << type))
            return refuse(err, errlen, "record %s appears twice", rec_names[type]);
        *seen |= 1u << type;
        if (get_rec(type, r + REC_HDR, len, h, err, errlen))
            return -1;
    }
    if (at != total)
        return refuse(err, errlen, "%u bytes after the last of %u records", total - at, nrec);
    return 0;
}

/* What must hold across records, once all are read. */
static int check_values(const struct handoff *h, char *err, size_t errlen)
{
    if (h->nr_vcpus == 0)
        return refuse(err, errlen, "nr_vcpus %u out of range (1..%u)", h->nr_vcpus,
                      HANDOFF_MAX_VCPUS);
    for (uint32_t v = 0; v < h->nr_vcpus; v++) {
        if (h->vcpu[v].state >= HO_VCPU_NR_STATES)
            return refuse(err, errlen, "vcpu %u: state %u out of range (0..%u)", v,
                          h->vcpu[v].state, HO_VCPU_NR_STATES - 1);
        if (h->vcpu[v].vcpu_info_maddr & 63)
            return refuse(err, errlen, "vcpu %u: vcpu_info at %#llx is not 64-byte aligned", v,
                          (unsigned long long)h->vcpu[v].vcpu_info_maddr);
    }
    if (h->kind != HANDOFF_KEXEC && h->kind != HANDOFF_CRASH)
        return refuse(err, errlen, "kind %u (want 1 kexec or 2 crash)", h->kind);
    if (h->jump_vcpu >= h->nr_vcpus)
        return refuse(err, errlen, "jump vcpu %u, but %u vCPUs", h->jump_vcpu, h->nr_vcpus);
    if (h->vcpu[h->jump_vcpu].state != HO_VCPU_PARKED)
        return refuse(err, errlen, "jump vcpu %u is %s, want parked", h->jump_vcpu,
                      handoff_vcpu_state_name(h->vcpu[h->jump_vcpu].state));
    if (h->nr_pages == 0 || h->usable_pages == 0 || h->usable_pages > h->nr_pages)
        return refuse(err, errlen, "usable pages %llu of %llu (want 1..nr_pages)",
                      (unsigned long long)h->usable_pages, (unsigned long long)h->nr_pages);
    if (h->xs_rx_have > 4096 + 16 || h->xs_req_left > 4096 + 16)
        return refuse(err, errlen, "xenstore stream state: %u bytes read, %u to write (at most %u)",
                      h->xs_rx_have, h->xs_req_left, 4096 + 16);
    return 0;
}

int handoff_decode(const void *buf, size_t size, struct handoff *h, char *err, size_t errlen)
{
    const uint8_t *b = buf;
    uint32_t seen = 0;
    memset(h, 0, sizeof(*h));
    if (check_header(b, size, err, errlen) || get_records(b, h, &seen, err, errlen))
        return -1;
    for (unsigned t = REC_GEN; t < REC_NR; t++)
        if ((REQUIRED & (1u << t)) && !(seen & (1u << t)))
            return refuse(err, errlen, "record %s missing", rec_names[t]);
    return check_values(h, err, errlen);
}
