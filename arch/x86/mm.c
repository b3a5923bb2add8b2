/* SPDX-License-Identifier: MIT */
/* PV page tables: walker, linear map, VMAP area.  Page-table pages are read-only to us. */
#include <minipv/errno.h>
#include <arch/mm.h>
#include <arch/hypercall.h>
#include <arch/x86.h>
#include <minipv/string.h>
#include <arch/cpuid.h>

unsigned long *p2m;
unsigned long nr_pages;
unsigned long linear_pages;

static uint64_t *l4;                   /* bootstrap L4, kept for life */
static void *(*page_source)(void);
static unsigned long *boot_next_pfn;   /* bump allocator used during arch_mm_init */
static spinlock_t pt_lock = SPINLOCK_INIT;
static unsigned long vmap_next = VMAP_BASE;

#define PT_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)

static void probe_nx(void);
static uint64_t linear_leaf(unsigned long pfn, uint64_t old);

static inline unsigned pt_index(unsigned long va, int level)
{
    return (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/* The table an entry points at, through the m2p and our linear map. */
static uint64_t *entry_table(uint64_t e)
{
    unsigned long pfn = mfn_to_pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT);
    if (pfn >= nr_pages)
        return NULL;
    return pfn_to_virt(pfn);
}

static int pt_write(uint64_t *entry, uint64_t val)
{
    struct mmu_update u = {
        .ptr = virt_to_maddr(entry) | MMU_NORMAL_PT_UPDATE,
        .val = val,
    };
    return (int)hypercall_mmu_update(&u, 1, NULL, DOMID_SELF);
}

int arch_set_page_ro(void *va, bool ro)
{
    uint64_t pte = linear_leaf(virt_to_pfn(va), 0) & ~PTE_RW;     /* no-execute too */
    if (!ro)
        pte |= PTE_RW;
    /* Xen refuses to validate a page table while any writable mapping of it exists. */
    return (int)hypercall_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG | UVMF_ALL);
}

static void *new_table_page(void)
{
    void *p;
    if (boot_next_pfn) {
        p = pfn_to_virt((*boot_next_pfn)++);
        memset(p, 0, PAGE_SIZE);
    } else if (page_source) {
        p = page_source();
    } else {
        return NULL;
    }
    if (p && arch_set_page_ro(p, true))
        return NULL;
    return p;
}

/* Walk to the L1 table covering va, creating missing levels. Caller holds pt_lock. */
static uint64_t *ensure_l1(unsigned long va)
{
    uint64_t *t = l4;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[pt_index(va, level)];
        if (!(*e & PTE_P)) {
            void *page = new_table_page();
            if (!page || pt_write(e, ((uint64_t)virt_to_mfn(page) << PAGE_SHIFT) | PT_FLAGS))
                return NULL;
        }
        t = entry_table(*e);
        if (!t)
            return NULL;
    }
    return t;
}

uint64_t arch_pt_lookup(unsigned long va, int *level)
{
    uint64_t *t = l4;
    for (int lv = 4; lv >= 1; lv--) {
        uint64_t e = t[pt_index(va, lv)];
        if (!(e & PTE_P) || lv == 1 || (e & 0x80 /* PSE */)) {
            if (level)
                *level = lv;
            return e;
        }
        t = entry_table(e);
        if (!t) {
            if (level)
                *level = lv;
            return 0;
        }
    }
    return 0;
}

int arch_mm_init(const struct start_info *si, unsigned long *next_free_pfn, unsigned long map_pages)
{
    p2m = (unsigned long *)si->mfn_list;
    nr_pages = si->nr_pages;
    l4 = (uint64_t *)si->pt_base;
    linear_pages = MIN(MIN(nr_pages, map_pages), LINEAR_MAX_PAGES);

    boot_next_pfn = next_free_pfn;
    probe_nx();
    /*
     * Map every page the bootstrap left out, and give the ones it mapped
     * (read-write, executable) their final flags, one L1 table (512 PTEs)
     * per hypercall.
     */
    static struct mmu_update batch[512];
    unsigned n = 0;
    int rc = 0;
    for (unsigned long pfn = 0; pfn < linear_pages && !rc; pfn++) {
        unsigned long va = (unsigned long)pfn_to_virt(pfn);
        uint64_t *l1 = ensure_l1(va);
        if (!l1) {
            rc = -ENOMEM;
            break;
        }
        uint64_t *e = &l1[pt_index(va, 1)];
        uint64_t want = linear_leaf(pfn, *e);
        if (*e != want) {
            batch[n].ptr = virt_to_maddr(e) | MMU_NORMAL_PT_UPDATE;
            batch[n].val = want;
            n++;
        }
        if (n && (n == ARRAY_SIZE(batch) || pt_index(va, 1) == 511 || pfn + 1 == linear_pages)) {
            rc = (int)hypercall_mmu_update(batch, n, NULL, DOMID_SELF);
            n = 0;
        }
    }
    boot_next_pfn = NULL;
    return rc;
}

