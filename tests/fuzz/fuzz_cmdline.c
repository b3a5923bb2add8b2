/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the command-line parser (kernel/lib/cmdline.c), as
 * Xen hands the line over (cmdline_parse_buf on a buffer of a chosen size)
 * and as a C string (cmdline_parse).  Built by scripts/fuzz.sh.
 *
 * Input: [mode byte][line bytes...].  Mode bit 0 set: the bytes as a C
 * string; clear: a buffer of min(len, 1 + (mode >> 1) * 16) bytes (so full,
 * cut and NUL-less buffers all occur), as start_info.cmd_line.
 * Invariants (abort() on violation, so a violation is a crash):
 *   - every warning is printable ASCII, starts "cmdline: ", and fits;
 *   - the count returned equals the refusals warned (a blank-ended full
 *     line adds one warning that is no refusal);
 *   - every option holds a value of its type and range, strings terminated
 *     within their buffer and never empty;
 *   - an option is given or rejected by its last word, never both;
 *   - no value is half-applied from a cut word: a full buffer parses to the
 *     same options as its line without the last word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/format.c"
#include "../../kernel/lib/escape.c"
#include "../../kernel/lib/cmdline.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static uint64_t level = 7, count = 4, big = 0;
static bool flag;
static int color;
static char name[8] = "none";
static char suite[32] = "boot";
static const char *const colors[] = { "red", "green", "blue", NULL };
KOPT_UINT(level, "loglevel", level, 0, 8, "");
KOPT_UINT(count, "nr_cpus", count, 1, 256, "");
KOPT_UINT(big, "big", big, 0, UINT64_MAX, "");
KOPT_BOOL(flag, "flag", flag, "");
KOPT_ENUM(color, "cpu_order", color, colors, "");
KOPT_STR(name, "name", name, "");
KOPT_STR(test, "test", suite, "");
static const char *const size_words[] = { "auto", NULL };
static uint64_t ck;
KOPT_SIZE(ck, "crashkernel", ck, 1ULL << 20, 0, 1ULL << 40, size_words, "");

static int nwarn, nrefused;
static void warn(const char *m)
{
    size_t n = strlen(m);
    nwarn++;
    REQUIRE(!strncmp(m, "cmdline: ", 9));
    REQUIRE(n < 1024);
    for (size_t i = 0; i < n; i++)
        REQUIRE((unsigned char)m[i] >= 0x20 && (unsigned char)m[i] < 0x7f);
    /* The one warning that refuses nothing: a full line ending in blanks. */
    if (strncmp(m, "cmdline: line fills the", 23) || !strstr(m, "): anything after it was cut"))
        nrefused++;
}

static void reset(void)
{
    level = 7, count = 4, big = 0, flag = false, color = 0, ck = KOPT_SIZE_WORD(0);
    strcpy(name, "none");
    strcpy(suite, "boot");
    nwarn = nrefused = 0;
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++)
        o->given = o->rejected = false;
}

static void check_options(void)
{
    REQUIRE(level <= 8 && count >= 1 && count <= 256 && color >= 0 && color <= 2);
    REQUIRE(ck == KOPT_SIZE_WORD(0) || ck <= 1ULL << 40);
    REQUIRE(memchr(name, 0, sizeof(name)) && name[0]);
    REQUIRE(memchr(suite, 0, sizeof(suite)) && suite[0]);
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++) {
        char v[128];
        kopt_format(o, v, sizeof(v));
        for (char *p = v; *p; p++)
            REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    }
}

struct snap {
    uint64_t level, count, big, ck;
    bool flag;
    int color;
    char name[8], suite[32];
};

static void take(struct snap *s)
{
    memset(s, 0, sizeof(*s));       /* padding and bytes past the NULs compare equal */
    s->level = level, s->count = count, s->big = big, s->ck = ck, s->flag = flag, s->color = color;
    strcpy(s->name, name);
    strcpy(s->suite, suite);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[4097];
    if (size < 1 || size > sizeof(buf))
        return 0;
    size_t len = size - 1;
    memcpy(buf, data + 1, len);

    if (data[0] & 1) {
        /* As a C string. */
        buf[len] = 0;
        reset();
        int bad = cmdline_parse(buf, warn);
        REQUIRE(bad == nwarn && bad == nrefused);
        check_options();
        return 0;
    }

    /* As Xen hands it over, in a buffer of 1..2033 bytes. */
    size_t bufsize = MIN(len, 1 + (size_t)(data[0] >> 1) * 16);
    reset();
    int bad = cmdline_parse_buf(buf, bufsize, warn);
    REQUIRE(bad >= 0 && bad == nrefused && nwarn - nrefused <= 1);
    check_options();

    /* A full buffer: the same as parsing its line without the (cut) last word. */
    size_t l = 0;
    while (l < bufsize && buf[l])
        l++;
    if (bufsize && l + 1 >= bufsize) {
        struct snap a, b;
        take(&a);
        size_t w = l;
        while (w > 0 && buf[w - 1] != ' ' && buf[w - 1] != '\t' && buf[w - 1] != '\n')
            w--;
        /* Only when the cut word is not inside an open quote (then word bounds differ). */
        size_t quotes = 0;
        for (size_t i = 0; i < w; i++)
            quotes += buf[i] == '"';
        if (!(quotes & 1)) {
            static char pre[4097];
            memcpy(pre, buf, w);
            pre[w] = 0;
            reset();
            cmdline_parse(pre, warn);
            take(&b);
            REQUIRE(!memcmp(&a, &b, sizeof(a)));
        }
    }
    return 0;
}
