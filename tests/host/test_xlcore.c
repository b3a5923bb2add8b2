/* SPDX-License-Identifier: MIT */
/*
 * Host tests of scripts/xl-core-to-elf: a crafted xl dump-core file (the
 * sections of Xen 4.17's xg_core.c, two vCPUs of ids 0 and 3, page tables
 * by machine frame) becomes an ELF core with one NT_PRSTATUS per vCPU
 * (pid = vcpu id + 1, the crashed one first) and the pages at their
 * virtual addresses; every kind of bad file is refused, naming the first
 * bad section, and a page-table loop ends.
 */
#define _GNU_SOURCE
#define XCORE_NO_MAIN
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ktap.h"
#include "../../scripts/xl-core-to-elf.c"

#define NPAGES 8
#define MFN(pfn) (0x100 + (pfn) * 3)
#define VBASE 0xffffffff80000000ULL
#define PERCPU_PFN 5
enum { S_NULL, S_STR, S_NOTE, S_PRS, S_SHI, S_PAGES, S_P2M, S_NR };
static const char strs[] = "\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_shared_info\0.xen_pages\0.xen_p2m";
static const unsigned name_off[S_NR] = { 0, 1, 11, 21, 35, 52, 63 };

struct knobs {
    bool stop_vcpu0;            /* vCPU 0 parked by a stop: vCPU 3 crashed */
    bool loop, superpage, dup_frame, no_header, bad_cr3;
    long p2m_size_delta;
    uint64_t nr_vcpus_note;
};

static uint8_t file[64 * 1024];
static size_t flen;

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t *page(uint8_t *pages, unsigned pfn) { return pages + pfn * PAGE_SIZE; }

/* Pages: L4 pfn 1, L3 pfn 2, L2 pfn 3, L1 pfn 4 map VBASE + k pages -> pfn k; per-cpu at pfn 5. */
static void build_pages(uint8_t *pages, const struct knobs *k)
{
    uint64_t t = XC_PTE_P | 0x67;
    put64(page(pages, 1) + 511 * 8, ((uint64_t)MFN(2) << 12) | t);
    put64(page(pages, 1) + 258 * 8, ((uint64_t)MFN(1) << 12) | t);      /* Xen's linear slot */
    put64(page(pages, 2) + 510 * 8, ((uint64_t)MFN(3) << 12) | t);
    put64(page(pages, 3) + 0 * 8, ((uint64_t)MFN(4) << 12) | t | (k->superpage ? XC_PTE_PSE : 0));
    for (unsigned p = 0; p < NPAGES; p++)
        put64(page(pages, 4) + p * 8, ((uint64_t)MFN(p) << 12) | t);
    if (k->loop)
        for (unsigned i = 0; i < 256; i++)
            put64(page(pages, 1) + i * 8, ((uint64_t)MFN(1) << 12) | t);
    for (unsigned v = 0; v < 2; v++) {
        uint8_t *pc = page(pages, PERCPU_PFN) + v * 256;
        put64(pc + offsetof(struct percpu, self), VBASE + PERCPU_PFN * PAGE_SIZE + v * 256);
        put32(pc + offsetof(struct percpu, vcpu_id), v ? 3 : 0);
        int why = !v && k->stop_vcpu0 ? PARK_STOP : PARK_NONE;
        memcpy(pc + offsetof(struct percpu, park_why), &why, sizeof(why));
    }
    memcpy(page(pages, 6), "minipv-page-six", 16);
}

static void build_ctx(uint8_t *prs, const struct knobs *k)
{
    for (unsigned v = 0; v < 2; v++) {
        struct vcpu_guest_context c;
        memset(&c, 0, sizeof(c));
        c.user_regs.rip = VBASE + 0x1000 + v;
        c.user_regs.rsp = VBASE + 0x7f00;
        c.user_regs.rax = 0x1111 * (v + 1);
        c.user_regs.cs = 0xe033;
        c.ctrlreg[3] = (uint64_t)(k->bad_cr3 ? 0x999 : MFN(1)) << 12;
        c.gs_base_kernel = VBASE + PERCPU_PFN * PAGE_SIZE + v * 256;
        memcpy(prs + v * sizeof(c), &c, sizeof(c));
    }
}

static void shdr(uint8_t *sh, unsigned i, uint32_t type, uint64_t off, uint64_t size, uint64_t ent)
{
    uint8_t *s = sh + i * 64;
    put32(s, name_off[i]);
    put32(s + 4, type);
    put64(s + 24, off);
    put64(s + 32, size);
    put64(s + 56, ent);
}

