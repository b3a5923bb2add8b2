/* SPDX-License-Identifier: MIT */
/*
 * Boot entry and Xen ELF notes.  Xen's PV loader reads the notes, maps the
 * image at VIRT_BASE and jumps to ENTRY with %rsi = start_info, on a
 * bootstrap stack inside the initial mapping.  We leave that stack at once
 * so the pages after the bootstrap page tables are free to reuse.
 */
#include <xen/elfnote.h>
#include <xen/features.h>
#include <arch/layout.h>

#define ELFNOTE(type, desc)                 \
    .balign 4;                              \
    .long 2f - 1f;                          \
    .long 4f - 3f;                          \
    .long type;                             \
1:  .asciz "Xen";                           \
2:  .balign 4;                              \
3:  desc;                                   \
4:  .balign 4;

    .section .note.xen, "a", @note
    ELFNOTE(XEN_ELFNOTE_GUEST_OS,      .asciz "minipv")
    ELFNOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz "0.1")
    ELFNOTE(XEN_ELFNOTE_XEN_VERSION,   .asciz "xen-3.0")
    ELFNOTE(XEN_ELFNOTE_VIRT_BASE,     .quad KERNEL_VIRT_BASE)
    ELFNOTE(XEN_ELFNOTE_PADDR_OFFSET,  .quad 0)
    ELFNOTE(XEN_ELFNOTE_ENTRY,         .quad _start)
    ELFNOTE(XEN_ELFNOTE_FEATURES,      .asciz "!writable_page_tables|pae_pgdir_above_4gb")
    /* dom0 must be declared or Xen refuses to build us as the hardware domain. */
    ELFNOTE(XEN_ELFNOTE_SUPPORTED_FEATURES, .long (1 << XENFEAT_dom0))
    ELFNOTE(XEN_ELFNOTE_LOADER,        .asciz "generic")
    ELFNOTE(XEN_ELFNOTE_PAE_MODE,      .asciz "yes")

    /* minipv's own note (Xen's loader skips notes not named "Xen"): the handoff version. */
    .section .note.minipv, "a", @note
    .balign 4
    .long 7, 4, 1                       /* namesz "minipv\0", descsz, type MINIPV_NOTE_HANDOFF */
    .asciz "minipv"
    .balign 4
    .long 1                             /* HANDOFF_VERSION (include/kernel/handoff.h) */

    .section .text.entry, "ax", @progbits
    .globl _start
_start:
    /*
     * From Xen: %rsi = start_info, the rest 0.  After a kexec jump also
     * %rdi = the handoff, %rdx = KEXEC_ENTRY_MAGIC (kernel/kexec).
     */
    cld
    mov     %rsi, %r12
    mov     %rdi, %r13
    mov     %rdx, %r14
    /* .data as the loader left it, before any C runs (kexec rebuilds this image from it). */
    lea     __data_start(%rip), %rsi
    lea     __data_snapshot(%rip), %rdi
    lea     __data_end(%rip), %rcx
    sub     %rsi, %rcx
    rep movsb
    lea     boot_stack_top(%rip), %rsp
    xor     %ebp, %ebp              /* terminates backtraces */
    mov     %r12, %rdi              /* start_info_t * */
    mov     %r13, %rsi              /* handoff (kexec) */
    mov     %r14, %rdx              /* magic (kexec) */
    call    kernel_start            /* the one call up out of arch: the boot itself */
    ud2

    .section .bss.stack, "aw", @nobits
    .balign 4096
    .skip 16384
    .globl boot_stack_top
boot_stack_top:
