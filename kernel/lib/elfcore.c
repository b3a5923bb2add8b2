/* SPDX-License-Identifier: MIT */
/* The ELF64 core a crash kernel writes (format: include/kernel/vmcore.h).  Pure. */
#include <kernel/vmcore.h>
#include <minipv/string.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1
#define PT_NOTE 4
#define ET_CORE 4
#define EM_X86_64 62
#define NT_PRSTATUS 1

static void ec_put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void ec_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void ec_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

size_t elfcore_header_size(unsigned nsegs)
{
    return EHDR_SIZE + (size_t)(nsegs + 1) * PHDR_SIZE;
}

static void phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                 uint64_t paddr, uint64_t size)
{
    ec_put32(p, type);
    ec_put32(p + 4, flags);
    ec_put64(p + 8, off);
    ec_put64(p + 16, vaddr);
    ec_put64(p + 24, paddr);
    ec_put64(p + 32, size);            /* filesz */
    ec_put64(p + 40, size);            /* memsz: the same, as Linux's vmcore */
    ec_put64(p + 48, type == PT_NOTE ? 4 : 1);
}

size_t elfcore_header(void *buf, size_t size, const struct elfcore_seg *segs, unsigned nsegs,
                      size_t notes_len)
{
    size_t hs = elfcore_header_size(nsegs);
    if (size < hs || nsegs > 0xfffe)
        return 0;
    uint8_t *b = buf;
    memset(b, 0, hs);
    memcpy(b, "\x7f" "ELF", 4);
    b[4] = 2;                       /* ELFCLASS64 */
    b[5] = 1;                       /* little-endian */
    b[6] = 1;                       /* EV_CURRENT */
    b[7] = 0;                       /* System V ABI, as Linux's cores */
    ec_put16(b + 16, ET_CORE);
    ec_put16(b + 18, EM_X86_64);
    ec_put32(b + 20, 1);
    ec_put64(b + 32, EHDR_SIZE);       /* e_phoff: bfd wants program headers in a core */
    ec_put16(b + 52, EHDR_SIZE);
    ec_put16(b + 54, PHDR_SIZE);
    ec_put16(b + 56, (uint16_t)(nsegs + 1));
    uint64_t off = hs;
    phdr(b + EHDR_SIZE, PT_NOTE, 4, off, 0, 0, notes_len);
    off += notes_len;
    for (unsigned i = 0; i < nsegs; i++) {
        phdr(b + EHDR_SIZE + (i + 1) * PHDR_SIZE, PT_LOAD, 7, off, segs[i].vaddr, segs[i].paddr,
             segs[i].size);
        off += segs[i].size;
    }
    return hs;
}

size_t elfcore_note(void *buf, const char *name, uint32_t type, const void *desc, size_t desc_len)
{
    size_t namesz = strlen(name) + 1;
    size_t total = 12 + ALIGN_UP(namesz, 4) + ALIGN_UP(desc_len, 4);
    if (!buf)
        return total;
    uint8_t *p = buf;
    memset(p, 0, total);
    ec_put32(p, (uint32_t)namesz);
    ec_put32(p + 4, (uint32_t)desc_len);
    ec_put32(p + 8, type);
    memcpy(p + 12, name, namesz);
    memcpy(p + 12 + ALIGN_UP(namesz, 4), desc, desc_len);
    return total;
}

size_t elfcore_prstatus(void *buf, uint32_t pid, int signo, const uint64_t regs[ELFCORE_NREGS])
{
    /*
     * struct elf_prstatus (Linux x86-64, include/uapi/linux/elfcore.h): bfd's
     * elf_x86_64_grok_prstatus takes descsz 336, the lwp id at 32 and the
     * registers (user_regs_struct) at 112 for 216 bytes.
     */
    uint8_t d[ELFCORE_PRSTATUS_SIZE];
    memset(d, 0, sizeof(d));
    ec_put32(d, (uint32_t)signo);      /* pr_info.si_signo */
    ec_put16(d + 12, (uint16_t)signo); /* pr_cursig */
    ec_put32(d + 32, pid);             /* pr_pid */
    ec_put32(d + 36, pid);             /* pr_ppid: gdb does not care */
    for (unsigned i = 0; i < ELFCORE_NREGS; i++)
        ec_put64(d + 112 + i * 8, regs[i]);
    return elfcore_note(buf, "CORE", NT_PRSTATUS, d, sizeof(d));
}
