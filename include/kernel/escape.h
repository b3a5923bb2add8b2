/* SPDX-License-Identifier: MIT */
/*
 * Showing untrusted bytes in a message (kernel/lib/escape.c, pure): quoted,
 * control bytes, non-ASCII bytes, the quote and the backslash as \xNN, and
 * cut, so a value typed or written by someone else can never move the
 * cursor, clear a terminal or fake a log line.  Each byte is spelled by
 * esc_byte (<minipv/escape.h>), as in the xenstore client's xs_msg_quoted().
 */
#ifndef KERNEL_ESCAPE_H
#define KERNEL_ESCAPE_H
#include <minipv/compiler.h>
#include <minipv/escape.h>

/*
 * Write 's[0..len)' into buf (always NUL-terminated when size > 0): at most
 * max bytes of s, then "'..." if it was cut.  Returns the length written.
 */
size_t str_quote(char *buf, size_t size, const char *s, size_t len, size_t max);
/* Same without the quotes and the cut mark (for a value shown as is). */
size_t str_escape(char *buf, size_t size, const char *s, size_t len);

#endif
