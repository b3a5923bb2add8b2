/* SPDX-License-Identifier: MIT */
/*
 * vmcore-extract LOG OUT [N]: turn the framed vmcore stream a crash kernel
 * printed (kernel/lib/vmcore_stream.c) back into the file.  N picks the
 * stream (1 = the first); the default is the last one begun.  A truncated
 * or corrupt stream is refused with the first bad line named; OUT is then
 * removed.  Exit 0 ok, 1 refused, 2 usage or I/O error.
 *
 * vmcore-extract --disk IMAGE [OUT]: check a dump disk's image
 * (kdump_disk=, kernel/lib/vmcore_disk.c): "complete" (the trailer says so
 * and the sum of the core agrees), "cut" (the crash kernel began and never
 * finished) or "corrupt" (the trailer or the bytes disagree); one line,
 * exit 0 only for complete.  gdb reads the image as it is; OUT gets just
 * the core's bytes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../kernel/lib/format.c"
#include "../kernel/lib/handoff.c"
#include "../kernel/lib/vmcore_stream.c"
#include "../kernel/lib/vmcore_disk.c"

static FILE *outf;

static int out(const void *data, size_t len, void *ctx)
{
    (void)ctx;
    if (!data) {            /* a (new) stream begins: start the file over */
        fflush(outf);
        if (ftruncate(fileno(outf), 0) || fseek(outf, 0, SEEK_SET))
            return -1;
        return 0;
    }
    return fwrite(data, 1, len, outf) == len ? 0 : -1;
}

static int check_disk(const char *img, const char *outp)
{
    FILE *f = fopen(img, "r");
    if (!f || fseeko(f, 0, SEEK_END)) {
        perror(img);
        return 2;
    }
    off_t size = ftello(f);
    struct vmcore_trailer t;
    char why[200];
    if (size < 512 || fseeko(f, size - 512, SEEK_SET) || fread(&t, 512, 1, f) != 1) {
        printf("vmcore-extract: %s: no dump: %lld bytes, not even a trailer sector\n", img,
               (long long)size);
        return 1;
    }
    if (vmcore_trailer_check(&t, (uint64_t)size, why, sizeof(why))) {
        printf("vmcore-extract: %s: %s: %s\n", img,
               memcmp(t.magic, VMCORE_DISK_MAGIC, 16) ? "no dump" : "corrupt", why);
        return 1;
    }
    if (t.state == VMCORE_DISK_WRITING) {
        printf("vmcore-extract: %s: cut: a dump of %llu bytes (generation %u) was begun and never "
               "finished\n", img, (unsigned long long)t.bytes, t.generation);
        return 1;
    }
    FILE *o = outp ? fopen(outp, "w") : NULL;
    if (outp && !o) {
        perror(outp);
        return 2;
    }
    static uint8_t buf[1 << 20];
    uint64_t h = 0, left = t.bytes;
    fseeko(f, 0, SEEK_SET);
    while (left) {
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (fread(buf, 1, n, f) != n || (o && fwrite(buf, 1, n, o) != n)) {
            printf("vmcore-extract: %s: I/O error at %llu\n", img, (unsigned long long)(t.bytes - left));
            return 2;
        }
        h = vmcore_sum(h, buf, n);
        left -= n;
    }
    fclose(f);
    if (o && fclose(o))
        return 2;
    if (h != t.sum) {
        printf("vmcore-extract: %s: corrupt: the core's %llu bytes sum to %016llx, the trailer says "
               "%016llx\n", img, (unsigned long long)t.bytes, (unsigned long long)h,
               (unsigned long long)t.sum);
        if (outp)
            unlink(outp);
        return 1;
    }
    printf("vmcore-extract: %s: complete: %llu bytes (generation %u, written in %llu ms)%s%s\n", img,
           (unsigned long long)t.bytes, t.generation, (unsigned long long)(t.write_ns / 1000000),
           outp ? " -> " : "", outp ? outp : "");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "--disk"))
        return check_disk(argv[2], argc == 4 ? argv[3] : NULL);
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: vmcore-extract LOG OUT [N] | --disk IMAGE [OUT]\n");
        return 2;
    }
    unsigned which = argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    outf = fopen(argv[2], "w");
    if (!outf) {
        perror(argv[2]);
        return 2;
    }
    struct vmcore_reader r;
    vmcore_reader_init(&r, which, out, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long ln = 0;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, in)) >= 0) {
        ln++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        /* xenconsoled may prefix a timestamp; the stream lines start at "VMCORE-". */
        char *v = memmem(line, (size_t)n, "VMCORE-", 7);
        if (v)
            rc = vmcore_reader_line(&r, v, (size_t)(line + n - v), ln);
    }
    if (!rc)
        rc = vmcore_reader_finish(&r);
    free(line);
    fclose(in);
    if (fclose(outf) || rc) {
        fprintf(stderr, "vmcore-extract: %s: %s\n", argv[1], rc ? r.err : "cannot write the output");
        unlink(argv[2]);
        return 1;
    }
    fprintf(stderr, "vmcore-extract: %s: stream %u of %u, %llu bytes -> %s\n", argv[1],
            which ? which : r.seen, r.seen, (unsigned long long)r.total, argv[2]);
    return 0;
}
