/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The cgroup family (sock, skb): programs of cgroup hooks, whose events are
 * instants with no call to pair with a return. This header fills their
 * header for the current task, counts them in summary mode, and keeps the
 * creator of each socket: the task that made it and when, in socket-local
 * storage (BPF_MAP_TYPE_SK_STORAGE) keyed by the socket itself, so that a
 * later hook, even one in softirq context where the current task is whoever
 * ran it, can name it.
 *
 * The creators map is made with BPF_F_NO_PREALLOC; a subject that wants
 * more (skb: BPF_F_CLONE, so that an accepted socket's packets, which come
 * before accept() returns, inherit its listener's owner) sets its flags from
 * user space before load. sock names the task that accepted it instead
 * (bpf/sock.bpf.c). */
#ifndef ARGTRACE_CGROUP_BPF_H
#define ARGTRACE_CGROUP_BPF_H

#include "argtrace.bpf.h"

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
	h->cgroup_id = bpf_get_current_cgroup_id();
	take_stacks(ctx, &h->kstack_id, &h->ustack_id);
}

/* Summary mode for cgroup hooks: one event of row `row` (sock: its op; skb:
 * its direction). An event is an instant, not a call: no duration, no
 * result; user space shows the count only. */
static __always_inline void count_event(__u32 row)
{
	count_call(row, 0, 0);
}

/* Summary mode: one event of row `row` that is known to have failed (sock: a
 * bind the kernel never confirmed), counted with its row's errors. The
 * errno is not seen by the hook: none is filed. */
static __always_inline void count_failed_event(__u32 row)
{
	__u32 zero = 0, *gen = bpf_map_lookup_elem(&summary_gen, &zero);
	struct argtrace_call_stats *s;
	__u32 slot;

	count_call(row, 0, 0);
	if (!gen || row >= ARGTRACE_SUMMARY_ROWS)
		return;
	slot = (*gen & 1) * ARGTRACE_SUMMARY_ROWS + row;
	s = bpf_map_lookup_elem(&call_stats, &slot);
	if (s)
		s->errors += 1;
}

/* False on a kernel without socket-local storage: the creators map is then not
 * created, and the verifier drops the code that uses it as dead. */
const volatile bool have_sk_storage = true;

/* Who created each socket, and when: freed with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_creator);
} creators SEC(".maps");

/* The recorded creator of `sk` (a full socket: a cgroup sock program's ctx,
 * bpf_sock_addr's sk, or bpf_sk_fullsock()'s result), or NULL. */
static __always_inline struct sock_creator *creator_of(void *sk)
{
	if (!have_sk_storage)
		return NULL;
	return bpf_sk_storage_get(&creators, sk, NULL, 0);
}

/* Records the current task, at `now`, as the creator of `sk`, which must be a
 * hook in the task's own context (sock_create, connect, sendmsg). With
 * only_if_missing an existing record is kept: a socket older than argtrace
 * gets one at its first such use. Returns the record, or NULL. */
static __always_inline struct sock_creator *note_creator(void *sk, __u64 now, bool only_if_missing)
{
	struct sock_creator *c;

	if (!have_sk_storage)
		return NULL;
	/* A new storage is zeroed; bpf_ktime_get_ns() is never 0. */
	c = bpf_sk_storage_get(&creators, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (c && (!only_if_missing || c->ts_ns == 0)) {
		__u64 id = bpf_get_current_pid_tgid();

		c->ts_ns = now;
		c->flags = 0;
		c->pid = id >> 32;
		c->tid = (__u32)id;
		c->uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(c->comm, sizeof(c->comm));
	}
	return c;
}

/* Does a socket's creator pass the task filters (-p, --tid, -u, -c)? The same
 * filters as want_task(), applied to the recorded task instead of the current
 * one; argtrace's own sockets are never shown. */
static __always_inline bool want_creator(const struct sock_creator *c)
{
	if (!want_ids(c->pid, c->tid))
		return false;
	if (filter_uid && c->uid != target_uid)
		return false;
	if (filter_comm && !comm_matches(c->comm))
		return false;
	return true;
}

#endif
