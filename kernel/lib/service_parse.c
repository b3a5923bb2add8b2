/* SPDX-License-Identifier: MIT */
/* Parsers for toolstack keys/values and console commands (pure; host-tested, fuzzed). */
#include <kernel/service_parse.h>
#include <kernel/escape.h>
#include <kernel/format.h>

#define QBUF (SVC_SHOW_MAX * 4 + 8)

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool mem_eq(const char *a, size_t alen, const char *b)
{
    size_t n = cstrlen(b);
    if (alen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The value quoted and cut, with its length when it was cut: "'abc'... (200 bytes)". */
static void show(char *q, size_t qlen, const char *v, size_t len)
{
    size_t n = str_quote(q, qlen, v, len, SVC_SHOW_MAX);
    if (len > SVC_SHOW_MAX && n < qlen)
        snprintf(q + n, qlen - n, " (%zu bytes)", len);
}

bool svc_parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
    if (!len || len > 10 || (s[0] == '0' && len > 1))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

enum svc_cpu_key svc_parse_cpu_key(const char *path, size_t len, unsigned *vcpu, char *msg,
                                   size_t msglen)
{
    if (msglen)
        msg[0] = 0;
    if (mem_eq(path, len, "cpu"))
        return SVC_KEY_CPU_DIR;
    if (len < 4 || path[0] != 'c' || path[1] != 'p' || path[2] != 'u' || path[3] != '/')
        return SVC_KEY_NOT_CPU;
    const char *num = path + 4, *end = path + len;
    const char *slash = num;
    while (slash < end && *slash != '/')
        slash++;
    if (!svc_parse_uint(num, (size_t)(slash - num), SVC_MAX_VCPU, vcpu)) {
        char q[QBUF];
        show(q, sizeof(q), path, len);
        snprintf(msg, msglen, "control: %s: not a cpu/<vcpu>/availability key (vcpu ids are "
                 "0..%u, no sign, no leading zero): ignored", q, SVC_MAX_VCPU);
        return SVC_KEY_BAD;
    }
    if (slash == end)
        return SVC_KEY_VCPU;
    return mem_eq(slash, (size_t)(end - slash), "/availability") ? SVC_KEY_AVAIL : SVC_KEY_OTHER;
}

enum svc_avail svc_parse_avail(const char *key, const char *val, size_t len, char *msg,
                               size_t msglen)
{
    if (msglen)
        msg[0] = 0;
    if (mem_eq(val, len, "online"))
        return SVC_AVAIL_ONLINE;
    if (mem_eq(val, len, "offline"))
        return SVC_AVAIL_OFFLINE;
    char q[QBUF];
    show(q, sizeof(q), val, len);
    snprintf(msg, msglen, "control: %s: bad value %s (want online or offline): ignored", key, q);
    return SVC_AVAIL_BAD;
}

enum svc_shutdown svc_parse_shutdown(const char *key, const char *val, size_t len, char *msg,
                                     size_t msglen)
{
    if (msglen)
        msg[0] = 0;
    if (!len)
        return SVC_SHUTDOWN_NONE;
    if (mem_eq(val, len, "poweroff") || mem_eq(val, len, "halt"))
        return SVC_SHUTDOWN_POWEROFF;
    if (mem_eq(val, len, "reboot"))
        return SVC_SHUTDOWN_REBOOT;
    if (mem_eq(val, len, "suspend"))
        return SVC_SHUTDOWN_SUSPEND;
    char q[QBUF];
    show(q, sizeof(q), val, len);
    snprintf(msg, msglen, "control: %s: unknown request %s (want poweroff, reboot or suspend): "
             "ignored", key, q);
    return SVC_SHUTDOWN_BAD;
}

bool svc_split_command(char *s, char **cmd, char **arg)
{
    while (*s == ' ')
        s++;
    size_t n = cstrlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = 0;
    if (!n)
        return false;
    char *a = s;
    while (*a && *a != ' ')
        a++;
    if (*a) {
        *a++ = 0;
        while (*a == ' ')
            a++;
    }
    *cmd = s;
    *arg = a;
    return true;
}

bool svc_parse_cpu_arg(const char *cmd, const char *arg, unsigned nr_cpus, unsigned *cpu,
                       char *msg, size_t msglen)
{
    char q[QBUF];
    unsigned v;
    size_t len = cstrlen(arg);
    unsigned last = nr_cpus ? nr_cpus - 1 : 0;
    if (msglen)
        msg[0] = 0;
    if (!svc_parse_uint(arg, len, 0xffffffffu, &v)) {
        show(q, sizeof(q), arg, len);
        snprintf(msg, msglen, "shell: %s: bad cpu %s (want a number 0..%u)", cmd, q, last);
        return false;
    }
    if (v >= nr_cpus) {
        snprintf(msg, msglen, "shell: %s: no cpu %u (cpus 0..%u)", cmd, v, last);
        return false;
    }
    *cpu = v;
    return true;
}

bool svc_parse_count_arg(const char *cmd, const char *what, const char *arg, unsigned lo,
                         unsigned hi, unsigned *out, char *msg, size_t msglen)
{
    unsigned v;
    size_t len = cstrlen(arg);
    if (msglen)
        msg[0] = 0;
    if (!svc_parse_uint(arg, len, hi, &v) || v < lo) {
        char q[QBUF];
        show(q, sizeof(q), arg, len);
        snprintf(msg, msglen, "shell: %s: bad %s %s (want %u..%u)", cmd, what, q, lo, hi);
        return false;
    }
    *out = v;
    return true;
}
