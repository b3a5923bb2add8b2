/* SPDX-License-Identifier: MIT */
/*
 * What a PV domU owes the toolstack (docs/misc/xenstore-paths.pandoc):
 *   - control/feature-poweroff, -reboot, -suspend = "1": xl shutdown, xl
 *     reboot, xl save/restore/migrate are understood;
 *   - device/suspend/event-channel: a port xl notifies to ask for a suspend
 *     (libxl prefers it to control/shutdown whenever the node holds one);
 *   - control/shutdown: act on "poweroff"/"reboot" and clear the key, which
 *     is the acknowledgement libxl waits for; "suspend" there is not from
 *     xl while we offer the channel: cleared, and we go on (README);
 *   - cpu/<vcpu>/availability: "online"/"offline" per vCPU, written by
 *     xl vcpu-set and by libxl at create time when maxvcpus > vcpus.
 * Values come from another domain: anything else is named in a warning and
 * changes nothing.
 */
#include <minipv/errno.h>
#include <kernel/toolstack.h>
#include <kernel/kernel.h>
#include <kernel/smp.h>
#include <kernel/sched.h>
#include <kernel/format.h>
#include <kernel/service_parse.h>
#include <xenpv/xenpv.h>
#include <xenpv/xenstore.h>
#include <xen/io/xs_wire.h>     /* XENSTORE_PAYLOAD_MAX */
#include <xenpv/hypercall.h>
#include <arch/x86.h>
#include <minipv/string.h>
#include <minipv/bounds.h>

#define MAX_VCPU_KEYS 4096              /* = smp.c's bound on vcpu ids */

static bool active;
/* cpu/<vcpu>/availability as read at boot, for smp_set_vcpu_available. */
static unsigned long boot_offline[MAX_VCPU_KEYS / 64];

bool toolstack_active(void) { return active; }

/* ---- waking the service loop, and the xenstore client's waits ---- */

/*
 * Event handlers (the console's, the store channel's) set kicked and wake
 * the loop: a kick ends toolstack_wait at once, not at the next look.
 */
static volatile unsigned long kicked;
static struct sched_waitq service_wq = SCHED_WAITQ_INIT;

void toolstack_kick(void)
{
    atomic_store(&kicked, 1UL);
    sched_wakeup(&service_wq);
}

static bool is_kicked(void *arg)
{
    (void)arg;
    return atomic_load(&kicked) != 0;
}

void toolstack_wait(uint64_t max_ns)
{
    sched_sleep(&service_wq, is_kicked, NULL, max_ns);
    atomic_xchg(&kicked, 0UL);
}

/* A thread waiting for xenstored sleeps (other threads run) until the store channel fires. */
static struct sched_waitq store_wq = SCHED_WAITQ_INIT;

static bool store_wait(bool (*ready)(void *), void *arg, uint64_t deadline)
{
    if (!thread_can_block())
        return false;           /* boot before the scheduler, events masked: xenstore polls */
    uint64_t now = xen_system_time();
    sched_sleep(&store_wq, ready, arg, deadline > now ? deadline - now : 0);
    return true;
}

static void store_news(void)
{
    sched_wakeup(&store_wq);
}

static const struct xs_waiter store_waiter = { .wait = store_wait, .news = store_news };

/* ---- helpers ---- */

/* Value as it may be shown in a message: quoted, control bytes escaped, cut. */
static const char *shown(const char *v, char *buf, size_t size)
{
    buf[0] = 0;
    xs_msg_quoted(buf, size, v, strlen(v), 48);
    return buf;
}

/* "0 1 5": the online vcpu ids, ascending as xl vcpu-list shows them. */
static void online_list(char *list, size_t size)
{
    size_t n = 0;
    list[0] = 0;
    /* Ascending vcpu ids, as xl vcpu-list shows them. */
    for (unsigned v = 0; v < nr_vcpus && v < MAX_VCPU_KEYS; v++) {
        int c = vcpu_to_cpu(v);
        if (c < 0 || !cpumask_test(&cpu_online_mask, (unsigned)c))
            continue;
        if (n + 12 >= size) {
            snprintf(list + n, size - n, " ...");
            break;
        }
        n += (size_t)snprintf(list + n, size - n, "%s%u", n ? " " : "", v);
    }
}

