/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the topology= parser, the CPUID judge and topo_fit.
 *
 *   mkdir -p build/fuzz/corpus && clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -Iinclude tests/fuzz/fuzz_topology.c \
 *       -o build/fuzz/fuzz_topology
 *   build/fuzz/fuzz_topology -runs=1000000 build/fuzz/corpus tests/fuzz/corpus_topology
 * (libFuzzer writes new inputs to the first directory: keep the seeds second.)
 *
 * Input: [flags][nr_cpus: 4 bytes LE][topology string][NUL][raw CPUID words...]
 *   flags bit 0: cap nr_cpus to 4*TOPO_MAX_CPUS (cheap full enumeration)
 *   flags bits 1-7: message buffer length (0..127) for truncation checks
 * Invariants are checked with abort(), so a violation is a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/topo_layout.c"
#include "../../kernel/lib/topo_parse.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Terminated within len, and (for len > 0) a prefix of the full message. */
static void check_trunc(const char *small, size_t len, const char *full)
{
    if (!len)
        return;
    REQUIRE(memchr(small, '\0', len));
    REQUIRE(!strncmp(small, full, strlen(small)));
    REQUIRE(strlen(small) == (strlen(full) < len - 1 ? strlen(full) : len - 1));
}

static void check_parse(const char *s, size_t msglen, struct topo_request *req)
{
    char err[256], small[128], again[128];
    struct topo_request r2;
    int ret = topo_parse(s, req, err, sizeof(err));

    REQUIRE(topo_parse(s, &r2, small, msglen) == ret);
    check_trunc(small, msglen, err);
    if (ret) {
        REQUIRE(ret == -1 && !strncmp(err, "topology: ", 10));
        REQUIRE(!req->sockets && !req->dies && !req->cores && !req->threads);
        return;
    }
    REQUIRE(!err[0] && (req->sockets | req->dies | req->cores | req->threads));
    if (!strchr(s, '=')) {
        /* compact: one unit letter per field set, so no unit was repeated */
        int units = 0;

        for (const char *p = s; *p; p++)
            units += !!strchr("sdct", *p);
        REQUIRE(units == !!req->sockets + !!req->dies + !!req->cores + !!req->threads);
    }
    /* both spellings of the same request parse back to it */
    {
        const uint32_t f[4] = { req->sockets, req->dies, req->cores, req->threads };
        char *p = again;

        for (int i = 0; i < 4; i++)
            if (f[i])
                p += sprintf(p, "%u%c", f[i], "sdct"[i]);
    }
    REQUIRE(!topo_parse(again, &r2, NULL, 0) && !memcmp(&r2, req, sizeof(r2)));
    snprintf(again, sizeof(again), "threads=%u,cores=%u,dies=%u,sockets=%u",
             req->threads, req->cores, req->dies, req->sockets);
    if (req->sockets && req->dies && req->cores && req->threads)
        REQUIRE(!topo_parse(again, &r2, NULL, 0) && !memcmp(&r2, req, sizeof(r2)));
}

static void check_slot(const struct topo_layout *l, uint32_t i)
{
    struct topo_ids id, next;
    struct topo_span sp;
    uint32_t per_core = l->threads, per_die = per_core * l->cores, per_pkg = per_die * l->dies;

    REQUIRE(topo_ids(l, i, &id));
    REQUIRE(id.thread < l->threads && id.core < l->cores && id.die < l->dies &&
            id.pkg < l->sockets);
    REQUIRE(topo_index_of(l, id.apic_id) == i);
    REQUIRE(((uint64_t)id.apic_id >> l->pkg_shift) == id.pkg);
    REQUIRE(topo_span(l, i, TOPO_SCOPE_CORE, &sp) && sp.count == per_core &&
            sp.first <= i && i - sp.first < sp.count);
    REQUIRE(topo_span(l, i, TOPO_SCOPE_PKG, &sp) && sp.count == per_pkg &&
            sp.first == id.pkg * per_pkg);
    if (i + 1 < l->nr_cpus) {
        REQUIRE(topo_ids(l, i + 1, &next) && next.apic_id > id.apic_id);
        REQUIRE(topo_same_core(l, i, i + 1) == (next.pkg == id.pkg && next.die == id.die &&
                                                next.core == id.core));
        REQUIRE(topo_same_die(l, i, i + 1) == (next.pkg == id.pkg && next.die == id.die));
        REQUIRE(topo_same_pkg(l, i, i + 1) == (next.pkg == id.pkg));
        /* IDs strictly between two neighbours are gaps */
        if (next.apic_id - id.apic_id > 1)
            REQUIRE(topo_index_of(l, id.apic_id + 1) == -1);
    } else {
        REQUIRE(!topo_ids(l, i + 1, &next) && !topo_span(l, i + 1, TOPO_SCOPE_DIE, &sp));
    }
}

