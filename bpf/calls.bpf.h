/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The calls family (fentry, kprobe, syscall tracepoints): every program of a
 * subject, in every mode, turns what its hook sees into a struct
 * argtrace_args, and a call's entry is paired with its return.
 *
 * Each object names its record before including this file, e.g.
 *	#define ARGTRACE_RECORD struct clone_event
 * and defines fill_record() and summary_row() (declared below). The record
 * starts with a struct event_header h and has a __s64 ret.
 *
 * A call's way: the entry hook (kprobe, sys_enter) parks what the return
 * needs in the thread's slot (its arguments and entry stamp: struct
 * argtrace_pending; park_call()); the return hook (kretprobe, sys_exit)
 * reserves the record in the ring buffer, fills it in place from the slot and
 * submits it, or, in summary mode, only counts the call (finish_pending()).
 * fexit (fentry mode) sees arguments and result at once
 * (record_finished_call()); with -T or -s an fentry program on the same
 * function stamps the start (programs named *_start load only then:
 * src/family/calls.rs). A subject whose calls need more than these three
 * builds its own from the same parts: park_new_call() at the entry after its
 * own filter (tcp-send: TCP sockets only), park_args() inside a call whose
 * start is stamped earlier (tcp-connect), pending_call() and
 * fill_from_pending() at the return (tcp-send: its record carries a tail). */
#ifndef ARGTRACE_CALLS_BPF_H
#define ARGTRACE_CALLS_BPF_H

#include "argtrace.bpf.h"

#ifndef ARGTRACE_RECORD
#error "define ARGTRACE_RECORD (the object's record type) before including calls.bpf.h"
#endif

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
 * "ksyscall/" section, which src/family/calls.rs (it picks a mode's programs by the
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

/* What a call's entry keeps for its return: by default its six arguments. A
 * subject whose entry hook must read more while it can (tcp-connect: the
 * socket's addresses, before a failed connect clears them), or less (clone:
 * only the arguments its syscall has), defines ARGTRACE_ENTRY as its own
 * struct before including this file, and save_entry() to fill it. */
#ifndef ARGTRACE_ENTRY
#define ARGTRACE_ENTRY struct argtrace_args
static __always_inline void save_entry(struct argtrace_args *in, void *ctx, __u32 how,
				       const struct argtrace_args *a)
{
	*in = *a;
}
/* save_entry() writes every word: nothing to clear first. */
#define ARGTRACE_CLEAR_ENTRY 0
#else
static __always_inline void save_entry(ARGTRACE_ENTRY *in, void *ctx, __u32 how,
				       const struct argtrace_args *a);
/* A subject's own entry may leave fields out (tcp-send: the iterator's, until
 * a later hook fills them): it starts zeroed, never with what the thread's
 * previous call left in its slot. */
#define ARGTRACE_CLEAR_ENTRY 1
#endif

/* The subject's part of a record, defined by each .bpf.c: fills what follows
 * the header from what the entry kept. `how` is the subject's own word on what
 * the arguments are (clone: which syscall; mmap: the unit of the offset;
 * tcp-connect: where the socket came from). It runs where the record is made,
 * at the call's return, whose result is `ret` (e->ret is set after it): a
 * subject that reads what the call wrote back to user memory (clone) reads
 * it here, only reading. */
static __always_inline void fill_record(ARGTRACE_RECORD *e, __u32 how, const ARGTRACE_ENTRY *in,
					long ret);

/* Which of the subject's calls (a row of the summary) `how` is: 0..
 * ARGTRACE_MAX_CALLS-1, named in user space by the subject (Subject::
 * call_name). Defined by each .bpf.c (clone: the syscall; others: 0). */
static __always_inline __u32 summary_row(__u32 how);

/* A call in flight: what its return needs, nothing more. */
struct argtrace_pending {
	__u64 start_ns;	 /* the call's start; 0: no call in flight */
	__s32 kstack_id; /* stacks of the entry, with --stack */
	__s32 ustack_id;
	__u32 how;
	__u8 probe;
	__u8 have_entry; /* the argument hook has run: `in` is filled */
	__u8 pad[2];
	ARGTRACE_ENTRY in;
};

/* The slots, per thread, in task-local storage: no key to hash, no entry to
 * delete, freed with the task, so a thread that dies inside a call leaves
 * nothing behind. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct argtrace_pending);
} pending_tasks SEC(".maps");

/* The fallback: a plain hash keyed by thread id, not LRU: when it is full the
 * new call is counted as lost instead of an older one vanishing without a
 * trace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct argtrace_pending);
} pending SEC(".maps");

/* The current thread's slot, or NULL. */
static __always_inline struct argtrace_pending *pending_slot(void)
{
	__u32 tid;

	if (use_task_storage)
		return bpf_task_storage_get(&pending_tasks, bpf_get_current_task_btf(), NULL, 0);
	tid = (__u32)bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&pending, &tid);
}

