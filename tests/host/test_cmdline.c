/* SPDX-License-Identifier: MIT */
/* Host test of the command-line parser (built with ASan/UBSan by the Makefile). */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/cmdline.c"

static uint64_t level = 7, count = 4;
static bool flag;
static int color;
static char name[8] = "none";
static const char *const colors[] = { "red", "green", "blue", NULL };
KOPT_UINT(level, "loglevel", level, 0, 8, "");
KOPT_UINT(count, "count", count, 1, 256, "");
KOPT_BOOL(flag, "flag", flag, "");
KOPT_ENUM(color, "color", color, colors, "");
KOPT_STR(name, "name", name, "");

static char warnings[4096];
static int nwarn;
static void warn(const char *m)
{
    nwarn++;
    strncat(warnings, m, sizeof(warnings) - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

static int parse(const char *s)
{
    warnings[0] = 0;
    nwarn = 0;
    for (struct kopt *o = __start_minipv_opts; o < __stop_minipv_opts; o++)
        o->given = false;
    return cmdline_parse(s, warn);
}

static bool has(const char *needle) { return strstr(warnings, needle) != NULL; }

int main(void)
{
    ktap_plan(16);
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
    CASE(parse("count=") == 1 && has("count= needs a value"), "empty value", "%s", warnings);
    CASE(parse("count") == 1, "missing value", "%s", warnings);
    CASE(parse("color=purple") == 1 && has("expected red|green|blue"), "enum lists choices",
         "%s", warnings);
    CASE(parse("flag=maybe") == 1 && has("'maybe'"), "bad bool", "%s", warnings);
    CASE(parse("flag=off") == 0 && !flag, "bool off", "%s", warnings);
    CASE(parse("name=toolongvalue") == 1 && !strcmp(name, "abc"), "string too long", "%s",
         warnings);
    CASE(parse("name=\"a b\"") == 0 && !strcmp(name, "a b"), "quoted value keeps space", "%s",
         warnings);
    CASE(parse("name=\"unterminated") == 1 && has("unterminated quote"), "unterminated quote",
         "%s", warnings);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CASE(parse(big) == 1 && has("over-long word"), "over-long word", "%s", warnings);
    CASE(parse("  loglevel=2\t\tnosuch  count=5 ") == 1 && level == 2 && count == 5 && nwarn == 1,
         "whitespace, mixed good and bad", "%s", warnings);
    return ktap_done();
}
