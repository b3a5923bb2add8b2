/* SPDX-License-Identifier: MIT */
/*
 * The xenstore client's private state, shared by xen/xenstore_ring.c (the
 * transport: ring bytes, incoming messages, watch events, waits, the kexec
 * stream state) and xen/xenstore.c (requests and replies).  Interface:
 * include/xenpv/xenstore.h.  xenstore.c calls the ring file, never the other
 * way round.
 */
#ifndef XEN_XENSTORE_RING_H
#define XEN_XENSTORE_RING_H
#include <xenpv/xenstore.h>
#include <xen/io/xs_wire.h>

extern struct xenstore_domain_interface *xs_ring;
extern uint32_t xs_next_req_id;
/* A request was cut off mid-write: the daemon's view of the stream is lost for good. */
extern bool xs_broken;
/* Bytes of the request being written that are not in the ring yet (for a kexec handoff). */
extern uint32_t xs_req_left;
extern char xs_errmsg[192];

/* The incoming message being assembled (a 4 KiB payload spans several ring fills). */
struct xs_rx {
    struct xsd_sockmsg hdr;
    uint32_t have;                          /* bytes of hdr + body received */
    char body[XENSTORE_PAYLOAD_MAX + 1];    /* + a NUL of our own */
};
extern struct xs_rx xs_rx;

/* Record err's reason (what) for xs_last_error(); returns err. */
int xs_fail(int err, const char *what);
/* The hook xs_init was given: the daemon signalled (upcall context). */
void xs_set_notify(void (*notify)(void));
/* Map the ring and bind its channel; -errno with the reason recorded. */
int xs_ring_attach(struct percpu *pc);
/* -EIO when xenstored flags an error on the ring (the reason recorded). */
int xs_ring_error(void);
/* The client lock: bounded (BOUND_XENSTORE_LOCK_NS); false (reason recorded) if not had. */
bool xs_lock_take(void);
void xs_lock_give(void);
/* Write len bytes into the request ring, waiting for space until deadline.  0 or -errno. */
int xs_write_bytes(const void *data, uint32_t len, uint64_t deadline);
/*
 * Wait until a reply with a request id in [lo, hi) is complete in xs_rx
 * (1), or deadline (-ETIMEDOUT), queueing watch events meanwhile; -errno
 * on a broken stream.
 */
int xs_wait_reply(uint32_t lo, uint32_t hi, uint64_t deadline);
/* A request id (never 0: "no reply wanted" to the pump), n in a row. */
uint32_t xs_take_ids(unsigned n);
/* Set by xs_resume_from before xs_init: we take over a ring an earlier kernel used. */
extern bool xs_resuming;
/* Bytes of the old kernel's request still to write. */
extern uint32_t xs_resume_fill;

#endif
