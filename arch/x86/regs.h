/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* x86_64 facts that libbpf's bpf_tracing.h does not know. Where arguments sit
 * in registers (the function ABI for kprobes, the syscall ABI with r10 for
 * syscall wrappers) is libbpf's: PT_REGS_PARMn and PT_REGS_PARMn_CORE_SYSCALL,
 * used in bpf/calls.bpf.h. */
#ifndef ARGTRACE_ARCH_REGS_H
#define ARGTRACE_ARCH_REGS_H

/* Syscall wrappers are named __x64_sys_<name> and take one struct pt_regs *.
 * fexit needs the name when the object is compiled; libbpf knows the prefix
 * only at attach time, and only for its own "ksyscall/" kprobes. */
#define ARGTRACE_SYSCALL(name) "__x64_sys_" #name

/* clone(2)'s argument order on x86_64 (no CLONE_BACKWARDS):
 * (flags, newsp, parent_tid, child_tid, tls). Numbers are 1-based. */
#define ARGTRACE_CLONE_ARG_CHILD_TID 4
#define ARGTRACE_CLONE_ARG_TLS 5

/* x86_64 still has the fork and vfork syscalls; the number of the syscall a
 * task is in is orig_ax of its user registers. */
#define ARGTRACE_HAVE_FORK 1
#define ARGTRACE_NR_FORK 57
#define ARGTRACE_NR_VFORK 58
#define ARGTRACE_SYSCALL_NR(regs) BPF_CORE_READ((regs), orig_ax)

/* 32-bit (i386) tasks under CONFIG_IA32_EMULATION. Their syscalls have their
 * own numbers and entries: __ia32_sys_<name> and __ia32_compat_sys_<name>,
 * each taking one struct pt_regs * whose ebx, ecx, edx, esi, edi, ebp hold
 * the arguments (arch/x86/include/asm/syscall_wrapper.h). clone's order is
 * (flags, newsp, parent_tid, tls, child_tid) there (CLONE_BACKWARDS). */
#define ARGTRACE_HAVE_COMPAT 1
#define ARGTRACE_COMPAT_SYSCALL(name) "__ia32_sys_" #name
#define ARGTRACE_COMPAT_COMPAT_SYSCALL(name) "__ia32_compat_sys_" #name
#define ARGTRACE_COMPAT_CLONE_ARG_CHILD_TID 5
#define ARGTRACE_COMPAT_CLONE_ARG_TLS 4
/* arch/x86/entry/syscalls/syscall_32.tbl */
#define ARGTRACE_COMPAT_NR_FORK 2
#define ARGTRACE_COMPAT_NR_MMAP 90 /* the old mmap: one pointer to six longs */
#define ARGTRACE_COMPAT_NR_CLONE 120
#define ARGTRACE_COMPAT_NR_VFORK 190
#define ARGTRACE_COMPAT_NR_MMAP2 192
#define ARGTRACE_COMPAT_NR_CLONE3 435
/* clone's entry, mmap2's, and the old mmap's (the struct of six longs). */
#define ARGTRACE_COMPAT_CLONE_ENTRY ARGTRACE_COMPAT_COMPAT_SYSCALL(ia32_clone)
#define ARGTRACE_COMPAT_MMAP2_ENTRY ARGTRACE_COMPAT_SYSCALL(mmap_pgoff)
#define ARGTRACE_COMPAT_OLD_MMAP_ENTRY ARGTRACE_COMPAT_COMPAT_SYSCALL(ia32_mmap)
/* Each entry above serves 32-bit tasks alone (but see in_native_syscall()
 * in bpf/calls.bpf.h for the wrappers without arguments). */
#define ARGTRACE_COMPAT_SHARED_ENTRIES 0
/* A 32-bit task's CLONE_SETTLS tls points to a struct user_desc. */
#define ARGTRACE_COMPAT_TLS_USER_DESC 1

/* Whether the current task is in a 32-bit syscall: TS_COMPAT in its
 * thread_info, set at every i386 entry before the sys_enter tracepoint and
 * cleared on the way back to user mode after sys_exit (in_ia32_syscall()). */
#define ARGTRACE_TS_COMPAT 0x0002
static __always_inline bool in_compat_syscall(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, thread_info.status) & ARGTRACE_TS_COMPAT;
}

/* The six arguments of a 32-bit syscall from the task's user registers,
 * zero-extended (the upper halves are not the caller's). */
static __always_inline void args_from_compat_regs(__u64 *a, const struct pt_regs *regs)
{
	a[0] = (__u32)BPF_CORE_READ(regs, bx);
	a[1] = (__u32)BPF_CORE_READ(regs, cx);
	a[2] = (__u32)BPF_CORE_READ(regs, dx);
	a[3] = (__u32)BPF_CORE_READ(regs, si);
	a[4] = (__u32)BPF_CORE_READ(regs, di);
	a[5] = (__u32)BPF_CORE_READ(regs, bp);
}

#endif
