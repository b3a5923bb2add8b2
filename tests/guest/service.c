/* SPDX-License-Identifier: MIT */
/*
 * Suite "service": the domU stays up and serves the toolstack and the
 * console until xl shutdown / xl reboot (control/shutdown) ends it.  It
 * prints lines the xl scenarios wait for:
 *   service: ready ...
 *   cpus: online N [vcpu ids] (...)     after each batch of cpu/ events
 *   control: poweroff|reboot ...        on the way out
 */
#include <kernel/test.h>
#include <kernel/toolstack.h>
#include <kernel/shell.h>
#include <kernel/smp.h>
#include <xenpv/xenpv.h>

/* The loop also runs this often unkicked: a missed kick costs at most this. */
#define SERVICE_PERIOD_NS 200000000ULL

static void service_suite(void)
{
    bool console = shell_init();
    if (!toolstack_active() && !console) {
        printk("service: nothing to serve (no xenstore, no console input: dom0?)");
        result_report(RESULT_SKIP, "service needs a domU");
        return;
    }
    printk("service: ready on cpu %u (vcpu %u): xenstore control %s, console commands %s",
           smp_processor_id(), this_cpu()->vcpu_id, toolstack_active() ? "on" : "off",
           console ? "on" : "off");
    toolstack_report_cpus("(boot)");
    /* Serving is this suite's success; the result line comes when the toolstack ends the run. */
    result_report(RESULT_SUCCESS, NULL);
    for (;;) {
        enum toolstack_action a = toolstack_service();
        if (a != TOOLSTACK_NONE)
            toolstack_shutdown(a);
        shell_poll();
        toolstack_wait(SERVICE_PERIOD_NS);
    }
}
GUEST_SUITE(service, "service", "serve xl control, vCPU hotplug and console commands",
            service_suite);
