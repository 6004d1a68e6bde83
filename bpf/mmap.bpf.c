// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace mmap: the six arguments of ksys_mmap_pgoff() and its result.
 * fentry mode: one fexit program sees arguments and result together (with
 * -T or -s, an fentry on the same function stamps the start).
 * kprobe mode: kprobe + kretprobe on ksys_mmap_pgoff, paired per thread.
 * tracepoint mode: syscalls:sys_enter_mmap + sys_exit_mmap (offset in bytes).
 * 32-bit tasks' mmap2 (i386 and AArch32) and old mmap (i386), as strace names
 * them: their own entries (__ia32_sys_mmap_pgoff, __ia32_compat_sys_ia32_mmap;
 * __arm64_compat_sys_aarch32_mmap2) in fentry and kprobe mode, whose calls
 * ksys_mmap_pgoff's programs leave to them; the raw sys_enter/sys_exit
 * tracepoints in tracepoint mode. */
#define ARGTRACE_RECORD struct mmap_event
#include "calls.bpf.h"

/* Keeps the event types in BTF so the skeleton emits Rust types for them. */
struct mmap_event _mmap_event = {};
enum argtrace_mmap_call _argtrace_mmap_call = 0;
enum argtrace_event_abi _argtrace_event_abi = 0;

/* `how`: which call, and what the sixth argument counts. ksys_mmap_pgoff()
 * takes pages, the mmap syscall (tracepoint mode) bytes; mmap2 4096-byte
 * units; the old mmap's first argument points to all six. */
#define MMAP_OFF_PAGES 0
#define MMAP_OFF_BYTES 1
#define MMAP_MMAP2 2
#define MMAP_OLD_MMAP 3

/* A summary row per call: enum argtrace_mmap_call. */
static __always_inline __u32 summary_row(__u32 how)
{
	switch (ARGTRACE_HOW_CALL(how)) {
	case MMAP_MMAP2:
		return MMAP_CALL_MMAP2;
	case MMAP_OLD_MMAP:
		return MMAP_CALL_OLD_MMAP;
	}
	return MMAP_CALL_MMAP;
}

/* The old mmap's six arguments, 32-bit each, read from the caller's struct
 * mmap_arg_struct at return (the kernel copied it at entry; the caller's copy
 * is unchanged by the call); unreadable, only the pointer is printed. */
static __always_inline void fill_old_mmap(struct mmap_event *e, __u64 ptr)
{
	__u32 v[6] = {};

	e->args_ptr = ptr;
	if (bpf_probe_read_user(v, sizeof(v), (void *)ptr)) {
		e->args_unread = 1;
		return;
	}
	e->addr = v[0];
	e->len = v[1];
	e->prot = v[2];
	e->flags = v[3];
	e->fd = v[4];
	e->off = v[5];
	e->off_is_bytes = 1;
}

static __always_inline void fill_record(struct mmap_event *e, __u32 how,
					const struct argtrace_args *a, long ret)
{
	__u32 call = ARGTRACE_HOW_CALL(how);

	e->call = summary_row(how);
	e->abi = (how & ARGTRACE_HOW_COMPAT) ? EVENT_ABI_COMPAT : EVENT_ABI_NATIVE;
	if (call == MMAP_OLD_MMAP) {
		fill_old_mmap(e, a->arg[0]);
		return;
	}
	e->addr = a->arg[0];
	e->len = a->arg[1];
	e->prot = a->arg[2];
	e->flags = a->arg[3];
	e->fd = a->arg[4];
	if (call == MMAP_OFF_BYTES) {
		e->off = a->arg[5];
		e->off_is_bytes = 1;
	} else if (call == MMAP_MMAP2) {
		e->off = a->arg[5] * 4096;
		e->off_is_bytes = 1;
	} else {
		e->pgoff = a->arg[5];
	}
}

/* ksys_mmap_pgoff() also serves the 32-bit entries, whose own programs
 * report those calls. */
static __always_inline bool native_call(void)
{
	return in_native_syscall();
}

SEC("fexit/ksys_mmap_pgoff")
int BPF_PROG(mmap_fexit, unsigned long addr, unsigned long len, unsigned long prot,
	     unsigned long flags, unsigned long fd, unsigned long pgoff, long ret)
{
	struct argtrace_args a = { .arg = { addr, len, prot, flags, fd, pgoff } };

	if (!native_call())
		return 0;
	return record_finished_call(ctx, PROBE_FENTRY, MMAP_OFF_PAGES, &a, ret);
}

SEC("fentry/ksys_mmap_pgoff")
int BPF_PROG(mmap_fentry_start)
{
	return native_call() ? begin_call() : 0;
}

SEC("kprobe/ksys_mmap_pgoff")
int mmap_kprobe(struct pt_regs *ctx)
{
	struct argtrace_args a;

	if (!native_call())
		return 0;
	args_from_kprobe(&a, ctx);
	return park_call(ctx, PROBE_KPROBE, MMAP_OFF_PAGES, &a);
}

SEC("kretprobe/ksys_mmap_pgoff")
int BPF_KRETPROBE(mmap_kretprobe, long ret)
{
	return native_call() ? finish_pending(ret) : 0;
}

ARGTRACE_SYS_ENTER(mmap, MMAP_OFF_BYTES)
ARGTRACE_SYS_EXIT(mmap)

#if ARGTRACE_HAVE_COMPAT
static __always_inline long compat_how(long nr)
{
	if (nr == ARGTRACE_COMPAT_NR_MMAP2)
		return MMAP_MMAP2;
#ifdef ARGTRACE_COMPAT_OLD_MMAP_ENTRY
	if (nr == ARGTRACE_COMPAT_NR_MMAP)
		return MMAP_OLD_MMAP;
#endif
	return -1;
}

#define MMAP_COMPAT_MMAP2 ARGTRACE_COMPAT_MMAP2_ENTRY

ARGTRACE_COMPAT_FENTRY_START(mmap2_compat_fentry_start, MMAP_COMPAT_MMAP2)
ARGTRACE_COMPAT_FEXIT(mmap2_compat_fexit, MMAP_COMPAT_MMAP2, MMAP_MMAP2)
ARGTRACE_COMPAT_KPROBE(mmap2_compat_kprobe, MMAP_COMPAT_MMAP2, MMAP_MMAP2)
ARGTRACE_KRETPROBE(mmap2_compat_kretprobe, MMAP_COMPAT_MMAP2)
#ifdef ARGTRACE_COMPAT_OLD_MMAP_ENTRY
#define MMAP_COMPAT_OLD_MMAP ARGTRACE_COMPAT_OLD_MMAP_ENTRY
ARGTRACE_COMPAT_FENTRY_START(old_mmap_compat_fentry_start, MMAP_COMPAT_OLD_MMAP)
ARGTRACE_COMPAT_FEXIT(old_mmap_compat_fexit, MMAP_COMPAT_OLD_MMAP, MMAP_OLD_MMAP)
ARGTRACE_COMPAT_KPROBE(old_mmap_compat_kprobe, MMAP_COMPAT_OLD_MMAP, MMAP_OLD_MMAP)
ARGTRACE_KRETPROBE(old_mmap_compat_kretprobe, MMAP_COMPAT_OLD_MMAP)
#endif
ARGTRACE_COMPAT_RAW_SYSCALLS(mmap)
#endif
