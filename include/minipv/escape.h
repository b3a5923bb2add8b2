/* SPDX-License-Identifier: MIT */
/*
 * How minipv shows one byte of outside input in a message, the one spelling
 * every layer uses (arch, xen, kernel, and the host tests as is): printable
 * ASCII as itself; control bytes, non-ASCII bytes, the quote and the
 * backslash as \xNN, so a value typed or written by someone else can never
 * move the cursor, clear a terminal, fake a log line or close its quotes.
 * Framing (quotes, cut marks) is the caller's: <kernel/escape.h> has
 * str_quote and str_escape, the xenstore client xs_msg_quoted.
 */
#ifndef MINIPV_ESCAPE_H
#define MINIPV_ESCAPE_H
#include <minipv/compiler.h>

#define ESC_BYTE_MAX 4          /* the longest a byte is shown: \xNN */

/* Write how c is shown into out (not NUL-terminated); returns 1 or 4. */
static inline size_t esc_byte(char out[ESC_BYTE_MAX], unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
        out[0] = (char)c;
        return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
}

#endif
