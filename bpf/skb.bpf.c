// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace skb: every packet in and out of a cgroup, with its IP and TCP/UDP
 * headers, payload bytes and the process that owns its socket.
 *
 * BPF_PROG_TYPE_CGROUP_SKB:       cgroup_skb/egress, cgroup_skb/ingress
 *                                 (ctx: struct __sk_buff, data at the IP header)
 * BPF_PROG_TYPE_CGROUP_SOCK:      cgroup/sock_create      } record the owner
 * BPF_PROG_TYPE_CGROUP_SOCK_ADDR: cgroup/connect4|6,      } in socket-local
 *                                 cgroup/sendmsg4|6       } storage
 * BPF_PROG_TYPE_SOCKET_FILTER:    socket (the fallback: an AF_PACKET socket
 *                                 bound to an interface, both directions by
 *                                 pkt_type, no process)
 *
 * Headers and payload are read with bpf_skb_load_bytes(), which goes through
 * skb_header_pointer() and so reads page fragments too. Its sibling
 * bpf_skb_load_bytes_relative() copies from the linear part only, and a TCP
 * send's payload lies in page fragments: that is the EFAULT seed 000 met
 * (--compare-relative shows both on the same packet).
 *
 * The owner comes from socket-local storage, never from the current task: at
 * ingress (and for the ACKs and retransmissions TCP sends from softirq) the
 * current task is whichever one the softirq interrupted. The storage is
 * written in the task's own context: at socket creation, or at a connect or
 * UDP send of a socket older than argtrace; an accepted socket inherits its
 * listener's record (BPF_F_CLONE). -p/-c/-u filter on that owner.
 *
 * Every program only reads. The cgroup programs return 1 (pass): a 0 would
 * drop the packet or refuse the call. The socket filter returns 0: for a
 * socket filter the value is how many bytes of the packet argtrace's own
 * AF_PACKET socket keeps (none: the ring buffer carries what is shown), and
 * it changes nothing for anyone else. */
/* An accepted socket inherits its listener's creator: user space makes the
 * creators map with BPF_F_CLONE too (src/subject/skb/attach.rs). */
#include "cgroup.bpf.h"

#define SKB_IPPROTO_TCP 6
#define SKB_IPPROTO_UDP 17
#define SKB_ETH_P_IP 0x0800
#define SKB_ETH_P_IPV6 0x86DD
#define SKB_PACKET_OUTGOING 4
/* IPv4's fragment offset bits (network order in the header). */
#define SKB_IP_OFFSET 0x1fff

/* Which hook runs the shared code (a constant once inlined). */
#define HOOK_CGROUP 0
#define HOOK_SOCKET 1

/* Filters on the packet, set by user space before load. */
const volatile __u8 target_version = 0;	  /* 0: both; 4 or 6 */
const volatile __u8 target_proto = 0;	  /* 0: all; IPPROTO_TCP or IPPROTO_UDP */
const volatile __u16 target_port = 0;	  /* 0: any; else the source or destination port */
const volatile __u8 host_version = 0;	  /* 0: any host; 4 or 6: target_host is one */
const volatile __u8 target_host[16] = {}; /* network order; IPv4 in the first 4 bytes */
/* Socket filter mode: which directions to show (bit 0 egress, bit 1 ingress);
 * cgroup mode leaves the other direction's program unloaded instead. */
const volatile __u8 socket_dirs = 3;
/* What to carry after the record: with pcap_snaplen (--pcap) the packet from
 * its IP header up to that many bytes, else the payload up to peek_len. */
const volatile __u32 peek_len = 64;
const volatile __u32 pcap_snaplen = 0;
/* Show packets of sockets without an owner record although -p/-c/-u is set. */
const volatile bool want_unowned = false;
/* bpf_get_current_*() may be called from cgroup_skb programs (6.18 lets them;
 * Debian's 6.1 and 6.12 refuse them there): the header then names the
 * current task. */
const volatile bool have_current = false;
/* --compare-relative: also try bpf_skb_load_bytes_relative on the payload. */
const volatile bool compare_relative = false;

enum argtrace_skb_dir _argtrace_skb_dir = 0;
struct skb_event _skb_event = {};

