/* SPDX-License-Identifier: MIT */
/* Host tests of the kexec/kdump handoff codec: every field round-trips, every bad handoff is refused with a reason. */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/handoff.c"

static struct handoff in, out;
static uint8_t buf[256 * 1024];
static char err[256];

static void fill(struct handoff *h)
{
    memset(h, 0, sizeof(*h));
    h->kind = HANDOFF_CRASH;
    h->generation = 7;
    h->jump_vcpu = 37;
    h->jump_cpu = 12;
    h->jump_time_ns = 0x123456789abcULL;
    h->shared_info_maddr = 0xfeedf000ULL;
    h->console_mfn = 0x1234;
    h->console_port = 2;
    h->store_port = 1;
    h->store_mfn = 0x1235;
    h->nr_vcpus = 40;
    for (unsigned v = 0; v < h->nr_vcpus; v++) {
        h->vcpu[v].state = (uint8_t)(v % HO_VCPU_NR_STATES);
        h->vcpu[v].park_why = (uint8_t)(v % 6);
        h->vcpu[v].old_cpu = (uint16_t)(39 - v);
        h->vcpu[v].apic_id = v * 2 + 1;
        h->vcpu[v].vcpu_info_maddr = 0x40000000ULL + v * 64;
    }
    h->vcpu[37].state = HO_VCPU_PARKED;
    h->nr_pages = 65536;
    h->usable_pages = 4096;
    h->old_l4_mfn = 0x5555;
    h->old_nr_pages = 65536;
    h->old_first_free_pfn = 321;
    h->nr_old_p2m = 128;
    for (unsigned i = 0; i < h->nr_old_p2m; i++)
        h->old_p2m[i] = 0x9000 + i * 3;
    strcpy(h->cmdline, "test=kexec gens=20 kexec_vcpu=3 \"quoted word\"");
    h->xs_rx_have = 10;
    memcpy(h->xs_rx_hdr, "0123456789abcdef", 16);
    h->xs_req_left = 5;
    h->xs_next_req = 77;
    h->test_result = 3;
    h->test_failed = 2;
    h->crashes = 9;
    h->first_free_pages = 60000;
    h->prev_free_pages = 59990;
    strcpy(h->reason, "panic: the test said so");
    h->old_bitmap_pfn = 200;
    h->old_bitmap_end = 65536;
    h->old_region_pfn = 0x300;
    h->old_region_pages = 1024;
    h->nr_regs = 3;
    for (unsigned i = 0; i < h->nr_regs; i++) {
        h->regs[i].vcpu = 37 - i;
        h->regs[i].flags = i ? HANDOFF_REGS_NMI : HANDOFF_REGS_CRASHED;
        for (unsigned k = 0; k < HANDOFF_NREGS; k++)
            h->regs[i].r[k] = 0x1000ULL * i + k;
    }
}

static size_t encode(void)
{
    err[0] = 0;
    return handoff_encode(&in, buf, sizeof(buf), err, sizeof(err));
}

static int decode(size_t n)
{
    err[0] = 0;
    return handoff_decode(buf, n, &out, err, sizeof(err));
}

/* Re-seal the checksum after editing the bytes of a record. */
static void reseal(size_t n)
{
    uint32_t crc = handoff_crc32(0, buf + 32, n - 32);
    memcpy(buf + 16, &crc, 4);
}

/* Offset of the first record of a type, or 0. */
static size_t find_rec(size_t n, uint16_t type)
{
    size_t at = 32;
    while (at + 8 <= n) {
        uint16_t t;
        uint32_t len;
        memcpy(&t, buf + at, 2);
        memcpy(&len, buf + at + 4, 4);
        if (t == type)
            return at;
        at += 8 + ((len + 7) & ~7u);
    }
    return 0;
}

static int refused_with(const char *what, size_t n)
{
    return decode(n) == -1 && strstr(err, what) != NULL;
}

