/* SPDX-License-Identifier: MIT */
/*
 * kdump_disk=: the dump disk.  The admin gives the domain one disk for the
 * dump (an xl cfg disk= line) and names it here; the main kernel never
 * connects it (it only puts back one an older kernel left connected), the
 * crash kernel writes the ELF vmcore from sector 0 and the trailer in the
 * last sector (include/kernel/vmcore.h).  A disk that is missing, read-only
 * or too small is named and the console stream is used instead.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/escape.h>
#include <kernel/mm.h>
#include <kernel/vmcore.h>
#include <arch/mm.h>
#include <xenpv/blkif.h>
#include <xenpv/xenstore.h>
#include <xenpv/xenpv.h>
#include <xenpv/wait.h>
#include <minipv/errno.h>
#include <minipv/string.h>
#include <minipv/bounds.h>

static char opt_disk[16];
KOPT_STR(kdump_disk, "kdump_disk", opt_disk,
         "the dump disk: xvdb..xvdz (or a vbd device id); the crash kernel writes the vmcore there");

/* The vbd device id (xen-vbd-interface(7): 202 << 8 | disk << 4); 0: none; -1: a bad value. */
static int disk_devid(void)
{
    const char *s = opt_disk;
    if (!*s)
        return 0;
    if (!strncmp(s, "xvd", 3) && s[3] >= 'a' && s[3] <= 'z' && !s[4])
        return 202 << 8 | (s[3] - 'a') << 4;
    unsigned long v = 0;
    for (; *s >= '0' && *s <= '9' && v <= 65535; s++)
        v = v * 10 + (unsigned long)(*s - '0');
    return *s || !v || v > 65535 ? -1 : (int)v;
}

static const char *disk_name(char *buf, size_t size)
{
    str_quote(buf, size, opt_disk, strlen(opt_disk), sizeof(opt_disk));
    return buf;
}

/*
 * Test aid: kdump_fill=N fills N MiB with a known pattern, so a test reads
 * it back from the dump through gdb: word w of chunk c (1 MiB each,
 * kdump_fill_chunk[c]) holds KDUMP_FILL_MAGIC ^ (c << 17 | w).
 */
#define KDUMP_FILL_MAGIC 0x6d696e6970764d42ULL
#define KDUMP_FILL_MAX 1024
static uint64_t opt_fill_mib;
KOPT_UINT(kdump_fill, "kdump_fill", opt_fill_mib, 0, KDUMP_FILL_MAX,
          "test aid: fill this many MiB with a known pattern (kdump_fill_chunk[]) for the dump");
uint64_t *kdump_fill_chunk[KDUMP_FILL_MAX];
unsigned kdump_fill_chunks;

static void fill(void)
{
    const unsigned long pages = (1 << 20) / PAGE_SIZE;
    for (unsigned c = 0; c < opt_fill_mib; c++) {
        uint64_t *p = page_alloc(pages);
        if (!p) {
            pr_warn("kdump: kdump_fill=%llu: memory ran out after %u MiB", (unsigned long long)opt_fill_mib, c);
            break;
        }
        for (uint64_t w = 0; w < (1 << 17); w++)
            p[w] = KDUMP_FILL_MAGIC ^ ((uint64_t)c << 17 | w);
        kdump_fill_chunk[kdump_fill_chunks++] = p;
    }
    if (kdump_fill_chunks)
        printk("kdump: kdump_fill: %u MiB filled (kdump_fill_chunk[0..%u], magic 0x%llx)",
               kdump_fill_chunks, kdump_fill_chunks - 1, (unsigned long long)KDUMP_FILL_MAGIC);
}

/* The main kernel at boot: check the option, and reset a disk an older kernel left connected. */
void kdump_disk_boot(void)
{
    fill();
    char q[80], err[200];
    int id = disk_devid();
    if (!id)
        return;
    if (id < 0) {
        pr_warn("kdump: kdump_disk=%s is neither xvdb..xvdz nor a vbd id 1-65535: no dump disk",
                disk_name(q, sizeof(q)));
        return;
    }
    if (!xs_available()) {
        pr_warn("kdump: kdump_disk=%s: no xenstore here (dom0?): no dump disk", disk_name(q, sizeof(q)));
        return;
    }
    int rc = xen_blkfront_reset((uint16_t)id, err, sizeof(err));
    if (rc)
        pr_warn("kdump: dump disk %s (vbd %d): %s (%d): the crash kernel will try again",
                disk_name(q, sizeof(q)), id, err, rc);
    else
        printk("kdump: dump disk %s (vbd %d): left for the crash kernel", disk_name(q, sizeof(q)), id);
}

