/* SPDX-License-Identifier: MIT */
/*
 * xl-core-to-elf IN OUT: turn an `xl dump-core` file of a minipv domU into
 * an ELF core stock gdb reads next to build/minipv (the vmcore's format,
 * include/kernel/vmcore.h).  Exit 0 ok, 1 refused (a bad IN, the first bad
 * section named; OUT is not left behind), 2 usage or I/O error.
 *
 * IN (Xen 4.17 tools/libs/guest/xg_core.c, docs/misc/dump-core-format.txt)
 * is ELF64 ET_CORE with no program headers, only sections: .note.Xen (a
 * header note: vCPUs, pages, page size), .xen_prstatus (one
 * vcpu_guest_context per vCPU Xen had a context for, compacted, in vcpu id
 * order, without the ids), .xen_shared_info, .xen_pages (the pages, in the
 * order of) .xen_p2m ({pfn, gmfn} pairs; .xen_pfn for an auto-translated
 * guest: pfns only).
 *
 * OUT: one NT_PRSTATUS per vCPU in .xen_prstatus, pr_pid = vcpu id + 1, and
 * one PT_LOAD per run of virtual addresses the vCPUs' page tables map (CR3
 * is a machine frame, found through .xen_p2m), Xen's hole left out.  The
 * vcpu ids come from each vCPU's per-cpu area (its kernel GS base:
 * include/minipv/percpu.h, self pointer checked), else from positions; a
 * crashed domain's crashing vCPU -- the one vCPU the panic did not park
 * while it parked all the others -- goes first, as in the vmcore.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <xen/xen.h>
#include <minipv/percpu.h>
#include <kernel/smp.h>
#include "../kernel/lib/elfcore.c"

#define XC_SHT_NOTE 7
#define XC_SHT_STRTAB 3
#define XC_NOTE_HEADER 0x2000001            /* XEN_ELFNOTE_DUMPCORE_HEADER */
#define XC_HEADER_MAGIC 0xF00FEBEDULL       /* XEN_DUMPCORE_MAGIC */
#define XC_INVALID (~(uint64_t)0)
#define XEN_HOLE_FIRST_L4 256               /* 0xffff800000000000 ... */
#define XEN_HOLE_LAST_L4 271                /* ... 0xffff87ffffffffff: Xen's own */
#define XC_MAX_VCPUS 4096
#define XC_PTE_P 0x1ULL
#define XC_PTE_PSE 0x80ULL
#define XC_PTE_ADDR 0x000ffffffffff000ULL
#define XC_MAX_LOOKUPS (16UL << 20)         /* a page-table walk that loops stops here */

struct xc_sec {
    const char *name;
    uint64_t off, size, entsize;
};

struct xcore {
    const uint8_t *buf;
    size_t len;
    struct xc_sec note, prstatus, pages, p2m;
    bool pfn_only;                          /* .xen_pfn: the frame is the pfn */
    uint64_t nr_pages, nr_vcpus;
    struct { uint64_t frame, idx; } *by_frame;      /* sorted by frame */
    size_t n_by_frame;
    char err[256];
};

struct xc_vcpu {
    unsigned id;
    bool parked, crashed;
};

static int refuse(struct xcore *x, const char *fmt, ...) __printf(2, 3);
static int refuse(struct xcore *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof(x->err), fmt, ap);
    va_end(ap);
    return -1;
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* A section's name, or NULL if it is not a NUL-terminated string of the table. */
static const char *sec_name(const uint8_t *strtab, uint64_t strsz, uint32_t n)
{
    if (n >= strsz || !memchr(strtab + n, 0, strsz - n))
        return NULL;
    return (const char *)strtab + n;
}

