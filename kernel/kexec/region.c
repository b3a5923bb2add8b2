/* SPDX-License-Identifier: MIT */
/*
 * Arming: the reserved region, the image loaded in it, and the new kernel
 * built around it the way Xen's domain builder builds one (start_info, p2m,
 * first page tables, pinned), plus the window (include/arch/layout.h).
 * Every step before the pin can be undone; a failure names its reason and
 * leaves kexec off, never half-armed.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <kernel/cpu.h>
#include <kernel/elf_image.h>
#include <kernel/life.h>
#include <kernel/sched.h>
#include <minipv/bounds.h>
#include <arch/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/xenstore.h>
#include <minipv/errno.h>
#include <minipv/string.h>

struct kexec_region kexec_region;

/* A size as Linux writes it (16M, 1G); a plain number is MiB; a bad value keeps auto. */
static const char *const crashkernel_words[] = { "auto", NULL };
static uint64_t opt_crashkernel = KOPT_SIZE_WORD(0);
KOPT_SIZE(crashkernel, "crashkernel", opt_crashkernel, 1ULL << 20, 0, 1ULL << 40, crashkernel_words,
          "kexec/kdump region: auto (sized for this domain) | 0 (off) | a size (16M; plain: MiB)");

extern char _start[], _text[], __data_start[], __data_end[], __data_snapshot[], __bss_start[], _end[];
extern char arch_kexec_tramp[], arch_kexec_tramp_end[];

/* The region's own pages, in the order they sit in our pfns (not the new kernel's). */
struct layout {
    unsigned long image, p2m, tramp, tables, data, rest;     /* first index of each */
    unsigned long n_p2m, n_tables, n_extra;
    unsigned long si_idx, mailbox_idx, handoff_idx;
    unsigned long extra_mfn[1 + 1 + NR_CPUS];                 /* console, store, vcpu_info frames */
    unsigned long next_table;                                  /* builder's cursor */
};
static struct layout L;

static unsigned long region_mfn(unsigned long idx) { return pfn_to_mfn(kexec_region.pfn + idx); }
static void *region_va(unsigned long idx) { return pfn_to_virt(kexec_region.pfn + idx); }

/* ---- the window's mailboxes ---- */

/* In the old kernel, on every resume from cpu_park: the new kernel may want us. */
static void park_resume(struct percpu *pc)
{
    if (!kexec_region.armed)
        return;                 /* disarmed (a suspend, or its rebuild failed): no window */
    struct kexec_mailbox *mb = kexec_mailbox(pc->vcpu_id);
    if (atomic_load(&mb->go))
        arch_kexec_enter(mb);
}

void kexec_fill_mailbox(unsigned vcpu, uint64_t entry, uint64_t stack, uint64_t a0, uint64_t a1,
                        uint64_t a2, unsigned long l4_mfn)
{
    struct kexec_mailbox *mb = kexec_mailbox(vcpu);
    memset(mb, 0, sizeof(*mb));
    mb->entry = entry;
    mb->stack = stack;
    mb->arg0 = a0;
    mb->arg1 = a1;
    mb->arg2 = a2;
    /* Kernel base to the new tables; no user base (minipv never runs user mode). */
    mb->ops[0].cmd = MMUEXT_NEW_BASEPTR;
    mb->ops[0].arg1 = l4_mfn;
    mb->ops[1].cmd = MMUEXT_NEW_USER_BASEPTR;
    mb->ops[1].arg1 = 0;
    barrier();
    atomic_store(&mb->go, 1);
}

/* In the old kernel, in an NMI past the point of no return: once go is set
 * the new kernel owns the console, so the NMI is only counted for it. */
bool kexec_mark_nmi(unsigned vcpu)
{
    struct kexec_mailbox *mb = kexec_mailbox(vcpu);
    if (!atomic_load(&mb->go))
        return false;
    atomic_add(&mb->nmis_old, 1);
    return true;
}

static unsigned long pages_needed(unsigned long image_pages)
{
    unsigned long n = nr_pages;
    unsigned long mb = DIV_ROUND_UP((unsigned long)nr_vcpus * KEXEC_MAILBOX_SIZE, PAGE_SIZE);
    unsigned long bitmap = DIV_ROUND_UP(DIV_ROUND_UP(MIN(n, LINEAR_MAX_PAGES), 64) * 8, PAGE_SIZE);
    /* Per vCPU (stack, context, steal orders): what the new kernel's smp_memory_fits asks. */
    unsigned long percpu = smp_memory_need(nr_vcpus);
    return image_pages + 1 + DIV_ROUND_UP(n * 8, PAGE_SIZE) + 1 + mb + KEXEC_HANDOFF_PAGES +
           8 + bitmap + percpu + 512 /* 2 MiB: heap, tables of the linear map, dump buffers */;
}

