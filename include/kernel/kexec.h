/* SPDX-License-Identifier: MIT */
/*
 * kexec and kdump inside a PV guest (kernel/kexec/).  The design, and why
 * (the Xen rules are in docs/xen-kexec.md; the README
 * has the long version):
 *
 * Xen never lets a PV guest give an initialised vCPU a fresh context
 * (VCPUOP_initialise is -EEXIST forever), so a vCPU can only come over to a
 * new kernel by resuming code that is still mapped and switching itself.
 * At boot the kernel arms a region (crashkernel=): it loads the new image
 * there and builds, like Xen's domain builder, the new kernel's start_info,
 * p2m and first page tables, pinned, plus a window mapped at the same
 * address in both page tables: the trampoline page, one mailbox per vCPU
 * and the handoff.  The region is read-only to us from then on, but for the
 * window's data pages.
 *
 * The jump (kexec_start, on the cpu that jumps; later kdump from a crash):
 *   1  refuse bad input; quiesce xenstore at a message boundary
 *   2  stop every other cpu: it parks (cpu_park) and stays there
 *      -- the point of no return: from here the old kernel does not go on --
 *   3  a cpu that did not stop in time is downed by force and LOST
 *   4  record each vCPU's state, vcpu_info, APIC ID in the handoff
 *   5  drop every vCPU's runstate/time area, stop every periodic timer
 *   6  through the trampoline: MMUEXT_NEW_BASEPTR to the new tables, jump
 *      to the new entry with the handoff
 * The new kernel, on the same vCPU (its cpu 0), trusts nothing it finds:
 * it closes every event channel but the console's and xenstore's (walking
 * EVTCHNOP_status), drops every runstate/time area, stops timers, takes over
 * each vCPU's traps/callbacks/stack/LDT/GDT and clears its NMI latch in
 * cpu_bringup, reuses each vcpu_info where it was registered, resets its
 * xenstore watches, fills the mailboxes and VCPUOP_ups the parked vCPUs:
 * each resumes in the old cpu_park, sees its mailbox (park_resume_hook),
 * and goes through the trampoline into the new kernel's ap_main.  Once all
 * have arrived it unpins the old page tables and takes the old memory.
 */
#ifndef KERNEL_KEXEC_H
#define KERNEL_KEXEC_H
#include <minipv/compiler.h>

struct start_info;
struct handoff;

/*
 * Early in kernel_start: ho_va/magic are %rdi/%rdx at the entry.  NULL on a
 * first boot (magic is 0 then); the decoded handoff after a jump.  A handoff
 * that does not decode stops the domain with the reason (nothing else is
 * safe: we would not even know which vCPU we are).
 */
const struct handoff *kexec_intake(const struct start_info *si, uint64_t ho_va, uint64_t magic);
/* After mm and events: close what the old kernel left bound, drop its areas. */
void kexec_sweep_old_state(void);
/* The vCPUs the old kernel ran (a bitmap by vcpu id for cpu_map_init), NULL on a first boot. */
const unsigned long *kexec_must_use(void);
/* After the cpu map: adopt vcpu_infos, LOST/offline states, the mailboxes of the parked vCPUs. */
void kexec_prepare_cpus(void);
/*
 * After smp_bringup: wait for the old vCPUs to arrive, release the old page
 * tables and memory, report the generation, then arm the region for the
 * next jump (also on a first boot).
 */
void kexec_boot_finish(void);

bool kexec_armed(void);

/* kdump (kernel/kexec/crash.c, vmcore.c) */
/* The watchdog (watchdog_s=): started once the cpus are up. */
void kdump_start_watchdog(void);
/* This kernel is a crash kernel (its handoff says crash). */
bool kdump_is_crash_kernel(void);
/* In a crash kernel whose suite is not "crash": write the vmcore, then kdump_then=. */
void kdump_crash_kernel(const char *suite);
/* Write the vmcore as vmcore= says (a crash kernel only). */
void kdump_write_vmcore(void);
/* kdump_then=kexec and it can be done: a fresh kernel follows the dump (not with a vCPU LOST). */
bool kdump_then_kexec(void);
/* What kdump_then= says: never returns. */
void __noreturn kdump_then(void);
/* The old kernel is on its crash path (another cpu crashed). */
bool kdump_crashing(void);
/* Test aid: runs in every NMI not taken by a crash (tests/guest/crash.c). */
struct cpu_regs;
struct percpu;
extern void (*kdump_nmi_test_hook)(struct percpu *pc, struct cpu_regs *r);
/* Test aid: runs on the crash path of the crashing cpu, right after it took the crash. */
extern void (*kdump_path_test_hook)(void);
/* Crash logical cpu on purpose (drills): a pinned thread panics, faults or hangs, or an NMI. */
enum kdump_how { KDUMP_PANIC, KDUMP_PF, KDUMP_DE, KDUMP_HANG, KDUMP_NMI };
extern const char *const kdump_how_names[];
int kdump_crash_on(unsigned cpu, int how, const char *who);
/* Bytes and time of the last vmcore written (bench). */
extern uint64_t kdump_vmcore_bytes, kdump_vmcore_ns;
/* This kernel's generation: 0 after a boot from Xen, then 1, 2, ... */
unsigned kexec_generation(void);
/*
 * Jump from logical cpu `cpu` (planned kexec).  Returns a negative errno
 * with a message and nothing changed (not armed, bad cpu, already under
 * way), or 0 when the jump is under way on that cpu (the caller is then
 * stopped with the rest of the old kernel).  cmdline: the new kernel's
 * command line (NULL: ours).
 */
int kexec_start(unsigned cpu, const char *cmdline, const char *who);
/* The jump in progress (or done): a second kexec_start is refused. */
bool kexec_in_progress(void);

/* What the test suite and the bench carry across generations (handoff TEST record). */
struct kexec_carry {
    uint32_t result;            /* enum test_result so far */
    uint32_t failed;            /* checks failed in earlier generations */
    uint64_t first_free_pages;  /* free pages of generation 1, once it had reclaimed */
    uint64_t free_now;          /* ours at the same point */
    uint64_t jump_ns;           /* the last jump: jump -> last ONLINE */
    uint32_t back, of;          /* vCPUs back online, of those online at the jump */
    uint32_t crashes;           /* crash kernels since the boot from Xen */
};
const struct kexec_carry *kexec_carried(void);
/* The handoff this kernel was started with (NULL on a first boot). */
const struct handoff *kexec_handoff(void);
void kexec_carry(uint32_t failed);

#endif
