/* SPDX-License-Identifier: MIT */
/* Grant table v1 for a PV guest: set up, mapped by MFN, refs granted and taken back. */
#include <xenpv/gnttab.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <minipv/errno.h>

static grant_entry_v1_t *table;

int xen_gnttab_init(void)
{
    if (table)
        return 0;
    /*
     * Xen: a PV guest gets the table's frame list from GNTTABOP_setup_table
     * (dom DOMID_SELF; the table grows to nr_frames, up to max_grant_frames,
     * 64 by default) and maps the frames itself; for PV the list holds MFNs
     * (common/grant_table.c gnttab_setup_table, x86 gnttab_shared_gfn).
     * Calling it again returns the same frames: the crash kernel does so.
     */
    static xen_pfn_t frames[GNTTAB_FRAMES];
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = GNTTAB_FRAMES };
    set_xen_guest_handle(op.frame_list, frames);
    long rc = _hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &op, 1);
    if (rc)
        return (int)rc;
    if (op.status)
        return -EINVAL;         /* GNTST_*: a bad domain or more frames than allowed */
    unsigned long va = arch_vmap_reserve(GNTTAB_FRAMES);
    if (!va)
        return -ENOMEM;
    for (unsigned i = 0; i < GNTTAB_FRAMES; i++) {
        rc = arch_map_page(va + i * PAGE_SIZE, frames[i], PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX);
        if (rc)
            return (int)rc;
    }
    table = (grant_entry_v1_t *)va;
    return 0;
}

void xen_gnttab_grant(grant_ref_t ref, domid_t dom, unsigned long mfn, bool ro)
{
    /* Xen reads frame and domid once flags permit access: they go first (grant_table.h v1). */
    table[ref].frame = (uint32_t)mfn;
    table[ref].domid = dom;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    WRITE_ONCE(table[ref].flags, (uint16_t)(GTF_permit_access | (ro ? GTF_readonly : 0)));
}

int xen_gnttab_end(grant_ref_t ref)
{
    /* Only while the peer has it unmapped (no GTF_reading/writing): else it keeps the frame. */
    uint16_t f = READ_ONCE(table[ref].flags);
    do {
        if (f & (GTF_reading | GTF_writing))
            return -EBUSY;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &f, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    return 0;
}

unsigned xen_gnttab_granted(grant_ref_t first, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; table && i < n; i++)
        k += READ_ONCE(table[first + i].flags) != 0;
    return k;
}