/* ---- the image: ourselves, or the boot module ---- */

static struct elf_image elf;
static const uint8_t *module;
static size_t module_len;

/* The boot module, if Xen or the toolstack gave one (dom0: after minipv; domU: ramdisk=). */
static bool find_module(void)
{
    const struct start_info *si = xen_start_info;
    if (!si->mod_start || !si->mod_len)
        return false;
    unsigned long va = si->mod_start;
    if (si->flags & SIF_MOD_START_PFN)
        va = (unsigned long)pfn_to_virt(si->mod_start);
    unsigned long first = virt_to_pfn((void *)va), last = virt_to_pfn((void *)(va + si->mod_len - 1));
    if (va < KERNEL_VIRT_BASE || first >= linear_pages || last >= linear_pages)
        return false;
    module = (const uint8_t *)va;
    module_len = si->mod_len;
    return true;
}

static unsigned long load_image(char *why, size_t whylen)
{
    if (!find_module()) {
        strlcpy(kexec_region.image, "self", sizeof(kexec_region.image));
        kexec_region.entry = (uint64_t)(unsigned long)_start;
        return ((unsigned long)_end - (unsigned long)_text) >> PAGE_SHIFT;
    }
    strlcpy(kexec_region.image, "module", sizeof(kexec_region.image));
    if (elf_image_parse(module, module_len, &elf, why, whylen))
        return 0;
    if (elf.handoff_version != HANDOFF_VERSION) {
        snprintf(why, whylen, "image: speaks handoff version %u, this kernel %u",
                 elf.handoff_version, HANDOFF_VERSION);
        return 0;
    }
    if (elf.lo != KERNEL_VIRT_BASE || (elf.virt_base && elf.virt_base != KERNEL_VIRT_BASE) ||
        elf.hi - elf.lo > (LINEAR_MAX_PAGES << PAGE_SHIFT) / 4) {
        snprintf(why, whylen, "image: linked at %#llx-%#llx (VIRT_BASE %#llx), want to start at %#lx",
                 (unsigned long long)elf.lo, (unsigned long long)elf.hi,
                 (unsigned long long)elf.virt_base, KERNEL_VIRT_BASE);
        return 0;
    }
    kexec_region.entry = elf.entry;
    return DIV_ROUND_UP(elf.hi - elf.lo, PAGE_SIZE);
}

static void copy_image(void)
{
    char *dst = region_va(L.image);
    if (module) {
        for (unsigned i = 0; i < elf.nr_load; i++)
            memcpy(dst + (elf.load[i].vaddr - KERNEL_VIRT_BASE), module + elf.load[i].offset,
                   elf.load[i].filesz);     /* the rest of memsz: the region is zeroed */
        return;
    }
    /* Text and read-only data as they are, .data as the loader gave it, .bss zero. */
    size_t text = (size_t)(__data_start - _text), data = (size_t)(__data_end - __data_start);
    memcpy(dst, _text, text);
    memcpy(dst + text, __data_snapshot, data);
    memcpy(dst + text + data, __data_end, (size_t)(__bss_start - __data_end));
}

/* ---- the new kernel's pfns ---- */

static bool is_extra(unsigned long mfn)
{
    for (unsigned long i = 0; i < L.n_extra; i++)
        if (L.extra_mfn[i] == mfn)
            return true;
    return false;
}

static void add_extra(unsigned long mfn)
{
    if (mfn && !is_extra(mfn) && L.n_extra < ARRAY_SIZE(L.extra_mfn))
        L.extra_mfn[L.n_extra++] = mfn;
}

/* Frames Xen writes for us, which the new kernel must find at once and never reuse. */
static void collect_extra(void)
{
    const struct start_info *si = xen_start_info;
    L.n_extra = 0;
    if (!xen_is_dom0())
        add_extra(si->console.domU.mfn);
    add_extra(si->store_mfn);
    for (unsigned c = 0; c < nr_cpus; c++) {
        /* Registered, or where it would be registered if it is started later. */
        uint64_t maddr = per_cpu(c)->vcpu_info_maddr;
        add_extra(maddr ? maddr >> PAGE_SHIFT : xen_vcpu_info_slot_maddr(c) >> PAGE_SHIFT);
    }
}

