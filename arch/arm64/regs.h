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

/* arm64 has no fork or vfork syscall: the C library's fork() calls clone. */
#define ARGTRACE_HAVE_FORK 0

/* 32-bit (AArch32) tasks are not traced by clone and mmap here yet: their
 * entries are __arm64_compat_sys_* and the shared __arm64_sys_* wrappers. */
#define ARGTRACE_HAVE_COMPAT 0

#endif
