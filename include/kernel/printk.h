/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H
#include <minipv/compiler.h>
#include <kernel/format.h>

/* Levels as in Linux: a line prints when its level < loglevel= (default 7); LOG_EMERG always. */
#define LOG_EMERG 0
#define LOG_ERR   3
#define LOG_WARN  4
#define LOG_INFO  6
#define LOG_DEBUG 7

/* One line, prefixed "[cpu N t=S.UUUUUU] ", never interleaved with another cpu's. */
void printk_level(int level, const char *fmt, ...) __printf(2, 3);
void vprintk_level(int level, const char *fmt, va_list ap);
#define printk(...)   printk_level(LOG_INFO, __VA_ARGS__)
#define pr_err(...)   printk_level(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk_level(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk_level(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk_level(LOG_DEBUG, __VA_ARGS__)
/* Raw output with no prefix (KTAP lines, the final result line). */
void printk_raw(const char *fmt, ...) __printf(1, 2);
/* Raw bytes as they are, in one console write (the vmcore stream). */
void printk_write(const char *buf, size_t len);
/* panic path, once the other cpus are stopped: take the console even if one of them held it. */
void printk_force_unlock(void);

extern uint64_t loglevel;

#endif