static void *next_table(void *ctx, unsigned long *mfn)
{
    (void)ctx;
    if (L.next_table >= L.tables + L.n_tables)
        return NULL;
    *mfn = region_mfn(L.next_table);
    return region_va(L.next_table++);
}

/* start_info as Xen's builder would write it for the new kernel (pfns: its own). */
static void write_start_info(unsigned long si_pfn, unsigned long p2m_pfn, unsigned long tables_pfn)
{
    struct kexec_region *r = &kexec_region;
    const struct start_info *si = xen_start_info;
    struct start_info *nsi = region_va(L.si_idx);
    memcpy(nsi->magic, si->magic, sizeof(nsi->magic));
    nsi->nr_pages = r->total;
    nsi->shared_info = si->shared_info;
    nsi->flags = si->flags & ~SIF_MOD_START_PFN;
    nsi->store_mfn = si->store_mfn;
    nsi->store_evtchn = si->store_evtchn;
    nsi->console = si->console;
    nsi->pt_base = KERNEL_VIRT_BASE + tables_pfn * PAGE_SIZE;
    nsi->nr_pt_frames = L.n_tables;
    nsi->mfn_list = KERNEL_VIRT_BASE + p2m_pfn * PAGE_SIZE;
    r->new_si = nsi;
    r->new_si_va = KERNEL_VIRT_BASE + si_pfn * PAGE_SIZE;
}

/*
 * Fill the new p2m and build the new page tables.  New pfns: the image,
 * start_info, the extra frames, the p2m, the window's pages, the tables
 * (last, as Xen's builder leaves them), then the rest of the region, then
 * every other frame of the domain in our pfn order.
 */
static int build(char *why, size_t whylen)
{
    struct kexec_region *r = &kexec_region;
    unsigned long *np2m = region_va(L.p2m), k = 0;
    unsigned long si_pfn, p2m_pfn, tables_pfn;

    for (unsigned long i = 0; i < r->image_pages; i++)
        np2m[k++] = region_mfn(L.image + i);
    si_pfn = k;
    np2m[k++] = region_mfn(L.si_idx);
    for (unsigned long i = 0; i < L.n_extra; i++)
        np2m[k++] = L.extra_mfn[i];
    p2m_pfn = k;
    for (unsigned long i = 0; i < L.n_p2m; i++)
        np2m[k++] = region_mfn(L.p2m + i);
    np2m[k++] = region_mfn(L.tramp);
    for (unsigned long i = 0; i < r->mailbox_pages; i++)
        np2m[k++] = region_mfn(L.mailbox_idx + i);
    for (unsigned long i = 0; i < KEXEC_HANDOFF_PAGES; i++)
        np2m[k++] = region_mfn(L.handoff_idx + i);
    tables_pfn = k;
    for (unsigned long i = 0; i < L.n_tables; i++)
        np2m[k++] = region_mfn(L.tables + i);
    r->prefix = k;
    for (unsigned long i = L.rest; i < r->pages; i++)
        np2m[k++] = region_mfn(i);
    r->usable = k;
    for (unsigned long p = 0; p < nr_pages; p++) {
        if (p >= r->pfn && p < r->pfn + r->pages)
            continue;
        unsigned long mfn = pfn_to_mfn(p);
        if (!is_extra(mfn))
            np2m[k++] = mfn;
    }
    r->total = k;
    if (k != nr_pages) {
        snprintf(why, whylen, "new p2m has %lu pages, the domain %lu (extra frames not ours?)", k,
                 nr_pages);
        return -EINVAL;
    }

    /* The first page tables: the prefix at its link address (tables read-only), the window. */
    L.next_table = L.tables + 1;
    struct arch_ptb b = { .l4 = region_va(L.tables), .alloc = next_table };
    r->new_l4_mfn = region_mfn(L.tables);
    int rc = 0;
    for (unsigned long i = 0; i < r->prefix && !rc; i++)
        rc = arch_ptb_map(&b, KERNEL_VIRT_BASE + i * PAGE_SIZE, np2m[i],
                          i < tables_pfn || i >= tables_pfn + L.n_tables, true);
    if (!rc)
        rc = arch_ptb_map(&b, KEXEC_TRAMP_VA, region_mfn(L.tramp), false, true);
    for (unsigned long i = 0; i < r->mailbox_pages && !rc; i++)
        rc = arch_ptb_map(&b, KEXEC_MAILBOX_VA + i * PAGE_SIZE, region_mfn(L.mailbox_idx + i),
                          true, false);
    for (unsigned long i = 0; i < KEXEC_HANDOFF_PAGES && !rc; i++)
        rc = arch_ptb_map(&b, KEXEC_HANDOFF_VA + i * PAGE_SIZE, region_mfn(L.handoff_idx + i),
                          true, false);
    if (rc) {
        snprintf(why, whylen, "building the new page tables failed: %d (%lu tables)", rc,
                 L.n_tables);
        return rc;
    }

    write_start_info(si_pfn, p2m_pfn, tables_pfn);
    return 0;
}

