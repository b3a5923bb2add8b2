/* SPDX-License-Identifier: MIT */
/*
 * Command line: Linux-style words `key`, `key=value`, `key="a b"`.  Every
 * option is declared once, with its type and range, next to the code that
 * uses it (KOPT_* macros put it in the minipv_opts section).  An unknown
 * word or a malformed value is named in one warning and ignored: the
 * option keeps its built-in default, and the boot goes on.
 *
 * One rule for every type: an empty value (`key=`), a missing one (`key`,
 * except booleans), an over-long one (a string longer than its buffer, a
 * word over 255 bytes) and one out of range are all "bad value", named,
 * the default kept, and the option marked rejected.  Words are shown
 * quoted with control and non-ASCII bytes as \xNN (kernel/lib/escape.c).
 *
 * A size (KOPT_SIZE) is written as Linux writes sizes: a number with a
 * K, M, G or T suffix (binary: K = 1024), in either case; a plain number
 * is in the option's own unit (crashkernel=: MiB).  A size option may also
 * take words (crashkernel=auto): word i is stored as KOPT_SIZE_WORD(i).
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include <minipv/compiler.h>

enum kopt_type { KOPT_UINT, KOPT_BOOL, KOPT_ENUM, KOPT_STR, KOPT_SIZE };

struct kopt {
    const char *name;
    enum kopt_type type;
    void *var;                    /* uint64_t* (UINT, SIZE: bytes), bool*, int* (enum index), char[max] */
    uint64_t min, max;            /* UINT, SIZE: range; STR: buffer size */
    const char *const *choices;   /* ENUM: NULL-terminated names; SIZE: its words, or NULL */
    uint64_t unit;                /* SIZE: bytes a number without a suffix means */
    const char *help;
    bool given;                   /* set by the parser: a word set it */
    bool rejected;                /* set by the parser: its last word was refused */
};

#define KOPT_(id, n, t, v, lo, hi, ch, h)                                         \
    static struct kopt kopt_##id __used __section("minipv_opts") __aligned(8) = { \
        .name = n, .type = t, .var = v, .min = lo, .max = hi, .choices = ch, .help = h }
/* What a size option holds after its word i (never a size: no range reaches it). */
#define KOPT_SIZE_WORD(i) (UINT64_MAX - (uint64_t)(i))
#define KOPT_SIZE(id, n, v, u, lo, hi, words, h)                                  \
    static struct kopt kopt_##id __used __section("minipv_opts") __aligned(8) = { \
        .name = n, .type = KOPT_SIZE, .var = &(v), .min = lo, .max = hi,         \
        .choices = words, .unit = u, .help = h }
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
/*
 * Parse the line in buf[0..size) as Xen hands it over (start_info.cmd_line:
 * at most size - 1 bytes and a NUL).  A line that fills the buffer was
 * probably cut: the warning says so and names the last word, which is
 * refused whole (counted, its option marked rejected), never half-applied.
 */
int cmdline_parse_buf(const char *buf, size_t size, cmdline_warn_fn warn);
/* What o accepts, as messages say it: "0..8", "auto|poweroff|...", "1..31 characters". */
void kopt_expected(const struct kopt *o, char *buf, size_t size);
/* Render one option's current value (for the boot report). */
void kopt_format(const struct kopt *o, char *buf, size_t size);
struct kopt *kopt_find(const char *name, size_t len);

#endif