bool kdump_disk_wanted(void)
{
    return disk_devid() > 0 && xs_available();
}

/* Test aid: a pause half-way through the pages, so a test can take the backend away mid-dump. */
static uint64_t opt_pause_ms;
KOPT_UINT(kdump_disk_pause_ms, "kdump_disk_pause_ms", opt_pause_ms, 0, 60000,
          "test aid: the crash kernel pauses this long half-way through writing the dump disk");

static bool never(void *arg)
{
    (void)arg;
    return false;
}

static void pause_half_way(const char *name)
{
    printk("kdump: dump disk %s: pausing %llu ms half-way (kdump_disk_pause_ms=, a test aid)", name,
           (unsigned long long)opt_pause_ms);
    wait_until(never, NULL, opt_pause_ms * NS_PER_MS, wait_idle_yield);
}

static struct blkfront bf;
static uint8_t tpage[PAGE_SIZE] __aligned(PAGE_SIZE);
static uint64_t sum;                    /* vmcore_sum of the whole core */

/* With persistent grants: p's first nsect sectors into the next pool page, summed on the way. */
static int put_copy(uint64_t sector, const void *p, unsigned nsect, uint64_t *h)
{
    uint8_t *d = xen_blkfront_page(&bf, sector, nsect);
    if (!d)
        return bf.failed ? bf.failed : -EIO;
    *h = vmcore_sum_copy(*h, d, p, nsect * 512);
    return 0;
}

static int put_trailer(uint32_t state, const struct kdump_disk_src *src, uint64_t ns)
{
    uint64_t unused = 0;
    vmcore_trailer_make((struct vmcore_trailer *)tpage, state, src->total,
                        state == VMCORE_DISK_COMPLETE ? sum : 0, bf.sectors, ns, src->generation);
    if (bf.persistent)
        put_copy(bf.sectors - 1, tpage, 1, &unused);
    else
        xen_blkfront_put(&bf, bf.sectors - 1, virt_to_mfn(tpage), 1);
    return xen_blkfront_sync(&bf, true);
}


/*
 * Requests in flight: the ring's 32, each of up to kdump_disk_segs pages
 * (11 in the request itself, more through an indirect page when the backend
 * offers them).  The indirect pages are the crash kernel's: one a slot.
 */
static uint64_t opt_segs = BLKFRONT_MAX_SEGS;
KOPT_UINT(kdump_disk_segs, "kdump_disk_segs", opt_segs, BLKFRONT_SEGS, BLKFRONT_MAX_SEGS,
          "pages a dump disk request takes at most (11: no indirect requests)");
static void *ind;
static unsigned ind_slots;

/*
 * Persistent grants (when the backend takes them): the data is copied into
 * a pool of kdump_disk_pool pages granted once, so the backend maps each
 * pool page once for the connection instead of mapping and unmapping every
 * page of the dump (one grant op each way, and a TLB flush at each unmap).
 * Linux blkback keeps at most max_persistent_grants (1056 by default)
 * mapped: 1024 pool pages plus at most 32 indirect pages stay within it.
 */
static bool opt_persistent = true;
KOPT_BOOL(kdump_disk_persistent, "kdump_disk_persistent", opt_persistent,
          "dump disk: offer persistent grants (copy into pages granted once); no: grant each "
          "page of the dump itself");
static uint64_t opt_pool = 1024;
KOPT_UINT(kdump_disk_pool, "kdump_disk_pool", opt_pool, BLKFRONT_MAX_SEGS / 4, 1024,
          "pages the dump disk's persistent grants copy through (requests in flight: this "
          "over kdump_disk_segs)");
static void *pool[BLKFRONT_SLOTS];      /* one block a slot, of block pages */
static unsigned nblocks, block, pool_used;

