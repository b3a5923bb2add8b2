/* SPDX-License-Identifier: MIT */
/* x86-64 CPU primitives: barriers, atomics, TSC, per-cpu segment access. */
#ifndef ARCH_X86_H
#define ARCH_X86_H
#include <minipv/compiler.h>

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
static inline void mb(void)  { __asm__ __volatile__("mfence" ::: "memory"); }
static inline void rmb(void) { __asm__ __volatile__("lfence" ::: "memory"); }
static inline void wmb(void) { barrier(); /* x86 TSO: stores are not reordered with stores */ }

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Atomics: gcc builtins generate lock-prefixed instructions. */
#define atomic_load(p)         __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store(p, v)     __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_xchg(p, v)      __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_add(p, v)       __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_sub(p, v)       __atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_or(p, v)        __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define atomic_and(p, v)       __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define atomic_cas(p, o, n)    __atomic_compare_exchange_n((p), (o), (n), false, \
                                   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

static inline bool test_and_clear_bit(unsigned nr, volatile unsigned long *addr)
{
    bool old;
    __asm__ __volatile__("lock btrq %2, %1; setc %0"
                         : "=qm"(old), "+m"(*addr) : "r"((unsigned long)nr) : "memory");
    return old;
}

static inline bool test_and_set_bit(unsigned nr, volatile unsigned long *addr)
{
    bool old;
    __asm__ __volatile__("lock btsq %2, %1; setc %0"
                         : "=qm"(old), "+m"(*addr) : "r"((unsigned long)nr) : "memory");
    return old;
}

static inline void set_bit(unsigned nr, volatile unsigned long *addr)
{
    __asm__ __volatile__("lock btsq %1, %0" : "+m"(*addr) : "r"((unsigned long)nr) : "memory");
}

static inline void clear_bit(unsigned nr, volatile unsigned long *addr)
{
    __asm__ __volatile__("lock btrq %1, %0" : "+m"(*addr) : "r"((unsigned long)nr) : "memory");
}

static inline unsigned long read_rbp(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%rbp, %0" : "=r"(v));
    return v;
}

static inline unsigned long read_rsp(void)
{
    unsigned long v;
    __asm__ __volatile__("mov %%rsp, %0" : "=r"(v));
    return v;
}

/* Simple ticket-free spinlock; critical sections are short. */
typedef struct { volatile int v; } spinlock_t;
#define SPINLOCK_INIT { 0 }

static inline bool spin_trylock(spinlock_t *l)
{
    return !__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
    while (!spin_trylock(l))
        while (READ_ONCE(l->v))
            cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#endif
