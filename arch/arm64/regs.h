/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* arm64: where the kernel keeps function and syscall arguments in pt_regs.
 * Kept here, not taken from libbpf's bpf_tracing.h, so the kprobe path reads
 * the sixth argument the same way whichever libbpf headers are installed. */
#ifndef ARGTRACE_ARCH_REGS_H
#define ARGTRACE_ARCH_REGS_H

/* Syscall wrappers are named __arm64_sys_<name> and take one struct pt_regs *. */
#define ARGTRACE_SYSCALL(name) "__arm64_sys_" #name

/* The sixth argument of an ordinary kernel function, in a kprobe's context:
 * AAPCS64 passes arguments in x0..x7; BPF sees struct user_pt_regs. */
#define ARGTRACE_KPROBE_ARG6(ctx) (((const struct user_pt_regs *)(ctx))->regs[5])

/* The syscall ABI uses x0..x5 too. `regs` is the user pt_regs a wrapper gets. */
#define ARGTRACE_SYSCALL_ARG1(regs) BPF_CORE_READ((regs), regs[0])
#define ARGTRACE_SYSCALL_ARG2(regs) BPF_CORE_READ((regs), regs[1])
#define ARGTRACE_SYSCALL_ARG3(regs) BPF_CORE_READ((regs), regs[2])
#define ARGTRACE_SYSCALL_ARG4(regs) BPF_CORE_READ((regs), regs[3])
#define ARGTRACE_SYSCALL_ARG5(regs) BPF_CORE_READ((regs), regs[4])
#define ARGTRACE_SYSCALL_ARG6(regs) BPF_CORE_READ((regs), regs[5])

/* clone(2)'s argument order on arm64 (CONFIG_CLONE_BACKWARDS):
 * (flags, newsp, parent_tid, tls, child_tid). Numbers are 1-based. */
#define ARGTRACE_CLONE_ARG_CHILD_TID 5
#define ARGTRACE_CLONE_ARG_TLS 4

/* arm64 has no fork or vfork syscall: the C library's fork() calls clone. */
#define ARGTRACE_HAVE_FORK 0

#endif
