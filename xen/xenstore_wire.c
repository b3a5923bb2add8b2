/* SPDX-License-Identifier: MIT */
/*
 * Pure checks of xenstore wire messages (docs/misc/xenstore.txt,
 * <xen/io/xs_wire.h>): no ring, no hypercalls, no libc, so the host tests
 * include this file as is.  Everything the daemon sends is untrusted: each
 * check names the bad field and its value in msg.
 */
#include <minipv/compiler.h>
#include <minipv/escape.h>
#include <xenpv/xenstore.h>

/* xs_wire.h only defines its error-name table when EINVAL is a macro; ours is an enum. */
#ifndef EINVAL
#define EINVAL EINVAL
#endif
#include <xen/io/xs_wire.h>

void xs_msg_str(char *msg, size_t msglen, const char *s)
{
    if (!msg || !msglen)
        return;
    size_t n = 0;
    while (n < msglen && msg[n])
        n++;
    if (n == msglen) {          /* not terminated: repair, keep what fits */
        msg[msglen - 1] = 0;
        return;
    }
    while (*s && n + 1 < msglen)
        msg[n++] = *s++;
    msg[n] = 0;
}

void xs_msg_uint(char *msg, size_t msglen, uint64_t v)
{
    char d[21];
    unsigned i = sizeof(d) - 1;
    d[i] = 0;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    xs_msg_str(msg, msglen, &d[i]);
}

void xs_msg_quoted(char *msg, size_t msglen, const char *s, size_t len, size_t max)
{
    if (!msg || !msglen)
        return;
    xs_msg_str(msg, msglen, "'");
    size_t used = 0;
    while (used < msglen && msg[used])
        used++;
    for (size_t i = 0; i < len && i < max; i++) {
        char one[ESC_BYTE_MAX + 1];
        size_t n = esc_byte(one, (unsigned char)s[i]);
        one[n] = 0;
        /* A whole escape or nothing: a cut "\x5" would show another byte. */
        if (used + n >= msglen)
            break;
        xs_msg_str(msg, msglen, one);
        used += n;
    }
    xs_msg_str(msg, msglen, len > max ? "'..." : "'");
}

static void set_msg(char *msg, size_t msglen, const char *s)
{
    if (msg && msglen) {
        msg[0] = 0;
        xs_msg_str(msg, msglen, s);
    }
}

static bool streq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static size_t cstrlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

const char *xs_errno_name(int err)
{
    for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++)
        if (xsd_errors[i].errnum == err)
            return xsd_errors[i].errstring;
    switch (err) {
    case ENODEV: return "ENODEV";
    case EBADMSG: return "EBADMSG";
    case EOVERFLOW: return "EOVERFLOW";
    case ETIMEDOUT: return "ETIMEDOUT";
    }
    return "E?";
}

int xs_check_header(const struct xsd_sockmsg *h, char *msg, size_t msglen)
{
    if (h->type >= XS_TYPE_COUNT && h->type != XS_ERROR) {
        set_msg(msg, msglen, "malformed reply: bad type ");
        xs_msg_uint(msg, msglen, h->type);
        return -EBADMSG;
    }
    if (h->len > XENSTORE_PAYLOAD_MAX) {
        set_msg(msg, msglen, "malformed reply: length ");
        xs_msg_uint(msg, msglen, h->len);
        xs_msg_str(msg, msglen, " over XENSTORE_PAYLOAD_MAX ");
        xs_msg_uint(msg, msglen, XENSTORE_PAYLOAD_MAX);
        return -EBADMSG;
    }
    return 0;
}

/* A payload that must be exactly one NUL-terminated string. */
static bool one_string(const char *p, uint32_t len, const char *what, char *msg, size_t msglen)
{
    if (len == 0 || p[len - 1] != 0) {
        set_msg(msg, msglen, "malformed reply: ");
        xs_msg_str(msg, msglen, what);
        xs_msg_str(msg, msglen, " ");
        xs_msg_quoted(msg, msglen, p, len, 32);
        xs_msg_str(msg, msglen, " missing its NUL");
        return false;
    }
    return true;
}

int xs_parse_error(const char *p, uint32_t len, char *msg, size_t msglen)
{
    if (!one_string(p, len, "error string", msg, msglen))
        return -EBADMSG;
    for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++) {
        size_t n = cstrlen(xsd_errors[i].errstring);
        if (n + 1 == len && streq_n(p, xsd_errors[i].errstring, n)) {
            set_msg(msg, msglen, "xenstored: ");
            xs_msg_str(msg, msglen, xsd_errors[i].errstring);
            return -xsd_errors[i].errnum;
        }
    }
    set_msg(msg, msglen, "malformed reply: unknown error string ");
    xs_msg_quoted(msg, msglen, p, len - 1, 32);
    return -EBADMSG;
}

int xs_parse_ack(const char *p, uint32_t len, char *msg, size_t msglen)
{
    if (!one_string(p, len, "acknowledgement", msg, msglen))
        return -EBADMSG;
    if (len != 3 || !streq_n(p, "OK", 2)) {
        set_msg(msg, msglen, "malformed reply: acknowledgement ");
        xs_msg_quoted(msg, msglen, p, len - 1, 32);
        xs_msg_str(msg, msglen, ", want 'OK'");
        return -EBADMSG;
    }
    return 0;
}

int xs_parse_txid(const char *p, uint32_t len, uint32_t *tx, char *msg, size_t msglen)
{
    if (!one_string(p, len, "transaction id", msg, msglen))
        return -EBADMSG;
    uint64_t v = 0;
    bool ok = len >= 2 && len <= 11;        /* 1..10 digits + NUL */
    for (uint32_t i = 0; ok && i + 1 < len; i++) {
        ok = p[i] >= '0' && p[i] <= '9';
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    /* 0 means "no transaction" on the wire: a daemon must never hand it out. */
    if (!ok || v == 0 || v > UINT32_MAX) {
        set_msg(msg, msglen, "malformed reply: transaction id ");
        xs_msg_quoted(msg, msglen, p, len - 1, 32);
        return -EBADMSG;
    }
    *tx = (uint32_t)v;
    return 0;
}

int xs_parse_watch_event(const char *p, uint32_t len, const char **path, const char **token,
                         char *msg, size_t msglen)
{
    /* Exactly two strings, each NUL-terminated, the path not empty. */
    uint32_t nuls = 0, first = 0;
    for (uint32_t i = 0; i < len; i++)
        if (!p[i] && nuls++ == 0)
            first = i;
    if (len == 0 || p[len - 1] != 0 || nuls != 2 || first == 0) {
        set_msg(msg, msglen, "malformed watch event ");
        xs_msg_quoted(msg, msglen, p, len, 48);
        xs_msg_str(msg, msglen, ": want \"path\\0token\\0\"");
        return -EBADMSG;
    }
    *path = p;
    *token = p + first + 1;
    return 0;
}

int xs_parse_directory(const char *p, uint32_t len, char *msg, size_t msglen)
{
    if (len == 0)
        return 0;
    if (p[len - 1] != 0) {
        set_msg(msg, msglen, "malformed reply: directory listing ");
        xs_msg_quoted(msg, msglen, p, len, 48);
        xs_msg_str(msg, msglen, " missing its final NUL");
        return -EBADMSG;
    }
    int n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += !p[i];
    return n;
}

bool xs_ring_sane(uint32_t prod, uint32_t cons)
{
    return (uint32_t)(prod - cons) <= XENSTORE_RING_SIZE;
}
