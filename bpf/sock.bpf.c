// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace sock: the life of every inet socket (create, bind, connect, UDP
 * destinations, close) from cgroup hooks, each event tied to its socket by the
 * socket cookie and to the task that created it by socket-local storage.
 *
 * BPF_PROG_TYPE_CGROUP_SOCK:      cgroup/sock_create, cgroup/post_bind4|6,
 *                                 cgroup/sock_release (ctx: struct bpf_sock)
 * BPF_PROG_TYPE_CGROUP_SOCK_ADDR: cgroup/bind4|6, cgroup/connect4|6,
 *                                 cgroup/sendmsg4|6 (ctx: struct bpf_sock_addr)
 *
 * User space attaches them with bpf_links to a cgroup v2 directory. Every
 * program returns 1 (allow) and only reads: a 0 would refuse the call, and a
 * socket whose sock_create program refused it never reaches sock_release.
 * Each program reads only the context fields its attach type may read
 * (net/core/filter.c, sock_filter_is_valid_access() and
 * sock_addr_is_valid_access()): src_ip4 only at post_bind4, src_ip6 only at
 * post_bind6, src_port at both, user_ip4 only in the *4 hooks, user_ip6 only
 * in the *6 ones. These are direct loads on purpose: a refused one fails at
 * load, while BPF_CORE_READ of the same field loads and reads 0, a value that
 * would then be printed as if the kernel had said it. */
/* An accepted socket (cloned by the kernel from its listener, with no
 * sock_create of its own) gets as its creator the task that accepted it,
 * marked SOCK_CREATOR_ACCEPTED: accept's return, in that task's own context,
 * is a syscall tracepoint (the one hook there that every kernel has, and
 * that needs no trusted socket pointer), which parks the task in
 * `acceptors` by the socket's address; the socket's next cgroup hook (its
 * close at the latest) moves it into `creators`. Never the listener's
 * creator: the creators map is not BPF_F_CLONE here. */
#include "cgroup.bpf.h"

#define ARGTRACE_AF_INET 2
#define ARGTRACE_AF_INET6 10
#define ARGTRACE_IPPROTO_TCP 6

/* 0: both families; else AF_INET or AF_INET6 (the socket's family). */
const volatile __u16 target_family = 0;
/* 0: every protocol; else IPPROTO_TCP or IPPROTO_UDP. */
const volatile __u16 target_protocol = 0;

enum argtrace_sock_op _argtrace_sock_op = 0;
struct sock_event _sock_event = {};

/* A bind's request, by cookie, until post_bind completes it with what the
 * kernel granted. A bind refused before post_bind stays here until the
 * socket's next event (another bind, connect, sendmsg or close), which sends
 * it first, as the request alone. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct sock_event);
} pending_binds SEC(".maps");

/* The task that accepted a socket, by the socket's kernel address, from
 * accept's return until the socket's next cgroup hook takes it: for a TCP
 * connection that is its close, so this holds one entry per accepted
 * connection still open (LRU: beyond 65536 of them the oldest lose their
 * acceptor, and an entry no hook ever takes, a socket of another cgroup than
 * --cgroup, is pushed out; about 6 MiB). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_creator);
} acceptors SEC(".maps");

/* One slot per CPU in which a cgroup hook turns its socket pointer into the
 * number that keys `acceptors` (the verifier lets a privileged loader store
 * a pointer into a map value, and reads it back as a number; 5.10 allows no
 * other way). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sock_key SEC(".maps");

static __always_inline bool want_sock(__u32 family, __u32 protocol)
{
	if (target_family && family != target_family)
		return false;
	if (target_protocol && protocol != target_protocol)
		return false;
	return true;
}

static __always_inline void copy_creator(struct sock_event *e, const struct sock_creator *c)
{
	if (c) {
		e->creator = *c;
		e->has_creator = 1;
	}
}

/* `sk` (a cgroup sock program's ctx, or bpf_sock_addr's sk: the struct
 * sock itself) as the key of `acceptors`, in this CPU's slot; NULL without
 * socket-local storage. */
static __always_inline __u64 *acceptor_key(void *sk)
{
	__u32 zero = 0;
	__u64 *key;

	if (!have_sk_storage)
		return NULL;
	key = bpf_map_lookup_elem(&sock_key, &zero);
	if (key)
		*key = (__u64)sk;
	return key;
}

/* The recorded creator of `sk`, after moving the task that accepted it, if
 * accept's return parked one, into its socket-local storage. */
