// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace clone: process and thread creation through clone, clone3, fork and
 * vfork, with the arguments in the architecture's own order (arch/<arch>/regs.h)
 * and clone3's struct clone_args read from user memory.
 * fentry mode: fexit on the syscall wrappers (arguments and result together).
 * kprobe mode: kprobe + kretprobe on the wrappers, paired per thread.
 * tracepoint mode: syscalls:sys_enter_* + sys_exit_*. The child's own return
 * (0) has no entry record in its thread and is not reported.
 * 32-bit tasks (i386, AArch32): their entries in fentry and kprobe mode (on
 * arm64 mostly the native wrappers, each program keeping its own ABI's calls),
 * the raw sys_enter/sys_exit tracepoints in tracepoint mode (bpf/calls.bpf.h). */
#define ARGTRACE_RECORD struct clone_event
/* Only the arguments each syscall has (save_entry below). */
#define ARGTRACE_ENTRY struct argtrace_args
#include "calls.bpf.h"

struct clone_event _clone_event = {};
enum argtrace_clone_syscall _argtrace_clone_syscall = 0;
enum argtrace_event_abi _argtrace_event_abi = 0;

/* A summary row per syscall: enum argtrace_clone_syscall. */
static __always_inline __u32 summary_row(__u32 how)
{
	return ARGTRACE_HOW_CALL(how);
}

/* How many arguments the call `how` has (clone: 5, clone3: 2, fork: 0). Only
 * those are read: a syscall tracepoint's record ends after them, and the
 * kernel refuses to attach a program that reads past it (EACCES). */
static __always_inline void save_entry(struct argtrace_args *in, void *ctx, __u32 how,
				       const struct argtrace_args *a)
{
	__u32 call = ARGTRACE_HOW_CALL(how);
	int n = call == CLONE_SYS_CLONE ? 5 : call == CLONE_SYS_CLONE3 ? 2 : 0;

	for (int i = 0; i < 6; i++)
		in->arg[i] = i < n ? a->arg[i] : 0;
}

#define ARGTRACE_CLONE_SETTLS 0x00080000

/* Reads a 32-bit value the kernel wrote to user memory; 1 when not read. */
static __always_inline __s32 read_back(__s32 *value, __u64 addr)
{
	if (!addr)
		return 1;
	return bpf_probe_read_user(value, sizeof(*value), (void *)addr);
}

/* What the kernel wrote back for the parent (strace's "parent_tid=[N]" and
 * "=> {pidfd=[N], parent_tid=[N]}"): read whatever pointer was given, and let
 * user space print it only where the flags made the kernel write it, so the
 * CLONE_* bits are spelled in one place (src/decode/process.rs). The child's
 * own return (0) and failures read nothing, as strace does. */
static __always_inline void read_written_back(struct clone_event *e, long ret)
{
	e->parent_tid_err = 1;
	e->pidfd_err = 1;
	if (ret <= 0)
		return;
	if (e->syscall == CLONE_SYS_CLONE) {
		e->parent_tid_err = read_back(&e->parent_tid_value, e->parent_tid);
	} else if (e->syscall == CLONE_SYS_CLONE3 && e->clone3_read_err == 0) {
		e->parent_tid_err = read_back(&e->parent_tid_value, e->parent_tid);
		e->pidfd_err = read_back(&e->pidfd_value, e->pidfd);
	}
}

/* clone3's tail is read this many bytes at a time, into clone3_tail: eight
 * reads at most up to the page (64-byte reads on the stack made 63
 * iterations, 98 000 instructions for the verifier in every return program). */
#define CLONE3_TAIL_CHUNK 512

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[CLONE3_TAIL_CHUNK / 8]);
} clone3_tail SEC(".maps");

/* clone3's set_tid array and the bytes past the known struct, as strace reads them: each
 * set_tid element on its own (a failure ends the array), the tail up to the page, any
 * failure making the whole tail unreadable (`???`). */