void toolstack_report_cpus(const char *why)
{
    char list[400];
    online_list(list, sizeof(list));
    printk("cpus: online %u [%s]%s%s", cpumask_weight(&cpu_online_mask), list,
           why && *why ? " " : "", why ? why : "");
}

int toolstack_set_cpu(unsigned cpu, bool online, const char *who)
{
    if (cpu >= nr_cpus)
        return -EINVAL;
    if (online == cpumask_test(&cpu_online_mask, cpu))
        return 0;
    /* Our own cpu too: cpu_down() has the scheduler move this thread off it first. */
    int rc = online ? cpu_up(cpu) : cpu_down(cpu);
    if (rc)
        pr_err("%s: cpu %u (vcpu %u) %s failed: %d", who, cpu, cpu_to_vcpu(cpu),
               online ? "online" : "offline", rc);
    return rc;
}

/* ---- cpu/<vcpu>/availability ---- */

enum avail { AVAIL_GONE, AVAIL_ONLINE, AVAIL_OFFLINE, AVAIL_BAD };

/* Judge one cpu/<vcpu>/availability reply: rc is xs_read's (the value's length or -errno). */
static enum avail judge_avail(const char *key, int rc, const char *val, size_t max)
{
    char msg[SVC_MSG_MAX];
    if (rc == -ENOENT)
        return AVAIL_GONE;
    if (rc == -E2BIG || (rc >= 0 && (size_t)rc > max)) {
        pr_warn("control: %s: value longer than %zu bytes (want online or offline): ignored",
                key, max);
        return AVAIL_BAD;
    }
    if (rc < 0) {
        pr_warn("control: reading %s failed: %s", key, xs_last_error());
        return AVAIL_BAD;
    }
    /* The value's xenstore length, so a NUL inside it is seen and shown. */
    switch (svc_parse_avail(key, val, (size_t)rc, msg, sizeof(msg))) {
    case SVC_AVAIL_ONLINE: return AVAIL_ONLINE;
    case SVC_AVAIL_OFFLINE: return AVAIL_OFFLINE;
    case SVC_AVAIL_BAD: break;
    }
    pr_warn("%s", msg);
    return AVAIL_BAD;
}

#define AVAIL_VALUE_MAX 63

/* Read and judge cpu/<vcpu>/availability (one watch event: one key). */
static enum avail read_avail(unsigned vcpu, char *key, size_t keylen)
{
    char val[AVAIL_VALUE_MAX + 1];
    snprintf(key, keylen, "cpu/%u/availability", vcpu);
    return judge_avail(key, xs_read(0, key, val, sizeof(val)), val, AVAIL_VALUE_MAX);
}

/*
 * cpu/<v>/availability of vCPUs 0..n-1, XS_PIPELINE reads in flight: boot
 * and a rescan cost about n/16 round trips, not n.  Judged into avail_of[];
 * a vCPU whose read got no answer stays AVAIL_BAD (left as it is).  No
 * directory listing: cpu/ may hold any number of other keys (a listing into
 * a fixed buffer failed at 628), and only these matter.  Nothing here may
 * call xenstore: xs_read_many holds its lock around the callback.
 */
static char avail_key[MAX_VCPU_KEYS][24];     /* "cpu/4095/availability" */
static const char *avail_paths[MAX_VCPU_KEYS];
static uint8_t avail_of[MAX_VCPU_KEYS];

static void avail_answered(unsigned i, int rc, const char *val, void *ctx)
{
    (void)ctx;
    avail_of[i] = (uint8_t)judge_avail(avail_key[i], rc, val, AVAIL_VALUE_MAX);
}

static int read_avail_all(unsigned n)
{
    for (unsigned v = 0; v < n; v++) {
        snprintf(avail_key[v], sizeof(avail_key[v]), "cpu/%u/availability", v);
        avail_paths[v] = avail_key[v];
        avail_of[v] = AVAIL_BAD;
    }
    return xs_read_many(0, avail_paths, n, avail_answered, NULL);
}

