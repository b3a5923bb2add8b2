/* SPDX-License-Identifier: MIT */
/*
 * Console back-ends.  dom0 writes with CONSOLEIO_write (Xen's serial);
 * a domU must use the console ring from start_info (CONSOLEIO_write from
 * a domU is refused by Xen unless it is a verbose debug build).
 */
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <arch/mm.h>
#include <arch/x86.h>

struct start_info *xen_start_info;
static struct xencons_interface *ring;
static uint32_t ring_port;
uint64_t xen_console_dropped;

/* A full ring is drained by xenconsoled; give it this long before dropping output. */
#define RING_WAIT_NS 2000000000ULL
#define RING_SPIN_NO_TIME 200000000UL

void xen_console_init(struct start_info *si)
{
    xen_start_info = si;
    if (si->flags & SIF_INITDOMAIN)
        return;
    /* Runs before the memory code: bound the pfn with start_info's own count. */
    unsigned long pfn = mfn_to_pfn(si->console.domU.mfn);
    if (pfn < si->nr_pages) {
        ring = pfn_to_virt(pfn);
        ring_port = si->console.domU.evtchn;
    }
}

static bool ring_wait_space(void)
{
    uint64_t start = xen_shared_info ? xen_system_time() : 0;
    for (unsigned long spins = 0;; spins++) {
        XENCONS_RING_IDX used = READ_ONCE(ring->out_prod) - READ_ONCE(ring->out_cons);
        if (used < sizeof(ring->out))
            return true;
        xen_evtchn_send(ring_port);
        if (xen_shared_info ? xen_system_time() - start > RING_WAIT_NS : spins > RING_SPIN_NO_TIME)
            return false;
        cpu_relax();
    }
}

void xen_console_write(const char *buf, size_t len)
{
    if (!ring) {
        hypercall_console_io(CONSOLEIO_write, (unsigned)len, buf);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (!ring_wait_space()) {
            xen_console_dropped += len - i;
            break;
        }
        XENCONS_RING_IDX prod = ring->out_prod;
        ring->out[MASK_XENCONS_IDX(prod, ring->out)] = buf[i];
        wmb();  /* data before index: xenconsoled reads out_prod then the bytes */
        ring->out_prod = prod + 1;
    }
    xen_evtchn_send(ring_port);
}

size_t xen_console_read(char *buf, size_t max)
{
    if (!ring)
        return 0;
    size_t n = 0;
    XENCONS_RING_IDX cons = ring->in_cons, prod = READ_ONCE(ring->in_prod);
    rmb();
    while (cons != prod && n < max)
        buf[n++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    mb();
    ring->in_cons = cons;
    if (n)
        xen_evtchn_send(ring_port);
    return n;
}

void xen_console_flush(void)
{
    if (!ring)
        return;
    /* Bounded: xenconsoled may be gone; 1 s is plenty for it to drain 2 KiB.  Before
     * shared_info is mapped time stands still: count yields instead. */
    uint64_t deadline = xen_shared_info ? xen_system_time() + 1000000000ULL : 0;
    for (unsigned long spins = 0; READ_ONCE(ring->out_cons) != READ_ONCE(ring->out_prod); spins++) {
        if (xen_shared_info ? xen_system_time() >= deadline : spins > 100000)
            break;
        xen_evtchn_send(ring_port);
        hypercall_sched_op(SCHEDOP_yield, NULL);
    }
}
