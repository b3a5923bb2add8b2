/* SPDX-License-Identifier: MIT */
/*
 * The crash kernel's half of kdump: it runs in the region, leaves the old
 * kernel's memory as it was, writes the vmcore to the console
 * (include/kernel/vmcore.h), then does what kdump_then= says.  The old
 * memory is read through read-only mappings, a batch of pages at a time
 * (one hypercall a page was most of the time from the crash to the dump):
 * mapping an old frame read-only is always allowed, even while it is still
 * a page table of the old kernel's.
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

/* Each option's values: one list gives the enum and the names. */
#define ENUM_(id, name) id,
#define NAME_(id, name) name,
#define VMCORE_MODES(X) X(VMCORE_FULL, "full") X(VMCORE_REGS, "regs") X(VMCORE_OFF, "off")
enum { VMCORE_MODES(ENUM_) };
static const char *const vmcore_names[] = { VMCORE_MODES(NAME_) NULL };
static int opt_vmcore = VMCORE_FULL;
KOPT_ENUM(vmcore, "vmcore", opt_vmcore, vmcore_names,
          "what the crash kernel writes: full (the core), regs (its notes only) or off");
#define THENS(X) X(THEN_KEXEC, "kexec") X(THEN_REBOOT, "reboot") X(THEN_POWEROFF, "poweroff") \
    X(THEN_CRASH, "crash")
enum { THENS(ENUM_) };
static const char *const then_names[] = { THENS(NAME_) NULL };
static int opt_then = THEN_KEXEC;
KOPT_ENUM(kdump_then, "kdump_then", opt_then, then_names,
          "after the dump: kexec (a fresh minipv on all the memory, region armed again) | reboot "
          "| poweroff | crash");

#define MAX_SEGS 2048
#define PTE_ADDR 0x000ffffffffff000ULL

static const struct handoff *H;
static unsigned long *old_p2m;          /* the old kernel's pfn -> mfn, mapped read-only */
static unsigned long *old_bitmap;       /* its allocator's bitmap */
static unsigned long win;               /* one page: the old page table being walked */
static unsigned long bwin;              /* READ_BATCH pages: the old pages being dumped */
static unsigned long *zero_bits;        /* old pfns found all zero (left out) */
static struct elfcore_seg *segs;
static unsigned nsegs;
static struct { uint64_t va, mfn; } *vleaf;     /* old VMAP pages (stacks) */
static unsigned long lin_l1[512];               /* the old linear map's L1 tables: left out */
static unsigned nlin_l1;
static unsigned nvleaf, nzero;
static bool to_disk;                    /* kdump_disk= */
static const uint8_t *view;             /* the old linear map, whole (view_open) */
static unsigned long *view_ok;          /* old pfns read through it */
uint64_t kdump_vmcore_bytes, kdump_vmcore_ns;
static unsigned lost_vcpus(void);

/* The old linear map's pages: the ones the plan, the stream and the disk walk by pfn. */
static unsigned long linear_n(void)
{
    return MIN(H->old_nr_pages, (uint64_t)LINEAR_MAX_PAGES);
}

static int map_ro(unsigned long va, unsigned long mfn)
{
    return arch_map_page(va, mfn, PTE_P | PTE_A | PTE_NX);
}

static const void *peek(unsigned long mfn)
{
    return map_ro(win, mfn) ? NULL : (const void *)win;
}

/*
 * Old pages read in file order, READ_BATCH at a time: one mmu_update and one
 * local TLB flush a batch.  use(idx, p, ctx) sees each in the order given,
 * p NULL for a frame Xen would not map.
 */
#define READ_BATCH ARCH_WINDOW_MAX
typedef void (*page_fn)(unsigned long idx, const void *p, void *ctx);
static struct {
    unsigned long idx[READ_BATCH], mfn[READ_BATCH];
    bool ok[READ_BATCH];
    unsigned n;
    page_fn use;
    void *ctx;
} rd;