/* Make vcpu's state what its key says.  true if a cpu changed state. */
static bool apply_vcpu(unsigned vcpu, enum avail a, const char *key)
{
    if (a == AVAIL_GONE || a == AVAIL_BAD)
        return false;
    int cpu = vcpu < MAX_VCPU_KEYS ? vcpu_to_cpu(vcpu) : -1;
    if (cpu < 0) {
        /* Only warn when asked to use it: "offline" for an unused vCPU is the truth. */
        if (a == AVAIL_ONLINE)
            pr_warn("control: %s: vcpu %u is not used by this kernel (%s): ignored", key, vcpu,
                    vcpu < nr_vcpus ? "nr_cpus= or NR_CPUS limit" : "no such vCPU");
        return false;
    }
    bool want = a == AVAIL_ONLINE;
    if (want == cpumask_test(&cpu_online_mask, (unsigned)cpu))
        return false;
    toolstack_set_cpu((unsigned)cpu, want, "control");
    return true;
}

/* The watch of one vCPU's key. */
static bool apply_vcpu_key(unsigned vcpu)
{
    char key[48];
    enum avail a = read_avail(vcpu, key, sizeof(key));
    return apply_vcpu(vcpu, a, key);
}

/* After lost events (or the watch's first firing): every vCPU the domain has. */
static bool rescan_cpus(void)
{
    bool changed = false;
    unsigned n = MIN(nr_vcpus, (unsigned)MAX_VCPU_KEYS);
    if (read_avail_all(n))
        pr_warn("control: rescan: reading cpu/N/availability failed: %s; answered keys used",
                xs_last_error());
    for (unsigned v = 0; v < n; v++)
        changed |= apply_vcpu(v, (enum avail)avail_of[v], avail_key[v]);
    printk("control: rescan: read cpu/N/availability of %u vCPU(s)", n);
    return changed;
}

/* A watch event under cpu/: "cpu", "cpu/<n>" or "cpu/<n>/availability". */
static bool cpu_event(const char *path, bool *rescan)
{
    if (!strcmp(path, "cpu")) {
        *rescan = true;         /* the watch's first firing, or the whole subtree went */
        return false;
    }
    unsigned v;
    char msg[SVC_MSG_MAX];
    switch (svc_parse_cpu_key(path, strlen(path), &v, msg, sizeof(msg))) {
    case SVC_KEY_BAD:           /* cpu/03/...: not vcpu 3 */
        pr_warn("%s", msg);
        return false;
    case SVC_KEY_VCPU:          /* cpu/<n> itself: its availability may have come or gone */
    case SVC_KEY_AVAIL:
        return apply_vcpu_key(v);
    case SVC_KEY_NOT_CPU:
    case SVC_KEY_CPU_DIR:
    case SVC_KEY_OTHER:         /* some other key under cpu/<n>: not ours */
        break;
    }
    return false;
}

static bool vcpu_available(unsigned vcpu)
{
    return vcpu >= MAX_VCPU_KEYS || !(boot_offline[vcpu / 64] & (1UL << (vcpu % 64)));
}

/* ---- suspend: xl save, save -c, restore, migrate ---- */

static uint32_t suspend_port;                   /* offered to xl; 0: none */
static volatile unsigned long suspend_asked;
static const char *suspend_via;

static void suspend_event(uint32_t port, void *arg)
{
    (void)port;
    (void)arg;
    suspend_via = "device/suspend/event-channel";
    atomic_store(&suspend_asked, 1UL);
    toolstack_kick();
}

/*
 * A "suspend" in control/shutdown.  xl asks through our channel whenever
 * device/suspend/event-channel holds a port (libxl__domain_suspend_init),
 * so with one offered this request is not from xl but written by hand: a
 * suspend nobody saves would stay suspended for good.  Cleared, and ignored.
 */
static void suspend_requested(const char *via)
{
    if (suspend_port) {
        pr_warn("control: control/shutdown: 'suspend', but xl asks through "
                "device/suspend/event-channel (port %u): not from xl, not suspending (cleared)",
                suspend_port);
        return;
    }
    suspend_via = via;
    atomic_store(&suspend_asked, 1UL);
}