static void build(const struct knobs *k)
{
    memset(file, 0, sizeof(file));
    uint8_t *b = file;
    memcpy(b, "\x7f" "ELF\x02\x01\x01", 7);
    b[16] = 4, b[18] = 62;
    put64(b + 40, 64);
    b[58] = 64, b[60] = S_NR, b[62] = S_STR;
    size_t off = 64 + S_NR * 64, ctx = sizeof(struct vcpu_guest_context);
    uint8_t *sh = b + 64;
    /* The note: "Xen" header note with magic, vCPUs, pages, page size. */
    size_t note = off;
    put32(b + note, 4), put32(b + note + 4, 32), put32(b + note + 8, k->no_header ? 7 : XC_NOTE_HEADER);
    memcpy(b + note + 12, "Xen", 4);
    put64(b + note + 16, XC_HEADER_MAGIC), put64(b + note + 24, k->nr_vcpus_note ? k->nr_vcpus_note : 2);
    put64(b + note + 32, NPAGES), put64(b + note + 40, PAGE_SIZE);
    shdr(sh, S_NOTE, XC_SHT_NOTE, note, 48, 0);
    size_t prs = note + 48;
    build_ctx(b + prs, k);
    shdr(sh, S_PRS, 1, prs, 2 * ctx, ctx);
    size_t shi = prs + 2 * ctx;
    shdr(sh, S_SHI, 1, shi, PAGE_SIZE, PAGE_SIZE);
    size_t pages = ALIGN_UP(shi + PAGE_SIZE, PAGE_SIZE);
    build_pages(b + pages, k);
    shdr(sh, S_PAGES, 1, pages, NPAGES * PAGE_SIZE, PAGE_SIZE);
    size_t p2m = pages + NPAGES * PAGE_SIZE;
    for (unsigned p = 0; p < NPAGES; p++)
        put64(b + p2m + p * 16, p), put64(b + p2m + p * 16 + 8, k->dup_frame && p == 7 ? MFN(6) : MFN(p));
    shdr(sh, S_P2M, 1, p2m, (uint64_t)(NPAGES * 16 + k->p2m_size_delta), 16);
    size_t str = p2m + NPAGES * 16;
    memcpy(b + str, strs, sizeof(strs));
    shdr(sh, S_STR, XC_SHT_STRTAB, str, sizeof(strs), 0);
    flen = str + sizeof(strs);
}

static uint8_t out[64 * 1024];
static size_t olen;

static int convert(const struct knobs *k, size_t len, char *err, size_t errlen)
{
    struct xcore x;
    build(k);
    FILE *f = fmemopen(out, sizeof(out), "wb");
    int rc = xcore_open(&x, file, len ? len : flen);
    if (!rc)
        rc = xcore_write_elf(&x, f);
    olen = (size_t)ftell(f);
    fclose(f);
    snprintf(err, errlen, "%s", x.err);
    xcore_close(&x);
    return rc;
}

/* The note of thread n: its pid and signal, and its rip. */
static void thread(unsigned n, uint32_t *pid, uint16_t *sig, uint64_t *rip)
{
    size_t notes = get64(out + 64 + 8);
    const uint8_t *d = out + notes + n * ELFCORE_PRSTATUS_NOTE + 20;
    *sig = get16(d + 12);
    *pid = get32(d + 32);
    *rip = get64(d + 112 + UREG_IP * 8);
}

static void test_good(void)
{
    char err[256];
    struct knobs k = { .stop_vcpu0 = true };
    int rc = convert(&k, 0, err, sizeof(err));
    CASE(rc == 0 && get16(out + 16) == 4 && get16(out + 56) == 2,
         "a good dump becomes an ELF core: a note and one PT_LOAD", "rc %d (%s) phnum %u", rc, err,
         get16(out + 56));
    const uint8_t *ph = out + 64 + 56;
    CASE(get64(ph + 16) == VBASE && get64(ph + 32) == NPAGES * PAGE_SIZE &&
             !memcmp(out + get64(ph + 8) + 6 * PAGE_SIZE, "minipv-page-six", 16),
         "the pages sit at their virtual addresses, Xen's slots left out", "vaddr %#llx size %llu",
         (unsigned long long)get64(ph + 16), (unsigned long long)get64(ph + 32));
    uint32_t pid0, pid1;
    uint16_t sig0, sig1;
    uint64_t rip0, rip1;
    thread(0, &pid0, &sig0, &rip0);
    thread(1, &pid1, &sig1, &rip1);
    CASE(pid0 == 4 && sig0 == 11 && rip0 == VBASE + 0x1001 && pid1 == 1 && sig1 == 19 &&
             rip1 == VBASE + 0x1000,
         "vcpu ids from the per-cpu areas, the crashed vCPU 3 first (pid 4)",
         "pids %u %u signals %u %u rips %#llx %#llx", pid0, pid1, sig0, sig1,
         (unsigned long long)rip0, (unsigned long long)rip1);
    k.stop_vcpu0 = false;
    convert(&k, 0, err, sizeof(err));
    thread(0, &pid0, &sig0, &rip0);
    CASE(pid0 == 1 && sig0 == 19, "a running domain: no crashed vCPU, vCPU 0 first",
         "pid %u signal %u", pid0, sig0);
}

static void test_bad(void)
{
    static const struct { struct knobs k; size_t cut; const char *want; } bad[] = {
        { { 0 }, 1000, "section 1 (the section names): 72 bytes at" },
        { { 0 }, 40, "ELF header: not an ELF file" },
        { { .p2m_size_delta = -16 }, 0, "section .xen_p2m: 112 bytes for 8 pages" },
        { { .nr_vcpus_note = 3 }, 0, "section .xen_prstatus: 10336 bytes" },
        { { .no_header = true }, 0, "section .note.Xen: no dump-core header note" },
        { { .dup_frame = true }, 0, "section .xen_p2m: frame 0x112 is there twice" },
        { { .superpage = true }, 0, "section .xen_pages: a superpage at 0xffffffff80000000" },
        { { .loop = true }, 0, "section .xen_pages: the page tables map more than" },
        { { .bad_cr3 = true }, 0, "section .xen_prstatus: no vCPU's CR3" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        char err[256] = "";
        int rc = convert(&bad[i].k, bad[i].cut, err, sizeof(err));
        CASE(rc == -1 && strstr(err, bad[i].want), "a bad dump is refused, the section named",
             "case %u: rc %d err '%s', want '%s'", i, rc, err, bad[i].want);
    }
}

int main(void)
{
    ktap_plan(4 + 9);
    test_good();
    test_bad();
    return ktap_done();
}
