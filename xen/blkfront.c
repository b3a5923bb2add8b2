/* SPDX-License-Identifier: MIT */
/*
 * A polling PV block frontend (include/xenpv/blkif.h): the xenbus handshake
 * under device/vbd/<devid>, one ring page, write requests of up to 11
 * pages (or up to BLKFRONT_MAX_SEGS through an indirect page when the
 * backend offers feature-max-indirect-segments) from read-only grants of
 * the caller's frames themselves, or, with persistent grants, from a pool
 * of the caller's pages granted once for the connection, which the caller
 * fills.  It needs no interrupt: it reads the ring and naps in
 * SCHEDOP_poll on its own masked channel, so the crash kernel can use it
 * with nothing else running.
 */
#include <xenpv/blkif.h>
#include <xenpv/xenstore.h>
#include <xenpv/xenpv.h>
#include <xenpv/wait.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>
#include <arch/x86.h>
#include <minipv/errno.h>
#include <minipv/string.h>

#define RING_REF GNTTAB_DUMP_FIRST
/* Each slot's data refs follow the ring's, then the ref of its indirect page. */
#define SLOT_REF(slot, j) (GNTTAB_DUMP_FIRST + 1 + (slot) * (BLKFRONT_MAX_SEGS + 1) + (j))
#define IND_REF(slot) SLOT_REF(slot, BLKFRONT_MAX_SEGS)
_Static_assert(1 + BLKFRONT_SLOTS * (BLKFRONT_MAX_SEGS + 1) <= GNTTAB_DUMP_REFS, "dump refs");
/* One indirect page holds every segment of a request. */
_Static_assert(BLKFRONT_MAX_SEGS * sizeof(struct blkif_request_segment) <= PAGE_SIZE, "ind");

/* The shared ring: in the image, so each kernel (a crash kernel too) has its own. */
static uint8_t ring_page[PAGE_SIZE] __aligned(PAGE_SIZE);

static void say(char *err, size_t len, const char *a, const char *b, uint64_t v, bool num)
{
    err[0] = 0;
    xs_msg_str(err, len, a);
    xs_msg_str(err, len, b);
    if (num)
        xs_msg_uint(err, len, v);
}

static void path(char *out, size_t len, const char *dir, const char *key)
{
    out[0] = 0;
    xs_msg_str(out, len, dir);
    xs_msg_str(out, len, "/");
    xs_msg_str(out, len, key);
}

/* A decimal key: 0, -ENOENT, or -EINVAL for a value that is not a number. */
static int read_u64(const char *dir, const char *key, uint64_t *v)
{
    char p[128], b[32];
    path(p, sizeof(p), dir, key);
    int n = xs_read(0, p, b, sizeof(b));
    if (n < 0)
        return n;
    uint64_t x = 0;
    if (!n)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        if (b[i] < '0' || b[i] > '9' || x > UINT64_MAX / 10)
            return -EINVAL;
        x = x * 10 + (uint64_t)(b[i] - '0');
    }
    *v = x;
    return 0;
}

static int write_state(const char *fe, unsigned st)
{
    char p[64], v[4] = { (char)('0' + st), 0 };
    path(p, sizeof(p), fe, "state");
    return xs_write(0, p, v);
}

/* ---- waits: a look, then a nap on our channel ---- */

static uint32_t nap_port;

static void nap(void)
{
    evtchn_port_t port = nap_port;
    struct sched_poll p = { .nr_ports = 1, .timeout = xen_system_time() + BOUND_BLK_NAP_NS };
    set_xen_guest_handle(p.ports, &port);
    hypercall_sched_op(SCHEDOP_poll, &p);
    /* Cleared before the next look: a signal after it wakes the next nap at once. */
    clear_bit(port % 64, &xen_shared_info->evtchn_pending[port / 64]);
}

struct state_wait {
    const char *be;
    unsigned want_lo, want_hi;
    uint64_t got;
    bool gone_ok;                       /* a backend removed meanwhile will do */
};

static bool be_state_in(void *arg)
{
    struct state_wait *w = arg;
    int rc = read_u64(w->be, "state", &w->got);
    if (rc == -ENOENT && w->gone_ok)
        return true;
    return !rc && w->got >= w->want_lo && w->got <= w->want_hi;
}

