/* SPDX-License-Identifier: MIT */
/* 2-level event channel ABI: upcall demux, binding, masking. */
#include <minipv/errno.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/x86.h>
#include <minipv/errno.h>

#define NR_PORTS (sizeof(unsigned long) * 8 * sizeof(unsigned long) * 8)

static struct {
    evtchn_handler_t fn;
    void *arg;
} handlers[NR_PORTS];

/*
 * 2-level ABI: pending bits are shared by all vCPUs; Xen only sets the
 * selector bit on the port's notify vCPU.  A vCPU scanning a word must take
 * just its own ports, or it runs another cpu's IPI/timer handler.
 */
static uint16_t port_owner[NR_PORTS];     /* logical cpu + 1; 0: none of ours */

uint64_t xen_spurious_events;

void xen_force_upcall(void)
{
    /* Any hypercall returns through Xen's pending-event check. */
    hypercall_xen_version(XENVER_version, NULL);
}

void xen_upcall(void)
{
    struct percpu *pc = this_cpu();
    struct vcpu_info *vi = pc->vcpu_info;
    struct shared_info *s = xen_shared_info;

    pc->upcall_count++;
    do {
        vi->evtchn_upcall_pending = 0;
        unsigned long sel = atomic_xchg(&vi->evtchn_pending_sel, 0UL);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzl(sel);
            sel &= sel - 1;
            unsigned long pend = READ_ONCE(s->evtchn_pending[w]) & ~READ_ONCE(s->evtchn_mask[w]);
            while (pend) {
                unsigned b = (unsigned)__builtin_ctzl(pend);
                pend &= pend - 1;
                uint32_t port = w * 64 + b;
                if (READ_ONCE(port_owner[port]) != pc->cpu + 1)
                    continue;           /* another cpu's: leave it pending for its owner */
                /* Clear before handling: an event raised during the handler is not lost. */
                clear_bit(b, &s->evtchn_pending[w]);
                if (handlers[port].fn)
                    handlers[port].fn(port, handlers[port].arg);
                else
                    xen_spurious_events++;
            }
        }
    } while (READ_ONCE(vi->evtchn_upcall_pending));
}

/* Record that port is delivered to pc's vCPU (Xen already notifies it there). */
static int attach(uint32_t port, struct percpu *pc, evtchn_handler_t fn, void *arg)
{
    if (port >= NR_PORTS)
        return -EINVAL;
    handlers[port].arg = arg;
    barrier();
    handlers[port].fn = fn;
    WRITE_ONCE(port_owner[port], (uint16_t)(pc->cpu + 1));
    xen_evtchn_unmask(port);
    return 0;
}

int xen_bind_port(uint32_t port, struct percpu *pc, evtchn_handler_t fn, void *arg)
{
    /* Interdomain ports notify vcpu 0 unless moved; move it to the cpu that wants it. */
    struct evtchn_bind_vcpu op = { .port = port, .vcpu = pc->vcpu_id };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_vcpu, &op);
    if (rc)
        return (int)rc;
    return attach(port, pc, fn, arg);
}

int xen_bind_virq(unsigned virq, struct percpu *pc, evtchn_handler_t fn, void *arg, uint32_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = pc->vcpu_id };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &op);
    if (rc)
        return (int)rc;
    *port = op.port;
    return attach(op.port, pc, fn, arg);
}

int xen_bind_ipi(struct percpu *pc, evtchn_handler_t fn, void *arg, uint32_t *port)
{
    struct evtchn_bind_ipi op = { .vcpu = pc->vcpu_id };
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &op);
    if (rc)
        return (int)rc;
    *port = op.port;
    return attach(op.port, pc, fn, arg);
}

int xen_evtchn_alloc_unbound(uint16_t remote, uint32_t *port)
{
    /* A port for a split driver's backend to bind; masked: its user polls it (SCHEDOP_poll). */
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &op);
    if (rc)
        return (int)rc;
    xen_evtchn_mask(op.port);
    *port = op.port;
    return 0;
}

int xen_evtchn_close(uint32_t port)
{
    struct evtchn_close op = { .port = port };
    xen_evtchn_mask(port);
    if (port < NR_PORTS) {
        handlers[port].fn = NULL;
        WRITE_ONCE(port_owner[port], 0);
    }
    return (int)hypercall_event_channel_op(EVTCHNOP_close, &op);
}

int xen_evtchn_send(uint32_t port)
{
    struct evtchn_send op = { .port = port };
    return (int)hypercall_event_channel_op(EVTCHNOP_send, &op);
}

void xen_evtchn_mask(uint32_t port)
{
    set_bit(port % 64, &xen_shared_info->evtchn_mask[port / 64]);
}

void xen_evtchn_unmask(uint32_t port)
{
    /* The hypercall re-raises a pending event on the port's bound vCPU. */
    struct evtchn_unmask op = { .port = port };
    hypercall_event_channel_op(EVTCHNOP_unmask, &op);
}

void xen_events_init(void)
{
    /* Mask everything until a handler is bound; Xen may hand us stale bits after kexec. */
    for (unsigned i = 0; i < ARRAY_SIZE(xen_shared_info->evtchn_mask); i++)
        xen_shared_info->evtchn_mask[i] = ~0UL;
}

void xen_events_forget(void)
{
    /*
     * A restore into a new domain: every channel of ours is gone, and the
     * numbers may already be reused by the toolstack's new console and
     * store ports, so nothing is closed, only forgotten.  Restore also
     * masked every port; keep them so until each is bound again.
     */
    for (uint32_t port = 0; port < NR_PORTS; port++) {
        handlers[port].fn = NULL;
        WRITE_ONCE(port_owner[port], 0);
    }
    xen_events_init();
}

int xen_evtchn_walk(const uint32_t *keep, unsigned nkeep, bool close, struct xen_evtchn_census *c)
{
    /*
     * Xen (common/event_channel.c): EVTCHNOP_status answers every port below
     * d->valid_evtchns (-EINVAL past them), -EACCES for the ones Xen itself
     * consumes; EVTCHNOP_close works on a port bound to any vCPU and clears
     * its pending bit.  Never EVTCHNOP_reset: it would close the console and
     * xenstore ports too, and the toolstack would not know the new ones.
     */
    *c = (struct xen_evtchn_census){ 0 };
    for (uint32_t port = 1; port < NR_PORTS; port++) {
        struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
        long rc = hypercall_event_channel_op(EVTCHNOP_status, &st);
        if (rc == -EINVAL)
            break;
        if (rc) {
            c->xen_owned += rc == -EACCES;
            continue;
        }
        c->ports = port + 1;
        if (st.status == EVTCHNSTAT_closed)
            continue;
        bool kept = false;
        for (unsigned i = 0; i < nkeep; i++)
            kept |= keep[i] == port;
        if (kept) {
            c->kept++;
            continue;
        }
        switch (st.status) {
        case EVTCHNSTAT_virq: c->virq++; break;
        case EVTCHNSTAT_ipi: c->ipi++; break;
        case EVTCHNSTAT_interdomain: c->interdomain++; break;
        case EVTCHNSTAT_unbound: c->unbound++; break;
        default: c->other++; break;
        }
        if (close && !xen_evtchn_close(port))
            c->closed++;
    }
    return 0;
}
