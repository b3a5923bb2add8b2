/* SPDX-License-Identifier: MIT */
/*
 * xenstore client on the start_info store ring (docs/misc/xenstore.txt,
 * docs/misc/xenstore-ring.txt).  The xen layer: no printing, no heap; a
 * failed call returns -errno and leaves its reason in xs_last_error().
 *
 * The ring page holds two byte rings with free-running 32-bit indexes.  We
 * produce into req[] (req_prod) and consume rsp[] (rsp_cons); xenstored
 * does the opposite.  Each direction carries a stream of messages: a
 * struct xsd_sockmsg header and len payload bytes.  Replies echo the
 * request's req_id; XS_WATCH_EVENTs come whenever a watched node changes.
 */
#include <xenpv/xenstore.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <xen/io/xs_wire.h>

uint64_t xs_timeout_ns = 5000000000ULL;
struct xs_stats xs_stats;

static struct xenstore_domain_interface *ring;
static uint32_t port;
static unsigned bound_cpu;
static void (*notify_fn)(void);
static spinlock_t xs_lock = SPINLOCK_INIT;
static uint32_t next_req_id = 1;
/* A request was cut off mid-write: the daemon's view of the stream is lost for good. */
static bool broken;
/* Bytes of the request being written that are not in the ring yet (for a kexec handoff). */
static uint32_t req_left;
/* Set by xs_resume_from before xs_init: we take over a ring an earlier kernel used. */
static bool resuming;
static uint32_t resume_fill;
static char errmsg[192];

/* The incoming message being assembled (a 4 KiB payload spans several ring fills). */
static struct {
    struct xsd_sockmsg hdr;
    uint32_t have;                          /* bytes of hdr + body received */
    char body[XENSTORE_PAYLOAD_MAX + 1];    /* + a NUL of our own */
} rx;

static struct {
    char data[XS_EVENT_MAX];                /* "path\0token\0" */
} evq[XS_EVENT_QUEUE];
static unsigned evq_head, evq_tail;         /* free-running */
static bool evq_lost;

#define POLL_SLICE_NS 10000000ULL           /* re-check the ring at least this often */

const char *xs_last_error(void) { return errmsg; }

static int fail(int err, const char *what)
{
    errmsg[0] = 0;
    xs_msg_str(errmsg, sizeof(errmsg), what);
    xs_stats.errors++;
    return err;
}

bool xs_available(void) { return ring != NULL; }
unsigned xs_bound_cpu(void) { return bound_cpu; }

/* The cpu waiting for a reply in wait_store, if any: woken through its IPI port. */
static struct percpu *volatile waiter;

static void store_event(uint32_t p, void *arg)
{
    (void)p;
    (void)arg;
    xs_stats.notifies++;
    /*
     * The waiter polls the store port, but on another cpu our upcall has just
     * cleared the pending bit its poll waits for: poke it on its own IPI port.
     */
    struct percpu *w = atomic_load(&waiter);
    if (w && w != this_cpu() && w->ipi_port)
        xen_evtchn_send(w->ipi_port);
    /* Upcall context: only note it; the rings are read in thread context. */
    if (notify_fn)
        notify_fn();
}

static int resume_ring(void);

int xs_init(struct percpu *pc, void (*notify)(void))
{
    const struct start_info *si = xen_start_info;
    /* dom0 is built before any xenstored exists: Xen gives it no store ring. */
    if (xen_is_dom0() || !si->store_mfn)
        return fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    unsigned long pfn = mfn_to_pfn(si->store_mfn);
    if (pfn >= linear_pages)
        return fail(-ENODEV, "store_mfn is not one of our mapped pages");
    ring = pfn_to_virt(pfn);
    port = si->store_evtchn;
    notify_fn = notify;
    int rc = xs_rebind(pc);
    if (rc) {
        ring = NULL;
        return fail(rc, "cannot bind the store event channel");
    }
    if (resuming)
        return resume_ring();
    return 0;
}

int xs_rebind(struct percpu *pc)
{
    if (!ring)
        return -ENODEV;
    int rc = xen_bind_port(port, pc, store_event, NULL);
    if (!rc)
        bound_cpu = pc->cpu;
    return rc;
}

/*
 * Block this vCPU until the store channel is pending, our IPI port is (the
 * store handler pokes it when the channel is bound to another cpu, whose
 * upcall clears the bit our poll waits for), or the slice ends.  Events are
 * masked across the ring check and the poll, so our own upcall cannot clear
 * a bit in between and leave us asleep.  We say we wait before we look.
 */
