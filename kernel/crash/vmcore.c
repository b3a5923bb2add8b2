/* SPDX-License-Identifier: MIT */
/*
 * The crash kernel's half of kdump: it runs in the region, leaves the old
 * kernel's memory as it was (read-only, oldmem.c), plans the core (which
 * pages, which are zeros), writes the vmcore to the dump disk (dumpdisk.c)
 * or the console (include/kernel/vmcore.h), then does what kdump_then=
 * says (then.c).
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <kernel/vmcore.h>
#include <kernel/sort.h>
#include <kernel/sched.h>
#include <kernel/cpumask.h>
#include <arch/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>
#include <minipv/string.h>

#define VMCORE_MODES(X) X(VMCORE_FULL, "full") X(VMCORE_REGS, "regs") X(VMCORE_OFF, "off")
enum { VMCORE_MODES(ENUM_) };
static const char *const vmcore_names[] = { VMCORE_MODES(NAME_) NULL };
static int opt_vmcore = VMCORE_FULL;
KOPT_ENUM(vmcore, "vmcore", opt_vmcore, vmcore_names,
          "what the crash kernel writes: full (the core), regs (its notes only) or off");
#define MAX_SEGS 2048

static const struct handoff *H;
static unsigned long *old_bitmap;       /* its allocator's bitmap */
static unsigned long *zero_bits;        /* old pfns found all zero (left out) */
static struct elfcore_seg *segs;
static unsigned nsegs;
static struct { uint64_t va, mfn; } *vleaf;     /* old VMAP pages (stacks) */
static unsigned long lin_l1[512];               /* the old linear map's L1 tables: left out */
static unsigned nlin_l1;
static unsigned nvleaf, nzero;
static bool to_disk;                    /* kdump_disk= */
uint64_t kdump_vmcore_bytes, kdump_vmcore_ns;

/* The old linear map's pages: the ones the plan, the stream and the disk walk by pfn. */
static unsigned long linear_n(void)
{
    return MIN(H->old_nr_pages, (uint64_t)LINEAR_MAX_PAGES);
}

/*
 * Old frames that change while we dump: the console and xenstore rings,
 * every vcpu_info (Xen writes the time there; it never lets one move, so
 * ours may sit in old memory) and shared_info, which the old kernel mapped
 * in its VMAP (Xen sets an event's pending bit there at every answer of the
 * dump disk's backend, the crash kernel clears it: a page that changed
 * between its sum and the backend's read made the disk's sum disagree now
 * and then).  On the disk they are left out, so every other page can be
 * granted to the backend as it is, without a copy: the dump is of the old
 * kernel, not of what the crash kernel does meanwhile.  Sorted, for a
 * binary search per page.
 */
static uint64_t live_mfn[NR_CPUS + 3];
static unsigned nlive;

static void find_live(void)
{
    nlive = 0;
    live_mfn[nlive++] = H->console_mfn;
    live_mfn[nlive++] = H->store_mfn;
    live_mfn[nlive++] = xen_start_info->shared_info >> PAGE_SHIFT;  /* a machine address */
    for (unsigned c = 0; c < nr_cpus; c++)
        if (per_cpu(c)->vcpu_info_maddr)
            live_mfn[nlive++] = per_cpu(c)->vcpu_info_maddr >> PAGE_SHIFT;
    sort_u64(live_mfn, nlive);
}

