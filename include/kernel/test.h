/* SPDX-License-Identifier: MIT */
/*
 * Guest test suites.  A suite is a name, a title and a run() that reports
 * cases in KTAP through ktap_case(); test=NAME on the command line picks it.
 * The run's XTF-style result is the most severe outcome reported.
 */
#ifndef KERNEL_TEST_H
#define KERNEL_TEST_H
#include <minipv/compiler.h>
#include <kernel/kernel.h>

struct guest_suite {
    const char *name;
    const char *title;
    void (*run)(void);
};

#define GUEST_SUITE(id, nm, ttl, fn)                                               \
    static const struct guest_suite suite_##id __used __section("minipv_suites")  \
        __aligned(8) = { nm, ttl, fn }

extern const struct guest_suite __start_minipv_suites[], __stop_minipv_suites[];

void ktap_begin(unsigned ncases);
/* One KTAP case line: "ok N name" or "not ok N name # reason". */
void ktap_case(bool ok, const char *name, const char *fmt, ...) __printf(3, 4);
void ktap_skip(const char *name, const char *why);
/* Report and return cond; the reason is only printed on failure. */
#define CHECK(cond, name, ...) ({ bool c_ = (cond); ktap_case(c_, name, __VA_ARGS__); c_; })

#endif