/* ---- the image's own protection (as Linux's STRICT_KERNEL_RWX) ---- */

extern char _text[], __start_rodata[], __data_start[];
static uint64_t nx_bit;         /* PTE_NX, or 0 on a host without NX */

/*
 * Xen lets a PV guest set NX in its PTEs only when the host CPU has it
 * (x86/mm.c: base_disallow_mask leaves _PAGE_NX out only with cpu_has_nx;
 * else mmu_update refuses the entry), and then runs every vCPU with
 * EFER.NXE set itself: the host's CPUID bit is the whole test.
 */
static void probe_nx(void)
{
    uint32_t r[4];
    arch_cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000001)
        return;
    arch_cpuid(0x80000001, 0, r);
    if (r[3] & (1U << 20))
        nx_bit = PTE_NX;
}

/*
 * The leaf of linear-map page pfn (old: its entry now): the image is at
 * pfn 0 (minipv.lds), its text read-only and executable, its rodata
 * read-only; every other page no-execute, and one mapped read-only (a page
 * table, start_info) stays so: Xen refuses a writable mapping of a table.
 */
static uint64_t linear_leaf(unsigned long pfn, uint64_t old)
{
    uint64_t leaf = ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_P | PTE_A | PTE_D;
    if (pfn < virt_to_pfn(__start_rodata))
        return leaf;
    if (pfn < virt_to_pfn(__data_start))
        return leaf | nx_bit;
    if (old & PTE_P)
        return old | nx_bit;
    return leaf | PTE_RW | nx_bit;
}

const char *arch_image_area(unsigned long va)
{
    if (va >= (unsigned long)_text && va < (unsigned long)__start_rodata)
        return "kernel text: read-only";
    if (va >= (unsigned long)__start_rodata && va < (unsigned long)__data_start)
        return "kernel rodata: read-only, no-execute";
    if (va >= KERNEL_VIRT_BASE && va < KERNEL_VIRT_BASE + (linear_pages << PAGE_SHIFT))
        return nx_bit ? "kernel data: no-execute" : "kernel data";
    return NULL;
}

void arch_mm_set_page_source(void *(*alloc_page)(void))
{
    page_source = alloc_page;
}

int arch_map_page(unsigned long va, unsigned long mfn, unsigned long flags)
{
    spin_lock(&pt_lock);
    uint64_t *l1 = ensure_l1(va);
    spin_unlock(&pt_lock);
    if (!l1)
        return -ENOMEM;
    return (int)hypercall_update_va_mapping(va, ((uint64_t)mfn << PAGE_SHIFT) | flags,
                                            UVMF_INVLPG | UVMF_LOCAL);
}

unsigned long arch_pt_base_mfn(void)
{
    return virt_to_mfn(l4);
}

unsigned long arch_vmap_reserve(unsigned long pages)
{
    unsigned long size = pages << PAGE_SHIFT;
    unsigned long va = __atomic_fetch_add(&vmap_next, size, __ATOMIC_SEQ_CST);
    if (va + size > VMAP_END || va + size < va)
        return 0;
    return va;
}

/* ---- kexec support: remapping, foreign page tables, pins, the m2p ---- */

int arch_map_page_all(unsigned long va, unsigned long mfn, unsigned long flags)
{
    spin_lock(&pt_lock);
    uint64_t *l1 = ensure_l1(va);
    spin_unlock(&pt_lock);
    if (!l1)
        return -ENOMEM;
    /* Every vCPU may hold the old translation (the window is read by parked vCPUs). */
    return (int)hypercall_update_va_mapping(va, mfn ? ((uint64_t)mfn << PAGE_SHIFT) | flags : 0,
                                            UVMF_INVLPG | UVMF_ALL);
}

