/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every argtrace BPF object shares: the in-kernel filters (const volatile
 * rodata written between open and load), the ring buffer, the per-CPU drop
 * counter, the stack map, the per-thread slot pairing entry with return, the
 * summary counters (-s), and the argument layer: every program of a subject,
 * in every mode, turns what its hook sees into a struct argtrace_args and
 * hands it to emit_record().
 *
 * Each object of call hooks names its record before including this file, e.g.
 *	#define ARGTRACE_RECORD struct clone_event
 * and defines fill_record() (declared below). The record starts with a
 * struct event_header h and has a __s64 ret.
 * An object of cgroup hooks (sock, skb) has no call to pair with a return: it
 * defines ARGTRACE_CGROUP_HOOKS instead and gets the filters, the header, the
 * ring buffer, the drop counter and the summary counters only (and includes
 * creator.bpf.h for the creator of a socket).
 *
 * A call's way: the entry hook (kprobe, sys_enter) parks what the return
 * needs in the thread's slot (its arguments and entry stamp: struct
 * argtrace_pending); the return hook (kretprobe, sys_exit) reserves the record
 * in the ring buffer, fills it in place from the slot and submits it, or, in
 * summary mode, only counts the call. fexit (fentry mode) sees arguments and
 * result at once; with -T or -s an fentry program on the same function
 * stamps the start (programs named *_start load only then: src/bpf.rs). */
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
const volatile bool filter_pid = false; /* pids are in pid_filter */
const volatile __u32 only_pid = 0;	/* a single -p: compared here, no map lookup */
const volatile bool filter_tid = false; /* tids are in tid_filter */
const volatile bool filter_uid = false;
const volatile __u32 target_uid = 0;
const volatile bool filter_comm = false;
const volatile char target_comm[ARGTRACE_COMM_LEN] = {};
const volatile bool want_stacks = false;
/* argtrace's own process: never traced, so its own work cannot feed back. */
const volatile __u32 self_pid = 0;
/* -s: count each call in call_stats, stream nothing. */
const volatile bool summary_mode = false;
/* -T or -s: stamp each call's entry and measure it at its return. */
const volatile bool timing = false;
/* Where a call waits for its return: task-local storage (Linux 5.11+, where
 * this program type may use it), else the hash keyed by thread id. User
 * space decides before load and leaves the other map uncreated. It also says
 * that bpf_get_current_task_btf() works: the current task's ids, name and
 * user are then read straight from it (current_pid_tgid(), fill_header()). */
const volatile bool use_task_storage = false;
/* Waking the reader for every record costs the traced task an irq_work and
 * the reader a context switch per event. Wake it only once this much waits,
 * or when the last wakeup is older than wakeup_interval_ns (so a lone event
 * is not held back); the reader also drains on its own poll timeout. */
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u64 wakeup_interval_ns = 10 * 1000 * 1000;
__u64 last_wakeup_ns = 0;

/* The enums and structs of argtrace.h, kept in every object's BTF (an enum
 * only used for its constants leaves none), so that each skeleton's types
 * module has them. */
enum argtrace_probe _argtrace_probe = 0;
enum argtrace_clone_syscall _argtrace_clone_syscall = 0;
/* The summary's counters and limits (-s), read the same way whatever the
 * subject: src/summary.rs takes their Rust types from one skeleton. */
enum argtrace_summary_limits _argtrace_summary_limits = 0;
struct argtrace_call_stats _argtrace_call_stats = {};
struct argtrace_errno_key _argtrace_errno_key = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* --ringbuf-size overrides; not created with -s */
} events SEC(".maps");

/* A call that could not be delivered or counted (ring buffer full, no slot
 * for its entry) is counted here, per CPU, and reported at exit. */
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
	__uint(max_entries, 1); /* raised by user space with --stack */
} stacks SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		*n += 1;
}

/* The current task's process and thread id (tgid << 32 | pid, as
 * bpf_get_current_pid_tgid() gives them). Where the kernel has BTF task
 * pointers they are two loads from the task; each helper here costs 10 to 60
 * ns a call in a VM (docs/benchmarks.md), as much as the hook itself. */
static __always_inline __u64 current_pid_tgid(void)
{
	if (use_task_storage) {
		struct task_struct *task = bpf_get_current_task_btf();

		return (__u64)task->tgid << 32 | (__u32)task->pid;
	}
	return bpf_get_current_pid_tgid();
}

