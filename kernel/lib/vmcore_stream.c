/* SPDX-License-Identifier: MIT */
/* The vmcore's console framing (include/kernel/vmcore.h): encoder and checking decoder.  Pure. */
#include <kernel/vmcore.h>
#include <kernel/handoff.h>
#include <kernel/format.h>
#include <minipv/string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(char *out, const uint8_t *in, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    return o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode; -1 on a bad character or length. */
static int b64_decode(uint8_t *out, const char *in, size_t n, size_t *outlen)
{
    if (n % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = in[i + k] == '=' && i + 4 == n && k >= 2 ? 0 : b64_value(in[i + k]);
            if (v[k] < 0)
                return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (in[i + 2] != '=')
            out[o++] = (uint8_t)(w >> 8);
        if (in[i + 3] != '=')
            out[o++] = (uint8_t)w;
        if ((in[i + 2] == '=' && in[i + 3] != '='))
            return -1;
    }
    *outlen = o;
    return 0;
}

/* ---- writer ---- */

static void emit_line(struct vmcore_writer *w)
{
    char line[128];
    w->lines++;
    int n = snprintf(line, sizeof(line), "VMCORE-LINE %u ", w->lines);
    n += (int)b64_encode(line + n, w->pending, w->npending);
    snprintf(line + n, sizeof(line) - (size_t)n, " %08x", handoff_crc32(0, w->pending, w->npending));
    w->crc = handoff_crc32(w->crc, w->pending, w->npending);
    w->npending = 0;
    w->emit(line, w->ctx);
}

void vmcore_stream_begin(struct vmcore_writer *w, uint64_t total,
                         void (*emit)(const char *line, void *ctx), void *ctx)
{
    memset(w, 0, sizeof(*w));
    w->emit = emit;
    w->ctx = ctx;
    w->total = total;
    char line[96];
    snprintf(line, sizeof(line), "VMCORE-BEGIN v1 bytes=%llu lines=%llu", (unsigned long long)total,
             (unsigned long long)DIV_ROUND_UP(total, VMCORE_LINE_BYTES));
    emit(line, ctx);
}

void vmcore_stream_put(struct vmcore_writer *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        size_t n = MIN(len, (size_t)(VMCORE_LINE_BYTES - w->npending));
        memcpy(w->pending + w->npending, p, n);
        w->npending += (unsigned)n;
        w->bytes += n;
        p += n;
        len -= n;
        if (w->npending == VMCORE_LINE_BYTES)
            emit_line(w);
    }
}

int vmcore_stream_end(struct vmcore_writer *w)
{
    if (w->npending)
        emit_line(w);
    char line[96];
    snprintf(line, sizeof(line), "VMCORE-END bytes=%llu lines=%u crc32=%08x",
             (unsigned long long)w->bytes, w->lines, w->crc);
    w->emit(line, w->ctx);
    return w->bytes == w->total ? 0 : -1;
}

/* ---- reader ---- */

