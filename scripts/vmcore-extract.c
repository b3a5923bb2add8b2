/* SPDX-License-Identifier: MIT */
/*
 * vmcore-extract LOG OUT [N]: turn the framed vmcore stream a crash kernel
 * printed (kernel/lib/vmcore_stream.c) back into the file.  N picks the
 * stream (1 = the first); the default is the last one begun.  A truncated
 * or corrupt stream is refused with the first bad line named; OUT is then
 * removed.  Exit 0 ok, 1 refused, 2 usage or I/O error.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../kernel/lib/format.c"
#include "../kernel/lib/handoff.c"
#include "../kernel/lib/vmcore_stream.c"

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

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: vmcore-extract LOG OUT [N]\n");
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
