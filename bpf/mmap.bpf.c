// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace mmap: the six arguments of ksys_mmap_pgoff() and its result.
 * fentry mode: one fexit program sees arguments and result together.
 * kprobe mode: kprobe + kretprobe on ksys_mmap_pgoff, paired per thread.
 * tracepoint mode: syscalls:sys_enter_mmap + sys_exit_mmap (offset in bytes). */
#include "common.bpf.h"

ARGTRACE_PENDING_MAP(struct mmap_event);

/* Keeps the event type in BTF so the skeleton emits a Rust type for it. */
struct mmap_event _mmap_event = {};

static __always_inline void fill_args(struct mmap_event *e, __u64 addr, __u64 len, __u64 prot,
				      __u64 flags, __u64 fd, __u64 pgoff)
{
	e->addr = addr;
	e->len = len;
	e->prot = prot;
	e->flags = flags;
	e->fd = fd;
	e->pgoff = pgoff;
}

SEC("fexit/ksys_mmap_pgoff")
int BPF_PROG(mmap_fexit, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long fd, unsigned long pgoff, long ret)
{
	struct mmap_event e = {};
	__u32 pid, tid;

	if (!want_task(&pid, &tid))
		return 0;
	fill_header(ctx, &e.h, pid, tid, PROBE_FENTRY);
	fill_args(&e, addr, len, prot, flags, fd, pgoff);
	e.ret = ret;
	submit(&e, sizeof(e));
	return 0;
}

SEC("kprobe/ksys_mmap_pgoff")
int BPF_KPROBE(mmap_kprobe, unsigned long addr, unsigned long len, unsigned long prot,
	       unsigned long flags, unsigned long fd)
{
	struct mmap_event e = {};
	__u32 pid, tid;

	if (!want_task(&pid, &tid))
		return 0;
	fill_header(ctx, &e.h, pid, tid, PROBE_KPROBE);
	/* Past the fifth argument libbpf's macros vary by version: arch/ says where. */
	fill_args(&e, addr, len, prot, flags, fd, ARGTRACE_KPROBE_ARG6(ctx));
	ARGTRACE_PENDING_PUT(&tid, &e);
	return 0;
}

SEC("kretprobe/ksys_mmap_pgoff")
int BPF_KRETPROBE(mmap_kretprobe, long ret)
{
	return ARGTRACE_PENDING_FINISH(struct mmap_event, ret);
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int mmap_tp_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct mmap_event e = {};
	__u32 pid, tid;

	if (!want_task(&pid, &tid))
		return 0;
	fill_header(ctx, &e.h, pid, tid, PROBE_TRACEPOINT);
	fill_args(&e, ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4], 0);
	e.off = ctx->args[5];
	e.off_is_bytes = 1;
	ARGTRACE_PENDING_PUT(&tid, &e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ARGTRACE_PENDING_FINISH(struct mmap_event, ctx->ret);
}
