/* SPDX-License-Identifier: MIT */
/*
 * A small command interface on the console input ring.  Input is read in
 * thread context only; the console channel's handler just wakes the service
 * loop.  Bytes typed are echoed, so `xl console` shows what is typed.
 */
#include <kernel/shell.h>
#include <kernel/toolstack.h>
#include <kernel/cpu_topology.h>
#include <kernel/kernel.h>
#include <kernel/smp.h>
#include <kernel/test.h>
#include <kernel/kexec.h>
#include <kernel/service_parse.h>
#include <xenpv/xenpv.h>
#include <xenpv/xenstore.h>
#include <xenpv/hypercall.h>
#include <arch/x86.h>
#include <minipv/string.h>

static char line[SHELL_LINE_MAX];
static size_t line_len;
static bool line_overflow;      /* too long: drop everything up to the end of the line */
static uint32_t cons_port;
static unsigned cons_cpu;

static void console_event(uint32_t port, void *arg)
{
    (void)port;
    (void)arg;
    /* Upcall context: xenconsoled wrote input (or took output); let the loop look. */
    toolstack_kick();
}

static void console_follows_cpus(unsigned cpu, bool up)
{
    /* Never leave the console channel on a vCPU that is going down. */
    unsigned duty = first_online_cpu();
    if (!cons_port || (up ? cons_cpu == duty : cons_cpu != cpu) || (!up && duty == cpu))
        return;
    if (xen_bind_port(cons_port, per_cpu(duty), console_event, NULL) == 0)
        cons_cpu = duty;
}
static struct cpu_notifier console_follows_cpus_notifier = { .fn = console_follows_cpus };

bool shell_init(void)
{
    if (xen_is_dom0())
        return false;           /* dom0's console is Xen's serial: no input ring here */
    cons_port = xen_start_info->console.domU.evtchn;
    cons_cpu = smp_processor_id();
    if (xen_bind_port(cons_port, this_cpu(), console_event, NULL)) {
        pr_warn("shell: cannot bind console evtchn %u: input only seen on the periodic wake",
                cons_port);
        cons_port = 0;
    } else {
        cpu_notifier_add(&console_follows_cpus_notifier);
    }
    printk("shell: ready: type 'help' on the console");
    return true;
}

/* ---- commands ---- */

static void cmd_help(const char *arg)
{
    (void)arg;
    printk("shell: commands:");
    printk("shell:   help         this list");
    printk("shell:   cpus         cpu, vcpu and state of every cpu");
    printk("shell:   topo         the cpu topology report");
    printk("shell:   offline N    take logical cpu N down");
    printk("shell:   online N     bring logical cpu N up");
    printk("shell:   test NAME    run guest suite NAME");
    printk("shell:   burn S       keep every online cpu busy for S seconds (1..600)");
    printk("shell:   xs           xenstore client counters");
    printk("shell:   kexec [N]    jump into a new minipv from logical cpu N (default: this one)");
    printk("shell:   crash HOW [N]  crash logical cpu N: panic | pf | de | hang | nmi (kdump drills)");
}

static void cmd_cpus(const char *arg)
{
    (void)arg;
    printk("shell: cpu  vcpu  state     xen");
    for (unsigned c = 0; c < nr_cpus; c++) {
        long up = hypercall_vcpu_op(VCPUOP_is_up, cpu_to_vcpu(c), NULL);
        printk("shell: %3u  %4u  %-8s  %s", c, cpu_to_vcpu(c), cpu_state_name(per_cpu(c)->state),
               up == 1 ? "up" : up == 0 ? "down" : "error");
    }
    toolstack_report_cpus("(shell)");
}

static void cmd_topo(const char *arg)
{
    (void)arg;
    cpu_topology_report();
}