static void wait_store(uint64_t deadline, bool (*ready)(void))
{
    unsigned long flags = irq_save();
    struct percpu *me = this_cpu();
    atomic_store(&waiter, me);
    if (!ready()) {
        uint64_t now = xen_system_time();
        evtchn_port_t ports[2] = { port, me->ipi_port };
        struct sched_poll poll = { .nr_ports = me->ipi_port ? 2 : 1,
                                   .timeout = MIN(deadline, now + POLL_SLICE_NS) };
        set_xen_guest_handle(poll.ports, ports);
        hypercall_sched_op(SCHEDOP_poll, &poll);
    }
    atomic_store(&waiter, (struct percpu *)NULL);
    irq_restore(flags);
}

static bool rsp_ready(void)
{
    return READ_ONCE(ring->rsp_prod) != READ_ONCE(ring->rsp_cons);
}

static bool req_space(void)
{
    return READ_ONCE(ring->req_prod) - READ_ONCE(ring->req_cons) < XENSTORE_RING_SIZE;
}

static int ring_error(void)
{
    if ((READ_ONCE(ring->server_features) & XENSTORE_SERVER_FEATURE_ERROR) &&
        READ_ONCE(ring->error) != XENSTORE_ERROR_NONE) {
        errmsg[0] = 0;
        xs_msg_str(errmsg, sizeof(errmsg), "xenstored reports ring error ");
        xs_msg_uint(errmsg, sizeof(errmsg), READ_ONCE(ring->error));
        xs_stats.errors++;
        return -EIO;
    }
    return 0;
}

