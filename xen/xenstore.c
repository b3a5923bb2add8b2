/* SPDX-License-Identifier: MIT */
/*
 * xenstore requests and replies (docs/misc/xenstore.txt) over the ring
 * transport of xen/xenstore_ring.c.  The xen layer: no printing, no heap; a
 * failed call returns -errno and leaves its reason in xs_last_error().
 */
#include "xenstore_ring.h"
#include <minipv/string.h>
#include <xenpv/xenpv.h>

/*
 * One request/response exchange; xs_lock held.  On success rx holds the
 * reply (type == type, payload NUL-terminated at xs_rx.body[xs_rx.hdr.len]); the
 * caller parses it, then sets xs_rx.have = 0.
 */
static int talk(uint32_t type, uint32_t tx, const char *const parts[], const uint32_t lens[],
                unsigned nparts)
{
    if (!xs_ring)
        return xs_fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    if (xs_broken)
        return xs_fail(-EIO, "connection lost after a request was cut off");
    int rc = xs_ring_error();
    if (rc)
        return rc;
    uint32_t total = 0;
    for (unsigned i = 0; i < nparts; i++)
        total += lens[i];
    if (total > XENSTORE_PAYLOAD_MAX)
        return xs_fail(-E2BIG, "request longer than XENSTORE_PAYLOAD_MAX");

    uint32_t id = xs_take_ids(1);
    struct xsd_sockmsg h = { .type = type, .req_id = id, .tx_id = tx, .len = total };
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    xs_stats.requests++;
    xs_req_left = (uint32_t)sizeof(h) + total;
    rc = xs_write_bytes(&h, sizeof(h), deadline);
    for (unsigned i = 0; !rc && i < nparts; i++)
        rc = xs_write_bytes(parts[i], lens[i], deadline);
    if (rc)
        return rc;

    rc = xs_wait_reply(id, id + 1, deadline);
    if (rc < 0)
        return rc;

    if (xs_rx.hdr.type == XS_ERROR) {
        rc = xs_parse_error(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg));
        xs_stats.errors++;
        xs_rx.have = 0;
        return rc;
    }
    if (xs_rx.hdr.type != type) {
        xs_errmsg[0] = 0;
        xs_msg_str(xs_errmsg, sizeof(xs_errmsg), "malformed reply: type ");
        xs_msg_uint(xs_errmsg, sizeof(xs_errmsg), xs_rx.hdr.type);
        xs_msg_str(xs_errmsg, sizeof(xs_errmsg), " to a request of type ");
        xs_msg_uint(xs_errmsg, sizeof(xs_errmsg), type);
        xs_stats.errors++;
        xs_rx.have = 0;
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
    if (!xs_lock_take())
        return -EBUSY;
    int rc = talk(type, tx, parts, lens, b ? 2 : 1);
    if (!rc) {
        rc = xs_parse_ack(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg));
        xs_rx.have = 0;
    }
    xs_lock_give();
    return rc;
}

int xs_read(uint32_t tx, const char *path, char *buf, size_t size)
{
    const char *parts[1] = { path };
    uint32_t lens[1] = { slen(path) + 1 };
    if (!xs_lock_take())
        return -EBUSY;
    int rc = talk(XS_READ, tx, parts, lens, 1);
    if (!rc) {
        /* A value is raw bytes, not NUL-terminated on the wire: we add the NUL. */
        uint32_t n = xs_rx.hdr.len;
        if (n + 1 > size) {
            rc = xs_fail(-E2BIG, "value longer than the caller's buffer");
        } else {
            for (uint32_t i = 0; i < n; i++)
                buf[i] = xs_rx.body[i];
            buf[n] = 0;
            rc = (int)n;
        }
        xs_rx.have = 0;
    }
    xs_lock_give();
    return rc;
}

/* One XS_READ of path with request id id, not waiting for its reply. */
static int send_read(uint32_t tx, const char *path, uint32_t id, uint64_t deadline)
{
    uint32_t len = slen(path) + 1;
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = id, .tx_id = tx, .len = len };
    xs_stats.requests++;
    xs_req_left = (uint32_t)sizeof(h) + len;
    int rc = xs_write_bytes(&h, sizeof(h), deadline);
    return rc ? rc : xs_write_bytes(path, len, deadline);
}