static bool live(uint64_t mfn)
{
    unsigned lo = 0, hi = nlive;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (live_mfn[mid] == mfn)
            return true;
        if (live_mfn[mid] < mfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool old_used(unsigned long pfn)
{
    if (pfn >= H->old_region_pfn && pfn < H->old_region_pfn + H->old_region_pages)
        return false;           /* the region: the crash kernel's own memory now */
    if (to_disk && live(old_p2m[pfn]))
        return false;
    if (pfn < H->old_first_free_pfn) {
        /*
         * The image, its boot tables, the bitmap; not its p2m nor the L1 tables of
         * its linear map (half a megabyte each per 256 MiB, all of it in the p2m).
         */
        unsigned long mfn = old_p2m[pfn];
        for (unsigned i = 0; i < H->nr_old_p2m; i++)
            if (H->old_p2m[i] == mfn)
                return false;
        for (unsigned i = 0; i < nlin_l1; i++)
            if (lin_l1[i] == mfn)
                return false;
        return true;
    }
    if (!old_bitmap || pfn >= H->old_bitmap_end)
        return false;
    return (old_bitmap[pfn / 64] >> (pfn % 64)) & 1;
}

/* An old linear-map page the core holds: used, and not found all zero by the plan. */
static bool is_data(unsigned long pfn)
{
    return old_used(pfn) && !(zero_bits[pfn / 64] >> (pfn % 64) & 1);
}

static bool all_zero(const void *p)
{
    const uint64_t *q = p;
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        if (q[i])
            return false;
    return true;
}

static void add_seg(uint64_t vaddr, uint64_t paddr, uint64_t size)
{
    if (nsegs && segs[nsegs - 1].vaddr + segs[nsegs - 1].size == vaddr &&
        (paddr == 0 || segs[nsegs - 1].paddr + segs[nsegs - 1].size == paddr)) {
        segs[nsegs - 1].size += size;
        return;
    }
    if (nsegs < MAX_SEGS)
        segs[nsegs++] = (struct elfcore_seg){ vaddr, paddr, size };
}

/* The old kernel's VMAP area (stacks, its window pages): walk its page tables, read-only. */
static void walk_vmap(unsigned long l4_mfn)
{
    const uint64_t *t = old_peek(l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = old_peek((e & PTE_ADDR_MASK) >> PAGE_SHIFT)))
        return;
    e = t[511];                         /* L3 slot 511: VMAP_BASE */
    if (!(e & PTE_P))
        return;
    unsigned long l2_mfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    for (unsigned i2 = 0; i2 < 512; i2++) {
        const uint64_t *l2 = old_peek(l2_mfn);  /* again each time: the window is reused */
        if (!l2 || !(l2[i2] & PTE_P))
            continue;
        const uint64_t *l1 = old_peek((l2[i2] & PTE_ADDR_MASK) >> PAGE_SHIFT);
        if (!l1)
            continue;
        static uint64_t l1e[512];
        memcpy(l1e, l1, sizeof(l1e));
        for (unsigned i1 = 0; i1 < 512 && nvleaf < 8192; i1++) {
            if (!(l1e[i1] & PTE_P))
                continue;
            vleaf[nvleaf].va = VMAP_BASE + ((uint64_t)i2 << 21) + ((uint64_t)i1 << 12);
            vleaf[nvleaf].mfn = (l1e[i1] & PTE_ADDR_MASK) >> PAGE_SHIFT;
            nvleaf++;
        }
    }
}

/* The L1 tables under L3 slot 510 (the linear map) of the old page tables. */
static void find_linear_l1s(unsigned long l4_mfn)
{
    nlin_l1 = 0;
    const uint64_t *t = old_peek(l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = old_peek((e & PTE_ADDR_MASK) >> PAGE_SHIFT)))
        return;
    e = t[510];
    if (!(e & PTE_P) || !(t = old_peek((e & PTE_ADDR_MASK) >> PAGE_SHIFT)))
        return;
    for (unsigned i = 0; i < 512; i++)
        if (t[i] & PTE_P)
            lin_l1[nlin_l1++] = (t[i] & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/*
 * The plan reads every page once (zeros are left out); for the disk it also
 * takes their sum in file order then, so the write only grants frames: the
 * pages it takes do not change (find_live), so the sum holds for what the
 * backend reads later.
 */
static uint64_t data_sum;

static void plan_linear(unsigned long pfn, const void *p, void *ctx)
{
    (void)ctx;
    if (!p || all_zero(p)) {
        zero_bits[pfn / 64] |= 1UL << (pfn % 64);
        nzero++;
        return;                         /* a page of zeros tells gdb nothing */
    }
    if (to_disk)
        data_sum = vmcore_sum(data_sum, p, PAGE_SIZE);
    add_seg(KERNEL_VIRT_BASE + (pfn << PAGE_SHIFT), pfn << PAGE_SHIFT, PAGE_SIZE);
}

static void plan_vleaf(unsigned long i, const void *p, void *ctx)
{
    (void)ctx;
    if (!p || all_zero(p)) {
        vleaf[i].mfn = 0;
        nzero++;
        return;
    }
    if (to_disk)
        data_sum = vmcore_sum(data_sum, p, PAGE_SIZE);
    add_seg(vleaf[i].va, 0, PAGE_SIZE);
}

static int plan(bool full)
{
    nsegs = nvleaf = nzero = 0;
    data_sum = 0;
    if (!full)
        return 0;
    find_linear_l1s(H->old_l4_mfn);
    unsigned long n = linear_n();
    old_view_open(H->old_l4_mfn, n);
    old_read_begin(plan_linear, NULL);
    for (unsigned long pfn = 0; pfn < n; pfn++)
        if (old_used(pfn))
            old_read_pfn(pfn);
    old_read_flush();                   /* the linear map's segments before the VMAP's */
    walk_vmap(H->old_l4_mfn);
    old_read_begin(plan_vleaf, NULL);
    for (unsigned i = 0; i < nvleaf; i++) {
        if (to_disk && live(vleaf[i].mfn))
            plan_vleaf(i, NULL, NULL);  /* left out: adds no segment, so out of turn is fine */
        else
            old_read_page(i, vleaf[i].mfn);
    }
    old_read_flush();
    return nsegs == MAX_SEGS ? -E2BIG : 0;
}

static size_t minipv_note(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "reason=%s\ncrashed_vcpu=%u\ncrashed_cpu=%u\n"
                                "generation=%u\nvcpus=%u\nmap=", H->reason, H->jump_vcpu,
                                H->jump_cpu, H->generation - 1, H->nr_vcpus);
    for (unsigned v = 0; v < H->nr_vcpus && n < size; v++) {
        const struct handoff_vcpu *e = &H->vcpu[v];
        if (e->old_cpu == 0xffff)
            continue;
        n += (size_t)snprintf(buf + n, size - n, "%u:%u:%s ", e->old_cpu, v,
                              handoff_vcpu_state_name(e->state));
    }
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n, "\ncmdline=%s\n", H->cmdline);
    return MIN(n, size - 1);
}

