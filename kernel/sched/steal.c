/* SPDX-License-Identifier: MIT */
/*
 * Stealing: each cpu's steal order (every other cpu, nearest topology level
 * first: SMT siblings, die, package, other packages) and taking one queued
 * thread from the nearest cpu that has one.  Placement (select_cpu) and the
 * kick of an idle cpu (kick_for_queued) walk the same order; they are in
 * rq.c, below this file, and so is steal_order itself.
 */
#include "internal.h"
#include <kernel/mm.h>

/* Double-buffered so sched_cpu_up can rebuild one while others read it. */
static struct near *order_buf[NR_CPUS][2];

bool steal_order_alloc(unsigned cpu)
{
    for (int b = 0; b < 2; b++) {
        order_buf[cpu][b] = kmalloc(nr_cpus * sizeof(struct near));
        if (!order_buf[cpu][b])
            return false;
    }
    return true;
}

void build_order(unsigned cpu)
{
    int sel = order_buf[cpu][0] == steal_order[cpu] ? 1 : 0;
    struct near *o = order_buf[cpu][sel];
    uint8_t lv[NR_CPUS];
    unsigned n = 0;

    for (unsigned b = 0; b < nr_cpus; b++) {
        unsigned l = b == cpu ? TOPO_SELF : (unsigned)cpu_topo_level(cpu, b);
        /* Two cpus are never the same place; an out-of-range answer counts as farthest. */
        lv[b] = (uint8_t)(b == cpu ? TOPO_SELF : l == TOPO_SELF ? TOPO_SMT :
                          l > TOPO_OTHER ? TOPO_OTHER : l);
    }
    if (fault_flat_order()) {
        for (unsigned b = 0; b < nr_cpus; b++)
            if (b != cpu)
                o[n++] = (struct near){ (uint16_t)b, lv[b] };
    } else {
        for (unsigned l = TOPO_SMT; l <= TOPO_OTHER; l++)
            for (unsigned b = 0; b < nr_cpus; b++)
                if (b != cpu && lv[b] == l)
                    o[n++] = (struct near){ (uint16_t)b, (uint8_t)l };
    }
    ASSERT(n == nr_cpus - 1);
    atomic_store(&steal_order[cpu], o);
}

/* Take one queued thread that may run on me, nearest cpu first. */
struct thread *steal(struct percpu *pc)
{
    unsigned me = pc->cpu;
    const struct near *o = atomic_load(&steal_order[me]);
    for (unsigned i = 0; i < nr_cpus - 1; i++) {
        struct rq *v = cpu_rq(o[i].cpu);
        if (!READ_ONCE(v->nr))
            continue;
        spin_lock(&v->lock);
        struct thread *t = v->head;
        while (t && !may_steal(t, me))
            t = t->next;
        if (t) {
            /* cpu before rq: whoever sees rq == NULL sees the new cpu (TSO). */
            t->cpu = me;
            barrier();
            rq_remove(v, t);
        }
        spin_unlock(&v->lock);
        if (t) {
            pc->steal[o[i].level]++;
            if (pc->steal_first < 0) {
                pc->steal_first_from = o[i].cpu;
                pc->steal_first = o[i].level;
            }
            return t;
        }
    }
    return NULL;
}
