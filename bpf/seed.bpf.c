// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace's seed: at start-up, every inet socket that already exists gets an
 * owner in the socket-local storage of the subject's object (sock, skb), whose
 * creators map user space hands over (bpf_map__reuse_fd) before load. Not a
 * subject: one iterator program, run once by reading it to its end.
 *
 * Two passes, three iterator programs. iter/task_file visits each open file
 * of each task (threads that share their leader's file table are skipped by
 * the kernel); bpf_sock_from_file() (Linux 5.11) tells a socket, whose
 * struct sock pointer keys the task in a hash. The verifier of newer kernels
 * calls that pointer untrusted, and bpf_sk_storage_get() wants a trusted
 * one: iter/tcp and iter/udp hand over every TCP and UDP socket trusted, and
 * look the task up by the same pointer (sk storage from iterators: 5.11).
 * The first task seen holding a socket is its owner, marked
 * SOCK_CREATOR_SEEDED: the socket's maker may be gone, and a listener
 * inherited by workers is held by them all. A record that exists (a socket
 * made since the subject attached) is kept. It only reads. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "argtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* argtrace's own process: its sockets are never anybody's. */
const volatile __u32 self_pid = 0;

/* Reused: the subject's own map of this name. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_creator);
} creators SEC(".maps");

/* The first pass's result: the task holding each socket, by its address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, __u64);
	__type(value, struct sock_creator);
} holders SEC(".maps");

/* What the run did: sockets given an owner, those that had one, and the
 * sockets of tasks the hash had no room for. */
__u64 seeded = 0;
__u64 kept = 0;
__u64 no_room = 0;

SEC("iter/task_file")
int seed_holders(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_creator c = {};
	struct socket *sock;
	__u64 sk;

	if (!task || !file || task->tgid == self_pid)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = (__u64)sock->sk;
	if (!sk)
		return 0;
	c.ts_ns = SOCK_CREATOR_SEEDED_TS;
	c.flags = SOCK_CREATOR_SEEDED;
	c.pid = task->tgid;
	c.tid = task->pid;
	c.uid = BPF_CORE_READ(task, cred, uid.val);
	bpf_probe_read_kernel_str(c.comm, sizeof(c.comm), task->comm);
	/* The first holder stays. */
	if (bpf_map_update_elem(&holders, &sk, &c, BPF_NOEXIST) == -7 /* E2BIG */)
		no_room++;
	return 0;
}

/* The second pass, for one socket (trusted: from a socket iterator). */
static __always_inline void seed_socket(void *sk)
{
	__u64 key = (__u64)sk;
	struct sock_creator *holder = bpf_map_lookup_elem(&holders, &key);
	struct sock_creator *c;

	if (!holder)
		return;
	c = bpf_sk_storage_get(&creators, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c)
		return;
	if (c->ts_ns) {
		kept++;
		return;
	}
	*c = *holder;
	seeded++;
}

/* Each socket read once from the context: a second read would be another,
 * unchecked maybe-NULL pointer to the 6.1 verifier. */
SEC("iter/tcp")
int seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *sk = ctx->sk_common;

	if (sk)
		seed_socket(sk);
	return 0;
}

SEC("iter/udp")
int seed_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *sk = ctx->udp_sk;

	if (sk)
		seed_socket(sk);
	return 0;
}