/* ---- arming ---- */

static void restore_m2p(void)
{
    /* The frames we renumbered for the new kernel are ours again. */
    for (unsigned long p = 0; p < nr_pages && p < linear_pages; p++) {
        unsigned long mfn = pfn_to_mfn(p);
        if ((p >= kexec_region.pfn && p < kexec_region.pfn + kexec_region.pages) || is_extra(mfn))
            arch_m2p_set(&mfn, p, 1);
    }
}

/* The region asked for, in pages, rounded up to whole MiB: 0 for auto, -ENOENT for off. */
static int requested_pages(unsigned long *pages)
{
    if (opt_crashkernel == KOPT_SIZE_WORD(0)) {
        *pages = 0;
        return 0;
    }
    *pages = ALIGN_UP(DIV_ROUND_UP(opt_crashkernel, PAGE_SIZE), 256);
    return opt_crashkernel ? 0 : -ENOENT;
}

/* The region's size from crashkernel=, checked against what it must hold; 0: off (said why). */
static unsigned long region_pages(unsigned long need)
{
    unsigned long want;
    if (requested_pages(&want) == -ENOENT) {
        printk("kexec: off (crashkernel=0): no kexec, no kdump");
        return 0;
    }
    unsigned long pages = want ? want : ALIGN_UP(need, 256);
    if (pages < need) {
        pr_warn("kexec: off: crashkernel=%lu MiB is too small: %lu MiB needed for %u vCPUs and "
                "%lu MiB of memory", pages >> 8, DIV_ROUND_UP(need, 256), nr_vcpus,
                nr_pages >> 8);
        return 0;
    }
    if (pages > nr_pages / 2) {
        pr_warn("kexec: off: a %lu MiB region is too large for a %lu MiB domain (at most half)",
                pages >> 8, nr_pages >> 8);
        return 0;
    }
    return pages;
}

/* Where each part sits in the region (struct layout), for the pages it has. */
static void lay_out(struct kexec_region *r)
{
    r->mailbox_pages = DIV_ROUND_UP((unsigned long)nr_vcpus * KEXEC_MAILBOX_SIZE, PAGE_SIZE);
    collect_extra();
    L.n_p2m = DIV_ROUND_UP(nr_pages * sizeof(unsigned long), PAGE_SIZE);
    unsigned long base = r->image_pages + 1 + L.n_extra + L.n_p2m + 1 + r->mailbox_pages +
                         KEXEC_HANDOFF_PAGES;
    /* L4, L3, L2 and the L1s of the prefix, L2 and L1 of the window; the tables are in the prefix. */
    L.n_tables = 6;
    while (L.n_tables != 5 + DIV_ROUND_UP(base + L.n_tables, 512))
        L.n_tables = 5 + DIV_ROUND_UP(base + L.n_tables, 512);
    L.image = 0;
    L.p2m = r->image_pages;
    L.tramp = L.p2m + L.n_p2m;
    L.tables = L.tramp + 1;
    L.data = L.si_idx = L.tables + L.n_tables;
    L.mailbox_idx = L.si_idx + 1;
    L.handoff_idx = L.mailbox_idx + r->mailbox_pages;
    L.rest = L.handoff_idx + KEXEC_HANDOFF_PAGES;
}

/* The window at the same address in our page tables as in the new kernel's (0: unmap). */
static int map_window(const struct kexec_region *r, bool map)
{
    uint64_t rw = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
    int rc = arch_map_page_all(KEXEC_TRAMP_VA, map ? region_mfn(L.tramp) : 0,
                               map ? PTE_P | PTE_A : 0);
    for (unsigned long i = 0; i < r->mailbox_pages && (!rc || !map); i++)
        rc = arch_map_page_all(KEXEC_MAILBOX_VA + i * PAGE_SIZE,
                               map ? region_mfn(L.mailbox_idx + i) : 0, map ? rw : 0);
    for (unsigned long i = 0; i < KEXEC_HANDOFF_PAGES && (!rc || !map); i++)
        rc = arch_map_page_all(KEXEC_HANDOFF_VA + i * PAGE_SIZE,
                               map ? region_mfn(L.handoff_idx + i) : 0, map ? rw : 0);
    return rc;
}