/* Hand the reply in xs_rx to cb as the answer to paths[req_id - base]. */
static void answer_read(uint32_t base, void (*cb)(unsigned i, int rc, const char *val, void *ctx),
                        void *ctx)
{
    int r;
    if (xs_rx.hdr.type == XS_ERROR) {
        r = xs_parse_error(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg));
        xs_stats.errors++;
    } else if (xs_rx.hdr.type != XS_READ) {
        r = -EBADMSG;
    } else {
        r = (int)xs_rx.hdr.len;       /* the body is NUL-terminated by the pump */
    }
    cb(xs_rx.hdr.req_id - base, r, r >= 0 ? xs_rx.body : NULL, ctx);
    xs_rx.have = 0;
}

int xs_read_many(uint32_t tx, const char *const *paths, unsigned n,
                 void (*cb)(unsigned i, int rc, const char *val, void *ctx), void *ctx)
{
    if (!xs_ring)
        return xs_fail(-ENODEV, "no xenstore ring (dom0, or start_info store_mfn 0)");
    if (!xs_lock_take())
        return -EBUSY;
    int rc = xs_broken ? xs_fail(-EIO, "connection lost after a request was cut off")
                       : xs_ring_error();
    uint32_t base = xs_take_ids(n);
    unsigned sent = 0, answered = 0;
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    while (!rc && answered < n) {
        /* Keep a few in flight: the daemon answers them back to back. */
        for (; !rc && sent < n && sent - answered < XS_PIPELINE; sent++)
            rc = send_read(tx, paths[sent], base + sent, deadline);
        if (rc)
            break;
        rc = xs_wait_reply(base, base + sent, deadline);
        if (rc == 1) {
            answer_read(base, cb, ctx);
            answered++;
            deadline = xen_system_time() + xs_timeout_ns;      /* progress: a fresh bound */
            rc = 0;
        }
    }
    xs_lock_give();
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

/* Our watches, set again in a new domain (xenstored forgot them with the old one). */
#define XS_MAX_WATCHES 8
static struct {
    char path[64], token[16];
} watches[XS_MAX_WATCHES];

static int watch_slot(const char *path, const char *token)
{
    for (int i = 0; i < XS_MAX_WATCHES; i++)
        if (!strcmp(watches[i].path, path) && !strcmp(watches[i].token, token))
            return i;
    return -1;
}

/* Why a watch cannot be kept for a restore: its path (escaped) and the limit it hit. */
static int watch_refused(const char *path, const char *limit, size_t n)
{
    xs_fail(-ENOSPC, "watch on ");
    xs_msg_quoted(xs_errmsg, sizeof(xs_errmsg), path, strlen(path), 48);
    xs_msg_str(xs_errmsg, sizeof(xs_errmsg), limit);
    xs_msg_uint(xs_errmsg, sizeof(xs_errmsg), n);
    xs_msg_str(xs_errmsg, sizeof(xs_errmsg), " (a restore could not set it again): not set");
    return -ENOSPC;
}

int xs_watch(const char *path, const char *token)
{
    int i = watch_slot(path, token);
    if (i < 0)
        i = watch_slot("", "");
    if (i < 0)
        return watch_refused(path, ": the watch table is full, slots ", XS_MAX_WATCHES);
    if (strlen(path) >= sizeof(watches[i].path))
        return watch_refused(path, ": path longer than the bytes kept, ",
                             sizeof(watches[i].path) - 1);
    if (strlen(token) >= sizeof(watches[i].token))
        return watch_refused(path, ": token longer than the bytes kept, ",
                             sizeof(watches[i].token) - 1);
    int rc = simple(XS_WATCH, 0, path, token, true);
    if (!rc) {
        strlcpy(watches[i].path, path, sizeof(watches[i].path));
        strlcpy(watches[i].token, token, sizeof(watches[i].token));
    }
    return rc;
}

int xs_unwatch(const char *path, const char *token)
{
    int i = watch_slot(path, token);
    if (i >= 0)
        watches[i].path[0] = watches[i].token[0] = 0;
    return simple(XS_UNWATCH, 0, path, token, true);
}

/* One XS_WATCH of watches[i] with request id id, not waiting for its reply. */
static int send_watch(int i, uint32_t id, uint64_t deadline)
{
    uint32_t lp = slen(watches[i].path) + 1, lt = slen(watches[i].token) + 1;
    struct xsd_sockmsg h = { .type = XS_WATCH, .req_id = id, .len = lp + lt };
    xs_stats.requests++;
    xs_req_left = (uint32_t)sizeof(h) + lp + lt;
    int rc = xs_write_bytes(&h, sizeof(h), deadline);
    if (!rc)
        rc = xs_write_bytes(watches[i].path, lp, deadline);
    return rc ? rc : xs_write_bytes(watches[i].token, lt, deadline);
}

/* The watches sent again after a restore, their answers not yet taken (client locked). */
static struct {
    bool open;
    uint32_t base;
    unsigned sent;
    uint64_t deadline;
    int rc;
} rewatch;

int xs_rewatch_send(void)
{
    /* All sent now, all answered in xs_rewatch_finish: one round trip, overlapping the rest. */
    if (!xs_ring || rewatch.open)
        return 0;
    if (!xs_lock_take())
        return -EBUSY;
    rewatch = (typeof(rewatch)){ .open = true, .base = xs_take_ids(XS_MAX_WATCHES),
                                 .deadline = xen_system_time() + xs_timeout_ns };
    int rc = 0;
    for (int i = 0; i < XS_MAX_WATCHES && !rc; i++)
        if (watches[i].path[0] && !(rc = send_watch(i, rewatch.base + (uint32_t)i,
                                                    rewatch.deadline)))
            rewatch.sent++;
    rewatch.rc = rc;
    return rc;
}

int xs_rewatch_finish(void)
{
    if (!rewatch.open)
        return 0;
    int rc = rewatch.rc;
    unsigned answered = 0;
    while (!rc && answered < rewatch.sent) {
        rc = xs_wait_reply(rewatch.base, rewatch.base + XS_MAX_WATCHES, rewatch.deadline);
        if (rc == 1) {
            rc = xs_rx.hdr.type == XS_ERROR
                     ? xs_parse_error(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg))
                     : xs_parse_ack(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg));
            xs_rx.have = 0;
            answered++;
        }
    }
    rewatch.open = false;
    xs_lock_give();
    return rc;
}

