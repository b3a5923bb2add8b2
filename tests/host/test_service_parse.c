/* SPDX-License-Identifier: MIT */
/*
 * Host test of the toolstack and console parsers (kernel/lib/service_parse.c)
 * under ASan/UBSan: keys, availability and shutdown values, console lines.
 */
#include <string.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/escape.c"
#include "../../kernel/lib/service_parse.c"

static char msg[400];
static bool has(const char *needle) { return strstr(msg, needle) != NULL; }
/* Payload with embedded NULs: a string literal and its exact length. */
#define P(s) s, sizeof(s) - 1

static bool printable(void)
{
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return false;
    return true;
}

static enum svc_cpu_key key(const char *path, unsigned *v)
{
    *v = 12345;
    return svc_parse_cpu_key(path, strlen(path), v, msg, sizeof(msg));
}

int main(void)
{
    ktap_plan(37);
    unsigned v = 0;
    char x200[201];
    memset(x200, 'x', 200);
    x200[200] = 0;

    /* ---- numbers as the protocol writes them ---- */
    CASE(svc_parse_uint(P("0"), 10, &v) && v == 0 && svc_parse_uint(P("4095"), 4095, &v) &&
             v == 4095, "uint: 0 and the maximum", "v %u", v);
    CASE(!svc_parse_uint(P("03"), 4095, &v) && !svc_parse_uint(P("00"), 4095, &v),
         "uint: leading zero refused", "v %u", v);
    CASE(!svc_parse_uint(P("+3"), 9, &v) && !svc_parse_uint(P("-3"), 9, &v) &&
             !svc_parse_uint(P(" 3"), 9, &v) && !svc_parse_uint(P("3 "), 9, &v) &&
             !svc_parse_uint(P(""), 9, &v) && !svc_parse_uint(P("3\0"), 9, &v),
         "uint: sign, blanks, empty, NUL refused", "v %u", v);
    CASE(!svc_parse_uint(P("4096"), 4095, &v) && !svc_parse_uint(P("99999999999"), 0xffffffffu, &v) &&
             !svc_parse_uint(P("4294967296"), 0xffffffffu, &v) &&
             svc_parse_uint(P("4294967295"), 0xffffffffu, &v) && v == 4294967295u,
         "uint: over the maximum and overflow refused", "v %u", v);

    /* ---- cpu/ keys (defect 10: cpu/03/availability was taken as vcpu 3) ---- */
    CASE(key("cpu", &v) == SVC_KEY_CPU_DIR, "key: cpu is the directory", "%s", msg);
    CASE(key("cpu/3", &v) == SVC_KEY_VCPU && v == 3, "key: cpu/3", "v %u", v);
    CASE(key("cpu/3/availability", &v) == SVC_KEY_AVAIL && v == 3, "key: cpu/3/availability",
         "v %u", v);
    CASE(key("cpu/0/availability", &v) == SVC_KEY_AVAIL && v == 0, "key: cpu/0/availability",
         "v %u", v);
    CASE(key("cpu/03/availability", &v) == SVC_KEY_BAD && v == 12345 &&
             has("control: 'cpu/03/availability': not a cpu/<vcpu>/availability key") &&
             has("no leading zero"),
         "key: cpu/03/availability refused and named, not vcpu 3", "%d '%s'", (int)v, msg);
    CASE(key("cpu/4096/availability", &v) == SVC_KEY_BAD && key("cpu//availability", &v) == SVC_KEY_BAD &&
             key("cpu/", &v) == SVC_KEY_BAD && key("cpu/-1", &v) == SVC_KEY_BAD &&
             key("cpu/7x/availability", &v) == SVC_KEY_BAD,
         "key: out of range, empty, signed, trailing garbage refused", "%s", msg);
    CASE(key("cpu/\x1b[2J/availability", &v) == SVC_KEY_BAD && printable() && has("\\x1b[2J"),
         "key: control bytes in a key escaped", "%s", msg);
    CASE(key("cpu/3/foo", &v) == SVC_KEY_OTHER && key("cpu/3/availabilityx", &v) == SVC_KEY_OTHER &&
             key("cpu/3/availability/x", &v) == SVC_KEY_OTHER && !msg[0],
         "key: other keys under cpu/N are not ours, silently", "%s", msg);
    CASE(key("cpux", &v) == SVC_KEY_NOT_CPU && key("control/shutdown", &v) == SVC_KEY_NOT_CPU &&
             key("", &v) == SVC_KEY_NOT_CPU && key("cp", &v) == SVC_KEY_NOT_CPU,
         "key: not under cpu/", "%s", msg);

    /* ---- availability values ---- */
    const char *k = "cpu/3/availability";
    CASE(svc_parse_avail(k, P("online"), msg, sizeof(msg)) == SVC_AVAIL_ONLINE &&
             svc_parse_avail(k, P("offline"), msg, sizeof(msg)) == SVC_AVAIL_OFFLINE,
         "avail: online, offline", "%s", msg);
    CASE(svc_parse_avail(k, P("banana"), msg, sizeof(msg)) == SVC_AVAIL_BAD &&
             has("control: cpu/3/availability: bad value 'banana' (want online or offline): ignored"),
         "avail: bad value named with its key", "%s", msg);
    CASE(svc_parse_avail(k, P("online\0junk"), msg, sizeof(msg)) == SVC_AVAIL_BAD &&
             has("'online\\x00junk'"), "avail: a NUL inside refused and shown", "%s", msg);
    CASE(svc_parse_avail(k, P(""), msg, sizeof(msg)) == SVC_AVAIL_BAD && has("bad value ''"),
         "avail: empty refused", "%s", msg);
    CASE(svc_parse_avail(k, P("Online"), msg, sizeof(msg)) == SVC_AVAIL_BAD &&
             svc_parse_avail(k, P("online "), msg, sizeof(msg)) == SVC_AVAIL_BAD &&
             svc_parse_avail(k, P("onlin"), msg, sizeof(msg)) == SVC_AVAIL_BAD,
         "avail: case, blank, prefix refused", "%s", msg);
    CASE(svc_parse_avail(k, x200, 200, msg, sizeof(msg)) == SVC_AVAIL_BAD &&
             has("'...") && has("(200 bytes)"), "avail: long value cut, length said", "%s", msg);

    /* ---- control/shutdown (defect 10: 200 characters gave no key, no value) ---- */
    const char *sk = "control/shutdown";
    CASE(svc_parse_shutdown(sk, P(""), msg, sizeof(msg)) == SVC_SHUTDOWN_NONE,
         "shutdown: empty is nothing (our own clear)", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("poweroff"), msg, sizeof(msg)) == SVC_SHUTDOWN_POWEROFF &&
             svc_parse_shutdown(sk, P("halt"), msg, sizeof(msg)) == SVC_SHUTDOWN_POWEROFF,
         "shutdown: poweroff, halt", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("reboot"), msg, sizeof(msg)) == SVC_SHUTDOWN_REBOOT,
         "shutdown: reboot", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("suspend"), msg, sizeof(msg)) == SVC_SHUTDOWN_SUSPEND,
         "shutdown: suspend (the caller refuses it)", "%s", msg);
    CASE(svc_parse_shutdown(sk, x200, 200, msg, sizeof(msg)) == SVC_SHUTDOWN_BAD &&
             has("control: control/shutdown: unknown request 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (200 bytes)") &&
             has("(want poweroff, reboot or suspend)"),
         "shutdown: 200 characters named with key and cut value", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("poweroff\0"), msg, sizeof(msg)) == SVC_SHUTDOWN_BAD &&
             has("'poweroff\\x00'"), "shutdown: a NUL after poweroff refused", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("\x1b]0;owned\x07"), msg, sizeof(msg)) == SVC_SHUTDOWN_BAD &&
             printable() && has("'\\x1b]0;owned\\x07'"), "shutdown: control bytes escaped", "%s", msg);
    CASE(svc_parse_shutdown(sk, P("Poweroff"), msg, sizeof(msg)) == SVC_SHUTDOWN_BAD,
         "shutdown: case matters", "%s", msg);

    /* ---- console lines ---- */
    char line[80], *cmd = NULL, *arg = NULL;
    strcpy(line, "   online   3  ");
    CASE(svc_split_command(line, &cmd, &arg) && !strcmp(cmd, "online") && !strcmp(arg, "3"),
         "split: blanks trimmed, command and argument", "'%s' '%s'", cmd, arg);
    strcpy(line, "help");
    CASE(svc_split_command(line, &cmd, &arg) && !strcmp(cmd, "help") && !strcmp(arg, ""),
         "split: no argument", "'%s' '%s'", cmd, arg);
    strcpy(line, "test a b");
    CASE(svc_split_command(line, &cmd, &arg) && !strcmp(cmd, "test") && !strcmp(arg, "a b"),
         "split: the rest is the argument", "'%s' '%s'", cmd, arg);
    strcpy(line, "    ");
    CASE(!svc_split_command(line, &cmd, &arg) && (strcpy(line, ""), !svc_split_command(line, &cmd, &arg)),
         "split: empty and blank lines", "%s", "split");

    unsigned cpu = 99;
    CASE(svc_parse_cpu_arg("online", "3", 4, &cpu, msg, sizeof(msg)) && cpu == 3 &&
             svc_parse_cpu_arg("online", "0", 1, &cpu, msg, sizeof(msg)) && cpu == 0,
         "cpu arg: in range", "cpu %u '%s'", cpu, msg);
    CASE(!svc_parse_cpu_arg("online", "99", 4, &cpu, msg, sizeof(msg)) &&
             has("shell: online: no cpu 99 (cpus 0..3)"), "cpu arg: out of range named", "%s", msg);
    CASE(!svc_parse_cpu_arg("offline", "banana", 4, &cpu, msg, sizeof(msg)) &&
             has("shell: offline: bad cpu 'banana' (want a number 0..3)"), "cpu arg: garbage named",
         "%s", msg);
    CASE(!svc_parse_cpu_arg("offline", "", 4, &cpu, msg, sizeof(msg)) && has("bad cpu ''") &&
             !svc_parse_cpu_arg("offline", "03", 4, &cpu, msg, sizeof(msg)) &&
             !svc_parse_cpu_arg("offline", "99999999999", 4, &cpu, msg, sizeof(msg)) &&
             !svc_parse_cpu_arg("offline", "1 2", 4, &cpu, msg, sizeof(msg)) && cpu == 0,
         "cpu arg: empty, leading zero, overflow, two words refused", "%s", msg);
    unsigned secs = 0;
    CASE(svc_parse_count_arg("burn", "seconds", "600", 1, 600, &secs, msg, sizeof(msg)) && secs == 600 &&
             svc_parse_count_arg("burn", "seconds", "1", 1, 600, &secs, msg, sizeof(msg)) && secs == 1,
         "count arg: bounds", "%u '%s'", secs, msg);
    CASE(!svc_parse_count_arg("burn", "seconds", "601", 1, 600, &secs, msg, sizeof(msg)) &&
             has("shell: burn: bad seconds '601' (want 1..600)") &&
             !svc_parse_count_arg("burn", "seconds", "0", 1, 600, &secs, msg, sizeof(msg)) &&
             !svc_parse_count_arg("burn", "seconds", "", 1, 600, &secs, msg, sizeof(msg)) &&
             !svc_parse_count_arg("burn", "seconds", "5s", 1, 600, &secs, msg, sizeof(msg)) && secs == 1,
         "count arg: out of range and garbage named", "%s", msg);
    return ktap_done();
}
