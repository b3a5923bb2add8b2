/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the vmcore: a core written here loads in gdb with the right
 * threads and registers; the console stream round-trips, and every
 * corruption of it is refused with the line named.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/handoff.c"
#include "../../kernel/lib/elfcore.c"
#include "../../kernel/lib/vmcore_stream.c"

static uint8_t core[64 * 1024];
static size_t core_len;

/* Two threads (pids 4 and 2, the first "crashed"), two segments of memory. */
static void build_core(void)
{
    struct elfcore_seg segs[2] = {
        { 0xffffffff80000000ULL, 0, 8192 },
        { 0xffffffffc0001000ULL, 0, 4096 },
    };
    uint8_t notes[2048];
    size_t nl = 0;
    uint64_t regs[ELFCORE_NREGS];
    for (unsigned t = 0; t < 2; t++) {
        memset(regs, 0, sizeof(regs));
        regs[UREG_IP] = 0xffffffff80001234ULL + t;
        regs[UREG_SP] = 0xffffffffc0001f00ULL;
        regs[UREG_BP] = 0;
        regs[UREG_AX] = 0x1111 * (t + 1);
        regs[UREG_CS] = 0xe033;
        regs[UREG_SS] = 0xe02b;
        nl += elfcore_prstatus(notes + nl, t ? 2 : 4, t ? 19 : 11, regs);
    }
    const char mp[] = "reason=test\ncrashed_vcpu=3\n";
    nl += elfcore_note(notes + nl, "MINIPV", VMCORE_MINIPV_NOTE, mp, sizeof(mp) - 1);
    size_t h = elfcore_header(core, sizeof(core), segs, 2, nl);
    memcpy(core + h, notes, nl);
    core_len = h + nl;
    for (unsigned i = 0; i < 8192 + 4096; i++)
        core[core_len + i] = (uint8_t)(i * 7 + 1);
    core_len += 8192 + 4096;
}

/* ---- the stream, in memory ---- */
static char lines[600][128];
static unsigned nlines;
static void emit(const char *line, void *ctx)
{
    (void)ctx;
    if (nlines < 600)
        snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static uint8_t decoded[sizeof(core)];
static size_t decoded_len;
static int out(const void *d, size_t n, void *ctx)
{
    (void)ctx;
    if (!d) {
        decoded_len = 0;
        return 0;
    }
    if (decoded_len + n > sizeof(decoded))
        return -1;
    memcpy(decoded + decoded_len, d, n);
    decoded_len += n;
    return 0;
}

static struct vmcore_reader rd;
/* Decode lines[] with line k replaced by repl (NULL: as is; "" drops it), up to `upto`. */
static int decode(int k, const char *repl, unsigned upto)
{
    vmcore_reader_init(&rd, 0, out, NULL);
    for (unsigned i = 0; i < upto; i++) {
        const char *l = (int)i == k && repl ? repl : lines[i];
        if ((int)i == k && repl && !*repl)
            continue;
        if (vmcore_reader_line(&rd, l, strlen(l), i + 1))
            return -1;
    }
    return vmcore_reader_finish(&rd);
}

static int run(const char *cmd, char *buf, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = 0;
    return pclose(p);
}

int main(void)
{
    ktap_plan(14);
    build_core();
    CASE(core_len > 0 && !memcmp(core, "\x7f" "ELF", 4) && core[16] == 4 && core[18] == 62,
         "core: ELF64 ET_CORE EM_X86_64", "%zu bytes", core_len);

    /* gdb, as a user would run it on a vmcore. */
    FILE *f = fopen("build/host/test.core", "w");
    fwrite(core, 1, core_len, f);
    fclose(f);
    char g[8192];
    int rc = run("gdb -batch -nx -ex 'set osabi GNU/Linux' -c build/host/test.core "
                 "-ex 'info threads' -ex 'thread 2' -ex 'info registers rip rax' "
                 "-ex 'x/2xb 0xffffffff80000000' -ex 'x/1xb 0xffffffffc0001000' 2>&1", g, sizeof(g));
    unsigned threads = 0;
    for (const char *p = g; (p = strstr(p, "    LWP ")); p++)
        threads++;
    CASE(rc == 0 && strstr(g, "LWP 4") && strstr(g, "LWP 2") && threads == 2,
         "gdb: both threads, by pid, and no other (the minipv note is not a thread)",
         "rc %d, %u threads: %.300s", rc, threads, g);
    CASE(strstr(g, "* 1    LWP 4") != NULL, "gdb: the first note (the crashed vCPU) is the current thread",
         "%.300s", g);
    CASE(strstr(g, "0xffffffff80001235") && strstr(g, "0x2222"), "gdb: thread 2's registers",
         "%.400s", g);
    CASE(strstr(g, "0x01\t0x08") || strstr(g, "0x01    0x08"), "gdb: reads memory at the segment's virtual address",
         "%.600s", g);

    struct vmcore_writer w;
    nlines = 0;
    vmcore_stream_begin(&w, core_len, emit, NULL);
    vmcore_stream_put(&w, core, 100);
    vmcore_stream_put(&w, core + 100, core_len - 100);
    CASE(vmcore_stream_end(&w) == 0 && nlines == 2 + DIV_ROUND_UP(core_len, 57),
         "stream: begin, one line per 57 bytes, end", "%u lines", nlines);
    CASE(decode(-1, NULL, nlines) == 0 && decoded_len == core_len && !memcmp(decoded, core, core_len),
         "stream: decodes back to the same bytes", "%s (%zu bytes)", rd.err, decoded_len);

    CASE(decode(5, "", nlines) == -1 && strstr(rd.err, "log line 7: data line 6 where line 5 was due"),
         "stream: a missing line is named", "%s", rd.err);
    char flip[128];
    strcpy(flip, lines[9]);
    flip[20] = flip[20] == 'A' ? 'B' : 'A';
    CASE(decode(9, flip, nlines) == -1 && strstr(rd.err, "data line 9: checksum"),
         "stream: a changed character is caught by the line's checksum", "%s", rd.err);
    CASE(decode(-1, NULL, nlines - 5) == -1 && strstr(rd.err, "truncated"),
         "stream: a stream cut short is refused as truncated", "%s", rd.err);
    char end[128];
    strcpy(end, lines[nlines - 1]);
    end[strlen(end) - 1] = end[strlen(end) - 1] == '0' ? '1' : '0';
    CASE(decode((int)nlines - 1, end, nlines) == -1 && strstr(rd.err, "checksum of the whole core"),
         "stream: a wrong whole-core checksum is refused", "%s", rd.err);
    CASE(decode(3, lines[2], nlines) == -1 && strstr(rd.err, "missing or repeated"),
         "stream: a repeated line is refused", "%s", rd.err);
    CASE(decode(0, "VMCORE-BEGIN v1 bytes=12 lines=9", nlines) == -1 && strstr(rd.err, "malformed begin"),
         "stream: a begin line that does not add up is refused", "%s", rd.err);
    CASE(decode(0, "", nlines) == -1 && strstr(rd.err, "no VMCORE-BEGIN"),
         "stream: no begin line", "%s", rd.err);
    return ktap_done();
}