/* From the built region to armed: read-only, renumbered, the window mapped,
 * the tables pinned.  0, or the error with why (then undone by the caller). */
enum { DONE_NONE, DONE_PROTECT, DONE_M2P };     /* how far commit got: what to undo */

static int commit(struct kexec_region *r, char *why, size_t whylen, int *done)
{
    int rc;
    *done = DONE_PROTECT;
    /* Read-only to us from now on but the data pages: Xen validates the tables at the pin. */
    if ((rc = arch_linear_protect(r->pfn, L.data, true)) ||
        (rc = arch_linear_protect(r->pfn + L.rest, r->pages - L.rest, true))) {
        snprintf(why, whylen, "making the region read-only failed: %d", rc);
        return rc;
    }
    *done = DONE_M2P;
    /* The new kernel looks its frames up through the m2p (page-table walks, console, xenstore). */
    mm_p2m_change_begin();
    rc = arch_m2p_set(region_va(L.p2m), 0, r->usable);
    mm_p2m_change_end();
    if (rc) {
        snprintf(why, whylen, "renumbering the m2p failed: %d", rc);
        return rc;
    }
    if ((rc = map_window(r, true))) {
        snprintf(why, whylen, "mapping the window at %#lx failed: %d", KEXEC_WINDOW, rc);
        return rc;
    }
    if ((rc = arch_pin_l4(r->new_l4_mfn)))
        snprintf(why, whylen, "Xen refused the new page tables (pin L4 mfn %#lx): %d",
                 r->new_l4_mfn, rc);
    return rc;
}

/* Undo commit() as far as it got: the region is plain memory of ours again. */
static void undo(struct kexec_region *r, int done)
{
    if (done == DONE_M2P) {
        map_window(r, false);
        mm_p2m_change_begin();
        restore_m2p();
        mm_p2m_change_end();
    }
    if (done != DONE_NONE)
        arch_linear_protect(r->pfn, r->pages, false);
}

/*
 * Lay out, build and commit on the region's pages (kept, whatever happens).
 * copy: the image and trampoline too (a rebuild after a suspend keeps them:
 * their bytes do not depend on the frames).  0 or the error, why said.
 */
static int arm_pages(bool copy, char *why, size_t whylen)
{
    struct kexec_region *r = &kexec_region;
    memset(&L, 0, sizeof(L));
    lay_out(r);
    /*
     * The builder fills the tables' slots it needs and leaves the others
     * alone: after a suspend the pages hold the last build, and the L4 the
     * slots Xen wrote into it at the pin, with the old domain's frames.
     */
    memset(region_va(L.tables), 0, L.n_tables * PAGE_SIZE);
    int done = DONE_NONE;
    int rc = build(why, whylen);
    if (!rc && copy) {
        copy_image();
        memcpy(region_va(L.tramp), arch_kexec_tramp,
               (size_t)(arch_kexec_tramp_end - arch_kexec_tramp));
    }
    if (!rc)
        rc = commit(r, why, whylen, &done);
    if (rc)
        undo(r, done);
    return rc;
}

void kexec_arm(void)
{
    struct kexec_region *r = &kexec_region;
    char why[200] = "";
    memset(&L, 0, sizeof(L));
    memset(r, 0, sizeof(*r));
    r->image_pages = load_image(why, sizeof(why));
    if (!r->image_pages) {
        pr_warn("kexec: off: boot module refused: %s", why);
        return;
    }
    unsigned long pages = region_pages(pages_needed(r->image_pages));
    if (!pages)
        return;
    void *va = page_alloc(pages);
    if (!va) {
        pr_warn("kexec: off: no %lu MiB of contiguous free memory for the region (%lu pages free)",
                pages >> 8, pages_free());
        return;
    }
    r->pfn = virt_to_pfn(va);
    r->pages = pages;
    if (arm_pages(true, why, sizeof(why))) {
        page_free(va, pages);
        memset(r, 0, sizeof(*r));
        pr_warn("kexec: off: %s", why);
        return;
    }
    smp_set_park_resume_hook(park_resume);
    r->armed = true;
    printk("kexec: region pfn %#lx-%#lx (%lu MiB), image %s (%lu KiB, entry %#llx, handoff v%u): "
           "armed; new kernel: %lu pfns, %lu usable at once, %lu page tables", r->pfn,
           r->pfn + r->pages - 1, r->pages >> 8, r->image, r->image_pages * 4,
           (unsigned long long)r->entry, HANDOFF_VERSION, r->total, r->usable, L.n_tables);
}

