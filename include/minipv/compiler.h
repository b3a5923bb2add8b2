/* SPDX-License-Identifier: MIT */
/* Compiler helpers shared by every layer. */
#ifndef MINIPV_COMPILER_H
#define MINIPV_COMPILER_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)     (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)   ((x) & ~((__typeof__(x))(a) - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define MIN(a, b)          ((a) < (b) ? (a) : (b))
#define MAX(a, b)          ((a) > (b) ? (a) : (b))

#define __packed           __attribute__((packed))
#define __aligned(x)       __attribute__((aligned(x)))
#define __noreturn         __attribute__((noreturn))
#define __unused           __attribute__((unused))
#define __used             __attribute__((used))
#define __section(s)       __attribute__((section(s)))
#define __printf(a, b)     __attribute__((format(printf, a, b)))
#define likely(x)          __builtin_expect(!!(x), 1)
#define unlikely(x)        __builtin_expect(!!(x), 0)

#define BUILD_BUG_ON(c)    _Static_assert(!(c), #c)
#define barrier()          __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x)       (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)   (*(volatile __typeof__(x) *)&(x) = (v))

#define container_of(p, type, member) \
    ((type *)((char *)(p) - offsetof(type, member)))

#define CACHELINE 64
#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

/*
 * Build-wide limits.  NR_CPUS bounds the cpu <-> vcpu map: 1024, the most
 * vCPUs libxl brings up at domain creation (its avail_vcpus bitmap check,
 * tools/libs/light/libxl_create.c:217-219, bench/README.md).  Xen's own
 * bound for PV is 8192 (MAX_VIRT_CPUS), but minipv binds 2 event channels
 * per vCPU and the 2-level ABI has 4096 ports: past about 2040 vCPUs it
 * would need FIFO event channels, which it does not implement.
 */
#ifndef NR_CPUS
#define NR_CPUS 1024
#endif

#endif
