/* SPDX-License-Identifier: MIT */
/*
 * sched_fault= (test only): break one scheduler rule so the sched suite can
 * show that it notices.  Consulted only when a thread is made (its steal
 * mask) and when a cpu's steal order is built, never per schedule() or per
 * steal: the hot paths read what was decided here.
 */
#include "internal.h"
#include <kernel/cmdline.h>

static const char *const fault_names[] = { "none", "flat_steal", "ignore_affinity", NULL };
enum { FAULT_NONE, FAULT_FLAT_STEAL, FAULT_IGNORE_AFFINITY };
static int opt_fault = FAULT_NONE;
KOPT_ENUM(sched_fault, "sched_fault", opt_fault, fault_names,
          "test: break one rule so the sched suite can show it notices: flat_steal (steal "
          "in cpu number order) | ignore_affinity (steal threads whatever their mask)");

/* Every cpu: what ignore_affinity lets any cpu steal. */
static struct cpumask any_cpu = { .bits = { [0 ... NR_CPUS / 64 - 1] = ~0UL } };

const struct cpumask *fault_steal_mask(const struct thread *t)
{
    return opt_fault == FAULT_IGNORE_AFFINITY ? &any_cpu : &t->affinity;
}

bool fault_flat_order(void)
{
    return opt_fault == FAULT_FLAT_STEAL;
}

const char *fault_order_name(void)
{
    return opt_fault == FAULT_FLAT_STEAL ? "flat (sched_fault)" : "by topology";
}

const char *fault_affinity_note(void)
{
    return opt_fault == FAULT_IGNORE_AFFINITY ? ", steals ignore affinity (sched_fault)" : "";
}