static __always_inline struct sock_creator *creator_after_accept(void *sk)
{
	__u64 *key = acceptor_key(sk);
	struct sock_creator *a, *c;

	if (!key)
		return NULL;
	a = bpf_map_lookup_elem(&acceptors, key);
	if (!a)
		return creator_of(sk);
	c = bpf_sk_storage_get(&creators, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (c)
		*c = *a;
	bpf_map_delete_elem(&acceptors, key);
	return c;
}

/* The creator of a socket seen through struct bpf_sock (CGROUP_SOCK programs). */
static __always_inline void creator_of_sock(struct sock_event *e, struct bpf_sock *sk)
{
	copy_creator(e, creator_after_accept(sk));
}

/* accept()'s return, in the accepting task's context: the new descriptor's
 * socket, if it is an inet one, gets this task parked as its acceptor. The
 * descriptor is looked up in the task's file table (a socket whose file is
 * not the one found, closed by another thread in between, is left alone). */
static __always_inline void note_acceptor(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sock_creator a = {};
	struct file **fds, *file = NULL;
	struct socket *sock;
	__u64 key, id;
	__u16 family;

	if (!have_sk_storage || fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return;
	key = (__u64)BPF_CORE_READ(sock, sk);
	family = BPF_CORE_READ((struct sock *)key, __sk_common.skc_family);
	if (!key || (family != ARGTRACE_AF_INET && family != ARGTRACE_AF_INET6))
		return;
	id = bpf_get_current_pid_tgid();
	if (id >> 32 == self_pid)
		return;
	a.ts_ns = bpf_ktime_get_ns();
	a.flags = SOCK_CREATOR_ACCEPTED;
	a.pid = id >> 32;
	a.tid = (__u32)id;
	a.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(a.comm, sizeof(a.comm));
	bpf_map_update_elem(&acceptors, &key, &a, BPF_ANY);
}

/* accept and accept4 (src/subject/sock.rs attaches these two beside the
 * cgroup programs: they are no cgroup hook). */
SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	note_acceptor(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	note_acceptor(ctx->ret);
	return 0;
}

/* Sends an event, or with -s only counts it under its op. */
static __always_inline void send_event(struct sock_event *e)
{
	if (summary_mode)
		count_event(e->op);
	else
		submit(e, sizeof(*e));
}

/* An earlier bind of this socket that never reached post_bind: sent now, as
 * the request alone, before the event that follows it; with -s counted as a
 * failed bind (the kernel granted nothing). */
static __always_inline void flush_pending_bind(__u64 cookie)
{
	struct sock_event *p = bpf_map_lookup_elem(&pending_binds, &cookie);

	if (p) {
		if (summary_mode)
			count_failed_event(p->op);
		else
			submit(p, sizeof(*p));
		bpf_map_delete_elem(&pending_binds, &cookie);
	}
}

/* The header and the socket's identity, common to every event. */
static __always_inline void fill_sock(struct sock_event *e, void *ctx, __u32 pid, __u32 tid,
				      __u8 op, __u64 cookie, __u32 family, __u32 type,
				      __u32 protocol)
{
	fill_event_header(ctx, &e->h, pid, tid, PROBE_CGROUP);
	e->op = op;
	e->cookie = cookie;
	e->family = family;
	e->type = type;
	e->protocol = protocol;
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *ctx)
{
	struct sock_event e = {};
	__u64 now = bpf_ktime_get_ns();
	/* Every socket's creator is kept, whatever the filters say: a later event
	 * by a task they let through (a child the socket was passed to) still
	 * names it. */
	struct sock_creator *c = note_creator(ctx, now, false);
	__u64 *key = acceptor_key(ctx);
	__u32 pid, tid;

	/* A new socket at the address of one whose accept was parked and never
	 * taken (closed by another thread before accept returned) is not it. */
	if (key)
		bpf_map_delete_elem(&acceptors, key);

	if (!want_sock(ctx->family, ctx->protocol) || !want_task_ids(&pid, &tid))
		return 1;
	fill_sock(&e, ctx, pid, tid, SOCK_OP_SOCKET, bpf_get_socket_cookie(ctx), ctx->family,
		  ctx->type, ctx->protocol);
	/* The creator's stamp and the event's are one and the same instant. */
	e.h.ts_ns = now;
	copy_creator(&e, c);
	send_event(&e);
	return 1;
}

/* The event of a bpf_sock_addr hook (bind, connect, sendmsg): the socket,
 * the address the task asked for, and its creator, after an earlier bind of
 * the socket that never reached post_bind. False when the filters leave it
 * out. */
static __always_inline bool addr_event(struct sock_event *e, struct bpf_sock_addr *ctx, __u8 op,
				       bool v6)
{
	__u32 pid, tid;
	__u64 cookie;

	if (!want_sock(ctx->family, ctx->protocol) || !want_task_ids(&pid, &tid))
		return false;
	cookie = bpf_get_socket_cookie(ctx);
	flush_pending_bind(cookie);
	fill_sock(e, ctx, pid, tid, op, cookie, ctx->family, ctx->type, ctx->protocol);
	e->addr_known = 1;
	e->addr_v6 = v6;
	if (v6) {
		__u32 *a = (__u32 *)e->addr;

		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
	} else {
		*(__u32 *)e->addr = ctx->user_ip4;
	}
	e->port = bpf_ntohs((__u16)ctx->user_port);
	copy_creator(e, creator_after_accept(ctx->sk));
	return true;
}

/* cgroup/bind4 and bind6: the request, parked until post_bind. */
static __always_inline int on_bind(struct bpf_sock_addr *ctx, bool v6)
{
	struct sock_event e = {};

	if (!addr_event(&e, ctx, SOCK_OP_BIND, v6))
		return 1;
	/* No room to park it: send the request now, without the granted address. */
	if (bpf_map_update_elem(&pending_binds, &e.cookie, &e, BPF_ANY))
		send_event(&e);
	return 1;
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, false);
}

SEC("cgroup/bind6")
int bind6(struct bpf_sock_addr *ctx)
{
	return on_bind(ctx, true);
}

/* cgroup/post_bind4 and post_bind6: what the kernel granted (`bound`, as the
 * hook read it), sent with the parked request, or alone for a bind whose
 * request was not seen. */
static __always_inline void send_bound(struct bpf_sock *ctx, const __u32 bound[4], bool v6)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct sock_event *p = bpf_map_lookup_elem(&pending_binds, &cookie);
	struct sock_event e = {};
	__u32 pid, tid;

	if (p) {
		e = *p;
	} else {
		if (!want_sock(ctx->family, ctx->protocol) || !want_task_ids(&pid, &tid))
			return;
		fill_sock(&e, ctx, pid, tid, SOCK_OP_BIND, cookie, ctx->family, ctx->type,
			  ctx->protocol);
		creator_of_sock(&e, ctx);
	}
	e.bound_known = 1;
	e.bound_v6 = v6;
	__builtin_memcpy(e.bound_addr, bound, 16);
	e.bound_port = ctx->src_port;
	send_event(&e);
	if (p)
		bpf_map_delete_elem(&pending_binds, &cookie);
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *ctx)
{
	__u32 bound[4] = { ctx->src_ip4 };

	send_bound(ctx, bound, false);
	return 1;
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *ctx)
{
	__u32 bound[4] = { ctx->src_ip6[0], ctx->src_ip6[1], ctx->src_ip6[2], ctx->src_ip6[3] };

	send_bound(ctx, bound, true);
	return 1;
}

