/* SPDX-License-Identifier: MIT */
/*
 * What topo_parse.c (the topology= and CPUID readers) and topo_layout.c
 * (fitting and numbering) share: the field order and a bounded string
 * appender for their messages.  Pure, like them.
 */
#ifndef KERNEL_LIB_TOPO_INTERNAL_H
#define KERNEL_LIB_TOPO_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kernel/topo_layout.h>

/* Field order everywhere: sockets, dies, cores, threads. */
enum { F_S, F_D, F_C, F_T, NR_F };
static const char unit_ch[NR_F] = { 's', 'd', 'c', 't' };

/* ---- bounded string appender: never overruns, always NUL-terminated ---- */

struct sbuf {
    char *p;
    size_t len, pos;        /* pos = chars wanted so far, may exceed len */
};

static inline void sb_init(struct sbuf *b, char *p, size_t len)
{
    b->p = p;
    b->len = p ? len : 0;
    b->pos = 0;
    if (b->len)
        p[0] = '\0';
}

static inline void sb_putc(struct sbuf *b, char c)
{
    if (b->pos + 1 < b->len) {
        b->p[b->pos] = c;
        b->p[b->pos + 1] = '\0';
    }
    b->pos++;
}

static inline void sb_puts(struct sbuf *b, const char *s)
{
    while (*s)
        sb_putc(b, *s++);
}

static inline void sb_putu(struct sbuf *b, uint64_t v)
{
    char tmp[20];
    int n = 0;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        sb_putc(b, tmp[--n]);
}

#endif