static int wait_state(const char *be, unsigned lo, unsigned hi, bool gone_ok, char *err, size_t len)
{
    struct state_wait w = { be, lo, hi, 0, gone_ok };
    if (wait_until(be_state_in, &w, BOUND_BLK_STATE_NS, nap))
        return 0;
    say(err, len, be, ": backend state stays ", w.got, true);
    xs_msg_str(err, len, ", waited for ");
    xs_msg_uint(err, len, lo);
    return -ETIMEDOUT;
}

static int wait_be(const char *be, unsigned lo, unsigned hi, char *err, size_t len)
{
    return wait_state(be, lo, hi, false, err, len);
}

/* ---- reset: what an older kernel left ---- */

static int no_disk(const char *fe, char *err, size_t len)
{
    say(err, len, "no disk ", fe, 0, false);
    xs_msg_str(err, len, " in the domain's config");
    return -ENOENT;
}

/* Our own key gone: the disk was taken away. */
static bool fe_gone(void *fe)
{
    char p[64], b[96];
    path(p, sizeof(p), fe, "backend");
    return xs_read(0, p, b, sizeof(b)) == -ENOENT;
}

static int find_backend(uint16_t devid, char *fe, size_t felen, char *be, size_t belen,
                        uint64_t *be_id, char *err, size_t len)
{
    fe[0] = 0;
    xs_msg_str(fe, felen, "device/vbd/");
    xs_msg_uint(fe, felen, devid);
    char p[64];
    path(p, sizeof(p), fe, "backend");
    int n = xs_read(0, p, be, belen);
    int id_rc = n > 0 ? read_u64(fe, "backend-id", be_id) : 0;
    /*
     * libxl takes a detached disk's keys away one by one: backend-id gone
     * and then backend too is a disk removed while we looked (seen once
     * right after an xl block-detach), the same outcome as no disk at all.
     */
    if (id_rc == -ENOENT)
        n = xs_read(0, p, be, belen);
    if (n == -ENOENT)
        return no_disk(fe, err, len);
    if (n <= 0) {
        say(err, len, p, ": unreadable: ", (uint64_t)-n, true);
        return n < 0 ? n : -EINVAL;
    }
    if (id_rc || *be_id >= DOMID_FIRST_RESERVED) {
        say(err, len, fe, "/backend-id: missing or not a domain id", 0, false);
        return -EINVAL;
    }
    return 0;
}

/* Linux's xenbus_reset_frontend: from where the backend is, back to InitWait. */
static int reset_steps(const char *fe, const char *be, char *err, size_t len)
{
    uint64_t st = 0;
    int rc = read_u64(be, "state", &st);
    if (rc)
        return rc;
    switch (st) {
    case XenbusStateConnected:
    case XenbusStateInitialised:
        if ((rc = write_state(fe, XenbusStateClosing)) ||
            (rc = wait_be(be, XenbusStateClosing, XenbusStateClosed, err, len)))
            return rc;
        __attribute__((fallthrough));
    case XenbusStateClosing:
        if ((rc = write_state(fe, XenbusStateClosed)) ||
            (rc = wait_be(be, XenbusStateClosed, XenbusStateClosed, err, len)))
            return rc;
        __attribute__((fallthrough));
    case XenbusStateClosed:
        if ((rc = write_state(fe, XenbusStateInitialising)) ||
            (rc = wait_be(be, XenbusStateInitWait, XenbusStateInitWait, err, len)))
            return rc;
        break;
    default:
        break;
    }
    return 0;
}

static int with_nap_port(uint16_t be_id)
{
    return nap_port ? 0 : xen_evtchn_alloc_unbound(be_id, &nap_port);
}

static void drop_nap_port(void)
{
    if (nap_port)
        xen_evtchn_close(nap_port);
    nap_port = 0;
}

