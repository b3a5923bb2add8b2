/* SPDX-License-Identifier: MIT */
/*
 * xenstore client over the start_info store ring (xen/xenstore.c: requests;
 * xen/xenstore_ring.c: the ring, watch events, waits), and the pure message
 * checks it uses (xen/xenstore_wire.c, host-tested).
 *
 * One request is in flight at a time (a lock serialises callers); every
 * wait is bounded by Xen system time (a caller that cannot have the lock
 * within BOUND_XENSTORE_LOCK_NS gets -EBUSY).  Watch events arrive on the same
 * ring, interleaved with replies, at any time: they are queued and handed
 * out by xs_watch_event().  Paths without a leading '/' are relative to the
 * domain's home, /local/domain/<domid>; so are the paths of events from
 * watches set on relative paths.
 *
 * Errors are negative errno values (minipv/errno.h: Xen's set, which xenstored shares); xs_last_error()
 * says in words what went wrong with the last failed call (a malformed
 * reply is named: its type, its length, the missing NUL, the error string).
 * dom0 started without a toolstack has no store ring (start_info store_mfn
 * 0): there every call returns -ENODEV.
 */
#ifndef XENPV_XENSTORE_H
#define XENPV_XENSTORE_H
#include <minipv/compiler.h>
#include <minipv/errno.h>

struct percpu;


/* Watch events kept until xs_watch_event() takes them; more are dropped (see there). */
#define XS_EVENT_QUEUE 64
#define XS_EVENT_MAX   192          /* path + token + 2 NULs */

/* ---- the client (xen/xenstore.c, xen/xenstore_ring.c) ---- */

/*
 * How a caller waits for the ring, installed by the kernel (the xen layer
 * cannot block a thread).  wait(ready, arg, deadline): sleep until ready(arg)
 * (called with events masked; it only reads the ring), deadline (Xen time)
 * or a news() wake-up; false when this context cannot sleep, and then the
 * client blocks its vCPU in SCHEDOP_poll instead.  news() runs whenever the
 * daemon signals the store channel (upcall context, events masked) and when
 * the client lock is given back.  Without a waiter every wait polls.
 */
struct xs_waiter {
    bool (*wait)(bool (*ready)(void *), void *arg, uint64_t deadline);
    void (*news)(void);
};
void xs_set_waiter(const struct xs_waiter *w);

/*
 * Map the store ring and bind its event channel to pc's vCPU.  notify (may
 * be NULL) runs in upcall context, events masked, whenever the daemon
 * signals the channel: it must only note that xs_poll() has work.
 * 0, or -ENODEV when there is no store (dom0, store_mfn 0).
 */
int xs_init(struct percpu *pc, void (*notify)(void));
bool xs_available(void);
/* Move the event channel to pc's vCPU (hotplug: its old cpu goes down). */
int xs_rebind(struct percpu *pc);
/* The logical cpu the channel is bound to. */
unsigned xs_bound_cpu(void);

/* Per-request bound (ns of Xen time) for the daemon to take the request and answer. */
extern uint64_t xs_timeout_ns;

/* tx 0: outside any transaction. */
/* Value of path, NUL-terminated in buf: its length, or -errno (-E2BIG: buf too small). */
int xs_read(uint32_t tx, const char *path, char *buf, size_t size);
/*
 * Read n paths with up to XS_PIPELINE requests in flight: one round trip for
 * many keys.  cb(i, rc, value, ctx) once per path answered, in reply order:
 * rc the value's length (value NUL-terminated) or -errno.  0, or -errno if
 * the exchange itself failed (the paths not answered get no callback).
 */
#define XS_PIPELINE 16
int xs_read_many(uint32_t tx, const char *const *paths, unsigned n,
                 void (*cb)(unsigned i, int rc, const char *val, void *ctx), void *ctx);
int xs_write(uint32_t tx, const char *path, const char *value);
int xs_rm(uint32_t tx, const char *path);
/* Children of path as consecutive NUL-terminated names in buf; returns how many, or -errno. */
int xs_directory(uint32_t tx, const char *path, char *buf, size_t size);
int xs_watch(const char *path, const char *token);
int xs_unwatch(const char *path, const char *token);
int xs_transaction_start(uint32_t *tx);
/* commit false aborts.  -EAGAIN: a conflicting change happened, redo the transaction. */
int xs_transaction_end(uint32_t tx, bool commit);

