/* SPDX-License-Identifier: MIT */
/* Kernel-wide services: panic, assertions, symbols, the end-of-run path. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H
#include <minipv/compiler.h>
#include <kernel/printk.h>
#include <xen/xen.h>

struct cpu_regs;

void __noreturn panic(const char *fmt, ...) __printf(1, 2);
void kernel_fault(struct cpu_regs *regs);
/* NMIs are logged and counted (unless the crash ops take them). */
extern uint64_t nmi_count;
/*
 * kdump (kernel/crash/crash.c) installs these: a panic or a fatal
 * exception calls crash() once its report is out (it returns only if kdump
 * is off), and an NMI goes to nmi() first (true: it took it).  Without
 * them, or while not armed, a crash ends in SHUTDOWN_crash.
 */
struct kernel_crash_ops {
    bool (*armed)(void);
    void (*crash)(const struct cpu_regs *regs, const char *reason);
    bool (*nmi)(struct cpu_regs *regs);
};
void kernel_set_crash_ops(const struct kernel_crash_ops *ops);
void backtrace(unsigned long rip, unsigned long rbp);
void backtrace_regs(unsigned long rip, unsigned long rsp, unsigned long rbp);

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)
#define ASSERT(c) BUG_ON(!(c))

/* Symbol of an address: name and offset, or NULL. */
const char *ksym_lookup(unsigned long addr, unsigned long *off);

/*
 * XTF-style result of the run (kernel/core/result.c): the status only gets
 * worse; NONE (nothing reported) ends as ERROR.
 */
/* Worst last: a run's result only moves up.  The enum and result_name's table come from it. */
#define TEST_RESULTS(X) X(NONE) X(SUCCESS) X(SKIP) X(ERROR) X(FAILURE)
#define TEST_RESULT_ENUM(r) RESULT_##r,
enum test_result { TEST_RESULTS(TEST_RESULT_ENUM) };
#undef TEST_RESULT_ENUM
void result_report(enum test_result r, const char *why);
enum test_result result_get(void);
/* The result as the run ends: NONE becomes ERROR, with a line saying why. */
enum test_result result_final(void);
/* "SUCCESS", "SKIP", ... : the one status-name table. */
const char *result_name(enum test_result r);

/* The end of the run (kernel/core/exit.c). */
/* Stop the other cpus, print "Test result: X" and shut down as exit= says. */
void __noreturn kernel_finish(void);
/* The same with the shutdown reason given (a domU's control/shutdown). */
void __noreturn kernel_finish_with(unsigned reason);
/* Shut the domain down now with reason (SHUTDOWN_*). */
void __noreturn kernel_shutdown(unsigned reason);
/*
 * How panic and the end of the run stop the other cpus without calling up
 * into kernel/smp: smp installs it; until then it does nothing.
 */
void kernel_set_stop_others(void (*fn)(void));
/* exit=kexec: how kernel_finish jumps (kernel/kexec installs it once armed; returns only on failure). */
void kernel_set_exit_kexec(int (*fn)(void));
void kernel_stop_others(void);

extern char kernel_cmdline[MAX_GUEST_CMDLINE + 1];
extern uint64_t boot_time_ns;

#endif