int xen_blkfront_reset(uint16_t devid, char *err, size_t len)
{
    char fe[32], be[96];
    uint64_t be_id, fst = 0;
    err[0] = 0;
    int rc = find_backend(devid, fe, sizeof(fe), be, sizeof(be), &be_id, err, len);
    if (rc || read_u64(fe, "state", &fst) || fst == XenbusStateInitialising)
        return rc;
    if ((rc = with_nap_port((uint16_t)be_id)))
        return rc;
    rc = reset_steps(fe, be, err, len);
    drop_nap_port();
    /*
     * The backend's keys gone under us (-ENOENT; -EACCES once xenstored
     * finds no node it lets us read; a wait for its state that timed out),
     * seen in the unplug drill while libxl took a force-detached disk away:
     * backend first, our keys after.  When ours go too, it is the no-disk
     * outcome.
     */
    if ((rc == -ENOENT || rc == -EACCES || rc == -ETIMEDOUT) &&
        wait_until(fe_gone, fe, BOUND_BLK_GONE_NS, wait_idle_yield))
        return no_disk(fe, err, len);
    if (rc && !err[0])
        say(err, len, be, "/state: unreadable: ", (uint64_t)-rc, true);
    return rc;
}

/* ---- open ---- */

static int publish(struct blkfront *bf)
{
    char p[64], v[24];
    for (int tries = 0; tries < 5; tries++) {
        uint32_t tx;
        int rc = xs_transaction_start(&tx);
        if (rc)
            return rc;
        v[0] = 0;
        xs_msg_uint(v, sizeof(v), RING_REF);
        path(p, sizeof(p), bf->fe, "ring-ref");
        rc = xs_write(tx, p, v);
        v[0] = 0;
        xs_msg_uint(v, sizeof(v), bf->port);
        path(p, sizeof(p), bf->fe, "event-channel");
        rc = rc ? rc : xs_write(tx, p, v);
        /* Without it blkback takes the 32-bit layout (BLKIF_PROTOCOL_DEFAULT on x86). */
        path(p, sizeof(p), bf->fe, "protocol");
        rc = rc ? rc : xs_write(tx, p, XEN_IO_PROTO_ABI_X86_64);
        /*
         * Linux blkback writes its own feature-persistent only as it connects,
         * after reading ours: we offer, the backend's key then says yes or no.
         */
        path(p, sizeof(p), bf->fe, "feature-persistent");
        rc = rc || !bf->want_persistent ? rc : xs_write(tx, p, "1");
        path(p, sizeof(p), bf->fe, "state");
        rc = rc ? rc : xs_write(tx, p, "3");            /* Initialised */
        int end = xs_transaction_end(tx, rc == 0);
        if (rc)
            return rc;
        if (end != -EAGAIN)
            return end;
    }
    return -EAGAIN;
}

static int read_disk(struct blkfront *bf)
{
    uint64_t ss = 0, info = 0, fl = 0;
    if (read_u64(bf->be, "sectors", &bf->sectors) || read_u64(bf->be, "sector-size", &ss) ||
        read_u64(bf->be, "info", &info)) {
        say(bf->err, sizeof(bf->err), bf->be, ": sectors, sector-size or info unreadable", 0, false);
        return -EINVAL;
    }
    bf->sector_size = (uint32_t)ss;
    bf->info = (uint32_t)info;
    char p[128], mode[4] = "";
    path(p, sizeof(p), bf->be, "mode");
    xs_read(0, p, mode, sizeof(mode));
    bf->ro = (info & VDISK_READONLY) || !strcmp(mode, "r");
    bf->flush = !read_u64(bf->be, "feature-flush-cache", &fl) && fl;
    uint64_t pg = 0;
    bf->persistent = bf->want_persistent && !read_u64(bf->be, "feature-persistent", &pg) && pg;
    /* blkif.h: a backend that offers it takes BLKIF_OP_INDIRECT with up to this many segments. */
    uint64_t ind = 0;
    bf->segs = BLKFRONT_SEGS;
    if (!read_u64(bf->be, "feature-max-indirect-segments", &ind) && ind > BLKFRONT_SEGS)
        bf->segs = (unsigned)MIN(ind, (uint64_t)BLKFRONT_MAX_SEGS);
    /* blkif.h: sector-size is 512 unless the frontend offered large sectors; we did not. */
    if (ss != 512) {
        say(bf->err, sizeof(bf->err), bf->be, ": sector-size ", ss, true);
        xs_msg_str(bf->err, sizeof(bf->err), ", not 512");
        return -EINVAL;
    }
    return 0;
}

