/* SPDX-License-Identifier: MIT */
/*
 * Command line: Linux-style words `key`, `key=value`, `key="a b"`.  Every
 * option is declared once, with its type and range, next to the code that
 * uses it (KOPT_* macros put it in the minipv_opts section).  An unknown
 * word or a malformed value is named in one warning and ignored: the
 * option keeps its built-in default, and the boot goes on.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include <minipv/compiler.h>

enum kopt_type { KOPT_UINT, KOPT_BOOL, KOPT_ENUM, KOPT_STR };

struct kopt {
    const char *name;
    enum kopt_type type;
    void *var;                    /* uint64_t*, bool*, int* (enum index), char[max] */
    uint64_t min, max;            /* UINT: range; STR: buffer size */
    const char *const *choices;   /* ENUM: NULL-terminated names */
    const char *help;
    bool given;                   /* set by the parser */
};

#define KOPT_(id, n, t, v, lo, hi, ch, h)                                         \
    static struct kopt kopt_##id __used __section("minipv_opts") __aligned(8) = { \
        .name = n, .type = t, .var = v, .min = lo, .max = hi, .choices = ch, .help = h }
#define KOPT_UINT(id, name, var, lo, hi, help) \
    KOPT_(id, name, KOPT_UINT, &(var), lo, hi, NULL, help)
#define KOPT_BOOL(id, name, var, help) \
    KOPT_(id, name, KOPT_BOOL, &(var), 0, 1, NULL, help)
#define KOPT_ENUM(id, name, var, choices, help) \
    KOPT_(id, name, KOPT_ENUM, &(var), 0, 0, choices, help)
#define KOPT_STR(id, name, buf, help) \
    KOPT_(id, name, KOPT_STR, (buf), 0, sizeof(buf), NULL, help)

extern struct kopt __start_minipv_opts[], __stop_minipv_opts[];

typedef void (*cmdline_warn_fn)(const char *msg);

/* Parse cmdline against the option table; returns the number of words rejected. */
int cmdline_parse(const char *cmdline, cmdline_warn_fn warn);
/* Render one option's current value (for the boot report). */
void kopt_format(const struct kopt *o, char *buf, size_t size);
struct kopt *kopt_find(const char *name, size_t len);

#endif
