/* SPDX-License-Identifier: MIT */
/*
 * The kexec/kdump handoff: what an old kernel tells the new one it jumps
 * into (kernel/lib/handoff.c: pure, host-tested, fuzzed).
 *
 * Wire format (little-endian, all of it in the handoff pages of the region):
 *
 *   header  32 bytes   magic "MINIPVHO", u32 version (HANDOFF_VERSION), u32 total
 *                      length, u32 crc32 of bytes [32, total), u32 header length
 *                      (32), u32 record count, u32 reserved (0)
 *   record  8 + len    u16 type, u16 record version, u32 len, then len bytes of
 *                      payload, padded with zeros to a multiple of 8
 *
 * Compatibility: `version` changes only when an old reader could not make
 * sense of the records any more.  Within a version a writer may add record
 * types (an unknown type is skipped, and counted) and grow a record (fields
 * are only ever appended; a reader takes the fields it knows, and fields an
 * older writer did not send read as zero).  So a later minipv reads an
 * earlier one's handoff, and an earlier one a later one's.  A handoff is
 * refused, with the reason in words, when the magic, version, length or
 * checksum is wrong, a record runs past the end, a record the reader needs
 * is missing or shorter than its first version, or a value is out of range.
 */
#ifndef KERNEL_HANDOFF_H
#define KERNEL_HANDOFF_H
#include <minipv/compiler.h>

#define HANDOFF_MAGIC      "MINIPVHO"
#define HANDOFF_VERSION    1
#define HANDOFF_MAX_VCPUS  4096         /* = MAX_VCPU_ID */
#define HANDOFF_MAX_P2M    1024         /* p2m frames: 512 Ki pages, 2 GiB */
#define HANDOFF_CMDLINE    1024
#define HANDOFF_REASON     96
#define HANDOFF_MAX_REGS   NR_CPUS      /* saved register sets (kdump): one per logical cpu */
#define HANDOFF_NREGS      27           /* struct user_regs_struct (Linux x86-64), in its order */

enum handoff_kind { HANDOFF_KEXEC = 1, HANDOFF_CRASH = 2 };
#define HANDOFF_REGS_CRASHED 1      /* the vCPU that crashed */
#define HANDOFF_REGS_NMI     2      /* taken in its NMI handler (the stop) */

/* What the old kernel knew of each vCPU, by Xen vcpu id.  Names: the same list. */
#define HO_VCPU_STATES(X)                                                               \
    X(HO_VCPU_FREE, "free")         /* never VCPUOP_initialise'd: start it as at first boot */ \
    X(HO_VCPU_PARKED, "parked")     /* was online, now parked: it resumes into the new kernel */ \
    X(HO_VCPU_OFFLINE, "offline")   /* initialised, offline (hotplug): comes, stays offline */ \
    X(HO_VCPU_LOST, "lost")         /* did not stop in time: never resume it */
#define HO_ENUM_(id, name) id,
enum handoff_vcpu_state { HO_VCPU_STATES(HO_ENUM_) HO_VCPU_NR_STATES };

/*
 * Every field of every record, defined once.  Each list names the record's
 * fields in wire order; the struct members, encode, decode, the sizes and
 * the size/offset asserts (kernel/lib/handoff.c) all come from it.  Adding
 * a field = one line here, appended at the end of its record (+ its use).
 *   F(type, name)       an integer, its size on the wire is sizeof(type)
 *   A(type, name, n)    n of them, as bytes
 *   S(name, n)          a string of at most n - 1 bytes, NUL-padded
 *   P(n)                n zero bytes on the wire, no member
 * FIRST is the length of a record's first version: shorter is refused; a
 * longer one is cut to what we know; fields an older writer did not send
 * read as zero.
 */
#define HO_REC_GEN(F, A, S, P)                                                          \
    F(uint32_t, kind)               /* enum handoff_kind */                             \
    F(uint32_t, generation)         /* of the new kernel: 1 is a first boot's first jump */ \
    F(uint32_t, jump_vcpu)          /* the vCPU that jumps: the new kernel's cpu 0 */   \
    F(uint32_t, jump_cpu)           /* its logical cpu in the old kernel */             \
    F(uint64_t, jump_time_ns)       /* Xen system time of the jump */                   \
    F(uint64_t, time_offset)        /* our clock is Xen's minus this (suspends' downtime) */
#define HO_FIRST_GEN 24
#define HO_REC_DOMAIN(F, A, S, P)                                                       \
    F(uint64_t, shared_info_maddr)                                                      \
    F(uint64_t, console_mfn)        /* 0 on dom0 (CONSOLEIO_write) */                   \
    F(uint32_t, console_port)                                                           \
    F(uint32_t, store_port)                                                             \
    F(uint64_t, store_mfn)          /* 0: no xenstore (dom0) */
#define HO_FIRST_DOMAIN 32
#define HO_REC_MEMORY(F, A, S, P)                                                       \
    F(uint64_t, nr_pages)           /* the new kernel's pfns: every frame of the domain */ \
    F(uint64_t, usable_pages)       /* pfns below this are its own from the start (the region) */ \
    F(uint64_t, old_l4_mfn)         /* the old page tables: unpin once nobody runs on them */ \
    F(uint64_t, old_nr_pages)       /* the old kernel's pfns */                         \
    F(uint64_t, old_first_free_pfn)                                                     \
    F(uint64_t, old_bitmap_pfn)     /* its page allocator's bitmap (1 = used), for the dump */ \
    F(uint64_t, old_bitmap_end)     /* pfns the bitmap covers */                        \
    F(uint64_t, old_region_pfn)     /* its region (our own memory now: not in the dump) */ \
    F(uint64_t, old_region_pages)
