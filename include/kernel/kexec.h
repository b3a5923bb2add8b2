/* SPDX-License-Identifier: MIT */
/*
 * kexec and kdump inside a PV guest: the jump in kernel/kexec/ (region,
 * plan, arrival), the crash path and the dump in kernel/crash/ above it.
 * The design, and why (the README has the long version, docs/xen-kexec.md
 * the Xen rules; each rule is also written next to the hypercall that obeys it):
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
 * The plan out (kernel/kexec/jump.c; kdump joins it at step 3 from the
 * crash path, which has stopped the others by NMI itself):
 *   1  kexec_start: refuse bad input (not armed, not an online cpu, a line
 *      too long, a jump under way) with a message, nothing changed
 *   2  on the jumping cpu, events masked: life_quiesce(LIFE_KEXEC) walks
 *      the participants (include/kernel/life.h): xenstore stops at a
 *      message boundary, ..., the vCPUs last: every other cpu parks
 *      -- THE POINT OF NO RETURN: from here the old kernel does not go on --
 *   3  kexec_jump: every other vCPU down in Xen, or downed by force and LOST
 *   4  life_write: each participant writes its handoff record (vCPU states
 *      and APIC IDs, memory, console, xenstore, result, crash registers);
 *      the timers and event participants stop what Xen writes into us
 *   5  encode the handoff into the window
 *   6  through the trampoline: MMUEXT_NEW_BASEPTR to the new tables, jump
 *      to the new entry with the handoff
 * The arrival (kernel/kexec/boot.c), on the same vCPU (its cpu 0), mirrors it:
 *   1  kexec_intake: decode (a bad handoff stops the domain); life_read
 *   2  kexec_sweep_old_state: close the old kernel's event channels
 *   3  kexec_prepare_cpus: adopt vcpu_infos, LOST/offline states, mailboxes
 *   4  (smp_bringup ups the parked vCPUs: each leaves the old cpu_park
 *      through its mailbox into ap_main)
 *   5  kexec_boot_finish: wait for the arrivals, unpin the old tables,
 *      report, take the old memory, life_resume(LIFE_NEW_KERNEL)
 * The new kernel trusts nothing it finds:
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
 * tables and memory (a crash kernel keeps it for the dump), report the
 * generation.  Nothing on a first boot.
 */
void kexec_boot_finish(void);
/* Arm the region for the next jump (kexec_arm_jump: kexec alone; kdump_arm: kdump too). */
bool kexec_arm_jump(void);
void kdump_arm(void);

bool kexec_armed(void);

/* kdump (kernel/crash/crash.c, vmcore.c) */
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
/* Crash logical cpu on purpose (drills): a pinned thread panics, faults or hangs, or an NMI. */
#define KDUMP_HOWS(X) X(KDUMP_PANIC, "panic") X(KDUMP_PF, "pf") X(KDUMP_DE, "de") \
    X(KDUMP_HANG, "hang") X(KDUMP_NMI, "nmi")
#define KDUMP_ENUM_(id, name) id,
enum kdump_how { KDUMP_HOWS(KDUMP_ENUM_) KDUMP_NR_HOWS };
extern const char *const kdump_how_names[];     /* by enum kdump_how, NULL-terminated */
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
/*
 * Plan steps 3-6 (kdump's way in, from the crash path with the others
 * stopped): past the point of no return, never returns.  kind: enum handoff_kind.
 */
void __noreturn kexec_jump(uint32_t kind, const char *reason);
/*
 * Past the point of no return (a planned jump's stop, or kdump's step 5):
 * this kernel acts on no NMI any more (it would crash over the jump).
 */
bool kexec_past_return(void);
/* The new kernel filled vcpu's mailbox: count an NMI there for it to report (true), else false. */
bool kexec_mark_nmi(unsigned vcpu);
/*
 * The reason a crash kernel's kdump_then=kexec hands on names the crash
 * ("after a dump: REASON at RIP"): a crash in the next generation with the
 * same signature is a crash loop (kernel/crash/crash.c).
 */
void kexec_crash_sig(char *buf, size_t n, const char *reason, uint64_t rip);

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
