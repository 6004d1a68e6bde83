// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace clone: process and thread creation through clone, clone3, fork and
 * vfork, with the arguments in the architecture's own order (arch/<arch>/regs.h)
 * and clone3's struct clone_args read from user memory.
 * fentry mode: fexit on the syscall wrappers (arguments and result together).
 * kprobe mode: kprobe + kretprobe on the wrappers, paired per thread.
 * tracepoint mode: syscalls:sys_enter_* + sys_exit_*. The child's own return
 * (0) has no entry record in its thread and is not reported. */
#include "common.bpf.h"

ARGTRACE_PENDING_MAP(struct clone_event);

struct clone_event _clone_event = {};

/* Arguments 1..6 of a syscall, however the hook got them. */
struct syscall_args {
	__u64 a[6];
};

static __always_inline void regs_to_args(const struct pt_regs *regs, struct syscall_args *s)
{
	s->a[0] = ARGTRACE_SYSCALL_ARG1(regs);
	s->a[1] = ARGTRACE_SYSCALL_ARG2(regs);
	s->a[2] = ARGTRACE_SYSCALL_ARG3(regs);
	s->a[3] = ARGTRACE_SYSCALL_ARG4(regs);
	s->a[4] = ARGTRACE_SYSCALL_ARG5(regs);
}

/* Fills the call-specific part of the event from the raw syscall arguments. */
static __always_inline void fill_clone(struct clone_event *e, __u32 which,
				       const struct syscall_args *s)
{
	e->syscall = which;
	if (which == CLONE_SYS_CLONE) {
		e->flags = s->a[0];
		e->newsp = s->a[1];
		e->parent_tid = s->a[2];
		e->child_tid = s->a[ARGTRACE_CLONE_ARG_CHILD_TID - 1];
		e->tls = s->a[ARGTRACE_CLONE_ARG_TLS - 1];
	} else if (which == CLONE_SYS_CLONE3) {
		struct clone_args ca = {};
		__u64 size = s->a[1];

		e->args_ptr = s->a[0];
		e->clone3_size = size;
		/* Read no more than the caller gave and than we know. */
		if (size > sizeof(ca))
			size = sizeof(ca);
		e->clone3_read_err = bpf_probe_read_user(&ca, size & 0xff, (void *)s->a[0]);
		e->flags = ca.flags;
		e->pidfd = ca.pidfd;
		e->child_tid = ca.child_tid;
		e->parent_tid = ca.parent_tid;
		e->exit_signal = ca.exit_signal;
		e->stack = ca.stack;
		e->stack_size = ca.stack_size;
		e->tls = ca.tls;
	}
}

static __always_inline int clone_entry(void *ctx, __u32 which, const struct syscall_args *s,
				       __u8 probe, bool has_ret, long ret)
{
	struct clone_event e = {};
	__u32 pid, tid;

	if (!want_task(&pid, &tid))
		return 0;
	fill_header(ctx, &e.h, pid, tid, probe);
	fill_clone(&e, which, s);
	if (has_ret) {
		e.ret = ret;
		submit(&e, sizeof(e));
	} else {
		ARGTRACE_PENDING_PUT(&tid, &e);
	}
	return 0;
}

/* The entry/return pair of one syscall for kprobe and tracepoint modes.
 * The kprobe reads the wrapper's struct pt_regs. */
#define CLONE_PAIRED_PROGRAMS(name, which)						\
	SEC("kprobe/" ARGTRACE_SYSCALL(name))						\
	int BPF_KPROBE(name##_kprobe, const struct pt_regs *regs)			\
	{										\
		struct syscall_args s = {};						\
		regs_to_args(regs, &s);							\
		return clone_entry(ctx, which, &s, PROBE_KPROBE, false, 0);		\
	}										\
	SEC("kretprobe/" ARGTRACE_SYSCALL(name))					\
	int BPF_KRETPROBE(name##_kretprobe, long ret)					\
	{										\
		return ARGTRACE_PENDING_FINISH(struct clone_event, ret);		\
	}										\
	SEC("tracepoint/syscalls/sys_enter_" #name)					\
	int name##_tp_enter(struct trace_event_raw_sys_enter *ctx)			\
	{										\
		/* Field by field: the verifier rejects a computed ctx offset. */	\
		struct syscall_args s = {						\
			.a = { ctx->args[0], ctx->args[1], ctx->args[2],		\
			       ctx->args[3], ctx->args[4] },				\
		};									\
		return clone_entry(ctx, which, &s, PROBE_TRACEPOINT, false, 0);		\
	}										\
	SEC("tracepoint/syscalls/sys_exit_" #name)					\
	int name##_tp_exit(struct trace_event_raw_sys_exit *ctx)			\
	{										\
		return ARGTRACE_PENDING_FINISH(struct clone_event, ctx->ret);		\
	}

/* fentry mode: fexit on the syscall wrapper sees arguments and result. */
#define CLONE_FEXIT_PROGRAM(name, which)						\
	SEC("fexit/" ARGTRACE_SYSCALL(name))						\
	int BPF_PROG(name##_fexit, const struct pt_regs *regs, long ret)		\
	{										\
		struct syscall_args s = {};						\
		regs_to_args(regs, &s);							\
		return clone_entry(ctx, which, &s, PROBE_FENTRY, true, ret);		\
	}

CLONE_FEXIT_PROGRAM(clone, CLONE_SYS_CLONE)
CLONE_PAIRED_PROGRAMS(clone, CLONE_SYS_CLONE)
CLONE_FEXIT_PROGRAM(clone3, CLONE_SYS_CLONE3)
CLONE_PAIRED_PROGRAMS(clone3, CLONE_SYS_CLONE3)

#if ARGTRACE_HAVE_FORK
CLONE_PAIRED_PROGRAMS(fork, CLONE_SYS_FORK)
CLONE_PAIRED_PROGRAMS(vfork, CLONE_SYS_VFORK)

#define ARGTRACE_PF_KTHREAD 0x00200000

/* fentry mode, fork and vfork: Debian's kernels have no BTF for the argument-
 * less wrappers __x64_sys_fork/vfork, so fexit cannot attach there. Both end
 * in kernel_clone(), which clone and clone3 also call: the syscall number in
 * the task's user registers says which entry this was. */
SEC("fexit/kernel_clone")
int BPF_PROG(fork_vfork_fexit, struct kernel_clone_args *args, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscall_args s = {};
	long nr;

	if (task->flags & ARGTRACE_PF_KTHREAD)
		return 0;
	nr = ARGTRACE_SYSCALL_NR((struct pt_regs *)bpf_task_pt_regs(task));
	if (nr == ARGTRACE_NR_FORK)
		return clone_entry(ctx, CLONE_SYS_FORK, &s, PROBE_FENTRY, true, ret);
	if (nr == ARGTRACE_NR_VFORK)
		return clone_entry(ctx, CLONE_SYS_VFORK, &s, PROBE_FENTRY, true, ret);
	return 0;
}
#endif