int main(void)
{
    ktap_plan(24);
    fill(&in);
    size_t n = encode();
    CASE(n > 0 && n == handoff_size(&in) - 0 && n <= sizeof(buf), "encode fits its own size",
         "n %zu size %zu: %s", n, handoff_size(&in), err);
    CASE(decode(n) == 0, "decode of a fresh encode", "%s", err);
    CASE(out.kind == in.kind && out.generation == in.generation && out.jump_vcpu == in.jump_vcpu &&
             out.jump_cpu == in.jump_cpu && out.jump_time_ns == in.jump_time_ns,
         "GEN round-trips", "kind %u gen %u", out.kind, out.generation);
    CASE(out.shared_info_maddr == in.shared_info_maddr && out.console_mfn == in.console_mfn &&
             out.console_port == in.console_port && out.store_mfn == in.store_mfn &&
             out.store_port == in.store_port, "DOMAIN round-trips", "%s", "differs");
    CASE(out.nr_vcpus == in.nr_vcpus && !memcmp(out.vcpu, in.vcpu, sizeof(in.vcpu[0]) * in.nr_vcpus),
         "VCPUS round-trip, every field of every vCPU", "nr %u", out.nr_vcpus);
    CASE(out.nr_pages == in.nr_pages && out.usable_pages == in.usable_pages &&
             out.old_l4_mfn == in.old_l4_mfn && out.old_nr_pages == in.old_nr_pages &&
             out.old_first_free_pfn == in.old_first_free_pfn && out.old_bitmap_pfn == 200 &&
             out.old_bitmap_end == 65536 && out.old_region_pfn == 0x300 &&
             out.old_region_pages == 1024, "MEMORY round-trips", "%s", "differs");
    CASE(out.nr_regs == 3 && !memcmp(out.regs, in.regs, sizeof(in.regs[0]) * 3),
         "REGS round-trip, every register of every vCPU", "nr %u", out.nr_regs);
    CASE(out.nr_old_p2m == in.nr_old_p2m && !memcmp(out.old_p2m, in.old_p2m, 8 * in.nr_old_p2m),
         "OLD_P2M round-trips", "nr %u", out.nr_old_p2m);
    CASE(!strcmp(out.cmdline, in.cmdline) && !strcmp(out.reason, in.reason), "CMDLINE and CRASH reason",
         "'%s' '%s'", out.cmdline, out.reason);
    CASE(out.xs_rx_have == 10 && !memcmp(out.xs_rx_hdr, "0123456789abcdef", 16) && out.xs_req_left == 5 &&
             out.xs_next_req == 77 && out.test_result == 3 && out.test_failed == 2 && out.crashes == 9 &&
             out.first_free_pages == 60000 && out.prev_free_pages == 59990 && out.skipped_records == 0,
         "XENSTORE, STATS and TEST round-trip", "%u %u", out.xs_rx_have, out.xs_req_left);

    CASE(refused_with("truncated", 20) && refused_with("oversize or truncated", n - 1),
         "truncated handoff refused", "%s", err);
    n = encode();
    buf[0] = 'X';
    CASE(refused_with("wrong magic 'XINIPVHO'", n), "wrong magic refused, shown", "%s", err);
    n = encode();
    buf[8] = 2;
    CASE(refused_with("version 2, this kernel speaks 1", n), "other version refused", "%s", err);
    n = encode();
    uint32_t big = (uint32_t)sizeof(buf) + 1;
    memcpy(buf + 12, &big, 4);
    CASE(refused_with("oversize", n), "oversize length refused", "%s", err);
    n = encode();
    buf[n - 1] ^= 1;
    CASE(refused_with("checksum", n), "corrupt byte caught by the checksum", "%s", err);

    /* A later writer: an unknown record type is skipped, a grown record is read as far as we know it. */
    n = encode();
    size_t gen = find_rec(n, 1);
    uint16_t t99 = 99;
    memcpy(buf + find_rec(n, 8), &t99, 2);          /* STATS becomes "type 99" */
    reseal(n);
    CASE(decode(n) == 0 && out.skipped_records == 1 && out.first_free_pages == 0,
         "unknown record type skipped and counted", "%s skipped %u", err, out.skipped_records);
    n = encode();
    uint32_t short_len = 20;
    memcpy(buf + gen + 4, &short_len, 4);
    reseal(n);
    CASE(decode(n) == -1 && (strstr(err, "GEN is 20 bytes") || strstr(err, "past the end") ||
                             strstr(err, "after the last")),
         "record shorter than its first version refused", "%s", err);
    n = encode();
    uint16_t dup = 1;
    memcpy(buf + find_rec(n, 2), &dup, 2);          /* DOMAIN becomes a second GEN */
    reseal(n);
    CASE(refused_with("record GEN appears twice", n), "duplicate record refused", "%s", err);
    n = encode();
    uint16_t none = 98;
    memcpy(buf + find_rec(n, 4), &none, 2);         /* no MEMORY */
    reseal(n);
    CASE(refused_with("record MEMORY missing", n), "missing required record named", "%s", err);

    fill(&in);
    in.vcpu[37].state = HO_VCPU_LOST;
    n = encode();
    CASE(refused_with("jump vcpu 37 is lost", n), "a jump from a lost vCPU refused", "%s", err);
    fill(&in);
    in.usable_pages = in.nr_pages + 1;
    n = encode();
    CASE(refused_with("usable pages", n), "usable beyond nr_pages refused", "%s", err);
    fill(&in);
    in.vcpu[3].vcpu_info_maddr = 0x1001;
    n = encode();
    CASE(refused_with("vcpu 3: vcpu_info at 0x1001 is not 64-byte aligned", n),
         "misaligned vcpu_info refused", "%s", err);
    fill(&in);
    in.nr_vcpus = HANDOFF_MAX_VCPUS + 1;
    CASE(encode() == 0 && strstr(err, "nr_vcpus"), "encode refuses an out-of-range count", "%s", err);
    /* An earlier writer's MEMORY record (its first version, 40 bytes): the new fields read 0. */
    fill(&in);
    n = encode();
    size_t mem = find_rec(n, 4);
    uint32_t forty = 40;
    memcpy(buf + mem + 4, &forty, 4);
    /* Shift the rest down: the record shrinks from 72 to 40 bytes of payload. */
    memmove(buf + mem + 8 + 40, buf + mem + 8 + 72, n - (mem + 8 + 72));
    n -= 32;
    memcpy(buf + 12, &(uint32_t){ (uint32_t)n }, 4);
    reseal(n);
    CASE(decode(n) == 0 && out.old_bitmap_pfn == 0 && out.old_first_free_pfn == 321,
         "a shorter, earlier MEMORY record is read, the missing fields as zero", "%s", err);
    return ktap_done();
}
