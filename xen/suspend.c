/* SPDX-License-Identifier: MIT */
/*
 * The Xen side of a suspend (xl save, save -c, restore, migration), in the
 * two symmetric halves Linux (xen_pv_pre_suspend / xen_pv_post_suspend)
 * and Mini-OS (arch_pre_suspend / arch_post_suspend) also have, and the
 * hypercall between them.  The caller (kernel/smp/suspend.c) runs them on
 * the cpu of vCPU 0, events masked, every other vCPU parked.
 *
 * What the save requires of the guest's memory (xg_sr_save_x86_pv.c): every
 * frame a page table maps must be one of ours (p2m and m2p agree), so
 * shared_info, which is Xen's, is unmapped; start_info's store and console
 * frames are ours but the tools translate only pfns there, so they become
 * pfns.  Our page tables need no extra pinning: there is one set, its L4
 * pinned by the domain builder and everything below it validated, so the
 * tools translate all of it (the kexec region's own tables are unpinned
 * before we come here: its participant disarms it).
 */
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <minipv/string.h>

/* What xen_shared_info points at while the real one is unmapped: every port masked. */
static struct shared_info dummy_shared_info __aligned(PAGE_SIZE);

void xen_pre_suspend(void)
{
    struct start_info *si = xen_start_info;
    /* The restore turns these pfns into the new domain's mfns (process_start_info). */
    si->store_mfn = mfn_to_pfn(si->store_mfn);
    si->console.domU.mfn = mfn_to_pfn(si->console.domU.mfn);
    memset(dummy_shared_info.evtchn_mask, 0xff, sizeof(dummy_shared_info.evtchn_mask));
    xen_shared_info = &dummy_shared_info;
    /* Not our frame: a mapping of it fails the save ("Bad mfn for L1"). */
    arch_map_page(xen_shared_info_va, 0, 0);
}

long xen_suspend_hypercall(void)
{
    /*
     * Xen (public/sched.h): a PV guest passes its start_info's mfn as the
     * third argument, in RDX; the save reads it from vCPU 0's registers, so
     * only vCPU 0 may make this call.  Returns 0 in a new domain (the value
     * frozen in the saved registers), 1 when the toolstack resumes this
     * domain (it writes vCPU 0's RAX: xc_domain_resume_cooperative).
     */
    struct sched_shutdown sd = { .reason = SHUTDOWN_suspend };
    return _hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd,
                       virt_to_mfn(xen_start_info));
}

int xen_post_suspend(bool new_domain)
{
    struct start_info *si = xen_start_info;
    if (!new_domain) {
        si->store_mfn = pfn_to_mfn(si->store_mfn);
        si->console.domU.mfn = pfn_to_mfn(si->console.domU.mfn);
    }
    /* A new domain: the restore wrote the new mfns, ports and shared_info address. */
    int rc = arch_map_page(xen_shared_info_va, si->shared_info >> PAGE_SHIFT,
                           PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX);
    if (rc)
        return rc;
    xen_shared_info = (struct shared_info *)xen_shared_info_va;
    if (new_domain)
        xen_console_init(si);       /* the same ring page, a new port */
    return 0;
}
