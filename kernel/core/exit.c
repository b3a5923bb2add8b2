/* SPDX-License-Identifier: MIT */
/* The end of a run: the one result line, then the shutdown exit= asks for. */
#include <kernel/kernel.h>
#include <kernel/cmdline.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <minipv/errno.h>

#define EXITS(X) X(AUTO, "auto") X(POWEROFF, "poweroff") X(REBOOT, "reboot") X(CRASH, "crash") \
                 X(KEXEC, "kexec")
#define EXIT_ENUM(e, name) EXIT_##e,
#define EXIT_NAME(e, name) name,
enum { EXITS(EXIT_ENUM) };
static const char *const exit_names[] = { EXITS(EXIT_NAME) NULL };
static int exit_mode = EXIT_AUTO;
KOPT_ENUM(exit, "exit", exit_mode, exit_names,
          "end of run: auto (dom0 reboot, domU poweroff) | poweroff | reboot | crash | kexec "
          "(into a fresh generation, which runs the same command line without exit=kexec)");
static int (*exit_kexec)(void);

void kernel_set_exit_kexec(int (*fn)(void))
{
    exit_kexec = fn;
}

/* The command line as Xen (or the kernel before a kexec) gave it: kexec hands it on. */
char kernel_cmdline[MAX_GUEST_CMDLINE + 1];

static void (*stop_others)(void);

void kernel_set_stop_others(void (*fn)(void))
{
    stop_others = fn;
}

void kernel_stop_others(void)
{
    if (stop_others)
        stop_others();
}

void kernel_shutdown(unsigned reason)
{
    xen_console_flush();
    for (;;) {
        hypercall_shutdown(reason);
        /* dom0 poweroff may return when there is nothing to power off: stay stopped. */
        hypercall_sched_op(SCHEDOP_block, NULL);
    }
}

void kernel_finish_with(unsigned reason)
{
    kernel_stop_others();
    enum test_result r = result_final();
    printk_raw("Test result: %s\n", result_name(r));
    kernel_shutdown(reason);
}

void kernel_finish(void)
{
    unsigned reason = SHUTDOWN_poweroff;
    if (exit_mode == EXIT_KEXEC) {
        /* The result goes over with the jump; the next generation prints the only line. */
        int rc = exit_kexec ? exit_kexec() : -ENODEV;
        pr_warn("exit=kexec: no jump (%d): ending as exit=auto", rc);
        exit_mode = EXIT_AUTO;
    }
    switch (exit_mode) {
    case EXIT_AUTO: reason = xen_is_dom0() ? SHUTDOWN_reboot : SHUTDOWN_poweroff; break;
    case EXIT_POWEROFF: reason = SHUTDOWN_poweroff; break;
    case EXIT_REBOOT: reason = SHUTDOWN_reboot; break;
    case EXIT_CRASH: reason = SHUTDOWN_crash; break;
    }
    kernel_finish_with(reason);
}
