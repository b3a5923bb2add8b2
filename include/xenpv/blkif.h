/* SPDX-License-Identifier: MIT */
/*
 * A small polling PV block frontend (xen/blkfront.c) for the crash kernel's
 * dump disk: one blkif ring of one page (up to 32 requests of 11 pages),
 * writes from read-only grants of bounce pages, no interrupts (it polls the
 * ring and sleeps in SCHEDOP_poll on its own channel).  Errors leave words
 * in bf->err.
 */
#ifndef XENPV_BLKIF_H
#define XENPV_BLKIF_H
#include <minipv/compiler.h>
#include <xenpv/gnttab.h>
/* xen/io/ring.h wants these from its user. */
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

#define BLKFRONT_SLOTS 32               /* __CONST_RING_SIZE(blkif, 4096) */
#define BLKFRONT_SEGS  BLKIF_MAX_SEGMENTS_PER_REQUEST

struct blkfront {
    uint16_t devid;
    uint16_t be_id;                     /* the backend's domain */
    char fe[32], be[96];                /* device/vbd/<devid>, its backend's path */
    uint64_t sectors;                   /* the disk's size, 512-byte sectors */
    uint32_t sector_size, info;
    bool ro, flush;                     /* VDISK_READONLY / mode r; feature-flush-cache */
    uint32_t port;
    blkif_front_ring_t ring;
    uint32_t busy;                      /* slots in flight, one bit each (id = slot) */
    uint8_t *bounce;                    /* 11 pages a slot, the caller's: what the disk gets */
    unsigned slots;                     /* slots in use (as many as have bounce pages) */
    uint64_t pend_sector;               /* the request being built, in slot pend_slot */
    unsigned npend, pend_sects;
    int pend_slot;
    uint8_t pend_nsect[BLKFRONT_SEGS];
    uint64_t requests, notifies, leaked;
    int failed;                         /* first error: the disk is given up */
    char err[200];
};

/*
 * A frontend an older kernel left Connected or Closed is put back to
 * Initialising (Closing -> Closed -> Initialising, with the backend
 * following each step, as Linux's xenbus_reset_frontend).  0 (also when
 * there was nothing to do), or -errno with words in err.
 */
int xen_blkfront_reset(uint16_t devid, char *err, size_t errlen);
/* Handshake and connect; bf is zeroed first.  0 or -errno (bf->err). */
int xen_blkfront_open(struct blkfront *bf, uint16_t devid);
/*
 * Before the first put: slots x 11 pages (zeroed, page-aligned, ours until
 * close) into which each page is copied before it is granted, so the disk
 * gets the page as it was at the put even if something writes it later.
 * slots (1-32) is how many requests may be in flight.
 */
void xen_blkfront_set_bounce(struct blkfront *bf, void *pages, unsigned slots);
/*
 * Write nsect (1-8) sectors from the start of page (copied at once) at disk
 * sector `sector`: queued into the request being built, sent when it is full
 * or the next page is not contiguous.  0 or bf->failed.
 */
int xen_blkfront_put(struct blkfront *bf, uint64_t sector, const void *page, unsigned nsect);
/* Send what is queued and wait for every answer; then FLUSH_DISKCACHE if flush and offered. */
int xen_blkfront_sync(struct blkfront *bf, bool flush);
/* Closing -> Closed with the backend, grants and channel given back.  0 or -errno. */
int xen_blkfront_close(struct blkfront *bf);

#endif