static int parse_ehdr(struct xcore *x, uint64_t *shoff, unsigned *shnum, unsigned *shstrndx)
{
    const uint8_t *b = x->buf;
    if (x->len < 64 || memcmp(b, "\x7f" "ELF", 4))
        return refuse(x, "ELF header: not an ELF file (%zu bytes)", x->len);
    if (b[4] != 2 || b[5] != 1 || get16(b + 16) != 4 || get16(b + 18) != 62)
        return refuse(x, "ELF header: not a little-endian ELF64 x86-64 core (class %u data %u "
                      "type %u machine %u)", b[4], b[5], get16(b + 16), get16(b + 18));
    *shoff = get64(b + 40);
    *shnum = get16(b + 60);
    *shstrndx = get16(b + 62);
    if (get16(b + 58) != 64 || !*shnum || *shstrndx >= *shnum || *shoff > x->len ||
        (x->len - *shoff) / 64 < *shnum)
        return refuse(x, "ELF header: section headers (offset %#llx, %u of %u bytes, strings %u) "
                      "are not in the file", (unsigned long long)*shoff, *shnum, get16(b + 58),
                      *shstrndx);
    return 0;
}

/* Each section in order: named, inside the file; the ones we use remembered. */
static int parse_sections(struct xcore *x)
{
    uint64_t shoff = 0;
    unsigned shnum = 0, shstrndx = 0;
    if (parse_ehdr(x, &shoff, &shnum, &shstrndx))
        return -1;
    const uint8_t *sh = x->buf + shoff, *ss = sh + (size_t)shstrndx * 64;
    uint64_t stroff = get64(ss + 24), strsz = get64(ss + 32);
    if (get32(ss + 4) != XC_SHT_STRTAB || stroff > x->len || strsz > x->len - stroff)
        return refuse(x, "section %u (the section names): %llu bytes at %#llx, type %u: not a "
                      "string table inside the file (%zu bytes; truncated?)", shstrndx,
                      (unsigned long long)strsz, (unsigned long long)stroff, get32(ss + 4), x->len);
    const uint8_t *strtab = x->buf + stroff;
    for (unsigned i = 1; i < shnum; i++) {
        const uint8_t *s = sh + (size_t)i * 64;
        const char *name = sec_name(strtab, strsz, get32(s));
        uint64_t off = get64(s + 24), size = get64(s + 32);
        if (!name)
            return refuse(x, "section %u: its name (at %u) is not in the string table", i, get32(s));
        if (off > x->len || size > x->len - off)
            return refuse(x, "section %s: %llu bytes at %#llx are past the end of the file "
                          "(%zu bytes)", name, (unsigned long long)size,
                          (unsigned long long)off, x->len);
        struct xc_sec sec = { name, off, size, get64(s + 56) };
        if (!strcmp(name, ".note.Xen"))
            x->note = sec;
        else if (!strcmp(name, ".xen_prstatus"))
            x->prstatus = sec;
        else if (!strcmp(name, ".xen_pages"))
            x->pages = sec;
        else if (!strcmp(name, ".xen_p2m") || !strcmp(name, ".xen_pfn")) {
            x->p2m = sec;
            x->pfn_only = !strcmp(name, ".xen_pfn");
        }
    }
    return 0;
}

/* .note.Xen: the header note says how many vCPUs and pages, and the page size. */
static int parse_note(struct xcore *x)
{
    if (!x->note.name)
        return refuse(x, "section .note.Xen: missing (not an xl dump-core file)");
    const uint8_t *p = x->buf + x->note.off, *end = p + x->note.size;
    while (end - p >= 12) {
        uint32_t namesz = get32(p), descsz = get32(p + 4), type = get32(p + 8);
        size_t nlen = (namesz + 3) & ~3u, dlen = (descsz + 3) & ~3u;
        if ((size_t)(end - p - 12) < nlen || (size_t)(end - p - 12 - nlen) < dlen)
            break;
        const uint8_t *desc = p + 12 + nlen;
        if (type == XC_NOTE_HEADER && descsz >= 32) {
            /* XC_CORE_MAGIC, or XC_CORE_MAGIC_HVM (one more: frames are pfns there). */
            if ((get64(desc) != XC_HEADER_MAGIC && get64(desc) != XC_HEADER_MAGIC + 1) ||
                get64(desc + 24) != PAGE_SIZE)
                return refuse(x, "section .note.Xen: header magic %#llx, page size %llu (want "
                              "%#llx, 4096)", (unsigned long long)get64(desc),
                              (unsigned long long)get64(desc + 24), XC_HEADER_MAGIC);
            x->nr_vcpus = get64(desc + 8);
            x->nr_pages = get64(desc + 16);
            return 0;
        }
        p += 12 + nlen + dlen;
    }
    return refuse(x, "section .note.Xen: no dump-core header note");
}

