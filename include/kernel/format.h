/* SPDX-License-Identifier: MIT */
/* printf-style formatting (pure; host-tested). */
#ifndef KERNEL_FORMAT_H
#define KERNEL_FORMAT_H
#include <minipv/compiler.h>

/*
 * Supports %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ' '#', width and
 * precision (also '*'), length modifiers hh h l ll z t j.  Always NUL-terminates
 * when size > 0 and returns the length the full output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
