/* SPDX-License-Identifier: MIT */
/*
 * A small polling PV block frontend (xen/blkfront.c) for the crash kernel's
 * dump disk: one blkif ring of one page (up to 32 requests, of up to 256
 * pages through indirect pages), writes from read-only grants of the
 * caller's frames or, with persistent grants, from a pool of pages granted
 * once that the caller fills; no interrupts (it polls the
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
/* An indirect request's segments at most: Linux blkback's MAX_INDIRECT_SEGMENTS (1 MiB). */
#define BLKFRONT_MAX_SEGS 256

struct blkfront {
    uint16_t devid;
    uint16_t be_id;                     /* the backend's domain */
    char fe[32], be[96];                /* device/vbd/<devid>, its backend's path */
    uint64_t sectors;                   /* the disk's size, 512-byte sectors */
    uint32_t sector_size, info;
    bool ro, flush;                     /* VDISK_READONLY / mode r; feature-flush-cache */
    bool want_persistent, persistent;   /* feature-persistent: offered; the backend's yes */
    uint8_t *pool[BLKFRONT_SLOTS];      /* persistent: each slot's segs pages, granted once */
    uint32_t port;
    blkif_front_ring_t ring;
    uint32_t busy;                      /* slots in flight, one bit each (id = slot) */
    uint8_t *ind;                       /* one page a slot, the caller's: its indirect segments */
    unsigned slots;                     /* slots in use */
    unsigned segs;                      /* pages a request at most (11, more when indirect) */
    uint16_t slot_segs[BLKFRONT_SLOTS]; /* each slot's granted data refs */
    uint64_t pend_sector;               /* the request being built, in slot pend_slot */
    unsigned npend, pend_sects;
    int pend_slot;
    unsigned long pend_mfn[BLKFRONT_MAX_SEGS];
    uint8_t pend_nsect[BLKFRONT_MAX_SEGS];
    uint64_t requests, notifies, leaked;
    uint64_t wait_ns;                   /* time spent waiting for the backend's answers */
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
/*
 * Handshake and connect; bf is zeroed first.  persistent: offer
 * feature-persistent (bf->persistent says whether the backend took it).
 * 0 or -errno (bf->err).
 */
int xen_blkfront_open(struct blkfront *bf, uint16_t devid, bool persistent);
/*
 * After open, before the first put: slots (1-32) requests may be in flight;
 * pages (slots pages, page-aligned, ours until close; NULL: 11-page
 * requests only) hold each slot's indirect segments; a request takes up to
 * max_segs pages (at least 11; the backend's offer caps it).
 */
void xen_blkfront_set_pages(struct blkfront *bf, void *pages, unsigned slots, unsigned max_segs);
/*
 * Write nsect (1-8) sectors from the start of frame mfn at disk sector
 * `sector`: queued into the request being built, sent when it is full or
 * the next page is not contiguous.  The frame is granted as it is, read
 * when the backend gets to it: it must not change until sync.  0 or
 * bf->failed.
 */
int xen_blkfront_put(struct blkfront *bf, uint64_t sector, unsigned long mfn, unsigned nsect);
/*
 * With persistent grants (after set_pages): nblocks blocks of block_pages
 * pages each (page-aligned, ours until close), one a slot, become the pool,
 * granted once; slots and segs shrink to fit it.  The pool's pages in use,
 * or 0 (no persistent grants: use put).
 */
unsigned xen_blkfront_set_pool(struct blkfront *bf, void *const *blocks, unsigned nblocks,
                               unsigned block_pages);
/*
 * With the pool: the page to fill now with nsect (1-8) sectors for disk
 * sector `sector`, queued as put queues a frame; NULL on failure
 * (bf->failed).  It is sent at a later page, sync or a full request.
 */
void *xen_blkfront_page(struct blkfront *bf, uint64_t sector, unsigned nsect);
/* Send what is queued and wait for every answer; then FLUSH_DISKCACHE if flush and offered. */
int xen_blkfront_sync(struct blkfront *bf, bool flush);
/* Closing -> Closed with the backend, grants and channel given back.  0 or -errno. */
int xen_blkfront_close(struct blkfront *bf);

#endif
