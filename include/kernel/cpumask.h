/* SPDX-License-Identifier: MIT */
#ifndef KERNEL_CPUMASK_H
#define KERNEL_CPUMASK_H
#include <minipv/compiler.h>

struct cpumask { unsigned long bits[NR_CPUS / 64]; };

static inline void cpumask_set(struct cpumask *m, unsigned c)
{
    __atomic_fetch_or(&m->bits[c / 64], 1UL << (c % 64), __ATOMIC_SEQ_CST);
}
static inline void cpumask_clear(struct cpumask *m, unsigned c)
{
    __atomic_fetch_and(&m->bits[c / 64], ~(1UL << (c % 64)), __ATOMIC_SEQ_CST);
}
static inline bool cpumask_test(const struct cpumask *m, unsigned c)
{
    return (__atomic_load_n(&m->bits[c / 64], __ATOMIC_ACQUIRE) >> (c % 64)) & 1;
}
static inline unsigned cpumask_weight(const struct cpumask *m)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NR_CPUS / 64; i++)
        n += (unsigned)__builtin_popcountl(m->bits[i]);
    return n;
}
static inline void cpumask_zero(struct cpumask *m)
{
    for (unsigned i = 0; i < NR_CPUS / 64; i++)
        m->bits[i] = 0;
}
static inline void cpumask_fill(struct cpumask *m, unsigned n)
{
    cpumask_zero(m);
    for (unsigned c = 0; c < n; c++)
        m->bits[c / 64] |= 1UL << (c % 64);
}
#define for_each_cpu(c, m) \
    for (unsigned c = 0; c < NR_CPUS; c++) if (cpumask_test((m), c))

#endif
