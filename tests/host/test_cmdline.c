/* SPDX-License-Identifier: MIT */
/* Host test of the command-line parser (built with ASan/UBSan by the Makefile). */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/escape.c"
#include "../../kernel/lib/cmdline.c"

static uint64_t level = 7, count = 4;
static bool flag;
static int color;
static char name[8] = "none";
static char suite[32] = "boot";
static const char *const colors[] = { "red", "green", "blue", NULL };
KOPT_UINT(level, "loglevel", level, 0, 8, "");
KOPT_UINT(count, "count", count, 1, 256, "");
KOPT_BOOL(flag, "flag", flag, "");
KOPT_ENUM(color, "color", color, colors, "");
KOPT_STR(name, "name", name, "");
KOPT_STR(test, "test", suite, "");
static const char *const size_words[] = { "auto", NULL };
static uint64_t region = KOPT_SIZE_WORD(0);
KOPT_SIZE(region, "crashkernel", region, 1ULL << 20, 0, 1ULL << 40, size_words, "");
static uint64_t bufsz = 4096;
KOPT_SIZE(bufsz, "bufsize", bufsz, 1, 512, 1ULL << 30, NULL, "");

static char warnings[8192];
static int nwarn;
static void warn(const char *m)
{
    nwarn++;
    strncat(warnings, m, sizeof(warnings) - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static void reset(void)
{
    warnings[0] = 0;
    nwarn = 0;
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++)
        o->given = o->rejected = false;
}

static int parse(const char *s)
{
    reset();
    return cmdline_parse(s, warn);
}

/* As Xen hands it over: the line in a 1024-byte buffer (cut at 1023 bytes + NUL). */
static char xenbuf[1024];
static int parse_xen(const char *s)
{
    reset();
    memset(xenbuf, 0, sizeof(xenbuf));
    strncpy(xenbuf, s, sizeof(xenbuf) - 1);
    return cmdline_parse_buf(xenbuf, sizeof(xenbuf), warn);
}

static bool has(const char *needle) { return strstr(warnings, needle) != NULL; }

/* Any byte outside printable ASCII in the warnings? */
static bool raw_bytes(void)
{
    for (const unsigned char *p = (const unsigned char *)warnings; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p >= 0x7f)
            return true;
    return false;
}

/* A line of exactly len bytes: "loglevel=2 x...x " padding, then tail at its end. */
static char *line_ending_with(size_t len, const char *tail)
{
    static char buf[2048];
    size_t t = strlen(tail);
    memset(buf, 0, sizeof(buf));
    strcpy(buf, "loglevel=2 ");
    size_t n = strlen(buf);
    while (n + t + 1 < len) {       /* pad with "flag " words (1 byte short: a space) */
        size_t room = len - t - 1 - n;
        if (room >= 5) {
            memcpy(buf + n, "flag ", 5);
            n += 5;
        } else {
            memset(buf + n, ' ', room);
            n += room;
        }
    }
    buf[n++] = ' ';
    memcpy(buf + n, tail, t);
    buf[n + t] = 0;
    return buf;
}

int main(void)
{
    ktap_plan(53);
    CASE(parse("") == 0 && nwarn == 0, "empty command line", "%s", warnings);
    CASE(parse("loglevel=3 count=0x10 flag color=blue name=abc") == 0 && level == 3 &&
             count == 16 && flag && color == 2 && !strcmp(name, "abc"),
         "all types parse", "%s level=%lu count=%lu", warnings, (unsigned long)level,
         (unsigned long)count);
    level = 7;
    CASE(parse("loglevel=banana") == 1 && level == 7 &&
             has("cmdline: bad value 'banana' for loglevel= (expected 0..8); ignored"),
         "bad value named, default kept", "%s", warnings);
    CASE(parse("nosuchoption=1") == 1 && has("cmdline: unknown option 'nosuchoption=1' ignored"),
         "unknown option named", "%s", warnings);
    CASE(parse("loglevel=9") == 1 && level == 7 && has("'9'"), "out of range", "%s", warnings);
    CASE(parse("count=99999999999999999999999") == 1 && count == 16, "overflow rejected, value kept", "%s",
         warnings);
    CASE(parse("count") == 1 && has("missing value for count= (expected 1..256)"),
         "missing value named", "%s", warnings);
    CASE(parse("color=purple") == 1 && has("expected red|green|blue"), "enum lists choices",
         "%s", warnings);
    CASE(parse("flag=maybe") == 1 && has("'maybe'"), "bad bool", "%s", warnings);
    CASE(parse("flag=off") == 0 && !flag, "bool off", "%s", warnings);
    CASE(parse("name=\"a b\"") == 0 && !strcmp(name, "a b"), "quoted value keeps space", "%s",
         warnings);
    CASE(parse("name=\"unterminated") == 1 && has("unterminated quote") && kopt_name.rejected,
         "unterminated quote refused, option marked", "%s", warnings);
    CASE(parse("  loglevel=2\t\tnosuch  count=5 ") == 1 && level == 2 && count == 5 && nwarn == 1,
         "whitespace, mixed good and bad", "%s", warnings);

    /* ---- one rule for empty values, every type (defect 11) ---- */
    CASE(parse("count=") == 1 && count == 5 && kopt_count.rejected &&
             has("cmdline: bad value '' for count= (empty; expected 1..256); ignored"),
         "empty uint: bad value, named, default kept", "%s", warnings);
    CASE(parse("color=") == 1 && color == 2 && kopt_color.rejected &&
             has("bad value '' for color= (empty; expected red|green|blue)"),
         "empty enum: bad value", "%s", warnings);
    CASE(parse("flag=") == 1 && kopt_flag.rejected && has("bad value '' for flag= (empty;"),
         "empty bool: bad value", "%s", warnings);
    CASE(parse("name=") == 1 && !strcmp(name, "a b") && kopt_name.rejected &&
             has("bad value '' for name= (empty; expected 1..7 characters)"),
         "empty string: bad value (was accepted)", "%s name '%s'", warnings, name);
    CASE(parse("test=") == 1 && !strcmp(suite, "boot") && kopt_test.rejected && !kopt_test.given &&
             has("bad value '' for test= (empty; expected 1..31 characters); ignored"),
         "test= empty: refused, marked rejected (the run says ERROR)", "%s", warnings);
    CASE(parse("name=\"\"") == 1 && kopt_name.rejected, "empty quoted string: bad value", "%s",
         warnings);

    /* ---- one rule for over-long values ---- */
    CASE(parse("name=toolongvalue") == 1 && !strcmp(name, "a b") &&
             has("bad value 'toolongvalue' for name= (expected 1..7 characters)"),
         "string too long for its buffer: bad value", "%s", warnings);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CASE(parse(big) == 1 && has("over-long word 'xxxx") && has("(999 characters) ignored"),
         "over-long word named with its length", "%s", warnings);
    char longtest[260];
    strcpy(longtest, "test=");
    memset(longtest + 5, 's', 200);
    longtest[205] = 0;
    CASE(parse(longtest) == 1 && !strcmp(suite, "boot") && kopt_test.rejected &&
             has("bad value 'sssss") && has("'... (200 characters) for test= (expected 1..31"),
         "test=<200 chars>: bad value named, marked rejected (was: ran boot)", "%s", warnings);
    char longword[400];
    strcpy(longword, "test=");
    memset(longword + 5, 'q', 300);
    longword[305] = 0;
    CASE(parse(longword) == 1 && kopt_test.rejected && has("(300 characters) for test="),
         "test= over the 255-byte word limit: still a bad value for test=", "%s", warnings);
    CASE(parse("count=00000000000000000000000000000000000000000000000000000000000000000000000"
               "0000000000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000000000007")
             == 1 && kopt_count.rejected && has("for count="),
         "uint over the word limit: bad value for count=", "%s", warnings);
    CASE(parse("test=smp test=") == 1 && kopt_test.rejected && !strcmp(suite, "smp"),
         "the last word decides: test=smp test= is rejected", "%s", warnings);
    CASE(parse("test= test=smp") == 1 && !kopt_test.rejected && kopt_test.given,
         "a later good word clears rejected", "%s", warnings);

    /* ---- escaping (defect 10) ---- */
    CASE(parse("nosuch=\x1b[2J\x1b[H") == 1 && !raw_bytes() &&
             has("unknown option 'nosuch=\\x1b[2J\\x1b[H' ignored"),
         "ESC sequence in an unknown word escaped", "%s", warnings);
    CASE(parse("loglevel=\xc3\xa9t\xe9") == 1 && !raw_bytes() &&
             has("bad value '\\xc3\\xa9t\\xe9' for loglevel="),
         "non-ASCII value escaped", "%s", warnings);
    CASE(parse("name=\"\x07\x1b\"xxxxxxxx \"\x01") == 2 && !raw_bytes(), "control bytes in quoted words escaped",
         "%s", warnings);
    CASE(parse("test=a'b\\c") == 0 && !strcmp(suite, "a'b\\c"), "quote and backslash are fine values",
         "%s", warnings);
    {
        char shown[64];
        strcpy(suite, "x\x1by");
        kopt_format(&kopt_test, shown, sizeof(shown));
        CASE(!strcmp(shown, "x\\x1by"), "string option shown escaped in the report", "'%s'", shown);
    }

    /* ---- sizes: Linux's suffixes, a plain number in the option's unit (issue 19 item 4) ---- */
    CASE(parse("crashkernel=16M") == 0 && region == 16ULL << 20 && kopt_region.given,
         "crashkernel=16M: 16 MiB", "%s %llu", warnings, (unsigned long long)region);
    CASE(parse("crashkernel=24") == 0 && region == 24ULL << 20, "plain number: in the unit (MiB)",
         "%s %llu", warnings, (unsigned long long)region);
    CASE(parse("crashkernel=0x400k") == 0 && region == 1ULL << 20, "hex, lower-case suffix",
         "%s %llu", warnings, (unsigned long long)region);
    CASE(parse("crashkernel=2G bufsize=3k") == 0 && region == 2ULL << 30 && bufsz == 3072,
         "G and K", "%s", warnings);
    CASE(parse("crashkernel=0") == 0 && region == 0, "0 is a size (off for crashkernel=)", "%s",
         warnings);
    CASE(parse("crashkernel=auto") == 0 && region == KOPT_SIZE_WORD(0), "its word: auto", "%s",
         warnings);
    CASE(parse("crashkernel=-1") == 1 && region == KOPT_SIZE_WORD(0) && kopt_region.rejected &&
             has("cmdline: bad value '-1' for crashkernel= (expected auto|0..1T; suffix K, M, G "
                 "or T; no suffix: M); ignored"),
         "crashkernel=-1: named, auto kept (was: kexec off)", "%s", warnings);
    CASE(parse("crashkernel=banana") == 1 && region == KOPT_SIZE_WORD(0) &&
             has("bad value 'banana' for crashkernel="),
         "crashkernel=banana: named, auto kept", "%s", warnings);
    CASE(parse("crashkernel=16 M crashkernel=16MB crashkernel=M crashkernel=1.5G crashkernel=") == 5 &&
             region == 16ULL << 20 && has("'16MB'") && has("'M'") && has("'1.5G'") &&
             has("bad value '' for crashkernel= (empty;") && has("unknown option 'M'"),
         "malformed sizes: each named, nothing half-applied", "%s %llu", warnings,
         (unsigned long long)region);
    CASE(parse("crashkernel=2T crashkernel=99999999999999999999 crashkernel=20000000000G") == 3 &&
             region == 16ULL << 20,
         "over the range, over 64 bits, overflow by the suffix: refused", "%s", warnings);
    CASE(parse("bufsize=auto bufsize=511") == 2 && bufsz == 3072 &&
             has("for bufsize= (expected 512..1G; suffix K, M, G or T; no suffix: x 1)"),
         "no words: auto is a bad value; below the range", "%s", warnings);
    {
        char shown[4][32];
        region = KOPT_SIZE_WORD(0);
        kopt_format(&kopt_region, shown[0], sizeof(shown[0]));
        region = 1536ULL << 10;
        kopt_format(&kopt_region, shown[1], sizeof(shown[1]));
        region = 7;
        kopt_format(&kopt_region, shown[2], sizeof(shown[2]));
        region = 0;
        kopt_format(&kopt_region, shown[3], sizeof(shown[3]));
        CASE(!strcmp(shown[0], "auto") && !strcmp(shown[1], "1536K") && !strcmp(shown[2], "7") &&
                 !strcmp(shown[3], "0"),
             "sizes shown in the report: its word, the largest whole suffix", "%s %s %s %s",
             shown[0], shown[1], shown[2], shown[3]);
    }
    CASE(parse("crashkernel=16m") == 0 && region == 16ULL << 20, "16m as 16M", "%s", warnings);
    CASE(parse("crashkernel=\x1b[2J") == 1 && !raw_bytes() && region == 16ULL << 20,
         "a size with control bytes: escaped, value kept", "%s", warnings);

    /* ---- Xen's 1023-byte line (defect 5) ---- */
    count = 4;
    char *l = line_ending_with(1023, "count=12");
    CASE(strlen(l) == 1023, "fixture: a 1023-byte line", "%zu", strlen(l));
    /* Cut by Xen: "count=12" at 1024 bytes becomes "count=1" at 1023. */
    l = line_ending_with(1024, "count=12");
    CASE(parse_xen(l) == 1 && count == 4 && kopt_count.rejected && level == 2 &&
             has("line fills the 1024-byte buffer (Xen passes at most 1023 bytes), probably cut: "
                 "its last word 'count=1' (7 characters) is refused"),
         "cut line: named with the word it cut, the word refused (not count=1)", "%s count %lu",
         warnings, (unsigned long)count);
    l = line_ending_with(1022, "count=12");
    CASE(parse_xen(l) == 0 && count == 12 && nwarn == 0, "a 1022-byte line is whole", "%s",
         warnings);
    count = 4;
    l = line_ending_with(1023, "count=12");
    CASE(parse_xen(l) == 1 && count == 4 && has("'count=12'"),
         "a line of exactly 1023 bytes fills the buffer: its last word is refused too", "%s",
         warnings);
    l = line_ending_with(1024, "test=smp");
    CASE(parse_xen(l) == 1 && kopt_test.rejected && !strcmp(suite, "x\x1by") && has("'test=sm'"),
         "a cut test= word marks test= rejected (the run says ERROR)", "%s", warnings);
    {
        char sp[1100];
        memset(sp, ' ', sizeof(sp));
        memcpy(sp, "count=9", 7);
        sp[sizeof(sp) - 1] = 0;
        CASE(parse_xen(sp) == 0 && count == 9 && has("anything after it was cut"),
             "a full line ending in blanks: warned, nothing half-applied", "%s", warnings);
    }
    {
        char one[1100];
        memset(one, 'z', sizeof(one));
        memcpy(one, "test=", 5);
        one[sizeof(one) - 1] = 0;
        CASE(parse_xen(one) == 1 && nwarn == 1 && kopt_test.rejected &&
                 has("its last word ...'zzz") && has("(1023 characters) is refused"),
             "one word filling the whole buffer: refused once, end shown", "%s", warnings);
    }
    {
        char nonul[16];
        memset(nonul, 'a', sizeof(nonul));
        memcpy(nonul, "count=3 count=7", 15);
        reset();
        count = 4;
        CASE(cmdline_parse_buf(nonul, sizeof(nonul), warn) == 1 && count == 3 &&
                 has("'count=7a'"),
             "a buffer without a NUL is read within its size", "%s", warnings);
    }
    return ktap_done();
}
