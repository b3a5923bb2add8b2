/* SPDX-License-Identifier: MIT */
/* The one bounded wait (include/xenpv/wait.h). */
#include <xenpv/wait.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/x86.h>

void wait_idle_spin(void)
{
    cpu_relax();
}

void wait_idle_yield(void)
{
    hypercall_sched_op(SCHEDOP_yield, NULL);
}

bool wait_until(wait_done_fn done, void *arg, uint64_t bound_ns, wait_idle_fn idle)
{
    if (done(arg))
        return true;
    bool clock = xen_shared_info != NULL;
    uint64_t deadline = clock ? xen_system_time() + bound_ns : 0;
    uint64_t looks = 0, max_looks = bound_ns / 1000;
    for (;;) {
        idle();
        if (done(arg))
            return true;
        if (clock ? xen_system_time() >= deadline : ++looks > max_looks)
            return done(arg);
    }
}