/* The current task's uid (in the initial user namespace, as
 * bpf_get_current_uid_gid() gives it: a kuid's value) and name. */
static __always_inline __u32 current_uid(void)
{
	if (use_task_storage)
		return bpf_get_current_task_btf()->cred->uid.val;
	return (__u32)bpf_get_current_uid_gid();
}

static __always_inline void current_comm(char *comm)
{
	if (use_task_storage)
		__builtin_memcpy(comm, bpf_get_current_task_btf()->comm, ARGTRACE_COMM_LEN);
	else
		bpf_get_current_comm(comm, ARGTRACE_COMM_LEN);
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
	return only_pid || filter_pid || filter_tid || filter_uid || filter_comm;
}

/* Does the current task pass every filter? Fills pid and tid on the way. */
static __always_inline bool want_task_ids(__u32 *pid, __u32 *tid)
{
	__u64 id = current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	if (*pid == self_pid)
		return false;
	if (only_pid && *pid != only_pid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, pid))
		return false;
	if (filter_tid && !bpf_map_lookup_elem(&tid_filter, tid))
		return false;
	if (filter_uid && current_uid() != target_uid)
		return false;
	if (filter_comm) {
		char comm[ARGTRACE_COMM_LEN];

		current_comm(comm);
		if (!comm_matches(comm))
			return false;
	}
	return true;
}

static __always_inline bool want_task(void)
{
	__u32 pid, tid;

	return want_task_ids(&pid, &tid);
}

/* The summary's rows per generation: a subject's calls (ARGTRACE_MAX_CALLS),
 * or, for a subject of many (syscall: every number of two ABIs), its own. */
#ifndef ARGTRACE_SUMMARY_ROWS
#define ARGTRACE_SUMMARY_ROWS ARGTRACE_MAX_CALLS
#endif

/* Summary mode: per call and CPU, in two generations (slot = generation *
 * ARGTRACE_SUMMARY_ROWS + call); user space flips summary_gen at each
 * --interval, lets the programs that still hold the old one finish, then reads
 * and clears the old generation, so no call falls between two tables. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * ARGTRACE_SUMMARY_ROWS);
	__type(key, __u32);
	__type(value, struct argtrace_call_stats);
} call_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct argtrace_errno_key);
	__type(value, __u64);
} call_errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} summary_gen SEC(".maps");

/* floor(log2(v)), 0 for 0 and 1: the bucket of the histogram (bcc's log2l). */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* Counts one finished call: calls, errors per errno, total, minimum and
 * maximum duration, and its log2 bucket. Per-CPU values: only this CPU
 * writes them while the program runs. */
static __always_inline void count_call(__u32 call, long ret, __u64 ns)
{
	__u32 zero = 0, *gen = bpf_map_lookup_elem(&summary_gen, &zero);
	struct argtrace_call_stats *s;
	__u32 slot, bucket;

	if (!gen || call >= ARGTRACE_SUMMARY_ROWS) {
		count_drop();
		return;
	}
	slot = (*gen & 1) * ARGTRACE_SUMMARY_ROWS + call;
	s = bpf_map_lookup_elem(&call_stats, &slot);
	if (!s) {
		count_drop();
		return;
	}
	if (s->calls == 0 || ns < s->min_ns)
		s->min_ns = ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	s->calls += 1;
	s->total_ns += ns;
	bucket = log2_u64(ns);
	/* The mask after a barrier: older verifiers (6.1) lose the bound
	 * through log2's shifts and ORs, and clang would drop a mask it can
	 * prove useless. */
	barrier_var(bucket);
	bucket &= ARGTRACE_HIST_SLOTS - 1;
	s->hist[bucket] += 1;
	if (ret < 0 && ret >= -4095) {
		struct argtrace_errno_key key = { .slot = slot, .err = -ret };
		__u64 one = 1, *n;

		s->errors += 1;
		n = bpf_map_lookup_elem(&call_errors, &key);
		if (n) {
			*n += 1;
		} else if (bpf_map_update_elem(&call_errors, &key, &one, BPF_NOEXIST)) {
			/* Another CPU made the key in between: count on this CPU's
			 * value. A full map leaves the errno uncounted; user space
			 * shows the difference to `errors` as unknown. */
			n = bpf_map_lookup_elem(&call_errors, &key);
			if (n)
				*n += 1;
		}
	}
}

