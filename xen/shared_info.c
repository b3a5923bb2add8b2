/* SPDX-License-Identifier: MIT */
/* shared_info mapping, per-vCPU vcpu_info registration, and a vCPU's Xen-side timers and areas. */
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <minipv/errno.h>


/*
 * Every vcpu_info we register lives here, slot = logical cpu: 64-byte
 * slots in page-aligned memory never cross a page (map_vcpu_info's rule),
 * and a later kernel finds them in a few known frames (they can never be
 * registered again, so it reuses them in place).
 */
static struct vcpu_info vcpu_info_area[NR_CPUS] __aligned(PAGE_SIZE);
BUILD_BUG_ON(sizeof(struct vcpu_info) != 64);

unsigned long xen_shared_info_va;

int xen_map_shared_info(void)
{
    unsigned long va = arch_vmap_reserve(1);
    if (!va)
        return -ENOMEM;
    xen_shared_info_va = va;        /* a suspend unmaps it and maps it here again */
    /* start_info->shared_info is a machine address, not one of our pfns. */
    int rc = arch_map_page(va, xen_start_info->shared_info >> PAGE_SHIFT,
                           PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX);
    if (rc)
        return rc;
    xen_shared_info = (struct shared_info *)va;
    return 0;
}

void xen_use_legacy_vcpu_info(struct percpu *pc)
{
    /* Until registration a vCPU below 32 has its slot in shared_info (vcpu_info_reset). */
    if (pc->vcpu_id < XEN_LEGACY_MAX_VCPUS)
        pc->vcpu_info = &xen_shared_info->vcpu_info[pc->vcpu_id];
}

int xen_register_vcpu_info(struct percpu *pc)
{
    /*
     * Xen rules (common/domain.c map_vcpu_info): the area must not cross a
     * page, it can be registered once per vCPU and never undone (a second
     * call is -EINVAL), only by the vCPU itself or while it is down, and
     * Xen then marks every event pending on that vCPU, so the upcall
     * handler must already be installed.  vCPUs >= XEN_LEGACY_MAX_VCPUS
     * have no slot in shared_info and VCPUOP_initialise fails for them
     * without this.
     */
    struct vcpu_info *vi = &vcpu_info_area[pc->cpu];
    struct vcpu_register_vcpu_info info = {
        .mfn = virt_to_mfn(vi),
        .offset = (uint32_t)((unsigned long)vi & ~PAGE_MASK),
    };
    long rc = hypercall_vcpu_op(VCPUOP_register_vcpu_info, pc->vcpu_id, &info);
    if (rc)
        return (int)rc;
    pc->vcpu_info_maddr = virt_to_maddr(vi);
    barrier();
    pc->vcpu_info = vi;
    return 0;
}

int xen_adopt_vcpu_info(struct percpu *pc, uint64_t maddr)
{
    /*
     * A vcpu_info an earlier kernel registered stays where it is for the
     * life of the domain (only domain_kill unmaps it): use it in place.  It
     * must be one of our frames, mapped, 64-byte aligned.
     */
    unsigned long mfn = maddr >> PAGE_SHIFT, pfn = mfn_to_pfn(mfn);
    if ((maddr & 63) || pfn >= linear_pages || pfn_to_mfn(pfn) != mfn)
        return -EINVAL;
    pc->vcpu_info_maddr = maddr;
    barrier();
    pc->vcpu_info = (struct vcpu_info *)((char *)pfn_to_virt(pfn) + (maddr & ~PAGE_MASK));
    return 0;
}

uint64_t xen_vcpu_info_slot_maddr(unsigned cpu)
{
    return virt_to_maddr(&vcpu_info_area[cpu]);
}

bool xen_is_vcpu_info_frame(unsigned long pfn)
{
    return pfn >= virt_to_pfn(vcpu_info_area) &&
           pfn < virt_to_pfn(vcpu_info_area) + sizeof(vcpu_info_area) / PAGE_SIZE;
}

void xen_vcpu_quiesce(struct percpu *pc)
{
    /*
     * On pc's own vCPU.  The periodic tick (PV default 100 Hz) and the
     * singleshot timer may still be armed by whoever ran here before
     * (VCPUOP_stop_singleshot_timer: only for the caller's own vCPU); the
     * runstate and time areas are virtual addresses Xen writes on every
     * context switch through whatever page tables the vCPU has loaded:
     * a NULL handle turns them off (common_vcpu_op: no other check).
     */
    unsigned v = pc->vcpu_id;
    hypercall_vcpu_op(VCPUOP_stop_periodic_timer, v, NULL);
    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, v, NULL);
    xen_vcpu_drop_areas(v);
}

void xen_vcpu_drop_areas(unsigned vcpu_id)
{
    struct vcpu_register_runstate_memory_area rs = { .addr.p = 0 };
    struct vcpu_register_time_memory_area tm = { .addr.p = 0 };
    hypercall_vcpu_op(VCPUOP_register_runstate_memory_area, vcpu_id, &rs);
    hypercall_vcpu_op(VCPUOP_register_vcpu_time_memory_area, vcpu_id, &tm);
}

static bool vcpu_not_running(void *vcpu_id)
{
    struct vcpu_runstate_info rs;
    return hypercall_vcpu_op(VCPUOP_get_runstate_info, *(unsigned *)vcpu_id, &rs) ||
           rs.state != RUNSTATE_running;
}

int xen_vcpu_force_down(unsigned vcpu_id, uint64_t bound_ns)
{
    /*
     * VCPUOP_down of another vCPU: do_vcpu_op takes any vCPU of the caller's
     * domain, but only asks for a pause; the vCPU leaves the cpu at Xen's
     * next schedule, so look at its runstate until it no longer runs.
     */
    long rc = hypercall_vcpu_op(VCPUOP_down, vcpu_id, NULL);
    if (rc)
        return (int)rc;
    return wait_until(vcpu_not_running, &vcpu_id, bound_ns, wait_idle_spin) ? 0 : -ETIMEDOUT;
}