static void read_begin(page_fn use, void *ctx)
{
    rd.n = 0;
    rd.use = use;
    rd.ctx = ctx;
}

static unsigned long window_maps;      /* how often read_queued mapped the window */

static void read_queued(void)
{
    if (!rd.n)
        return;
    window_maps++;
    if (arch_map_window_local(bwin, rd.mfn, rd.n, PTE_P | PTE_A | PTE_NX, rd.ok))
        memset(rd.ok, 0, sizeof(rd.ok));        /* no flush: no page of the window is sure */
    for (unsigned i = 0; i < rd.n; i++)
        rd.use(rd.idx[i], rd.ok[i] ? (const void *)(bwin + i * PAGE_SIZE) : NULL, rd.ctx);
    rd.n = 0;
}

static void read_page(unsigned long idx, unsigned long mfn)
{
    rd.idx[rd.n] = idx;
    rd.mfn[rd.n] = mfn;
    if (++rd.n == READ_BATCH)
        read_queued();
}

/*
 * The old kernel's own linear map, seen whole: its L2 table under our L3
 * slot OLD_VIEW_BASE, read-only and no-execute (arch_map_l2_ro), so a page
 * is read with no hypercall at all (the window's mapping hypercall, one per
 * 256 pages, was most of the plan's time).  Only pages whose old L1 entry
 * is present and names the frame the old p2m gives are read there
 * (view_ok); the rest go through the window, as before.  Not with a LOST
 * vCPU: it may still run the old kernel and change those tables.
 */
static void view_open(unsigned long n)
{
    if (lost_vcpus())
        return;
    const uint64_t *t = peek(H->old_l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = peek((e & PTE_ADDR) >> PAGE_SHIFT)))
        return;
    e = t[510];                         /* L3 slot 510: the linear map */
    if (!(e & PTE_P) || !(t = peek((e & PTE_ADDR) >> PAGE_SHIFT)))
        return;
    unsigned long l2_mfn = (e & PTE_ADDR) >> PAGE_SHIFT, good = 0;
    static uint64_t l2e[512];
    memcpy(l2e, t, sizeof(l2e));
    for (unsigned long i = 0; i < 512 && i * 512 < n; i++) {
        if (!(l2e[i] & PTE_P) || (l2e[i] & 0x80 /* PSE */) ||
            !(t = peek((l2e[i] & PTE_ADDR) >> PAGE_SHIFT)))
            continue;
        for (unsigned long j = 0, pfn = i * 512; j < 512 && pfn < n; j++, pfn++)
            if ((t[j] & PTE_P) && ((t[j] & PTE_ADDR) >> PAGE_SHIFT) == old_p2m[pfn]) {
                view_ok[pfn / 64] |= 1UL << (pfn % 64);
                good++;
            }
    }
    int rc = arch_map_l2_ro(OLD_VIEW_BASE, l2_mfn);
    if (rc) {
        pr_warn("kdump: the old linear map cannot be seen whole (%d): every page through the "
                "window", rc);
        return;
    }
    view = (const uint8_t *)OLD_VIEW_BASE;
    printk("kdump: old memory read through its own linear map: %lu of %lu pages (the others "
           "through a window)", good, n);
}

/* Before the old tables are unpinned (kdump_then): our entry holds a reference to one. */
static void view_close(void)
{
    if (!view)
        return;
    view = NULL;
    int rc = arch_map_l2_ro(OLD_VIEW_BASE, 0);
    if (rc)
        pr_err("kdump: unmapping the old linear map failed: %d", rc);
}

/* Old linear-map page pfn, in file order: through the view when it holds that frame. */
static void read_pfn(unsigned long pfn)
{
    if (!view || !(view_ok[pfn / 64] >> (pfn % 64) & 1)) {
        read_page(pfn, old_p2m[pfn]);
        return;
    }
    read_queued();                      /* the pages before it first */
    rd.use(pfn, view + (pfn << PAGE_SHIFT), rd.ctx);
}

