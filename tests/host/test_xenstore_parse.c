/* SPDX-License-Identifier: MIT */
/*
 * Host test of the xenstore wire checks (xen/xenstore_wire.c) under
 * ASan/UBSan: every malformed reply is refused with a message naming the
 * bad field and value, good ones parse.
 */
#include <string.h>
#include "ktap.h"
#include "../../xen/xenstore_wire.c"

static char msg[192];
static bool has(const char *needle) { return strstr(msg, needle) != NULL; }

/* Payload with embedded NULs: a string literal and its exact length. */
#define P(s) s, (uint32_t)(sizeof(s) - 1)

static struct xsd_sockmsg hdr(uint32_t type, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = 7, .tx_id = 0, .len = len };
    return h;
}

int main(void)
{
    ktap_plan(42);
    struct xsd_sockmsg h;
    int rc;

    /* ---- headers ---- */
    h = hdr(XS_READ, 5);
    CASE(xs_check_header(&h, msg, sizeof(msg)) == 0, "header: XS_READ len 5 ok", "%s", msg);
    h = hdr(XS_ERROR, 7);
    CASE(xs_check_header(&h, msg, sizeof(msg)) == 0, "header: XS_ERROR ok", "%s", msg);
    h = hdr(XS_WATCH_EVENT, XENSTORE_PAYLOAD_MAX);
    CASE(xs_check_header(&h, msg, sizeof(msg)) == 0, "header: len exactly XENSTORE_PAYLOAD_MAX ok",
         "%s", msg);
    h = hdr(99, 3);
    rc = xs_check_header(&h, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("bad type 99"), "header: bad type named", "rc %d '%s'", rc, msg);
    h = hdr(XS_TYPE_COUNT, 3);
    rc = xs_check_header(&h, msg, sizeof(msg));
    CASE(rc == -EBADMSG, "header: XS_TYPE_COUNT is not a type", "rc %d", rc);
    h = hdr(XS_READ, XENSTORE_PAYLOAD_MAX + 1);
    rc = xs_check_header(&h, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("length 4097 over XENSTORE_PAYLOAD_MAX 4096"),
         "header: length over the maximum named", "rc %d '%s'", rc, msg);
    h = hdr(XS_READ, 0xffffffffu);
    rc = xs_check_header(&h, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("length 4294967295"), "header: huge length named", "'%s'", msg);

    /* ---- error replies ---- */
    rc = xs_parse_error(P("ENOENT\0"), msg, sizeof(msg));
    CASE(rc == -ENOENT && has("ENOENT"), "error: ENOENT -> -2", "rc %d '%s'", rc, msg);
    rc = xs_parse_error(P("EAGAIN\0"), msg, sizeof(msg));
    CASE(rc == -EAGAIN, "error: EAGAIN -> -11", "rc %d", rc);
    rc = xs_parse_error(P("EPERM\0"), msg, sizeof(msg));
    CASE(rc == -EPERM, "error: EPERM (last in the table) -> -1", "rc %d", rc);
    rc = xs_parse_error(P("ENOENT"), msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("'ENOENT' missing its NUL"), "error: missing NUL named",
         "rc %d '%s'", rc, msg);
    rc = xs_parse_error(P("EFOO\0"), msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("unknown error string 'EFOO'"), "error: unknown name named",
         "rc %d '%s'", rc, msg);
    rc = xs_parse_error(P("ENOENTX\0"), msg, sizeof(msg));
    CASE(rc == -EBADMSG, "error: a known name's prefix is not enough", "rc %d", rc);
    rc = xs_parse_error(P(""), msg, sizeof(msg));
    CASE(rc == -EBADMSG, "error: empty payload refused", "rc %d", rc);

    /* ---- acknowledgements ---- */
    CASE(xs_parse_ack(P("OK\0"), msg, sizeof(msg)) == 0, "ack: OK", "%s", msg);
    rc = xs_parse_ack(P("OK"), msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("missing its NUL"), "ack: missing NUL named", "'%s'", msg);
    rc = xs_parse_ack(P("NO\0"), msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("'NO', want 'OK'"), "ack: wrong word named", "'%s'", msg);
    rc = xs_parse_ack(P("OK\0\0"), msg, sizeof(msg));
    CASE(rc == -EBADMSG, "ack: trailing bytes refused", "rc %d", rc);

    /* ---- transaction ids ---- */
    uint32_t tx = 0;
    CASE(xs_parse_txid(P("17\0"), &tx, msg, sizeof(msg)) == 0 && tx == 17, "txid: 17", "tx %u", tx);
    CASE(xs_parse_txid(P("4294967295\0"), &tx, msg, sizeof(msg)) == 0 && tx == 4294967295u,
         "txid: UINT32_MAX", "tx %u", tx);
    rc = xs_parse_txid(P("4294967296\0"), &tx, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("'4294967296'"), "txid: overflow named", "'%s'", msg);
    rc = xs_parse_txid(P("0\0"), &tx, msg, sizeof(msg));
    CASE(rc == -EBADMSG, "txid: 0 (no transaction) refused", "rc %d", rc);
    rc = xs_parse_txid(P("12a\0"), &tx, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("'12a'"), "txid: garbage named", "'%s'", msg);
    rc = xs_parse_txid(P("12"), &tx, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("missing its NUL"), "txid: missing NUL", "'%s'", msg);

    /* ---- watch events ---- */
    const char *path = NULL, *token = NULL;
    rc = xs_parse_watch_event(P("cpu/3/availability\0cpu\0"), &path, &token, msg, sizeof(msg));
    CASE(rc == 0 && !strcmp(path, "cpu/3/availability") && !strcmp(token, "cpu"),
         "event: path and token", "rc %d '%s'", rc, msg);
    rc = xs_parse_watch_event(P("control/shutdown\0\0"), &path, &token, msg, sizeof(msg));
    CASE(rc == 0 && !strcmp(token, ""), "event: empty token allowed", "rc %d '%s'", rc, msg);
    rc = xs_parse_watch_event(P("cpu\0tok"), &path, &token, msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("'cpu\\x00tok'"), "event: missing final NUL named", "'%s'", msg);
    rc = xs_parse_watch_event(P("cpu\0"), &path, &token, msg, sizeof(msg));
    CASE(rc == -EBADMSG, "event: no token refused", "rc %d", rc);
    rc = xs_parse_watch_event(P("a\0b\0c\0"), &path, &token, msg, sizeof(msg));
    CASE(rc == -EBADMSG, "event: three strings refused", "rc %d", rc);
    rc = xs_parse_watch_event(P("\0tok\0"), &path, &token, msg, sizeof(msg));
    CASE(rc == -EBADMSG, "event: empty path refused", "rc %d", rc);

    /* ---- directory listings ---- */
    CASE(xs_parse_directory(P("0\0" "1\0" "10\0"), msg, sizeof(msg)) == 3, "directory: 3 entries",
         "%s", msg);
    CASE(xs_parse_directory(P(""), msg, sizeof(msg)) == 0, "directory: empty", "%s", msg);
    rc = xs_parse_directory(P("0\0" "1"), msg, sizeof(msg));
    CASE(rc == -EBADMSG && has("missing its final NUL"), "directory: missing final NUL named",
         "'%s'", msg);

    /* ---- ring indexes (free-running, wrap at 2^32) ---- */
    CASE(xs_ring_sane(5, 4) && xs_ring_sane(1024, 0) && xs_ring_sane(7, 7), "ring: in range",
         "%s", "failed");
    CASE(!xs_ring_sane(1025, 0), "ring: more than a ring's worth refused", "%s", "failed");
    CASE(xs_ring_sane(3, 0xfffffffeu), "ring: wrap-around of the indexes", "%s", "failed");
    CASE(!xs_ring_sane(4, 5), "ring: consumer ahead of producer refused", "%s", "failed");

    /* ---- message helpers ---- */
    msg[0] = 0;
    xs_msg_quoted(msg, sizeof(msg), "a\x01'b\\", 5, 48);
    CASE(!strcmp(msg, "'a\\x01\\x27b\\x5c'"), "quote: control bytes, quote, backslash escaped",
         "'%s'", msg);
    msg[0] = 0;
    xs_msg_quoted(msg, sizeof(msg), "abcdefgh", 8, 3);
    CASE(!strcmp(msg, "'abc'..."), "quote: cut long values", "'%s'", msg);
    {
        /* Found by fuzz_xenstore_wire: an escape cut at the buffer's end showed "\x5". */
        char m16[13] = "ab";
        xs_msg_quoted(m16, sizeof(m16), "a\x01" "b\\c", 5, 48);
        CASE(!strcmp(m16, "ab'a\\x01b'"), "quote: an escape that does not fit is left out whole",
             "'%s'", m16);
    }
    char small[8] = "";
    xs_msg_str(small, sizeof(small), "0123456789");
    xs_msg_uint(small, sizeof(small), 42);
    CASE(!strcmp(small, "0123456"), "msg: output cut to the buffer, NUL-terminated", "'%s'", small);
    CASE(!strcmp(xs_errno_name(ENOENT), "ENOENT") &&
         !strcmp(xs_errno_name(ETIMEDOUT), "ETIMEDOUT") && !strcmp(xs_errno_name(12345), "E?"),
         "errno names", "%s", "failed");

    return ktap_done();
}
