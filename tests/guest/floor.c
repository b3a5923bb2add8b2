/* SPDX-License-Identifier: MIT */
/* The hypercall floor of test=bench, also taken by test=scale beside its serial step (floor.h). */
#include "floor.h"
#include <xenpv/xenpv.h>
#include <xenpv/hypercall.h>
#include <xenpv/xenstore.h>
#include <minipv/errno.h>

uint64_t floor_batch(floor_call_fn call, void *arg, unsigned n, long *err)
{
    uint64_t t0 = xen_system_time();
    for (unsigned i = 0; i < n; i++) {
        long rc = call(arg);
        if (rc && !*err)
            *err = rc;
    }
    return xen_system_time() - t0;
}

unsigned floor_sample(floor_call_fn call, void *arg, uint64_t *out, unsigned n)
{
    unsigned got = 0;
    for (unsigned i = 0; i < n; i++) {
        long err = 0;
        uint64_t t = floor_batch(call, arg, 1, &err);
        if (!err)
            out[got++] = t;
    }
    return got;
}

unsigned floor_clock(uint64_t *out, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = xen_system_time();
        out[i] = xen_system_time() - t0;
    }
    return n;
}

long floor_xen_version(void *unused)
{
    (void)unused;
    long rc = hypercall_xen_version(XENVER_version, NULL);
    return rc > 0 ? 0 : (rc ? rc : -EINVAL);
}

long floor_vcpu_is_up(void *vcpu_id)
{
    long rc = hypercall_vcpu_op(VCPUOP_is_up, (unsigned)(unsigned long)vcpu_id, NULL);
    return rc == 1 ? 0 : (rc ? rc : -EINVAL);
}

long floor_evtchn_send(void *port)
{
    struct evtchn_send op = { .port = (uint32_t)(unsigned long)port };
    return hypercall_event_channel_op(EVTCHNOP_send, &op);
}

long floor_xenstore_read(void *unused)
{
    (void)unused;
    char buf[32];
    int rc = xs_read(0, "domid", buf, sizeof(buf));
    return rc > 0 ? 0 : (rc ? rc : -EINVAL);
}
