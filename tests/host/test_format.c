/* SPDX-License-Identifier: MIT */
/* Host test: kernel vsnprintf against the C library's printf. */
#include <string.h>
#include <stdio.h>
#include "ktap.h"
#define snprintf kernel_snprintf
#define vsnprintf kernel_vsnprintf
#include "../../kernel/lib/format.c"
#undef snprintf
#undef vsnprintf

#define SAME(fmt, ...)                                                            \
    do {                                                                          \
        char a[128], b[128];                                                      \
        int na = kernel_snprintf(a, sizeof(a), fmt, __VA_ARGS__);                 \
        int nb = snprintf(b, sizeof(b), fmt, __VA_ARGS__);                        \
        CASE(na == nb && !strcmp(a, b), "format " #fmt, "'%s'(%d) vs libc '%s'(%d)", a, na, b, nb); \
    } while (0)

#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"
int main(void)
{
    ktap_plan(20);
    SAME("%d|%i|%u", -42, 7, 42u);
    SAME("%5d|%-5d|%05d", 42, 42, -42);
    SAME("%x|%X|%#x|%#o", 0xbeefu, 0xbeefu, 0x1fu, 8u);
    SAME("%lld|%llu", -9223372036854775807LL - 1, 18446744073709551615ULL);
    SAME("%lx|%016lx", 0xffffffff80000000UL, 0x1234UL);
    SAME("%zu|%zx", (size_t)12345, (size_t)0xabc);
    SAME("%s|%10s|%-10s|%.3s", "abc", "right", "left", "truncate");
    SAME("%c%c|%3c", 'o', 'k', 'x');
    SAME("%.5d|%.0d|%8.3d", 42, 0, 7);
    SAME("%+d|% d|%+d", 5, 5, -5);
    SAME("%hhd|%hd|%hhu", 300, 70000, 300);
    SAME("%*d|%-*d|%.*s", 6, 1, 6, 2, 2, "abcdef");
    SAME("%%|%d%%", 50);
    SAME("%llu.%06llu", 12ULL, 345ULL);
    /* Truncation: returns the full length, always terminates. */
    char small[8];
    int n = kernel_snprintf(small, sizeof(small), "%s", "0123456789");
    CASE(n == 10 && !strcmp(small, "0123456"), "truncates and terminates", "n=%d '%s'", n, small);
    n = kernel_snprintf(NULL, 0, "%d", 12345);
    CASE(n == 5, "size 0 counts only", "n=%d", n);
    char p[32];
    kernel_snprintf(p, sizeof(p), "%p", (void *)0xffffffff80001000UL);
    CASE(!strcmp(p, "0xffffffff80001000"), "pointer", "'%s'", p);
    kernel_snprintf(p, sizeof(p), "%s", (char *)NULL);
    CASE(!strcmp(p, "(null)"), "null string", "'%s'", p);
    kernel_snprintf(p, sizeof(p), "abc%");
    CASE(!strcmp(p, "abc%"), "trailing percent", "'%s'", p);
    kernel_snprintf(p, sizeof(p), "%q");
    CASE(!strcmp(p, "%q"), "unknown conversion verbatim", "'%s'", p);
    return ktap_done();
}
