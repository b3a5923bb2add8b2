/* SPDX-License-Identifier: MIT */
/*
 * Life events and their participants: everything that holds state Xen or
 * the next kernel must see goes through one registered participant, so a
 * life event is a walk over a list, not hand wiring in its caller.
 *
 * Events: kexec (a planned jump into a new kernel), kdump (a jump from a
 * crash into the crash kernel), suspend (save/restore, migration: the
 * domain is frozen by Xen and goes on in this domain or a new one).
 *
 * The contract, in the order a walk calls the hooks (each may be NULL):
 *
 *   quiesce(ev)   before the event, lowest order first, on the cpu that
 *                 leads it, events masked.  Bring the subsystem to a point
 *                 where its state can be carried (a xenstore message
 *                 boundary, the other vCPUs parked).  May fail: the walk
 *                 then resumes the ones already quiesced, in reverse, with
 *                 LIFE_SAME_DOMAIN, and the event does not happen.  kdump
 *                 skips it: the crash path has already stopped everything.
 *   write(ev, h)  kexec and kdump only, past the point of no return: put
 *                 this subsystem's fields into the handoff h (its own
 *                 record(s): include/kernel/handoff.h).  Never fails, never
 *                 sleeps, never takes a lock another cpu may hold.
 *   read(h)       in the new kernel, at intake, before memory management:
 *                 copy its fields out of the decoded handoff.  Nothing else.
 *   resume(how)   after the event, highest order first (the undo of
 *                 quiesce): LIFE_SAME_DOMAIN (a refused or cancelled event:
 *                 undo only what quiesce did), LIFE_NEW_DOMAIN (suspend
 *                 came back in a new domain: every Xen binding is gone),
 *                 LIFE_NEW_KERNEL (the new kernel, once every vCPU of the
 *                 old one has arrived).
 *
 * The point of no return is the vCPU participant's quiesce for kexec (the
 * others stop and park) and the crash path's NMI for kdump: from there the
 * old kernel does not go on, whatever a later hook finds.
 *
 * Registering is data: LIFE_PARTICIPANT puts the entry in the minipv_life
 * linker section, sorted by its two-digit order, so a low layer's walker
 * reaches a higher layer's hooks without calling up.
 */
#ifndef KERNEL_LIFE_H
#define KERNEL_LIFE_H
#include <minipv/compiler.h>

struct handoff;

/* One list: the enum and its names. */
#define LIFE_EVENTS(X) X(LIFE_KEXEC, "kexec") X(LIFE_KDUMP, "kdump") X(LIFE_SUSPEND, "suspend")
#define LIFE_RESUMES(X) \
    X(LIFE_SAME_DOMAIN, "same domain") X(LIFE_NEW_DOMAIN, "new domain") \
    X(LIFE_NEW_KERNEL, "new kernel")
#define LIFE_ENUM_(id, name) id,
enum life_event { LIFE_EVENTS(LIFE_ENUM_) LIFE_NR_EVENTS };
enum life_resume { LIFE_RESUMES(LIFE_ENUM_) LIFE_NR_RESUMES };

struct life_participant {
    const char *name;
    unsigned order;
    int (*quiesce)(enum life_event ev);
    void (*write)(enum life_event ev, struct handoff *h);
    void (*read)(const struct handoff *h);
    void (*resume)(enum life_resume how);
};

/*
 * LIFE_PARTICIPANT(20, vcpus, .quiesce = ..., .write = ...): ORDER is two
 * digits (the linker sorts the section by name).  The orders in use:
 *   20 timers    30 xenstore  40 console   50 events    60 mm
 *   70 result    80 crash     85 region    90 vcpus (last: its quiesce for
 *   kexec is the point of no return); 95 xenstore_early (resume only, so
 *   first: a suspend's watches sent while the rest resumes).  10 is kept for the scheduler, which
 *   carries nothing across a kexec; suspend gives it a resume hook (deadlines).
 */
#define LIFE_PARTICIPANT(ord, id, ...)                                                  \
    static const struct life_participant life_##id __used                               \
        __section("minipv_life." #ord) __aligned(8) = { .name = #id, .order = ord, __VA_ARGS__ }

extern const struct life_participant __start_minipv_life[], __stop_minipv_life[];

/* The walks (kernel/core/life.c).  0, or the failing participant's error (then undone). */
int life_quiesce(enum life_event ev);
void life_write(enum life_event ev, struct handoff *h);
void life_read(const struct handoff *h);
void life_resume(enum life_resume how);
/*
 * The same walk, timed: after each participant's resume, steps[i] gets its
 * name and clock() (at most max steps; returns how many).  The suspend's
 * resume line prints the split, so what is on its critical path shows.
 */
struct life_step {
    const char *name;
    uint64_t end_ns;
};
unsigned life_resume_timed(enum life_resume how, uint64_t (*clock)(void),
                           struct life_step *steps, unsigned max);
const char *life_event_name(enum life_event ev);
/*
 * One event at a time: a suspend must not start under a kexec and the
 * other way round.  -1: ev is under way now (end it with life_end); else
 * the event already under way, and ev must not start.  A crash takes no
 * turn: it stops everything whatever runs.
 */
int life_begin(enum life_event ev);
void life_end(enum life_event ev);
const char *life_resume_name(enum life_resume how);

#endif