/* The wakeup flag for a record stamped `now`. A stale stamp only means an
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

/* Sends a finished record built outside the ring (it starts with its
 * event_header, whose stamp stands in for "now"), or counts it as lost. */
static __always_inline void submit(void *record, __u64 size)
{
	__u64 now = ((struct event_header *)record)->ts_ns;

	if (bpf_ringbuf_output(&events, record, size, wakeup_flags(now)))
		count_drop();
}

/* Submits a record reserved in the ring buffer and filled in place. `now` is
 * the latest stamp at hand. */
static __always_inline void submit_reserved(void *record, __u64 now)
{
	bpf_ringbuf_submit(record, wakeup_flags(now));
}

#ifdef ARGTRACE_CGROUP_HOOKS
/* Fills the header of an event of a cgroup hook for the current task (pid
 * and tid from want_task_ids()); no call, so no duration. */
static __always_inline void fill_event_header(void *ctx, struct event_header *h, __u32 pid,
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

/* Summary mode for cgroup hooks: one event of row `row` (sock: its op; skb:
 * its direction). An event is an instant, not a call: no duration, no
 * result; user space shows the count only. */
static __always_inline void count_event(__u32 row)
{
	count_call(row, 0, 0);
}
#endif /* ARGTRACE_CGROUP_HOOKS */

#ifdef ARGTRACE_RECORD
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

/* What a call's entry keeps for its return: by default its six arguments. A
 * subject whose entry hook must read more while it can (tcp-connect: the
 * socket's addresses, before a failed connect clears them) defines
 * ARGTRACE_ENTRY as its own struct before including this file, and
 * save_entry() to fill it. */
#ifndef ARGTRACE_ENTRY
#define ARGTRACE_ENTRY struct argtrace_args
/* How many arguments the call `how` has (clone: 5, clone3: 2, fork: 0). Only
 * those are read: a syscall tracepoint's record ends after them, and the
 * kernel refuses to attach a program that reads past it (EACCES). */
#ifndef ARGTRACE_NARGS
#define ARGTRACE_NARGS(how) 6
#endif
static __always_inline void save_entry(struct argtrace_args *in, void *ctx, __u32 how,
				       const struct argtrace_args *a)
{
	for (int i = 0; i < 6; i++)
		in->arg[i] = i < ARGTRACE_NARGS(how) ? a->arg[i] : 0;
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
 * at the call's return. */
static __always_inline void fill_record(ARGTRACE_RECORD *e, __u32 how, const ARGTRACE_ENTRY *in);

/* A subject that reads what the call wrote back to user memory defines
 * ARGTRACE_AT_RETURN(e, ret) before including this file; it runs wherever the
 * result is known (fexit, kretprobe, sys_exit), reading only. */
#ifndef ARGTRACE_AT_RETURN
#define ARGTRACE_AT_RETURN(e, ret) \
	do {                       \
	} while (0)
#endif

/* A subject that also filters on the call itself (tcp-send: only TCP sockets,
 * of one family or port) defines ARGTRACE_WANT_CALL(how, a): a bool, asked
 * once the task has passed the filters (so a filtered-out task costs nothing
 * more), that may complete `a` with what it looked up (the socket behind a
 * file descriptor) for save_entry(). */
#ifndef ARGTRACE_WANT_CALL
#define ARGTRACE_WANT_CALL(how, a) true
#endif

/* Where a record is made and how it is sent: by default reserved in the ring
 * buffer (reserve_record()) and submitted in place. A subject whose record
 * carries a variable-length tail (tcp-send's payload bytes) defines both:
 * ARGTRACE_RESERVE() gives a zeroed record built elsewhere (NULL, with a drop
 * counted, when there is none), ARGTRACE_COMMIT(e, now) adds the tail and
 * sends them together. */
#ifndef ARGTRACE_RESERVE
#define ARGTRACE_RESERVE() reserve_record()
#define ARGTRACE_COMMIT(e, now) submit_reserved((e), (now))
#endif

/* Which of the subject's calls (a row of the summary) `how` is: 0..
 * ARGTRACE_MAX_CALLS-1, named in user space by the subject (Subject::
 * call_name). A subject of several calls defines it (clone: the syscall). */
#ifndef ARGTRACE_CALL
#define ARGTRACE_CALL(how) 0
#endif

/* A subject whose argument hook runs inside the call, after its start
 * (tcp-connect: tcp_connect() within connect()), defines this to 1 and has
 * *_start programs at the call's entry: with timing on, the call's start is
 * theirs, and an argument hook without it (a call that began before argtrace
 * attached) is skipped. */
#ifndef ARGTRACE_STARTS_BEFORE_ENTRY
#define ARGTRACE_STARTS_BEFORE_ENTRY 0
#endif

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
 * (the hash is full, no memory): the caller counts a drop. */
static __always_inline struct argtrace_pending *new_pending_slot(void)
{
	struct argtrace_pending *p;
	__u32 tid;

	if (use_task_storage)
		return bpf_task_storage_get(&pending_tasks, bpf_get_current_task_btf(), NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
	tid = (__u32)bpf_get_current_pid_tgid();
	if (ARGTRACE_STARTS_BEFORE_ENTRY) {
		/* Keep what a *_start program put there. */
		p = bpf_map_lookup_elem(&pending, &tid);
		if (p)
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

static __always_inline void entry_stacks(void *ctx, __s32 *kstack, __s32 *ustack)
{
	if (want_stacks) {
		*kstack = bpf_get_stackid(ctx, &stacks, 0);
		*ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	} else {
		*kstack = -1;
		*ustack = -1;
	}
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

/* The one way a call is recorded: for the current task, if it passes the
 * filters. A hook that has the call's result (fexit: finished) makes the
 * record with it (or counts it, with -s); an entry hook parks what the return
 * needs in the thread's slot, for finish_pending(). */
static __always_inline int emit_record(void *ctx, __u8 probe, __u32 how, struct argtrace_args *a,
				       bool finished, long ret)
{
	struct argtrace_pending *p;
	__s32 kstack, ustack;
	__u64 now, start;

	if (finished) {
		/* fexit. With timing, the thread's fentry *_start program has
		 * stamped the call (and filtered the task); without its stamp
		 * the call began before argtrace attached: skipped. */
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
		if (!ARGTRACE_WANT_CALL(how, a))
			return 0;
		if (summary_mode) {
			count_call(ARGTRACE_CALL(how), ret, now - start);
			return 0;
		}
		ARGTRACE_RECORD *e = ARGTRACE_RESERVE();
		ARGTRACE_ENTRY in;

		if (!e)
			return 0;
		entry_stacks(ctx, &kstack, &ustack);
		fill_header(&e->h, start, probe, kstack, ustack);
		if (timing) {
			e->h.timed = 1;
			e->h.duration_ns = now - start;
		}
		if (ARGTRACE_CLEAR_ENTRY)
			__builtin_memset(&in, 0, sizeof(in));
		save_entry(&in, ctx, how, a);
		fill_record(e, how, &in);
		e->ret = ret;
		ARGTRACE_AT_RETURN(e, ret);
		ARGTRACE_COMMIT(e, now);
		return 0;
	}

	if (!want_task() || !ARGTRACE_WANT_CALL(how, a))
		return 0;
	p = new_pending_slot();
	if (!p) {
		count_drop();
		return 0;
	}
	if (ARGTRACE_STARTS_BEFORE_ENTRY && timing) {
		/* The call's own start, from its *_start program; none: the call
		 * began before argtrace attached, or is not one whose start is
		 * stamped (tcp_connect() from a TCP Fast Open sendmsg). */
		if (!p->start_ns) {
			release_slot(p);
			return 0;
		}
	} else {
		p->start_ns = bpf_ktime_get_ns();
	}
	p->how = how;
	p->probe = probe;
	if (!summary_mode) {
		entry_stacks(ctx, &p->kstack_id, &p->ustack_id);
		if (ARGTRACE_CLEAR_ENTRY)
			__builtin_memset(&p->in, 0, sizeof(p->in));
		save_entry(&p->in, ctx, how, a);
	}
	p->have_entry = 1;
	return 0;
}

/* At a return hook: makes the record of the thread's call in flight from its
 * slot, with `ret`, and sends it (or counts the call, with -s). Calls made
 * before argtrace attached, or by a task the filters left out, have none. */
static __always_inline int finish_pending(long ret)
{
	struct argtrace_pending *p = pending_slot();
	__u64 now;

	if (!p || !p->start_ns)
		return 0;
	if (!p->have_entry) {
		/* A *_start without the argument hook: not this subject's call
		 * (tcp-connect: a connect that is not TCP's). */
		release_slot(p);
		return 0;
	}
	/* Without timing the entry's stamp stands in for "now" (submit_reserved()'s
	 * wakeup decision): one clock read less per call. */
	now = timing ? bpf_ktime_get_ns() : p->start_ns;
	if (summary_mode) {
		count_call(ARGTRACE_CALL(p->how), ret, now - p->start_ns);
		release_slot(p);
		return 0;
	}
	ARGTRACE_RECORD *e = ARGTRACE_RESERVE();

	if (!e) {
		release_slot(p);
		return 0;
	}
	fill_header(&e->h, p->start_ns, p->probe, p->kstack_id, p->ustack_id);
	if (timing) {
		e->h.timed = 1;
		e->h.duration_ns = now - p->start_ns;
	}
	fill_record(e, p->how, &p->in);
	release_slot(p);
	e->ret = ret;
	ARGTRACE_AT_RETURN(e, ret);
	ARGTRACE_COMMIT(e, now);
	return 0;
}

/* The programs that every subject writes alike, reduced to where they attach
 * and the subject's `how` for fill_record(). Entry hooks park the call,
 * return hooks send it, fexit does both at once. */

/* fentry mode with -T or -s: the start of the call whose fexit has the
 * arguments, on the same function. Named *_start: loaded only then. */
#define ARGTRACE_FENTRY_START(prog, func) \
	SEC("fentry/" func)               \
	int BPF_PROG(prog)                \
	{                                 \
		return begin_call();      \
	}

/* fentry mode: fexit on a syscall wrapper sees its struct pt_regs * and the
 * result. */
#define ARGTRACE_SYSCALL_FEXIT(name, how)                                  \
	SEC("fexit/" ARGTRACE_SYSCALL(name))                               \
	int BPF_PROG(name##_fexit, const struct pt_regs *regs, long ret)   \
	{                                                                  \
		struct argtrace_args a;                                    \
		args_from_syscall_regs(&a, regs);                          \
		return emit_record(ctx, PROBE_FENTRY, how, &a, true, ret); \
	}

/* kprobe mode, on a syscall wrapper: the arguments from its struct pt_regs *. */
#define ARGTRACE_SYSCALL_KPROBE(name, how)                                \
	SEC("kprobe/" ARGTRACE_SYSCALL(name))                             \
	int BPF_KPROBE(name##_kprobe, const struct pt_regs *regs)         \
	{                                                                 \
		struct argtrace_args a;                                   \
		args_from_syscall_regs(&a, regs);                         \
		return emit_record(ctx, PROBE_KPROBE, how, &a, false, 0); \
	}

/* kprobe mode, on an ordinary kernel function: the arguments from the
 * registers of the call. */
#define ARGTRACE_FUNC_KPROBE(prog, func, how)                             \
	SEC("kprobe/" func)                                               \
	int prog(struct pt_regs *ctx)                                     \
	{                                                                 \
		struct argtrace_args a;                                   \
		args_from_kprobe(&a, ctx);                                \
		return emit_record(ctx, PROBE_KPROBE, how, &a, false, 0); \
	}

/* kprobe mode, at the return of `target` (a function or a wrapper). */
#define ARGTRACE_KRETPROBE(prog, target)    \
	SEC("kretprobe/" target)            \
	int BPF_KRETPROBE(prog, long ret)   \
	{                                   \
		return finish_pending(ret); \
	}

/* tracepoint mode: syscalls:sys_enter_<name>. */
#define ARGTRACE_SYS_ENTER(name, how)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                           \
	int name##_tp_enter(struct trace_event_raw_sys_enter *ctx)            \
	{                                                                     \
		struct argtrace_args a;                                       \
		args_from_sys_enter(&a, ctx);                                 \
		return emit_record(ctx, PROBE_TRACEPOINT, how, &a, false, 0); \
	}

/* tracepoint mode: syscalls:sys_exit_<name>. */
#define ARGTRACE_SYS_EXIT(name)                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)               \
	int name##_tp_exit(struct trace_event_raw_sys_exit *ctx) \
	{                                                        \
		return finish_pending(ctx->ret);                 \
	}

#endif /* ARGTRACE_RECORD */

#endif