static int map_array(unsigned long **out, const uint64_t *mfns, unsigned n)
{
    unsigned long va = arch_vmap_reserve(n);
    if (!va)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++)
        if (map_ro(va + i * PAGE_SIZE, mfns[i]))
            return -EINVAL;
    *out = (unsigned long *)va;
    return 0;
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
    const uint64_t *t = peek(l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = peek((e & PTE_ADDR) >> PAGE_SHIFT)))
        return;
    e = t[511];                         /* L3 slot 511: VMAP_BASE */
    if (!(e & PTE_P))
        return;
    unsigned long l2_mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
    for (unsigned i2 = 0; i2 < 512; i2++) {
        const uint64_t *l2 = peek(l2_mfn);      /* again each time: the window is reused */
        if (!l2 || !(l2[i2] & PTE_P))
            continue;
        const uint64_t *l1 = peek((l2[i2] & PTE_ADDR) >> PAGE_SHIFT);
        if (!l1)
            continue;
        static uint64_t l1e[512];
        memcpy(l1e, l1, sizeof(l1e));
        for (unsigned i1 = 0; i1 < 512 && nvleaf < 8192; i1++) {
            if (!(l1e[i1] & PTE_P))
                continue;
            vleaf[nvleaf].va = VMAP_BASE + ((uint64_t)i2 << 21) + ((uint64_t)i1 << 12);
            vleaf[nvleaf].mfn = (l1e[i1] & PTE_ADDR) >> PAGE_SHIFT;
            nvleaf++;
        }
    }
}