#define HO_FIRST_MEMORY 40
/* XENSTORE: where the old kernel left the ring's message streams. */
#define HO_REC_XENSTORE(F, A, S, P)                                                     \
    F(uint32_t, xs_rx_have)         /* bytes of a reply/event already taken (0: at a boundary) */ \
    F(uint32_t, xs_req_left)        /* bytes of a request it had not written yet */     \
    F(uint32_t, xs_next_req)        /* its next request id: ours start past it */       \
    P(4)                                                                                \
    A(uint8_t, xs_rx_hdr, 16)       /* the header bytes among them */
#define HO_FIRST_XENSTORE 32
/* STATS: carried across generations, for the leak check. */
#define HO_REC_STATS(F, A, S, P)                                                        \
    F(uint64_t, first_free_pages)   /* generation 1's free pages once it had reclaimed */ \
    F(uint64_t, prev_free_pages)    /* the old kernel's free pages at the jump */
#define HO_FIRST_STATS 16
#define HO_REC_CRASH(F, A, S, P)                                                        \
    S(reason, HANDOFF_REASON)       /* v1 is the reason alone */                        \
    F(uint64_t, crash_time_ns)      /* Xen time the crash path began (the bench) */
#define HO_FIRST_CRASH 0
/* TEST: a run's result carried across generations (status only gets worse). */
#define HO_REC_TEST(F, A, S, P)                                                         \
    F(uint32_t, test_result)                                                            \
    F(uint32_t, test_failed)                                                            \
    F(uint32_t, crashes)            /* crash kernels since the boot from Xen (kdump_max=) */ \
    P(4)
#define HO_FIRST_TEST 8

/* Entries of the array records (u32 count, 4 zero bytes, then the entries). */
#define HO_ENTRY_VCPU(F, A, S, P)                                                       \
    F(uint8_t, state)               /* enum handoff_vcpu_state */                       \
    F(uint8_t, park_why)            /* the old kernel's enum park_why */                \
    F(uint16_t, old_cpu)            /* its logical cpu in the old kernel (0xffff: none) */ \
    F(uint32_t, apic_id)            /* the APIC ID the old kernel gave it */            \
    F(uint64_t, vcpu_info_maddr)    /* registered vcpu_info, 0 = never registered */
#define HO_ENTRY_REGS(F, A, S, P)                                                       \
    F(uint32_t, vcpu)                                                                   \
    F(uint32_t, flags)              /* HANDOFF_REGS_* */                                \
    A(uint64_t, r, HANDOFF_NREGS)

#define HO_MEMBER_F(t, n) t n;
#define HO_MEMBER_A(t, n, k) t n[k];
#define HO_MEMBER_S(n, k) char n[k];
#define HO_MEMBER_P(k)
#define HO_MEMBERS(list) list(HO_MEMBER_F, HO_MEMBER_A, HO_MEMBER_S, HO_MEMBER_P)

struct handoff_vcpu { HO_MEMBERS(HO_ENTRY_VCPU) };
struct handoff_regs { HO_MEMBERS(HO_ENTRY_REGS) };

struct handoff {
    HO_MEMBERS(HO_REC_GEN)
    HO_MEMBERS(HO_REC_DOMAIN)
    /* VCPUS */
    uint32_t nr_vcpus;
    struct handoff_vcpu vcpu[HANDOFF_MAX_VCPUS];
    HO_MEMBERS(HO_REC_MEMORY)
    /* OLD_P2M: the frames of the old kernel's pfn -> mfn array, for the dump */
    uint32_t nr_old_p2m;
    uint64_t old_p2m[HANDOFF_MAX_P2M];
    /* CMDLINE: the new kernel's command line */
    char cmdline[HANDOFF_CMDLINE];
    HO_MEMBERS(HO_REC_XENSTORE)
    HO_MEMBERS(HO_REC_STATS)
    HO_MEMBERS(HO_REC_TEST)
    HO_MEMBERS(HO_REC_CRASH)
    /* REGS (kdump): each stopped vCPU's registers, the crashed one first */
    uint32_t nr_regs;
    struct handoff_regs regs[HANDOFF_MAX_REGS];
    /* How many records the reader skipped (unknown types): set by the decoder. */
    uint32_t skipped_records;
};

/* Bytes encode needs at most for h (nr_vcpus and nr_old_p2m decide). */
size_t handoff_size(const struct handoff *h);
/* Encode h into buf; the length, or 0 (with err) if it does not fit or a value is out of range. */
size_t handoff_encode(const struct handoff *h, void *buf, size_t size, char *err, size_t errlen);
/* Decode buf[0..size); 0, or -1 with the reason in err.  *h is all zero first. */
int handoff_decode(const void *buf, size_t size, struct handoff *h, char *err, size_t errlen);
/* Bit-wise CRC-32 (IEEE), also used for the vmcore stream. */
uint32_t handoff_crc32(uint32_t crc, const void *p, size_t n);
const char *handoff_vcpu_state_name(unsigned s);

#endif
