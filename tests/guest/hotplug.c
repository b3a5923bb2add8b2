/* SPDX-License-Identifier: MIT */
/*
 * Suite "hotplug": take every AP down and back up (VCPUOP_down/up), in
 * rounds, and prove each came back whole: Xen says it is up, it answers a
 * cross-call, and Xen accepts a timer it arms with its own vcpu id.
 */
#include <kernel/test.h>
#include "machine.h"
#include <kernel/smp.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>

static volatile int answered[NR_CPUS];
static void probe(void *arg)
{
    (void)arg;
    struct percpu *pc = this_cpu();
    answered[pc->cpu] = timer_arm(xen_system_time() + 1000000) == 0 ? 1 : -1;
}

static bool cpu_whole(unsigned c)
{
    answered[c] = 0;
    return hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(c), NULL) == 1 &&
           call_on_cpu(c, probe, NULL) == 0 && answered[c] == 1;
}

static bool xen_agrees(void *bad)
{
    return machine_xen_agrees(bad);
}

static bool cpu0_offline(void *unused)
{
    (void)unused;
    return cpu_state(per_cpu(0)) == CPU_OFFLINE;
}

static void hotplug_suite(void)
{
    ktap_begin(9);
    /*
     * The boot report is the truth: a cpu reported FAILED (smp_timeout_ms=)
     * is down in Xen, every ONLINE one up.  A late one parks on its own:
     * give it 10 s.
     */
    int bad = -1;
    wait_until(xen_agrees, &bad, BOUND_TEST_LATE_PARK_NS, wait_idle_yield);
    unsigned failed0 = 0;
    for (unsigned c = 0; c < nr_cpus; c++)
        failed0 += cpu_state(per_cpu(c)) == CPU_FAILED;
    CHECK(machine_xen_agrees(&bad), "Xen has exactly the ONLINE cpus up, FAILED ones down",
          "cpu %d (vcpu %u) is %s but Xen says %s", bad, bad >= 0 ? cpu_to_vcpu((unsigned)bad) : 0,
          bad >= 0 ? cpu_state_name(cpu_state(per_cpu((unsigned)bad))) : "?",
          bad >= 0 && hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu((unsigned)bad), NULL) == 1 ?
          "up" : "down");
    unsigned n = cpumask_weight(&cpu_online_mask);
    printk("hotplug: at start %u ONLINE, %u FAILED", n, failed0);
    unsigned down_ok = 0, up_ok = 0, whole = 0, xen_down = 0, rounds = 3;
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned c = 1; c < nr_cpus; c++) {
            if (!cpumask_test(&cpu_online_mask, c))
                continue;
            if (cpu_down(c) == 0)
                down_ok++;
            xen_down += hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(c), NULL) == 0;
            if (cpu_up(c) == 0)
                up_ok++;
            whole += cpu_whole(c);
        }
    }
    unsigned want = (n - 1) * rounds;
    CHECK(down_ok == want && xen_down == want, "cpu_down of every AP (Xen agrees it is down)",
          "%u/%u downs ok, Xen saw %u down", down_ok, want, xen_down);
    CHECK(up_ok == want, "cpu_up of every AP", "%u/%u ups ok", up_ok, want);
    CHECK(whole == want, "every re-onlined cpu answers IPIs and arms its own timer",
          "%u/%u whole", whole, want);
    CHECK(cpumask_weight(&cpu_online_mask) == n, "online count restored",
          "%u online, want %u", cpumask_weight(&cpu_online_mask), n);
    printk("hotplug: %u rounds over %u APs: %u down, %u up, %u whole", rounds, n - 1, down_ok,
           up_ok, whole);

    /*
     * cpu 0, the boot cpu, from itself: this thread must be moved off it,
     * and bringing it back must redo its per-cpu boot state (Linux's CPU0
     * hotplug crash came from not doing that).
     */
    if (n < 2) {
        ktap_skip("cpu 0 down from itself", "one vCPU");
        ktap_skip("cpu 0 back up", "one vCPU");
        ktap_skip("cpu 0 whole again", "one vCPU");
    } else {
        unsigned before = smp_processor_id();
        int rc = cpu_down(0);
        wait_until(cpu0_offline, NULL, BOUND_HOTPLUG_NS, wait_idle_yield);
        bool is_down = hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(0), NULL) == 0;
        CHECK(!rc && is_down && smp_processor_id() != 0, "cpu 0 down from itself",
              "rc %d, Xen says vcpu %u %s, now on cpu %u (was %u)", rc, cpu_to_vcpu(0),
              is_down ? "down" : "up", smp_processor_id(), before);
        rc = cpu_up(0);
        CHECK(!rc, "cpu 0 back up", "cpu_up(0) = %d", rc);
        CHECK(cpu_whole(0), "cpu 0 whole again (IPI answered, own timer accepted)",
              "cpu 0 not whole");
        printk("hotplug: cpu 0 down and up from cpu %u", smp_processor_id());
    }

    /* A cpu that failed or timed out at boot comes up with cpu_up (parked, not lost). */
    unsigned tried = 0, revived = 0;
    for (unsigned c = 1; c < nr_cpus; c++) {
        if (cpu_state(per_cpu(c)) != CPU_FAILED || (int)cpu_to_vcpu(c) == smp_fail_vcpu())
            continue;
        tried++;
        revived += cpu_up(c) == 0 && cpu_whole(c);
    }
    CHECK(revived == tried, "cpus FAILED at boot come up with cpu_up, whole",
          "%u of %u came up", revived, tried);
    printk("hotplug: %u of %u cpus FAILED at boot brought up; %u online now", revived, tried,
           cpumask_weight(&cpu_online_mask));
}
GUEST_SUITE(hotplug, "hotplug", "AP offline/online cycles", hotplug_suite);
