/* SPDX-License-Identifier: MIT */
/*
 * The vmcore (kernel/lib/elfcore.c, kernel/lib/vmcore_stream.c: pure,
 * host-tested, fuzzed).
 *
 * The core is what stock gdb opens next to the crashed kernel's ELF
 * (gdb build/minipv VMCORE): ELF64 ET_CORE for EM_X86_64, one PT_NOTE, then
 * one PT_LOAD per run of memory at the old kernel's virtual addresses.  The
 * note holds one "CORE" NT_PRSTATUS (336 bytes, struct elf_prstatus of
 * Linux x86-64) per stopped vCPU -- the crashed one first, pr_pid = vcpu id
 * + 1, so gdb's `info threads` lists every vCPU -- and one "MINIPV" note
 * (type VMCORE_MINIPV_NOTE; not 1, which bfd would take for another
 * NT_PRSTATUS whatever the note's name) of key=value lines: the reason, the
 * crashed vCPU, the old cpu map and states, the old command line.
 *
 * On the console it travels framed, one line each, no other text on them:
 *   VMCORE-BEGIN v1 bytes=N lines=L
 *   VMCORE-LINE SEQ BASE64 CRC          SEQ 1..L, 57 bytes per line (76 chars),
 *                                       CRC the crc32 of those bytes, 8 hex digits
 *   VMCORE-END bytes=N lines=L crc32=C  C: crc32 of the whole core
 * scripts/vmcore-extract turns a log back into the file and refuses a
 * truncated or corrupt stream, naming the first bad line.
 */
#ifndef KERNEL_VMCORE_H
#define KERNEL_VMCORE_H
#include <minipv/compiler.h>

/* ---- the ELF core (elfcore.c) ---- */

#define VMCORE_MINIPV_NOTE 0x4d50

#define ELFCORE_PRSTATUS_SIZE 336
#define ELFCORE_NREGS 27        /* user_regs_struct: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx
                                 * si di orig_ax ip cs flags sp ss fs_base gs_base ds es fs gs */
enum { UREG_R15, UREG_R14, UREG_R13, UREG_R12, UREG_BP, UREG_BX, UREG_R11, UREG_R10, UREG_R9,
       UREG_R8, UREG_AX, UREG_CX, UREG_DX, UREG_SI, UREG_DI, UREG_ORIG_AX, UREG_IP, UREG_CS,
       UREG_FLAGS, UREG_SP, UREG_SS, UREG_FS_BASE, UREG_GS_BASE, UREG_DS, UREG_ES, UREG_FS,
       UREG_GS };

struct elfcore_seg {
    uint64_t vaddr, paddr, size;
};

/* Bytes of the ELF header and program headers for nsegs PT_LOADs. */
size_t elfcore_header_size(unsigned nsegs);
/*
 * Write the ELF header and program headers: the PT_NOTE of notes_len bytes
 * right after them, then the segments' data in order, back to back.
 * Returns the bytes written (elfcore_header_size), 0 if buf is too small.
 */
size_t elfcore_header(void *buf, size_t size, const struct elfcore_seg *segs, unsigned nsegs,
                      size_t notes_len);
/* One note: its size with padding (buf NULL: just the size). */
size_t elfcore_note(void *buf, const char *name, uint32_t type, const void *desc, size_t desc_len);
/* An NT_PRSTATUS note for one thread: pid (non-zero), its signal, its registers. */
size_t elfcore_prstatus(void *buf, uint32_t pid, int signo, const uint64_t regs[ELFCORE_NREGS]);
#define ELFCORE_PRSTATUS_NOTE (12 + 8 + ELFCORE_PRSTATUS_SIZE)

/* ---- the console stream (vmcore_stream.c) ---- */

#define VMCORE_LINE_BYTES 57

struct vmcore_writer {
    void (*emit)(const char *line, void *ctx);      /* one line, without '\n' */
    void *ctx;
    uint64_t bytes, total;
    uint32_t lines, crc;
    uint8_t pending[VMCORE_LINE_BYTES];
    unsigned npending;
};
/* Begin a stream of `total` bytes: emits the BEGIN line. */
void vmcore_stream_begin(struct vmcore_writer *w, uint64_t total,
                         void (*emit)(const char *line, void *ctx), void *ctx);
