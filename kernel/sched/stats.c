/* SPDX-License-Identifier: MIT */
/*
 * Steal counts per cpu and topology level (this_cpu()->steal[], steal_first),
 * and what the scheduler looked like when a wait on a thread timed out.
 */
#include "internal.h"
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>

static const char *const state_names[] = { "RUNNING", "RUNNABLE", "BLOCKED", "DEAD" };

/* One cpu's scheduler, as far as a racy read shows it, and what Xen says its vCPU does. */
static void dump_cpu(unsigned c, uint64_t now)
{
    struct rq *rq = cpu_rq(c);
    struct percpu *pc = per_cpu(c);
    struct thread *cur = pc->current;
    uint64_t armed = rq->armed, dl = pc->timer_deadline;
    struct vcpu_runstate_info rs = { .state = -1 };
    /* Xen (common/domain.c VCPUOP_get_runstate_info): any vCPU of the domain. */
    hypercall_vcpu_op(VCPUOP_get_runstate_info, pc->vcpu_id, &rs);
    printk("sched: cpu %u %s: running '%s', %u queued, active %d started %d idling %d kicked %d "
           "need_resched %d tick_armed %d timer_dirty %d, armed %lld us, timer %lld us, slice end "
           "%lld us from now; Xen: runstate %d for %lld us, ran %llu ms, runnable %llu ms, "
           "%lu upcalls", c, cpu_state_name(cpu_state(pc)), cur ? cur->name : "-",
           rq->nr, rq->active, rq->started, rq->idling, rq->kicked, rq->need_resched,
           rq->tick_armed, rq->timer_dirty, armed ? (long long)(armed - now) / 1000 : -1,
           dl ? (long long)(dl - now) / 1000 : -1, (long long)(rq->slice_end - now) / 1000,
           rs.state, (long long)(now - rs.state_entry_time) / 1000,
           (unsigned long long)(rs.time[RUNSTATE_running] / 1000000),
           (unsigned long long)(rs.time[RUNSTATE_runnable] / 1000000),
           (unsigned long)pc->upcall_count);
}

/*
 * A join timed out: where t is and every cpu that has work queued (at most
 * 8 lines of them), so a thread left on a queue nobody serves is seen.
 */
void sched_dump(const struct thread *t)
{
    uint64_t now = xen_system_time();
    int st = t->state;
    struct rq *rq = t->rq;
    struct rq *srq = t->sleep_rq;
    printk("sched: thread '%s' %s on_cpu %d, cpu %u, %s, %s %lld us", t->name,
           st >= 0 && st <= T_DEAD ? state_names[st] : "?", t->on_cpu, t->cpu,
           rq ? "queued" : "not queued", srq ? "sleeping, wakes in" : "not sleeping, wake_at",
           (long long)(t->wake_at - now) / 1000);
    unsigned shown = 0;
    for (unsigned c = 0; c < nr_cpus && shown < 8; c++)
        if (c == t->cpu || READ_ONCE(cpu_rq(c)->nr)) {
            dump_cpu(c, now);
            shown++;
        }
}

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
