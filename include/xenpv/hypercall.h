/* SPDX-License-Identifier: MIT */
/* Typed wrappers for the arch-neutral hypercalls (the x86 ones are in arch/hypercall.h). */
#ifndef XENPV_HYPERCALL_H
#define XENPV_HYPERCALL_H
#include <arch/hypercall.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/event_channel.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/nmi.h>

static inline long hypercall_sched_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

/* vcpu is always a Xen vcpu id (cpu_to_vcpu(cpu)), never a logical cpu number. */
static inline long hypercall_vcpu_op(int cmd, unsigned vcpu, void *arg)
{
    return _hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static inline long hypercall_event_channel_op(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long hypercall_console_io(int cmd, unsigned len, const char *buf)
{
    return _hypercall3(__HYPERVISOR_console_io, cmd, len, buf);
}

static inline long hypercall_xen_version(int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long hypercall_memory_op(unsigned cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long hypercall_set_timer_op(uint64_t deadline_ns)
{
    return _hypercall1(__HYPERVISOR_set_timer_op, deadline_ns);
}

static inline long hypercall_shutdown(unsigned reason)
{
    struct sched_shutdown s = { .reason = reason };
    return hypercall_sched_op(SCHEDOP_shutdown, &s);
}

#endif
