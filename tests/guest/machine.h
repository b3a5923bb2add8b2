/* SPDX-License-Identifier: MIT */
/* Between the guest suites that check a kernel after a jump (tests/guest/machine.c). */
#ifndef TESTS_GUEST_MACHINE_H
#define TESTS_GUEST_MACHINE_H
#include <minipv/compiler.h>

/* Free pages may differ between generations by a few page-table pages of the linear map. */
#define LEAK_BOUND_PAGES 16

struct machine_checks {
    bool back, ipi, timers, xen_view, apic, stray, memory, offline;
    unsigned ipi_ok, timers_ok, online, apic_bad, stayed, revived, was_offline;
    long long free_diff;
};
/*
 * Every vCPU online at the jump is back and cpu 0 is the one that jumped;
 * offline ones stayed offline (then they are brought up); every cpu answers
 * an IPI and Xen accepts its own timer; Xen's view matches; APIC IDs kept;
 * no stray event; free pages within LEAK_BOUND_PAGES of generation 1 (when
 * memory was reclaimed).  Prints "TAG: generation G: NAME: ok|FAILED" lines;
 * returns how many failed.
 */
unsigned machine_checks(struct machine_checks *g, const char *tag);
/* Xen has exactly the ONLINE cpus up (VCPUOP_is_up); *bad names the first that is not so. */
bool machine_xen_agrees(int *bad);
/* call_on_all target: ping every other online cpu (ping_from/IPI_PING; ping_seen records it). */
void machine_ping_all(void *arg);
/* The online vCPU after prev in vcpu id order (wrapping), other than prev; -1 if none. */
int next_vcpu(unsigned prev);

#endif