int xen_blkfront_open(struct blkfront *bf, uint16_t devid, bool persistent)
{
    memset(bf, 0, sizeof(*bf));
    bf->devid = devid;
    bf->want_persistent = persistent;
    uint64_t be_id;
    int rc = find_backend(devid, bf->fe, sizeof(bf->fe), bf->be, sizeof(bf->be), &be_id, bf->err,
                          sizeof(bf->err));
    if (rc)
        return rc;
    bf->be_id = (uint16_t)be_id;
    if ((rc = xen_gnttab_init())) {
        say(bf->err, sizeof(bf->err), "GNTTABOP_setup_table failed: ", "", (uint64_t)-rc, true);
        return rc;
    }
    if ((rc = with_nap_port(bf->be_id)))
        return rc;
    bf->port = nap_port;
    if ((rc = reset_steps(bf->fe, bf->be, bf->err, sizeof(bf->err))) ||
        (rc = wait_be(bf->be, XenbusStateInitWait, XenbusStateInitWait, bf->err, sizeof(bf->err))))
        return rc;
    blkif_sring_t *s = (blkif_sring_t *)ring_page;
    SHARED_RING_INIT(s);
    FRONT_RING_INIT(&bf->ring, s, PAGE_SIZE);
    xen_gnttab_grant(RING_REF, bf->be_id, virt_to_mfn(ring_page), false);
    if ((rc = publish(bf))) {
        say(bf->err, sizeof(bf->err), bf->fe, ": publishing the ring failed: ", (uint64_t)-rc, true);
        return rc;
    }
    if ((rc = wait_be(bf->be, XenbusStateConnected, XenbusStateConnected, bf->err, sizeof(bf->err))) ||
        (rc = read_disk(bf)))
        return rc;
    return write_state(bf->fe, XenbusStateConnected);
}

/* ---- requests ---- */

void xen_blkfront_set_pages(struct blkfront *bf, void *pages, unsigned slots, unsigned max_segs)
{
    bf->ind = pages;
    bf->slots = MIN(slots, (unsigned)BLKFRONT_SLOTS);
    if (!pages)
        bf->segs = BLKFRONT_SEGS;
    bf->segs = MIN(bf->segs, MAX(max_segs, (unsigned)BLKFRONT_SEGS));
}

/*
 * blkif.h: with persistent grants the backend maps every grant writable
 * (Linux blkback drops GNTMAP_readonly then) and keeps it mapped for the
 * connection, keyed by its ref, as long as it holds fewer than
 * max_persistent_grants (1056 by default; past that it maps and unmaps each
 * request's again).  So: each slot's pages and indirect page granted once,
 * writable, always under the same refs, pool plus indirect pages within
 * that limit.
 */
unsigned xen_blkfront_set_pool(struct blkfront *bf, void *const *blocks, unsigned nblocks,
                               unsigned block_pages)
{
    if (!bf->persistent)
        return 0;
    /* The backend said yes: it maps every grant writable now, so put's read-only ones fail. */
    if (!nblocks || block_pages < BLKFRONT_SEGS) {
        say(bf->err, sizeof(bf->err), bf->be, ": persistent grants agreed, no pool given", 0, false);
        bf->failed = -EINVAL;
        return 0;
    }
    bf->segs = MIN(bf->segs, block_pages);
    bf->slots = MIN(bf->slots, nblocks);
    for (unsigned s = 0; s < bf->slots; s++) {
        bf->pool[s] = blocks[s];
        for (unsigned j = 0; j < bf->segs; j++)
            xen_gnttab_grant(SLOT_REF(s, j), bf->be_id,
                             virt_to_mfn(bf->pool[s] + (size_t)j * PAGE_SIZE), false);
        if (bf->segs > BLKFRONT_SEGS)
            xen_gnttab_grant(IND_REF(s), bf->be_id, virt_to_mfn(bf->ind + (size_t)s * PAGE_SIZE),
                             false);
        bf->slot_segs[s] = (uint16_t)bf->segs;      /* given back at close only */
    }
    return bf->slots * bf->segs;
}

static uint32_t usable_slots(const struct blkfront *bf)
{
    return bf->slots == 32 ? 0xffffffffu : (1u << bf->slots) - 1;
}

static void end_grants(struct blkfront *bf, unsigned slot)
{
    for (unsigned j = 0; j < bf->slot_segs[slot]; j++)
        if (xen_gnttab_end(SLOT_REF(slot, j)))
            bf->leaked++;
    if (bf->slot_segs[slot] > BLKFRONT_SEGS && xen_gnttab_end(IND_REF(slot)))
        bf->leaked++;
    bf->slot_segs[slot] = 0;
}