/* "N" with N a logical cpu; names the bad word otherwise (kernel/lib/service_parse.c). */
static bool cpu_arg(const char *cmd, const char *arg, unsigned *cpu)
{
    char msg[SVC_MSG_MAX];
    if (svc_parse_cpu_arg(cmd, arg, nr_cpus, cpu, msg, sizeof(msg)))
        return true;
    printk("%s", msg);
    return false;
}

static void cmd_online(const char *arg, bool online)
{
    const char *cmd = online ? "online" : "offline";
    unsigned cpu;
    if (!cpu_arg(cmd, arg, &cpu))
        return;
    if (online == cpumask_test(&cpu_online_mask, cpu)) {
        printk("shell: %s: cpu %u (vcpu %u) is already %s", cmd, cpu, cpu_to_vcpu(cpu), cmd);
        toolstack_report_cpus("(shell)");
        return;
    }
    int rc = toolstack_set_cpu(cpu, online, "shell");
    printk("shell: %s %u: %s", cmd, cpu, rc ? "failed" : "done");
    toolstack_report_cpus("(shell)");
}

static void cmd_test(const char *arg)
{
    if (!*arg) {
        printk("shell: test: which suite? (e.g. test smp)");
        return;
    }
    if (!strcmp(arg, "service")) {
        printk("shell: test: 'service' is what runs this shell");
        return;
    }
    for (const struct guest_suite *s = __start_minipv_suites; s < __stop_minipv_suites; s++) {
        if (!strcmp(s->name, arg)) {
            printk("shell: test %s: %s", s->name, s->title);
            s->run();
            printk("shell: test %s done (run result so far: %s)", s->name, result_name(result_get()));
            return;
        }
    }
    char q[96] = "";
    xs_msg_quoted(q, sizeof(q), arg, strlen(arg), 48);      /* typed by anyone on the console */
    printk("shell: test: no suite named %s", q);
}

static volatile uint64_t burn_until;
static void burn_ms(void *arg)
{
    (void)arg;
    /* Short slices: cross-calls are waited for with a 2 s bound. */
    uint64_t end = MIN(xen_system_time() + 1000000, atomic_load(&burn_until));
    while (xen_system_time() < end)
        cpu_relax();
}

static void cmd_burn(const char *arg)
{
    unsigned s;
    char msg[SVC_MSG_MAX];
    if (!svc_parse_count_arg("burn", "seconds", arg, 1, 600, &s, msg, sizeof(msg))) {
        printk("%s", msg);
        return;
    }
    printk("shell: burn: all %u online cpus busy for %u s", cpumask_weight(&cpu_online_mask), s);
    atomic_store(&burn_until, xen_system_time() + s * 1000000000ULL);
    uint64_t rounds = 0;
    while (xen_system_time() < atomic_load(&burn_until)) {
        call_on_all(burn_ms, NULL);
        rounds++;
    }
    printk("shell: burn: done, %llu rounds", (unsigned long long)rounds);
}

static void cmd_xs(const char *arg)
{
    (void)arg;
    printk("shell: xenstore %s: %llu requests, %llu replies, %llu events (%llu dropped), "
           "%llu stale replies, %llu errors, %llu notifications; last error: %s",
           xs_available() ? "connected" : "not available",
           (unsigned long long)xs_stats.requests, (unsigned long long)xs_stats.replies,
           (unsigned long long)xs_stats.events, (unsigned long long)xs_stats.events_dropped,
           (unsigned long long)xs_stats.stale_replies, (unsigned long long)xs_stats.errors,
           (unsigned long long)xs_stats.notifies, *xs_last_error() ? xs_last_error() : "none");
}

static void cmd_kexec(const char *arg)
{
    unsigned cpu = smp_processor_id();
    if (*arg && !cpu_arg("kexec", arg, &cpu))
        return;
    int rc = kexec_start(cpu, NULL, "shell");
    if (rc)
        printk("shell: kexec %u: refused (%d)", cpu, rc);
}

