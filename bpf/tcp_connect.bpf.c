// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace tcp-connect: every active TCP open, with addresses, ports and the
 * connect syscall's result. The socket is read where the kernel has chosen the
 * source address and port (tcp_connect()), kept per thread, and reported when
 * the connect syscall returns.
 * fentry mode: fentry tcp_connect + fexit on the connect syscall wrapper.
 * kprobe mode: kprobe tcp_connect + kretprobe on the wrapper.
 * tracepoint mode: sock:inet_sock_set_state (CLOSE -> SYN_SENT, addresses) +
 * syscalls:sys_exit_connect (source port, result).
 * With -T or -s, a program at the connect syscall's entry (fentry or kprobe
 * on the wrapper, sys_enter_connect) stamps the start, so that the duration is
 * the whole connect call's, not only from tcp_connect() on. */
#define ARGTRACE_RECORD struct tcp_connect_event
#include "vmlinux.h"

/* What tcp_connect() (or the state change) saw, kept for connect's return:
 * the socket's addresses must be read while the connect is under way (a
 * failed one releases its port). Kernel side only. */
struct tcp_connect_entry {
	__u16 family;
	__u16 sport; /* host order */
	__u16 dport; /* host order */
	__u8 sport_known;
	__u8 from_tp; /* tracepoint mode: read sport at return from sk */
	__u32 saddr4; /* network order, as in the socket */
	__u32 daddr4;
	__u8 saddr6[16];
	__u8 daddr6[16];
	__u64 sk;
};
#define ARGTRACE_ENTRY struct tcp_connect_entry
#include "calls.bpf.h"

#define ARGTRACE_AF_INET6 10
#define ARGTRACE_IPPROTO_TCP 6

/* 0: both families; else AF_INET or AF_INET6. */
const volatile __u16 target_family = 0;

struct tcp_connect_event _tcp_connect_event = {};

/* Where the socket comes from. */
#define TCP_FROM_SOCK 0 /* tcp_connect(struct sock *sk): arg[0] is sk, arg[1] its family */
#define TCP_FROM_TP 1	/* sock:inet_sock_set_state: ctx is the record */

/* One call, one summary row. */
static __always_inline __u32 summary_row(__u32 how)
{
	return 0;
}

static __always_inline bool want_family(__u16 family)
{
	return target_family == 0 || family == target_family;
}

static __always_inline void save_entry(struct tcp_connect_entry *in, void *ctx, __u32 how,
				       const struct argtrace_args *a)
{
	if (how == TCP_FROM_SOCK) {
		/* What an active open needs from struct sock_common (CO-RE). */
		struct sock *sk = (struct sock *)a->arg[0];

		in->family = a->arg[1];
		in->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		in->sport_known = 1;
		in->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		in->saddr4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		in->daddr4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (in->family == ARGTRACE_AF_INET6) {
			BPF_CORE_READ_INTO(&in->saddr6, sk,
					   __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&in->daddr6, sk,
					   __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	} else {
		struct trace_event_raw_inet_sock_set_state *tp = ctx;

		in->family = tp->family;
		in->dport = tp->dport;
		/* Copied with a helper: the verifier refuses loads through a ctx
		 * pointer that the compiler has offset. */
		bpf_probe_read_kernel(&in->saddr4, 4, tp->saddr);
		bpf_probe_read_kernel(&in->daddr4, 4, tp->daddr);
		if (in->family == ARGTRACE_AF_INET6) {
			bpf_probe_read_kernel(in->saddr6, 16, tp->saddr_v6);
			bpf_probe_read_kernel(in->daddr6, 16, tp->daddr_v6);
		}
		/* The kernel sets SYN_SENT before it picks the source port: keep
		 * the socket to read the port when connect returns. */
		in->sk = (__u64)tp->skaddr;
		in->from_tp = 1;
	}
}

/* At connect's return. */
static __always_inline void fill_record(struct tcp_connect_event *e, __u32 how,
					const struct tcp_connect_entry *in, long ret)
{
	e->family = in->family;
	e->dport = in->dport;
	e->saddr4 = in->saddr4;
	e->daddr4 = in->daddr4;
	__builtin_memcpy(e->saddr6, in->saddr6, sizeof(e->saddr6));
	__builtin_memcpy(e->daddr6, in->daddr6, sizeof(e->daddr6));
	if (in->from_tp) {
		struct sock *sk = (struct sock *)in->sk;

		/* A failed connect has released the port already: then say unknown. */
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->sport_known = e->sport != 0;
	} else {
		e->sport = in->sport;
		e->sport_known = in->sport_known;
	}
}

/* The socket, parked in the thread's slot until connect returns. The
 * argument hook runs inside the call, after its start: with timing on, the
 * call's start is its *_start program's, and a socket without it is skipped
 * (a call that began before argtrace attached, or one whose start is not
 * stamped: tcp_connect() from a TCP Fast Open sendmsg). */
static __always_inline int park_socket(void *ctx, __u8 probe, __u32 how,
				       const struct argtrace_args *a)
{
	struct argtrace_pending *p;

	if (!timing)
		return park_call(ctx, probe, how, a);
	if (!want_task())
		return 0;
	p = pending_slot();
	if (!p)
		return 0;
	if (!p->start_ns) {
		release_slot(p);
		return 0;
	}
	return park_args(ctx, p, probe, how, a);
}

/* fentry and kprobe modes: the socket at tcp_connect(), parked until the
 * connect syscall returns. */
static __always_inline int tcp_connect_entry(void *ctx, struct sock *sk, __u8 probe)
{
	struct argtrace_args a = {
		.arg = { (__u64)sk, BPF_CORE_READ(sk, __sk_common.skc_family) },
	};

	if (!want_family(a.arg[1]))
		return 0;
	return park_socket(ctx, probe, TCP_FROM_SOCK, &a);
}

/* -T, -s: the connect syscall's start, in each mode. */
SEC("fentry/" ARGTRACE_SYSCALL(connect))
int BPF_PROG(connect_fentry_start)
{
	return begin_call();
}

SEC("kprobe/" ARGTRACE_SYSCALL(connect))
int BPF_KPROBE(connect_kprobe_start)
{
	return begin_call();
}

SEC("tracepoint/syscalls/sys_enter_connect")
int connect_tp_start(void *ctx)
{
	return begin_call();
}

SEC("fentry/tcp_connect")
int BPF_PROG(tcp_connect_fentry, struct sock *sk)
{
	return tcp_connect_entry(ctx, sk, PROBE_FENTRY);
}

SEC("fexit/" ARGTRACE_SYSCALL(connect))
int BPF_PROG(connect_fexit, const struct pt_regs *regs, long ret)
{
	return finish_pending(ret);
}

SEC("kprobe/tcp_connect")
int BPF_KPROBE(tcp_connect_kprobe, struct sock *sk)
{
	return tcp_connect_entry(ctx, sk, PROBE_KPROBE);
}

ARGTRACE_KRETPROBE(connect_kretprobe, ARGTRACE_SYSCALL(connect))

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_connect_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct argtrace_args none = {};

	if (ctx->protocol != ARGTRACE_IPPROTO_TCP || ctx->oldstate != TCP_CLOSE ||
	    ctx->newstate != TCP_SYN_SENT || !want_family(ctx->family))
		return 0;
	return park_socket(ctx, PROBE_TRACEPOINT, TCP_FROM_TP, &none);
}

ARGTRACE_SYS_EXIT(connect)