/* Blocks of a request's pages, as many as kdump_disk_pool holds and memory gives (two at least). */
static void take_pool(void)
{
    for (block = (unsigned)opt_segs; opt_persistent && block >= BLKFRONT_SEGS; block /= 2) {
        for (nblocks = 0; nblocks < BLKFRONT_SLOTS && (nblocks + 1) * block <= opt_pool; nblocks++)
            if (!(pool[nblocks] = page_alloc(block)))
                break;
        if (nblocks >= 2)
            return;
        while (nblocks)
            page_free(pool[--nblocks], block);
    }
    nblocks = 0;
}

static void drop_pool(void)
{
    while (nblocks)
        page_free(pool[--nblocks], block);
}

static int take_ind(void)
{
    take_pool();
    for (ind_slots = BLKFRONT_SLOTS; ind_slots; ind_slots /= 2)
        if ((ind = page_alloc(ind_slots)))
            return 0;
    return -ENOMEM;
}

/* Whether the disk can take the dump: the reason it cannot, named, or 0. */
static int usable(const char *name, int id, uint64_t need)
{
    if (bf.ro) {
        pr_warn("kdump: dump disk %s (vbd %d) is read-only: vmcore to the console", name, id);
        return -EROFS;
    }
    if (bf.sectors < need / 512) {
        pr_warn("kdump: dump disk %s (vbd %d) is too small: %llu bytes, the vmcore needs %llu: "
                "vmcore to the console", name, id, (unsigned long long)bf.sectors * 512,
                (unsigned long long)need);
        return -ENOSPC;
    }
    return 0;
}

/* Where the write's time went: the "writing" mark, the data, the flush (ns each). */
struct write_split {
    uint64_t mark, data, flush;
};

static void report(const char *name, int id, uint64_t bytes, uint64_t ns, uint64_t waited,
                   const struct write_split *sp)
{
    uint64_t ms = ns / NS_PER_MS, kbs = ns ? bytes * 1000000 / ns : 0;     /* KB/s = B/ms */
    printk("kdump: vmcore on disk %s (vbd %d): %llu bytes in %llu ms, %llu.%03llu MB/s "
           "(%llu requests of %u pages at most, %u in flight at most, %llu notifies, flush %s; "
           "%llu ms of it waiting for the backend; the mark %llu ms, the data %llu ms, the flush "
           "%llu ms; persistent grants %s, %u pages)", name, id,
           (unsigned long long)bytes, (unsigned long long)ms, (unsigned long long)(kbs / 1000),
           (unsigned long long)(kbs % 1000), (unsigned long long)bf.requests, bf.segs, bf.slots,
           (unsigned long long)bf.notifies, bf.flush ? "yes" : "not offered",
           (unsigned long long)(waited / NS_PER_MS), (unsigned long long)(sp->mark / NS_PER_MS),
           (unsigned long long)(sp->data / NS_PER_MS), (unsigned long long)(sp->flush / NS_PER_MS),
           bf.persistent ? "yes" : !opt_persistent ? "no (kdump_disk_persistent=no)"
           : !nblocks ? "no (no memory for the pool)" : "not offered", pool_used);
    unsigned g = xen_gnttab_granted(GNTTAB_DUMP_FIRST, GNTTAB_DUMP_REFS);
    printk("kdump: dump disk closed: %u grants still given, %llu could not be taken back", g,
           (unsigned long long)bf.leaked);
}

static int write_it(const struct kdump_disk_src *src, const char *name, int id, uint64_t t0);

/*
 * The crash kernel: write src to the disk.  0 when the dump is complete on
 * it; -ENODEV/-EROFS/-ENOSPC when the disk could not be used (nothing was
 * written); -EIO when it failed part-way (the trailer says "writing").
 */
int kdump_disk_write(const struct kdump_disk_src *src)
{
    char q[80];
    int id = disk_devid();
    const char *name = disk_name(q, sizeof(q));
    uint64_t t0 = xen_system_time();
    if (take_ind()) {
        pr_warn("kdump: dump disk %s (vbd %d): no memory for a request's page: vmcore to the "
                "console", name, id);
        drop_pool();
        return -ENODEV;
    }
    int rc = write_it(src, name, id, t0);
    page_free(ind, ind_slots);
    drop_pool();
    return rc;
}

