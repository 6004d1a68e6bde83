/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every argtrace BPF object shares: the in-kernel filters (const volatile
 * rodata written between open and load), the ring buffer, the per-CPU drop
 * counter, the stack map, the per-thread table pairing entry with return, and
 * the argument layer: every program of a subject, in every mode, turns what
 * its hook sees into a struct argtrace_args and hands it to emit_record().
 *
 * Each object of call hooks names its record before including this file, e.g.
 *	#define ARGTRACE_RECORD struct clone_event
 * and defines fill_record() (declared below). The record starts with a
 * struct event_header h and has a __s64 ret.
 * An object of cgroup hooks (sock, skb) has no call to pair with a return: it
 * defines ARGTRACE_CGROUP_HOOKS instead and gets the filters, the header, the
 * ring buffer and the drop counter only (and includes creator.bpf.h for the
 * creator of a socket). */
#ifndef ARGTRACE_COMMON_BPF_H
#define ARGTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "argtrace.h"
#include "regs.h"

#if !defined(ARGTRACE_RECORD) && !defined(ARGTRACE_CGROUP_HOOKS)
#error "define ARGTRACE_RECORD (the object's record type) or ARGTRACE_CGROUP_HOOKS before including common.bpf.h"
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filters, set by user space before load; the verifier prunes the unused ones. */
const volatile bool filter_pid = false;	/* pids are in pid_filter */
const volatile bool filter_tid = false;	/* tids are in tid_filter */
const volatile bool filter_uid = false;
const volatile __u32 target_uid = 0;
const volatile bool filter_comm = false;
const volatile char target_comm[ARGTRACE_COMM_LEN] = {};
const volatile bool want_stacks = false;
/* argtrace's own process: never traced, so its own work cannot feed back. */
const volatile __u32 self_pid = 0;
/* Waking the reader for every record costs the traced task an irq_work and
 * the reader a context switch per event. Wake it only once this much waits,
 * or when the last wakeup is older than wakeup_interval_ns (so a lone event
 * is not held back); the reader also drains on its own poll timeout. */
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u64 wakeup_interval_ns = 10 * 1000 * 1000;
__u64 last_wakeup_ns = 0;

/* The enums of argtrace.h, kept in every object's BTF (an enum only used for
 * its constants leaves none), so that each skeleton's types module has them. */
enum argtrace_probe _argtrace_probe = 0;
enum argtrace_clone_syscall _argtrace_clone_syscall = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);	/* --ringbuf-size overrides */
} events SEC(".maps");

/* A record that could not be delivered (ring buffer full, pairing table
 * full) is counted here, per CPU, and reported at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} tid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 1);	/* raised by user space with --stack */
} stacks SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		*n += 1;
}

/* Is `comm` (a task name as the kernel keeps it) the one --comm asked for? */
static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < ARGTRACE_COMM_LEN; i++) {
		if (comm[i] != target_comm[i])
			return false;
		if (comm[i] == 0)
			break;
	}
	return true;
}

/* Is any filter on the task set (-p, --tid, -u, -c)? */
static __always_inline bool task_filtered(void)
{
	return filter_pid || filter_tid || filter_uid || filter_comm;
}

/* Does the current task pass every filter? Fills pid and tid on the way. */
static __always_inline bool want_task(__u32 *pid, __u32 *tid)
{
	__u64 id = bpf_get_current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	if (*pid == self_pid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, pid))
		return false;
	if (filter_tid && !bpf_map_lookup_elem(&tid_filter, tid))
		return false;
	if (filter_uid && (__u32)bpf_get_current_uid_gid() != target_uid)
		return false;
	if (filter_comm) {
		char comm[ARGTRACE_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_matches(comm))
			return false;
	}
	return true;
}

/* Fills the header of an event for the current task. */
static __always_inline void fill_header(void *ctx, struct event_header *h, __u32 pid,
					__u32 tid, __u8 probe)
{
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = pid;
	h->tid = tid;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->probe = probe;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	if (want_stacks) {
		h->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
		h->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	} else {
		h->kstack_id = -1;
		h->ustack_id = -1;
	}
}

/* The wakeup flag for a record stamped `now`. The header's stamp stands in
 * for "now": one clock read less per event, and a stale stamp only means an
 * early wakeup. */
