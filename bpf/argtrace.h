/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The structs that cross the kernel/user line, and nothing else. Rust gets them
 * through the generated skeleton types (a dummy global of each keeps them in BTF). */
#ifndef ARGTRACE_H
#define ARGTRACE_H

#define ARGTRACE_COMM_LEN 16

/* Which hook family produced an event; printed as "probe" in the output. */
enum argtrace_probe {
	PROBE_FENTRY = 1,
	PROBE_KPROBE = 2,
	PROBE_TRACEPOINT = 3,
	PROBE_CGROUP = 4,
	PROBE_SOCKET = 5, /* a socket filter on an AF_PACKET socket (skb --iface) */
	PROBE_TP_BTF = 6, /* the raw syscall tracepoints, BTF-typed (argtrace syscall) */
	PROBE_RAW_TP = 7, /* the same, untyped: kernels without their own BTF */
};

/* Which entry a process or thread creation used. */
enum argtrace_clone_syscall {
	CLONE_SYS_CLONE = 0,
	CLONE_SYS_CLONE3 = 1,
	CLONE_SYS_FORK = 2,
	CLONE_SYS_VFORK = 3,
};

/* -f: what an entry of the follow map (bpf/argtrace.bpf.h) stands for, and
 * how many it holds: a whole process keyed by its tgid (a -p target, CMD, or a
 * process a followed task created), or one thread keyed by its tid (a --tid
 * target, or a thread such a thread created). */
enum argtrace_follow {
	FOLLOW_PROCESS = 1,
	FOLLOW_THREAD = 2,
	FOLLOW_MAX_ENTRIES = 8192,
};

/* The ABI of the task that made a call: its syscall numbers and argument
 * registers (the syscall subject's enum argtrace_syscall_abi has the same values). */
enum argtrace_event_abi {
	EVENT_ABI_NATIVE = 0,
	EVENT_ABI_COMPAT = 1, /* i386 on x86_64 */
};

struct event_header {
	__u64 ts_ns; /* CLOCK_MONOTONIC at the call's entry (fentry mode without -T: at its return) */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 uid;
	__s32 kstack_id; /* -1 when no stack was asked for or it failed */
	__s32 ustack_id;
	__u8 probe; /* enum argtrace_probe */
	__u8 timed; /* 1: duration_ns was measured (-T) */
	__u8 pad[2];
	char comm[ARGTRACE_COMM_LEN];
	__u64 duration_ns; /* from the call's entry to its return, when timed */
	/* The task's cgroup v2 id (its directory's inode number; skb: the
	 * socket's cgroup); 0 where the hook cannot tell. */
	__u64 cgroup_id;
};

/* Summary mode (-s): what the kernel counts per call (a subject's calls are
 * numbered by summary_row() of each calls object, bpf/calls.bpf.h), per CPU, in two generations
 * that user space swaps at each --interval. */
enum argtrace_summary_limits {
	ARGTRACE_MAX_CALLS = 16,  /* calls per subject */
	ARGTRACE_HIST_SLOTS = 64, /* log2 buckets of nanoseconds */
};

struct argtrace_call_stats {
	__u64 calls;
	__u64 errors; /* results in -4095..-1 */
	__u64 total_ns;
	__u64 min_ns; /* valid when calls > 0 */
	__u64 max_ns;
	/* hist[i]: durations in [2^i, 2^(i+1)) ns; hist[0] also 0 */
	__u64 hist[ARGTRACE_HIST_SLOTS];
};

/* The key of the per-errno counts: the call's slot in call_stats and the errno. */
struct argtrace_errno_key {
	__u32 slot;
	__u32 err;
};

/* strace's limits for clone3 (src/clone.c): set_tid's length and the bytes of a longer
 * struct that are shown (max_strlen); bytes are looked at up to the page size. */
#define ARGTRACE_CLONE3_MAX_SET_TID 32
#define ARGTRACE_CLONE3_TAIL_SHOWN 32
#define ARGTRACE_CLONE3_KNOWN_SIZE 88
#define ARGTRACE_CLONE3_TAIL_LIMIT 4096