static int bad(struct vmcore_reader *r, unsigned long logline, const char *fmt, ...) __printf(3, 4);
static int bad(struct vmcore_reader *r, unsigned long logline, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(r->err, sizeof(r->err), "vmcore stream %u, log line %lu: ", r->seen, logline);
    if (n >= 0 && (size_t)n < sizeof(r->err))
        vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

void vmcore_reader_init(struct vmcore_reader *r, unsigned which,
                        int (*out)(const void *data, size_t len, void *ctx), void *ctx)
{
    memset(r, 0, sizeof(*r));
    r->which = which;
    r->out = out;
    r->ctx = ctx;
}

static bool starts(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && !memcmp(s, p, n);
}

/* Parse "key=<decimal>" or hex into *v from s; returns the end or NULL. */
static const char *field(const char *s, const char *end, const char *key, uint64_t *v, unsigned base)
{
    size_t k = strlen(key);
    while (s < end && *s == ' ')
        s++;
    if ((size_t)(end - s) < k || memcmp(s, key, k))
        return NULL;
    s += k;
    uint64_t x = 0;
    const char *d = s;
    for (; s < end && *s != ' '; s++) {
        unsigned c;
        if (*s >= '0' && *s <= '9') c = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') c = (unsigned)(*s - 'a' + 10);
        else return NULL;
        if (x > (UINT64_MAX - c) / base)
            return NULL;
        x = x * base + c;
    }
    if (s == d)
        return NULL;
    *v = x;
    return s;
}

static int begin_line(struct vmcore_reader *r, const char *line, const char *end,
                      unsigned long logline)
{
    if (r->active && r->want_this)
        return bad(r, logline, "a new stream begins after line %u of %u: truncated", r->next - 1,
                   r->lines);
    r->seen++;
    uint64_t total, lines;
    const char *p = line + 13;
    if (!starts(p, (size_t)(end - p), "v1 ") ||
        !(p = field(p + 3, end, "bytes=", &total, 10)) ||
        !(p = field(p, end, "lines=", &lines, 10)) || p != end ||
        lines != DIV_ROUND_UP(total, VMCORE_LINE_BYTES) || lines > UINT32_MAX)
        return bad(r, logline, "malformed begin line (want 'VMCORE-BEGIN v1 bytes=N lines=L')");
    r->active = true;
    r->want_this = r->which == 0 || r->which == r->seen;
    r->total = total;
    r->lines = (uint32_t)lines;
    r->next = 1;
    r->got = 0;
    r->crc = 0;
    r->begin_line = logline;
    if (r->want_this && r->out(NULL, 0, r->ctx))     /* start the file (again) */
        return bad(r, logline, "cannot write the output");
    return 0;
}

static int data_line(struct vmcore_reader *r, const char *line, const char *end,
                     unsigned long logline)
{
    uint64_t seq;
    const char *p = field(line + 12, end, "", &seq, 10);
    if (!p || p >= end || *p != ' ')
        return bad(r, logline, "malformed data line");
    const char *data = p + 1, *sp = data;
    while (sp < end && *sp != ' ')
        sp++;
    uint64_t crc;
    if (sp >= end || !field(sp, end, "", &crc, 16) || end - sp != 9)
        return bad(r, logline, "data line %llu: malformed checksum", (unsigned long long)seq);
    if (seq != r->next)
        return bad(r, logline, "data line %llu where line %u was due (a line is missing or repeated)",
                   (unsigned long long)seq, r->next);
    uint8_t buf[VMCORE_LINE_BYTES + 3];
    size_t n;
    if ((size_t)(sp - data) > 76 || b64_decode(buf, data, (size_t)(sp - data), &n))
        return bad(r, logline, "data line %llu: not base64", (unsigned long long)seq);
    bool last = seq == r->lines;
    uint64_t want = last ? r->total - (uint64_t)(r->lines - 1) * VMCORE_LINE_BYTES
                         : VMCORE_LINE_BYTES;
    if (n != want)
        return bad(r, logline, "data line %llu: %zu bytes, want %llu", (unsigned long long)seq, n,
                   (unsigned long long)want);
    if (handoff_crc32(0, buf, n) != (uint32_t)crc)
        return bad(r, logline, "data line %llu: checksum %08x, its bytes give %08x",
                   (unsigned long long)seq, (unsigned)crc, handoff_crc32(0, buf, n));
    if (seq > r->lines)
        return bad(r, logline, "data line %llu beyond the %u announced", (unsigned long long)seq,
                   r->lines);
    r->crc = handoff_crc32(r->crc, buf, n);
    r->got += n;
    r->next++;
    if (r->out(buf, n, r->ctx))
        return bad(r, logline, "cannot write the output");
    return 0;
}

static int end_line(struct vmcore_reader *r, const char *line, const char *end,
                    unsigned long logline)
{
    uint64_t bytes, lines, crc;
    const char *p;
    if (!(p = field(line + 11, end, "bytes=", &bytes, 10)) ||
        !(p = field(p, end, "lines=", &lines, 10)) || !(p = field(p, end, "crc32=", &crc, 16)) ||
        p != end)
        return bad(r, logline, "malformed end line");
    if (r->next - 1 != r->lines)
        return bad(r, logline, "end after line %u of %u: truncated", r->next - 1, r->lines);
    if (bytes != r->total || lines != r->lines || bytes != r->got)
        return bad(r, logline, "end line says %llu bytes in %llu lines, the stream had %llu in %u",
                   (unsigned long long)bytes, (unsigned long long)lines,
                   (unsigned long long)r->got, r->lines);
    if ((uint32_t)crc != r->crc)
        return bad(r, logline, "checksum of the whole core %08x, the bytes give %08x",
                   (unsigned)crc, r->crc);
    r->active = false;
    r->done++;
    return 0;
}

int vmcore_reader_line(struct vmcore_reader *r, const char *line, size_t len, unsigned long logline)
{
    const char *end = line + len;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        end = line + --len;
    if (starts(line, len, "VMCORE-BEGIN "))
        return begin_line(r, line, end, logline);
    if (!r->active || !r->want_this)
        return 0;
    if (starts(line, len, "VMCORE-LINE "))
        return data_line(r, line, end, logline);
    if (starts(line, len, "VMCORE-END "))
        return end_line(r, line, end, logline);
    return 0;       /* not ours: Xen's or the kernel's other output */
}

int vmcore_reader_finish(struct vmcore_reader *r)
{
    if (r->active && r->want_this)
        return bad(r, r->begin_line, "the stream begun here ends after line %u of %u: truncated",
                   r->next - 1, r->lines);
    if (!r->seen)
        return bad(r, 0, "no VMCORE-BEGIN line in the log");
    if (r->which > r->seen)
        return bad(r, 0, "stream %u asked for, the log has %u", r->which, r->seen);
    if (!r->done)
        return bad(r, 0, "no complete stream");
    return 0;
}