/* Lines go out in batches: one console write each (the per-write cost dominates). */
static char obuf[2048];
static size_t olen;

static void flush_out(void)
{
    if (olen)
        printk_write(obuf, olen);
    olen = 0;
}

static void emit(const char *line, void *ctx)
{
    (void)ctx;
    size_t n = strlen(line);
    if (olen + n + 1 > sizeof(obuf))
        flush_out();
    memcpy(obuf + olen, line, n);
    obuf[olen + n] = '\n';
    olen += n + 1;
}

static void written(uint64_t total, uint64_t ns, const char *where)
{
    kdump_vmcore_bytes = total;
    kdump_vmcore_ns = ns;
    printk("kdump: vmcore written: %llu bytes in %llu ms%s%s", (unsigned long long)total,
           (unsigned long long)(ns / 1000000), where ? " to " : "", where ? where : "");
    printk("bench: vmcore vcpus=%u bytes=%llu write_ms=%llu crash_to_written_ms=%llu%s", nr_cpus,
           (unsigned long long)total, (unsigned long long)(ns / 1000000),
           (unsigned long long)((xen_system_time() - H->crash_time_ns) / 1000000),
           where ? " path=disk" : "");
}

/*
 * On the disk the pages go out straight from their frames, so they must
 * start on a sector: the MINIPV note takes NULs (desc bytes after its
 * lines) until headers and notes end on a page.  Its new length.
 */
static size_t pad_to_page(char *mp, size_t ml, size_t before)
{
    while ((before + elfcore_note(NULL, "MINIPV", VMCORE_MINIPV_NOTE, mp, ml)) % PAGE_SIZE)
        mp[ml++] = 0;
    return ml;
}

/*
 * The data pages in file order (as planned: linear map, then VMAP), for the
 * disk: the next one's pfn, or n plus its vleaf index (n: the linear map's
 * pages), or -1 after the last.
 */
static unsigned long next_pfn, next_vleaf;

static long next_index(unsigned long n)
{
    for (; next_pfn < n; next_pfn++)
        if (is_data(next_pfn))
            return (long)next_pfn++;
    for (; next_vleaf < nvleaf; next_vleaf++)
        if (vleaf[next_vleaf].mfn)
            return (long)(n + next_vleaf++);
    return -1;
}

/* The next data page's frame (granted to the backend as it is), or 0 after the last. */
static unsigned long next_data(void *ctx)
{
    (void)ctx;
    unsigned long n = linear_n();
    long k = next_index(n);
    return k < 0 ? 0 : (unsigned long)k < n ? old_p2m[k] : vleaf[(unsigned long)k - n].mfn;
}

