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
};

/* Which entry a process or thread creation used. */
enum argtrace_clone_syscall {
	CLONE_SYS_CLONE = 0,
	CLONE_SYS_CLONE3 = 1,
	CLONE_SYS_FORK = 2,
	CLONE_SYS_VFORK = 3,
};

struct event_header {
	__u64 ts_ns;		/* CLOCK_MONOTONIC at the call's entry (fentry mode without -T: at its return) */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 uid;
	__s32 kstack_id;	/* -1 when no stack was asked for or it failed */
	__s32 ustack_id;
	__u8 probe;		/* enum argtrace_probe */
	__u8 timed;		/* 1: duration_ns was measured (-T) */
	__u8 pad[2];
	char comm[ARGTRACE_COMM_LEN];
	__u64 duration_ns;	/* from the call's entry to its return, when timed */
};

/* Summary mode (-s): what the kernel counts per call (a subject's calls are
 * numbered by ARGTRACE_CALL() in common.bpf.h), per CPU, in two generations
 * that user space swaps at each --interval. */
enum argtrace_summary_limits {
	ARGTRACE_MAX_CALLS = 16,	/* calls per subject */
	ARGTRACE_HIST_SLOTS = 64,	/* log2 buckets of nanoseconds */
};

struct argtrace_call_stats {
	__u64 calls;
	__u64 errors;		/* results in -4095..-1 */
	__u64 total_ns;
	__u64 min_ns;		/* valid when calls > 0 */
	__u64 max_ns;
	__u64 hist[ARGTRACE_HIST_SLOTS];	/* hist[i]: durations in [2^i, 2^(i+1)) ns; hist[0] also 0 */
};

/* The key of the per-errno counts: the call's slot in call_stats and the errno. */
struct argtrace_errno_key {
	__u32 slot;
	__u32 err;
};

struct clone_event {
	struct event_header h;
	__u32 syscall;		/* enum argtrace_clone_syscall */
	__u32 clone3_size;	/* clone3's size argument */
	__s32 clone3_read_err;	/* 0, or the error of reading struct clone_args */
	__u32 pad;
	__u64 flags;		/* clone: the raw flags argument; clone3: clone_args.flags */
	__u64 newsp;		/* clone only */
	__u64 parent_tid;
	__u64 child_tid;
	__u64 tls;
	__u64 args_ptr;		/* clone3: the user address of struct clone_args */
	__u64 pidfd;		/* clone3 only */
	__u64 exit_signal;	/* clone3 only; clone's is the low byte of flags */
	__u64 stack;		/* clone3 only */
	__u64 stack_size;	/* clone3 only */
	__s64 ret;
	/* Read back at return, for a parent whose call succeeded: what the kernel
	 * wrote at parent_tid (the child's tid, or clone's pidfd with CLONE_PIDFD)
	 * and at clone3's pidfd. The *_err fields are 0 when the read worked,
	 * else its error (or 1: not read, the call failed or the pointer is NULL). */
	__s32 parent_tid_value;
	__s32 pidfd_value;
	__s32 parent_tid_err;
	__s32 pidfd_err;
};

struct mmap_event {
	struct event_header h;
	__u64 addr;
	__u64 len;
	__u64 prot;
	__u64 flags;
	__u64 fd;		/* as the kernel got it; user space prints (int)fd */
	__u64 off;		/* tracepoint: the syscall's byte offset */
	__u64 pgoff;		/* fentry/kprobe: ksys_mmap_pgoff's page offset */
	__u8 off_is_bytes;	/* 1: off is valid (tracepoint); 0: pgoff is */
	__u8 pad[7];
	__s64 ret;
};

struct tcp_connect_event {
	struct event_header h;
	__u16 family;
	__u16 sport;		/* host order */
	__u16 dport;		/* host order */
	__u8 sport_known;	/* 0 when the port was already released at exit */
	__u8 pad;
	__u32 saddr4;		/* network order, as in the socket */
	__u32 daddr4;
	__u8 saddr6[16];
	__u8 daddr6[16];
	__s64 ret;		/* the connect syscall's result */
};

#endif /* ARGTRACE_H */
