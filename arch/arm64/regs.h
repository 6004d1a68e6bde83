/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* arm64 facts that libbpf's bpf_tracing.h does not know. Where arguments sit
 * in registers (x0..x7 for kprobes; for syscall wrappers x0..x5, the first
 * read from orig_x0: see args_from_syscall_regs() in bpf/calls.bpf.h) is
 * libbpf's: PT_REGS_PARMn and PT_REGS_PARMn_CORE_SYSCALL. */
#ifndef ARGTRACE_ARCH_REGS_H
#define ARGTRACE_ARCH_REGS_H

/* Syscall wrappers are named __arm64_sys_<name> and take one struct pt_regs *.
 * fexit needs the name when the object is compiled; libbpf knows the prefix
 * only at attach time, and only for its own "ksyscall/" kprobes. */
#define ARGTRACE_SYSCALL(name) "__arm64_sys_" #name

/* clone(2)'s argument order on arm64 (CONFIG_CLONE_BACKWARDS):
 * (flags, newsp, parent_tid, tls, child_tid). Numbers are 1-based. */
#define ARGTRACE_CLONE_ARG_CHILD_TID 5
#define ARGTRACE_CLONE_ARG_TLS 4

/* arm64 has no fork or vfork syscall: the C library's fork() calls clone.
 * The number of the syscall a task is in is syscallno of its user registers. */
#define ARGTRACE_HAVE_FORK 0
#define ARGTRACE_SYSCALL_NR(regs) BPF_CORE_READ((regs), syscallno)

/* 32-bit (AArch32) tasks under CONFIG_COMPAT, with the arm EABI's numbers
 * (arch/arm64/include/asm/unistd32.h; arch/arm/tools/syscall.tbl since 6.11).
 * Their syscall table (compat_sys_call_table) points at the same
 * __arm64_sys_<name> wrappers as the native one wherever the arguments need
 * no conversion, clone, clone3, fork and vfork among them (fork and vfork
 * exist for them alone: __ARCH_WANT_SYS_FORK under CONFIG_COMPAT), and at
 * __arm64_compat_sys_<name> elsewhere: mmap2 is
 * __arm64_compat_sys_aarch32_mmap2 (its offset in 4096-byte units whatever
 * the page size). Each takes one struct pt_regs *, whose x0..x5 hold r0..r5
 * (the first also in orig_x0, as for native calls). The old mmap (90) is
 * OABI's only: sys_ni_syscall for EABI tasks, so not traced. clone's order
 * is arm's CLONE_BACKWARDS, the same as arm64's. */
#define ARGTRACE_HAVE_COMPAT 1
#define ARGTRACE_COMPAT_SYSCALL(name) "__arm64_sys_" #name
#define ARGTRACE_COMPAT_COMPAT_SYSCALL(name) "__arm64_compat_sys_" #name
/* The entries above serve both ABIs: each program keeps its own ABI's calls. */
#define ARGTRACE_COMPAT_SHARED_ENTRIES 1
#define ARGTRACE_COMPAT_CLONE_ARG_CHILD_TID 5
#define ARGTRACE_COMPAT_CLONE_ARG_TLS 4
#define ARGTRACE_COMPAT_NR_FORK 2
#define ARGTRACE_COMPAT_NR_CLONE 120
#define ARGTRACE_COMPAT_NR_VFORK 190
#define ARGTRACE_COMPAT_NR_MMAP2 192
#define ARGTRACE_COMPAT_NR_CLONE3 435
#define ARGTRACE_COMPAT_CLONE_ENTRY ARGTRACE_COMPAT_SYSCALL(clone)
#define ARGTRACE_COMPAT_MMAP2_ENTRY ARGTRACE_COMPAT_COMPAT_SYSCALL(aarch32_mmap2)

/* Whether the current task is in a 32-bit syscall: the AArch32 execution
 * state bit (PSR_MODE32_BIT) of the user registers it trapped with
 * (compat_user_mode()). */
#define ARGTRACE_PSR_MODE32_BIT 0x10
static __always_inline bool in_compat_syscall(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return BPF_CORE_READ(regs, pstate) & ARGTRACE_PSR_MODE32_BIT;
}

/* The six arguments of a 32-bit syscall from the task's user registers,
 * r0 from orig_x0 as for native calls (bpf/calls.bpf.h,
 * args_from_syscall_regs), each cut to its 32 bits. */
static __always_inline void args_from_compat_regs(__u64 *a, const struct pt_regs *regs)
{
	a[0] = (__u32)BPF_CORE_READ(regs, orig_x0);
	a[1] = (__u32)BPF_CORE_READ(regs, regs[1]);
	a[2] = (__u32)BPF_CORE_READ(regs, regs[2]);
	a[3] = (__u32)BPF_CORE_READ(regs, regs[3]);
	a[4] = (__u32)BPF_CORE_READ(regs, regs[4]);
	a[5] = (__u32)BPF_CORE_READ(regs, regs[5]);
}

#endif
