/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The creator of a socket, shared by the socket subjects (sock, skb): the
 * task that made it and when, kept in socket-local storage
 * (BPF_MAP_TYPE_SK_STORAGE) keyed by the socket itself, so that a later hook,
 * even one in softirq context where the current task is whoever ran it, can
 * name it. Include after common.bpf.h.
 *
 * An object may define ARGTRACE_CREATORS_FLAGS before including this file:
 * skb adds BPF_F_CLONE, so that a socket accept() returns (cloned by the
 * kernel from its listener, with no sock_create of its own) inherits the
 * listener's creator. */
#ifndef ARGTRACE_CREATOR_BPF_H
#define ARGTRACE_CREATOR_BPF_H

#ifndef ARGTRACE_CREATORS_FLAGS
#define ARGTRACE_CREATORS_FLAGS BPF_F_NO_PREALLOC
#endif

/* False on a kernel without socket-local storage: the creators map is then not
 * created, and the verifier drops the code that uses it as dead. */
const volatile bool have_sk_storage = true;

/* Who created each socket, and when: freed with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, ARGTRACE_CREATORS_FLAGS);
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
	__u32 pid = c->pid, tid = c->tid;

	if (pid == self_pid)
		return false;
	if (only_pid && pid != only_pid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pid_filter, &pid))
		return false;
	if (filter_tid && !bpf_map_lookup_elem(&tid_filter, &tid))
		return false;
	if (filter_uid && c->uid != target_uid)
		return false;
	if (filter_comm && !comm_matches(c->comm))
		return false;
	return true;
}

#endif
