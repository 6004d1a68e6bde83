/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* x86_64: where the kernel keeps function and syscall arguments in pt_regs.
 * Kept here, not taken from libbpf's bpf_tracing.h, so the kprobe path reads
 * the sixth argument the same way whichever libbpf headers are installed. */
#ifndef ARGTRACE_ARCH_REGS_H
#define ARGTRACE_ARCH_REGS_H

/* Syscall wrappers are named __x64_sys_<name> and take one struct pt_regs *. */
#define ARGTRACE_SYSCALL(name) "__x64_sys_" #name

/* The sixth argument of an ordinary kernel function, in a kprobe's context
 * (System V ABI: rdi, rsi, rdx, rcx, r8, r9). */
#define ARGTRACE_KPROBE_ARG6(ctx) (((const struct pt_regs *)(ctx))->r9)

/* The syscall ABI passes arguments in rdi, rsi, rdx, r10, r8, r9: the fourth
 * differs from the function ABI. `regs` is the user pt_regs a wrapper gets. */
#define ARGTRACE_SYSCALL_ARG1(regs) BPF_CORE_READ((regs), di)
#define ARGTRACE_SYSCALL_ARG2(regs) BPF_CORE_READ((regs), si)
#define ARGTRACE_SYSCALL_ARG3(regs) BPF_CORE_READ((regs), dx)
#define ARGTRACE_SYSCALL_ARG4(regs) BPF_CORE_READ((regs), r10)
#define ARGTRACE_SYSCALL_ARG5(regs) BPF_CORE_READ((regs), r8)
#define ARGTRACE_SYSCALL_ARG6(regs) BPF_CORE_READ((regs), r9)

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

#endif
