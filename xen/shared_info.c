/* SPDX-License-Identifier: MIT */
/* shared_info mapping and per-vCPU vcpu_info registration. */
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>

struct shared_info *xen_shared_info;
uint64_t xen_vcpu_info_maddr[NR_CPUS];

int xen_map_shared_info(void)
{
    unsigned long va = arch_vmap_reserve(1);
    if (!va)
        return -12;
    /* start_info->shared_info is a machine address, not one of our pfns. */
    int rc = arch_map_page(va, xen_start_info->shared_info >> PAGE_SHIFT,
                           PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX);
    if (rc)
        return rc;
    xen_shared_info = (struct shared_info *)va;
    return 0;
}

int xen_register_vcpu_info(struct percpu *pc)
{
    /*
     * Xen rules (common/domain.c map_vcpu_info): the area must not cross a
     * page, it can be registered once per vCPU and never undone, and Xen
     * then marks every event pending on that vCPU, so the upcall handler
     * must already be installed.  vCPUs >= XEN_LEGACY_MAX_VCPUS have no slot
     * in shared_info and VCPUOP_initialise fails for them without this.
     */
    struct vcpu_register_vcpu_info info = {
        .mfn = virt_to_mfn(&pc->vi),
        .offset = (uint32_t)((unsigned long)&pc->vi & ~PAGE_MASK),
    };
    long rc = hypercall_vcpu_op(VCPUOP_register_vcpu_info, pc->vcpu_id, &info);
    if (rc)
        return (int)rc;
    xen_vcpu_info_maddr[pc->cpu] = virt_to_maddr(&pc->vi);
    barrier();
    pc->vcpu_info = &pc->vi;
    return 0;
}
