/* SPDX-License-Identifier: MIT */
/* Xen system time from this vCPU's vcpu_time_info (version protocol + TSC scaling). */
#include <xenpv/xenpv.h>
#include <arch/x86.h>

static inline uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    /* (delta * mul) >> 32 without overflow: 64x32 -> 96-bit product. */
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t xen_system_time(void)
{
    const volatile struct vcpu_time_info *t = &this_cpu()->vcpu_info->time;
    uint32_t ver;
    uint64_t now;
    do {
        /* Odd version: Xen is updating the record; retry until stable and even. */
        ver = t->version;
        rmb();
        uint64_t tsc = rdtsc();
        now = t->system_time + scale_delta(tsc - t->tsc_timestamp, t->tsc_to_system_mul,
                                           t->tsc_shift);
        rmb();
    } while ((ver & 1) || ver != t->version);
    return now;
}
