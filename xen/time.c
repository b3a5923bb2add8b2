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

/*
 * Our clock is Xen's system time minus this offset.  Zero until a suspend:
 * Xen's clock runs on through the downtime (forward by it on the same
 * host, anywhere on another host), and ours stops for it, so every
 * deadline and bound taken before the suspend still means what it meant
 * (xen_time_rebase).  What goes to Xen as an absolute time converts back
 * (xen_time_to_xen).
 */
static int64_t time_offset;

uint64_t xen_time_to_xen(uint64_t ns)
{
    return ns + (uint64_t)READ_ONCE(time_offset);
}

void xen_time_rebase(uint64_t ours_before, uint64_t xen_now)
{
    WRITE_ONCE(time_offset, (int64_t)(xen_now - ours_before));
}

uint64_t xen_time_offset(void)
{
    return (uint64_t)READ_ONCE(time_offset);
}

void xen_time_set_offset(uint64_t offset)
{
    WRITE_ONCE(time_offset, (int64_t)offset);
}

uint64_t xen_system_time(void)
{
    return xen_raw_time() - (uint64_t)READ_ONCE(time_offset);
}

uint64_t xen_raw_time(void)
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
