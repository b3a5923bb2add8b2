/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the dump disk's trailer and sum (kernel/lib/vmcore_disk.c):
 * the sum joins as the crash kernel computes it (headers after the pages
 * were summed), every change of the data or the trailer is caught, and the
 * trailer check names the bad field.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ktap.h"
#include "../../kernel/lib/format.c"
#include "../../kernel/lib/handoff.c"
#include "../../kernel/lib/vmcore_disk.c"

static uint8_t data[3 * 4096 + 512];

int main(void)
{
    ktap_plan(10);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    uint64_t whole = vmcore_sum(0, data, sizeof(data));
    bool joins = true;
    for (size_t cut = 0; cut <= sizeof(data); cut += 8) {
        uint64_t a = vmcore_sum(0, data, cut), b = vmcore_sum(0, data + cut, sizeof(data) - cut);
        joins &= vmcore_sum_join(a, b, sizeof(data) - cut) == whole;
    }
    CASE(joins, "sum: A then B joins to the sum of A B at every cut", "a cut disagrees");
    bool moves = true;
    for (size_t i = 0; i < sizeof(data); i += 97) {
        data[i] ^= 1;
        moves &= vmcore_sum(0, data, sizeof(data)) != whole;
        data[i] ^= 1;
    }
    CASE(moves, "sum: one flipped bit anywhere changes it", "a flip went unseen");
    static uint8_t copy[sizeof(data)];
    memset(copy, 0xa5, sizeof(copy));
    uint64_t csum = vmcore_sum_copy(7, copy, data, sizeof(data) - 8);
    CASE(csum == vmcore_sum(7, data, sizeof(data) - 8) && !memcmp(copy, data, sizeof(data) - 8) &&
         copy[sizeof(data) - 8] == 0xa5, "sum_copy: the sum of what it copies, n bytes exactly",
         "sum or copy differs");
    /* Two words swapped: a plain sum would not see it. */
    uint64_t w[2] = { 1, 2 }, v[2] = { 2, 1 };
    CASE(vmcore_sum(0, w, 16) != vmcore_sum(0, v, 16), "sum: word order counts", "swap unseen");

    struct vmcore_trailer t;
    char why[200];
    uint64_t disk = 1 << 20;
    vmcore_trailer_make(&t, VMCORE_DISK_COMPLETE, sizeof(data) - 512, whole, disk / 512, 5, 3);
    CASE(!vmcore_trailer_check(&t, disk, why, sizeof(why)), "trailer: a fresh one checks", "%s", why);
    struct vmcore_trailer u = t;
    u.bytes++;
    CASE(vmcore_trailer_check(&u, disk, why, sizeof(why)) && strstr(why, "crc32"),
         "trailer: a changed field breaks its crc", "%s", why);
    u = t;
    u.magic[0] = 'X';
    CASE(vmcore_trailer_check(&u, disk, why, sizeof(why)) && strstr(why, "no trailer"),
         "trailer: no magic is no dump", "%s", why);
    vmcore_trailer_make(&u, 7, 8, 0, disk / 512, 0, 0);
    CASE(vmcore_trailer_check(&u, disk, why, sizeof(why)) && strstr(why, "state is 7"),
         "trailer: an unknown state is named", "%s", why);
    CASE(vmcore_trailer_check(&t, disk * 2, why, sizeof(why)) && strstr(why, "this one has"),
         "trailer: a disk of another size is named", "%s", why);
    vmcore_trailer_make(&u, VMCORE_DISK_WRITING, disk, 0, disk / 512, 0, 0);
    CASE(vmcore_trailer_check(&u, disk, why, sizeof(why)) && strstr(why, "says"),
         "trailer: a core that leaves no room for the trailer is refused", "%s", why);
    return ktap_done();
}
