/* SPDX-License-Identifier: MIT */
/*
 * The walks over the life-event participants (the contract:
 * include/kernel/life.h).  Low in the stack on purpose: kexec, kdump and a
 * later suspend path all walk the same list, whichever layer leads.
 */
#include <kernel/life.h>
#include <kernel/printk.h>
#include <arch/x86.h>

#define NAME_(id, name) name,
static const char *const event_names[] = { LIFE_EVENTS(NAME_) };
static const char *const resume_names[] = { LIFE_RESUMES(NAME_) };

const char *life_event_name(enum life_event ev)
{
    return (unsigned)ev < LIFE_NR_EVENTS ? event_names[ev] : "?";
}

const char *life_resume_name(enum life_resume how)
{
    return (unsigned)how < LIFE_NR_RESUMES ? resume_names[how] : "?";
}

/* The event under way, +1 (0: none): one at a time. */
static volatile int running;

int life_begin(enum life_event ev)
{
    int expect = 0;
    if (atomic_cas(&running, &expect, (int)ev + 1))
        return -1;
    return expect - 1;
}

void life_end(enum life_event ev)
{
    int expect = (int)ev + 1;
    atomic_cas(&running, &expect, 0);
}

/* The section's bounds (tests/host/test_life.c walks a table of its own instead). */
#ifndef LIFE_FIRST
#define LIFE_FIRST __start_minipv_life
#define LIFE_END __stop_minipv_life
#endif
#define FIRST LIFE_FIRST
#define END LIFE_END

int life_quiesce(enum life_event ev)
{
    for (const struct life_participant *p = FIRST; p < END; p++) {
        int rc = p->quiesce ? p->quiesce(ev) : 0;
        if (!rc)
            continue;
        pr_err("life: %s: %s refused to quiesce (%d): the event does not happen",
               life_event_name(ev), p->name, rc);
        while (p-- > FIRST)             /* undo the ones before it, in reverse */
            if (p->resume)
                p->resume(LIFE_SAME_DOMAIN);
        return rc;
    }
    return 0;
}

void life_write(enum life_event ev, struct handoff *h)
{
    for (const struct life_participant *p = FIRST; p < END; p++)
        if (p->write)
            p->write(ev, h);
}

void life_read(const struct handoff *h)
{
    for (const struct life_participant *p = FIRST; p < END; p++)
        if (p->read)
            p->read(h);
}

unsigned life_resume_timed(enum life_resume how, uint64_t (*clock)(void),
                           struct life_step *steps, unsigned max)
{
    unsigned n = 0;
    for (const struct life_participant *p = END; p-- > FIRST;) {
        if (!p->resume)
            continue;
        p->resume(how);
        if (clock && n < max)
            steps[n++] = (struct life_step){ .name = p->name, .end_ns = clock() };
    }
    return n;
}

void life_resume(enum life_resume how)
{
    life_resume_timed(how, NULL, NULL, 0);
}