enum argtrace_clone3_tail {
	CLONE3_TAIL_ZERO = 0,
	CLONE3_TAIL_NONZERO = 1,
	CLONE3_TAIL_UNREADABLE = 2,
};

struct clone_event {
	struct event_header h;
	__u32 syscall;	       /* enum argtrace_clone_syscall */
	__u32 clone3_size;     /* clone3's size argument */
	__s32 clone3_read_err; /* 0, or the error of reading struct clone_args */
	__u8 abi;	       /* enum argtrace_event_abi */
	__u8 pad[3];
	__u64 flags; /* clone: the raw flags argument; clone3: clone_args.flags */
	__u64 newsp; /* clone only */
	__u64 parent_tid;
	__u64 child_tid;
	__u64 tls;
	__u64 args_ptr;	   /* clone3: the user address of struct clone_args */
	__u64 pidfd;	   /* clone3 only */
	__u64 exit_signal; /* clone3 only; clone's is the low byte of flags */
	__u64 stack;	   /* clone3 only */
	__u64 stack_size;  /* clone3 only */
	__s64 ret;
	/* Read back at return, for a parent whose call succeeded: what the kernel
	 * wrote at parent_tid (the child's tid, or clone's pidfd with CLONE_PIDFD)
	 * and at clone3's pidfd. The *_err fields are 0 when the read worked,
	 * else its error (or 1: not read, the call failed or the pointer is NULL). */
	__s32 parent_tid_value;
	__s32 pidfd_value;
	__s32 parent_tid_err;
	__s32 pidfd_err;
	/* clone3 past the first 64 bytes, as strace 6.1 prints them (src/clone.c). */
	__u64 set_tid;
	__u64 set_tid_size;
	__u64 cgroup;
	/* set_tid's elements when 0 < set_tid_size <= 32; set_tid_read of them were readable. */
	__s32 set_tid_values[ARGTRACE_CLONE3_MAX_SET_TID];
	__u32 set_tid_read;
	/* Bytes past struct clone_args (88) up to min(size, 4096): tail_len of them, the
	 * first 32 kept; tail_state says whether all were zero, some were not, or the
	 * read failed (strace's print_nonzero_bytes). */
	__u32 tail_len;
	__s32 tail_state; /* enum argtrace_clone3_tail */
	__u8 tail[ARGTRACE_CLONE3_TAIL_SHOWN];
	/* A 32-bit (i386) task's CLONE_SETTLS: tls points to a struct user_desc,
	 * which strace prints: its four words, and 0 when they were read. */
	__u32 tls_desc[4];
	__s32 tls_desc_err;
	__u32 pad2;
};

/* Which mmap a record is (strace's names): the 64-bit one, i386's mmap2
 * (offset in 4096-byte units) and i386's old mmap (one pointer to its six
 * arguments). */
enum argtrace_mmap_call {
	MMAP_CALL_MMAP = 0,
	MMAP_CALL_MMAP2 = 1,
	MMAP_CALL_OLD_MMAP = 2,
};

struct mmap_event {
	struct event_header h;
	__u64 addr;
	__u64 len;
	__u64 prot;
	__u64 flags;
	__u64 fd;	   /* as the kernel got it; user space prints (int)fd */
	__u64 off;	   /* tracepoint: the syscall's byte offset */
	__u64 pgoff;	   /* fentry/kprobe: ksys_mmap_pgoff's page offset */
	__u8 off_is_bytes; /* 1: off is valid (tracepoint); 0: pgoff is */
	__u8 call;	   /* enum argtrace_mmap_call */
	__u8 abi;	   /* enum argtrace_event_abi */
	__u8 args_unread;  /* the old mmap's struct could not be read: args_ptr only */
	__u8 pad[4];
	__u64 args_ptr; /* the old mmap's pointer to its six arguments */
	__s64 ret;
};

struct tcp_connect_event {
	struct event_header h;
	__u16 family;
	__u16 sport;	  /* host order */
	__u16 dport;	  /* host order */
	__u8 sport_known; /* 0 when the port was already released at exit */
	__u8 pad;
	__u32 saddr4; /* network order, as in the socket */
	__u32 daddr4;
	__u8 saddr6[16];
	__u8 daddr6[16];
	__s64 ret; /* the connect syscall's result */
};