void vmcore_stream_put(struct vmcore_writer *w, const void *data, size_t len);
/* Flush and emit the END line; -1 if the bytes put are not the total announced. */
int vmcore_stream_end(struct vmcore_writer *w);

/*
 * Decode: feed every line of a log (any other text is skipped); `which`
 * picks the stream (1 = the first, 0 = the last complete one).  Decoded
 * bytes go to out(data, len, ctx).  0, or -1 with err naming the first bad
 * line (its number in the log) and why.
 */
struct vmcore_reader {
    int (*out)(const void *data, size_t len, void *ctx);
    void *ctx;
    unsigned which;
    /* state */
    unsigned seen, done;            /* streams begun, streams completed */
    bool active, want_this;
    uint64_t total, got;
    uint32_t lines, next, crc;
    unsigned long begin_line;
    char err[200];
};
void vmcore_reader_init(struct vmcore_reader *r, unsigned which,
                        int (*out)(const void *data, size_t len, void *ctx), void *ctx);
/* Feed one log line (no '\n'); logline is its number in the log. 0, or -1 (r->err). */
int vmcore_reader_line(struct vmcore_reader *r, const char *line, size_t len, unsigned long logline);
/* After the last line: 0 if the stream asked for was whole, else -1 (r->err). */
int vmcore_reader_finish(struct vmcore_reader *r);

/* ---- the dump disk (vmcore_disk.c) ----
 *
 * With kdump_disk= the crash kernel writes the same ELF core from sector 0
 * of a disk of its own, so `gdb build/minipv DISK-IMAGE` reads the image
 * as it is, and the last 512-byte sector holds the trailer below.  The
 * trailer says "writing" before the first byte of the core goes out and
 * "complete" after the last one is flushed: a dump that stops half-way
 * (the backend went away, the domain died) is named as cut, never taken
 * for a whole one; an older dump under a cut one is never taken either.
 */
#define VMCORE_DISK_MAGIC "MINIPV-VMCORE-D1"        /* 16 bytes, no NUL */
enum { VMCORE_DISK_WRITING = 1, VMCORE_DISK_COMPLETE = 2 };
struct vmcore_trailer {                 /* little endian, 512 bytes */
    char magic[16];
    uint32_t state, generation;         /* VMCORE_DISK_*; the crashed kernel's generation */
    uint64_t bytes;                     /* the core's length from sector 0 (a multiple of 8) */
    uint64_t sum;                       /* vmcore_sum of those bytes */
    uint64_t disk_sectors;              /* the disk's size when written */
    uint64_t write_ns;                  /* how long the core took (complete only) */
    uint8_t pad[512 - 60];
    uint32_t crc;                       /* crc32 (handoff_crc32) of the bytes before it */
};
_Static_assert(sizeof(struct vmcore_trailer) == 512, "one sector");

/* The core's checksum: h = h * K + w over its 64-bit little-endian words (n a multiple of 8). */
uint64_t vmcore_sum(uint64_t h, const void *p, size_t n);
/* vmcore_sum of src, taken as it is copied to dst (n a multiple of 8; no overlap). */
uint64_t vmcore_sum_copy(uint64_t h, void *dst, const void *src, size_t n);
/* The sum of A followed by B, from each one's sum and B's length (a multiple of 8). */
uint64_t vmcore_sum_join(uint64_t sum_a, uint64_t sum_b, uint64_t len_b);
void vmcore_trailer_make(struct vmcore_trailer *t, uint32_t state, uint64_t bytes, uint64_t sum,
                         uint64_t disk_sectors, uint64_t write_ns, uint32_t generation);
/* 0 if t is a trailer (magic, crc, state, sizes agree), else -1 with why naming the bad field. */
int vmcore_trailer_check(const struct vmcore_trailer *t, uint64_t disk_bytes, char *why, size_t len);

#endif