/* By the first 64-bit field: a by_frame entry's frame, a mapping's address (qsort, bsearch). */
static int cmp_first_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int parse_p2m(struct xcore *x)
{
    size_t ent = x->pfn_only ? 8 : 16;
    const char *n = x->pfn_only ? ".xen_pfn" : ".xen_p2m";
    if (!x->p2m.name)
        return refuse(x, "section .xen_p2m: missing (nor .xen_pfn)");
    if (x->p2m.size != x->nr_pages * ent)
        return refuse(x, "section %s: %llu bytes for %llu pages (want %zu each)", n,
                      (unsigned long long)x->p2m.size, (unsigned long long)x->nr_pages, ent);
    x->by_frame = calloc(x->nr_pages ? x->nr_pages : 1, sizeof(*x->by_frame));
    if (!x->by_frame)
        return refuse(x, "section %s: no memory for %llu entries", n,
                      (unsigned long long)x->nr_pages);
    const uint8_t *p = x->buf + x->p2m.off;
    for (uint64_t i = 0; i < x->nr_pages; i++) {
        uint64_t pfn = get64(p + i * ent), frame = x->pfn_only ? pfn : get64(p + i * ent + 8);
        if (pfn == XC_INVALID || frame == XC_INVALID)
            continue;                       /* a page the dump padded: never mapped */
        x->by_frame[x->n_by_frame].frame = frame;
        x->by_frame[x->n_by_frame++].idx = i;
    }
    if (x->n_by_frame)
        qsort(x->by_frame, x->n_by_frame, sizeof(*x->by_frame), cmp_first_u64);
    for (size_t i = 1; i < x->n_by_frame; i++)
        if (x->by_frame[i].frame == x->by_frame[i - 1].frame)
            return refuse(x, "section %s: frame %#llx is there twice", n,
                          (unsigned long long)x->by_frame[i].frame);
    return 0;
}

int xcore_open(struct xcore *x, const uint8_t *buf, size_t len)
{
    memset(x, 0, sizeof(*x));
    x->buf = buf;
    x->len = len;
    if (parse_sections(x) || parse_note(x))
        return -1;
    if (!x->prstatus.name)
        return refuse(x, "section .xen_prstatus: missing");
    if (x->prstatus.entsize < sizeof(struct vcpu_guest_context) || !x->nr_vcpus ||
        x->nr_vcpus > XC_MAX_VCPUS || x->prstatus.size != x->nr_vcpus * x->prstatus.entsize)
        return refuse(x, "section .xen_prstatus: %llu bytes, entries of %llu, for %llu vCPUs "
                      "(want 1..%u of at least %zu bytes)", (unsigned long long)x->prstatus.size,
                      (unsigned long long)x->prstatus.entsize, (unsigned long long)x->nr_vcpus,
                      XC_MAX_VCPUS, sizeof(struct vcpu_guest_context));
    if (!x->pages.name)
        return refuse(x, "section .xen_pages: missing");
    if (x->pages.size / PAGE_SIZE != x->nr_pages || x->pages.size % PAGE_SIZE)
        return refuse(x, "section .xen_pages: %llu bytes for %llu pages",
                      (unsigned long long)x->pages.size, (unsigned long long)x->nr_pages);
    return parse_p2m(x);
}

void xcore_close(struct xcore *x)
{
    free(x->by_frame);
    x->by_frame = NULL;
}

/* The dumped page of a machine frame, or NULL if the dump does not hold it. */
static const uint8_t *frame_page(const struct xcore *x, uint64_t frame, uint64_t *idx)
{
    __typeof__(x->by_frame) e = x->n_by_frame ?
        bsearch(&frame, x->by_frame, x->n_by_frame, sizeof(*e), cmp_first_u64) : NULL;
    if (!e)
        return NULL;
    if (idx)
        *idx = e->idx;
    return x->buf + x->pages.off + e->idx * PAGE_SIZE;
}


/* ---- the page tables: every page some vCPU's CR3 maps ---- */

struct xc_map {
    uint64_t va, idx, seq;
};