static __always_inline void clone3_beyond(struct clone_event *e, __u64 addr, __u64 size)
{
	__u64 end = size < ARGTRACE_CLONE3_TAIL_LIMIT ? size : ARGTRACE_CLONE3_TAIL_LIMIT;
	__u64 any = 0, *chunk;
	__u32 zero = 0;
	int i;

	if (e->set_tid && e->set_tid_size && e->set_tid_size <= ARGTRACE_CLONE3_MAX_SET_TID) {
		for (i = 0; i < ARGTRACE_CLONE3_MAX_SET_TID; i++) {
			if (i >= e->set_tid_size)
				break;
			if (bpf_probe_read_user(&e->set_tid_values[i], sizeof(__s32),
						(void *)(e->set_tid + i * sizeof(__s32))))
				break;
			e->set_tid_read = i + 1;
		}
	}
	if (end <= ARGTRACE_CLONE3_KNOWN_SIZE)
		return;
	e->tail_len = end - ARGTRACE_CLONE3_KNOWN_SIZE;
	chunk = bpf_map_lookup_elem(&clone3_tail, &zero);
	if (!chunk) {
		e->tail_state = CLONE3_TAIL_UNREADABLE;
		return;
	}
	for (i = 0;
	     i < (ARGTRACE_CLONE3_TAIL_LIMIT - ARGTRACE_CLONE3_KNOWN_SIZE + CLONE3_TAIL_CHUNK - 1) /
			 CLONE3_TAIL_CHUNK;
	     i++) {
		__u64 off = ARGTRACE_CLONE3_KNOWN_SIZE + i * CLONE3_TAIL_CHUNK;
		__u64 rem;
		long err;

		if (off >= end)
			break;
		rem = end - off;
		/* A constant size, or a masked one: 6.1's verifier loses a clamped length's bounds. */
		if (rem >= CLONE3_TAIL_CHUNK) {
			err = bpf_probe_read_user(chunk, CLONE3_TAIL_CHUNK, (void *)(addr + off));
		} else {
			__builtin_memset(chunk, 0, CLONE3_TAIL_CHUNK);
			err = bpf_probe_read_user(chunk, rem & (CLONE3_TAIL_CHUNK - 1),
						  (void *)(addr + off));
		}
		if (err) {
			e->tail_state = CLONE3_TAIL_UNREADABLE;
			return;
		}
		if (i == 0)
			__builtin_memcpy(e->tail, chunk, ARGTRACE_CLONE3_TAIL_SHOWN);
#pragma unroll
		for (int k = 0; k < CLONE3_TAIL_CHUNK / 8; k++)
			any |= chunk[k];
	}
	e->tail_state = any ? CLONE3_TAIL_NONZERO : CLONE3_TAIL_ZERO;
}

/* The call-specific part of the event; `how` is the enum argtrace_clone_syscall
 * of the entry (with ARGTRACE_HOW_COMPAT for a 32-bit task's: clone's order is
 * that ABI's), and fork and vfork have no arguments. It runs at the call's
 * return, so clone3's struct clone_args is read then, in every mode (the
 * kernel copied it at entry; the caller's copy is unchanged by the call), and
 * so is what the call wrote back (its result is `ret`). */