static const uint8_t zero_page[PAGE_SIZE];
static struct {
    const void *p[OLD_BATCH];
    unsigned n, i;
} nx;                                   /* the next pages' bytes, for next_bytes */

static void collect(unsigned long idx, const void *p, void *ctx)
{
    (void)idx, (void)ctx;
    nx.p[nx.n++] = p ? p : zero_page;   /* as the console stream does */
}

/*
 * The next data page's bytes (to copy: the same pages as next_data) until
 * the next call, or NULL after the last.  A batch through the view, and at
 * most one window mapping, whose pages stay until the next batch.
 */
static const void *next_bytes(void *ctx)
{
    (void)ctx;
    unsigned long n = linear_n(), maps = old_window_maps;
    if (nx.i == nx.n) {
        nx.i = nx.n = 0;
        old_read_begin(collect, NULL);
        long k;
        while (old_window_maps == maps && nx.n + old_read_pending() < OLD_BATCH &&
               (k = next_index(n)) >= 0) {
            if ((unsigned long)k < n)
                old_read_pfn((unsigned long)k);
            else
                old_read_page((unsigned long)k - n, vleaf[(unsigned long)k - n].mfn);
        }
        old_read_flush();               /* nothing left to map if the window was mapped */
    }
    return nx.i < nx.n ? nx.p[nx.i++] : NULL;
}

static int write_disk(const uint8_t *hdr, size_t hl, const uint8_t *notes, size_t nl,
                      uint64_t total, bool full)
{
    unsigned long pages = DIV_ROUND_UP(hl + nl, PAGE_SIZE);
    uint8_t *head = page_alloc(pages);
    if (!head) {
        pr_err("kdump: dump disk: no memory for %lu pages of headers: vmcore to the console", pages);
        return -ENOMEM;
    }
    memcpy(head, hdr, hl);
    memcpy(head + hl, notes, nl);
    next_pfn = next_vleaf = 0;
    nx.i = nx.n = 0;
    if (!full)
        next_pfn = next_vleaf = ~0UL;
    struct kdump_disk_src src = {
        .head = head, .head_len = pages * PAGE_SIZE, .total = total,
        .generation = H->generation - 1, .next_mfn = next_data, .data_sum = data_sum,
        .next_page = next_bytes,
    };
    int rc = kdump_disk_write(&src);
    page_free(head, pages);
    return rc;
}

static void put_page(unsigned long idx, const void *p, void *ctx)
{
    (void)idx;
    vmcore_stream_put(ctx, p ? p : zero_page, PAGE_SIZE);
}

static void write_core(bool full)
{
    uint64_t t0 = xen_system_time();
    /* Notes: one NT_PRSTATUS per saved vCPU (the crashed one is first), then ours. */
    static uint8_t notes[HANDOFF_MAX_REGS * ELFCORE_PRSTATUS_NOTE + 4096];
    size_t nl = 0;
    for (unsigned i = 0; i < H->nr_regs; i++)
        nl += elfcore_prstatus(notes + nl, H->regs[i].vcpu + 1,
                               H->regs[i].flags & HANDOFF_REGS_CRASHED ? 11 /* SIGSEGV */
                                                                       : 19 /* SIGSTOP */,
                               H->regs[i].r);
    static char mp[2048 + PAGE_SIZE];
    size_t ml = minipv_note(mp, 2048);
    if (to_disk)
        ml = pad_to_page(mp, ml, elfcore_header_size(nsegs) + nl);
    nl += elfcore_note(notes + nl, "MINIPV", VMCORE_MINIPV_NOTE, mp, ml);

    uint64_t total = elfcore_header_size(nsegs) + nl;
    for (unsigned i = 0; i < nsegs; i++)
        total += segs[i].size;
    static uint8_t hdr[64 + (MAX_SEGS + 1) * 56];
    size_t hl = elfcore_header(hdr, sizeof(hdr), segs, nsegs, nl);

    printk("kdump: vmcore %s: %llu bytes, %u threads, %u segments (%u pages of zeros left out)",
           full ? "full" : "regs", (unsigned long long)total, H->nr_regs, nsegs, nzero);
    if (to_disk) {
        int rc = write_disk(hdr, hl, notes, nl, total, full);
        if (!rc) {
            written(total, xen_system_time() - t0, "the dump disk");
            return;
        }
        if (rc == -EIO && full) {
            /* Hours for a big guest on the console: the registers at least, now. */
            pr_warn("kdump: vmcore=regs on the console instead (the disk failed part-way)");
            to_disk = false;
            nsegs = 0;
            write_core(false);
            return;
        }
    }
    struct vmcore_writer w;
    vmcore_stream_begin(&w, total, emit, NULL);
    flush_out();
    vmcore_stream_put(&w, hdr, hl);
    vmcore_stream_put(&w, notes, nl);
    if (full) {
        /* The same pages in the same order as planned: linear map, then VMAP. */
        unsigned long n = linear_n();
        old_read_begin(put_page, &w);
        for (unsigned long pfn = 0; pfn < n; pfn++)
            if (is_data(pfn))
                old_read_pfn(pfn);
        for (unsigned i = 0; i < nvleaf; i++)
            if (vleaf[i].mfn)
                old_read_page(i, vleaf[i].mfn);
        old_read_flush();
    }
    int rc = vmcore_stream_end(&w);
    flush_out();
    if (rc)
        pr_err("kdump: vmcore: %llu bytes written, %llu announced", (unsigned long long)w.bytes,
               (unsigned long long)total);
    written(total, xen_system_time() - t0, NULL);
}

