/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the toolstack and console parsers
 * (kernel/lib/service_parse.c): xenstore keys and values come from another
 * domain, console lines from whoever has the console.  Built by scripts/fuzz.sh.
 *
 * Input: [selector][nr_cpus][bytes...].  Invariants (abort() on violation):
 *   - every message is printable ASCII and NUL-terminated in its buffer;
 *     a refusal always says something, an acceptance says nothing;
 *   - a cpu/ key's vcpu id is canonical: printing it back with %u gives
 *     exactly the digits of the key; ids above SVC_MAX_VCPU never pass;
 *   - values are accepted only when they are exactly the protocol's words;
 *   - a console line splits into a command with no blank and an argument
 *     that neither starts nor ends with one, both inside the line;
 *   - a cpu argument accepted is below nr_cpus and is the number typed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/format.c"
#include "../../kernel/lib/escape.c"
#include "../../kernel/lib/service_parse.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static void check_msg(const char *msg, size_t size, bool refused)
{
    REQUIRE(memchr(msg, 0, size));
    for (const char *p = msg; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    REQUIRE(refused == (msg[0] != 0));
    REQUIRE(strlen(msg) + 1 < SVC_MSG_MAX);     /* whole, never cut by its buffer */
}

static bool is(const char *v, size_t len, const char *w)
{
    return len == strlen(w) && !memcmp(v, w, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned sel = data[0] % 6, nr = data[1];
    size_t len = size - 2;
    char *v = malloc(len + 1);          /* heap: ASan sees reads past the value */
    memcpy(v, data + 2, len);
    v[len] = 0;
    char msg[SVC_MSG_MAX];
    memset(msg, 'Z', sizeof(msg));

    switch (sel) {
    case 0: {
        unsigned vcpu = 0xdeadbeef;
        enum svc_cpu_key k = svc_parse_cpu_key(v, len, &vcpu, msg, sizeof(msg));
        check_msg(msg, sizeof(msg), k == SVC_KEY_BAD);
        if (k == SVC_KEY_VCPU || k == SVC_KEY_AVAIL || k == SVC_KEY_OTHER) {
            char back[32];
            int n = snprintf(back, sizeof(back), "cpu/%u", vcpu);
            REQUIRE(vcpu <= SVC_MAX_VCPU && len >= (size_t)n && !memcmp(v, back, (size_t)n));
            REQUIRE(k != SVC_KEY_VCPU || len == (size_t)n);
            REQUIRE(k != SVC_KEY_AVAIL || is(v + n, len - (size_t)n, "/availability"));
            REQUIRE(k != SVC_KEY_OTHER || v[n] == '/');
        } else {
            REQUIRE(vcpu == 0xdeadbeef);
            REQUIRE(k != SVC_KEY_CPU_DIR || is(v, len, "cpu"));
            REQUIRE(k != SVC_KEY_NOT_CPU || len < 4 || memcmp(v, "cpu/", 4));
        }
        break;
    }
    case 1: {
        enum svc_avail a = svc_parse_avail("cpu/4095/availability", v, len, msg, sizeof(msg));
        check_msg(msg, sizeof(msg), a == SVC_AVAIL_BAD);
        REQUIRE((a == SVC_AVAIL_ONLINE) == is(v, len, "online"));
        REQUIRE((a == SVC_AVAIL_OFFLINE) == is(v, len, "offline"));
        break;
    }
    case 2: {
        enum svc_shutdown s = svc_parse_shutdown("control/shutdown", v, len, msg, sizeof(msg));
        check_msg(msg, sizeof(msg), s == SVC_SHUTDOWN_BAD);
        REQUIRE((s == SVC_SHUTDOWN_NONE) == (len == 0));
        REQUIRE((s == SVC_SHUTDOWN_POWEROFF) == (is(v, len, "poweroff") || is(v, len, "halt")));
        REQUIRE((s == SVC_SHUTDOWN_REBOOT) == is(v, len, "reboot"));
        REQUIRE((s == SVC_SHUTDOWN_SUSPEND) == is(v, len, "suspend"));
        if (s == SVC_SHUTDOWN_BAD)
            REQUIRE(strstr(msg, "control/shutdown") && strstr(msg, "): ignored"));
        break;
    }
    case 3: {
        /* The shell's own line: printable ASCII, NUL-terminated, < 80 bytes. */
        char line[80], *cmd = NULL, *arg = NULL;
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < sizeof(line); i++)
            line[n++] = (char)(0x20 + (unsigned char)v[i] % 95);
        line[n] = 0;
        if (svc_split_command(line, &cmd, &arg)) {
            REQUIRE(cmd >= line && cmd < line + sizeof(line) && *cmd && !strchr(cmd, ' '));
            REQUIRE(arg >= cmd && arg <= line + n);
            REQUIRE(arg[0] != ' ' && (!*arg || arg[strlen(arg) - 1] != ' '));
        } else {
            REQUIRE(strspn(line, " ") == strlen(line));
        }
        break;
    }
    case 4: {
        unsigned cpu = 0xdeadbeef;
        bool ok = svc_parse_cpu_arg("online", v, nr, &cpu, msg, sizeof(msg));
        check_msg(msg, sizeof(msg), !ok);
        if (ok) {
            char back[16];
            snprintf(back, sizeof(back), "%u", cpu);
            REQUIRE(cpu < nr && !strcmp(back, v));
        } else {
            REQUIRE(cpu == 0xdeadbeef && !strncmp(msg, "shell: online: ", 15));
        }
        break;
    }
    case 5: {
        unsigned s = 0xdeadbeef, lo = nr % 7, hi = lo + nr * 3;
        bool ok = svc_parse_count_arg("burn", "seconds", v, lo, hi, &s, msg, sizeof(msg));
        check_msg(msg, sizeof(msg), !ok);
        REQUIRE(ok ? s >= lo && s <= hi : s == 0xdeadbeef);
        break;
    }
    }
    free(v);
    return 0;
}
