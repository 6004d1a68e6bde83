// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace tcp-send: every send on a TCP socket, with the socket's addresses
 * and ports, the size, the kind of the kernel's struct iov_iter, the first
 * bytes of the payload and the result.
 * fentry mode: fentry tcp_sendmsg (socket, iterator) + fexit tcp_sendmsg.
 * kprobe mode: kprobe + kretprobe on tcp_sendmsg, the same way.
 * tracepoint mode: syscalls:sys_enter_/sys_exit_ sendto, sendmsg, write and
 * writev, for file descriptors that are TCP sockets (decided here, from the
 * task's file table); where the kernel has the tcp:tcp_sendmsg_locked
 * tracepoint (6.18; Debian's 6.1 and 6.12 have not), a tp_btf program on it
 * adds the iterator's kind, which the syscall alone cannot know.
 * In every mode the entry notes the socket and where the payload is (the
 * caller's buffer, or an iovec array) in the thread's slot (ARGTRACE_ENTRY:
 * the record's own fields, since the iterator is consumed by the time the
 * call returns); the return reads the payload and sends the record with
 * exactly peek_len bytes behind it in the ring. The BPF side only reads. */
#define ARGTRACE_RECORD struct tcp_send_event
#define ARGTRACE_ENTRY struct tcp_send_event
#include "calls.bpf.h"

#define ARGTRACE_AF_INET 2
#define ARGTRACE_AF_INET6 10
#define ARGTRACE_IPPROTO_TCP 6
#define ARGTRACE_SOCK_STREAM 1
#define ARGTRACE_SOCKFS_MAGIC 0x534F434B
/* The kernel refuses more iovec segments than this (UIO_MAXIOV). */
#define ARGTRACE_UIO_MAXIOV 1024

/* 0: both families; else AF_INET or AF_INET6. */
const volatile __u16 target_family = 0;
/* 0: every port; else only sockets whose local or remote port it is. */
const volatile __u16 target_port = 0;
/* Payload bytes to read per send, at most ARGTRACE_PEEK_MAX; 0: none. */
const volatile __u32 peek_max = 64;

struct tcp_send_event _tcp_send_event = {};
enum argtrace_iter _argtrace_iter = 0;
enum argtrace_peek _argtrace_peek = 0;

/* What the arguments are (`how`). The syscall entries give a file
 * descriptor in arg[0]; tcp_send_want() puts its socket there instead. */
#define SEND_FROM_TCP_SENDMSG 0 /* tcp_sendmsg(sk, msg, size) */
#define SEND_FROM_BUF 1		/* sendto(fd, buf, len, ...), write(fd, buf, count) */
#define SEND_FROM_IOV 2		/* writev(fd, iov, iovcnt) */
#define SEND_FROM_MSGHDR 3	/* sendmsg(fd, msg, flags) */
/* Or'ed into SEND_FROM_IOV and SEND_FROM_MSGHDR by the programs that sum the
 * iovec lengths with bpf_loop() (user_iov_total). */
#define SEND_WITH_BPF_LOOP 0x10
#define SEND_FROM(how) ((how) & ~SEND_WITH_BPF_LOOP)

/* Every mode's send is one tcp_sendmsg: one summary row. */
static __always_inline __u32 summary_row(__u32 how)
{
	return 0;
}

/* Where the payload is read at return (tcp_send_event.src_kind). */
#define PEEK_FROM_NONE 0       /* KVEC, BVEC ...: kernel memory, reported by kind only */
#define PEEK_FROM_USER_BUF 1   /* one user buffer (UBUF, sendto, write) */
#define PEEK_FROM_KERNEL_IOV 2 /* the kernel's copy of the iovec array (IOVEC) */
#define PEEK_FROM_USER_IOV 3   /* the caller's own iovec array (writev, sendmsg) */

/* The CO-RE guard. arch/<arch>/vmlinux.h comes from Debian's 6.1, whose
 * struct iov_iter has `iov`; Linux 6.4 renamed it `__iov` (747b1f65d39a,
 * "iov_iter: overlay struct iovec and ubuf/len"). This flavour spells the new
 * name: libbpf matches iov_iter___new to the kernel's struct iov_iter (the
 * ___ suffix is ignored), and bpf_core_field_exists() picks the branch that
 * the running kernel has when the object is loaded; the other is dead code.
 * Since 6.0 a single-buffer send can be ITER_UBUF, whose `ubuf` shares its
 * storage with iov/__iov: read as an iovec pointer, it would turn the
 * caller's bytes into an address. So the kind comes first. */
struct iov_iter___new {
	const struct iovec *__iov;
} __attribute__((preserve_access_index));

/* Before 5.14 ("iov_iter: separate direction from flavour")
 * struct iov_iter had no iter_type: `unsigned int type` held the kind as a
 * bit (5.10's enum iter_type: ITER_IOVEC = 4, ITER_KVEC = 8, ...) ORed with
 * the direction, READ (0) or WRITE (1). This flavour spells the old name;
 * iov_iter_type() of those kernels is `type & ~(READ | WRITE)`. */
struct iov_iter___old {
	unsigned int type;
} __attribute__((preserve_access_index));
/* The direction bit of the old `type` (WRITE; READ is 0). A macro in the
 * kernel, not in its BTF: an ABI constant of those kernels. */
#define ARGTRACE_ITER_DIR_WRITE 1u

/* ITER_FOLIOQ (6.12+) is not in 6.1's enum iter_type. */
enum iter_type___new {
	ITER_FOLIOQ___new = 0,
};

/* The user-space struct msghdr of sendmsg(2) (a stable ABI: no CO-RE). */
struct argtrace_user_msghdr {
	__u64 msg_name;
	__s32 msg_namelen;
	__u32 pad;
	__u64 msg_iov;
	__u64 msg_iovlen;
	__u64 msg_control;
	__u64 msg_controllen;
	__u32 msg_flags;
};

/* struct iovec, as user space and the kernel lay it out. */
struct argtrace_iovec {
	__u64 base;
	__u64 len;
};

/* The record and its payload, built at return in a per-CPU slot (too large
 * for the BPF stack; one program run never sleeps, so the slot is its own). */
struct tcp_send_out {
	struct tcp_send_event e;
	/* Room for what the verifier can prove of each copy (read_iov): an
	 * offset below ARGTRACE_PEEK_MAX and a length below twice that. */
	__u8 peek[3 * ARGTRACE_PEEK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_send_out);
} send_out SEC(".maps");

/* The kernel's iter_type value in argtrace's numbering. Every value comes
 * from the running kernel's BTF (bpf_core_enum_value), never a literal; a
 * kind the kernel does not have is never compared. */
#define ITER_IS(t, kind)                                     \
	(bpf_core_enum_value_exists(enum iter_type, kind) && \
	 (t) == bpf_core_enum_value(enum iter_type, kind))

static __always_inline __u8 iter_kind(__u8 t)
{
	if (ITER_IS(t, ITER_UBUF))
		return ARGTRACE_ITER_UBUF;
	if (ITER_IS(t, ITER_IOVEC))
		return ARGTRACE_ITER_IOVEC;
	if (ITER_IS(t, ITER_KVEC))
		return ARGTRACE_ITER_KVEC;
	if (ITER_IS(t, ITER_BVEC))
		return ARGTRACE_ITER_BVEC;
	if (ITER_IS(t, ITER_XARRAY))
		return ARGTRACE_ITER_XARRAY;
	if (ITER_IS(t, ITER_DISCARD))
		return ARGTRACE_ITER_DISCARD;
	if (ITER_IS(t, ITER_PIPE))
		return ARGTRACE_ITER_PIPE;
	if (bpf_core_enum_value_exists(enum iter_type___new, ITER_FOLIOQ___new) &&
	    t == bpf_core_enum_value(enum iter_type___new, ITER_FOLIOQ___new))
		return ARGTRACE_ITER_FOLIOQ;
	return ARGTRACE_ITER_OTHER;
}

/* The iterator of a send: its kind and segments, and (note_source) where
 * its payload is, for the read at return. */
static __always_inline void describe_iter(struct tcp_send_event *e, struct msghdr *msg,
					  bool note_source)
{
	struct iov_iter *it = &msg->msg_iter;
	__u64 skip;
	__u8 t;

	if (bpf_core_field_exists(it->iter_type)) {
		t = BPF_CORE_READ(it, iter_type);
	} else {
		/* Before 5.14: the kind's bit beside the direction in `type`
		 * (a value of enum iter_type, 4 to 128, once the direction is
		 * off: it fits iter_raw). */
		struct iov_iter___old *it_old = (void *)it;

		if (!bpf_core_field_exists(it_old->type))
			return;
		t = BPF_CORE_READ(it_old, type) & ~ARGTRACE_ITER_DIR_WRITE;
	}
	e->iter_raw = t;
	e->iter = iter_kind(t);
	if (e->iter == ARGTRACE_ITER_IOVEC || e->iter == ARGTRACE_ITER_KVEC ||
	    e->iter == ARGTRACE_ITER_BVEC)
		e->nr_segs = BPF_CORE_READ(it, nr_segs);
	if (!note_source)
		return;
	skip = BPF_CORE_READ(it, iov_offset);
	if (e->iter == ARGTRACE_ITER_UBUF) {
		if (bpf_core_field_exists(it->ubuf)) {
			e->src = (__u64)BPF_CORE_READ(it, ubuf) + skip;
			e->src_kind = PEEK_FROM_USER_BUF;
		}
	} else if (e->iter == ARGTRACE_ITER_IOVEC) {
		const struct iovec *iov;

		if (bpf_core_field_exists(it->iov)) {
			iov = BPF_CORE_READ(it, iov);
		} else {
			struct iov_iter___new *it_new = (void *)it;

			iov = BPF_CORE_READ(it_new, __iov);
		}
		e->src = (__u64)iov;
		e->src_segs = e->nr_segs;
		e->src_skip = skip;
		e->src_kind = PEEK_FROM_KERNEL_IOV;
	}
}

/* The TCP socket behind a file descriptor of the current task, or NULL:
 * the file must be a socket of sockfs (its inode's superblock says so, and
 * the socket points back at the file), of protocol TCP. */
static __always_inline struct sock *tcp_socket_of_fd(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != ARGTRACE_SOCKFS_MAGIC)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return NULL;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != ARGTRACE_IPPROTO_TCP ||
	    BPF_CORE_READ(sk, sk_type) != ARGTRACE_SOCK_STREAM)
		return NULL;
	return sk;
}

/* Where tcp_send_want() leaves the socket's family for save_entry(): no
 * entry of tcp-send uses a sixth argument. */
#define ARG_FAMILY 5

/* The local and remote ports, read at once: skc_portpair overlays skc_dport
 * (network order) and skc_num (host order), in this order in memory, so on
 * the little-endian x86_64 and arm64 dport is the low half. */
static __always_inline void socket_ports(struct sock *sk, __u16 *sport, __u16 *dport)
{
	__u32 pair = BPF_CORE_READ(sk, __sk_common.skc_portpair);

	*dport = bpf_ntohs((__u16)pair);
	*sport = pair >> 16;
}

/* Only TCP sockets that pass the family and port filters (the syscall
 * entries: the socket behind the file descriptor, put in arg[0]). */
static __always_inline bool tcp_send_want(__u32 how, struct argtrace_args *a)
{
	struct sock *sk = (struct sock *)a->arg[0];
	__u16 family;

	if (SEND_FROM(how) != SEND_FROM_TCP_SENDMSG) {
		sk = tcp_socket_of_fd(a->arg[0]);
		if (!sk)
			return false;
		a->arg[0] = (__u64)sk;
	}
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != ARGTRACE_AF_INET && family != ARGTRACE_AF_INET6)
		return false;
	if (target_family && family != target_family)
		return false;
	if (target_port) {
		__u16 sport, dport;

		socket_ports(sk, &sport, &dport);
		if (sport != target_port && dport != target_port)
			return false;
	}
	a->arg[ARG_FAMILY] = family;
	return true;
}