/* What happened to a socket (argtrace sock). */
enum argtrace_sock_op {
	SOCK_OP_SOCKET = 0,  /* cgroup/sock_create */
	SOCK_OP_BIND = 1,    /* cgroup/bind4|6, completed at cgroup/post_bind4|6 */
	SOCK_OP_CONNECT = 2, /* cgroup/connect4|6 */
	SOCK_OP_SENDMSG = 3, /* cgroup/sendmsg4|6: UDP with a destination address */
	SOCK_OP_CLOSE = 4,   /* cgroup/sock_release */
};

/* The task that created a socket and when: kept in socket-local storage from
 * sock_create on, copied into every later event of the socket. */
/* How a socket's creator was learnt (sock_creator.flags). */
enum argtrace_creator_flags {
	/* Seeded at start-up (bpf/seed.bpf.c): the socket is older than argtrace,
	 * and the task is one that held it then, not necessarily its maker;
	 * ts_ns is SOCK_CREATOR_SEEDED_TS, no creation time. */
	SOCK_CREATOR_SEEDED = 1,
	SOCK_CREATOR_SEEDED_TS = 1,
	/* The task that accepted the socket (its accept's return), and when:
	 * an accepted socket has no sock_create of its own. */
	SOCK_CREATOR_ACCEPTED = 2,
};

struct sock_creator {
	__u64 ts_ns; /* CLOCK_MONOTONIC at sock_create (never 0 once recorded) */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 flags; /* enum argtrace_creator_flags */
	char comm[ARGTRACE_COMM_LEN];
};

struct sock_event {
	struct event_header h;
	__u64 cookie;	  /* bpf_get_socket_cookie(): the same on every event of a socket */
	__u8 op;	  /* enum argtrace_sock_op */
	__u8 has_creator; /* 0: created before argtrace started, or no sk_storage */
	__u8 state;	  /* close: the socket's state (TCP: BPF_TCP_*) */
	__u8 addr_known;  /* 1: addr/port hold the request (bind) or destination */
	__u8 bound_known; /* 1: bound_addr/bound_port hold what post_bind saw */
	__u8 addr_v6;	  /* addr is IPv6 (16 bytes), else IPv4 (the first 4) */
	__u8 bound_v6;
	__u8 pad;
	__u16 family;	  /* the socket's: AF_INET or AF_INET6 */
	__u16 type;	  /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW ... */
	__u16 protocol;	  /* IPPROTO_TCP, IPPROTO_UDP ... */
	__u16 port;	  /* host order: the bind request's or the destination's */
	__u16 bound_port; /* host order */
	__u16 pad2;
	__u8 addr[16]; /* network order */
	__u8 bound_addr[16];
	__u32 pad3;
	struct sock_creator creator; /* valid when has_creator */
};

/* The most payload bytes tcp-send shows per send (--peek), and the most
 * iovec segments it gathers them from. */
enum argtrace_peek {
	ARGTRACE_PEEK_MAX = 4096,
	ARGTRACE_PEEK_SEGS = 32,
};

/* The kind of a send's struct iov_iter, in argtrace's own numbering: the
 * kernel's ITER_* values changed across versions (ITER_UBUF was 6, then 5,
 * then 0 from 6.7), so the BPF side maps them with bpf_core_enum_value. */
enum argtrace_iter {
	ARGTRACE_ITER_UNKNOWN = 0, /* this mode cannot know (syscall tracepoints alone) */
	ARGTRACE_ITER_UBUF = 1,
	ARGTRACE_ITER_IOVEC = 2,
	ARGTRACE_ITER_KVEC = 3,
	ARGTRACE_ITER_BVEC = 4,
	ARGTRACE_ITER_XARRAY = 5,
	ARGTRACE_ITER_DISCARD = 6,
	ARGTRACE_ITER_PIPE = 7,
	ARGTRACE_ITER_FOLIOQ = 8,
	ARGTRACE_ITER_OTHER = 9, /* a kind this build does not know: see iter_raw */
};