/* The suspend channel's events to cpu (it follows the xenstore channel); 0 or -errno. */
static int suspend_port_to(unsigned cpu)
{
    int rc = suspend_port ? xen_bind_port(suspend_port, per_cpu(cpu), suspend_event, NULL) : 0;
    if (rc)
        pr_err("control: binding the suspend channel to cpu %u failed: %d", cpu, rc);
    return rc;
}

/* The channel xl notifies (its toolstack runs in dom0); in a new domain, a new one. */
static void offer_suspend_channel(void)
{
    uint32_t p = 0;
    char v[16];
    suspend_port = 0;
    int rc = xen_evtchn_alloc_unbound(0, &p);
    if (!rc && (rc = xen_bind_port(p, per_cpu(xs_bound_cpu()), suspend_event, NULL)))
        xen_evtchn_close(p);
    snprintf(v, sizeof(v), "%u", p);
    if (!rc && (rc = xs_write(0, "device/suspend/event-channel", v)))
        xen_evtchn_close(p);
    if (rc)
        pr_warn("control: no suspend event channel (%d): xl asks through control/shutdown", rc);
    else
        suspend_port = p;
}

static void advertise(void)
{
    int rc;
    if ((rc = xs_write(0, "control/feature-poweroff", "1")) ||
        (rc = xs_write(0, "control/feature-reboot", "1")) ||
        (rc = xs_write(0, "control/feature-suspend", "1")))
        pr_warn("control: advertising features failed: %s", xs_last_error());
    offer_suspend_channel();
}

static void do_suspend(void)
{
    struct smp_suspend_report r;
    char ids[400], dom[16] = "?";
    unsigned online = cpumask_weight(&cpu_online_mask);
    printk("suspend: request from the toolstack (%s): %u of %u vCPUs online", suspend_via, online,
           nr_cpus);
    /* Not moved by the notifiers of a vCPU 0 brought up for it: in a new domain it is gone. */
    uint32_t port = suspend_port;
    suspend_port = 0;
    int rc = smp_suspend(&r);
    if (rc || !r.new_domain) {
        suspend_port = port;
        suspend_port_to(xs_bound_cpu());
    }
    if (rc) {
        printk("suspend: not suspended (%d): going on", rc);
        return;
    }
    /* Answering from here: every vCPU back, xenstore re-attached, its watches set. */
    uint64_t resume_us = (r.done_ns - r.returned_ns) / 1000;
    if (r.new_domain)
        advertise();            /* a new domain's xenstore holds none of it */
    unsigned back = cpumask_weight(&cpu_online_mask);
    online_list(ids, sizeof(ids));
    if (r.new_domain && xs_read(0, "domid", dom, sizeof(dom)) < 0)
        snprintf(dom, sizeof(dom), "?");
    if (r.hypercall_rc < 0)
        printk("suspend: Xen refused SCHEDOP_shutdown(suspend): %ld; going on", r.hypercall_rc);
    else
        printk("suspend: back in %s%s%s: %u of %u vCPUs back [%s], guest resume %llu us, down "
               "%llu ms (vCPUs back after %llu us)", r.new_domain ? "a new domain (domid " :
               "the same domain (checkpoint or cancel", r.new_domain ? dom : "", ")", back, online,
               ids, (unsigned long long)resume_us, (unsigned long long)(r.down_ns / NS_PER_MS),
               (unsigned long long)((r.back_ns - r.returned_ns) / 1000));
    char split[320];
    smp_suspend_split(&r, split, sizeof(split));
    printk("suspend: resume split (us after the hypercall's return): %s", split);
    toolstack_report_cpus("(after suspend)");
}

/* ---- control/shutdown ---- */

