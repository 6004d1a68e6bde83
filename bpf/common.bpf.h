/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every argtrace BPF object shares: the in-kernel filters (const volatile
 * rodata written between open and load), the ring buffer, the per-CPU drop
 * counter, the stack map, and the per-thread table pairing entry with return. */
#ifndef ARGTRACE_COMMON_BPF_H
#define ARGTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "argtrace.h"
#include "regs.h"

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
		for (int i = 0; i < ARGTRACE_COMM_LEN; i++) {
			if (comm[i] != target_comm[i])
				return false;
			if (comm[i] == 0)
				break;
		}
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

/* Sends a finished record (it starts with its event_header), or counts it as
 * lost. The header's stamp stands in for "now": one clock read less per event,
 * and a stale stamp only means an early wakeup. */
static __always_inline void submit(void *record, __u64 size)
{
	__u64 now = ((struct event_header *)record)->ts_ns;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (now - last_wakeup_ns >= wakeup_interval_ns ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		last_wakeup_ns = now;
	}
	if (bpf_ringbuf_output(&events, record, size, flags))
		count_drop();
}

/* Declares the per-thread table that holds a call's arguments from its entry
 * hook until its return hook (kprobe and tracepoint modes). A plain hash, not
 * LRU: when it is full the new call is counted as lost instead of an older
 * one vanishing without a trace. */
#define ARGTRACE_PENDING_MAP(value_type)			\
	struct {						\
		__uint(type, BPF_MAP_TYPE_HASH);		\
		__uint(max_entries, 16384);			\
		__type(key, __u32);				\
		__type(value, value_type);			\
	} pending SEC(".maps")

/* Stores a call's entry record for its thread, or counts it as lost. */
#define ARGTRACE_PENDING_PUT(tid, record)					\
	do {									\
		if (bpf_map_update_elem(&pending, (tid), (record), BPF_ANY))	\
			count_drop();						\
	} while (0)

/* At a return hook: completes the thread's pending record with `ret` and
 * submits it. Calls made before argtrace attached have no record. */
#define ARGTRACE_PENDING_FINISH(value_type, retval)				\
	({									\
		__u32 __tid = (__u32)bpf_get_current_pid_tgid();		\
		value_type *__e = bpf_map_lookup_elem(&pending, &__tid);	\
		if (__e) {							\
			__e->ret = (retval);					\
			submit(__e, sizeof(*__e));				\
			bpf_map_delete_elem(&pending, &__tid);			\
		}								\
		0;								\
	})

#endif
