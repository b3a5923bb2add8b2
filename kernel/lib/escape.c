/* SPDX-License-Identifier: MIT */
/* Escaping untrusted bytes for messages (pure; host-tested under ASan/UBSan). */
#include <kernel/escape.h>

struct esc_sink {
    char *buf;
    size_t size, n;
    bool full;          /* a piece did not fit: nothing more is added */
};

/* Append a whole piece or nothing, so an escape is never cut in half. */
static void esc_put(struct esc_sink *k, const char *s, size_t len)
{
    if (k->full || !k->size || k->n + len >= k->size) {
        k->full = true;
        return;
    }
    for (size_t i = 0; i < len; i++)
        k->buf[k->n++] = s[i];
    k->buf[k->n] = 0;
}

static void esc_put_escaped(struct esc_sink *k, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char e[ESC_BYTE_MAX];
        esc_put(k, e, esc_byte(e, (unsigned char)s[i]));
    }
}

size_t str_escape(char *buf, size_t size, const char *s, size_t len)
{
    struct esc_sink k = { buf, size, 0, false };
    if (size)
        buf[0] = 0;
    esc_put_escaped(&k, s, len);
    return k.n;
}

size_t str_quote(char *buf, size_t size, const char *s, size_t len, size_t max)
{
    struct esc_sink k = { buf, size, 0, false };
    if (size)
        buf[0] = 0;
    /* Room for the closing quote and cut mark is kept back while escaping. */
    if (size < 6)
        return 0;
    k.size = size - 4;
    esc_put(&k, "'", 1);
    esc_put_escaped(&k, s, len < max ? len : max);
    bool cut = len > max || k.full;
    k.size = size;
    k.full = false;
    esc_put(&k, cut ? "'..." : "'", cut ? 4 : 1);
    return k.n;
}
