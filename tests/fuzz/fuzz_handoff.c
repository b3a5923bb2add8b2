/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the kexec/kdump handoff decoder (kernel/lib/handoff.c):
 * the new kernel reads what an old kernel (perhaps a crashed one) left.
 * Built by scripts/fuzz.sh.
 *
 * Input: [mode][bytes...].  mode bit 0: the bytes are a handoff as they
 * are; else they patch a valid encoding (offset, value pairs), so the
 * decoder sees near-valid handoffs past the checksum (mode bit 1: the
 * checksum is recomputed over the patched table).  Invariants:
 *   - decode never reads past the buffer (ASan) and either accepts or
 *     refuses with a printable, NUL-terminated reason;
 *   - an accepted handoff is within range (vcpus, regs, p2m, strings
 *     terminated) and re-encodes, and that encoding decodes to the same
 *     (byte for byte: strings carry nothing past their NUL; unknown
 *     records are counted, not kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/format.c"
#include "../../kernel/lib/handoff.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static struct handoff h, h2, seed;
static uint8_t buf[512 * 1024], buf2[512 * 1024];
static size_t seed_len;
static char err[256];

static void make_seed(void)
{
    memset(&seed, 0, sizeof(seed));
    seed.kind = HANDOFF_CRASH;
    seed.generation = 3;
    seed.jump_vcpu = 5;
    seed.nr_vcpus = 8;
    for (unsigned v = 0; v < seed.nr_vcpus; v++) {
        seed.vcpu[v].state = (uint8_t)(v % HO_VCPU_NR_STATES);
        seed.vcpu[v].old_cpu = (uint16_t)v;
        seed.vcpu[v].apic_id = v * 2;
    }
    seed.nr_pages = 65536;
    seed.usable_pages = 2048;
    seed.nr_old_p2m = 4;
    strcpy(seed.cmdline, "test=kexec gens=3");
    strcpy(seed.reason, "panic: fuzz");
    seed.nr_regs = 3;
    for (unsigned i = 0; i < seed.nr_regs; i++)
        seed.regs[i].vcpu = i;
    seed_len = handoff_encode(&seed, buf2, sizeof(buf2), err, sizeof(err));
    REQUIRE(seed_len > 16);
    REQUIRE(handoff_decode(buf2, seed_len, &h, err, sizeof(err)) == 0);   /* the seed is valid */
}

static void check_reason(void)
{
    REQUIRE(memchr(err, 0, sizeof(err)));
    for (const char *p = err; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!seed_len)
        make_seed();
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    size_t len;
    if (mode & 1) {
        len = MIN(size, sizeof(buf));
        memcpy(buf, data, len);
    } else {
        len = seed_len;
        memcpy(buf, buf2, len);
        for (size_t i = 0; i + 2 < size; i += 3) {
            size_t off = ((size_t)data[i] << 8 | data[i + 1]) % len;
            buf[off] = data[i + 2];
        }
        if (mode & 2) {
            /* The CRC at +16 covers what follows the header (handoff.c's HDR_LEN). */
            uint32_t total;
            memcpy(&total, buf + 12, 4);
            if (total >= HDR_LEN && total <= len) {
                uint32_t c = handoff_crc32(0, buf + HDR_LEN, total - HDR_LEN);
                memcpy(buf + 16, &c, 4);
            }
        }
    }
    err[0] = 0;
    int rc = handoff_decode(buf, len, &h, err, sizeof(err));
    check_reason();
    if (rc) {
        REQUIRE(err[0]);
        return 0;
    }
    REQUIRE(h.nr_vcpus >= 1 && h.nr_vcpus <= HANDOFF_MAX_VCPUS);
    REQUIRE(h.nr_regs <= HANDOFF_MAX_REGS && h.nr_old_p2m <= HANDOFF_MAX_P2M);
    REQUIRE(memchr(h.cmdline, 0, sizeof(h.cmdline)) && memchr(h.reason, 0, sizeof(h.reason)));
    for (unsigned v = 0; v < h.nr_vcpus; v++)
        REQUIRE(h.vcpu[v].state < HO_VCPU_NR_STATES);
    static uint8_t again[512 * 1024];
    size_t n2 = handoff_encode(&h, again, sizeof(again), err, sizeof(err));
    REQUIRE(n2 > 0);
    REQUIRE(handoff_decode(again, n2, &h2, err, sizeof(err)) == 0);
    /* Unknown records are skipped, and not written again: the rest is the same. */
    REQUIRE(h2.skipped_records == 0);
    h2.skipped_records = h.skipped_records;
    REQUIRE(!memcmp(&h, &h2, sizeof(h)));
    return 0;
}
