/* SPDX-License-Identifier: MIT */
/*
 * Toolstack control of a domU through xenstore (kernel/service/toolstack.c):
 *   control/shutdown          "poweroff" | "reboot" (acted on, then cleared),
 *                             "suspend" (refused: not acknowledged), other: warned
 *   cpu/<vcpu>/availability   "online" | "offline" -> cpu_up/cpu_down
 * and the wait/kick pair the service loop sleeps on.
 *
 * Watch events are only queued in upcall context; toolstack_service() acts
 * on them in thread context.
 */
#ifndef KERNEL_TOOLSTACK_H
#define KERNEL_TOOLSTACK_H
#include <minipv/compiler.h>

enum toolstack_action { TOOLSTACK_NONE, TOOLSTACK_POWEROFF, TOOLSTACK_REBOOT };

/* At boot, before smp_bringup(): connect and read availability.  No-op on dom0. */
void toolstack_init(void);
/* After smp_bringup(): advertise the features, set the watches (their first event rescans). */
void toolstack_start(void);
bool toolstack_active(void);
/* Act on queued watch events; returns what the toolstack asked for (TOOLSTACK_NONE: nothing). */
enum toolstack_action toolstack_service(void);
/* Stop the other cpus, print the result and shut down as the toolstack asked. */
void __noreturn toolstack_shutdown(enum toolstack_action a);

/* "cpus: online N [v0 v1 ...]" (Xen vcpu ids), plus why. */
void toolstack_report_cpus(const char *why);
/* cpu_up/cpu_down of a logical cpu (ours included), naming who asked on failure.  0 or -errno. */
int toolstack_set_cpu(unsigned cpu, bool online, const char *who);

/* Wake the service loop (any context, any cpu, upcall handlers included). */
void toolstack_kick(void);
/* Sleep (scheduler) until kicked or max_ns passed (thread context). */
void toolstack_wait(uint64_t max_ns);

#endif