/* The parts of the IPv4, IPv6, TCP and UDP headers argtrace reads. */
struct ip4_head {
	__u8 version_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct ip6_head {
	__u32 version_class_flow;
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct tcp_head {
	__u16 source;
	__u16 dest;
	__u32 seq;
	__u32 ack_seq;
	__u8 doff_res; /* data offset in the high 4 bits */
	__u8 flags;
	__u16 window;
	__u16 check;
	__u16 urg_ptr;
};

struct udp_head {
	__u16 source;
	__u16 dest;
	__u16 len;
	__u16 check;
};

/* Reads the IP and transport headers into e; false for a packet that is not
 * IPv4 or IPv6, or too short to hold its IP header. */
static __always_inline bool parse(struct __sk_buff *skb, struct skb_event *e)
{
	union {
		struct ip4_head v4;
		struct ip6_head v6;
	} ip;
	__u32 l4 = 0;
	bool first_fragment = true;

	if (bpf_skb_load_bytes(skb, 0, &ip.v4, sizeof(ip.v4)))
		return false;
	e->version = ip.v4.version_ihl >> 4;
	if (e->version == 4) {
		__u32 ihl = (ip.v4.version_ihl & 0xf) * 4;

		if (ihl < sizeof(ip.v4))
			return false;
		e->ip_hdr_len = ihl;
		e->proto = ip.v4.protocol;
		*(__u32 *)e->saddr = ip.v4.saddr;
		*(__u32 *)e->daddr = ip.v4.daddr;
		first_fragment = !(ip.v4.frag_off & bpf_htons(SKB_IP_OFFSET));
		l4 = ihl;
	} else if (e->version == 6) {
		if (bpf_skb_load_bytes(skb, 0, &ip.v6, sizeof(ip.v6)))
			return false;
		e->ip_hdr_len = sizeof(ip.v6);
		/* Only the fixed header: a transport header behind extension
		 * headers is not looked for (proto is then the first of them). */
		e->proto = ip.v6.nexthdr;
		__builtin_memcpy(e->saddr, ip.v6.saddr, 16);
		__builtin_memcpy(e->daddr, ip.v6.daddr, 16);
		l4 = sizeof(ip.v6);
	} else {
		return false;
	}
	if (first_fragment && e->proto == SKB_IPPROTO_TCP) {
		struct tcp_head th;

		if (!bpf_skb_load_bytes(skb, l4, &th, sizeof(th))) {
			e->sport = bpf_ntohs(th.source);
			e->dport = bpf_ntohs(th.dest);
			e->seq = bpf_ntohl(th.seq);
			e->ack = bpf_ntohl(th.ack_seq);
			e->tcp_flags = th.flags;
			e->l4_hdr_len = (th.doff_res >> 4) * 4;
			/* A header shorter than its fixed part, or longer than the
			 * packet: what it claims is no header (tcpdump's "bad hdr
			 * length"), so nothing after it is payload. */
			e->malformed = e->l4_hdr_len < sizeof(th) || l4 + e->l4_hdr_len > skb->len;
		}
	} else if (first_fragment && e->proto == SKB_IPPROTO_UDP) {
		struct udp_head uh;

		if (!bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh))) {
			e->sport = bpf_ntohs(uh.source);
			e->dport = bpf_ntohs(uh.dest);
			e->l4_hdr_len = sizeof(uh);
		}
	}
	return true;
}

/* The packet filters: -4/-6, --proto, --port, --host. */
static __always_inline bool want_packet(const struct skb_event *e)
{
	if (target_version && e->version != target_version)
		return false;
	if (target_proto && e->proto != target_proto)
		return false;
	if (target_port && e->sport != target_port && e->dport != target_port)
		return false;
	if (host_version) {
		bool src = true, dst = true;

		if (e->version != host_version)
			return false;
		for (int i = 0; i < 16; i++) {
			if (host_version == 4 && i == 4)
				break;
			if (e->saddr[i] != target_host[i])
				src = false;
			if (e->daddr[i] != target_host[i])
				dst = false;
		}
		if (!src && !dst)
			return false;
	}
	return true;
}

/* Reserves a record with room for `size` bytes of packet (a constant per
 * call: the verifier wants one), copies e into it, appends cap bytes
 * (1..size) from offset data_off, and sends it; or counts it as lost.
 * (--snaplen is at most 262144, tcpdump's default: GSO super-packets at these
 * hooks exceed an IP packet's 64 KiB.) */
static __always_inline void send_with(struct __sk_buff *skb, const struct skb_event *e, __u32 cap,
				      const __u32 size)
{
	struct skb_event *r = bpf_ringbuf_reserve(&events, sizeof(*r) + size, 0);
	__u32 n;

	if (!r) {
		count_drop();
		return;
	}
	*r = *e;
	/* cap is 1..size here; the mask lets the verifier see that too. */
	n = ((cap - 1) & (size - 1)) + 1;
	r->load_err = bpf_skb_load_bytes(skb, e->data_off, (void *)(r + 1), n);
	r->cap_len = r->load_err ? 0 : n;
	bpf_ringbuf_submit(r, wakeup_flags(e->h.ts_ns));
}

/* Sends e with cap bytes of packet after it, in the smallest of eight size
 * classes that holds them: a record is reserved at a constant size, and most
 * packets are small. */
static __always_inline void send(struct __sk_buff *skb, struct skb_event *e, __u32 cap)
{
	if (cap == 0) {
		e->cap_len = 0;
		submit(e, sizeof(*e));
	} else if (cap <= 64) {
		send_with(skb, e, cap, 64);
	} else if (cap <= 512) {
		send_with(skb, e, cap, 512);
	} else if (cap <= 2048) {
		send_with(skb, e, cap, 2048);
	} else if (cap <= 8192) {
		send_with(skb, e, cap, 8192);
	} else if (cap <= 32768) {
		send_with(skb, e, cap, 32768);
	} else if (cap <= 65536) {
		send_with(skb, e, cap, 65536);
	} else if (cap <= 131072) {
		send_with(skb, e, cap, 131072);
	} else {
		send_with(skb, e, cap, 262144);
	}
}