/* All ones if a < b (unsigned), else 0, without a branch: in a loop, a
 * branch whose two sides both go on doubles what the verifier walks, and
 * every program is verified at start-up (Hacker's Delight 2-12). */
static __always_inline __u64 lt_mask(__u64 a, __u64 b)
{
	__u64 lt = ((~a & b) | ((~a | b) & (a - b))) >> 63;

	barrier_var(lt);
	return -lt;
}

/* min(a, b) without a branch. */
static __always_inline __u64 min_nobranch(__u64 a, __u64 b)
{
	return b ^ ((a ^ b) & lt_mask(a, b));
}

struct iov_sum {
	__u64 uiov;
	__u64 total;
};

/* One step of user_iov_total() under bpf_loop(): 1 stops the loop. */
static long iov_sum_step(__u64 i, struct iov_sum *s)
{
	struct argtrace_iovec v;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)(s->uiov + i * sizeof(v))))
		return 1;
	s->total += v.len;
	return 0;
}

/* The sum of the lengths in a user iovec array: what writev and sendmsg
 * hand over. With bpf_loop() (5.17+) the verifier checks one step; the plain
 * loop costs it UIO_MAXIOV steps, some 30 ms per program at start-up.
 * The choice is the program's, not a CO-RE branch: bpf_loop() passes
 * iov_sum_step as a BPF_PSEUDO_FUNC address (5.13+), which libbpf keeps, dead
 * branch or not, as a subprog of the program, and a kernel before 5.13 finds
 * subprogs by their calls only, so it refuses the whole program ("number of
 * funcs in func_info doesn't match number of subprogs"). So each entry that
 * sums comes twice, with and without bpf_loop() (the _bpf_loop programs
 * below), and src/family/calls.rs loads the one the kernel can take. */
