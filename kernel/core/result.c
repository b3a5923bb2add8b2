/* SPDX-License-Identifier: MIT */
/*
 * The run's XTF-style result and KTAP reporting.  As in XTF
 * (common/report.c), the status only gets worse, and a run that reported
 * nothing at all is an ERROR: silence is not success.
 */
#include <kernel/test.h>
#include <kernel/printk.h>
#include <arch/x86.h>

static unsigned next_case = 1;
static volatile int result = RESULT_NONE;
static volatile bool skipped;           /* a case was skipped: a run of nothing but skips is SKIP */
static spinlock_t ktap_lock = SPINLOCK_INIT;

const char *result_name(enum test_result r)
{
#define NAME(r) #r,
    static const char *const names[] = { TEST_RESULTS(NAME) };
#undef NAME
    return (unsigned)r < ARRAY_SIZE(names) ? names[r] : "?";
}

void result_report(enum test_result r, const char *why)
{
    int cur = result;
    while ((int)r > cur && !atomic_cas(&result, &cur, (int)r))
        ;
    if (r != RESULT_SUCCESS && why)
        printk_level(LOG_ERR, "result: %s", why);
}

enum test_result result_get(void) { return (enum test_result)result; }

enum test_result result_final(void)
{
    if (result == RESULT_NONE && skipped)
        result_report(RESULT_SKIP, "every case was skipped");
    if (result == RESULT_NONE)
        result_report(RESULT_ERROR, "no status reported: the run proved nothing");
    return result_get();
}

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
    if (ok) {
        printk_raw("ok %u %s\n", n, name);
        result_report(RESULT_SUCCESS, NULL);
    } else {
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
    skipped = true;             /* a skipped case among passing ones leaves the run SUCCESS */
}
