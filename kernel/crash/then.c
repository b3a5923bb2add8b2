/* SPDX-License-Identifier: MIT */
/*
 * What the crash kernel does after its dump (kdump_then=): a fresh minipv
 * on all the memory (kexec, the default), a reboot, a poweroff or a crash.
 */
#include "internal.h"
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <arch/mm.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>

#define THENS(X) X(THEN_KEXEC, "kexec") X(THEN_REBOOT, "reboot") X(THEN_POWEROFF, "poweroff") \
    X(THEN_CRASH, "crash")
enum { THENS(ENUM_) };
static const char *const then_names[] = { THENS(NAME_) NULL };
static int opt_then = THEN_KEXEC;
KOPT_ENUM(kdump_then, "kdump_then", opt_then, then_names,
          "after the dump: kexec (a fresh minipv on all the memory, region armed again) | reboot "
          "| poweroff | crash");

static bool keep_none(unsigned long pfn)
{
    (void)pfn;
    return false;
}

/* A LOST vCPU keeps the old page tables alive: every old frame stays writable to them,
 * so none can become a page table of a fresh kernel (Xen mm.c _get_page_type). */
unsigned kdump_lost_vcpus(void)
{
    unsigned n = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        n += cpu_state(per_cpu(c)) == CPU_LOST;
    return n;
}

void __noreturn kdump_then(void)
{
    const struct handoff *h = kexec_handoff();
    if (opt_then == THEN_KEXEC && kdump_lost_vcpus()) {
        pr_warn("kdump: kdump_then=kexec: %u LOST vCPU(s) hold the old page tables, so no old "
                "frame can become a page table of a fresh kernel: rebooting instead", kdump_lost_vcpus());
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
    return opt_then == THEN_KEXEC && !kdump_lost_vcpus();
}
