/* SPDX-License-Identifier: MIT */
/* ELF checks of a kexec image (include/kernel/elf_image.h).  Pure. */
#include <kernel/elf_image.h>
#include <kernel/format.h>
#include <minipv/string.h>
#include <minipv/escape.h>

/* The few ELF64 structures we need (System V gABI): no libc headers in the kernel. */
struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1
#define PT_NOTE 4
#define ET_EXEC 2
#define EM_X86_64 62
#define XEN_NOTE_GUEST_OS 6
#define XEN_NOTE_VIRT_BASE 3

static int bad(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(err, errlen, "image: ");
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static void read_notes(const uint8_t *p, uint64_t len, struct elf_image *out)
{
    uint64_t at = 0;
    while (len - at >= 12 && at <= len) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p + at, 4);
        memcpy(&descsz, p + at + 4, 4);
        memcpy(&type, p + at + 8, 4);
        uint64_t name = at + 12, desc = name + ALIGN_UP((uint64_t)namesz, 4);
        uint64_t next = desc + ALIGN_UP((uint64_t)descsz, 4);
        if (namesz > len || descsz > len || next > len)
            return;                         /* a cut note ends the list */
        const char *nm = (const char *)p + name;
        if (namesz == 4 && !memcmp(nm, "Xen", 4)) {
            if (type == XEN_NOTE_GUEST_OS) {
                size_t n = MIN((size_t)descsz, sizeof(out->guest_os) - 1);
                memcpy(out->guest_os, p + desc, n);
                out->guest_os[n] = 0;       /* as the image says: escaped when shown */
            } else if (type == XEN_NOTE_VIRT_BASE && descsz == 8) {
                memcpy(&out->virt_base, p + desc, 8);
            }
        } else if (namesz == sizeof(MINIPV_NOTE_NAME) && !memcmp(nm, MINIPV_NOTE_NAME, namesz) &&
                   type == MINIPV_NOTE_HANDOFF && descsz == 4) {
            memcpy(&out->handoff_version, p + desc, 4);
        }
        at = next;
    }
}

int elf_image_parse(const void *buf, size_t size, struct elf_image *out, char *err, size_t errlen)
{
    const uint8_t *b = buf;
    memset(out, 0, sizeof(*out));
    struct ehdr e;
    if (size < sizeof(e))
        return bad(err, errlen, "%zu bytes, not even an ELF header", size);
    memcpy(&e, b, sizeof(e));
    if (memcmp(e.ident, "\x7f" "ELF", 4))
        return bad(err, errlen, "not ELF (magic %02x %02x %02x %02x)", e.ident[0], e.ident[1],
                   e.ident[2], e.ident[3]);
    if (e.ident[4] != 2 || e.ident[5] != 1)
        return bad(err, errlen, "class %u data %u, want ELF64 little-endian (2 1)", e.ident[4],
                   e.ident[5]);
    if (e.machine != EM_X86_64 || e.type != ET_EXEC)
        return bad(err, errlen, "machine %u type %u, want x86-64 (62) executable (2)", e.machine,
                   e.type);
    if (e.phentsize != sizeof(struct phdr) || e.phnum == 0 || e.phnum > 64 ||
        !in_file(e.phoff, (uint64_t)e.phnum * sizeof(struct phdr), size))
        return bad(err, errlen, "program headers (offset %llu, %u of %u bytes) outside the file",
                   (unsigned long long)e.phoff, e.phnum, e.phentsize);
    out->entry = e.entry;
    out->lo = UINT64_MAX;
    for (unsigned i = 0; i < e.phnum; i++) {
        struct phdr ph;
        memcpy(&ph, b + e.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type == PT_NOTE) {
            if (!in_file(ph.offset, ph.filesz, size))
                return bad(err, errlen, "note segment %u (offset %llu, %llu bytes) outside the file",
                           i, (unsigned long long)ph.offset, (unsigned long long)ph.filesz);
            read_notes(b + ph.offset, ph.filesz, out);
            continue;
        }
        if (ph.type != PT_LOAD)
            continue;
        if (out->nr_load == ELF_IMAGE_MAX_LOADS)
            return bad(err, errlen, "more than %u loadable segments", ELF_IMAGE_MAX_LOADS);
        if (!in_file(ph.offset, ph.filesz, size) || ph.filesz > ph.memsz ||
            ph.vaddr + ph.memsz < ph.vaddr)
            return bad(err, errlen, "segment %u (offset %llu, %llu of %llu bytes at %#llx) "
                       "outside the file or wrapping", i, (unsigned long long)ph.offset,
                       (unsigned long long)ph.filesz, (unsigned long long)ph.memsz,
                       (unsigned long long)ph.vaddr);
        out->load[out->nr_load].vaddr = ph.vaddr;
        out->load[out->nr_load].offset = ph.offset;
        out->load[out->nr_load].filesz = ph.filesz;
        out->load[out->nr_load].memsz = ph.memsz;
        out->nr_load++;
        out->lo = MIN(out->lo, ph.vaddr);
        out->hi = MAX(out->hi, ph.vaddr + ph.memsz);
    }
    if (!out->nr_load)
        return bad(err, errlen, "no loadable segment");
    if (out->entry < out->lo || out->entry >= out->hi)
        return bad(err, errlen, "entry %#llx outside its segments %#llx-%#llx",
                   (unsigned long long)out->entry, (unsigned long long)out->lo,
                   (unsigned long long)out->hi);
    if (strcmp(out->guest_os, "minipv")) {
        char shown[sizeof(out->guest_os) * ESC_BYTE_MAX + 1];
        size_t n = 0;
        for (size_t k = 0; out->guest_os[k]; k++)
            n += esc_byte(shown + n, (unsigned char)out->guest_os[k]);
        shown[n] = 0;
        return bad(err, errlen, "Xen GUEST_OS note '%s', want 'minipv'", shown);
    }
    if (!out->handoff_version)
        return bad(err, errlen, "no minipv handoff note: a minipv too old for kexec");
    return 0;
}
