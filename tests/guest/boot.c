/* SPDX-License-Identifier: MIT */
/* Suite "boot": what the foundation promises, checked on the running hypervisor. */
#include <kernel/test.h>
#include <kernel/mm.h>
#include <kernel/smp.h>
#include <kernel/cmdline.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <minipv/string.h>

#define TIME_READS 100000

static void check_time(void)
{
    uint64_t prev = xen_system_time(), first = prev, backwards = 0, worst = 0;
    for (unsigned i = 0; i < TIME_READS; i++) {
        uint64_t now = xen_system_time();
        if (now < prev) {
            backwards++;
            worst = MAX(worst, prev - now);
        }
        prev = now;
    }
    printk("time: %u reads over %llu ns, %llu went backwards", TIME_READS,
           (unsigned long long)(prev - first), (unsigned long long)backwards);
    CHECK(!backwards, "xen_system_time monotonic over 100000 reads",
          "%llu reads went backwards, worst by %llu ns", (unsigned long long)backwards,
          (unsigned long long)worst);
    CHECK(prev > first, "xen_system_time advances", "stuck at %llu", (unsigned long long)prev);
}

static void check_memory(void)
{
    unsigned long before = pages_free();
    void *p[64];
    bool ok = true;
    for (unsigned i = 0; i < 64; i++) {
        p[i] = page_alloc(1 + i % 3);
        ok &= p[i] && ((unsigned long)p[i] & ~PAGE_MASK) == 0;
        if (p[i])
            memset(p[i], 0xa5, PAGE_SIZE);
    }
    for (unsigned i = 0; i < 64; i++)
        if (p[i])
            page_free(p[i], 1 + i % 3);
    CHECK(ok && pages_free() == before, "page allocator alloc/free",
          "ok=%d free before %lu after %lu", ok, before, pages_free());

    char *obj[100];
    ok = true;
    for (unsigned i = 0; i < 100; i++) {
        obj[i] = kmalloc(i * 37 + 1);
        ok &= obj[i] != NULL;
        if (obj[i])
            memset(obj[i], (int)i, i * 37 + 1);
    }
    for (unsigned i = 0; i < 100 && ok; i++)
        ok &= obj[i][i * 37] == (char)i;
    for (unsigned i = 0; i < 100; i++)
        kfree(obj[i]);
    CHECK(ok, "kernel heap", "allocation or contents wrong");

    unsigned long top = stack_alloc(2);
    ok = top != 0;
    if (ok) {
        volatile char *s = (char *)top - 2 * PAGE_SIZE;
        s[0] = 1;               /* lowest mapped byte: must not fault */
    }
    CHECK(ok, "guarded stack allocation", "stack_alloc failed");
}

static uint64_t fired_before;

static bool timer_fired_since(void *pc)
{
    return ((struct percpu *)pc)->timer_fired != fired_before;
}

static void check_events_and_timer(void)
{
    struct percpu *pc = this_cpu();
    uint64_t fired = fired_before = pc->timer_fired, start = xen_system_time();
    int rc = timer_arm(start + 1000000);     /* 1 ms */
    wait_until(timer_fired_since, pc, BOUND_TEST_TIMER_NS, wait_idle_yield);
    uint64_t late = xen_system_time() - start;
    CHECK(!rc && pc->timer_fired > fired, "singleshot timer fires on the boot cpu",
          "rc=%d fired=%llu after %llu ns", rc, (unsigned long long)(pc->timer_fired - fired),
          (unsigned long long)late);
}

/* Never fewer cpus than asked for without a loud FAILURE (Linux 6.9's misfire went unnoticed). */
static void check_all_up(void)
{
    unsigned online = 0, bad = 0, first_bad = 0;
    int first_state = CPU_OFFLINE;
    for (unsigned c = 0; c < nr_cpus; c++) {
        int s = cpu_state(per_cpu(c));
        online += s == CPU_ONLINE;
        if (s == CPU_FAILED || s == CPU_LOST || s == CPU_STARTING) {
            if (!bad++) {
                first_bad = c;
                first_state = s;
            }
        }
    }
    CHECK(!bad, "every cpu in use came online (none FAILED, LOST or STARTING)",
          "%u of %u online; %u did not come up, the first cpu %u (vcpu %u) %s", online, nr_cpus,
          bad, first_bad, per_cpu(first_bad)->vcpu_id, cpu_state_name(first_state));
}

static void boot_suite(void)
{
    ktap_begin(8);
    check_all_up();
    CHECK(!memcmp(xen_start_info->magic, "xen-3.0-x86_64", 14), "start_info magic",
          "got '%.32s'", xen_start_info->magic);
    check_time();
    check_memory();
    check_events_and_timer();
}
GUEST_SUITE(boot, "boot", "boot report, time, memory, events", boot_suite);

/* Suite "fault": a deliberate fatal exception; the host checks the dump and the crash. */
static const char *const fault_names[] = { "pf", "de", "ud", "text", "nx", NULL };
static int fault_kind;
KOPT_ENUM(fault, "fault", fault_kind, fault_names, "test=fault: which exception to raise");

/* A `ret` in .data, for fault=nx to call: data is no-execute, so the fetch faults. */
static unsigned char data_ret[16] __aligned(16) = { 0xc3 };

static void __attribute__((noinline)) fault_trigger(void)
{
    switch (fault_kind) {
    case 3:
        *(volatile unsigned char *)(unsigned long)fault_trigger = 0xcc;  /* text is read-only */
        break;
    case 4:
        ((void (*)(void))(unsigned long)data_ret)();
        break;
    case 0:
        *(volatile int *)0xdead000UL = 1;      /* unmapped: #PF, write, not-present */
        break;
    case 1: {
        /* In asm: gcc turns 1/x into a compare and never divides. */
        unsigned lo = 1, hi = 0, zero = 0;
        __asm__ __volatile__("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));   /* #DE */
        break;
    }
    default:
        __asm__ __volatile__("ud2");
    }
}

static void __attribute__((noinline)) fault_suite(void)
{
    printk("fault: raising %s", fault_names[fault_kind]);
    fault_trigger();
    ktap_begin(1);
    ktap_case(false, "fault raised", "execution continued after the fault");
}
GUEST_SUITE(fault, "fault", "deliberate fatal exception", fault_suite);

/* Suite "silent": reports nothing at all -- proves that such a run ends as ERROR, as in XTF. */
static void silent_suite(void)
{
    printk("silent: reporting no status on purpose");
}
GUEST_SUITE(silent, "silent", "reports no status (the run must end as ERROR)", silent_suite);