static void reap(struct blkfront *bf)
{
    int more;
    do {
        RING_IDX prod = bf->ring.sring->rsp_prod;
        xen_rmb();
        for (RING_IDX i = bf->ring.rsp_cons; i != prod; i++) {
            blkif_response_t *r = RING_GET_RESPONSE(&bf->ring, i);
            uint64_t slot = r->id;
            if (slot >= BLKFRONT_SLOTS || !(bf->busy & (1u << slot))) {
                say(bf->err, sizeof(bf->err), bf->be, ": answer to no request of ours, id ", slot, true);
                bf->failed = -EIO;
                continue;
            }
            /* blkback unmaps a request's grants before it answers: they are ours again. */
            if (!bf->persistent)
                end_grants(bf, (unsigned)slot);
            bf->busy &= ~(1u << slot);
            if (r->status != BLKIF_RSP_OKAY && !bf->failed) {
                say(bf->err, sizeof(bf->err), bf->be, ": request failed, operation ", r->operation, true);
                xs_msg_str(bf->err, sizeof(bf->err), r->status == BLKIF_RSP_EOPNOTSUPP
                           ? " not supported" : " status error");
                bf->failed = -EIO;
            }
        }
        bf->ring.rsp_cons = prod;
        /* Sets rsp_event: the backend signals our channel for the next answer. */
        RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
    } while (more);
}

struct slot_wait {
    struct blkfront *bf;
    uint32_t mask;                      /* done when none of these slots is busy... */
    bool any;                           /* ...or, if any, when one slot is free */
};

static bool slots_done(void *arg)
{
    struct slot_wait *w = arg;
    reap(w->bf);
    if (w->any)
        return ~w->bf->busy & w->mask;
    return !(w->bf->busy & w->mask);
}

static int wait_slots(struct blkfront *bf, bool any)
{
    struct slot_wait w = { bf, any ? usable_slots(bf) : bf->busy, any };
    uint64_t t0 = xen_system_time();
    bool done = wait_until(slots_done, &w, BOUND_BLK_IO_NS, nap);
    bf->wait_ns += xen_system_time() - t0;
    if (done)
        return bf->failed;
    say(bf->err, sizeof(bf->err), bf->be, ": no answer within ", BOUND_BLK_IO_NS / NS_PER_S, true);
    xs_msg_str(bf->err, sizeof(bf->err), " s (backend gone?)");
    bf->failed = -ETIMEDOUT;
    return bf->failed;
}

/*
 * A free slot for the next request, or -1.  A slot is free once its answer
 * is read, never before: its refs (and indirect page) are reused only then.
 */
static int take_slot(struct blkfront *bf)
{
    reap(bf);
    if (!(~bf->busy & usable_slots(bf)) && wait_slots(bf, true))
        return -1;
    return __builtin_ctz(~bf->busy & usable_slots(bf));
}

static void fill_segs(struct blkfront *bf, int slot, struct blkif_request_segment *seg)
{
    for (unsigned j = 0; j < bf->npend; j++) {
        /* Read-only: the backend maps a write's pages GNTMAP_readonly (no feature-persistent). */
        if (!bf->persistent)
            xen_gnttab_grant(SLOT_REF(slot, j), bf->be_id, bf->pend_mfn[j], true);
        seg[j] = (struct blkif_request_segment){ .gref = SLOT_REF(slot, j), .first_sect = 0,
                                                 .last_sect = (uint8_t)(bf->pend_nsect[j] - 1) };
    }
    if (!bf->persistent)
        bf->slot_segs[slot] = (uint16_t)bf->npend;
}

static void build(struct blkfront *bf, int slot, uint8_t op, RING_IDX idx)
{
    if (bf->npend > BLKFRONT_SEGS) {
        /* blkif.h: BLKIF_OP_INDIRECT, the segments in a granted page (one holds 512). */
        blkif_request_indirect_t *r = (void *)RING_GET_REQUEST(&bf->ring, idx);
        struct blkif_request_segment *seg = (void *)(bf->ind + (size_t)slot * PAGE_SIZE);
        fill_segs(bf, slot, seg);
        if (!bf->persistent)
            xen_gnttab_grant(IND_REF(slot), bf->be_id, virt_to_mfn(seg), true);
        *r = (blkif_request_indirect_t){ .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
                                         .nr_segments = (uint16_t)bf->npend, .id = (uint64_t)slot,
                                         .sector_number = bf->pend_sector, .handle = bf->devid };
        r->indirect_grefs[0] = IND_REF(slot);
        return;
    }
    blkif_request_t *r = RING_GET_REQUEST(&bf->ring, idx);
    r->operation = op;
    r->nr_segments = (uint8_t)bf->npend;
    r->handle = bf->devid;
    r->id = (uint64_t)slot;
    r->sector_number = op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : bf->pend_sector;
    fill_segs(bf, slot, r->seg);
}

