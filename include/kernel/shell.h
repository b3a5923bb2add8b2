/* SPDX-License-Identifier: MIT */
/*
 * Command interface on the domU console input ring (kernel/shell.c), for
 * `xl console DOM` or a write to the console's pty in dom0.  One line per
 * command, echoed; backspace edits; lines are bounded (SHELL_LINE_MAX).
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H
#include <minipv/compiler.h>

#define SHELL_LINE_MAX 80

/* Bind the console channel so input wakes the service loop.  false on dom0 (no input ring). */
bool shell_init(void);
/* Read what has arrived and run each complete line (thread context). */
void shell_poll(void);
/* Feed bytes as if typed (used by shell_poll; separate for testing). */
void shell_input(const char *buf, size_t len);

#endif
