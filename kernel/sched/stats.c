/* SPDX-License-Identifier: MIT */
/* Steal counts per cpu and topology level (this_cpu()->steal[], steal_first). */
#include "internal.h"

const char *sched_level_name(int level)
{
    static const char *const n[] = { "self", "smt", "die", "pkg", "other" };
    return level >= 0 && level < TOPO_NR_LEVELS ? n[level] : "none";
}

void sched_stats_reset(void)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        struct percpu *pc = per_cpu(c);
        for (unsigned l = 0; l < TOPO_NR_LEVELS; l++)
            pc->steal[l] = 0;
        pc->steal_first = -1;
    }
}

uint64_t sched_steals_total(unsigned level)
{
    uint64_t n = 0;
    if (level < TOPO_NR_LEVELS)
        for (unsigned c = 0; c < nr_cpus; c++)
            n += per_cpu(c)->steal[level];
    return n;
}

void sched_report_steals(const char *what)
{
    for (unsigned c = 0; c < nr_cpus; c++) {
        const struct percpu *pc = per_cpu(c);
        if (pc->steal_first < 0)
            continue;
        printk("sched: %s: cpu %u steals smt %llu die %llu pkg %llu other %llu, first: %s "
               "from cpu %u", what, c, (unsigned long long)pc->steal[TOPO_SMT],
               (unsigned long long)pc->steal[TOPO_DIE], (unsigned long long)pc->steal[TOPO_PKG],
               (unsigned long long)pc->steal[TOPO_OTHER], sched_level_name(pc->steal_first),
               pc->steal_first_from);
    }
    printk("sched: %s: steal totals smt %llu die %llu pkg %llu other %llu", what,
           (unsigned long long)sched_steals_total(TOPO_SMT),
           (unsigned long long)sched_steals_total(TOPO_DIE),
           (unsigned long long)sched_steals_total(TOPO_PKG),
           (unsigned long long)sched_steals_total(TOPO_OTHER));
}
