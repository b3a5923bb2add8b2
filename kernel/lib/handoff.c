/* SPDX-License-Identifier: MIT */
/* The kexec/kdump handoff codec (format and rules: include/kernel/handoff.h).  Pure. */
#include <kernel/handoff.h>
#include <kernel/format.h>
#include <minipv/string.h>
#include <minipv/escape.h>

enum {
    REC_GEN = 1, REC_DOMAIN, REC_VCPUS, REC_MEMORY, REC_OLD_P2M, REC_CMDLINE, REC_XENSTORE,
    REC_STATS, REC_CRASH, REC_TEST, REC_REGS, REC_NR
};
static const char *const rec_names[REC_NR] = {
    "?", "GEN", "DOMAIN", "VCPUS", "MEMORY", "OLD_P2M", "CMDLINE", "XENSTORE", "STATS", "CRASH", "TEST", "REGS",
};
#define REQUIRED ((1u << REC_GEN) | (1u << REC_DOMAIN) | (1u << REC_VCPUS) | (1u << REC_MEMORY))

#define HDR_LEN 32
#define REC_HDR 8
/* The first version of each fixed record: shorter is refused, longer is cut to what we know. */
#define GEN_LEN 24
#define DOMAIN_LEN 32
#define MEMORY_LEN 40
#define XENSTORE_LEN 32
#define STATS_LEN 16
#define TEST_LEN 8
#define TEST_FULL 16                    /* v1 plus the crash count */
#define VCPU_ENTRY 16
#define MEMORY_FULL 72                  /* v1 plus the allocator bitmap and region (the dump) */
#define REGS_ENTRY (8 + 8 * HANDOFF_NREGS)

