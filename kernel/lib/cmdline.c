/* SPDX-License-Identifier: MIT */
/* Command-line parser (pure; host-tested under ASan/UBSan, fuzzed). */
#include <kernel/cmdline.h>
#include <kernel/escape.h>
#include <kernel/format.h>

#define MAX_WORD 256
#define SHOW_MAX 48             /* bytes of a bad word or value quoted in a message */

static bool name_eq(const char *name, const char *s, size_t len)
{
    size_t i = 0;
    for (; i < len; i++)
        if (name[i] != s[i] || !name[i])
            return false;
    return name[i] == 0;
}

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

struct kopt *kopt_find(const char *name, size_t len)
{
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++)
        if (name_eq(o->name, name, len))
            return o;
    return NULL;
}

/* Decimal or 0x-hex, no sign, no overflow; all of s[0..len) must be consumed. */
static bool parse_u64n(const char *s, size_t len, uint64_t *out)
{
    const char *end = s + len;
    uint64_t v = 0;
    unsigned base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (s == end)
        return false;
    for (; s < end; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
        else return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    return parse_u64n(s, cstrlen(s), out);
}

/* The shift of a size suffix (K M G T, either case: Linux's memparse), or -1. */
static int size_shift(char c)
{
    static const char suffix[] = "KMGT";
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    for (int i = 0; suffix[i]; i++)
        if (c == suffix[i])
            return 10 * (i + 1);
    return -1;
}

/* "16M", "0x400K", "2g"; a plain number is in unit bytes.  No overflow. */
static bool parse_size(const char *s, size_t len, uint64_t unit, uint64_t *out)
{
    uint64_t v, mult = unit;
    int shift = len ? size_shift(s[len - 1]) : -1;
    if (shift >= 0) {
        mult = 1ULL << shift;
        len--;
    }
    if (!parse_u64n(s, len, &v) || (v && mult > UINT64_MAX / v))
        return false;
    *out = v * mult;
    return true;
}

/* Bytes in the largest suffix that divides them: "16M", "1536K", "7". */
static void format_size(char *buf, size_t size, uint64_t v)
{
    int shift = 40;
    while (shift && (v & ((1ULL << shift) - 1)))
        shift -= 10;
    if (!v || !shift)
        snprintf(buf, size, "%llu", (unsigned long long)v);
    else
        snprintf(buf, size, "%llu%c", (unsigned long long)(v >> shift), "KMGT"[shift / 10 - 1]);
}

static int parse_bool(const char *s)
{
    static const char *const yes[] = { "1", "y", "yes", "on", "true" };
    static const char *const no[] = { "0", "n", "no", "off", "false" };
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (name_eq(yes[i], s, cstrlen(s)))
            return 1;
        if (name_eq(no[i], s, cstrlen(s)))
            return 0;
    }
    return -1;
}

static void format_choices(const struct kopt *o, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; o->choices[i]; i++)
        n += (size_t)snprintf(buf + MIN(n, size - 1), size - MIN(n, size - 1), "%s%s",
                              i ? "|" : "", o->choices[i]);
}

/* "auto|0..1T; suffix K, M, G or T; no suffix: M": its words, range and suffixes. */
static void expected_size(const struct kopt *o, char *buf, size_t size)
{
    char lo[24], hi[24], unit[24];
    size_t n = 0;
    buf[0] = 0;
    if (o->choices) {
        format_choices(o, buf, size);
        n = cstrlen(buf);
        if (n + 1 < size)
            buf[n++] = '|';
    }
    format_size(lo, sizeof(lo), o->min);
    format_size(hi, sizeof(hi), o->max);
    format_size(unit, sizeof(unit), o->unit);
    /* A unit of 1M reads "M"; an odd one "x 3". */
    bool letter = unit[0] == '1' && unit[1] > '9';
    snprintf(buf + MIN(n, size - 1), size - MIN(n, size - 1),
             "%s..%s; suffix K, M, G or T; no suffix: %s%s", lo, hi, letter ? "" : "x ",
             unit + letter);
}

/* What an option accepts, as the messages say it ("0..8", "auto|poweroff", ...). */
void kopt_expected(const struct kopt *o, char *buf, size_t size)
{
    switch (o->type) {
    case KOPT_BOOL: snprintf(buf, size, "0|1|yes|no|on|off"); break;
    case KOPT_UINT:
        snprintf(buf, size, "%llu..%llu", (unsigned long long)o->min, (unsigned long long)o->max);
        break;
    case KOPT_ENUM: format_choices(o, buf, size); break;
    case KOPT_STR:
        snprintf(buf, size, "1..%llu characters", (unsigned long long)(o->max - 1));
        break;
    case KOPT_SIZE: expected_size(o, buf, size); break;
    }
}