static int flush_all(void)
{
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_ALL };
    return (int)hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static int flush_local(void)
{
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    return (int)hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

int arch_map_window_local(unsigned long va, const unsigned long *mfn, unsigned n,
                          unsigned long flags, bool *ok)
{
    static struct mmu_update batch[ARCH_WINDOW_MAX];
    static spinlock_t batch_lock = SPINLOCK_INIT;
    if (n > ARCH_WINDOW_MAX)
        return -EINVAL;
    spin_lock(&batch_lock);
    spin_lock(&pt_lock);                /* once a batch: ensure_l1 for each entry */
    for (unsigned i = 0; i < n; i++) {
        unsigned long a = va + i * PAGE_SIZE;
        uint64_t *l1 = ensure_l1(a);
        if (!l1) {
            spin_unlock(&pt_lock);
            spin_unlock(&batch_lock);
            return -ENOMEM;
        }
        batch[i].ptr = virt_to_maddr(&l1[pt_index(a, 1)]) | MMU_NORMAL_PT_UPDATE;
        batch[i].val = ((uint64_t)mfn[i] << PAGE_SHIFT) | flags;
        ok[i] = true;
    }
    spin_unlock(&pt_lock);
    /*
     * Xen: mmu_update stops at the first entry it refuses and says how many
     * went in before it (x86/mm.c do_mmu_update's pdone).  That entry is
     * made not present, so its page cannot be read through what an earlier
     * batch left there, and the rest go on.
     */
    for (unsigned i = 0; i < n;) {
        unsigned done = 0;
        if (!hypercall_mmu_update(&batch[i], n - i, &done, DOMID_SELF))
            break;
        i += done;
        if (i >= n)
            break;
        ok[i] = false;
        batch[i].val = 0;
        hypercall_mmu_update(&batch[i], 1, NULL, DOMID_SELF);
        i++;
    }
    spin_unlock(&batch_lock);
    /* mmu_update does not flush: the window is read on this cpu only, so one local flush. */
    return flush_local();
}

int arch_map_l2_ro(unsigned long va, unsigned long l2_mfn)
{
    if (va & ((1UL << 30) - 1))
        return -EINVAL;
    spin_lock(&pt_lock);
    uint64_t e4 = l4[pt_index(va, 4)];
    uint64_t *l3 = (e4 & PTE_P) ? entry_table(e4) : NULL;
    uint64_t *e = l3 ? &l3[pt_index(va, 3)] : NULL;
    int rc = !e ? -ENOMEM : (l2_mfn && (*e & PTE_P)) ? -EBUSY : 0;
    /*
     * Xen takes a type reference on the L2 (get_page_from_l3e): an old
     * kernel's tables stay pinned while we read them, and this entry must
     * be gone before they are unpinned and their frames reused.
     */
    if (!rc)
        rc = pt_write(e, l2_mfn ? ((uint64_t)l2_mfn << PAGE_SHIFT) | PTE_P | PTE_US | PTE_A | nx_bit
                                : 0);
    spin_unlock(&pt_lock);
    return rc ? rc : flush_all();
}

/* Entry i of a run of leaf entries: where it maps and what it holds. */
typedef void (*leaf_fn)(const void *ctx, unsigned long i, unsigned long *va, uint64_t *val);

/*
 * n leaf entries of our page tables set (entry i as leaf() says), in
 * mmu_update batches of 512; mmu_update does not flush, so every vCPU's TLB
 * is flushed once at the end: none may keep using an old entry.
 */
static int set_leaves(unsigned long n, leaf_fn leaf, const void *ctx)
{
    static struct mmu_update batch[512];
    static spinlock_t batch_lock = SPINLOCK_INIT;
    unsigned k = 0;
    int rc = 0;
    spin_lock(&batch_lock);
    for (unsigned long i = 0; i < n && !rc; i++) {
        unsigned long va;
        uint64_t val;
        leaf(ctx, i, &va, &val);
        spin_lock(&pt_lock);
        uint64_t *l1 = ensure_l1(va);
        spin_unlock(&pt_lock);
        if (!l1) {
            rc = -ENOMEM;
            break;
        }
        batch[k].ptr = virt_to_maddr(&l1[pt_index(va, 1)]) | MMU_NORMAL_PT_UPDATE;
        batch[k].val = val;
        if (++k == ARRAY_SIZE(batch) || i + 1 == n) {
            rc = (int)hypercall_mmu_update(batch, k, NULL, DOMID_SELF);
            k = 0;
        }
    }
    spin_unlock(&batch_lock);
    return rc ? rc : flush_all();
}

struct protect_run {
    unsigned long pfn;
    bool ro;
};

static void protect_leaf(const void *ctx, unsigned long i, unsigned long *va, uint64_t *val)
{
    const struct protect_run *r = ctx;
    *va = (unsigned long)pfn_to_virt(r->pfn + i);
    *val = linear_leaf(r->pfn + i, 0);
    if (r->ro)
        *val &= ~PTE_RW;
}

int arch_linear_protect(unsigned long pfn, unsigned long n, bool ro)
{
    struct protect_run r = { pfn, ro };
    return set_leaves(n, protect_leaf, &r);
}

/* Entry -> the table it points at, through the m2p and our linear map. */
static uint64_t *ptb_child(uint64_t e)
{
    return entry_table(e);
}

int arch_ptb_map(struct arch_ptb *b, unsigned long va, unsigned long mfn, bool rw, bool exec)
{
    uint64_t *t = b->l4;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[pt_index(va, level)];
        if (!*e) {
            unsigned long child_mfn;
            uint64_t *child = b->alloc(b->ctx, &child_mfn);
            if (!child)
                return -ENOMEM;
            memset(child, 0, PAGE_SIZE);
            *e = ((uint64_t)child_mfn << PAGE_SHIFT) | PT_FLAGS;
        }
        t = ptb_child(*e);
        if (!t)
            return -EINVAL;
    }
    t[pt_index(va, 1)] = ((uint64_t)mfn << PAGE_SHIFT) | PTE_P | PTE_A | PTE_D |
                         (rw ? PTE_RW : 0) | (exec ? 0 : PTE_NX);
    return 0;
}