static void check_fit(uint32_t nr, const struct topo_request *req,
                      const struct topo_request *hint, size_t msglen, const uint8_t *pick,
                      size_t npick)
{
    struct topo_layout l, l2;
    struct topo_level lv[4];
    char msg[512], small[128], str[64];
    uint32_t eff = nr ? nr : 1;
    int ret = topo_fit(nr, req, hint, &l, msg, sizeof(msg));
    int n;

    REQUIRE(topo_fit(nr, req, hint, &l2, small, msglen) == ret);
    REQUIRE(!memcmp(&l, &l2, sizeof(l)));
    check_trunc(small, msglen, msg);
    REQUIRE(strlen(msg) < sizeof(msg) - 1);     /* 512 is always enough */
    REQUIRE(ret == 0 || ret == 1);
    REQUIRE(ret == (msg[0] != '\0'));
    REQUIRE((ret == 1) == (l.source == TOPO_SRC_ADJUSTED));

    /* the vCPU count always wins, and the IDs fit 32 bits */
    REQUIRE(l.nr_cpus == eff);
    REQUIRE((uint64_t)l.sockets * l.dies * l.cores * l.threads == eff);
    REQUIRE(l.core_shift == l.smt_width && l.die_shift == l.core_shift + l.core_width &&
            l.pkg_shift == l.die_shift + l.die_width);
    REQUIRE(l.pkg_shift + field_width(l.sockets) <= 32);
    REQUIRE(((uint64_t)1 << l.smt_width) >= l.threads && ((uint64_t)1 << l.core_width) >= l.cores &&
            ((uint64_t)1 << l.die_width) >= l.dies);
    if (ret == 0 && req_given(req)) {
        REQUIRE(l.source == TOPO_SRC_CMDLINE);
        REQUIRE(!req->sockets || req->sockets == l.sockets);
        REQUIRE(!req->dies || req->dies == l.dies);
        REQUIRE(!req->cores || req->cores == l.cores);
        REQUIRE(!req->threads || req->threads == l.threads);
    }
    if (ret == 1 && nr)
        REQUIRE(strstr(msg, "; using ") && (strstr(msg, "APIC IDs") || strstr(msg, "there are")));

    topo_format(&l, str, sizeof(str));
    {
        struct topo_request back;

        REQUIRE(!topo_parse(str, &back, NULL, 0) && back.sockets == l.sockets &&
                back.dies == l.dies && back.cores == l.cores && back.threads == l.threads);
    }
    n = topo_levels(&l, 0x1f, lv);
    REQUIRE(n >= 2 && n <= 3 && lv[n].type == TOPO_LVL_INVALID && lv[n - 1].shift == l.pkg_shift);
    n = topo_levels(&l, 0xb, lv);
    REQUIRE(n == 2 && lv[1].shift == l.pkg_shift && lv[0].shift == l.core_shift);

    /* IDs: all slots when small, else the ends plus fuzzer-chosen slots */
    if (eff <= 4 * TOPO_MAX_CPUS) {
        for (uint32_t i = 0; i < eff; i++)
            check_slot(&l, i);
    } else {
        check_slot(&l, 0);
        check_slot(&l, eff - 1);
        for (size_t k = 0; k + 4 <= npick && k < 32; k += 4)
            check_slot(&l, rd32(pick + k) % eff);
    }
    {
        struct topo_ids bad;

        REQUIRE(!topo_ids(&l, eff, &bad) && bad.apic_id == TOPO_BAD_ID);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct topo_request req = {0}, hint = {0};
    struct topo_cpuid c;
    const uint8_t *tail = NULL;
    size_t slen, tlen = 0, msglen;
    uint32_t nr;
    char *s;
    bool have_hint = false;

    if (size < 5)
        return 0;
    msglen = data[0] >> 1;
    nr = rd32(data + 1);
    if (data[0] & 1)
        nr %= 4 * TOPO_MAX_CPUS + 1;
    data += 5;
    size -= 5;

    /* exact-size heap copy: ASan sees any read past the terminator */
    for (slen = 0; slen < size && data[slen]; slen++)
        ;
    s = malloc(slen + 1);
    memcpy(s, data, slen);
    s[slen] = '\0';
    if (slen < size) {
        tail = data + slen + 1;
        tlen = size - slen - 1;
    }
    check_parse(s, msglen, &req);
    free(s);

    /* tail -> raw CPUID words; bools normalised so they stay valid values */
    if (tlen) {
        uint32_t w[4 + 3 * TOPO_CPUID_LEVELS + 2] = {0};
        char err[256], small[128];
        struct topo_request h2;
        int ret;

        memcpy(w, tail, tlen < sizeof(w) ? tlen : sizeof(w));
        c = (struct topo_cpuid){
            .leaf1_ebx = w[0], .leaf1_edx = w[1], .has_leaf4 = w[2] & 1, .leaf4_eax = w[3],
            .ext_leaf = (w[2] & 2) ? 0x1f : (w[2] & 4) ? 0xb : 0,
            .nr_levels = (w[2] >> 8) & 0xff, .has_amd_ext = w[2] & 8,
            .amd_8000001e_ebx = w[4 + 3 * TOPO_CPUID_LEVELS + 1],
        };
        for (int i = 0; i < TOPO_CPUID_LEVELS; i++) {
            c.level[i].eax = w[4 + 3 * i];
            c.level[i].ebx = w[5 + 3 * i];
            c.level[i].ecx = w[6 + 3 * i];
        }
        ret = topo_from_cpuid(&c, &hint, err, sizeof(err));
        REQUIRE(topo_from_cpuid(&c, &h2, small, msglen) == ret);
        check_trunc(small, msglen, err);
        if (ret) {
            REQUIRE(ret == -1 && !strncmp(err, "topology: CPUID ", 16));
        } else {
            /* a CPUID hint never claims to count packages */
            REQUIRE(!err[0] && !hint.sockets && hint.cores && hint.threads);
            have_hint = true;
        }
    }

    check_fit(nr, &req, have_hint ? &hint : NULL, msglen, tail, tlen);
    if (have_hint)
        check_fit(nr, NULL, &hint, msglen, tail, tlen);
    return 0;
}