static enum toolstack_action shutdown_event(void)
{
    /* Any value xenstore can hold fits (service thread only: static is fine). */
    static char val[XENSTORE_PAYLOAD_MAX + 1];
    char msg[SVC_MSG_MAX];
    /*
     * Read and clear in one transaction (as Linux does), so a request
     * written between the two is not wiped unseen: the end says EAGAIN
     * and we look again.  Bounded by attempts and by xenstore's own bounds.
     */
    for (int attempt = 0; attempt < 8; attempt++) {
        uint32_t tx;
        int rc = xs_transaction_start(&tx);
        if (rc) {
            pr_warn("control: control/shutdown: transaction start failed: %s", xs_last_error());
            return TOOLSTACK_NONE;
        }
        int len = rc = xs_read(tx, "control/shutdown", val, sizeof(val));
        if (rc == -ENOENT || rc == 0) {
            xs_transaction_end(tx, false);
            return TOOLSTACK_NONE;            /* our own clear, or nothing asked */
        }
        enum svc_shutdown req;
        if (rc == -E2BIG) {
            /* Cannot be with a buffer of XENSTORE_PAYLOAD_MAX, but answer it all the same. */
            snprintf(msg, sizeof(msg), "control: control/shutdown: value longer than %zu bytes "
                     "(want poweroff, reboot or suspend): ignored", sizeof(val) - 1);
            req = SVC_SHUTDOWN_BAD;
        } else if (rc < 0) {
            pr_warn("control: control/shutdown: %s", xs_last_error());
            xs_transaction_end(tx, false);
            return TOOLSTACK_NONE;
        } else {
            req = svc_parse_shutdown("control/shutdown", val, (size_t)len, msg, sizeof(msg));
        }
        rc = xs_write(tx, "control/shutdown", "");
        if (rc) {
            pr_warn("control: control/shutdown: clearing failed: %s", xs_last_error());
            xs_transaction_end(tx, false);
            return TOOLSTACK_NONE;
        }
        rc = xs_transaction_end(tx, true);
        if (rc == -EAGAIN)
            continue;
        if (rc) {
            pr_warn("control: control/shutdown: transaction end failed: %s", xs_last_error());
            return TOOLSTACK_NONE;
        }
        /* "halt" is what Linux also takes as a poweroff. */
        if (req == SVC_SHUTDOWN_POWEROFF)
            return TOOLSTACK_POWEROFF;
        if (req == SVC_SHUTDOWN_REBOOT)
            return TOOLSTACK_REBOOT;
        if (req == SVC_SHUTDOWN_SUSPEND) {
            suspend_requested("control/shutdown");
            return TOOLSTACK_NONE;
        }
        /* Anything else was cleared above: answered, so the toolstack does not wait forever. */
        pr_warn("%s (request cleared)", msg);
        return TOOLSTACK_NONE;
    }
    pr_warn("control: control/shutdown: kept changing under 8 transactions: ignored");
    return TOOLSTACK_NONE;
}

/* ---- boot ---- */

static void xenstore_follows_cpus(unsigned cpu, bool up)
{
    /* The store channel must not stay bound to a vCPU that is going down. */
    unsigned duty = first_online_cpu();
    if (!active || (up ? xs_bound_cpu() == duty : xs_bound_cpu() != cpu))
        return;
    if (!up && duty == cpu)
        return;                 /* cpu_down refuses the last cpu */
    int rc = xs_rebind(per_cpu(duty));
    if (rc)
        pr_err("control: moving the xenstore channel to cpu %u failed: %d", duty, rc);
    suspend_port_to(duty);
}
static struct cpu_notifier xenstore_follows_cpus_notifier = { .fn = xenstore_follows_cpus };

static bool connected;           /* toolstack_init reached xenstore and read availability */
static unsigned boot_offline_n;   /* vCPUs left offline at boot by cpu/N/availability */

void toolstack_init(void)
{
    xs_set_waiter(&store_waiter);
    int rc = xs_init(this_cpu(), toolstack_kick);
    if (rc) {
        printk("control: off (%s): no toolstack control or vCPU availability", xs_last_error());
        return;
    }
    /*
     * Before bring-up: vCPUs the toolstack wants offline (maxvcpus > vcpus)
     * stay offline.  The rescan's pipelined reads: boot time stays flat in
     * the vCPU count (one round trip per XS_PIPELINE vCPUs).
     */
    unsigned n = MIN(nr_vcpus, (unsigned)MAX_VCPU_KEYS);
    uint64_t t0 = xen_system_time();
    rc = read_avail_all(n);
    if (rc == -ETIMEDOUT) {
        /* A ring nobody serves: every later request would cost the same bound again. */
        pr_warn("control: off: xenstored does not answer (%s)", xs_last_error());
        return;
    }
    if (rc)
        pr_warn("control: reading cpu/N/availability failed: %s; unanswered vCPUs come up",
                xs_last_error());
    for (unsigned v = 0; v < n; v++) {
        if (avail_of[v] == AVAIL_OFFLINE && v != boot_vcpu_id && vcpu_to_cpu(v) >= 0) {
            boot_offline[v / 64] |= 1UL << (v % 64);
            boot_offline_n++;
        }
    }
    printk("control: read cpu/N/availability of %u vCPU(s) in %llu us", n,
           (unsigned long long)((xen_system_time() - t0) / 1000));
    smp_set_vcpu_available(vcpu_available);
    connected = true;
}

