/* SPDX-License-Identifier: MIT */
/* Boot: checks, bring-up order, boot report, the chosen test suite, and the end of the run. */
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <kernel/escape.h>
#include <kernel/mm.h>
#include <kernel/smp.h>
#include <kernel/test.h>
#include <kernel/sched.h>
#include <kernel/toolstack.h>
#include <kernel/cpu_topology.h>
#include <kernel/kexec.h>
#include <kernel/handoff.h>
#include <arch/traps.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/string.h>

uint64_t boot_time_ns;

static char test_name[32] = "boot";
KOPT_STR(test, "test", test_name, "guest suite to run (default: boot)");

/* Until shared_info is mapped: masked events, zero time. */
static struct vcpu_info early_vcpu_info = { .evtchn_upcall_mask = 1 };

static void early_fail(const char *msg)
{
    /* Works for dom0 only, but a domU has nothing better this early. */
    hypercall_console_io(CONSOLEIO_write, (unsigned)strlen(msg), msg);
    hypercall_shutdown(SHUTDOWN_crash);
    for (;;)
        ;
}

static void event_upcall(struct cpu_regs *regs)
{
    xen_upcall();
    sched_upcall_exit(regs);
}

static void cmdline_warn(const char *msg)
{
    pr_warn("%s", msg);
}

static void report_xen(void)
{
    long ver = hypercall_xen_version(XENVER_version, NULL);
    xen_extraversion_t extra = "";
    xen_capabilities_info_t caps = "";
    hypercall_xen_version(XENVER_extraversion, extra);
    hypercall_xen_version(XENVER_capabilities, caps);
    printk("Xen %ld.%ld%s, capabilities: %s", ver >> 16, ver & 0xffff, extra, caps);
}

static void report_start_info(const struct start_info *si)
{
    printk("start_info: magic '%.32s' %s, nr_pages %lu (%lu MiB), flags 0x%x",
           si->magic, xen_is_dom0() ? "dom0" : "domU", si->nr_pages, si->nr_pages >> 8,
           si->flags);
    printk("start_info: shared_info mfn 0x%lx, pt_base %#lx (%lu frames), mfn_list %#lx",
           si->shared_info >> PAGE_SHIFT, si->pt_base, si->nr_pt_frames, si->mfn_list);
    if (xen_is_dom0())
        printk("start_info: console via CONSOLEIO_write");
    else
        printk("start_info: console mfn 0x%lx evtchn %u, xenstore mfn 0x%lx evtchn %u",
               (unsigned long)si->console.domU.mfn, si->console.domU.evtchn,
               (unsigned long)si->store_mfn, si->store_evtchn);
}

static void report_memory(void)
{
    extern char _text[], _end[];
    printk("memory: %lu pages (%lu MiB) mapped of %lu, image %p-%p, %lu pages free from pfn %lu",
           mm_total_pages, mm_total_pages >> 8, nr_pages, (void *)_text, (void *)_end,
           pages_free(), mm_first_free_pfn);
    if (nr_pages > linear_pages)
        pr_warn("memory: only the first %lu MiB of %lu MiB are used (linear map limit)",
                linear_pages >> 8, nr_pages >> 8);
}

/*
 * The options given on the command line are reported before bring-up (they
 * shape it); the ~40 left at their defaults after it, so none of them sits
 * between the boot and its first AP (on an 8-vCPU domU here they cost about
 * 4 ms through the console ring: less than the commit that moved them said).
 */
static void report_options(bool given)
{
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++) {
        if (o->given != given)
            continue;
        char v[64];
        kopt_format(o, v, sizeof(v));
        printk("option %s=%s%s", o->name, v, o->given ? "" : " (default)");
    }
}

static void report_cmdline(void)
{
    /* Escaped (it may hold any byte), in pieces that fit a console line. */
    enum { PIECE = 96 };
    char q[PIECE * 4 + 8];
    size_t len = strlen(kernel_cmdline);
    if (len <= PIECE) {
        str_quote(q, sizeof(q), kernel_cmdline, len, PIECE);
        printk("cmdline: %s", q);
    } else {
        printk("cmdline: %zu bytes, in pieces:", len);
        for (size_t at = 0; at < len; at += PIECE) {
            str_quote(q, sizeof(q), kernel_cmdline + at, MIN(len - at, (size_t)PIECE), PIECE);
            printk("cmdline: [%zu] %s", at, q);
        }
    }
    report_options(true);
}


