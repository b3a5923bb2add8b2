/* SPDX-License-Identifier: MIT */
/*
 * Console back-ends.  dom0 writes with CONSOLEIO_write (Xen's serial);
 * a domU must use the console ring from start_info (CONSOLEIO_write from
 * a domU is refused by Xen unless it is a verbose debug build).
 */
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/wait.h>
#include <arch/mm.h>
#include <arch/x86.h>

static struct xencons_interface *ring;
static uint32_t ring_port;
uint64_t xen_console_dropped;

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

static bool ring_has_space(void *unused)
{
    (void)unused;
    return READ_ONCE(ring->out_prod) - READ_ONCE(ring->out_cons) < sizeof(ring->out);
}

static bool ring_drained(void *unused)
{
    (void)unused;
    return READ_ONCE(ring->out_cons) == READ_ONCE(ring->out_prod);
}

/* printk may hold events masked: kick xenconsoled and stay on this cpu. */
static void ring_kick_spin(void)
{
    xen_evtchn_send(ring_port);
    cpu_relax();
}

/* At the end of a run: kick, and give xenconsoled's dom0 our physical cpu. */
static void ring_kick_yield(void)
{
    xen_evtchn_send(ring_port);
    hypercall_sched_op(SCHEDOP_yield, NULL);
}

/* A full ring is drained by xenconsoled; after the bound, output is dropped. */
static bool ring_wait_space(void)
{
    return wait_until(ring_has_space, NULL, BOUND_CONSOLE_RING_NS, ring_kick_spin);
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
    /* Bounded: xenconsoled may be gone at shutdown. */
    wait_until(ring_drained, NULL, BOUND_CONSOLE_DRAIN_NS, ring_kick_yield);
}