struct xc_maps {
    struct xc_map *m;
    size_t n, cap;
    unsigned long lookups;
};

static int add_map(struct xcore *x, struct xc_maps *ms, uint64_t va, uint64_t idx)
{
    if (ms->n == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 4096;
        struct xc_map *m = realloc(ms->m, cap * sizeof(*m));
        if (!m)
            return refuse(x, "section .xen_pages: no memory for %zu mappings", cap);
        ms->m = m;
        ms->cap = cap;
    }
    ms->m[ms->n] = (struct xc_map){ va, idx, ms->n };
    ms->n++;
    return 0;
}

/* One table at level (4: the L4) covering the addresses from base. */
static int walk_table(struct xcore *x, struct xc_maps *ms, const uint8_t *t, int level, uint64_t base)
{
    for (unsigned i = 0; i < 512; i++) {
        if (level == 4 && i >= XEN_HOLE_FIRST_L4 && i <= XEN_HOLE_LAST_L4)
            continue;                       /* Xen's slots: its tables, and ours seen again */
        uint64_t e = get64(t + i * 8);
        if (!(e & XC_PTE_P))
            continue;
        uint64_t va = base | (uint64_t)i << (PAGE_SHIFT + 9 * (level - 1));
        if (level == 4 && i >= 256)
            va |= 0xffff000000000000ULL;    /* canonical */
        if (level > 1 && level < 4 && (e & XC_PTE_PSE))
            return refuse(x, "section .xen_pages: a superpage at %#llx (a PV guest has none)",
                          (unsigned long long)va);
        if (++ms->lookups > XC_MAX_LOOKUPS)
            return refuse(x, "section .xen_pages: the page tables map more than %lu pages "
                          "(a loop?)", XC_MAX_LOOKUPS);
        uint64_t idx;
        const uint8_t *page = frame_page(x, (e & XC_PTE_ADDR) >> PAGE_SHIFT, &idx);
        if (!page)
            continue;                       /* not the domain's memory (shared_info, grants) */
        if (level == 1 ? add_map(x, ms, va, idx) : walk_table(x, ms, page, level - 1, va))
            return -1;
    }
    return 0;
}

