/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the vmcore stream decoder (kernel/lib/vmcore_stream.c,
 * what scripts/vmcore-extract runs over a console log: any text, any damage).
 * Built by scripts/fuzz.sh.
 *
 * Input: [mode][which][bytes...].
 *   mode bit 0 set: the bytes are a log, fed line by line as they are.
 *   mode bit 0 clear: the bytes are a payload; it is written as a stream
 *     (between two lines of noise), then mode bits 1-7 pick a damage: none,
 *     drop a line, repeat a line, or flip one byte of a line.
 * Invariants: the decoder never reads outside a line (ASan); a refusal
 * names a reason in printable ASCII; an undamaged stream decodes to the
 * payload exactly; a damaged one is refused or still decodes to it
 * exactly (never to other bytes); a log it accepts gave exactly the bytes
 * its BEGIN line announced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/lib/format.c"
#include "../../kernel/lib/handoff.c"
#include "../../kernel/lib/vmcore_stream.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static char log_buf[1 << 20];
static size_t log_len;
static uint8_t got[1 << 18];
static size_t got_len;

static void emit(const char *line, void *ctx)
{
    (void)ctx;
    size_t n = strlen(line);
    if (log_len + n + 1 < sizeof(log_buf)) {
        memcpy(log_buf + log_len, line, n);
        log_len += n;
        log_buf[log_len++] = '\n';
    }
}

static int out(const void *data, size_t len, void *ctx)
{
    (void)ctx;
    if (got_len + len > sizeof(got))
        return -1;
    if (len)
        memcpy(got + got_len, data, len);
    got_len += len;
    return 0;
}

static void check_err(const struct vmcore_reader *r)
{
    REQUIRE(memchr(r->err, 0, sizeof(r->err)));
    for (const char *p = r->err; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

/* Feed log_buf line by line; 0 if the stream asked for decoded whole. */
static int read_log(struct vmcore_reader *r, unsigned which)
{
    vmcore_reader_init(r, which, out, NULL);
    got_len = 0;
    size_t at = 0;
    unsigned long n = 0;
    while (at < log_len) {
        const char *nl = memchr(log_buf + at, '\n', log_len - at);
        size_t len = nl ? (size_t)(nl - (log_buf + at)) : log_len - at;
        if (vmcore_reader_line(r, log_buf + at, len, ++n)) {
            check_err(r);
            REQUIRE(r->err[0]);
            return -1;
        }
        at += len + 1;
    }
    int rc = vmcore_reader_finish(r);
    check_err(r);
    REQUIRE(rc == 0 || r->err[0]);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmcore_reader r;
    if (size < 2)
        return 0;
    uint8_t mode = data[0], which = data[1] & 1;
    data += 2, size -= 2;
    if (mode & 1) {
        log_len = MIN(size, sizeof(log_buf));
        memcpy(log_buf, data, log_len);
        if (read_log(&r, which) == 0)
            REQUIRE(got_len == r.total);
        return 0;
    }
    size = MIN(size, (size_t)16384);
    log_len = 0;
    emit("[cpu 0 t=1.000000] noise before", NULL);
    static struct vmcore_writer w;
    vmcore_stream_begin(&w, size, emit, NULL);
    vmcore_stream_put(&w, data, size);
    REQUIRE(vmcore_stream_end(&w) == 0);
    emit("noise after", NULL);
    unsigned damage = (mode >> 1) % 4, nlines = 0;
    for (size_t i = 0; i < log_len; i++)
        nlines += log_buf[i] == '\n';
    unsigned victim = nlines ? (unsigned)(mode >> 3) % nlines : 0;
    if (damage) {
        /* Find the victim line's span. */
        size_t s = 0;
        for (unsigned k = 0; k < victim; k++)
            s = (size_t)((char *)memchr(log_buf + s, '\n', log_len - s) - log_buf) + 1;
        size_t e = (size_t)((char *)memchr(log_buf + s, '\n', log_len - s) - log_buf) + 1;
        static char tmp[sizeof(log_buf)];
        if (damage == 1) {                      /* drop it */
            memmove(log_buf + s, log_buf + e, log_len - e);
            log_len -= e - s;
        } else if (damage == 2 && log_len + (e - s) < sizeof(log_buf)) {   /* repeat it */
            memcpy(tmp, log_buf + s, e - s);
            memmove(log_buf + e + (e - s), log_buf + e, log_len - e);
            memcpy(log_buf + e, tmp, e - s);
            log_len += e - s;
        } else if (damage == 3 && e - s > 1) {  /* flip a byte (not the newline) */
            size_t at = s + (size ? data[0] : 0) % (e - s - 1);
            log_buf[at] ^= (char)(1 + (size > 1 ? data[1] % 255 : 0));
            if (log_buf[at] == '\n')
                log_buf[at] = '?';
        }
    }
    int rc = read_log(&r, 1);
    if (!damage)
        REQUIRE(rc == 0);
    if (rc == 0)
        REQUIRE(got_len == size && !memcmp(got, data, size));
    return 0;
}
