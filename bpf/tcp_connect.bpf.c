// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace tcp-connect: every active TCP open, with addresses, ports and the
 * connect syscall's result. The socket is read where the kernel has chosen the
 * source address and port (tcp_connect()), kept per thread, and reported when
 * the connect syscall returns.
 * fentry mode: fentry tcp_connect + fexit on the connect syscall wrapper.
 * kprobe mode: kprobe tcp_connect + kretprobe on the wrapper.
 * tracepoint mode: sock:inet_sock_set_state (CLOSE -> SYN_SENT, addresses) +
 * syscalls:sys_exit_connect (source port, result). */
#define ARGTRACE_RECORD struct tcp_connect_event
#include "common.bpf.h"

#define ARGTRACE_AF_INET6 10
#define ARGTRACE_IPPROTO_TCP 6

/* 0: both families; else AF_INET or AF_INET6. */
const volatile __u16 target_family = 0;

struct tcp_connect_event _tcp_connect_event = {};

/* Where the socket comes from. */
#define TCP_FROM_SOCK 0		/* tcp_connect(struct sock *sk): arg[0] is sk, arg[1] its family */
#define TCP_FROM_TP 1		/* sock:inet_sock_set_state: ctx is the record */

static __always_inline bool want_family(__u16 family)
{
	return target_family == 0 || family == target_family;
}

static __always_inline void fill_record(struct tcp_connect_event *e, void *ctx, __u32 how,
					const struct argtrace_args *a)
{
	if (how == TCP_FROM_SOCK) {
		/* What an active open needs from struct sock_common (CO-RE). */
		struct sock *sk = (struct sock *)a->arg[0];

		e->family = a->arg[1];
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->sport_known = 1;
		e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		e->saddr4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->daddr4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (e->family == ARGTRACE_AF_INET6) {
			BPF_CORE_READ_INTO(&e->saddr6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			BPF_CORE_READ_INTO(&e->daddr6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
	} else {
		struct trace_event_raw_inet_sock_set_state *tp = ctx;

		e->family = tp->family;
		e->dport = tp->dport;
		/* Copied with a helper: the verifier refuses loads through a ctx
		 * pointer that the compiler has offset. */
		bpf_probe_read_kernel(&e->saddr4, 4, tp->saddr);
		bpf_probe_read_kernel(&e->daddr4, 4, tp->daddr);
		if (e->family == ARGTRACE_AF_INET6) {
			bpf_probe_read_kernel(e->saddr6, 16, tp->saddr_v6);
			bpf_probe_read_kernel(e->daddr6, 16, tp->daddr_v6);
		}
		/* The kernel sets SYN_SENT before it picks the source port: keep
		 * the socket to read the port when connect returns. */
		e->sk = (__u64)tp->skaddr;
	}
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
	return emit_record(ctx, probe, TCP_FROM_SOCK, &a, false, 0);
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
	return emit_record(ctx, PROBE_TRACEPOINT, TCP_FROM_TP, &none, false, 0);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct tcp_connect_event *e = pending_record();

	if (e) {
		struct sock *sk = (struct sock *)e->sk;

		/* A failed connect has released the port already: then say unknown. */
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->sport_known = e->sport != 0;
	}
	return finish_pending(ctx->ret);
}