/* One send on a TCP socket. In the ring buffer the record is followed by
 * peek_len bytes of payload (at most ARGTRACE_PEEK_MAX). */
struct tcp_send_event {
	struct event_header h;
	__u16 family;
	__u16 sport;   /* host order; 0 once the kernel has released the port */
	__u16 dport;   /* host order */
	__u8 iter;     /* enum argtrace_iter */
	__u8 iter_raw; /* the kernel's own iter_type value */
	__u32 saddr4;  /* network order, as in the socket */
	__u32 daddr4;
	__u8 saddr6[16];
	__u8 daddr6[16];
	__u64 size;	/* the bytes the caller handed over */
	__u64 nr_segs;	/* IOVEC, KVEC, BVEC: the iterator's segments */
	__u32 peek_len; /* payload bytes that follow the record */
	__s32 peek_err; /* 0, or the error of a failed read (then peek_len is 0) */
	__s64 ret;	/* bytes sent, or -errno */
	/* Kernel side only: the socket, and where the payload is read when the
	 * call returns (the caller's buffer or an iovec array); after a failed
	 * read, src is the address that failed, which user space shows. */
	__u64 sk;
	__u64 src;
	__u64 src_segs;
	__u64 src_skip; /* bytes of the first segment already consumed */
	__u8 src_kind;
	__u8 iter_seen; /* tracepoint mode: tcp_sendmsg_locked described the iterator */
	__u8 pad[6];
};

/* Which way a packet went (argtrace skb). */
enum argtrace_skb_dir {
	SKB_EGRESS = 0,	 /* cgroup_skb/egress; socket filter: PACKET_OUTGOING */
	SKB_INGRESS = 1, /* cgroup_skb/ingress; socket filter: any other pkt_type */
};

/* One packet (argtrace skb). The record is followed in the ring buffer by
 * cap_len bytes of the packet from offset data_off of its IP header (the
 * whole packet up to --snaplen with --pcap, else the payload up to --peek). */
struct skb_event {
	struct event_header h; /* the task the hook ran in (cgroup mode, where the
				 * kernel lets it be read): at ingress and for TCP's
				 * own sends, whoever ran the softirq */
	__u64 cookie;	       /* bpf_get_socket_cookie(): 0 without a socket */
	__u32 len;	       /* skb->len: the whole packet from its IP header */
	__u32 payload_len;     /* len - ip_hdr_len - l4_hdr_len (0 if shorter) */
	__u32 seq;	       /* TCP, host order */
	__u32 ack;
	__u32 data_off; /* where the bytes that follow start in the packet */
	__u32 cap_len;	/* how many bytes follow */
	__s32 load_err; /* bpf_skb_load_bytes of those bytes: 0 or -errno */
	/* --compare-relative (cgroup mode): bpf_skb_load_bytes_relative of the
	 * payload's first byte from the network header, 0 or -errno, 1 when not
	 * tried; and the skb's linear part (skb->data_end - skb->data), which that
	 * helper cannot read past: a TCP send's payload lies in page fragments. */
	__s32 relative_ret;
	__u32 linear_len;
	__u32 ifindex; /* socket filter: skb->ifindex */
	__u16 sport;   /* host order; 0 without a TCP or UDP header */
	__u16 dport;
	__u16 ip_hdr_len; /* 20..60 (IPv4), 40 (IPv6: the fixed header) */
	__u16 l4_hdr_len; /* TCP: doff * 4; UDP: 8; 0: none read */
	__u8 dir;	  /* enum argtrace_skb_dir */
	__u8 version;	  /* 4 or 6 */
	__u8 proto;	  /* IPv4 protocol / IPv6 next header */
	__u8 tcp_flags;	  /* the TCP header's flags byte (FIN 0x01 .. CWR 0x80) */
	__u8 has_owner;	  /* 0: the socket has no creator record (or no socket) */
	__u8 pkt_type;	  /* socket filter: skb->pkt_type */
	__u8 malformed;	  /* 1: the TCP data offset is below 5 words or past the packet */
	__u8 pad;
	__u8 saddr[16]; /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];
	struct sock_creator owner; /* valid when has_owner */
};

#endif /* ARGTRACE_H */