int xs_directory(uint32_t tx, const char *path, char *buf, size_t size)
{
    const char *parts[1] = { path };
    uint32_t lens[1] = { slen(path) + 1 };
    if (!xs_lock_take())
        return -EBUSY;
    int rc = talk(XS_DIRECTORY, tx, parts, lens, 1);
    if (!rc) {
        rc = xs_parse_directory(xs_rx.body, xs_rx.hdr.len, xs_errmsg, sizeof(xs_errmsg));
        if (rc >= 0 && xs_rx.hdr.len > size)
            rc = xs_fail(-E2BIG, "directory listing longer than the caller's buffer");
        else if (rc >= 0)
            for (uint32_t i = 0; i < xs_rx.hdr.len; i++)
                buf[i] = xs_rx.body[i];
        if (rc >= 0 && size > xs_rx.hdr.len)
            buf[xs_rx.hdr.len] = 0;
        xs_rx.have = 0;
    }
    xs_lock_give();
    return rc;
}

int xs_transaction_start(uint32_t *tx)
{
    const char *parts[1] = { "" };
    uint32_t lens[1] = { 1 };
    if (!xs_lock_take())
        return -EBUSY;
    int rc = talk(XS_TRANSACTION_START, 0, parts, lens, 1);
    if (!rc) {
        rc = xs_parse_txid(xs_rx.body, xs_rx.hdr.len, tx, xs_errmsg, sizeof(xs_errmsg));
        xs_rx.have = 0;
    }
    xs_lock_give();
    return rc;
}

int xs_transaction_end(uint32_t tx, bool commit)
{
    /* "T" commits, "F" aborts; EAGAIN: somebody else changed what we read. */
    return simple(XS_TRANSACTION_END, tx, commit ? "T" : "F", NULL, false);
}

/*
 * A kexec'd kernel on its predecessor's ring: finish the request the old
 * kernel was writing (xenstored answers it, and nobody waits for that), then
 * drop its watches and transactions (xenstored do_reset_watches); we set our own.
 */
static int resume_ring(void)
{
    static const char zeros[64];
    uint64_t deadline = xen_system_time() + xs_timeout_ns;
    int rc = 0;
    if (!xs_lock_take())
        return -EBUSY;
    while (!rc && xs_resume_fill) {
        uint32_t n = MIN(xs_resume_fill, (uint32_t)sizeof(zeros));
        rc = xs_write_bytes(zeros, n, deadline);
        xs_resume_fill -= n;
    }
    xs_lock_give();
    if (rc)
        return rc;
    return simple(XS_RESET_WATCHES, 0, "", NULL, false);
}

int xs_init(struct percpu *pc, void (*notify)(void))
{
    xs_set_notify(notify);
    int rc = xs_ring_attach(pc);
    if (rc)
        return rc;
    return xs_resuming ? resume_ring() : 0;
}
