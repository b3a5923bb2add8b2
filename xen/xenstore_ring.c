/* SPDX-License-Identifier: MIT */
/*
 * The xenstore client's transport on the start_info store ring
 * (docs/misc/xenstore-ring.txt): bytes in and out, incoming messages
 * assembled and dispatched (replies, watch events), the waits, and where
 * the streams stand for a kexec.  The xen layer: no printing, no heap.
 *
 * The ring page holds two byte rings with free-running 32-bit indexes.  We
 * produce into req[] (req_prod) and consume rsp[] (rsp_cons); xenstored
 * does the opposite.  Each direction carries a stream of messages: a
 * struct xsd_sockmsg header and len payload bytes.  Replies echo the
 * request's req_id; XS_WATCH_EVENTs come whenever a watched node changes.
 *
 * Waits.  A thread that can block sleeps through the waiter the kernel
 * installs (xs_set_waiter): other threads run, and the store channel's
 * upcall wakes it as soon as the daemon signals.  Anything else (boot
 * before the scheduler, events masked) blocks its vCPU in SCHEDOP_poll.
 */
#include "xenstore_ring.h"
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <arch/mm.h>
#include <arch/x86.h>

uint64_t xs_timeout_ns = BOUND_XENSTORE_REPLY_NS;
struct xs_stats xs_stats;

struct xenstore_domain_interface *xs_ring;
uint32_t xs_next_req_id = 1;
bool xs_broken;
uint32_t xs_req_left;
uint32_t xs_resume_fill;
char xs_errmsg[192];
struct xs_rx xs_rx;

static uint32_t port;
static unsigned bound_cpu;
static void (*notify_fn)(void);
static spinlock_t xs_lock = SPINLOCK_INIT;
static const struct xs_waiter *waiter_ops;
/* The cpu waiting in SCHEDOP_poll, if any: woken through its IPI port. */
static struct percpu *volatile poller;

static struct {
    char data[XS_EVENT_MAX];                /* "path\0token\0" */
} evq[XS_EVENT_QUEUE];
static unsigned evq_head, evq_tail;         /* free-running */
static bool evq_lost;

const char *xs_last_error(void) { return xs_errmsg; }
bool xs_available(void) { return xs_ring != NULL; }
unsigned xs_bound_cpu(void) { return bound_cpu; }

int xs_fail(int err, const char *what)
{
    xs_errmsg[0] = 0;
    xs_msg_str(xs_errmsg, sizeof(xs_errmsg), what);
    xs_stats.errors++;
    return err;
}

void xs_set_waiter(const struct xs_waiter *w)
{
    waiter_ops = w;
}

static void store_event(uint32_t p, void *arg)
{
    (void)p;
    (void)arg;
    xs_stats.notifies++;
    /*
     * A poller polls the store port, but on another cpu our upcall has just
     * cleared the pending bit its poll waits for: poke it on its own IPI port.
     */
    struct percpu *w = atomic_load(&poller);
    if (w && w != this_cpu() && w->ipi_port)
        xen_evtchn_send(w->ipi_port);
    /* Upcall context: only wake whoever waits; the rings are read in thread context. */
    if (waiter_ops)
        waiter_ops->news();
    if (notify_fn)
        notify_fn();
}

int xs_ring_attach(struct percpu *pc)
{
    const struct start_info *si = xen_start_info;
    /* dom0 is built before any xenstored exists: Xen gives it no store ring. */
    if (xen_is_dom0() || !si->store_mfn)
        return xs_fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    unsigned long pfn = mfn_to_pfn(si->store_mfn);
    if (pfn >= linear_pages)
        return xs_fail(-ENODEV, "store_mfn is not one of our mapped pages");
    xs_ring = pfn_to_virt(pfn);
    port = si->store_evtchn;
    int rc = xs_rebind(pc);
    if (rc) {
        xs_ring = NULL;
        return xs_fail(rc, "cannot bind the store event channel");
    }
    return 0;
}

