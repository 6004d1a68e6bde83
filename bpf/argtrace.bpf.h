/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every argtrace BPF object shares, whatever its probe family: the
 * in-kernel filters (const volatile rodata written between open and load),
 * the ring buffer and its wakeups, the per-CPU drop counter, the stack map,
 * and the summary counters (-s).
 *
 * An object includes the header of its family instead of this one:
 * calls.bpf.h (fentry, kprobe, tracepoints: a call's entry paired with its
 * return) or cgroup.bpf.h (cgroup hooks: instants, and a socket's creator). */
#ifndef ARGTRACE_BPF_H
#define ARGTRACE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "argtrace.h"
#include "regs.h"

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
/* --cgroup/--container: only tasks in the cgroup of cgroup_filter's one
 * entry or below it (bpf_current_task_under_cgroup: a task moved in later
 * counts from its next call). Tracing programs only: the cgroup family
 * attaches its programs to that cgroup instead. */
const volatile bool filter_cgroup = false;
/* argtrace's own process: never traced, so its own work cannot feed back. */
const volatile __u32 self_pid = 0;
/* -s: count each call in call_stats, stream nothing. */
const volatile bool summary_mode = false;
/* -T or -s: stamp each call's entry and measure it at its return. */
const volatile bool timing = false;
/* Whether anything shows a record's time (-t, JSON) or a call's duration (-T,
 * -s): with none and task storage (5.11+), `argtrace syscall` reads no clock
 * per call (stamp_entry(), send_flags()): in a VM the clock is a sixth of a
 * traced call's program time. */
const volatile bool want_clock = true;
/* Whether anything shows a record's cgroup (JSON, --container-info). */
const volatile bool want_cgroup_id = true;
/* Where a call waits for its return: task-local storage (Linux 5.11+, where
 * this program type may use it), else the hash keyed by thread id. User
 * space decides before load and leaves the other map uncreated. It also says
 * that bpf_get_current_task_btf() works: the current task's ids, name and
 * user are then read straight from it (current_pid_tgid(), fill_header()). */
const volatile bool use_task_storage = false;
/* Waking the reader for every record costs the traced task an irq_work (a
 * self-interrupt) and the reader a context switch per event. Wake it once
 * wakeup_bytes wait, and then not again until less than that waits (it only
 * sleeps with the ring empty, so it is awake and draining until then), or
 * when the last wakeup is older than wakeup_interval_ns (so a lone event is
 * not held back, and a reader that somehow missed its wakeup gets another);
 * the reader also drains on its own poll timeout. */
const volatile __u64 wakeup_bytes = 64 * 1024;
const volatile __u64 wakeup_interval_ns = 10 * 1000 * 1000;
/* A reader this far behind cannot keep up: wake it for every record
 * again. Each wakeup is an irq_work, a self-interrupt that delays the traced
 * thread (about a microsecond here), and that delay lets the reader catch
 * up: the traced task is slowed rather than its records lost, and only while
 * the ring is at risk. */
const volatile __u64 lag_bytes = 1024 * 1024;
__u64 last_wakeup_ns = 0;
/* Set by the wakeup for wakeup_bytes waiting, cleared once less waits. */
bool reader_woken = false;

/* The enums and structs of argtrace.h, kept in every object's BTF (an enum
 * only used for its constants leaves none), so that each skeleton's types
 * module has them. */
enum argtrace_probe _argtrace_probe = 0;
/* The summary's counters and limits (-s), read the same way whatever the
 * subject: src/trace/summary.rs takes their Rust types from one skeleton. */
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

/* -f: the followed processes and threads (enum argtrace_follow), seeded by
 * user space from -p, --tid and CMD; bpf/follow.bpf.c adds each child of a
 * followed task as the kernel creates it, before it can run, and removes a
 * process once its last thread is gone. Without -f it holds one entry and is
 * never read. */
const volatile bool follow_forks = false;
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FOLLOW_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} follow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

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
	return follow_forks || only_pid || filter_pid || filter_tid || filter_uid || filter_comm;
}

/* With -f: is the task's process followed, or (--tid) the thread itself? */
static __always_inline bool followed(__u32 pid, __u32 tid)
{
	__u8 *how = bpf_map_lookup_elem(&follow, &pid);

	if (how && *how == FOLLOW_PROCESS)
		return true;
	if (!filter_tid)
		return false;
	how = bpf_map_lookup_elem(&follow, &tid);
	return how && *how == FOLLOW_THREAD;
}

/* Do a task's ids pass the -p and --tid filters (with -f: the follow map)? argtrace's own process
 * never does, so its own work cannot feed back. */
static __always_inline bool want_ids(__u32 pid, __u32 tid)
{
	if (pid == self_pid)
		return false;
	if (follow_forks)
		return followed(pid, tid);
	if (only_pid && pid != only_pid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, &pid))
		return false;
	if (filter_tid && !bpf_map_lookup_elem(&tid_filter, &tid))
		return false;
	return true;
}

/* Does the current task pass every filter? Fills pid and tid on the way. */
static __always_inline bool want_task_ids(__u32 *pid, __u32 *tid)
{
	__u64 id = current_pid_tgid();

	*pid = id >> 32;
	*tid = (__u32)id;
	if (!want_ids(*pid, *tid))
		return false;
	if (filter_uid && current_uid() != target_uid)
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
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

/* The stacks of the current context, with --stack (-1 each without). */
static __always_inline void take_stacks(void *ctx, __s32 *kstack, __s32 *ustack)
{
	if (want_stacks) {
		*kstack = bpf_get_stackid(ctx, &stacks, 0);
		*ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	} else {
		*kstack = -1;
		*ustack = -1;
	}
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
 * early wakeup. The shared flags are written only when they change: a
 * reader that lags (the ring holds more than wakeup_bytes for as long as it
 * drains) costs no wakeup and no cache line bounced between producers. */
static __always_inline __u64 wakeup_flags_every(__u64 now, __u64 interval)
{
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bool full = waiting >= wakeup_bytes;

	if (waiting >= lag_bytes)
		return BPF_RB_FORCE_WAKEUP;
	if (full != reader_woken)
		reader_woken = full;
	else
		full = false;
	if (full || now - last_wakeup_ns >= interval) {
		last_wakeup_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* The same, `now` in nanoseconds. */
static __always_inline __u64 wakeup_flags(__u64 now)
{
	return wakeup_flags_every(now, wakeup_interval_ns);
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

/* A 32-bit task's syscall result as the call returned it, from the raw
 * sys_exit tracepoint: arm64 passes regs_return_value(), which sign-extends a
 * compat task's 32 bits (an mmap2 address above 2 GiB would look negative).
 * Only -4095..-1 are errnos; anything else is the unsigned 32-bit value. */
static __always_inline long compat_result(long ret)
{
	return ret < -4095 ? (long)(__u32)ret : ret;
}

#endif