const char *handoff_vcpu_state_name(unsigned s)
{
    static const char *const n[] = { "free", "parked", "offline", "lost" };
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

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static size_t cmdline_len(const struct handoff *h)
{
    return strnlen(h->cmdline, HANDOFF_CMDLINE - 1) + 1;
}

static size_t rec_size(size_t payload) { return REC_HDR + ALIGN_UP(payload, 8); }

size_t handoff_size(const struct handoff *h)
{
    size_t nv = MIN(h->nr_vcpus, (uint32_t)HANDOFF_MAX_VCPUS);
    size_t np = MIN(h->nr_old_p2m, (uint32_t)HANDOFF_MAX_P2M);
    size_t nr = MIN(h->nr_regs, (uint32_t)HANDOFF_MAX_REGS);
    return HDR_LEN + rec_size(GEN_LEN) + rec_size(DOMAIN_LEN) + rec_size(8 + nv * VCPU_ENTRY) +
           rec_size(MEMORY_FULL) + rec_size(8 + np * 8) + rec_size(cmdline_len(h)) +
           rec_size(8 + nr * REGS_ENTRY) +
           rec_size(XENSTORE_LEN) + rec_size(STATS_LEN) + rec_size(HANDOFF_REASON + 8) +
           rec_size(TEST_FULL);
}

struct writer {
    uint8_t *buf;
    size_t size, at;
    uint32_t records;
};

/* Start a record of `len` payload bytes; returns where the payload goes (zeroed). */
static uint8_t *rec_begin(struct writer *w, uint16_t type, size_t len)
{
    uint8_t *p = w->buf + w->at;
    size_t total = rec_size(len);
    memset(p, 0, total);
    put16(p, type);
    put16(p + 2, 1);
    put32(p + 4, (uint32_t)len);
    w->at += total;
    w->records++;
    return p + REC_HDR;
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
    struct writer w = { .buf = buf, .size = size, .at = HDR_LEN };
    uint8_t *p = rec_begin(&w, REC_GEN, GEN_LEN);
    put32(p, h->kind);
    put32(p + 4, h->generation);
    put32(p + 8, h->jump_vcpu);
    put32(p + 12, h->jump_cpu);
    put64(p + 16, h->jump_time_ns);

    p = rec_begin(&w, REC_DOMAIN, DOMAIN_LEN);
    put64(p, h->shared_info_maddr);
    put64(p + 8, h->console_mfn);
    put32(p + 16, h->console_port);
    put32(p + 20, h->store_port);
    put64(p + 24, h->store_mfn);

    p = rec_begin(&w, REC_VCPUS, 8 + (size_t)h->nr_vcpus * VCPU_ENTRY);
    put32(p, h->nr_vcpus);
    for (uint32_t v = 0; v < h->nr_vcpus; v++) {
        uint8_t *e = p + 8 + v * VCPU_ENTRY;
        e[0] = h->vcpu[v].state;
        e[1] = h->vcpu[v].park_why;
        put16(e + 2, h->vcpu[v].old_cpu);
        put32(e + 4, h->vcpu[v].apic_id);
        put64(e + 8, h->vcpu[v].vcpu_info_maddr);
    }

    p = rec_begin(&w, REC_MEMORY, MEMORY_FULL);
    put64(p, h->nr_pages);
    put64(p + 8, h->usable_pages);
    put64(p + 16, h->old_l4_mfn);
    put64(p + 24, h->old_nr_pages);
    put64(p + 32, h->old_first_free_pfn);
    put64(p + 40, h->old_bitmap_pfn);
    put64(p + 48, h->old_bitmap_end);
    put64(p + 56, h->old_region_pfn);
    put64(p + 64, h->old_region_pages);

    p = rec_begin(&w, REC_OLD_P2M, 8 + (size_t)h->nr_old_p2m * 8);
    put32(p, h->nr_old_p2m);
    for (uint32_t i = 0; i < h->nr_old_p2m; i++)
        put64(p + 8 + i * 8, h->old_p2m[i]);

    size_t cl = cmdline_len(h);
    p = rec_begin(&w, REC_CMDLINE, cl);
    memcpy(p, h->cmdline, cl - 1);          /* the NUL is the zeroed last byte */

    p = rec_begin(&w, REC_XENSTORE, XENSTORE_LEN);
    put32(p, h->xs_rx_have);
    put32(p + 4, h->xs_req_left);
    put32(p + 8, h->xs_next_req);
    memcpy(p + 16, h->xs_rx_hdr, 16);

    p = rec_begin(&w, REC_STATS, STATS_LEN);
    put64(p, h->first_free_pages);
    put64(p + 8, h->prev_free_pages);

    p = rec_begin(&w, REC_CRASH, HANDOFF_REASON + 8);
    memcpy(p, h->reason, strnlen(h->reason, HANDOFF_REASON - 1));
    put64(p + HANDOFF_REASON, h->crash_time_ns);

    p = rec_begin(&w, REC_TEST, TEST_FULL);
    put32(p, h->test_result);
    put32(p + 4, h->test_failed);
    put32(p + 8, h->crashes);

    p = rec_begin(&w, REC_REGS, 8 + (size_t)h->nr_regs * REGS_ENTRY);
    put32(p, h->nr_regs);
    for (uint32_t i = 0; i < h->nr_regs; i++) {
        uint8_t *e = p + 8 + i * REGS_ENTRY;
        put32(e, h->regs[i].vcpu);
        put32(e + 4, h->regs[i].flags);
        for (unsigned k = 0; k < HANDOFF_NREGS; k++)
            put64(e + 8 + k * 8, h->regs[i].r[k]);
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

/* Copy a fixed record: at least `first` bytes, at most sizeof(tmp). */
static int fixed(const uint8_t *p, uint32_t len, uint32_t first, uint8_t *tmp, size_t tsize,
                 unsigned type, char *err, size_t errlen)
{
    if (len < first)
        return refuse(err, errlen, "record %s is %u bytes, its first version has %u",
                      rec_names[type], len, first);
    memset(tmp, 0, tsize);
    memcpy(tmp, p, MIN((size_t)len, tsize));
    return 0;
}

static int decode_vcpus(const uint8_t *p, uint32_t len, struct handoff *h, char *err, size_t errlen)
{
    if (len < 8)
        return refuse(err, errlen, "record VCPUS is %u bytes, want at least 8", len);
    uint32_t n = get32(p);
    if (n == 0 || n > HANDOFF_MAX_VCPUS)
        return refuse(err, errlen, "nr_vcpus %u out of range (1..%u)", n, HANDOFF_MAX_VCPUS);
    if ((uint64_t)len < 8 + (uint64_t)n * VCPU_ENTRY)
        return refuse(err, errlen, "record VCPUS has %u bytes for %u vCPUs (want %llu)", len, n,
                      (unsigned long long)(8 + (uint64_t)n * VCPU_ENTRY));
    h->nr_vcpus = n;
    for (uint32_t v = 0; v < n; v++) {
        const uint8_t *e = p + 8 + v * VCPU_ENTRY;
        if (e[0] >= HO_VCPU_NR_STATES)
            return refuse(err, errlen, "vcpu %u: state %u out of range (0..%u)", v, e[0],
                          HO_VCPU_NR_STATES - 1);
        h->vcpu[v].state = e[0];
        h->vcpu[v].park_why = e[1];
        h->vcpu[v].old_cpu = get16(e + 2);
        h->vcpu[v].apic_id = get32(e + 4);
        h->vcpu[v].vcpu_info_maddr = get64(e + 8);
        if (h->vcpu[v].vcpu_info_maddr & 63)
            return refuse(err, errlen, "vcpu %u: vcpu_info at %#llx is not 64-byte aligned", v,
                          (unsigned long long)h->vcpu[v].vcpu_info_maddr);
    }
    return 0;
}

int handoff_decode(const void *buf, size_t size, struct handoff *h, char *err, size_t errlen)
{
    const uint8_t *b = buf;
    memset(h, 0, sizeof(*h));
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
    uint32_t hdr_len = get32(b + 20), nrec = get32(b + 24);
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

    uint32_t seen = 0, at = HDR_LEN;
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
        if (seen & (1u << type))
            return refuse(err, errlen, "record %s appears twice", rec_names[type]);
        seen |= 1u << type;
        const uint8_t *p = r + REC_HDR;
        uint8_t t[96];
        switch (type) {
        case REC_GEN:
            if (fixed(p, len, GEN_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->kind = get32(t);
            h->generation = get32(t + 4);
            h->jump_vcpu = get32(t + 8);
            h->jump_cpu = get32(t + 12);
            h->jump_time_ns = get64(t + 16);
            break;
        case REC_DOMAIN:
            if (fixed(p, len, DOMAIN_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->shared_info_maddr = get64(t);
            h->console_mfn = get64(t + 8);
            h->console_port = get32(t + 16);
            h->store_port = get32(t + 20);
            h->store_mfn = get64(t + 24);
            break;
        case REC_VCPUS:
            if (decode_vcpus(p, len, h, err, errlen))
                return -1;
            break;
        case REC_MEMORY:
            if (fixed(p, len, MEMORY_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->nr_pages = get64(t);
            h->usable_pages = get64(t + 8);
            h->old_l4_mfn = get64(t + 16);
            h->old_nr_pages = get64(t + 24);
            h->old_first_free_pfn = get64(t + 32);
            h->old_bitmap_pfn = get64(t + 40);      /* 0 from a writer without them */
            h->old_bitmap_end = get64(t + 48);
            h->old_region_pfn = get64(t + 56);
            h->old_region_pages = get64(t + 64);
            break;
        case REC_REGS: {
            uint32_t n = len >= 8 ? get32(p) : 0;
            if (len < 8 || n > HANDOFF_MAX_REGS || (uint64_t)len < 8 + (uint64_t)n * REGS_ENTRY)
                return refuse(err, errlen, "record REGS: %u bytes for %u register sets (at most %u)",
                              len, n, HANDOFF_MAX_REGS);
            h->nr_regs = n;
            for (uint32_t k = 0; k < n; k++) {
                const uint8_t *e = p + 8 + k * REGS_ENTRY;
                h->regs[k].vcpu = get32(e);
                h->regs[k].flags = get32(e + 4);
                for (unsigned q = 0; q < HANDOFF_NREGS; q++)
                    h->regs[k].r[q] = get64(e + 8 + q * 8);
            }
            break;
        }
        case REC_OLD_P2M: {
            uint32_t n = len >= 8 ? get32(p) : 0;
            if (len < 8 || n > HANDOFF_MAX_P2M || (uint64_t)len < 8 + (uint64_t)n * 8)
                return refuse(err, errlen, "record OLD_P2M: %u bytes for %u frames (at most %u)",
                              len, n, HANDOFF_MAX_P2M);
            h->nr_old_p2m = n;
            for (uint32_t k = 0; k < n; k++)
                h->old_p2m[k] = get64(p + 8 + k * 8);
            break;
        }
        case REC_CMDLINE:
            if (len == 0 || len > HANDOFF_CMDLINE || p[len - 1] != 0)
                return refuse(err, errlen, "record CMDLINE: %u bytes, want 1..%u ending in NUL",
                              len, HANDOFF_CMDLINE);
            /* As a string: what follows its first NUL is not kept (one handoff, one reading). */
            memset(h->cmdline, 0, sizeof(h->cmdline));
            memcpy(h->cmdline, p, strnlen((const char *)p, len));
            break;
        case REC_XENSTORE:
            if (fixed(p, len, XENSTORE_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->xs_rx_have = get32(t);
            h->xs_req_left = get32(t + 4);
            h->xs_next_req = get32(t + 8);
            memcpy(h->xs_rx_hdr, t + 16, 16);
            break;
        case REC_STATS:
            if (fixed(p, len, STATS_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->first_free_pages = get64(t);
            h->prev_free_pages = get64(t + 8);
            break;
        case REC_CRASH:
            /* v1 is the reason alone; the crash time came after it. */
            memset(h->reason, 0, sizeof(h->reason));
            memcpy(h->reason, p, strnlen((const char *)p, MIN((size_t)len, (size_t)HANDOFF_REASON - 1)));
            if (len >= HANDOFF_REASON + 8)
                h->crash_time_ns = get64(p + HANDOFF_REASON);
            break;
        case REC_TEST:
            if (fixed(p, len, TEST_LEN, t, sizeof(t), type, err, errlen))
                return -1;
            h->test_result = get32(t);
            h->test_failed = get32(t + 4);
            h->crashes = get32(t + 8);
            break;
        }
    }
    if (at != total)
        return refuse(err, errlen, "%u bytes after the last of %u records", total - at, nrec);
    for (unsigned t = REC_GEN; t < REC_NR; t++)
        if ((REQUIRED & (1u << t)) && !(seen & (1u << t)))
            return refuse(err, errlen, "record %s missing", rec_names[t]);
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