static void run_suite(void)
{
    /* test= given but refused: the suite asked for cannot run; the boot suite is no stand-in. */
    if (kopt_test.rejected) {
        pr_err("test: test= was given but refused (see the cmdline warning): no suite run");
        result_report(RESULT_ERROR, "test= refused");
        return;
    }
    for (const struct guest_suite *s = __start_minipv_suites; s < __stop_minipv_suites; s++) {
        if (!strcmp(s->name, test_name)) {
            printk("test: %s: %s", s->name, s->title);
            s->run();
            return;
        }
    }
    char q[sizeof(test_name) * 4 + 8];
    str_quote(q, sizeof(q), test_name, strlen(test_name), sizeof(test_name));
    pr_err("test: no suite named %s", q);
    result_report(RESULT_ERROR, "unknown test= suite");
}

void kernel_start(struct start_info *si, uint64_t ho_va, uint64_t magic);
void kernel_start(struct start_info *si, uint64_t ho_va, uint64_t magic)
{
    extern char boot_stack_top[];
    struct percpu *bsp = &percpu_area[0];
    bsp->vcpu_info = &early_vcpu_info;
    bsp->stack_top = (unsigned long)boot_stack_top;
    arch_set_percpu(bsp);

    if (memcmp(si->magic, "xen-3.0-x86_64", 14))
        early_fail("minipv: start_info magic is not xen-3.0-x86_64: not a 64-bit PV start\n");
    arch_set_exception_handler(kernel_fault);
    arch_set_event_handler(event_upcall);
    arch_cpu_takeover(bsp);         /* faults are reported from here on, whoever ran here before */
    xen_console_init(si);
    /* After a kexec: which vCPU we are, what the old kernel left (NULL: a boot from Xen). */
    const struct handoff *ho = kexec_intake(si, ho_va, magic);
    /* Options first: the cpu map, memory and smp all read them. */
    /* All of Xen's buffer: a line that fills it was probably cut, and the parser must see that. */
    memcpy(kernel_cmdline, si->cmd_line, MAX_GUEST_CMDLINE);
    kernel_cmdline[MAX_GUEST_CMDLINE] = 0;
    printk("minipv 0.1 booting%s", ho ? " (kexec)" : "");
    int bad = cmdline_parse_buf(kernel_cmdline, MAX_GUEST_CMDLINE, cmdline_warn);

    mm_init(si, ho ? ho->usable_pages : si->nr_pages);
    if (xen_map_shared_info())
        panic("cannot map shared_info (mfn 0x%lx)", si->shared_info >> PAGE_SHIFT);
    mm_p2m_publish(true);           /* the toolstack may dump or save us from now on */
    xen_events_init();

    /* The id map first: everything below may name the boot vCPU. */
    cpu_map_init(ho ? ho->jump_vcpu : 0, kexec_must_use());
    /* The domain builder (or the old kernel) initialised the boot vCPU: later ups resume it. */
    bsp->initialised = true;
    kexec_prepare_cpus();
    kexec_sweep_old_state();        /* before we bind any event channel of our own */
    if (!bsp->vcpu_info_maddr) {
        xen_use_legacy_vcpu_info(bsp);
        int rc = xen_register_vcpu_info(bsp);
        if (rc)
            panic("VCPUOP_register_vcpu_info for boot vcpu %u failed: %d", bsp->vcpu_id, rc);
    }
    cpu_topology_init();
    boot_time_ns = xen_system_time();

    report_xen();
    report_start_info(si);
    report_memory();
    report_cmdline();
    if (bad)
        pr_warn("cmdline: %d word%s ignored", bad, bad == 1 ? "" : "s");

    if (!smp_memory_fits()) {
        result_report(RESULT_ERROR, "not enough memory for the vCPUs");
        kernel_finish();
    }
    toolstack_init();
    /* The boot context becomes the thread "main"; each cpu's idle thread runs cpu_idle_loop. */
    sched_init(cpu_idle_loop);
    smp_bringup();
    toolstack_start();
    report_options(false);
    kexec_boot_finish();
    if (!kdump_is_crash_kernel())
        kdump_arm();            /* a crash kernel arms once its dump is out (kdump_then=kexec) */
    kdump_crash_kernel(test_name);
    kdump_start_watchdog();
    cpu_topology_report();
    run_suite();
    kernel_finish();
}
