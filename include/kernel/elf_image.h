/* SPDX-License-Identifier: MIT */
/*
 * Checks a kernel image before kexec loads it (kernel/lib/elf_image.c: pure,
 * host-tested, fuzzed): an ELF64 x86-64 executable whose PT_LOADs lie inside
 * the file, with Xen's GUEST_OS note "minipv" and minipv's own note saying
 * which handoff version it speaks.  Everything in it is untrusted input.
 */
#ifndef KERNEL_ELF_IMAGE_H
#define KERNEL_ELF_IMAGE_H
#include <minipv/compiler.h>

#define ELF_IMAGE_MAX_LOADS 4
/* minipv's note: name "minipv", type 1, a u32 handoff version. */
#define MINIPV_NOTE_NAME   "minipv"
#define MINIPV_NOTE_HANDOFF 1

struct elf_image {
    uint64_t entry;
    uint64_t virt_base;             /* Xen's VIRT_BASE note, 0 if none */
    uint64_t lo, hi;                /* lowest and one past the highest PT_LOAD address */
    unsigned nr_load;
    struct { uint64_t vaddr, offset, filesz, memsz; } load[ELF_IMAGE_MAX_LOADS];
    uint32_t handoff_version;       /* 0: no minipv note */
    char guest_os[16];              /* Xen's GUEST_OS note, "" if none */
};

/* 0, or -1 with the reason in err (naming the bad field and value). */
int elf_image_parse(const void *buf, size_t size, struct elf_image *out, char *err, size_t errlen);

#endif