void xs_set_notify(void (*notify)(void))
{
    notify_fn = notify;
}

int xs_rebind(struct percpu *pc)
{
    if (!xs_ring)
        return -ENODEV;
    int rc = xen_bind_port(port, pc, store_event, NULL);
    if (!rc)
        bound_cpu = pc->cpu;
    return rc;
}

/* ---- waiting ---- */

/*
 * Block this vCPU until ready(), the store channel is pending, our IPI port
 * is (the store handler pokes it when the channel is bound to another cpu,
 * whose upcall clears the bit our poll waits for), or deadline.  Events are
 * masked across the check and the poll, so our own upcall cannot clear a bit
 * in between and leave us asleep; we say we poll before we look.
 */
static void poll_ring(bool (*ready)(void *), uint64_t deadline)
{
    unsigned long flags = irq_save();
    struct percpu *me = this_cpu();
    atomic_store(&poller, me);
    if (!ready(NULL)) {
        evtchn_port_t ports[2] = { port, me->ipi_port };
        struct sched_poll poll = { .nr_ports = me->ipi_port ? 2 : 1,
                                  .timeout = xen_time_to_xen(deadline) };
        set_xen_guest_handle(poll.ports, ports);
        hypercall_sched_op(SCHEDOP_poll, &poll);
    }
    atomic_store(&poller, (struct percpu *)NULL);
    irq_restore(flags);
}

/* The wait under way (one at a time: xs_lock held), for wait_ring's idle step. */
static struct {
    bool (*ready)(void *);
    uint64_t deadline;
} cur_wait;

static void idle_ring(void)
{
    if (waiter_ops && waiter_ops->wait(cur_wait.ready, NULL, cur_wait.deadline))
        return;
    poll_ring(cur_wait.ready, cur_wait.deadline);
}

/* wait_until for the ring: done(arg), at most until deadline, asleep until ready(). */
static bool wait_ring(wait_done_fn done, void *arg, bool (*ready)(void *), uint64_t deadline)
{
    uint64_t now = xen_system_time();
    cur_wait.ready = ready;
    cur_wait.deadline = deadline;
    return wait_until(done, arg, deadline > now ? deadline - now : 0, idle_ring);
}

static bool rsp_ready(void *arg)
{
    (void)arg;
    return READ_ONCE(xs_ring->rsp_prod) != READ_ONCE(xs_ring->rsp_cons);
}

static bool req_space(void *arg)
{
    (void)arg;
    return READ_ONCE(xs_ring->req_prod) - READ_ONCE(xs_ring->req_cons) < XENSTORE_RING_SIZE;
}

/* ---- the lock ---- */

static bool lock_try(void *arg)
{
    (void)arg;
    return spin_trylock(&xs_lock);
}

static bool lock_free(void *arg)
{
    (void)arg;
    return !READ_ONCE(xs_lock.v);
}

/* Its holder may be a thread asleep in a reply wait on this very cpu: sleep, do not spin. */
static void idle_lock(void)
{
    if (waiter_ops && waiter_ops->wait(lock_free, NULL, xen_system_time() + BOUND_XENSTORE_LOCK_NS))
        return;
    cpu_relax();
}

bool xs_lock_take(void)
{
    if (wait_until(lock_try, NULL, BOUND_XENSTORE_LOCK_NS, idle_lock))
        return true;
    xs_fail(-EBUSY, "another xenstore exchange did not end within the bound");
    return false;
}

void xs_lock_give(void)
{
    spin_unlock(&xs_lock);
    if (waiter_ops)
        waiter_ops->news();
}

/* ---- bytes ---- */

