/* SPDX-License-Identifier: MIT */
/* KTAP reporting and the XTF-style result. */
#include <kernel/test.h>
#include <kernel/printk.h>
#include <arch/x86.h>

static unsigned next_case = 1;
static volatile int result = RESULT_SUCCESS;
static spinlock_t ktap_lock = SPINLOCK_INIT;

void result_report(enum test_result r, const char *why)
{
    int cur = result;
    while ((int)r > cur && !atomic_cas(&result, &cur, (int)r))
        ;
    if (r != RESULT_SUCCESS && why)
        printk_level(LOG_ERR, "result: %s", why);
}

enum test_result result_get(void) { return (enum test_result)result; }

void ktap_begin(unsigned ncases)
{
    printk_raw("KTAP version 1\n1..%u\n", ncases);
    next_case = 1;
}

void ktap_case(bool ok, const char *name, const char *fmt, ...)
{
    char why[256] = "";
    if (!ok) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
    }
    spin_lock(&ktap_lock);
    unsigned n = next_case++;
    spin_unlock(&ktap_lock);
    if (ok)
        printk_raw("ok %u %s\n", n, name);
    else {
        printk_raw("not ok %u %s # %s\n", n, name, why);
        result_report(RESULT_FAILURE, NULL);
    }
}

void ktap_skip(const char *name, const char *why)
{
    spin_lock(&ktap_lock);
    unsigned n = next_case++;
    spin_unlock(&ktap_lock);
    printk_raw("ok %u %s # SKIP %s\n", n, name, why);
}