static __always_inline void fill_record(struct clone_event *e, __u32 how,
					const struct argtrace_args *a, long ret)
{
	__u32 call = ARGTRACE_HOW_CALL(how);

	e->syscall = call;
	e->abi = (how & ARGTRACE_HOW_COMPAT) ? EVENT_ABI_COMPAT : EVENT_ABI_NATIVE;
	if (call == CLONE_SYS_CLONE) {
		e->flags = a->arg[0];
		e->newsp = a->arg[1];
		e->parent_tid = a->arg[2];
		e->child_tid = a->arg[ARGTRACE_CLONE_ARG_CHILD_TID - 1];
		e->tls = a->arg[ARGTRACE_CLONE_ARG_TLS - 1];
#if ARGTRACE_HAVE_COMPAT
		if (e->abi == EVENT_ABI_COMPAT) {
			e->child_tid = a->arg[ARGTRACE_COMPAT_CLONE_ARG_CHILD_TID - 1];
			e->tls = a->arg[ARGTRACE_COMPAT_CLONE_ARG_TLS - 1];
		}
#endif
	} else if (call == CLONE_SYS_CLONE3) {
		struct clone_args ca = {};
		__u64 size = a->arg[1];

		e->args_ptr = a->arg[0];
		e->clone3_size = size;
		/* Read no more than the caller gave and than we know. */
		if (size > sizeof(ca))
			size = sizeof(ca);
		e->clone3_read_err = bpf_probe_read_user(&ca, size & 0xff, (void *)a->arg[0]);
		e->flags = ca.flags;
		e->pidfd = ca.pidfd;
		e->child_tid = ca.child_tid;
		e->parent_tid = ca.parent_tid;
		e->exit_signal = ca.exit_signal;
		e->stack = ca.stack;
		e->stack_size = ca.stack_size;
		e->tls = ca.tls;
		e->set_tid = ca.set_tid;
		e->set_tid_size = ca.set_tid_size;
		e->cgroup = ca.cgroup;
		if (e->clone3_read_err == 0)
			clone3_beyond(e, a->arg[0], a->arg[1]);
	}
	read_written_back(e, ret);
	e->tls_desc_err = 1;
#ifdef ARGTRACE_COMPAT_TLS_USER_DESC
	if (e->abi == EVENT_ABI_COMPAT && (e->flags & ARGTRACE_CLONE_SETTLS) && e->tls)
		e->tls_desc_err =
			bpf_probe_read_user(e->tls_desc, sizeof(e->tls_desc), (void *)e->tls);
#endif
}

/* The kprobe and tracepoint programs of one syscall: entry and return. */
#define CLONE_PAIRED_PROGRAMS(name, which)                           \
	ARGTRACE_SYSCALL_KPROBE(name, which)                         \
	ARGTRACE_KRETPROBE(name##_kretprobe, ARGTRACE_SYSCALL(name)) \
	ARGTRACE_SYS_ENTER(name, which)                              \
	ARGTRACE_SYS_EXIT(name)

ARGTRACE_FENTRY_START(clone_fentry_start, ARGTRACE_SYSCALL(clone))
ARGTRACE_SYSCALL_FEXIT(clone, CLONE_SYS_CLONE)
CLONE_PAIRED_PROGRAMS(clone, CLONE_SYS_CLONE)
ARGTRACE_FENTRY_START(clone3_fentry_start, ARGTRACE_SYSCALL(clone3))
ARGTRACE_SYSCALL_FEXIT(clone3, CLONE_SYS_CLONE3)
CLONE_PAIRED_PROGRAMS(clone3, CLONE_SYS_CLONE3)

#if ARGTRACE_HAVE_FORK
CLONE_PAIRED_PROGRAMS(fork, CLONE_SYS_FORK)
CLONE_PAIRED_PROGRAMS(vfork, CLONE_SYS_VFORK)
#endif

#if ARGTRACE_HAVE_FORK || ARGTRACE_HAVE_COMPAT
#define ARGTRACE_PF_KTHREAD 0x00200000

/* The syscall the current user task is in, or -1 for a kernel thread. */
static __always_inline long user_syscall_nr(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->flags & ARGTRACE_PF_KTHREAD)
		return -1;
	return ARGTRACE_SYSCALL_NR((struct pt_regs *)bpf_task_pt_regs(task));
}

/* fentry mode, fork and vfork (arm64: 32-bit tasks' only): Debian's kernels
 * have no BTF for the argument-less wrappers __x64_sys_fork/vfork (nor
 * __arm64_sys_fork/vfork), so fentry and fexit cannot attach there. Both end in kernel_clone(), which clone and clone3 also call: the
 * syscall number in the task's user registers says which entry this was. */

/* -T, -s: the start of fork and vfork; clone and clone3 have their own. */
/* Which of fork and vfork (`how`) the current task's syscall is, or -1: by
 * its number, a 32-bit task's (i386 and arm: 2 and 190) or a 64-bit one's. */