/* The L1 tables under L3 slot 510 (the linear map) of the old page tables. */
static void find_linear_l1s(unsigned long l4_mfn)
{
    nlin_l1 = 0;
    const uint64_t *t = peek(l4_mfn);
    uint64_t e = t ? t[511] : 0;
    if (!(e & PTE_P) || !(t = peek((e & PTE_ADDR) >> PAGE_SHIFT)))
        return;
    e = t[510];
    if (!(e & PTE_P) || !(t = peek((e & PTE_ADDR) >> PAGE_SHIFT)))
        return;
    for (unsigned i = 0; i < 512; i++)
        if (t[i] & PTE_P)
            lin_l1[nlin_l1++] = (t[i] & PTE_ADDR) >> PAGE_SHIFT;
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
    view_open(n);
    read_begin(plan_linear, NULL);
    for (unsigned long pfn = 0; pfn < n; pfn++)
        if (old_used(pfn))
            read_pfn(pfn);
    read_queued();                      /* the linear map's segments before the VMAP's */
    walk_vmap(H->old_l4_mfn);
    read_begin(plan_vleaf, NULL);
    for (unsigned i = 0; i < nvleaf; i++) {
        if (to_disk && live(vleaf[i].mfn))
            plan_vleaf(i, NULL, NULL);  /* left out: adds no segment, so out of turn is fine */
        else
            read_page(i, vleaf[i].mfn);
    }
    read_queued();
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
    const void *p[READ_BATCH];
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
    unsigned long n = linear_n(), maps = window_maps;
    if (nx.i == nx.n) {
        nx.i = nx.n = 0;
        read_begin(collect, NULL);
        long k;
        while (window_maps == maps && nx.n + rd.n < READ_BATCH && (k = next_index(n)) >= 0) {
            if ((unsigned long)k < n)
                read_pfn((unsigned long)k);
            else
                read_page((unsigned long)k - n, vleaf[(unsigned long)k - n].mfn);
        }
        read_queued();                  /* nothing left to map if the window was mapped */
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
        read_begin(put_page, &w);
        for (unsigned long pfn = 0; pfn < n; pfn++)
            if (is_data(pfn))
                read_pfn(pfn);
        for (unsigned i = 0; i < nvleaf; i++)
            if (vleaf[i].mfn)
                read_page(i, vleaf[i].mfn);
        read_queued();
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
     * peek() and read_queued() invalidate their windows on this cpu only
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
    win = arch_vmap_reserve(1);
    bwin = arch_vmap_reserve(READ_BATCH);
    segs = page_alloc(DIV_ROUND_UP(MAX_SEGS * sizeof(*segs), PAGE_SIZE));
    vleaf = page_alloc(DIV_ROUND_UP(8192 * sizeof(*vleaf), PAGE_SIZE));
    unsigned long zb = DIV_ROUND_UP(DIV_ROUND_UP(LINEAR_MAX_PAGES, 64) * 8, PAGE_SIZE);
    zero_bits = page_alloc(zb);
    view_ok = page_alloc(zb);
    int rc = -ENOMEM;
    if (win && bwin && segs && vleaf && zero_bits && view_ok) {
        rc = map_array(&old_p2m, H->old_p2m, H->nr_old_p2m);
        if (!rc && H->old_bitmap_end) {
            unsigned nb = (unsigned)DIV_ROUND_UP(DIV_ROUND_UP(H->old_bitmap_end, 64) * 8, PAGE_SIZE);
            static uint64_t mfns[64];
            for (unsigned i = 0; i < nb && i < 64; i++)
                mfns[i] = old_p2m[H->old_bitmap_pfn + i];
            rc = map_array(&old_bitmap, mfns, MIN(nb, 64u));
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
    view_close();
    cpumask_fill(&mask, nr_cpus);
    thread_set_affinity(thread_current(), &mask);
    /* Nothing below is needed again: a fresh kernel or a shutdown follows. */
}

/* ---- after the dump ---- */

static bool keep_none(unsigned long pfn)
{
    (void)pfn;
    return false;
}

/* A LOST vCPU keeps the old page tables alive: every old frame stays writable to them,
 * so none can become a page table of a fresh kernel (Xen mm.c _get_page_type). */
static unsigned lost_vcpus(void)
{
    unsigned n = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        n += cpu_state(per_cpu(c)) == CPU_LOST;
    return n;
}

void __noreturn kdump_then(void)
{
    const struct handoff *h = kexec_handoff();
    if (opt_then == THEN_KEXEC && lost_vcpus()) {
        pr_warn("kdump: kdump_then=kexec: %u LOST vCPU(s) hold the old page tables, so no old "
                "frame can become a page table of a fresh kernel: rebooting instead", lost_vcpus());
        kernel_finish_with(SHUTDOWN_reboot);
    }
    switch (opt_then) {
    case THEN_REBOOT:
        kernel_finish_with(SHUTDOWN_reboot);
    case THEN_POWEROFF:
        kernel_finish_with(SHUTDOWN_poweroff);
    case THEN_CRASH:
        kernel_finish_with(SHUTDOWN_crash);
    default:
        break;
    }
    /* kexec: the old memory is dumped; take it, arm a region in it, jump into a fresh minipv. */
    int rc = arch_unpin(h->old_l4_mfn);
    if (rc)
        pr_err("kdump: unpinning the old page tables failed: %d", rc);
    unsigned long n = h->nr_pages - h->usable_pages;
    mm_p2m_change_begin();
    rc = arch_m2p_set(p2m + h->usable_pages, h->usable_pages, n);
    unsigned long got = rc ? 0 : mm_reclaim(h->usable_pages, h->nr_pages, keep_none);
    mm_p2m_change_end();
    printk("kdump: reclaimed %lu of the crashed kernel's %lu pages (%lu left out%s); %lu pages free",
           got, n, n - got, n - got ? ": still page tables of a LOST vCPU" : "", pages_free());
    kdump_arm();
    rc = kexec_start(smp_processor_id(), NULL, "kdump_then=kexec");
    pr_err("kdump: kdump_then=kexec could not jump (%d): rebooting", rc);
    kernel_finish_with(SHUTDOWN_reboot);
}

bool kdump_then_kexec(void)
{
    return opt_then == THEN_KEXEC && !lost_vcpus();
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
