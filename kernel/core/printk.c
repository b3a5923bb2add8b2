/* SPDX-License-Identifier: MIT */
/* printk: format, prefix with cpu and Xen system time, write whole lines under one lock. */
#include <kernel/printk.h>
#include <kernel/cmdline.h>
#include <xenpv/xenpv.h>
#include <xenpv/wait.h>
#include <arch/x86.h>
#include <minipv/string.h>

uint64_t loglevel = 7;
KOPT_UINT(loglevel, "loglevel", loglevel, 0, 8, "print messages below this level (0-8)");

static volatile int lock_owner = -1;   /* cpu holding the console, -1 if free */

static bool console_trylock(void *me)
{
    int expect = -1;
    return atomic_cas(&lock_owner, &expect, *(int *)me);
}

static unsigned long console_lock(void)
{
    unsigned long flags = irq_save();
    int me = (int)smp_processor_id();
    if (lock_owner == me)
        return flags | 2;           /* nested (fault inside printk): write unlocked */
    /* A holder that died mid-line must not silence everyone: take the lock then. */
    if (!wait_until(console_trylock, &me, BOUND_PRINTK_LOCK_NS, wait_idle_spin))
        atomic_store(&lock_owner, me);
    return flags;
}

static void console_unlock(unsigned long flags)
{
    if (!(flags & 2))
        atomic_store(&lock_owner, -1);
    irq_restore(flags & 1);
}

void printk_force_unlock(void)
{
    atomic_store(&lock_owner, -1);
}

static void emit(const char *buf, size_t len)
{
    unsigned long f = console_lock();
    xen_console_write(buf, len);
    console_unlock(f);
}

void vprintk_level(int level, const char *fmt, va_list ap)
{
    /* Emergency lines (fault dumps, panics) print whatever loglevel= says. */
    if (level > LOG_EMERG && (uint64_t)level >= loglevel)
        return;
    char line[512];
    uint64_t t = this_cpu()->vcpu_info ? xen_system_time() : 0;
    int n = snprintf(line, sizeof(line), "[cpu %u t=%llu.%06llu] ", smp_processor_id(),
                     (unsigned long long)(t / 1000000000ULL),
                     (unsigned long long)(t % 1000000000ULL / 1000));
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    size_t len = MIN((size_t)(n + m), sizeof(line) - 2);
    if (len && line[len - 1] != '\n')
        line[len++] = '\n';
    emit(line, len);
}

void printk_level(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(level, fmt, ap);
    va_end(ap);
}

void printk_write(const char *buf, size_t len)
{
    emit(buf, len);
}

void printk_raw(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    emit(line, MIN((size_t)n, sizeof(line) - 1));
}