static __always_inline long fork_or_vfork(void)
{
	long nr = user_syscall_nr();

#if ARGTRACE_HAVE_COMPAT
	if (in_compat_syscall()) {
		if (nr == ARGTRACE_COMPAT_NR_FORK)
			return CLONE_SYS_FORK | ARGTRACE_HOW_COMPAT;
		if (nr == ARGTRACE_COMPAT_NR_VFORK)
			return CLONE_SYS_VFORK | ARGTRACE_HOW_COMPAT;
		return -1;
	}
#endif
#if ARGTRACE_HAVE_FORK
	if (nr == ARGTRACE_NR_FORK)
		return CLONE_SYS_FORK;
	if (nr == ARGTRACE_NR_VFORK)
		return CLONE_SYS_VFORK;
#endif
	return -1;
}

SEC("fentry/kernel_clone")
int BPF_PROG(fork_vfork_fentry_start, struct kernel_clone_args *args)
{
	if (fork_or_vfork() >= 0)
		return begin_call();
	return 0;
}

SEC("fexit/kernel_clone")
int BPF_PROG(fork_vfork_fexit, struct kernel_clone_args *args, long ret)
{
	struct argtrace_args none = {};
	long how = fork_or_vfork();

	if (how >= 0)
		return record_finished_call(ctx, PROBE_FENTRY, how, &none, ret);
	return 0;
}
#endif

#if ARGTRACE_HAVE_COMPAT
/* 32-bit tasks: the i386 entries (names checked in Debian's 5.10, 6.1, 6.12
 * and 7.3: clone is __ia32_compat_sys_ia32_clone, the others __ia32_sys_*),
 * arm64's AArch32 ones (the native __arm64_sys_* wrappers); fork and vfork
 * have no BTF, so fentry mode takes them at kernel_clone above. */
static __always_inline long compat_how(long nr)
{
	switch (nr) {
	case ARGTRACE_COMPAT_NR_CLONE:
		return CLONE_SYS_CLONE;
	case ARGTRACE_COMPAT_NR_CLONE3:
		return CLONE_SYS_CLONE3;
	case ARGTRACE_COMPAT_NR_FORK:
		return CLONE_SYS_FORK;
	case ARGTRACE_COMPAT_NR_VFORK:
		return CLONE_SYS_VFORK;
	}
	return -1;
}

/* A 32-bit entry's kprobe and kretprobe. */
#define CLONE_COMPAT_KPROBES(name, func, which)                   \
	ARGTRACE_COMPAT_KPROBE(name##_compat_kprobe, func, which) \
	ARGTRACE_KRETPROBE(name##_compat_kretprobe, func)

ARGTRACE_COMPAT_FENTRY_START(clone_compat_fentry_start, ARGTRACE_COMPAT_CLONE_ENTRY)
ARGTRACE_COMPAT_FEXIT(clone_compat_fexit, ARGTRACE_COMPAT_CLONE_ENTRY, CLONE_SYS_CLONE)
ARGTRACE_COMPAT_FENTRY_START(clone3_compat_fentry_start, ARGTRACE_COMPAT_SYSCALL(clone3))
ARGTRACE_COMPAT_FEXIT(clone3_compat_fexit, ARGTRACE_COMPAT_SYSCALL(clone3), CLONE_SYS_CLONE3)
CLONE_COMPAT_KPROBES(clone, ARGTRACE_COMPAT_CLONE_ENTRY, CLONE_SYS_CLONE)
CLONE_COMPAT_KPROBES(clone3, ARGTRACE_COMPAT_SYSCALL(clone3), CLONE_SYS_CLONE3)
CLONE_COMPAT_KPROBES(fork, ARGTRACE_COMPAT_SYSCALL(fork), CLONE_SYS_FORK)
CLONE_COMPAT_KPROBES(vfork, ARGTRACE_COMPAT_SYSCALL(vfork), CLONE_SYS_VFORK)
ARGTRACE_COMPAT_RAW_SYSCALLS(clone)
#endif
