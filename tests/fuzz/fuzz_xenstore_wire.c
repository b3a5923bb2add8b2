/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the xenstore wire checks (xen/xenstore_wire.c):
 * everything xenstored sends is untrusted.  Built by scripts/fuzz.sh.
 *
 * Input: [selector][msglen][payload...]; the first 16 payload bytes double
 * as a reply header.  Invariants (abort() on violation):
 *   - every message is NUL-terminated within its buffer (any msglen, 0 too)
 *     and, when the check fails, says something, in printable ASCII;
 *   - results match an independent reading of the payload: a directory
 *     counts its NULs, a watch event's path and token lie inside the
 *     payload and are its two strings, a transaction id is the decimal
 *     number of the payload, an ack is exactly "OK\0";
 *   - quoting never writes past the buffer and never splits an escape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../xen/xenstore_wire.c"

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "violated: %s (line %d)\n", #c, \
                                                   __LINE__); abort(); } } while (0)

static void check_msg(const char *msg, size_t msglen, int rc)
{
    if (!msglen)
        return;
    REQUIRE(memchr(msg, 0, msglen));
    for (const char *p = msg; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    if (rc < 0 && msglen > 8)
        REQUIRE(msg[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned sel = data[0] % 8;
    size_t msglen = data[1] % 200;
    const char *p = (const char *)data + 2;
    uint32_t len = (uint32_t)(size - 2);
    /* The payload in its own heap copy, so ASan sees every byte read past it. */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    char *msg = malloc(msglen ? msglen : 1);
    memset(msg, 'Z', msglen);
    if (msglen)
        msg[0] = 0;
    int rc = 0;

    switch (sel) {
    case 0: {
        struct xsd_sockmsg h;
        if (len < sizeof(h))
            break;
        memcpy(&h, copy, sizeof(h));
        rc = xs_check_header(&h, msg, msglen);
        REQUIRE(rc == 0 || rc == -EBADMSG);
        REQUIRE((rc == 0) == ((h.type < XS_TYPE_COUNT || h.type == XS_ERROR) &&
                              h.len <= XENSTORE_PAYLOAD_MAX));
        break;
    }
    case 1:
        rc = xs_parse_error(copy, len, msg, msglen);
        REQUIRE(rc < 0);
        if (rc != -EBADMSG) {
            REQUIRE(len >= 2 && copy[len - 1] == 0 && strlen(copy) == len - 1);
            REQUIRE(!strcmp(xs_errno_name(-rc), copy));
        }
        break;
    case 2:
        rc = xs_parse_ack(copy, len, msg, msglen);
        REQUIRE((rc == 0) == (len == 3 && !memcmp(copy, "OK", 3)));
        break;
    case 3: {
        uint32_t tx = 0xdeadbeef;
        rc = xs_parse_txid(copy, len, &tx, msg, msglen);
        if (!rc) {
            char back[16];
            snprintf(back, sizeof(back), "%u", tx);
            /* Leading zeros are allowed on the wire: compare the numbers. */
            REQUIRE(tx != 0 && copy[len - 1] == 0 && strtoull(copy, NULL, 10) == tx);
            REQUIRE(strspn(copy, "0123456789") == len - 1);
        } else {
            REQUIRE(rc == -EBADMSG && tx == 0xdeadbeef);
        }
        break;
    }
    case 4: {
        const char *path = NULL, *token = NULL;
        rc = xs_parse_watch_event(copy, len, &path, &token, msg, msglen);
        if (!rc) {
            REQUIRE(path == copy && token > path && token < copy + len);
            REQUIRE(*path && strlen(path) + 1 + strlen(token) + 1 == len);
            REQUIRE(token == path + strlen(path) + 1);
        } else {
            REQUIRE(rc == -EBADMSG);
        }
        break;
    }
    case 5: {
        rc = xs_parse_directory(copy, len, msg, msglen);
        size_t nuls = 0;
        for (uint32_t i = 0; i < len; i++)
            nuls += !copy[i];
        if (len && copy[len - 1])
            REQUIRE(rc == -EBADMSG);
        else
            REQUIRE(rc == (int)nuls);
        break;
    }
    case 6: {
        /* Quote into a message that already holds text, any max. */
        size_t max = len ? (unsigned char)copy[0] : 0;
        if (msglen > 3)
            strcpy(msg, "ab");
        xs_msg_quoted(msg, msglen, copy, len, max);
        check_msg(msg, msglen, 0);
        if (msglen) {
            /* No escape cut in half: every backslash starts a whole \xNN. */
            for (const char *q = msg; (q = strchr(q, '\\')); q++)
                REQUIRE(q[1] == 'x' && q[2] && q[3]);
        }
        break;
    }
    case 7: {
        uint32_t prod, cons;
        if (len < 8)
            break;
        memcpy(&prod, copy, 4);
        memcpy(&cons, copy + 4, 4);
        REQUIRE(xs_ring_sane(prod, cons) == ((uint32_t)(prod - cons) <= XENSTORE_RING_SIZE));
        xs_msg_uint(msg, msglen, (uint64_t)prod << 32 | cons);
        break;
    }
    }
    check_msg(msg, msglen, rc);
    free(msg);
    free(copy);
    return 0;
}