/* cgroup/connect4|6 and sendmsg4|6: the destination the task asked for. */
static __always_inline int on_destination(struct bpf_sock_addr *ctx, __u8 op, bool v6)
{
	struct sock_event e = {};

	if (addr_event(&e, ctx, op, v6))
		send_event(&e);
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return on_destination(ctx, SOCK_OP_CONNECT, false);
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	return on_destination(ctx, SOCK_OP_CONNECT, true);
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	return on_destination(ctx, SOCK_OP_SENDMSG, false);
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	return on_destination(ctx, SOCK_OP_SENDMSG, true);
}

/* cgroup/sock_release: the last close of the socket, by whichever task
 * dropped the last reference (a child the descriptor went to, an exiting
 * task). Its state is the one before the close. */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	struct sock_event e = {};
	__u32 pid, tid;
	__u64 cookie = bpf_get_socket_cookie(ctx);
	/* Taken whatever the filters say: the socket's acceptor ends here. */
	struct sock_creator *c = creator_after_accept(ctx);

	/* A bind refused on this socket is sent whoever closes it. */
	flush_pending_bind(cookie);
	if (!want_sock(ctx->family, ctx->protocol) || !want_task_ids(&pid, &tid))
		return 1;
	fill_sock(&e, ctx, pid, tid, SOCK_OP_CLOSE, cookie, ctx->family, ctx->type, ctx->protocol);
	e.state = ctx->state;
	copy_creator(&e, c);
	send_event(&e);
	return 1;
}