bool kexec_armed(void)
{
    return kexec_region.armed;
}

/* ---- the region as a life participant: the new kernel's memory, in MEMORY ---- */

static void region_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    h->nr_pages = kexec_region.total;
    h->usable_pages = kexec_region.usable;
    h->old_region_pfn = kexec_region.pfn;
    h->old_region_pages = kexec_region.pages;
}

/*
 * A suspend.  Armed, the region fails a save: the m2p gives its frames (and
 * the console, store, vcpu_info frames) the new kernel's numbers, not our
 * p2m's ("Bad mfn for L1"), its L4 is pinned apart, and all it built holds
 * this domain's mfns: disarmed before (pages kept), rebuilt after.
 */
static bool rearm;
static struct thread *rearm_thread;     /* the rebuild after the last suspend, until joined */
static volatile bool resumed;           /* the suspend came back: the rebuild may start */
static struct sched_waitq resumed_wq = SCHED_WAITQ_INIT;

/*
 * The rebuild (thousands of page-table and m2p updates: 10-55 ms under TCG)
 * runs after the resume, in a thread made before the suspend (made in the
 * resume it cost 1-14 ms of it), once the vCPUs and the service are back.
 * A crash meanwhile finds kexec off (the toolstack's on_crash), a kexec is
 * refused as not armed.  Joined by the next suspend's quiesce.
 */
#define REARM_DELAY_NS (100 * NS_PER_MS)

static void rearm_region(void)
{
    char why[200] = "";
    struct kexec_region *r = &kexec_region;
    uint64_t t0 = xen_system_time();
    if (arm_pages(false, why, sizeof(why))) {
        pr_warn("kexec: off after the suspend: %s", why);
        return;
    }
    r->armed = true;
    printk("kexec: region rebuilt after the suspend in %llu us: armed again (%lu pfns, %lu page "
           "tables)", (unsigned long long)((xen_system_time() - t0) / 1000), r->total, L.n_tables);
}

static bool is_resumed(void *arg) { (void)arg; return resumed; }

/* The thread: the resume (our clock stops for the downtime), a pause, the rebuild. */
static void rearm_after_resume(void *arg)
{
    (void)arg;
    if (!sched_sleep(&resumed_wq, is_resumed, NULL, BOUND_SUSPEND_NS)) {
        pr_err("kexec: off: the suspend did not resume within %llu s",
               (unsigned long long)(BOUND_SUSPEND_NS / NS_PER_S));
        return;
    }
    thread_sleep(REARM_DELAY_NS);
    rearm_region();
}

static int region_quiesce(enum life_event ev)
{
    struct kexec_region *r = &kexec_region;
    if (ev != LIFE_SUSPEND)
        return 0;
    if (rearm_thread && thread_join(rearm_thread, BOUND_SUSPEND_NS)) {
        pr_err("suspend: kexec: the last rebuild of the region has not ended");
        return -EBUSY;
    }
    rearm_thread = NULL;
    if (!r->armed)
        return 0;
    int rc = arch_unpin(r->new_l4_mfn);
    if (rc) {
        pr_err("suspend: kexec: unpinning the region's tables failed: %d", rc);
        return rc;
    }
    undo(r, DONE_M2P);
    r->armed = false;
    rearm = true;
    resumed = false;
    /* No memory for a thread: the resume rebuilds in place (slower, still right). */
    rearm_thread = thread_create(rearm_after_resume, NULL, "kexec-rearm", NULL);
    return 0;
}

static void region_resume(enum life_resume how)
{
    (void)how;
    if (!rearm)
        return;
    rearm = false;
    /*
     * seq_cst: a full fence between this store and sched_wakeup's unlocked
     * look at the queue, as the sleeper queues itself before its look at
     * resumed (volatile: read again on each look); else both could miss.
     */
    atomic_store(&resumed, true);
    if (rearm_thread)
        sched_wakeup(&resumed_wq);
    else
        rearm_region();
}

LIFE_PARTICIPANT(85, region, .quiesce = region_quiesce, .write = region_write,
                 .resume = region_resume);