/* Move whatever the daemon has sent into the watch queue, without waiting.  0 or -errno. */
int xs_poll(void);
/*
 * Take the oldest queued watch event: 1 with path and token copied (each
 * NUL-terminated, cut to fit), 0 if there is none, -EOVERFLOW once after
 * events were dropped (queue full or an event too long): the caller must
 * rescan what it watches, since it cannot know which changes it missed.
 */
int xs_watch_event(char *path, size_t plen, char *token, size_t tlen);

/*
 * kexec: where the message streams of the ring stand, for the next kernel.
 * xs_quiesce (a planned jump) first waits, bounded, until no request is
 * under way and the incoming stream is at a message boundary, and then
 * keeps the client locked for good.  The new kernel calls xs_resume_from
 * before xs_init: it finishes a half-written request (its answer is
 * dropped), picks up a half-read message, numbers its requests past the
 * old ones, and resets the old kernel's watches (XS_RESET_WATCHES).
 */
struct xs_stream {
    uint32_t rx_have;           /* bytes of the current incoming message already read */
    uint8_t rx_hdr[16];         /* the header bytes among them */
    uint32_t req_left;          /* bytes of a request not written yet */
    uint32_t next_req;          /* the next request id */
};
void xs_stream_state(struct xs_stream *st);
int xs_quiesce(struct xs_stream *st, uint64_t bound_ns);
void xs_resume_from(const struct xs_stream *st);
/*
 * A suspend: nothing of ours in flight, the client locked (0, or -EBUSY:
 * a holder did not finish in its bound); xs_resume unlocks, and in a new
 * domain first takes the new port from start_info.
 */
int xs_suspend(void);
void xs_resume(bool new_domain);
/*
 * Every watch set again after a new domain (xenstored there knows none), in
 * two halves so the round trip overlaps other work: send every watch (the
 * client stays locked), then take the answers (unlocks).  A finish without
 * a send does nothing.  0 or -errno each.
 */
int xs_rewatch_send(void);
int xs_rewatch_finish(void);

/* Words for the last failed call ("" if none). */
const char *xs_last_error(void);

struct xs_stats {
    uint64_t requests, replies, events, events_dropped, stale_replies, errors, notifies;
};
extern struct xs_stats xs_stats;

/* ---- pure message checks (xen/xenstore_wire.c) ---- */

/* "ENOENT" for ENOENT, ... ; "E?" if unknown.  err is positive. */
const char *xs_errno_name(int err);
/*
 * A reply header as read from the ring: the type must be a known message
 * type and len at most XENSTORE_PAYLOAD_MAX.  0, or -EBADMSG with msg
 * naming the bad field and value.
 */
struct xsd_sockmsg;
int xs_check_header(const struct xsd_sockmsg *h, char *msg, size_t msglen);
/* XS_ERROR payload -> -errno; -EBADMSG (msg says why) if missing NUL or unknown name. */
int xs_parse_error(const char *p, uint32_t len, char *msg, size_t msglen);
/* The "OK\0" acknowledgement of write/rm/watch/unwatch/transaction_end. */
int xs_parse_ack(const char *p, uint32_t len, char *msg, size_t msglen);
/* "<decimal id>\0" of XS_TRANSACTION_START. */
int xs_parse_txid(const char *p, uint32_t len, uint32_t *tx, char *msg, size_t msglen);
/* "path\0token\0" of XS_WATCH_EVENT; pointers into p. */
int xs_parse_watch_event(const char *p, uint32_t len, const char **path, const char **token,
                         char *msg, size_t msglen);
/* Directory listing "a\0b\0": entry count, or -EBADMSG if the last entry lacks its NUL. */
int xs_parse_directory(const char *p, uint32_t len, char *msg, size_t msglen);
/* Free-running ring indexes: prod - cons must lie in 0..XENSTORE_RING_SIZE. */
bool xs_ring_sane(uint32_t prod, uint32_t cons);

/* Message building without snprintf (the xen layer has none): append, cut to fit. */
void xs_msg_str(char *msg, size_t msglen, const char *s);
void xs_msg_uint(char *msg, size_t msglen, uint64_t v);
/* Append s[0..len) quoted, non-printable bytes as \xNN, at most max bytes of s. */
void xs_msg_quoted(char *msg, size_t msglen, const char *s, size_t len, size_t max);

#endif
