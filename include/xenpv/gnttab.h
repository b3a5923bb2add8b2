/* SPDX-License-Identifier: MIT */
/*
 * Grant table v1 (xen/gnttab.c): the frames Xen keeps for the domain,
 * mapped, and grants by ref.  Only the crash kernel's block frontend grants
 * today, from refs GNTTAB_DUMP_FIRST.. that nothing else hands out: a crash
 * kernel shares the crashed kernel's table (same domain), so its refs must
 * never be ones the old kernel may still have lent.
 */
#ifndef XENPV_GNTTAB_H
#define XENPV_GNTTAB_H
#include <minipv/compiler.h>
#include <xen/grant_table.h>

/* Refs 0-7 are reserved (console, xenstore, tools); ours start in frame 2. */
#define GNTTAB_DUMP_FIRST 1024u
#define GNTTAB_DUMP_REFS  8704u        /* the ring, then 32 slots of 256 + 1 (xen/blkfront.c) */
/* Frames set up: enough to hold the dump range (512 v1 entries a frame). */
#define GNTTAB_FRAMES     ((GNTTAB_DUMP_FIRST + GNTTAB_DUMP_REFS + 511) / 512)

/* GNTTABOP_setup_table (idempotent) and map the frames.  0 or -errno. */
int xen_gnttab_init(void);
/* Let dom use mfn through ref; ro: read-only. */
void xen_gnttab_grant(grant_ref_t ref, domid_t dom, unsigned long mfn, bool ro);
/* Take ref back: 0, or -EBUSY while the other end still has it mapped. */
int xen_gnttab_end(grant_ref_t ref);
/* How many of refs [first, first + n) are still granted (a leak check). */
unsigned xen_gnttab_granted(grant_ref_t first, unsigned n);

#endif
