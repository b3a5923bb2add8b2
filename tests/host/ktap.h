/* SPDX-License-Identifier: MIT */
/* Minimal KTAP for host unit tests: CASE(cond, name, fmt...) and ktap_done(). */
#ifndef HOST_KTAP_H
#define HOST_KTAP_H
#include <stdio.h>
#include <stdlib.h>

static int ktap_n, ktap_failed;
static void ktap_plan(int n) { printf("KTAP version 1\n1..%d\n", n); }
#define CASE(cond, name, ...)                                       \
    do {                                                            \
        ktap_n++;                                                   \
        if (cond) {                                                 \
            printf("ok %d %s\n", ktap_n, name);                     \
        } else {                                                    \
            ktap_failed++;                                          \
            printf("not ok %d %s # ", ktap_n, name);                \
            printf(__VA_ARGS__);                                    \
            printf("\n");                                           \
        }                                                           \
    } while (0)
static int ktap_done(void) { return ktap_failed ? 1 : 0; }
#endif
