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

#endif
