/* SPDX-License-Identifier: MIT */
/* Command-line parser (pure; host-tested under ASan/UBSan). */
#include <kernel/cmdline.h>
#include <kernel/format.h>

#define MAX_WORD 256

static bool name_eq(const char *name, const char *s, size_t len)
{
    size_t i = 0;
    for (; i < len; i++)
        if (name[i] != s[i] || !name[i])
            return false;
    return name[i] == 0;
}

struct kopt *kopt_find(const char *name, size_t len)
{
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++)
        if (name_eq(o->name, name, len))
            return o;
    return NULL;
}

/* Decimal or 0x-hex, no sign, no overflow; whole string must be consumed. */
static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
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

static int parse_bool(const char *s)
{
    static const char *const yes[] = { "1", "y", "yes", "on", "true" };
    static const char *const no[] = { "0", "n", "no", "off", "false" };
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (name_eq(yes[i], s, __builtin_strlen(s)))
            return 1;
        if (name_eq(no[i], s, __builtin_strlen(s)))
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

/* Returns true if accepted; else writes why into err. */
static bool apply(struct kopt *o, const char *val, char *err, size_t errlen)
{
    switch (o->type) {
    case KOPT_BOOL: {
        int b = val ? parse_bool(val) : 1;
        if (b < 0) {
            snprintf(err, errlen, "bad value '%s' for %s= (expected 0|1|yes|no|on|off)",
                     val, o->name);
            return false;
        }
        *(bool *)o->var = b;
        return true;
    }
    case KOPT_UINT: {
        uint64_t v;
        if (!val || !*val) {
            snprintf(err, errlen, "%s= needs a value (%llu..%llu)", o->name,
                     (unsigned long long)o->min, (unsigned long long)o->max);
            return false;
        }
        if (!parse_u64(val, &v) || v < o->min || v > o->max) {
            snprintf(err, errlen, "bad value '%s' for %s= (expected %llu..%llu)", val,
                     o->name, (unsigned long long)o->min, (unsigned long long)o->max);
            return false;
        }
        *(uint64_t *)o->var = v;
        return true;
    }
    case KOPT_ENUM: {
        for (int i = 0; val && o->choices[i]; i++) {
            if (name_eq(o->choices[i], val, __builtin_strlen(val))) {
                *(int *)o->var = i;
                return true;
            }
        }
        char ch[128];
        format_choices(o, ch, sizeof(ch));
        snprintf(err, errlen, "bad value '%s' for %s= (expected %s)", val ? val : "",
                 o->name, ch);
        return false;
    }
    case KOPT_STR: {
        size_t len = val ? __builtin_strlen(val) : 0;
        if (!val || len >= o->max) {
            snprintf(err, errlen, "bad value '%s' for %s= (expected 1..%llu characters)",
                     val ? val : "", o->name, (unsigned long long)(o->max - 1));
            return false;
        }
        char *dst = o->var;
        for (size_t i = 0; i <= len; i++)
            dst[i] = val[i];
        return true;
    }
    }
    return false;
}

int cmdline_parse(const char *cmdline, cmdline_warn_fn warn)
{
    char word[MAX_WORD], err[MAX_WORD + 160];
    int bad = 0;
    const char *p = cmdline;

    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        /* Copy one word, dropping double quotes (key="a b" keeps its space). */
        size_t n = 0;
        bool quoted = false, truncated = false;
        const char *start = p;
        for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
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
        if (truncated || quoted) {
            snprintf(err, sizeof(err), "cmdline: %s word '%.*s' ignored",
                     quoted ? "unterminated quote in" : "over-long", (int)MIN(p - start, 64),
                     start);
            warn(err);
            bad++;
            continue;
        }
        char *eq = NULL;
        for (char *q = word; *q; q++)
            if (*q == '=') {
                eq = q;
                break;
            }
        size_t keylen = eq ? (size_t)(eq - word) : n;
        struct kopt *o = kopt_find(word, keylen);
        if (!o) {
            snprintf(err, sizeof(err), "cmdline: unknown option '%s' ignored", word);
            warn(err);
            bad++;
            continue;
        }
        char why[MAX_WORD + 128];
        if (!apply(o, eq ? eq + 1 : NULL, why, sizeof(why))) {
            snprintf(err, sizeof(err), "cmdline: %s; ignored", why);
            warn(err);
            bad++;
            continue;
        }
        o->given = true;
    }
    return bad;
}

void kopt_format(const struct kopt *o, char *buf, size_t size)
{
    switch (o->type) {
    case KOPT_BOOL: snprintf(buf, size, "%s", *(bool *)o->var ? "yes" : "no"); break;
    case KOPT_UINT: snprintf(buf, size, "%llu", (unsigned long long)*(uint64_t *)o->var); break;
    case KOPT_ENUM: snprintf(buf, size, "%s", o->choices[*(int *)o->var]); break;
    case KOPT_STR:  snprintf(buf, size, "%s", (const char *)o->var); break;
    }
}