int arch_pin_l4(unsigned long mfn)
{
    /* Xen validates the whole tree here: every table must be mapped read-only everywhere. */
    struct mmuext_op op = { .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = mfn };
    return (int)hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

int arch_unpin(unsigned long mfn)
{
    /* Drops the pin; the tables lose their type once no vCPU (down ones too) has them as CR3. */
    struct mmuext_op op = { .cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = mfn };
    return (int)hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

int arch_m2p_set(const unsigned long *mfn, unsigned long first_pfn, unsigned long n)
{
    static struct mmu_update batch[512];
    static spinlock_t batch_lock = SPINLOCK_INIT;
    unsigned k = 0;
    int rc = 0;
    spin_lock(&batch_lock);
    for (unsigned long i = 0; i < n && !rc; i++) {
        batch[k].ptr = ((uint64_t)mfn[i] << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE;
        batch[k].val = first_pfn + i;
        if (++k == ARRAY_SIZE(batch) || i + 1 == n) {
            rc = (int)hypercall_mmu_update(batch, k, NULL, DOMID_SELF);
            k = 0;
        }
    }
    spin_unlock(&batch_lock);
    return rc;
}

unsigned long arch_mm_extend(unsigned long from, unsigned long to, void (*mapped)(unsigned long pfn))
{
    /*
     * Map pfns [from, to) into the linear map, writable, 512 per call.  Xen
     * refuses a writable mapping of a frame that is still a page table
     * somewhere (a LOST vCPU keeps the old kernel's alive): a batch it
     * refuses is redone one page at a time, and such a frame is left out.
     */
    static struct mmu_update batch[512];
    static unsigned long batch_pfn[512];
    unsigned long done = 0;
    unsigned k = 0;
    to = MIN(to, MIN(nr_pages, (unsigned long)LINEAR_MAX_PAGES));
    for (unsigned long p = from; p < to; p++) {
        unsigned long va = (unsigned long)pfn_to_virt(p);
        spin_lock(&pt_lock);
        uint64_t *l1 = ensure_l1(va);
        spin_unlock(&pt_lock);
        if (!l1)
            break;
        batch[k].ptr = virt_to_maddr(&l1[pt_index(va, 1)]) | MMU_NORMAL_PT_UPDATE;
        batch[k].val = linear_leaf(p, 0);
        batch_pfn[k] = p;
        if (++k < ARRAY_SIZE(batch) && p + 1 < to)
            continue;
        unsigned ok = 0;
        if (hypercall_mmu_update(batch, k, &ok, DOMID_SELF) == 0)
            ok = k;
        for (unsigned i = 0; i < k; i++) {
            /* Entries before the one Xen refused went in; retry the rest one by one. */
            if (i >= ok && hypercall_mmu_update(&batch[i], 1, NULL, DOMID_SELF))
                continue;
            done++;
            if (mapped)
                mapped(batch_pfn[i]);
        }
        k = 0;
    }
    linear_pages = MAX(linear_pages, to);
    return done;
}

/* ---- the p2m the toolstack reads (include/kernel/p2m_pub.h) ---- */

struct alias_run {
    unsigned long va;
    const char *src;
};

static void alias_leaf(const void *ctx, unsigned long i, unsigned long *va, uint64_t *val)
{
    const struct alias_run *r = ctx;
    *va = r->va + i * PAGE_SIZE;
    *val = ((uint64_t)virt_to_mfn(r->src + i * PAGE_SIZE) << PAGE_SHIFT) | PTE_P | PTE_A | PTE_NX;
}

int arch_map_ro_alias(unsigned long va, const void *src, unsigned long pages)
{
    /*
     * A second, read-only mapping of linear-map pages (the p2m) at va: the
     * tools walk our page tables to find it.  A republished alias may
     * replace an old one every vCPU has seen (set_leaves flushes them all).
     */
    struct alias_run r = { va, src };
    return set_leaves(pages, alias_leaf, &r);
}
