/* SPDX-License-Identifier: MIT */
/*
 * The one bounded wait: "until done(arg), at most bound_ns, idling with
 * idle() between looks".  Every wait in minipv is this loop; the bound comes
 * from <minipv/bounds.h>.  idle is what the caller may do while it waits:
 * wait_idle_spin (events masked, nothing else may run), wait_idle_yield
 * (give the physical CPU back to Xen), or a kernel idle such as
 * thread_yield (other threads of this cpu run).
 */
#ifndef XENPV_WAIT_H
#define XENPV_WAIT_H
#include <minipv/compiler.h>
#include <minipv/bounds.h>

typedef bool (*wait_done_fn)(void *arg);
typedef void (*wait_idle_fn)(void);

void wait_idle_spin(void);      /* cpu_relax: for paths that must not leave the cpu */
void wait_idle_yield(void);     /* SCHEDOP_yield: the vCPU gives its slot to another */

/*
 * true as soon as done(arg) holds (checked first, and once more at the bound,
 * so a wait that ends exactly at the bound is not a timeout); false when
 * bound_ns of Xen system time passed.  Before shared_info is mapped time
 * stands still: the bound is then counted in looks (one per microsecond).
 */
bool wait_until(wait_done_fn done, void *arg, uint64_t bound_ns, wait_idle_fn idle);

#endif