static __always_inline __u64 wakeup_flags(__u64 now)
{
	if (now - last_wakeup_ns >= wakeup_interval_ns ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		last_wakeup_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Sends a finished record (it starts with its event_header), or counts it as
 * lost. A record reserved in the ring (bpf_ringbuf_reserve, for one whose
 * size is known late) is sent with bpf_ringbuf_submit(r, wakeup_flags(..)). */
static __always_inline void submit(void *record, __u64 size)
{
	__u64 now = ((struct event_header *)record)->ts_ns;

	if (bpf_ringbuf_output(&events, record, size, wakeup_flags(now)))
		count_drop();
}

#ifdef ARGTRACE_RECORD
/* The per-thread table that holds a call's record from its entry hook until
 * its return hook (kprobe and tracepoint modes). A plain hash, not LRU: when
 * it is full the new call is counted as lost instead of an older one
 * vanishing without a trace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, ARGTRACE_RECORD);
} pending SEC(".maps");

/* The argument layer: whichever hook saw a call, its arguments arrive here as
 * six 64-bit words, arg[0] being the first. The subject's fill_record() reads
 * them the same way in every mode. */
struct argtrace_args {
	__u64 arg[6];
};

/* From the user registers of a task in a syscall: the one struct pt_regs *
 * argument of a syscall wrapper (__x64_sys_*, __arm64_sys_*), in a kprobe on
 * it or in fexit after it. The syscall ABI is libbpf's (bpf_tracing.h):
 * x86_64 passes the fourth argument in r10, not rcx; arm64 reads the first
 * from orig_x0, not regs[0]. That is right at the wrapper's entry and at its
 * return alike: el0_svc_common() copies regs[0] into orig_x0 before calling
 * the wrapper, so both hold the argument at entry; invoke_syscall() stores
 * the result in regs[0] once the wrapper has returned (after fexit and
 * kretprobe have run), and from then on only orig_x0 still holds the
 * argument. orig_x0 is also where the kernel itself takes the first argument
 * from (syscall_get_arguments(): the sys_enter tracepoints, seccomp, audit),
 * so the three modes read the same value.
 * Not libbpf's BPF_KSYSCALL: it makes a kprobe program only, for a
 * "ksyscall/" section, which src/bpf.rs (it picks a mode's programs by the
 * prefixes kprobe/ and kretprobe/) would leave out; and fexit gets the same
 * struct pt_regs * as its own argument, to read the same way. */
static __always_inline void args_from_syscall_regs(struct argtrace_args *a,
						   const struct pt_regs *regs)
{
	a->arg[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	a->arg[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	a->arg[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	a->arg[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	a->arg[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	a->arg[5] = PT_REGS_PARM6_CORE_SYSCALL(regs);
}

/* From a syscalls:sys_enter_* tracepoint record. Field by field: the verifier
 * rejects a load from ctx at a computed offset. */
static __always_inline void args_from_sys_enter(struct argtrace_args *a,
						const struct trace_event_raw_sys_enter *tp)
{
	a->arg[0] = tp->args[0];
	a->arg[1] = tp->args[1];
	a->arg[2] = tp->args[2];
	a->arg[3] = tp->args[3];
	a->arg[4] = tp->args[4];
	a->arg[5] = tp->args[5];
}

/* From a kprobe's registers at the entry of an ordinary kernel function
 * (the function-call ABI: x86_64 rdi, rsi, rdx, rcx, r8, r9; arm64 x0..x5).
 * The sixth is in libbpf's newer headers only (not in Debian 12's 1.1);
 * libbpf-cargo compiles with those of the libbpf it ships (1.7). */
#ifndef PT_REGS_PARM6
#error "bpf_tracing.h without PT_REGS_PARM6: build with libbpf-cargo's own libbpf headers"
#endif
static __always_inline void args_from_kprobe(struct argtrace_args *a, const struct pt_regs *ctx)
{
	a->arg[0] = PT_REGS_PARM1(ctx);
	a->arg[1] = PT_REGS_PARM2(ctx);
	a->arg[2] = PT_REGS_PARM3(ctx);
	a->arg[3] = PT_REGS_PARM4(ctx);
	a->arg[4] = PT_REGS_PARM5(ctx);
	a->arg[5] = PT_REGS_PARM6(ctx);
}

/* The subject's part of a record, defined by each .bpf.c: fills what follows
 * the header. `how` is the subject's own word on what the arguments are
 * (clone: which syscall; mmap: the unit of the offset; tcp-connect: where the
 * socket came from); ctx is the hook's context, for subjects that read it. */
static __always_inline void fill_record(ARGTRACE_RECORD *e, void *ctx, __u32 how,
					const struct argtrace_args *a);

/* A subject that reads what the call wrote back to user memory defines
 * ARGTRACE_AT_RETURN(e, ret) before including this file; it runs wherever the
 * result is known (fexit, kretprobe, sys_exit), reading only. */
#ifndef ARGTRACE_AT_RETURN
#define ARGTRACE_AT_RETURN(e, ret) do { } while (0)
#endif

/* A subject that also filters on the call itself (tcp-send: only TCP sockets,
 * of one family or port) defines ARGTRACE_WANT_CALL(how, a): a bool, asked
 * once the task has passed the filters (so a filtered-out task costs nothing
 * more), that may complete `a` with what it looked up (the socket behind a
 * file descriptor) for fill_record(). */
#ifndef ARGTRACE_WANT_CALL
#define ARGTRACE_WANT_CALL(how, a) true
#endif

/* How a finished record is sent. A subject whose record carries a
 * variable-length tail (tcp-send's payload bytes) defines ARGTRACE_SUBMIT(e)
 * to build record and tail elsewhere and submit() them together. */
#ifndef ARGTRACE_SUBMIT
#define ARGTRACE_SUBMIT(e) submit((e), sizeof(*(e)))
#endif

/* The one way a record is made: for the current task, if it passes the
 * filters, the header and then the subject's fields. A hook that has the
 * call's result (fexit: finished) sends the record with it; an entry hook
 * parks it in `pending` for the thread's return hook (finish_pending()). */
static __always_inline int emit_record(void *ctx, __u8 probe, __u32 how,
				       struct argtrace_args *a, bool finished, long ret)
{
	ARGTRACE_RECORD e = {};
	__u32 pid, tid;

	if (!want_task(&pid, &tid))
		return 0;
	if (!ARGTRACE_WANT_CALL(how, a))
		return 0;
	fill_header(ctx, &e.h, pid, tid, probe);
	fill_record(&e, ctx, how, a);
	if (finished) {
		e.ret = ret;
		ARGTRACE_AT_RETURN(&e, ret);
		ARGTRACE_SUBMIT(&e);
	} else if (bpf_map_update_elem(&pending, &tid, &e, BPF_ANY)) {
		count_drop();
	}
	return 0;
}

/* The current thread's parked record, or NULL: calls made before argtrace
 * attached, or by a task the filters left out, have none. */
static __always_inline ARGTRACE_RECORD *pending_record(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return bpf_map_lookup_elem(&pending, &tid);
}

/* At a return hook: completes the thread's parked record with `ret`, sends
 * it and frees its slot. */
static __always_inline int finish_pending(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	ARGTRACE_RECORD *e = bpf_map_lookup_elem(&pending, &tid);

	if (e) {
		e->ret = ret;
		ARGTRACE_AT_RETURN(e, ret);
		ARGTRACE_SUBMIT(e);
		bpf_map_delete_elem(&pending, &tid);
	}
	return 0;
}

/* The programs that every subject writes alike, reduced to where they attach
 * and the subject's `how` for fill_record(). Entry hooks park the record,
 * return hooks send it, fexit does both at once. */

/* fentry mode: fexit on a syscall wrapper sees its struct pt_regs * and the
 * result. */
#define ARGTRACE_SYSCALL_FEXIT(name, how)						\
	SEC("fexit/" ARGTRACE_SYSCALL(name))						\
	int BPF_PROG(name##_fexit, const struct pt_regs *regs, long ret)		\
	{										\
		struct argtrace_args a;							\
		args_from_syscall_regs(&a, regs);					\
		return emit_record(ctx, PROBE_FENTRY, how, &a, true, ret);		\
	}

/* kprobe mode, on a syscall wrapper: the arguments from its struct pt_regs *. */
#define ARGTRACE_SYSCALL_KPROBE(name, how)						\
	SEC("kprobe/" ARGTRACE_SYSCALL(name))						\
	int BPF_KPROBE(name##_kprobe, const struct pt_regs *regs)			\
	{										\
		struct argtrace_args a;							\
		args_from_syscall_regs(&a, regs);					\
		return emit_record(ctx, PROBE_KPROBE, how, &a, false, 0);		\
	}

/* kprobe mode, on an ordinary kernel function: the arguments from the
 * registers of the call. */
#define ARGTRACE_FUNC_KPROBE(prog, func, how)						\
	SEC("kprobe/" func)								\
	int prog(struct pt_regs *ctx)							\
	{										\
		struct argtrace_args a;							\
		args_from_kprobe(&a, ctx);						\
		return emit_record(ctx, PROBE_KPROBE, how, &a, false, 0);		\
	}

/* kprobe mode, at the return of `target` (a function or a wrapper). */
#define ARGTRACE_KRETPROBE(prog, target)						\
	SEC("kretprobe/" target)							\
	int BPF_KRETPROBE(prog, long ret)						\
	{										\
		return finish_pending(ret);						\
	}

/* tracepoint mode: syscalls:sys_enter_<name>. */
#define ARGTRACE_SYS_ENTER(name, how)							\
	SEC("tracepoint/syscalls/sys_enter_" #name)					\
	int name##_tp_enter(struct trace_event_raw_sys_enter *ctx)			\
	{										\
		struct argtrace_args a;							\
		args_from_sys_enter(&a, ctx);						\
		return emit_record(ctx, PROBE_TRACEPOINT, how, &a, false, 0);		\
	}

/* tracepoint mode: syscalls:sys_exit_<name>. */
#define ARGTRACE_SYS_EXIT(name)								\
	SEC("tracepoint/syscalls/sys_exit_" #name)					\
	int name##_tp_exit(struct trace_event_raw_sys_exit *ctx)			\
	{										\
		return finish_pending(ctx->ret);					\
	}

#endif /* ARGTRACE_RECORD */

#endif