static bool half_way(const struct kdump_disk_src *src, uint64_t sector)
{
    return opt_pause_ms && sector == (src->total / 512 / 16) * 8;
}

/*
 * Each page's own frame is granted, no copy, no look: nothing writes a
 * page the dump takes while it is in flight (vmcore.c leaves out the ones
 * Xen or the crash kernel write), so the sum vmcore.c took of the data
 * pages when it planned the dump is of what the backend reads.
 */
static int put_frames(const struct kdump_disk_src *src, const char *name, uint64_t *sector)
{
    int rc = 0;
    sum = vmcore_sum(0, src->head, src->head_len);
    for (size_t off = 0; !rc && off < src->head_len; off += PAGE_SIZE, *sector += 8)
        rc = xen_blkfront_put(&bf, *sector, virt_to_mfn(src->head + off), 8);
    sum = vmcore_sum_join(sum, src->data_sum, src->total - src->head_len);
    for (unsigned long mfn; !rc && (mfn = src->next_mfn(src->ctx)); *sector += 8) {
        if (half_way(src, *sector))
            pause_half_way(name);
        rc = xen_blkfront_put(&bf, *sector, mfn, 8);
    }
    return rc;
}

/* Persistent grants: every page copied into the pool, the sum over the bytes sent. */
static int put_copied(const struct kdump_disk_src *src, const char *name, uint64_t *sector)
{
    int rc = 0;
    uint64_t h = 0;
    for (size_t off = 0; !rc && off < src->head_len; off += PAGE_SIZE, *sector += 8)
        rc = put_copy(*sector, src->head + off, 8, &h);
    for (const void *p; !rc && (p = src->next_page(src->ctx)); *sector += 8) {
        if (half_way(src, *sector))
            pause_half_way(name);
        rc = put_copy(*sector, p, 8, &h);
    }
    sum = h;
    return rc;
}

static int write_it(const struct kdump_disk_src *src, const char *name, int id, uint64_t t0)
{
    int rc = xen_blkfront_open(&bf, (uint16_t)id, nblocks > 0);
    xen_blkfront_set_pages(&bf, ind, ind_slots, (unsigned)opt_segs);
    pool_used = rc ? 0 : xen_blkfront_set_pool(&bf, pool, nblocks, block);
    if (rc) {
        pr_warn("kdump: dump disk %s (vbd %d): %s (%d): vmcore to the console", name, id, bf.err, rc);
        xen_blkfront_close(&bf);
        return -ENODEV;
    }
    if ((rc = usable(name, id, src->total + 512))) {
        xen_blkfront_close(&bf);
        return rc;
    }
    printk("kdump: dump disk %s (vbd %d): %llu sectors, connected in %llu ms: writing %llu bytes",
           name, id, (unsigned long long)bf.sectors,
           (unsigned long long)((xen_system_time() - t0) / NS_PER_MS), (unsigned long long)src->total);
    t0 = xen_system_time();
    /* "writing" first: an older complete trailer must not vouch for a dump cut short. */
    rc = put_trailer(VMCORE_DISK_WRITING, src, 0);
    struct write_split sp = { .mark = xen_system_time() - t0 };
    uint64_t sector = 0;
    sum = 0;
    if (!rc)
        rc = bf.persistent ? put_copied(src, name, &sector) : put_frames(src, name, &sector);
    rc = rc ? rc : xen_blkfront_sync(&bf, false);
    sp.data = xen_system_time() - t0 - sp.mark;
    rc = rc ? rc : xen_blkfront_sync(&bf, true);
    uint64_t ns = xen_system_time() - t0, waited = bf.wait_ns;
    sp.flush = ns - sp.mark - sp.data;
    rc = rc ? rc : put_trailer(VMCORE_DISK_COMPLETE, src, ns);
    if (rc) {
        pr_err("kdump: dump disk %s (vbd %d) failed after %llu of %llu bytes: %s: the disk holds a "
               "cut dump", name, id, (unsigned long long)sector * 512,
               (unsigned long long)src->total, bf.err);
        xen_blkfront_close(&bf);
        return -EIO;
    }
    if (xen_blkfront_close(&bf))
        pr_warn("kdump: dump disk %s: closing: %s", name, bf.err);
    report(name, id, src->total, ns, waited, &sp);
    return 0;
}
