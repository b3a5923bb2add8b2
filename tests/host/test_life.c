/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the life-event walks (kernel/core/life.c): quiesce in
 * order, a refusal undone in reverse and named, write/read in order,
 * resume in reverse, the names from the same lists as the enums.
 */
#include <string.h>
#include <stdarg.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"

struct life_participant;
static const struct life_participant *test_first, *test_end;
#define LIFE_FIRST test_first
#define LIFE_END test_end
#include "../../kernel/core/life.c"

static char calls[256], msg[256];
static int refuse_at = -1;                 /* which participant's quiesce fails (-1: none) */

void printk_level(int level, const char *fmt, ...)
{
    (void)level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
}

static void note(const char *what, int who)
{
    size_t n = strlen(calls);
    snprintf(calls + n, sizeof(calls) - n, "%s%s%d", n ? " " : "", what, who);
}

#define HOOKS(i)                                                                        \
    static int q##i(enum life_event ev)                                                 \
    {                                                                                   \
        (void)ev;                                                                       \
        note("q", i);                                                                   \
        return refuse_at == i ? -16 : 0;                                                \
    }                                                                                   \
    static void w##i(enum life_event ev, struct handoff *h) { (void)ev; (void)h; note("w", i); } \
    static void r##i(const struct handoff *h) { (void)h; note("r", i); }              \
    static void s##i(enum life_resume how) { note(how == LIFE_SAME_DOMAIN ? "u" : "s", i); }
HOOKS(1) HOOKS(2) HOOKS(3)

static const struct life_participant parts[] = {
    { .name = "one", .order = 10, .quiesce = q1, .write = w1, .read = r1, .resume = s1 },
    { .name = "two", .order = 20, .quiesce = q2, .write = w2, .read = r2, .resume = s2 },
    { .name = "bare", .order = 25 },       /* no hooks at all: skipped */
    { .name = "three", .order = 30, .quiesce = q3, .write = w3, .read = r3, .resume = s3 },
};

static int walk(int (*fn)(void))
{
    calls[0] = 0;
    msg[0] = 0;
    return fn();
}
static int do_quiesce(void) { return life_quiesce(LIFE_SUSPEND); }
static int do_write(void) { life_write(LIFE_KEXEC, NULL); return 0; }
static int do_read(void) { life_read(NULL); return 0; }
static int do_resume(void) { life_resume(LIFE_NEW_DOMAIN); return 0; }
/* The timed walk's clock: notes each look, so the calls show it comes after each resume. */
static uint64_t ticks;
static uint64_t fake_clock(void) { note("c", (int)++ticks); return ticks * 100; }
static struct life_step steps[3];
static unsigned nsteps, steps_max;
static int do_resume_timed(void)
{
    ticks = 0;
    memset(steps, 0, sizeof(steps));
    nsteps = life_resume_timed(LIFE_NEW_DOMAIN, fake_clock, steps, steps_max);
    return 0;
}

int main(void)
{
    ktap_plan(11);
    test_first = parts;
    test_end = parts + sizeof(parts) / sizeof(parts[0]);
    CASE(walk(do_quiesce) == 0 && !strcmp(calls, "q1 q2 q3"), "quiesce walks in order",
         "'%s'", calls);
    refuse_at = 2;
    int rc = walk(do_quiesce);
    CASE(rc == -16 && !strcmp(calls, "q1 q2 u1"),
         "a refusal stops the walk and undoes the ones before it (same domain), in reverse",
         "rc %d '%s'", rc, calls);
    CASE(strstr(msg, "suspend: two refused to quiesce (-16)") != NULL, "the refusal is named",
         "'%s'", msg);
    refuse_at = 3;
    walk(do_quiesce);
    CASE(!strcmp(calls, "q1 q2 q3 u2 u1"), "a refusal by the last undoes all others in reverse",
         "'%s'", calls);
    refuse_at = -1;
    walk(do_write);
    CASE(!strcmp(calls, "w1 w2 w3"), "write walks in order", "'%s'", calls);
    walk(do_read);
    int ok_read = !strcmp(calls, "r1 r2 r3");
    walk(do_resume);
    CASE(ok_read && !strcmp(calls, "s3 s2 s1"), "read in order, resume in reverse", "'%s'", calls);
    steps_max = 3;
    walk(do_resume_timed);
    CASE(nsteps == 3 && !strcmp(calls, "s3 c1 s2 c2 s1 c3") && !strcmp(steps[0].name, "three") &&
             steps[0].end_ns == 100 && !strcmp(steps[2].name, "one") && steps[2].end_ns == 300,
         "timed resume: the clock read after each participant's resume, named, in walk order",
         "%u '%s' %s", nsteps, calls, steps[0].name ? steps[0].name : "-");
    steps_max = 1;
    walk(do_resume_timed);
    CASE(nsteps == 1 && !strcmp(calls, "s3 c1 s2 s1") && !steps[1].name,
         "timed resume: at most max steps kept, every participant still resumed", "%u '%s'",
         nsteps, calls);
    CASE(!strcmp(life_event_name(LIFE_SUSPEND), "suspend") &&
             !strcmp(life_resume_name(LIFE_NEW_KERNEL), "new kernel") &&
             !strcmp(life_event_name((enum life_event)7), "?"),
         "names from the same lists as the enums", "%s", life_event_name(LIFE_KDUMP));
    /* One event at a time: a suspend under a kexec (and back) is refused, naming it. */
    int first = life_begin(LIFE_KEXEC), second = life_begin(LIFE_SUSPEND);
    int again = life_begin(LIFE_KEXEC);
    CASE(first == -1 && second == LIFE_KEXEC && again == LIFE_KEXEC,
         "life_begin: a second event is refused and told which one runs",
         "%d %d %d", first, second, again);
    life_end(LIFE_SUSPEND);             /* not the running one: changes nothing */
    int still = life_begin(LIFE_SUSPEND);
    life_end(LIFE_KEXEC);
    int after = life_begin(LIFE_SUSPEND);
    life_end(LIFE_SUSPEND);
    CASE(still == LIFE_KEXEC && after == -1,
         "life_end: only the running event ends it; then the next may begin", "%d %d", still,
         after);
    return ktap_done();
}