static int cmp_map(const void *a, const void *b)
{
    const struct xc_map *p = a, *q = b;
    if (p->va != q->va)
        return p->va < q->va ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Sorted by address, one mapping per address (the first vCPU's tables win). */
static void sort_maps(struct xc_maps *ms)
{
    if (!ms->n)
        return;
    qsort(ms->m, ms->n, sizeof(*ms->m), cmp_map);
    size_t k = 0;
    for (size_t i = 0; i < ms->n; i++)
        if (!k || ms->m[i].va != ms->m[k - 1].va)
            ms->m[k++] = ms->m[i];
    ms->n = k;
}

static const uint8_t *va_page(const struct xcore *x, const struct xc_maps *ms, uint64_t va)
{
    va &= ~(uint64_t)(PAGE_SIZE - 1);
    const struct xc_map *m = ms->n ? bsearch(&va, ms->m, ms->n, sizeof(*m), cmp_first_u64) : NULL;
    return m ? x->buf + x->pages.off + m->idx * PAGE_SIZE : NULL;
}

/* ---- the vCPUs ---- */

static const struct vcpu_guest_context *vcpu_ctx(const struct xcore *x, size_t i, struct vcpu_guest_context *c)
{
    memcpy(c, x->buf + x->prstatus.off + i * x->prstatus.entsize, sizeof(*c));
    return c;
}

static int walk_vcpus(struct xcore *x, struct xc_maps *ms)
{
    struct vcpu_guest_context c;
    uint64_t done[64];
    unsigned ndone = 0;
    for (size_t i = 0; i < x->nr_vcpus; i++) {
        uint64_t l4 = vcpu_ctx(x, i, &c)->ctrlreg[3] >> PAGE_SHIFT;    /* xen_cr3_to_pfn, 64-bit */
        bool seen = false;
        for (unsigned k = 0; k < ndone; k++)
            seen |= done[k] == l4;
        const uint8_t *t = seen ? NULL : frame_page(x, l4, NULL);
        if (!t)
            continue;
        if (ndone < ARRAY_SIZE(done))
            done[ndone++] = l4;
        if (walk_table(x, ms, t, 4, 0))
            return -1;
    }
    sort_maps(ms);
    if (!ms->n)
        return refuse(x, "section .xen_prstatus: no vCPU's CR3 is a page table in .xen_pages");
    return 0;
}

/* A vCPU's per-cpu area through its kernel GS base: its id, and whether a stop parked it. */
static bool percpu_of(const struct xcore *x, const struct xc_maps *ms, const struct vcpu_guest_context *c,
                      unsigned *id, int *park)
{
    uint64_t gs = c->gs_base_kernel;
    size_t off = gs & (PAGE_SIZE - 1);
    if (off + sizeof(struct percpu) > PAGE_SIZE)
        return false;                       /* __aligned(64) and smaller than a page: never */
    const uint8_t *p = va_page(x, ms, gs);
    if (!p || get64(p + off + offsetof(struct percpu, self)) != gs)
        return false;
    *id = get32(p + off + offsetof(struct percpu, vcpu_id));
    int why;
    memcpy(&why, p + off + offsetof(struct percpu, park_why), sizeof(why));
    *park = why;
    return *id < XC_MAX_VCPUS;
}

static void name_vcpus(const struct xcore *x, const struct xc_maps *ms, struct xc_vcpu *v)
{
    struct vcpu_guest_context c;
    bool by_percpu = true;
    unsigned parked = 0;
    for (size_t i = 0; i < x->nr_vcpus; i++) {
        int park = PARK_NONE;
        if (!percpu_of(x, ms, vcpu_ctx(x, i, &c), &v[i].id, &park) || (i && v[i].id <= v[i - 1].id))
            by_percpu = false;
        v[i].parked = park == PARK_STOP || park == PARK_CRASH;
        parked += v[i].parked;
    }
    if (!by_percpu) {
        fprintf(stderr, "xl-core-to-elf: vcpu ids from positions (a per-cpu area did not check out)\n");
        for (size_t i = 0; i < x->nr_vcpus; i++)
            v[i].id = (unsigned)i;
    }
    for (size_t i = 0; i < x->nr_vcpus; i++)
        v[i].crashed = by_percpu && x->nr_vcpus > 1 && parked == x->nr_vcpus - 1 && !v[i].parked;
}

/* ---- the ELF core ---- */

static void user_regs(const struct vcpu_guest_context *c, uint64_t r[ELFCORE_NREGS])
{
    const struct cpu_user_regs *u = &c->user_regs;
    uint64_t v[ELFCORE_NREGS] = {
        [UREG_R15] = u->r15, [UREG_R14] = u->r14, [UREG_R13] = u->r13, [UREG_R12] = u->r12,
        [UREG_BP] = u->rbp, [UREG_BX] = u->rbx, [UREG_R11] = u->r11, [UREG_R10] = u->r10,
        [UREG_R9] = u->r9, [UREG_R8] = u->r8, [UREG_AX] = u->rax, [UREG_CX] = u->rcx,
        [UREG_DX] = u->rdx, [UREG_SI] = u->rsi, [UREG_DI] = u->rdi, [UREG_ORIG_AX] = ~0ULL,
        [UREG_IP] = u->rip, [UREG_CS] = u->cs, [UREG_FLAGS] = u->rflags, [UREG_SP] = u->rsp,
        [UREG_SS] = u->ss, [UREG_FS_BASE] = c->fs_base, [UREG_GS_BASE] = c->gs_base_kernel,
        [UREG_DS] = u->ds, [UREG_ES] = u->es, [UREG_FS] = u->fs, [UREG_GS] = u->gs,
    };
    memcpy(r, v, sizeof(v));
}

/* The notes: the crashed vCPU first (SIGSEGV), the others (SIGSTOP) by id. */
static size_t build_notes(const struct xcore *x, const struct xc_vcpu *v, uint8_t *notes)
{
    struct vcpu_guest_context c;
    uint64_t r[ELFCORE_NREGS];
    size_t nl = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < x->nr_vcpus; i++) {
            if (v[i].crashed != !pass)
                continue;
            user_regs(vcpu_ctx(x, i, &c), r);
            nl += elfcore_prstatus(notes + nl, v[i].id + 1, v[i].crashed ? 11 : 19, r);
        }
    return nl;
}

static uint64_t pfn_of(const struct xcore *x, uint64_t idx)
{
    return get64(x->buf + x->p2m.off + idx * (x->pfn_only ? 8 : 16));
}

/* One PT_LOAD per run of consecutive addresses; segs NULL: just count them. */
static unsigned segments(const struct xcore *x, const struct xc_maps *ms, struct elfcore_seg *segs)
{
    unsigned n = 0;
    for (size_t i = 0; i < ms->n; i++) {
        if (i && ms->m[i].va == ms->m[i - 1].va + PAGE_SIZE) {
            if (segs)
                segs[n - 1].size += PAGE_SIZE;
            continue;
        }
        if (segs)
            segs[n] = (struct elfcore_seg){ ms->m[i].va, pfn_of(x, ms->m[i].idx) << PAGE_SHIFT,
                                            PAGE_SIZE };
        n++;
    }
    return n;
}

int xcore_write_elf(struct xcore *x, FILE *out)
{
    struct xc_maps ms = { 0 };
    struct xc_vcpu *v = calloc(x->nr_vcpus, sizeof(*v));
    uint8_t *notes = calloc(x->nr_vcpus, ELFCORE_PRSTATUS_NOTE);
    struct elfcore_seg *segs = NULL;
    uint8_t *hdr = NULL;
    int rc = -1;
    if (!v || !notes) {
        refuse(x, "section .xen_prstatus: no memory for %llu vCPUs", (unsigned long long)x->nr_vcpus);
        goto out;
    }
    if (walk_vcpus(x, &ms))
        goto out;
    name_vcpus(x, &ms, v);
    size_t nl = build_notes(x, v, notes);
    unsigned nsegs = segments(x, &ms, NULL);
    segs = calloc(nsegs, sizeof(*segs));
    hdr = malloc(elfcore_header_size(nsegs));
    if (!segs || !hdr || nsegs > 0xfffe) {
        refuse(x, "section .xen_pages: %u runs of mapped pages (at most 65534)", nsegs);
        goto out;
    }
    segments(x, &ms, segs);
    size_t hs = elfcore_header(hdr, elfcore_header_size(nsegs), segs, nsegs, nl);
    rc = fwrite(hdr, 1, hs, out) == hs && fwrite(notes, 1, nl, out) == nl ? 0 : -2;
    for (size_t i = 0; i < ms.n && !rc; i++)
        if (fwrite(x->buf + x->pages.off + ms.m[i].idx * PAGE_SIZE, 1, PAGE_SIZE, out) != PAGE_SIZE)
            rc = -2;
    if (!rc)
        fprintf(stderr, "xl-core-to-elf: %llu vCPUs, %zu pages mapped in %u segments\n",
                (unsigned long long)x->nr_vcpus, ms.n, nsegs);
out:
    free(ms.m);
    free(v);
    free(notes);
    free(segs);
    free(hdr);
    return rc;
}

#ifndef XCORE_NO_MAIN
int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: xl-core-to-elf IN OUT  (IN: an xl dump-core file)\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !st.st_size) {
        fprintf(stderr, "xl-core-to-elf: %s: cannot read it (or it is empty)\n", argv[1]);
        return 2;
    }
    const uint8_t *buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "xl-core-to-elf: %s: cannot map it\n", argv[1]);
        return 2;
    }
    struct xcore x;
    FILE *out = NULL;
    int rc = xcore_open(&x, buf, (size_t)st.st_size);
    if (!rc) {
        out = fopen(argv[2], "wb");
        rc = out ? xcore_write_elf(&x, out) : -2;
        if (out && fclose(out))
            rc = -2;
    }
    xcore_close(&x);
    if (rc) {
        if (out)
            unlink(argv[2]);
        if (rc == -1)
            fprintf(stderr, "xl-core-to-elf: %s refused: %s\n", argv[1], x.err);
        else
            fprintf(stderr, "xl-core-to-elf: %s: cannot write it\n", argv[2]);
        return rc == -1 ? 1 : 2;
    }
    return 0;
}
#endif