void kdump_write_vmcore(void)
{
    H = kexec_handoff();
    if (!H || H->kind != HANDOFF_CRASH || opt_vmcore == VMCORE_OFF) {
        if (H && opt_vmcore == VMCORE_OFF)
            printk("kdump: vmcore=off: no dump");
        return;
    }
    bool full = opt_vmcore == VMCORE_FULL;
    /*
     * old_peek() and old_read_flush() invalidate their windows on this cpu only
     * (UVMF_LOCAL, a local TLB flush): a dump that moved to another cpu
     * could read a stale translation there.
     */
    static struct cpumask mask;
    cpumask_zero(&mask);
    cpumask_set(&mask, smp_processor_id());
    thread_set_affinity(thread_current(), &mask);
    to_disk = kdump_disk_wanted();
    if (to_disk)
        find_live();
    segs = page_alloc(DIV_ROUND_UP(MAX_SEGS * sizeof(*segs), PAGE_SIZE));
    vleaf = page_alloc(DIV_ROUND_UP(8192 * sizeof(*vleaf), PAGE_SIZE));
    unsigned long zb = DIV_ROUND_UP(DIV_ROUND_UP(LINEAR_MAX_PAGES, 64) * 8, PAGE_SIZE);
    zero_bits = page_alloc(zb);
    int rc = -ENOMEM;
    if (segs && vleaf && zero_bits && !old_mem_open(zb)) {
        rc = old_map_array(&old_p2m, H->old_p2m, H->nr_old_p2m);
        if (!rc && H->old_bitmap_end) {
            unsigned nb = (unsigned)DIV_ROUND_UP(DIV_ROUND_UP(H->old_bitmap_end, 64) * 8, PAGE_SIZE);
            static uint64_t mfns[64];
            for (unsigned i = 0; i < nb && i < 64; i++)
                mfns[i] = old_p2m[H->old_bitmap_pfn + i];
            rc = old_map_array(&old_bitmap, mfns, MIN(nb, 64u));
        }
    }
    if (!rc)
        rc = plan(full);
    if (rc == -E2BIG)
        pr_warn("kdump: vmcore: more than %u runs of memory: the rest is left out", MAX_SEGS);
    else if (rc) {
        pr_err("kdump: vmcore: cannot read the old kernel's memory map (%d): notes only", rc);
        full = false;
        nsegs = 0;
    }
    write_core(full);
    old_view_close();
    cpumask_fill(&mask, nr_cpus);
    thread_set_affinity(thread_current(), &mask);
    /* Nothing below is needed again: a fresh kernel or a shutdown follows. */
}

bool kdump_is_crash_kernel(void)
{
    const struct handoff *h = kexec_handoff();
    return h && h->kind == HANDOFF_CRASH;
}

void kdump_crash_kernel(const char *suite)
{
    /* A suite that checks the crash kernel itself (test=crash) dumps when it is done. */
    if (!kdump_is_crash_kernel()) {
        kdump_disk_boot();
        return;
    }
    if (!strcmp(suite, "crash"))
        return;
    kdump_write_vmcore();
    kdump_then();
}