/* One packet at one hook: parse, filter, name the owner, send. */
static __always_inline void on_packet(struct __sk_buff *skb, __u8 dir, const int hook)
{
	struct skb_event e = {};
	__u32 payload_off, avail, want, cap;

	if (!parse(skb, &e))
		return;
	e.dir = dir;
	if (!want_packet(&e))
		return;

	if (hook == HOOK_CGROUP) {
		struct bpf_sock *sk = skb->sk;
		struct sock_creator *owner = NULL;

		if (sk)
			sk = bpf_sk_fullsock(sk);
		if (sk)
			owner = creator_of(sk);
		if (owner) {
			if (!want_creator(owner))
				return;
			e.owner = *owner;
			e.has_owner = 1;
		} else if (task_filtered() && !want_unowned) {
			return;
		}
	} else {
		e.ifindex = skb->ifindex;
		e.pkt_type = skb->pkt_type;
	}

	if (summary_mode) {
		/* -s: one packet of its direction, nothing sent. */
		count_event(dir);
		return;
	}
	e.h.ts_ns = bpf_ktime_get_ns();
	e.h.kstack_id = -1;
	e.h.ustack_id = -1;
	if (hook == HOOK_CGROUP) {
		e.h.probe = PROBE_CGROUP;
		/* The socket's cgroup (its creator's when it was made), whoever runs. */
		e.h.cgroup_id = bpf_skb_cgroup_id(skb);
		if (have_current) {
			__u64 id = bpf_get_current_pid_tgid();

			e.h.pid = id >> 32;
			e.h.tid = (__u32)id;
			e.h.uid = (__u32)bpf_get_current_uid_gid();
			bpf_get_current_comm(e.h.comm, sizeof(e.h.comm));
		}
	} else {
		e.h.probe = PROBE_SOCKET;
	}
	e.cookie = bpf_get_socket_cookie(skb);
	e.len = skb->len;
	payload_off = e.ip_hdr_len + e.l4_hdr_len;
	e.payload_len = e.len > payload_off && !e.malformed ? e.len - payload_off : 0;
	if (e.malformed)
		payload_off = e.len;

	e.relative_ret = 1;
	if (hook == HOOK_CGROUP && compare_relative) {
		__u8 first;

		e.linear_len = (long)skb->data_end - (long)skb->data;
		if (e.payload_len)
			e.relative_ret = bpf_skb_load_bytes_relative(skb, payload_off, &first, 1,
								     BPF_HDR_START_NET);
	}

	if (pcap_snaplen) {
		e.data_off = 0;
		want = pcap_snaplen;
	} else {
		e.data_off = payload_off;
		want = peek_len;
	}
	avail = e.len > e.data_off ? e.len - e.data_off : 0;
	cap = avail < want ? avail : want;
	send(skb, &e, cap);
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	on_packet(skb, SKB_EGRESS, HOOK_CGROUP);
	return 1;
}

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	on_packet(skb, SKB_INGRESS, HOOK_CGROUP);
	return 1;
}

/* The owner records, in the task's own context. */
SEC("cgroup/sock_create")
int skb_sock_create(struct bpf_sock *ctx)
{
	note_creator(ctx, bpf_ktime_get_ns(), false);
	return 1;
}

SEC("cgroup/connect4")
int skb_connect4(struct bpf_sock_addr *ctx)
{
	note_creator(ctx->sk, bpf_ktime_get_ns(), true);
	return 1;
}

SEC("cgroup/connect6")
int skb_connect6(struct bpf_sock_addr *ctx)
{
	note_creator(ctx->sk, bpf_ktime_get_ns(), true);
	return 1;
}

SEC("cgroup/sendmsg4")
int skb_sendmsg4(struct bpf_sock_addr *ctx)
{
	note_creator(ctx->sk, bpf_ktime_get_ns(), true);
	return 1;
}

SEC("cgroup/sendmsg6")
int skb_sendmsg6(struct bpf_sock_addr *ctx)
{
	note_creator(ctx->sk, bpf_ktime_get_ns(), true);
	return 1;
}

/* The fallback: both directions of an interface, no process. */
SEC("socket")
int skb_socket(struct __sk_buff *skb)
{
	__u32 proto = skb->protocol;
	__u8 dir = skb->pkt_type == SKB_PACKET_OUTGOING ? SKB_EGRESS : SKB_INGRESS;

	if (proto != bpf_htons(SKB_ETH_P_IP) && proto != bpf_htons(SKB_ETH_P_IPV6))
		return 0;
	if (!(socket_dirs & (1 << dir)))
		return 0;
	on_packet(skb, dir, HOOK_SOCKET);
	return 0;
}