int xs_ring_error(void)
{
    if ((READ_ONCE(xs_ring->server_features) & XENSTORE_SERVER_FEATURE_ERROR) &&
        READ_ONCE(xs_ring->error) != XENSTORE_ERROR_NONE) {
        xs_errmsg[0] = 0;
        xs_msg_str(xs_errmsg, sizeof(xs_errmsg), "xenstored reports ring error ");
        xs_msg_uint(xs_errmsg, sizeof(xs_errmsg), READ_ONCE(xs_ring->error));
        xs_stats.errors++;
        return -EIO;
    }
    return 0;
}

int xs_write_bytes(const void *data, uint32_t len, uint64_t deadline)
{
    struct xenstore_domain_interface *ring = xs_ring;
    const char *p = data;
    while (len) {
        uint32_t cons = READ_ONCE(ring->req_cons), prod = ring->req_prod;
        mb();   /* read req_cons before overwriting the bytes it frees */
        if (!xs_ring_sane(prod, cons)) {
            xs_broken = true;
            return xs_fail(-EIO, "request ring indexes corrupt (prod - cons > ring size)");
        }
        uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
        if (!space) {
            xen_evtchn_send(port);
            if (!wait_ring(req_space, NULL, req_space, deadline)) {
                xs_broken = true;
                return xs_fail(-ETIMEDOUT, "xenstored did not take our request in time");
            }
            continue;
        }
        /* Up to the free space and the end of the ring, then wrap. */
        uint32_t off = MASK_XENSTORE_IDX(prod);
        uint32_t n = MIN(MIN(space, len), XENSTORE_RING_SIZE - off);
        for (uint32_t i = 0; i < n; i++)
            ring->req[off + i] = p[i];
        wmb();  /* Xen rule: the bytes before the index that publishes them */
        ring->req_prod = prod + n;
        p += n;
        len -= n;
        xs_req_left -= MIN(xs_req_left, n);
    }
    xen_evtchn_send(port);
    return 0;
}

/* Copy up to n available response bytes to dst; returns how many, or -errno. */
static int read_bytes(void *dst, uint32_t n)
{
    struct xenstore_domain_interface *ring = xs_ring;
    uint32_t cons = ring->rsp_cons, prod = READ_ONCE(ring->rsp_prod);
    rmb();  /* the index before the bytes it covers */
    if (!xs_ring_sane(prod, cons))
        return xs_fail(-EIO, "response ring indexes corrupt (prod - cons > ring size)");
    uint32_t avail = prod - cons, got = 0;
    char *d = dst;
    while (got < n && got < avail) {
        d[got++] = ring->rsp[MASK_XENSTORE_IDX(cons)];
        cons++;
    }
    mb();   /* done with the bytes before handing the space back */
    ring->rsp_cons = cons;
    if (got)
        xen_evtchn_send(port);  /* the daemon may wait for space to send more */
    return (int)got;
}

/* After a malformed header the message boundaries are lost: drop what is in the ring. */
static void resync(void)
{
    xs_ring->rsp_cons = READ_ONCE(xs_ring->rsp_prod);
    xs_rx.have = 0;
    /* Watch events may have been in what we dropped. */
    evq_lost = true;
}

/* ---- incoming messages ---- */

static void queue_event(void)
{
    const char *path, *token;
    char why[96];
    int rc = xs_parse_watch_event(xs_rx.body, xs_rx.hdr.len, &path, &token, why, sizeof(why));
    xs_stats.events++;
    if (rc || xs_rx.hdr.len > XS_EVENT_MAX || evq_tail - evq_head >= XS_EVENT_QUEUE) {
        if (rc)
            xs_fail(rc, why);
        xs_stats.events_dropped++;
        evq_lost = true;
        return;
    }
    char *d = evq[evq_tail % XS_EVENT_QUEUE].data;
    for (uint32_t i = 0; i < xs_rx.hdr.len; i++)
        d[i] = xs_rx.body[i];
    evq_tail++;
}