static __always_inline __u64 user_iov_total(__u64 uiov, __u64 segs, bool with_bpf_loop)
{
	struct iov_sum s = { .uiov = uiov };

	if (segs > ARGTRACE_UIO_MAXIOV)
		segs = ARGTRACE_UIO_MAXIOV;
	if (with_bpf_loop) {
		bpf_loop(segs, iov_sum_step, &s, 0);
		return s.total;
	}
	for (int i = 0; i < ARGTRACE_UIO_MAXIOV; i++) {
		struct argtrace_iovec v;

		if (i >= segs || bpf_probe_read_user(&v, sizeof(v), (void *)(uiov + i * sizeof(v))))
			break;
		s.total += v.len;
	}
	return s.total;
}

/* At the call's entry, while the iterator is untouched: the socket, the
 * size, the iterator's kind and where its payload is. */
static __always_inline void save_entry(struct tcp_send_event *e, void *ctx, __u32 how,
				       const struct argtrace_args *a)
{
	struct sock *sk = (struct sock *)a->arg[0];

	__u64 addrs;

	e->sk = (__u64)sk;
	e->family = a->arg[ARG_FAMILY];
	socket_ports(sk, &e->sport, &e->dport);
	/* skc_addrpair overlays skc_daddr and skc_rcv_saddr (one read, not
	 * two; daddr is the low half, as for the ports). */
	addrs = BPF_CORE_READ(sk, __sk_common.skc_addrpair);
	e->daddr4 = (__u32)addrs;
	e->saddr4 = addrs >> 32;
	if (e->family == ARGTRACE_AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	if (SEND_FROM(how) == SEND_FROM_TCP_SENDMSG) {
		e->size = a->arg[2];
		describe_iter(e, (struct msghdr *)a->arg[1], true);
	} else if (SEND_FROM(how) == SEND_FROM_BUF) {
		e->size = a->arg[2];
		e->src = a->arg[1];
		e->src_kind = PEEK_FROM_USER_BUF;
	} else {
		__u64 uiov = a->arg[1], segs = a->arg[2];

		if (SEND_FROM(how) == SEND_FROM_MSGHDR) {
			struct argtrace_user_msghdr m;
			long err = bpf_probe_read_user(&m, sizeof(m), (void *)a->arg[1]);

			if (err) {
				/* The call itself fails with EFAULT. */
				e->peek_err = err;
				return;
			}
			uiov = m.msg_iov;
			segs = m.msg_iovlen;
		}
		e->size = user_iov_total(uiov, segs, how & SEND_WITH_BPF_LOOP);
		e->src = uiov;
		e->src_segs = segs;
		e->src_kind = PEEK_FROM_USER_IOV;
	}
}

/* Gathers up to `want` payload bytes from an iovec array into o->peek;
 * returns 0 or the error of the read that failed. The loop has no branch
 * that both continues it: each would double the paths the verifier walks,
 * 64 times over. */
static __always_inline long read_iov(struct tcp_send_out *o, const struct tcp_send_event *e,
				     __u64 want, __u64 *got_out)
{
	__u64 got = 0;

	/* Each segment costs the verifier some 150 instructions per return
	 * program at start-up: ARGTRACE_PEEK_SEGS is the compromise. */
	for (int i = 0; i < ARGTRACE_PEEK_SEGS; i++) {
		struct argtrace_iovec v;
		void *at = (void *)(e->src + i * sizeof(v));
		__u64 base, len, n;
		long err;

		if (i >= e->src_segs || got >= want)
			break;
		if (e->src_kind == PEEK_FROM_USER_IOV)
			err = bpf_probe_read_user(&v, sizeof(v), at);
		else
			err = bpf_probe_read_kernel(&v, sizeof(v), at);
		if (err)
			return err;
		base = v.base;
		len = v.len;
		if (i == 0) {
			/* What the iterator had consumed of its first segment
			 * (iov_offset, less than that segment's length). */
			base += e->src_skip;
			len -= e->src_skip;
		}
		n = min_nobranch(want - got, len);
		/* A no-op (n <= want <= ARGTRACE_PEEK_MAX) that bounds n for the
		 * verifier; peek[] has room for any offset below
		 * ARGTRACE_PEEK_MAX plus this much. */
		n &= 2 * ARGTRACE_PEEK_MAX - 1;
		err = bpf_probe_read_user(o->peek + (got & (ARGTRACE_PEEK_MAX - 1)), n,
					  (void *)base);
		if (err) {
			/* The buffer that failed, not the iovec array, is what
			 * the line shows (as strace shows a buffer it cannot
			 * read: its address). */
			o->e.src = base;
			return err;
		}
		got += n;
	}
	*got_out = got;
	return 0;
}

/* At the call's return: the record's fields as the entry saw them (all but
 * the header, which calls.bpf.h fills). */
static __always_inline void fill_record(struct tcp_send_event *e, __u32 how,
					const struct tcp_send_event *in, long ret)
{
	__builtin_memcpy((void *)e + sizeof(e->h), (const void *)in + sizeof(in->h),
			 sizeof(*e) - sizeof(e->h));
}

/* The record is built in the per-CPU slot, with room for its payload
 * behind it. */
static __always_inline struct tcp_send_event *tcp_send_reserve(void)
{
	__u32 zero = 0;
	struct tcp_send_out *o = bpf_map_lookup_elem(&send_out, &zero);

	if (!o) {
		count_drop();
		return NULL;
	}
	__builtin_memset(&o->e, 0, sizeof(o->e));
	return &o->e;
}

/* Sends the record with its payload behind it. A failed read leaves
 * peek_len 0 and the error in peek_err, never bytes of another send. */
static __always_inline void tcp_send_commit(struct tcp_send_event *e, __u64 now)
{
	/* e is the first field of its slot (tcp_send_reserve). */
	struct tcp_send_out *o = (struct tcp_send_out *)e;
	__u64 want = e->size, got = 0;
	long err = 0;

	/* One path on, not one per case (read_iov's loop follows). */
	want = min_nobranch(want, peek_max);
	/* A no-op (peek_max <= ARGTRACE_PEEK_MAX) that bounds want for the
	 * verifier. */
	want &= 2 * ARGTRACE_PEEK_MAX - 1;
	if (e->src_kind == PEEK_FROM_USER_BUF) {
		err = bpf_probe_read_user(o->peek, want, (void *)e->src);
		if (!err)
			got = want;
	} else if (e->src_kind == PEEK_FROM_KERNEL_IOV || e->src_kind == PEEK_FROM_USER_IOV) {
		err = read_iov(o, e, want, &got);
	}
	if (err) {
		o->e.peek_err = err;
		got = 0;
	}
	o->e.peek_len = got;
	/* Read back from the map (volatile): the verifier then knows the length
	 * only by the mask, and the paths out of read_iov's loop, one per
	 * iteration, meet here as one state instead of walking the rest of the
	 * program each. */
	got = *(volatile __u32 *)&o->e.peek_len;
	got &= 2 * ARGTRACE_PEEK_MAX - 1;
	if (bpf_ringbuf_output(&events, o, sizeof(o->e) + got, wakeup_flags(now)))
		count_drop();
}

/* At an entry: the send of a task that passed the filters, on a TCP socket
 * that passes tcp-send's own (asked only then: a filtered-out task costs
 * nothing more). */
static __always_inline int park_send(void *ctx, __u8 probe, __u32 how, struct argtrace_args *a)
{
	if (!want_task() || !tcp_send_want(how, a))
		return 0;
	return park_new_call(ctx, probe, how, a);
}

/* At a return: the record of the send in flight, built in the per-CPU slot
 * and sent with its payload behind it. */
static __always_inline int finish_send(long ret)
{
	struct argtrace_pending *p;
	struct tcp_send_event *e;
	__u64 now;

	p = pending_call(ret, &now);
	if (!p)
		return 0;
	e = tcp_send_reserve();
	if (!e) {
		release_slot(p);
		return 0;
	}
	fill_from_pending(e, p, now, ret);
	tcp_send_commit(e, now);
	return 0;
}

/* fentry and kprobe modes: the socket and the iterator at the entry of
 * tcp_sendmsg, the result and the payload at its return. */
SEC("fentry/tcp_sendmsg")
int BPF_PROG(tcp_sendmsg_fentry, struct sock *sk, struct msghdr *msg, size_t size)
{
	struct argtrace_args a = { .arg = { (__u64)sk, (__u64)msg, size } };

	return park_send(ctx, PROBE_FENTRY, SEND_FROM_TCP_SENDMSG, &a);
}

SEC("fexit/tcp_sendmsg")
int BPF_PROG(tcp_sendmsg_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	return finish_send(ret);
}

SEC("kprobe/tcp_sendmsg")
int tcp_sendmsg_kprobe(struct pt_regs *ctx)
{
	struct argtrace_args a;

	args_from_kprobe(&a, ctx);
	return park_send(ctx, PROBE_KPROBE, SEND_FROM_TCP_SENDMSG, &a);
}

/* tcp_sendmsg returns an int: the upper half of the return register is not
 * part of it (x86_64's 32-bit moves leave -EPIPE as 0x00000000ffffffe0). */
SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(tcp_sendmsg_kretprobe, int ret)
{
	return finish_send(ret);
}

/* tracepoint mode: the four syscalls that send on a socket's file
 * descriptor, for TCP sockets only. writev and sendmsg come twice: the
 * programs whose names end in _bpf_loop sum the iovec lengths with
 * bpf_loop(), and src/family/calls.rs loads them instead of their namesakes
 * without the suffix where the kernel has the helper (see user_iov_total). */
#define TCP_SEND_SYS_ENTER(name, prog, how)                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)               \
	int prog(struct trace_event_raw_sys_enter *ctx)           \
	{                                                         \
		struct argtrace_args a;                           \
		args_from_sys_enter(&a, ctx);                     \
		return park_send(ctx, PROBE_TRACEPOINT, how, &a); \
	}
#define TCP_SEND_SYS_EXIT(name)                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)               \
	int name##_tp_exit(struct trace_event_raw_sys_exit *ctx) \
	{                                                        \
		return finish_send(ctx->ret);                    \
	}
TCP_SEND_SYS_ENTER(sendto, sendto_tp_enter, SEND_FROM_BUF)
TCP_SEND_SYS_EXIT(sendto)
TCP_SEND_SYS_ENTER(write, write_tp_enter, SEND_FROM_BUF)
TCP_SEND_SYS_EXIT(write)
TCP_SEND_SYS_ENTER(writev, writev_tp_enter, SEND_FROM_IOV)
TCP_SEND_SYS_ENTER(writev, writev_tp_enter_bpf_loop, SEND_FROM_IOV | SEND_WITH_BPF_LOOP)
TCP_SEND_SYS_EXIT(writev)
TCP_SEND_SYS_ENTER(sendmsg, sendmsg_tp_enter, SEND_FROM_MSGHDR)
TCP_SEND_SYS_ENTER(sendmsg, sendmsg_tp_enter_bpf_loop, SEND_FROM_MSGHDR | SEND_WITH_BPF_LOOP)
TCP_SEND_SYS_EXIT(sendmsg)

/* tracepoint mode, where the kernel has it (src/family/calls.rs leaves it out
 * elsewhere): tcp_sendmsg_locked() fires once per chunk of a send; the first
 * time, for the socket of the thread's pending send, its iterator is still
 * untouched and says what the kernel built. */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(tcp_sendmsg_locked_tp, struct sock *sk, struct msghdr *msg, struct sk_buff *skb,
	     int size_goal)
{
	struct argtrace_pending *p = pending_slot();
	struct tcp_send_event *e;

	if (!p || !p->have_entry)
		return 0;
	e = &p->in;
	if (e->sk != (__u64)sk || e->iter_seen)
		return 0;
	e->iter_seen = 1;
	describe_iter(e, msg, false);
	e->size = BPF_CORE_READ(msg, msg_iter.count);
	return 0;
}