static int send(struct blkfront *bf, uint8_t op)
{
    if (bf->failed)
        return bf->failed;
    int slot = bf->npend ? bf->pend_slot : take_slot(bf);
    if (slot < 0)
        return bf->failed;
    build(bf, slot, op, bf->ring.req_prod_pvt);
    bf->busy |= 1u << slot;
    bf->ring.req_prod_pvt++;
    bf->requests++;
    bf->npend = bf->pend_sects = 0;
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
    /* The backend only looks at the ring after a signal: send one whenever the ring asks. */
    if (notify) {
        xen_evtchn_send(bf->port);
        bf->notifies++;
    }
    return 0;
}

/* Queue a page at sector: the request being built takes it, or a new one starts. */
static int queue(struct blkfront *bf, uint64_t sector, unsigned long mfn, unsigned nsect)
{
    if (bf->npend && (bf->npend == bf->segs || bf->pend_nsect[bf->npend - 1] != 8 ||
                      bf->pend_sector + bf->pend_sects != sector))
        send(bf, BLKIF_OP_WRITE);
    if (bf->failed)
        return bf->failed;
    if (!bf->npend) {
        int slot = take_slot(bf);
        if (slot < 0)
            return bf->failed;
        bf->pend_slot = slot;
        bf->pend_sector = sector;
    }
    bf->pend_mfn[bf->npend] = mfn;
    bf->pend_nsect[bf->npend++] = (uint8_t)nsect;
    bf->pend_sects += nsect;
    return 0;
}

int xen_blkfront_sync(struct blkfront *bf, bool flush)
{
    if (bf->npend)
        send(bf, BLKIF_OP_WRITE);
    if (bf->failed || wait_slots(bf, false))
        return bf->failed;
    if (!flush || !bf->flush)
        return 0;
    send(bf, BLKIF_OP_FLUSH_DISKCACHE);
    return bf->failed ? bf->failed : wait_slots(bf, false);
}

int xen_blkfront_close(struct blkfront *bf)
{
    int rc = 0;
    uint64_t st;
    /* A backend the toolstack took away (xl block-detach) has no state to follow. */
    if (bf->port && !read_u64(bf->be, "state", &st)) {
        /*
         * The backend unmaps the ring when it reaches Closed: only then is the
         * grant ours.  After a plain xl block-detach libxl removes the backend
         * as soon as it is Closed: gone is closed too.
         */
        rc = write_state(bf->fe, XenbusStateClosing);
        rc = rc ? rc : wait_state(bf->be, XenbusStateClosing, XenbusStateClosed, true, bf->err,
                                  sizeof(bf->err));
        rc = rc ? rc : write_state(bf->fe, XenbusStateClosed);
        rc = rc ? rc : wait_state(bf->be, XenbusStateClosed, XenbusStateClosed, true, bf->err,
                                  sizeof(bf->err));
    }
    if (xen_gnttab_granted(RING_REF, 1) && xen_gnttab_end(RING_REF))
        bf->leaked++;
    for (unsigned s = 0; s < BLKFRONT_SLOTS; s++)
        end_grants(bf, s);
    drop_nap_port();
    bf->port = 0;
    return rc;
}

int xen_blkfront_put(struct blkfront *bf, uint64_t sector, unsigned long mfn, unsigned nsect)
{
    return bf->persistent ? -EINVAL : queue(bf, sector, mfn, nsect);
}

void *xen_blkfront_page(struct blkfront *bf, uint64_t sector, unsigned nsect)
{
    if (!bf->persistent || queue(bf, sector, 0, nsect))
        return NULL;
    return bf->pool[bf->pend_slot] + (size_t)(bf->npend - 1) * PAGE_SIZE;
}
