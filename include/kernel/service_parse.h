/* SPDX-License-Identifier: MIT */
/*
 * Pure parsers for what another domain or a console user sends a domU
 * (kernel/lib/service_parse.c; host-tested and fuzzed): xenstore keys and
 * values of the toolstack protocol (kernel/service/toolstack.c) and the
 * console command lines (kernel/service/shell.c).  No xenstore, no printk:
 * values come in as (pointer, length), may hold any byte including NUL,
 * and every refusal writes a message naming the key and the (escaped, cut)
 * value into the caller's buffer.
 */
#ifndef KERNEL_SERVICE_PARSE_H
#define KERNEL_SERVICE_PARSE_H
#include <minipv/compiler.h>

#define SVC_MAX_VCPU 4095       /* highest vcpu id a key may name (smp.c's bound - 1) */
#define SVC_SHOW_MAX 48         /* bytes of a bad value quoted in a message */
#define SVC_MSG_MAX 384         /* a message buffer that holds every message whole */

/*
 * A decimal number as the protocol writes it: digits only, no sign, no
 * blank, no leading zero ("0" itself is fine), at most max.  "03", "+3",
 * "3 ", "" and "4096" (max 4095) are refused.
 */
bool svc_parse_uint(const char *s, size_t len, unsigned max, unsigned *out);

/* A watch path under cpu/ (relative to the domain's home). */
enum svc_cpu_key {
    SVC_KEY_NOT_CPU,            /* not under cpu/ at all */
    SVC_KEY_CPU_DIR,            /* "cpu": the watch's first firing, or the subtree went */
    SVC_KEY_VCPU,               /* "cpu/N" */
    SVC_KEY_AVAIL,              /* "cpu/N/availability" */
    SVC_KEY_OTHER,              /* "cpu/N/<something else>": not ours, silently ignored */
    SVC_KEY_BAD,                /* "cpu/<not a vcpu id>...": named in msg */
};
enum svc_cpu_key svc_parse_cpu_key(const char *path, size_t len, unsigned *vcpu, char *msg,
                                   size_t msglen);

/* cpu/N/availability's value (its xenstore length: a NUL inside is bad). */
enum svc_avail { SVC_AVAIL_ONLINE, SVC_AVAIL_OFFLINE, SVC_AVAIL_BAD };
enum svc_avail svc_parse_avail(const char *key, const char *val, size_t len, char *msg,
                               size_t msglen);

/* control/shutdown's value; "halt" is a poweroff, as Linux takes it. */
enum svc_shutdown {
    SVC_SHUTDOWN_NONE,          /* empty: our own clear, or nothing asked */
    SVC_SHUTDOWN_POWEROFF,
    SVC_SHUTDOWN_REBOOT,
    SVC_SHUTDOWN_SUSPEND,       /* refused (not acknowledged) by the caller */
    SVC_SHUTDOWN_BAD,           /* named in msg; the caller clears the key (answered) */
};
enum svc_shutdown svc_parse_shutdown(const char *key, const char *val, size_t len, char *msg,
                                     size_t msglen);

/*
 * A console line: blanks trimmed at both ends, the first word is the
 * command (NUL-terminated in place), *arg the rest with its leading blanks
 * skipped ("" if none).  false for an empty or all-blank line.
 */
bool svc_split_command(char *line, char **cmd, char **arg);

/* "N": a logical cpu below nr_cpus.  false with msg saying why ("shell: CMD: ..."). */
bool svc_parse_cpu_arg(const char *cmd, const char *arg, unsigned nr_cpus, unsigned *cpu,
                       char *msg, size_t msglen);
/* A whole number lo..hi (e.g. burn's seconds).  false with msg naming the bad word. */
bool svc_parse_count_arg(const char *cmd, const char *what, const char *arg, unsigned lo,
                         unsigned hi, unsigned *out, char *msg, size_t msglen);

#endif
