/* SPDX-License-Identifier: MIT */
/*
 * The latency suite's hypercall floor (tests/guest/floor.c), shared with
 * test=scale so that an operation's serial cost and its floor are the same
 * call with the same arguments, timed by the same code.
 */
#ifndef TESTS_GUEST_FLOOR_H
#define TESTS_GUEST_FLOOR_H
#include <minipv/compiler.h>

/* One call; 0 when it did what it should (only those are timed). */
typedef long (*floor_call_fn)(void *arg);

/*
 * n calls between two clock reads: the time; *err keeps the first failure.
 * The floor's samples (n = 1) and test=scale's batches are both made here:
 * under TCG the same call made from two places settled at different costs
 * in one boot (tests/guest/scale.c, serial_batch).
 */
uint64_t floor_batch(floor_call_fn call, void *arg, unsigned n, long *err);
/* n calls, each between two clock reads: t1 - t0 of each that succeeded into out. */
unsigned floor_sample(floor_call_fn call, void *arg, uint64_t *out, unsigned n);
/* n back-to-back clock reads: the one read each floor sample holds besides its call. */
unsigned floor_clock(uint64_t *out, unsigned n);

/* The hypercalls both suites time (arg: unused, our vcpu id, an IPI port of ours). */
long floor_xen_version(void *unused);
long floor_vcpu_is_up(void *vcpu_id);
long floor_evtchn_send(void *port);
long floor_xenstore_read(void *unused);

#endif