/* Move bytes into xs_rx until a header is whole: 1, 0 when the ring ran dry, or -errno. */
static int pump_header(void)
{
    struct xs_rx *rx = &xs_rx;
    if (rx->have >= sizeof(rx->hdr))
        return 1;
    int rc = read_bytes((char *)&rx->hdr + rx->have, sizeof(rx->hdr) - rx->have);
    if (rc <= 0)
        return rc;
    rx->have += (uint32_t)rc;
    if (rx->have < sizeof(rx->hdr))
        return 0;
    rc = xs_check_header(&rx->hdr, xs_errmsg, sizeof(xs_errmsg));
    if (rc) {
        xs_stats.errors++;
        resync();
        return rc;
    }
    return 1;
}

/*
 * Move available bytes into xs_rx; dispatch each complete message.  Returns
 * 1 when a reply to a request id in [lo, hi) (empty: none) is complete in
 * xs_rx, 0 when the ring ran dry first, or -errno.
 */
static int pump_range(uint32_t lo, uint32_t hi)
{
    struct xs_rx *rx = &xs_rx;
    for (;;) {
        int rc = pump_header();
        if (rc <= 0)
            return rc;
        uint32_t body = rx->have - (uint32_t)sizeof(rx->hdr);
        if (body < rx->hdr.len) {
            rc = read_bytes(rx->body + body, rx->hdr.len - body);
            if (rc < 0)
                return rc;
            rx->have += (uint32_t)rc;
            if (rx->have - sizeof(rx->hdr) < rx->hdr.len)
                return 0;
        }
        rx->body[rx->hdr.len] = 0;
        if (rx->hdr.type == XS_WATCH_EVENT) {
            queue_event();
        } else if (rx->hdr.req_id - lo < hi - lo) {
            xs_stats.replies++;
            return 1;
        } else {
            /* The late answer to a request that timed out: nobody waits for it. */
            xs_stats.stale_replies++;
        }
        rx->have = 0;
    }
}

struct reply_wait {
    uint32_t lo, hi;
    int rc;
};

static bool reply_done(void *arg)
{
    struct reply_wait *w = arg;
    w->rc = pump_range(w->lo, w->hi);
    return w->rc != 0;
}

int xs_wait_reply(uint32_t lo, uint32_t hi, uint64_t deadline)
{
    struct reply_wait w = { .lo = lo, .hi = hi };
    if (!wait_ring(reply_done, &w, rsp_ready, deadline))
        return xs_fail(-ETIMEDOUT, "no reply from xenstored within the bound");
    return w.rc;
}

uint32_t xs_take_ids(unsigned n)
{
    if (xs_next_req_id + n < xs_next_req_id)
        xs_next_req_id = 1;
    uint32_t base = xs_next_req_id;
    xs_next_req_id += n;
    if (!xs_next_req_id)
        xs_next_req_id = 1;
    return base;
}

int xs_poll(void)
{
    if (!xs_ring)
        return -ENODEV;
    /* A request in flight pumps the ring itself; its events will be queued for us. */
    if (!spin_trylock(&xs_lock))
        return 0;
    int rc = xs_broken ? -EIO : xs_ring_error();
    if (!rc && (xs_rx.have || rsp_ready(NULL)))
        rc = pump_range(0, 0);
    xs_lock_give();
    return rc < 0 ? rc : 0;
}

static void copy_cut(char *d, size_t size, const char *s)
{
    size_t i = 0;
    if (!size)
        return;
    for (; s[i] && i + 1 < size; i++)
        d[i] = s[i];
    d[i] = 0;
}

int xs_watch_event(char *path, size_t plen, char *token, size_t tlen)
{
    if (!xs_ring)
        return -ENODEV;
    if (!xs_lock_take())
        return -EBUSY;
    int rc = 0;
    if (evq_lost) {
        evq_lost = false;
        rc = -EOVERFLOW;
    } else if (evq_head != evq_tail) {
        const char *d = evq[evq_head % XS_EVENT_QUEUE].data;
        copy_cut(path, plen, d);
        size_t n = 0;
        while (d[n])
            n++;
        copy_cut(token, tlen, d + n + 1);
        evq_head++;
        rc = 1;
    }
    xs_lock_give();
    return rc;
}