/* The current thread's slot, made if it has none; NULL when it cannot be
 * (the hash is full, no memory): the caller counts a drop.
 *
 * A slot that still holds a call in flight when the thread starts its next
 * one lost that call's return: a kretprobe that found none of its instances
 * free (kernels without CONFIG_PREEMPTION keep only num_possible_cpus() per
 * probe for calls in flight, and perf_event_open cannot ask for more), and
 * the kernel counts that miss nowhere a BPF user can read before 6.7. Its
 * record is counted as lost here. (Return programs are attached before entry
 * programs, so a call in flight at attach leaves no slot behind.) */
static __always_inline struct argtrace_pending *new_pending_slot(void)
{
	struct argtrace_pending *p;
	__u32 tid;

	if (use_task_storage) {
		p = bpf_task_storage_get(&pending_tasks, bpf_get_current_task_btf(), NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (p && p->start_ns)
			count_drop();
		return p;
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p) {
		if (p->start_ns)
			count_drop();
		return p;
	}
	{
		struct argtrace_pending fresh = {};

		if (bpf_map_update_elem(&pending, &tid, &fresh, BPF_ANY))
			return NULL;
	}
	return bpf_map_lookup_elem(&pending, &tid);
}

/* Ends the call in flight in the current thread's slot `p`; p is not used
 * after this (the hash frees the element). */
static __always_inline void release_slot(struct argtrace_pending *p)
{
	__u32 tid;

	if (use_task_storage) {
		p->start_ns = 0;
		p->have_entry = 0;
		return;
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&pending, &tid);
}

/* Fills the header of a record in the ring buffer for the current task. */
static __always_inline void fill_header(struct event_header *h, __u64 ts, __u8 probe, __s32 kstack,
					__s32 ustack)
{
	h->ts_ns = ts;
	h->probe = probe;
	h->kstack_id = kstack;
	h->ustack_id = ustack;
	if (use_task_storage) {
		/* One task pointer for all four facts. */
		struct task_struct *task = bpf_get_current_task_btf();

		h->pid = task->tgid;
		h->tid = task->pid;
		h->uid = task->cred->uid.val;
		__builtin_memcpy(h->comm, task->comm, sizeof(h->comm));
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		h->pid = id >> 32;
		h->tid = (__u32)id;
		h->uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(h->comm, sizeof(h->comm));
	}
	h->cgroup_id = bpf_get_current_cgroup_id();
}

/* A record reserved in the ring buffer and zeroed (what a subject leaves out
 * must not be the ring's old bytes), or NULL with a drop counted. */
static __always_inline ARGTRACE_RECORD *reserve_record(void)
{
	ARGTRACE_RECORD *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop();
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	return e;
}

/* At a *_start program (-T, -s): stamps the start of the current thread's
 * call; the argument hook or fexit that follows in the same call takes it. */
static __always_inline int begin_call(void)
{
	struct argtrace_pending *p;

	if (!want_task())
		return 0;
	p = new_pending_slot();
	if (!p) {
		count_drop();
		return 0;
	}
	p->start_ns = bpf_ktime_get_ns();
	p->have_entry = 0;
	return 0;
}

/* Parks what the return needs in the slot `p` of the call in flight, whose
 * start is stamped: the arguments as the subject keeps them, the stacks. */
static __always_inline int park_args(void *ctx, struct argtrace_pending *p, __u8 probe, __u32 how,
				     const struct argtrace_args *a)
{
	p->how = how;
	p->probe = probe;
	if (!summary_mode) {
		take_stacks(ctx, &p->kstack_id, &p->ustack_id);
		if (ARGTRACE_CLEAR_ENTRY)
			__builtin_memset(&p->in, 0, sizeof(p->in));
		save_entry(&p->in, ctx, how, a);
	}
	p->have_entry = 1;
	return 0;
}

/* At an entry hook, for a task that passed the filters: the call starts now
 * and its arguments wait in the thread's slot for finish_pending(). */
static __always_inline int park_new_call(void *ctx, __u8 probe, __u32 how,
					 const struct argtrace_args *a)
{
	struct argtrace_pending *p;

	p = new_pending_slot();
	if (!p) {
		count_drop();
		return 0;
	}
	p->start_ns = bpf_ktime_get_ns();
	return park_args(ctx, p, probe, how, a);
}

/* At an entry hook: the call of the current task, if it passes the filters. */
static __always_inline int park_call(void *ctx, __u8 probe, __u32 how,
				     const struct argtrace_args *a)
{
	if (!want_task())
		return 0;
	return park_new_call(ctx, probe, how, a);
}

/* At fexit, which has the arguments and the result at once: the record of
 * the current task's call, if it passes the filters (or its count, with -s).
 * With timing, the thread's fentry *_start program has stamped the call (and
 * filtered the task); without its stamp the call began before argtrace
 * attached: skipped. */
static __always_inline int record_finished_call(void *ctx, __u8 probe, __u32 how,
						const struct argtrace_args *a, long ret)
{
	struct argtrace_pending *p;
	ARGTRACE_ENTRY in;
	ARGTRACE_RECORD *e;
	__s32 kstack, ustack;
	__u64 now, start;

	now = bpf_ktime_get_ns();
	start = now;
	if (timing) {
		p = pending_slot();
		if (!p || !p->start_ns)
			return 0;
		start = p->start_ns;
		release_slot(p);
	} else if (!want_task()) {
		return 0;
	}
	if (summary_mode) {
		count_call(summary_row(how), ret, now - start);
		return 0;
	}
	e = reserve_record();
	if (!e)
		return 0;
	take_stacks(ctx, &kstack, &ustack);
	fill_header(&e->h, start, probe, kstack, ustack);
	if (timing) {
		e->h.timed = 1;
		e->h.duration_ns = now - start;
	}
	if (ARGTRACE_CLEAR_ENTRY)
		__builtin_memset(&in, 0, sizeof(in));
	save_entry(&in, ctx, how, a);
	fill_record(e, how, &in, ret);
	e->ret = ret;
	submit_reserved(e, now);
	return 0;
}

/* At a return hook: the thread's call in flight, whose record is to be made
 * (`now` the latest stamp at hand), or NULL: none (a call made before
 * argtrace attached, or by a task the filters left out), not this subject's,
 * or counted already (-s). */
static __always_inline struct argtrace_pending *pending_call(long ret, __u64 *now)
{
	struct argtrace_pending *p = pending_slot();

	if (!p || !p->start_ns)
		return NULL;
	if (!p->have_entry) {
		/* A *_start without the argument hook: not this subject's call
		 * (tcp-connect: a connect that is not TCP's). */
		release_slot(p);
		return NULL;
	}
	/* Without timing the entry's stamp stands in for "now" (the wakeup
	 * decision): one clock read less per call. */
	*now = timing ? bpf_ktime_get_ns() : p->start_ns;
	if (summary_mode) {
		count_call(summary_row(p->how), ret, *now - p->start_ns);
		release_slot(p);
		return NULL;
	}
	return p;
}

/* Makes the record `e` of the call in flight `p`, which ends here. */
static __always_inline void fill_from_pending(ARGTRACE_RECORD *e, struct argtrace_pending *p,
					      __u64 now, long ret)
{
	fill_header(&e->h, p->start_ns, p->probe, p->kstack_id, p->ustack_id);
	if (timing) {
		e->h.timed = 1;
		e->h.duration_ns = now - p->start_ns;
	}
	fill_record(e, p->how, &p->in, ret);
	release_slot(p);
	e->ret = ret;
}

/* At a return hook: the record of the thread's call in flight, with `ret`,
 * reserved in the ring buffer, filled in place and sent. */
static __always_inline int finish_pending(long ret)
{
	struct argtrace_pending *p;
	ARGTRACE_RECORD *e;
	__u64 now;

	p = pending_call(ret, &now);
	if (!p)
		return 0;
	e = reserve_record();
	if (!e) {
		release_slot(p);
		return 0;
	}
	fill_from_pending(e, p, now, ret);
	submit_reserved(e, now);
	return 0;
}

/* 32-bit (compat) tasks: their calls come through their own entries, with
 * their own numbers and argument registers (arch/<arch>/regs.h). A subject
 * marks such a call's `how` with ARGTRACE_HOW_COMPAT, so fill_record() knows
 * the argument order and the record says the ABI; summary_row() sees the
 * `how` without it. Programs for them have `compat` in their name: where this
 * kernel lacks their hook they are left out, and argtrace says at start-up
 * that 32-bit processes are not seen (src/family/calls.rs). */
#define ARGTRACE_HOW_COMPAT 0x100
#define ARGTRACE_HOW_CALL(how) ((how) & (ARGTRACE_HOW_COMPAT - 1))

/* Whether a 32-bit entry is also a 64-bit one (arm64: the compat table points
 * at the native __arm64_sys_* wrappers): its native and compat programs then
 * each keep their own ABI's calls. */
#ifndef ARGTRACE_COMPAT_SHARED_ENTRIES
#define ARGTRACE_COMPAT_SHARED_ENTRIES 0
#endif

#if ARGTRACE_HAVE_COMPAT
/* kprobe mode, on a 32-bit syscall entry (__ia32_sys_*, __arm64_sys_*,
 * __arm64_compat_sys_*): the arguments from its struct pt_regs *, as that
 * ABI passes them. */
#define ARGTRACE_COMPAT_KPROBE(prog, func, how)                                       \
	SEC("kprobe/" func)                                                           \
	int BPF_KPROBE(prog, const struct pt_regs *regs)                              \
	{                                                                             \
		struct argtrace_args a;                                               \
		if (in_native_syscall())                                              \
			return 0;                                                     \
		args_from_compat_regs(a.arg, regs);                                   \
		return park_call(ctx, PROBE_KPROBE, (how) | ARGTRACE_HOW_COMPAT, &a); \
	}

/* fentry mode, on a 32-bit syscall entry: fexit sees its struct pt_regs *
 * and the result. */
#define ARGTRACE_COMPAT_FEXIT(prog, func, how)                                                  \
	SEC("fexit/" func)                                                                      \
	int BPF_PROG(prog, const struct pt_regs *regs, long ret)                                \
	{                                                                                       \
		struct argtrace_args a;                                                         \
		if (ARGTRACE_COMPAT_SHARED_ENTRIES && in_native_syscall())                      \
			return 0;                                                               \
		args_from_compat_regs(a.arg, regs);                                             \
		return record_finished_call(ctx, PROBE_FENTRY, (how) | ARGTRACE_HOW_COMPAT, &a, \
					    ret);                                               \
	}

/* tracepoint mode: the per-syscall tracepoints skip 32-bit tasks
 * (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS), the raw sys_enter and sys_exit do not.
 * They fire for every syscall of every task: the syscall number (the
 * object's compat_how(): its `how` for a 32-bit number, or -1) is checked
 * first, then whether the task is in a 32-bit syscall. The object names
 * the programs with `prefix`. */
#define ARGTRACE_COMPAT_RAW_SYSCALLS(prefix)                                            \
	SEC("tp_btf/sys_enter")                                                         \
	int BPF_PROG(prefix##_compat_sys_enter, struct pt_regs *regs, long id)          \
	{                                                                               \
		struct argtrace_args a;                                                 \
		long how = compat_how(id);                                              \
		if (how < 0 || !in_compat_syscall())                                    \
			return 0;                                                       \
		args_from_compat_regs(a.arg, regs);                                     \
		return park_call(ctx, PROBE_TRACEPOINT, how | ARGTRACE_HOW_COMPAT, &a); \
	}                                                                               \
	SEC("tp_btf/sys_exit")                                                          \
	int BPF_PROG(prefix##_compat_sys_exit, struct pt_regs *regs, long ret)          \
	{                                                                               \
		if (compat_how(ARGTRACE_SYSCALL_NR(regs)) < 0 || !in_compat_syscall())  \
			return 0;                                                       \
		return finish_pending(compat_result(ret));                              \
	}
#endif

/* The programs that every subject writes alike, reduced to where they attach
 * and the subject's `how` for fill_record(). Entry hooks park the call,
 * return hooks send it, fexit does both at once. */

/* fentry mode with -T or -s: the start of the call whose fexit has the
 * arguments, on the same function. Named *_start: loaded only then. Where
 * arm64's 32-bit table shares the native wrapper, the native and the compat
 * start programs both run on it: each starts only its own ABI's calls (a
 * second start of one call would look like a missed return). */
#define ARGTRACE_FENTRY_START(prog, func)                                   \
	SEC("fentry/" func)                                                 \
	int BPF_PROG(prog)                                                  \
	{                                                                   \
		if (ARGTRACE_COMPAT_SHARED_ENTRIES && !in_native_syscall()) \
			return 0;                                           \
		return begin_call();                                        \
	}

/* The same for a 32-bit entry. */
#define ARGTRACE_COMPAT_FENTRY_START(prog, func)                           \
	SEC("fentry/" func)                                                \
	int BPF_PROG(prog)                                                 \
	{                                                                  \
		if (ARGTRACE_COMPAT_SHARED_ENTRIES && in_native_syscall()) \
			return 0;                                          \
		return begin_call();                                       \
	}

/* fentry mode: fexit on a syscall wrapper sees its struct pt_regs * and the
 * result. */
#define ARGTRACE_SYSCALL_FEXIT(name, how)                                     \
	SEC("fexit/" ARGTRACE_SYSCALL(name))                                  \
	int BPF_PROG(name##_fexit, const struct pt_regs *regs, long ret)      \
	{                                                                     \
		struct argtrace_args a;                                       \
		if (ARGTRACE_COMPAT_SHARED_ENTRIES && !in_native_syscall())   \
			return 0;                                             \
		args_from_syscall_regs(&a, regs);                             \
		return record_finished_call(ctx, PROBE_FENTRY, how, &a, ret); \
	}

/* Whether the current task is in a 64-bit (native) syscall. A wrapper without
 * arguments (SYSCALL_DEFINE0) is one function under both ABIs' names
 * (__x64_sys_fork and __ia32_sys_fork are aliases of __do_sys_fork), and
 * arm64's 32-bit table shares most of the native wrappers: a kprobe or fexit
 * on such a function fires for both, and each must keep only its own ABI's
 * calls. */
static __always_inline bool in_native_syscall(void)
{
#if ARGTRACE_HAVE_COMPAT
	return !in_compat_syscall();
#else
	return true;
#endif
}

/* kprobe mode, on a syscall wrapper: the arguments from its struct pt_regs *. */
#define ARGTRACE_SYSCALL_KPROBE(name, how)                        \
	SEC("kprobe/" ARGTRACE_SYSCALL(name))                     \
	int BPF_KPROBE(name##_kprobe, const struct pt_regs *regs) \
	{                                                         \
		struct argtrace_args a;                           \
		if (!in_native_syscall())                         \
			return 0;                                 \
		args_from_syscall_regs(&a, regs);                 \
		return park_call(ctx, PROBE_KPROBE, how, &a);     \
	}

/* kprobe mode, on an ordinary kernel function: the arguments from the
 * registers of the call. */
#define ARGTRACE_FUNC_KPROBE(prog, func, how)                 \
	SEC("kprobe/" func)                                   \
	int prog(struct pt_regs *ctx)                         \
	{                                                     \
		struct argtrace_args a;                       \
		args_from_kprobe(&a, ctx);                    \
		return park_call(ctx, PROBE_KPROBE, how, &a); \
	}

/* kprobe mode, at the return of `target` (a function or a wrapper). */
#define ARGTRACE_KRETPROBE(prog, target)    \
	SEC("kretprobe/" target)            \
	int BPF_KRETPROBE(prog, long ret)   \
	{                                   \
		return finish_pending(ret); \
	}

/* tracepoint mode: syscalls:sys_enter_<name>. */
#define ARGTRACE_SYS_ENTER(name, how)                              \
	SEC("tracepoint/syscalls/sys_enter_" #name)                \
	int name##_tp_enter(struct trace_event_raw_sys_enter *ctx) \
	{                                                          \
		struct argtrace_args a;                            \
		args_from_sys_enter(&a, ctx);                      \
		return park_call(ctx, PROBE_TRACEPOINT, how, &a);  \
	}

/* tracepoint mode: syscalls:sys_exit_<name>. */
#define ARGTRACE_SYS_EXIT(name)                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)               \
	int name##_tp_exit(struct trace_event_raw_sys_exit *ctx) \
	{                                                        \
		return finish_pending(ctx->ret);                 \
	}

#endif
