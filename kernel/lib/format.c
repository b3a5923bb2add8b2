/* SPDX-License-Identifier: MIT */
/* A small vsnprintf: enough for kernel messages, bounded by construction. */
#include <kernel/format.h>

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

#define F_LEFT  1
#define F_ZERO  2
#define F_PLUS  4
#define F_SPACE 8
#define F_ALT   16

static void put_number(struct out *o, unsigned long long v, bool neg, unsigned base,
                       bool upper, int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (prec == 0 && n == 1 && tmp[0] == '0')
        n = 0;                      /* "%.0d" of 0 prints nothing, as in C */
    char sign = neg ? '-' : (flags & F_PLUS) ? '+' : (flags & F_SPACE) ? ' ' : 0;
    const char *prefix = "";
    if ((flags & F_ALT) && base == 16)
        prefix = upper ? "0X" : "0x";
    else if ((flags & F_ALT) && base == 8)
        prefix = "0";
    int plen = 0;
    while (prefix[plen])
        plen++;
    int zeros = prec > n ? prec - n : 0;
    int total = n + zeros + plen + (sign ? 1 : 0);
    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!(flags & F_LEFT))
        pad(o, ' ', width - total);
    if (sign)
        put(o, sign);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (flags & F_LEFT)
        pad(o, ' ', width - total);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        int flags = 0;
        for (;; p++) {
            if (*p == '-') flags |= F_LEFT;
            else if (*p == '0') flags |= F_ZERO;
            else if (*p == '+') flags |= F_PLUS;
            else if (*p == ' ') flags |= F_SPACE;
            else if (*p == '#') flags |= F_ALT;
            else break;
        }
        int width = 0, prec = -1;
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = width == -2147483647 - 1 ? 0 : -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9' && width < 100000)
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9' && prec < 100000)
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        int lng = 0;            /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        for (;; p++) {
            if (*p == 'l') lng++;
            else if (*p == 'h') lng--;
            else if (*p == 'z' || *p == 't' || *p == 'j') lng = 2;
            else break;
        }
        switch (*p) {
        case 'd': case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long)
                                                                       : va_arg(ap, int);
            if (lng == -1) v = (short)v;
            if (lng <= -2) v = (signed char)v;
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            put_number(&o, u, v < 0, 10, false, flags, width, prec);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                                 : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            if (lng == -1) v = (unsigned short)v;
            if (lng <= -2) v = (unsigned char)v;
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            put_number(&o, v, false, base, *p == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        }
        case 'p':
            put_number(&o, (unsigned long)va_arg(ap, void *), false, 16, false,
                       F_ALT | F_ZERO, 18, -1);
            break;
        case 'c': {
            if (!(flags & F_LEFT)) pad(&o, ' ', width - 1);
            put(&o, (char)va_arg(ap, int));
            if (flags & F_LEFT) pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec))
                n++;
            if (!(flags & F_LEFT)) pad(&o, ' ', width - n);
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (flags & F_LEFT) pad(&o, ' ', width - n);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--;                /* a lone '%' at the end: print it, stop */
            put(&o, '%');
            break;
        default:                /* unknown conversion: print it verbatim */
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
