/* SPDX-License-Identifier: MIT */
/* The xen layer: console, shared_info/vcpu_info, time, event channels. */
#ifndef XENPV_XENPV_H
#define XENPV_XENPV_H
#include <minipv/compiler.h>
#include <minipv/percpu.h>
#include <xen/xen.h>
#include <xen/io/console.h>

extern struct start_info *xen_start_info;
extern struct shared_info *xen_shared_info;

static inline bool xen_is_dom0(void)
{
    return xen_start_info->flags & SIF_INITDOMAIN;
}

/* ---- console (xen/console.c) ---- */
void xen_console_init(struct start_info *si);
/* Write all of buf; a domU waits for ring space with a bound and drops on timeout. */
void xen_console_write(const char *buf, size_t len);
/* Non-blocking read from the domU console ring; returns bytes read (0 for dom0). */
size_t xen_console_read(char *buf, size_t max);
extern uint64_t xen_console_dropped;
/* Wait (bounded) until the console daemon has read all we wrote. */
void xen_console_flush(void);

/* ---- shared_info, vcpu_info (xen/shared_info.c) ---- */
int xen_map_shared_info(void);
/* Point pc->vcpu_info at the vCPU's legacy slot in shared_info (vcpu ids below 32). */
void xen_use_legacy_vcpu_info(struct percpu *pc);
/*
 * Register slot pc->cpu of our vcpu_info area as vcpu pc->vcpu_id's
 * vcpu_info; sets pc->vcpu_info and pc->vcpu_info_maddr.  Once per vCPU for
 * the life of the domain, cannot be undone: 0 or Xen's error.
 */
int xen_register_vcpu_info(struct percpu *pc);
/* Use the vcpu_info an earlier kernel registered at maddr (one of our mapped frames). */
int xen_adopt_vcpu_info(struct percpu *pc, uint64_t maddr);
/* Where cpu's vcpu_info goes when xen_register_vcpu_info registers it. */
uint64_t xen_vcpu_info_slot_maddr(unsigned cpu);
/* pfn holds part of our own vcpu_info area. */
bool xen_is_vcpu_info_frame(unsigned long pfn);
/* On pc's own vCPU: stop both timers, turn off the runstate and time areas. */
void xen_vcpu_quiesce(struct percpu *pc);
/* Any vCPU's runstate and time areas off (allowed on every vCPU of the domain). */
void xen_vcpu_drop_areas(unsigned vcpu_id);
/*
 * Another vCPU down by force (one that will not park itself: LOST), waiting
 * up to bound_ns until it no longer runs.  0, -ETIMEDOUT or Xen's error.
 * kernel/'s only VCPUOP_down of a vCPU but the caller's own; a cpu takes
 * itself down only in cpu_park() (kernel/smp/lifecycle.c).
 */
int xen_vcpu_force_down(unsigned vcpu_id, uint64_t bound_ns);

/* Where shared_info is mapped (the same address across a suspend). */
extern unsigned long xen_shared_info_va;

/* ---- suspend (xen/suspend.c): on vCPU 0's cpu, events masked, the others parked ---- */
/* Store and console frames to pfns, shared_info unmapped (xen_shared_info: a masked dummy). */
void xen_pre_suspend(void);
/* SCHEDOP_shutdown(SHUTDOWN_suspend): 1 the same domain goes on, 0 a new domain. */
long xen_suspend_hypercall(void);
/* The undo: shared_info mapped again (a new domain: its new frame), the console re-attached. */
int xen_post_suspend(bool new_domain);

/* ---- time (xen/time.c) ---- */
uint64_t xen_system_time(void);      /* ns since boot, from this vCPU's vcpu_time_info */
/* Xen's own system time (what a suspend's downtime is measured in); ours minus the downtime. */
uint64_t xen_raw_time(void);
/* An absolute time of ours as Xen counts it (timer and poll deadlines). */
uint64_t xen_time_to_xen(uint64_t ns);
/* After a suspend: ours goes on from ours_before, whatever Xen's clock says now (xen_now). */
void xen_time_rebase(uint64_t ours_before, uint64_t xen_now);
/* The offset itself (Xen's clock minus ours), handed to a kexec'd kernel so its clock goes on. */
uint64_t xen_time_offset(void);
void xen_time_set_offset(uint64_t offset);

/* ---- events (xen/events.c) ---- */
typedef void (*evtchn_handler_t)(uint32_t port, void *arg);
void xen_events_init(void);
/* Bind to pc's vCPU (pc->vcpu_id goes to Xen; the handler runs on that cpu only). */
int xen_bind_virq(unsigned virq, struct percpu *pc, evtchn_handler_t fn, void *arg, uint32_t *port);
int xen_bind_ipi(struct percpu *pc, evtchn_handler_t fn, void *arg, uint32_t *port);
int xen_bind_port(uint32_t port, struct percpu *pc, evtchn_handler_t fn, void *arg);
/* A masked port another domain (remote) may bind: for a polled split-driver ring. */
int xen_evtchn_alloc_unbound(uint16_t remote, uint32_t *port);
int xen_evtchn_close(uint32_t port);
int xen_evtchn_send(uint32_t port);
void xen_evtchn_mask(uint32_t port);
void xen_evtchn_unmask(uint32_t port);
void xen_upcall(void);               /* the event upcall body */
/* A new domain after a restore: forget every binding (nothing is closed) and mask all. */
void xen_events_forget(void);
/*
 * Walk every port of the domain (EVTCHNOP_status): count what is bound,
 * by kind, and with close set, close all but the keep[] ones (a kexec'd
 * kernel's sweep of what the old one left).
 */
struct xen_evtchn_census {
    unsigned ports, kept, virq, ipi, interdomain, unbound, other, xen_owned, closed;
};
int xen_evtchn_walk(const uint32_t *keep, unsigned nkeep, bool close, struct xen_evtchn_census *c);
extern uint64_t xen_spurious_events;

/* Per-vCPU upcall mask: the PV interrupt flag. */
static inline unsigned long irq_save(void)
{
    struct vcpu_info *vi = this_cpu()->vcpu_info;
    unsigned long old = vi->evtchn_upcall_mask;
    vi->evtchn_upcall_mask = 1;
    barrier();
    return old;
}
void xen_force_upcall(void);
static inline void irq_restore(unsigned long flags)
{
    barrier();
    struct vcpu_info *vi = this_cpu()->vcpu_info;
    vi->evtchn_upcall_mask = (uint8_t)flags;
    barrier();
    /* An event that arrived while masked is only delivered on the next hypercall. */
    if (!flags && READ_ONCE(vi->evtchn_upcall_pending))
        xen_force_upcall();
}
static inline void irq_disable(void) { (void)irq_save(); }
static inline void irq_enable(void) { irq_restore(0); }
static inline bool irqs_disabled(void) { return this_cpu()->vcpu_info->evtchn_upcall_mask; }

#endif