/*
 * "bad value 'v' for key= (expected E)", the value quoted (escaped, cut);
 * over-long values also say how long they were.
 */
static void bad_value(const struct kopt *o, const char *val, size_t len, const char *what,
                      char *err, size_t errlen)
{
    char q[SHOW_MAX * 4 + 8], ex[128], n[40] = "";
    str_quote(q, sizeof(q), val, len, SHOW_MAX);
    kopt_expected(o, ex, sizeof(ex));
    if (len > SHOW_MAX)
        snprintf(n, sizeof(n), " (%zu characters)", len);
    snprintf(err, errlen, "%s %s%s for %s= (%sexpected %s)", what, q, n, o->name,
             len ? "" : "empty; ", ex);
}

/* A size option's word or size; false (nothing stored) for anything else. */
static bool apply_size(struct kopt *o, const char *val, size_t len)
{
    uint64_t v;
    for (int i = 0; len && o->choices && o->choices[i]; i++) {
        if (name_eq(o->choices[i], val, len)) {
            *(uint64_t *)o->var = KOPT_SIZE_WORD(i);
            return true;
        }
    }
    if (!len || !parse_size(val, len, o->unit, &v) || v < o->min || v > o->max)
        return false;
    *(uint64_t *)o->var = v;
    return true;
}