static int write_bytes(const void *data, uint32_t len, uint64_t deadline)
{
    const char *p = data;
    while (len) {
        uint32_t cons = READ_ONCE(ring->req_cons), prod = ring->req_prod;
        mb();   /* read req_cons before overwriting the bytes it frees */
        if (!xs_ring_sane(prod, cons)) {
            broken = true;
            return fail(-EIO, "request ring indexes corrupt (prod - cons > ring size)");
        }
        uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
        if (!space) {
            xen_evtchn_send(port);
            if (xen_system_time() > deadline) {
                broken = true;
                return fail(-ETIMEDOUT, "xenstored did not take our request in time");
            }
            wait_store(deadline, req_space);
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
        req_left -= MIN(req_left, n);
    }
    xen_evtchn_send(port);
    return 0;
}

/* Copy up to n available response bytes to dst; returns how many, or -errno. */
static int read_bytes(void *dst, uint32_t n)
{
    uint32_t cons = ring->rsp_cons, prod = READ_ONCE(ring->rsp_prod);
    rmb();  /* the index before the bytes it covers */
    if (!xs_ring_sane(prod, cons))
        return fail(-EIO, "response ring indexes corrupt (prod - cons > ring size)");
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
    ring->rsp_cons = READ_ONCE(ring->rsp_prod);
    rx.have = 0;
    /* Watch events may have been in what we dropped. */
    evq_lost = true;
}

static void queue_event(void)
{
    const char *path, *token;
    char why[96];
    int rc = xs_parse_watch_event(rx.body, rx.hdr.len, &path, &token, why, sizeof(why));
    xs_stats.events++;
    if (rc || rx.hdr.len > XS_EVENT_MAX || evq_tail - evq_head >= XS_EVENT_QUEUE) {
        if (rc)
            fail(rc, why);
        xs_stats.events_dropped++;
        evq_lost = true;
        return;
    }
    char *d = evq[evq_tail % XS_EVENT_QUEUE].data;
    for (uint32_t i = 0; i < rx.hdr.len; i++)
        d[i] = rx.body[i];
    evq_tail++;
}

/*
 * Move available bytes into rx; dispatch each complete message.  Returns 1
 * when a reply to a request id in [want_lo, want_hi) (empty: none) is
 * complete in rx, 0 when the ring ran dry first, or -errno.
 */
static int pump_range(uint32_t want_lo, uint32_t want_hi);

/* want_id 0: only queue events and drop stale replies. */
static int pump(uint32_t want_id)
{
    return want_id ? pump_range(want_id, want_id + 1) : pump_range(0, 0);
}

static int pump_range(uint32_t want_lo, uint32_t want_hi)
{
    for (;;) {
        int rc;
        if (rx.have < sizeof(rx.hdr)) {
            rc = read_bytes((char *)&rx.hdr + rx.have, sizeof(rx.hdr) - rx.have);
            if (rc <= 0)
                return rc;
            rx.have += (uint32_t)rc;
            if (rx.have < sizeof(rx.hdr))
                return 0;
            rc = xs_check_header(&rx.hdr, errmsg, sizeof(errmsg));
            if (rc) {
                xs_stats.errors++;
                resync();
                return rc;
            }
        }
        uint32_t body = rx.have - (uint32_t)sizeof(rx.hdr);
        if (body < rx.hdr.len) {
            rc = read_bytes(rx.body + body, rx.hdr.len - body);
            if (rc < 0)
                return rc;
            rx.have += (uint32_t)rc;
            if (rx.have - sizeof(rx.hdr) < rx.hdr.len)
                return 0;
        }
        rx.body[rx.hdr.len] = 0;
        if (rx.hdr.type == XS_WATCH_EVENT) {
            queue_event();
        } else if (rx.hdr.req_id - want_lo < want_hi - want_lo) {
            xs_stats.replies++;
            return 1;
        } else {
            /* The late answer to a request that timed out: nobody waits for it. */
            xs_stats.stale_replies++;
        }
        rx.have = 0;
    }
}

/*
 * One request/response exchange; xs_lock held.  On success rx holds the
 * reply (type == type, payload NUL-terminated at rx.body[rx.hdr.len]); the
 * caller parses it, then sets rx.have = 0.
 */
static int talk(uint32_t type, uint32_t tx, const char *const parts[], const uint32_t lens[],
                unsigned nparts)
{
    if (!ring)
        return fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    if (broken)
        return fail(-EIO, "connection lost after a request was cut off");
    int rc = ring_error();
    if (rc)
        return rc;
    uint32_t total = 0;
    for (unsigned i = 0; i < nparts; i++)
        total += lens[i];
    if (total > XENSTORE_PAYLOAD_MAX)
        return fail(-E2BIG, "request longer than XENSTORE_PAYLOAD_MAX");

    uint32_t id = next_req_id++;
    if (!next_req_id)
        next_req_id = 1;    /* 0 means "no reply wanted" to pump() */
    struct xsd_sockmsg h = { .type = type, .req_id = id, .tx_id = tx, .len = total };
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    xs_stats.requests++;
    req_left = (uint32_t)sizeof(h) + total;
    rc = write_bytes(&h, sizeof(h), deadline);
    for (unsigned i = 0; !rc && i < nparts; i++)
        rc = write_bytes(parts[i], lens[i], deadline);
    if (rc)
        return rc;

    for (;;) {
        rc = pump(id);
        if (rc < 0)
            return rc;
        if (rc == 1)
            break;
        if (xen_system_time() > deadline)
            return fail(-ETIMEDOUT, "no reply from xenstored within the bound");
        wait_store(deadline, rsp_ready);
    }

    if (rx.hdr.type == XS_ERROR) {
        rc = xs_parse_error(rx.body, rx.hdr.len, errmsg, sizeof(errmsg));
        xs_stats.errors++;
        rx.have = 0;
        return rc;
    }
    if (rx.hdr.type != type) {
        errmsg[0] = 0;
        xs_msg_str(errmsg, sizeof(errmsg), "malformed reply: type ");
        xs_msg_uint(errmsg, sizeof(errmsg), rx.hdr.type);
        xs_msg_str(errmsg, sizeof(errmsg), " to a request of type ");
        xs_msg_uint(errmsg, sizeof(errmsg), type);
        xs_stats.errors++;
        rx.have = 0;
        return -EBADMSG;
    }
    return 0;
}

static uint32_t slen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* A request whose payload is "a\0" or "a\0b\0" and whose reply is "OK\0". */
static int simple(uint32_t type, uint32_t tx, const char *a, const char *b, bool b_nul)
{
    const char *parts[2] = { a, b };
    uint32_t lens[2] = { slen(a) + 1, b ? slen(b) + b_nul : 0 };
    spin_lock(&xs_lock);
    int rc = talk(type, tx, parts, lens, b ? 2 : 1);
    if (!rc) {
        rc = xs_parse_ack(rx.body, rx.hdr.len, errmsg, sizeof(errmsg));
        rx.have = 0;
    }
    spin_unlock(&xs_lock);
    return rc;
}

int xs_read(uint32_t tx, const char *path, char *buf, size_t size)
{
    const char *parts[1] = { path };
    uint32_t lens[1] = { slen(path) + 1 };
    spin_lock(&xs_lock);
    int rc = talk(XS_READ, tx, parts, lens, 1);
    if (!rc) {
        /* A value is raw bytes, not NUL-terminated on the wire: we add the NUL. */
        uint32_t n = rx.hdr.len;
        if (n + 1 > size) {
            rc = fail(-E2BIG, "value longer than the caller's buffer");
        } else {
            for (uint32_t i = 0; i < n; i++)
                buf[i] = rx.body[i];
            buf[n] = 0;
            rc = (int)n;
        }
        rx.have = 0;
    }
    spin_unlock(&xs_lock);
    return rc;
}

int xs_read_many(uint32_t tx, const char *const *paths, unsigned n,
                 void (*cb)(unsigned i, int rc, const char *val, void *ctx), void *ctx)
{
    if (!ring)
        return fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    spin_lock(&xs_lock);
    int rc = broken ? fail(-EIO, "connection lost after a request was cut off") : ring_error();
    /* Ids base..base+n-1, none of them 0 ("no reply wanted" to pump). */
    if (next_req_id + n < next_req_id)
        next_req_id = 1;
    uint32_t base = next_req_id;
    next_req_id += n;
    unsigned sent = 0, answered = 0;
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    while (!rc && answered < n) {
        /* Keep a few in flight: the daemon answers them back to back. */
        while (sent < n && sent - answered < XS_PIPELINE) {
            uint32_t len = slen(paths[sent]) + 1;
            struct xsd_sockmsg h = { .type = XS_READ, .req_id = base + sent, .tx_id = tx, .len = len };
            xs_stats.requests++;
            req_left = (uint32_t)sizeof(h) + len;
            rc = write_bytes(&h, sizeof(h), deadline);
            if (!rc)
                rc = write_bytes(paths[sent], len, deadline);
            if (rc)
                break;
            sent++;
        }
        if (rc)
            break;
        int got = pump_range(base, base + sent);
        if (got < 0) {
            rc = got;
            break;
        }
        if (got == 1) {
            unsigned i = rx.hdr.req_id - base;
            int r;
            if (rx.hdr.type == XS_ERROR) {
                r = xs_parse_error(rx.body, rx.hdr.len, errmsg, sizeof(errmsg));
                xs_stats.errors++;
            } else if (rx.hdr.type != XS_READ) {
                r = -EBADMSG;
            } else {
                r = (int)rx.hdr.len;       /* the body is NUL-terminated by pump */
            }
            cb(i, r, r >= 0 ? rx.body : NULL, ctx);
            rx.have = 0;
            answered++;
            deadline = xen_system_time() + xs_timeout_ns;      /* progress: a fresh bound */
            continue;
        }
        if (xen_system_time() > deadline) {
            rc = fail(-ETIMEDOUT, "no reply from xenstored within the bound");
            break;
        }
        wait_store(deadline, rsp_ready);
    }
    spin_unlock(&xs_lock);
    return rc;
}

int xs_write(uint32_t tx, const char *path, const char *value)
{
    /* XS_WRITE: "path\0" then the value's bytes, no NUL. */
    return simple(XS_WRITE, tx, path, value, false);
}

int xs_rm(uint32_t tx, const char *path)
{
    return simple(XS_RM, tx, path, NULL, false);
}

int xs_watch(const char *path, const char *token)
{
    return simple(XS_WATCH, 0, path, token, true);
}

int xs_unwatch(const char *path, const char *token)
{
    return simple(XS_UNWATCH, 0, path, token, true);
}

int xs_directory(uint32_t tx, const char *path, char *buf, size_t size)
{
    const char *parts[1] = { path };
    uint32_t lens[1] = { slen(path) + 1 };
    spin_lock(&xs_lock);
    int rc = talk(XS_DIRECTORY, tx, parts, lens, 1);
    if (!rc) {
        rc = xs_parse_directory(rx.body, rx.hdr.len, errmsg, sizeof(errmsg));
        if (rc >= 0 && rx.hdr.len > size)
            rc = fail(-E2BIG, "directory listing longer than the caller's buffer");
        else if (rc >= 0)
            for (uint32_t i = 0; i < rx.hdr.len; i++)
                buf[i] = rx.body[i];
        if (rc >= 0 && size > rx.hdr.len)
            buf[rx.hdr.len] = 0;
        rx.have = 0;
    }
    spin_unlock(&xs_lock);
    return rc;
}

int xs_transaction_start(uint32_t *tx)
{
    const char *parts[1] = { "" };
    uint32_t lens[1] = { 1 };
    spin_lock(&xs_lock);
    int rc = talk(XS_TRANSACTION_START, 0, parts, lens, 1);
    if (!rc) {
        rc = xs_parse_txid(rx.body, rx.hdr.len, tx, errmsg, sizeof(errmsg));
        rx.have = 0;
    }
    spin_unlock(&xs_lock);
    return rc;
}

int xs_transaction_end(uint32_t tx, bool commit)
{
    /* "T" commits, "F" aborts; EAGAIN: somebody else changed what we read. */
    return simple(XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, false);
}

int xs_poll(void)
{
    if (!ring)
        return -ENODEV;
    /* A request in flight pumps the ring itself; its events will be queued for us. */
    if (!spin_trylock(&xs_lock))
        return 0;
    int rc = broken ? -EIO : ring_error();
    if (!rc && rx.have == 0 && !rsp_ready())
        rc = 0;
    else if (!rc)
        rc = pump(0);
    spin_unlock(&xs_lock);
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
    if (!ring)
        return -ENODEV;
    spin_lock(&xs_lock);
    int rc = 0;
    if (evq_lost) {
        evq_lost = false;
        rc = -EOVERFLOW;
    } else if (evq_head != evq_tail) {
        const char *d = evq[evq_head % XS_EVENT_QUEUE].data;
        copy_cut(path, plen, d);
        copy_cut(token, tlen, d + slen(d) + 1);
        evq_head++;
        rc = 1;
    }
    spin_unlock(&xs_lock);
    return rc;
}

/* ---- kexec: handing the ring over to the next kernel, and taking it over ---- */

void xs_stream_state(struct xs_stream *st)
{
    st->rx_have = rx.have;
    for (unsigned i = 0; i < sizeof(st->rx_hdr); i++)
        st->rx_hdr[i] = i < rx.have ? ((const uint8_t *)&rx.hdr)[i] : 0;
    st->req_left = broken ? 0 : req_left;
    st->next_req = next_req_id;
}

int xs_quiesce(struct xs_stream *st, uint64_t bound_ns)
{
    /*
     * A planned jump: no request of ours half-written or unanswered, and the
     * incoming stream at a message boundary.  The lock is kept: this kernel
     * never talks to xenstored again.
     */
    int rc = 0;
    if (ring) {
        uint64_t deadline = xen_system_time() + bound_ns;
        while (!spin_trylock(&xs_lock)) {
            if (xen_system_time() > deadline) {
                rc = -EBUSY;
                break;
            }
            cpu_relax();
        }
        while (!rc && rx.have && xen_system_time() < deadline) {
            if (pump(0) < 0)
                break;
            cpu_relax();
        }
    }
    xs_stream_state(st);
    return rc;
}

void xs_resume_from(const struct xs_stream *st)
{
    resuming = true;
    rx.have = MIN(st->rx_have, (uint32_t)sizeof(rx.hdr));
    for (unsigned i = 0; i < rx.have; i++)
        ((uint8_t *)&rx.hdr)[i] = st->rx_hdr[i];
    /* A message body the old kernel had partly taken: its start is gone; it is stale anyway. */
    if (st->rx_have > sizeof(rx.hdr))
        rx.have = (uint32_t)MIN((size_t)st->rx_have, sizeof(rx.hdr) + (size_t)XENSTORE_PAYLOAD_MAX);
    resume_fill = st->req_left;
    /* Replies to its requests may still come: ours start far past its ids. */
    next_req_id = st->next_req + 0x10000;
    if (!next_req_id)
        next_req_id = 1;
}

static int resume_ring(void)
{
    static const char zeros[64];
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    int rc = 0;
    spin_lock(&xs_lock);
    /* Finish the request the old kernel was writing: xenstored answers it, and we drop that. */
    while (!rc && resume_fill) {
        uint32_t n = MIN(resume_fill, (uint32_t)sizeof(zeros));
        rc = write_bytes(zeros, n, deadline);
        resume_fill -= n;
    }
    spin_unlock(&xs_lock);
    if (rc)
        return rc;
    /* Its watches and transactions go (xenstored do_reset_watches); we set our own. */
    return simple(XS_RESET_WATCHES, 0, "", NULL, false);
}
