/* SPDX-License-Identifier: MIT */
/*
 * The life participants of the state the xen layer holds (include/kernel/life.h):
 * console, event channels and vcpu areas, timers, xenstore streams.  They
 * sit here, in kernel/, because the handoff is a kernel type xen/ never sees;
 * each is one self-contained block that only calls down into xen/.
 */
#include <kernel/life.h>
#include <kernel/handoff.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <kernel/cpu.h>
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/xenstore.h>
#include <minipv/percpu.h>
#include <minipv/bounds.h>
#include <minipv/string.h>

/* ---- timers: Xen would go on firing them into whatever kernel runs next ---- */

static void timers_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    h->time_offset = xen_time_offset();
    for (unsigned v = 0; v < nr_vcpus; v++)     /* allowed on any vCPU of the domain */
        hypercall_vcpu_op(VCPUOP_stop_periodic_timer, v, NULL);
    /* Xen: VCPUOP_stop_singleshot_timer is for the calling vCPU only. */
    hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, this_cpu()->vcpu_id, NULL);
}

/* Our clock goes on in the next kernel (it stopped for every suspend's downtime). */
static void timers_read(const struct handoff *h)
{
    xen_time_set_offset(h->time_offset);
}

LIFE_PARTICIPANT(20, timers, .write = timers_write, .read = timers_read);

/* ---- xenstore: the ring's message streams, handed over at a boundary ---- */

static struct xs_stream xs_state;
/* The record's fields are struct xs_stream's, one for one: a change to either is a build error. */
#define XS_SAME(f) BUILD_BUG_ON(sizeof(((struct handoff *)0)->xs_##f) != \
                                sizeof(((struct xs_stream *)0)->f));
XS_SAME(rx_have) XS_SAME(rx_hdr) XS_SAME(req_left) XS_SAME(next_req)
BUILD_BUG_ON(sizeof(struct xs_stream) != 4 + 16 + 4 + 4);

static bool xs_suspended;

static int xenstore_quiesce(enum life_event ev)
{
    if (ev == LIFE_SUSPEND) {
        int rc = xs_suspend();
        xs_suspended = !rc;
        return rc;
    }
    /* Bounded: a busy ring is handed over as it is, the new kernel reads on from there. */
    if (ev == LIFE_KEXEC && xs_available() && xs_quiesce(&xs_state, BOUND_XENSTORE_QUIESCE_NS))
        pr_warn("kexec: xenstore did not quiesce in %llu s: handing the stream over mid-message",
                (unsigned long long)(BOUND_XENSTORE_QUIESCE_NS / NS_PER_S));
    return 0;
}

static void xenstore_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    h->store_mfn = xen_start_info->store_mfn;
    h->store_port = xen_start_info->store_evtchn;
    h->xs_rx_have = xs_state.rx_have;
    memcpy(h->xs_rx_hdr, xs_state.rx_hdr, sizeof(h->xs_rx_hdr));
    h->xs_req_left = xs_state.req_left;
    h->xs_next_req = xs_state.next_req;
}

static void xenstore_read(const struct handoff *h)
{
    struct xs_stream xs = { .rx_have = h->xs_rx_have, .req_left = h->xs_req_left,
                            .next_req = h->xs_next_req };
    memcpy(xs.rx_hdr, h->xs_rx_hdr, sizeof(xs.rx_hdr));
    xs_resume_from(&xs);
}

static bool xs_resumed_early;

/*
 * A suspend's resume, first of all (order 95, before the vCPUs come back):
 * the client on its new port and every watch sent again, so xenstored's
 * round trip runs while the rest resumes; order 30 takes the answers.
 */
static void xenstore_resume_early(enum life_resume how)
{
    if (!xs_suspended || how == LIFE_NEW_KERNEL)
        return;
    xs_resumed_early = true;
    xs_resume(how == LIFE_NEW_DOMAIN);
    if (how == LIFE_NEW_DOMAIN && xs_rewatch_send())
        pr_err("suspend: sending the xenstore watches again failed: %s", xs_last_error());
}

LIFE_PARTICIPANT(95, xenstore_early, .resume = xenstore_resume_early);

static void xenstore_resume(enum life_resume how)
{
    if (!xs_suspended)
        return;
    /* A quiesce refused after ours never reached order 95: all of it here. */
    if (!xs_resumed_early)
        xenstore_resume_early(how);
    xs_suspended = xs_resumed_early = false;
    /* Their first events rescan cpu/ (the availability libxl wrote back) and control/shutdown. */
    if (xs_rewatch_finish())
        pr_err("suspend: setting the xenstore watches again failed: %s", xs_last_error());
}

LIFE_PARTICIPANT(30, xenstore, .quiesce = xenstore_quiesce, .write = xenstore_write,
                 .read = xenstore_read, .resume = xenstore_resume);

/* ---- console: its ring and port stay bound, the new kernel writes on ---- */

static void console_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    if (xen_is_dom0())
        return;                 /* CONSOLEIO_write: no ring */
    h->console_mfn = xen_start_info->console.domU.mfn;
    h->console_port = xen_start_info->console.domU.evtchn;
}

LIFE_PARTICIPANT(40, console, .write = console_write);

/* ---- event channels and the vcpu areas Xen writes into ---- */

static void events_write(enum life_event ev, struct handoff *h)
{
    (void)ev;
    h->shared_info_maddr = xen_start_info->shared_info;
    /* Runstate/time areas are virtual addresses: Xen would write them through the next tables. */
    for (unsigned v = 0; v < nr_vcpus; v++)
        xen_vcpu_drop_areas(v);
}

LIFE_PARTICIPANT(50, events, .write = events_write);