/*
 * After bring-up: five more round trips (about 60 ms of an 8-vCPU domU's
 * boot here, xenstored taking one request per connection per poll pass)
 * that bring-up does not need.  No availability change is lost meanwhile:
 * xenstored fires a watch once when it is set (do_watch, "We fire once up
 * front", tools/xenstore/xenstored_watch.c), and that event on cpu/ rescans
 * every cpu/N/availability.
 */
void toolstack_start(void)
{
    int rc;
    if (!connected)
        return;
    advertise();
    if ((rc = xs_watch("control/shutdown", "shutdown")) || (rc = xs_watch("cpu", "cpu"))) {
        pr_err("control: setting watches failed: %s", xs_last_error());
        return;
    }
    cpu_notifier_add(&xenstore_follows_cpus_notifier);
    active = true;
    printk("control: xenstore on evtchn %u (cpu %u); feature-poweroff, feature-reboot, "
           "feature-suspend (evtchn %u); watching control/shutdown and cpu/; %u vCPU(s) offline "
           "by availability", xen_start_info->store_evtchn, xs_bound_cpu(), suspend_port,
           boot_offline_n);
}

/* ---- service ---- */

enum toolstack_action toolstack_service(void)
{
    if (!active)
        return TOOLSTACK_NONE;
    int rc = xs_poll();
    if (rc)
        pr_warn("control: xenstore: %s", xs_last_error());
    char path[128], token[16];
    bool rescan = false, shutdown = false, cpu_events = false, changed = false;
    uint64_t t0 = 0;
    while ((rc = xs_watch_event(path, sizeof(path), token, sizeof(token))) != 0) {
        if (rc == -EOVERFLOW) {
            pr_warn("control: xenstore watch events were lost: rescanning");
            rescan = shutdown = true;
            continue;
        }
        if (rc < 0)
            break;
        if (!t0)
            t0 = xen_system_time();
        if (!strcmp(token, "shutdown")) {
            shutdown = true;
        } else if (!strcmp(token, "cpu")) {
            cpu_events = true;
            changed |= cpu_event(path, &rescan);
        } else {
            char q[96], t[96];
            pr_warn("control: watch event with unknown token %s for %s: ignored",
                    shown(token, t, sizeof(t)), shown(path, q, sizeof(q)));
        }
        /* Drain what arrived meanwhile, so one vcpu-set is one batch. */
        xs_poll();
    }
    if (rescan) {
        cpu_events = true;
        changed |= rescan_cpus();
    }
    if (cpu_events) {
        char why[64];
        snprintf(why, sizeof(why), "(%s, %llu us)", changed ? "changed" : "unchanged",
                 (unsigned long long)((xen_system_time() - t0) / 1000));
        toolstack_report_cpus(why);
    }
    enum toolstack_action a = shutdown ? shutdown_event() : TOOLSTACK_NONE;
    if (a == TOOLSTACK_NONE && atomic_xchg(&suspend_asked, 0UL))
        do_suspend();
    return a;
}

void toolstack_shutdown(enum toolstack_action a)
{
    const char *name = a == TOOLSTACK_REBOOT ? "reboot" : "poweroff";
    printk("control: %s requested: stopping the other cpus", name);
    smp_stop_others();
    printk("control: %s now (%u cpu(s) online)", name, cpumask_weight(&cpu_online_mask));
    kernel_finish_with(a == TOOLSTACK_REBOOT ? SHUTDOWN_reboot : SHUTDOWN_poweroff);
}