static void cmd_crash(const char *arg)
{
    char how[16];
    size_t n = 0;
    while (arg[n] && arg[n] != ' ' && n + 1 < sizeof(how)) {
        how[n] = arg[n];
        n++;
    }
    how[n] = 0;
    const char *rest = arg + n;
    while (*rest == ' ')
        rest++;
    int k = -1;
    for (int i = 0; kdump_how_names[i]; i++)
        if (!strcmp(how, kdump_how_names[i]))
            k = i;
    if (k < 0) {
        char q[48] = "";
        xs_msg_quoted(q, sizeof(q), how, strlen(how), 15);
        printk("shell: crash: bad way %s (want panic, pf, de, hang or nmi)", q);
        return;
    }
    unsigned cpu = smp_processor_id();
    if (*rest && !cpu_arg("crash", rest, &cpu))
        return;
    kdump_crash_on(cpu, k, "shell");
}

static void cmd_offline(const char *arg) { cmd_online(arg, false); }
static void cmd_online_(const char *arg) { cmd_online(arg, true); }

static const struct {
    const char *name;
    void (*fn)(const char *arg);
} commands[] = {
    { "help", cmd_help }, { "cpus", cmd_cpus }, { "topo", cmd_topo },
    { "offline", cmd_offline }, { "online", cmd_online_ }, { "test", cmd_test },
    { "burn", cmd_burn }, { "xs", cmd_xs }, { "kexec", cmd_kexec }, { "crash", cmd_crash },
};

static void run_line(char *line)
{
    char *s, *arg;
    if (!svc_split_command(line, &s, &arg))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(commands[i].name, s)) {
            commands[i].fn(arg);
            return;
        }
    }
    char q[96] = "";
    xs_msg_quoted(q, sizeof(q), s, strlen(s), 48);
    printk("shell: unknown command %s (try help)", q);
}

/* Echo is collected and written once per chunk: one console write, not one per byte. */
struct echo {
    char buf[SHELL_LINE_MAX * 2];
    size_t n;
};

static void echo_flush(struct echo *e)
{
    if (e->n)
        printk_raw("%.*s", (int)e->n, e->buf);
    e->n = 0;
}

static void echo_add(struct echo *e, const char *s)
{
    for (; *s; s++) {
        if (e->n == sizeof(e->buf))
            echo_flush(e);
        e->buf[e->n++] = *s;
    }
}

void shell_input(const char *buf, size_t len)
{
    struct echo e = { .n = 0 };
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\r' || c == '\n') {
            if (line_overflow) {
                echo_flush(&e);
                printk("shell: line longer than %u characters: discarded", SHELL_LINE_MAX - 1);
            } else if (line_len) {
                echo_add(&e, "\n");
                echo_flush(&e);
                line[line_len] = 0;
                run_line(line);
            }
            line_len = 0;
            line_overflow = false;
        } else if (c == '\b' || c == 0x7f) {
            if (line_len && !line_overflow) {
                line_len--;
                echo_add(&e, "\b \b");
            }
        } else if (c == 0x03 || c == 0x15) {   /* ^C, ^U: drop the line */
            if (line_len)
                echo_add(&e, c == 0x03 ? " ^C\n" : " ^U\n");
            line_len = 0;
            line_overflow = false;
        } else if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
            if (line_overflow)
                continue;
            if (line_len + 1 >= SHELL_LINE_MAX) {
                line_overflow = true;
                echo_add(&e, "\n");
                continue;
            }
            char one[2] = { c == '\t' ? ' ' : c, 0 };
            line[line_len++] = one[0];
            echo_add(&e, one);
        }
        /* other control and non-ASCII bytes: ignored */
    }
    echo_flush(&e);
}

void shell_poll(void)
{
    char buf[64];
    size_t n;
    /* Bounded: at most a few ring's worth per call, the loop comes back. */
    for (int i = 0; i < 64 && (n = xen_console_read(buf, sizeof(buf))) > 0; i++)
        shell_input(buf, n);
}
