// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace mmap: the six arguments of ksys_mmap_pgoff() and its result.
 * fentry mode: one fexit program sees arguments and result together (with
 * -T or -s, an fentry on the same function stamps the start).
 * kprobe mode: kprobe + kretprobe on ksys_mmap_pgoff, paired per thread.
 * tracepoint mode: syscalls:sys_enter_mmap + sys_exit_mmap (offset in bytes). */
#define ARGTRACE_RECORD struct mmap_event
#include "calls.bpf.h"

/* Keeps the event type in BTF so the skeleton emits a Rust type for it. */
struct mmap_event _mmap_event = {};

/* What the sixth argument counts: ksys_mmap_pgoff() takes pages, the mmap
 * syscall (tracepoint mode) bytes. */
#define MMAP_OFF_PAGES 0
#define MMAP_OFF_BYTES 1

/* One call, one summary row. */
static __always_inline __u32 summary_row(__u32 how)
{
	return 0;
}

static __always_inline void fill_record(struct mmap_event *e, __u32 how,
					const struct argtrace_args *a, long ret)
{
	e->addr = a->arg[0];
	e->len = a->arg[1];
	e->prot = a->arg[2];
	e->flags = a->arg[3];
	e->fd = a->arg[4];
	if (how == MMAP_OFF_BYTES) {
		e->off = a->arg[5];
		e->off_is_bytes = 1;
	} else {
		e->pgoff = a->arg[5];
	}
}

SEC("fexit/ksys_mmap_pgoff")
int BPF_PROG(mmap_fexit, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long fd, unsigned long pgoff, long ret)
{
	struct argtrace_args a = { .arg = { addr, len, prot, flags, fd, pgoff } };

	return record_finished_call(ctx, PROBE_FENTRY, MMAP_OFF_PAGES, &a, ret);
}

ARGTRACE_FENTRY_START(mmap_fentry_start, "ksys_mmap_pgoff")
ARGTRACE_FUNC_KPROBE(mmap_kprobe, "ksys_mmap_pgoff", MMAP_OFF_PAGES)
ARGTRACE_KRETPROBE(mmap_kretprobe, "ksys_mmap_pgoff")
ARGTRACE_SYS_ENTER(mmap, MMAP_OFF_BYTES)
ARGTRACE_SYS_EXIT(mmap)