/* ---- kexec: where the streams stand, for the next kernel, and taking them over ---- */

void xs_stream_state(struct xs_stream *st)
{
    st->rx_have = xs_rx.have;
    for (unsigned i = 0; i < sizeof(st->rx_hdr); i++)
        st->rx_hdr[i] = i < xs_rx.have ? ((const uint8_t *)&xs_rx.hdr)[i] : 0;
    st->req_left = xs_broken ? 0 : xs_req_left;
    st->next_req = xs_next_req_id;
}

/* The incoming stream at a message boundary (or broken: nothing more to wait for). */
static bool at_boundary(void *arg)
{
    (void)arg;
    return !xs_rx.have || pump_range(0, 0) < 0 || !xs_rx.have;
}

int xs_quiesce(struct xs_stream *st, uint64_t bound_ns)
{
    /*
     * A planned jump: no request of ours half-written or unanswered, and the
     * incoming stream at a message boundary.  The lock is kept: this kernel
     * never talks to xenstored again.  Spin, never sleep: the other cpus stop.
     */
    int rc = 0;
    if (xs_ring) {
        uint64_t deadline = xen_system_time() + bound_ns;
        if (!wait_until(lock_try, NULL, bound_ns, wait_idle_spin))
            rc = -EBUSY;
        uint64_t now = xen_system_time();
        if (!rc)
            wait_until(at_boundary, NULL, deadline > now ? deadline - now : 0, wait_idle_spin);
    }
    xs_stream_state(st);
    return rc;
}

/* ---- suspend: the ring handed to the same or a new domain's xenstored ---- */

int xs_suspend(void)
{
    /*
     * Nothing of ours in flight: the lock (a holder finishes its exchange
     * first; this may sleep) and the incoming stream at a message boundary.
     * Kept until xs_resume, so no thread starts a request meanwhile.
     */
    if (!xs_ring)
        return 0;
    if (!xs_lock_take())
        return -EBUSY;
    wait_until(at_boundary, NULL, BOUND_XENSTORE_QUIESCE_NS, wait_idle_yield);
    return 0;
}

void xs_resume(bool new_domain)
{
    if (!xs_ring)
        return;
    if (new_domain) {
        /*
         * The same page, a new port, a new daemon connection.  We were at a
         * boundary with no request open; indexes the old daemon left behind
         * are taken as read (Linux's xb_init_comms "fixing up" does the same).
         */
        port = xen_start_info->store_evtchn;
        xs_rx.have = 0;
        if (READ_ONCE(xs_ring->rsp_prod) != READ_ONCE(xs_ring->rsp_cons))
            xs_ring->rsp_cons = xs_ring->rsp_prod;
        if (xs_rebind(per_cpu(bound_cpu)))
            xs_fail(-EIO, "cannot bind the new store event channel after a restore");
    }
    xs_lock_give();
}

bool xs_resuming;

void xs_resume_from(const struct xs_stream *st)
{
    xs_resuming = true;
    xs_rx.have = MIN(st->rx_have, (uint32_t)sizeof(xs_rx.hdr));
    for (unsigned i = 0; i < xs_rx.have; i++)
        ((uint8_t *)&xs_rx.hdr)[i] = st->rx_hdr[i];
    /* A message body the old kernel had partly taken: its start is gone; it is stale anyway. */
    if (st->rx_have > sizeof(xs_rx.hdr))
        xs_rx.have = (uint32_t)MIN((size_t)st->rx_have,
                                   sizeof(xs_rx.hdr) + (size_t)XENSTORE_PAYLOAD_MAX);
    xs_resume_fill = st->req_left;
    /* Replies to its requests may still come: ours start far past its ids. */
    xs_next_req_id = st->next_req + 0x10000;
    if (!xs_next_req_id)
        xs_next_req_id = 1;
}