/* Returns true if accepted; else writes why into err.  val NULL: the word had no '='. */
static bool apply(struct kopt *o, const char *val, char *err, size_t errlen)
{
    size_t len = val ? cstrlen(val) : 0;
    if (!val && o->type != KOPT_BOOL) {
        char ex[128];
        kopt_expected(o, ex, sizeof(ex));
        snprintf(err, errlen, "missing value for %s= (expected %s)", o->name, ex);
        return false;
    }
    switch (o->type) {
    case KOPT_BOOL: {
        int b = val ? parse_bool(val) : 1;
        if (b < 0)
            break;
        *(bool *)o->var = b;
        return true;
    }
    case KOPT_UINT: {
        uint64_t v;
        if (!len || !parse_u64(val, &v) || v < o->min || v > o->max)
            break;
        *(uint64_t *)o->var = v;
        return true;
    }
    case KOPT_ENUM:
        for (int i = 0; len && o->choices[i]; i++) {
            if (name_eq(o->choices[i], val, len)) {
                *(int *)o->var = i;
                return true;
            }
        }
        break;
    case KOPT_SIZE:
        if (apply_size(o, val, len))
            return true;
        break;
    case KOPT_STR: {
        if (!len || len >= o->max)
            break;
        char *dst = o->var;
        for (size_t i = 0; i <= len; i++)
            dst[i] = val[i];
        return true;
    }
    }
    bad_value(o, val, len, "bad value", err, errlen);
    return false;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* The option a raw word names (its key ends at '=' or the word's end), or NULL. */
static struct kopt *word_option(const char *w, size_t len)
{
    size_t k = 0;
    while (k < len && w[k] != '=' && w[k] != '"')
        k++;
    return kopt_find(w, k);
}

static void refuse(struct kopt *o, cmdline_warn_fn warn, const char *msg, int *bad)
{
    if (o)
        o->rejected = true;
    warn(msg);
    (*bad)++;
}

/* Parse s[0..len) (it need not be NUL-terminated there). */
static int parse_span(const char *s, size_t len, cmdline_warn_fn warn)
{
    char word[MAX_WORD], err[MAX_WORD + 320], q[SHOW_MAX * 4 + 8];
    int bad = 0;
    const char *p = s, *end = s + len;

    while (p < end && *p) {
        while (p < end && is_space(*p))
            p++;
        if (p == end || !*p)
            break;
        /* Copy one word, dropping double quotes (key="a b" keeps its space). */
        size_t n = 0;
        bool quoted = false, truncated = false;
        const char *start = p;
        for (; p < end && *p && (quoted || !is_space(*p)); p++) {
            if (*p == '"') {
                quoted = !quoted;
                continue;
            }
            if (n + 1 < sizeof(word))
                word[n++] = *p;
            else
                truncated = true;
        }
        word[n] = 0;
        size_t raw = (size_t)(p - start);
        struct kopt *o = word_option(start, raw);
        if (truncated) {
            /* Over-long: a bad value for the option it names (they all fit in a word). */
            const char *eq = start;
            while (eq < p && *eq != '=')
                eq++;
            if (o && eq < p) {
                char why[MAX_WORD + 200];
                bad_value(o, eq + 1, (size_t)(p - eq - 1), "bad value", why, sizeof(why));
                snprintf(err, sizeof(err), "cmdline: %s; ignored", why);
            } else {
                str_quote(q, sizeof(q), start, raw, SHOW_MAX);
                snprintf(err, sizeof(err), "cmdline: over-long word %s (%zu characters) ignored",
                         q, raw);
            }
            refuse(o, warn, err, &bad);
            continue;
        }
        if (quoted) {
            str_quote(q, sizeof(q), start, raw, SHOW_MAX);
            snprintf(err, sizeof(err), "cmdline: unterminated quote in word %s ignored", q);
            refuse(o, warn, err, &bad);
            continue;
        }
        char *eq = NULL;
        for (char *c = word; *c; c++)
            if (*c == '=') {
                eq = c;
                break;
            }
        size_t keylen = eq ? (size_t)(eq - word) : n;
        o = kopt_find(word, keylen);
        if (!o) {
            str_quote(q, sizeof(q), word, n, SHOW_MAX);
            snprintf(err, sizeof(err), "cmdline: unknown option %s ignored", q);
            refuse(NULL, warn, err, &bad);
            continue;
        }
        char why[MAX_WORD + 200];
        if (!apply(o, eq ? eq + 1 : NULL, why, sizeof(why))) {
            snprintf(err, sizeof(err), "cmdline: %s; ignored", why);
            refuse(o, warn, err, &bad);
            continue;
        }
        o->given = true;
        o->rejected = false;
    }
    return bad;
}

int cmdline_parse(const char *cmdline, cmdline_warn_fn warn)
{
    return cmdline ? parse_span(cmdline, cstrlen(cmdline), warn) : 0;
}

int cmdline_parse_buf(const char *buf, size_t size, cmdline_warn_fn warn)
{
    size_t len = 0;
    while (len < size && buf[len])
        len++;
    if (!size || len + 1 < size)
        return parse_span(buf, len, warn);
    /*
     * The line fills the buffer (len == size - 1, or no NUL at all): Xen
     * cuts a longer one there, so the last word was probably cut.  Refuse
     * it whole, never half-apply it (nr_cpus=12 cut to nr_cpus=1).
     */
    char err[MAX_WORD + 320], q[SHOW_MAX * 4 + 8];
    size_t w = len;
    while (w > 0 && !is_space(buf[w - 1]))
        w--;
    int bad = parse_span(buf, w, warn);
    if (w == len) {
        snprintf(err, sizeof(err), "cmdline: line fills the %zu-byte buffer (Xen passes at most "
                 "%zu bytes): anything after it was cut", size, size - 1);
        warn(err);
        return bad;
    }
    /* Show the end of a long cut word: that is where it was cut. */
    size_t wl = len - w, from = wl > SHOW_MAX ? wl - SHOW_MAX : 0;
    str_quote(q, sizeof(q), buf + w + from, wl - from, SHOW_MAX);
    struct kopt *o = word_option(buf + w, wl);
    snprintf(err, sizeof(err), "cmdline: line fills the %zu-byte buffer (Xen passes at most %zu "
             "bytes), probably cut: its last word %s%s (%zu characters) is refused", size,
             size - 1, from ? "..." : "", q, wl);
    refuse(o, warn, err, &bad);
    return bad;
}

static void format_size_value(const struct kopt *o, char *buf, size_t size)
{
    uint64_t v = *(const uint64_t *)o->var;
    for (int i = 0; o->choices && o->choices[i]; i++) {
        if (v == KOPT_SIZE_WORD(i)) {
            snprintf(buf, size, "%s", o->choices[i]);
            return;
        }
    }
    format_size(buf, size, v);
}

void kopt_format(const struct kopt *o, char *buf, size_t size)
{
    switch (o->type) {
    case KOPT_BOOL: snprintf(buf, size, "%s", *(bool *)o->var ? "yes" : "no"); break;
    case KOPT_UINT: snprintf(buf, size, "%llu", (unsigned long long)*(uint64_t *)o->var); break;
    case KOPT_ENUM: snprintf(buf, size, "%s", o->choices[*(int *)o->var]); break;
    case KOPT_STR: {
        const char *v = o->var;
        str_escape(buf, size, v, cstrlen(v));
        break;
    }
    case KOPT_SIZE: format_size_value(o, buf, size); break;
    }
}
