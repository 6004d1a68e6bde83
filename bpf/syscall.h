/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* argtrace syscall: the structs that cross the kernel/user line for the raw
 * syscall dispatcher (bpf/syscall.bpf.c), and nothing else. */
#ifndef ARGTRACE_SYSCALL_H
#define ARGTRACE_SYSCALL_H

#include "argtrace.h"

enum argtrace_syscall_limits {
	/* Syscall numbers the bitmap and the shape table cover, per ABI:
	 * x86_64 and arm64 use fewer than 470, i386 fewer than 470. */
	ARGTRACE_SYSCALL_NR_MAX = 512,
	/* i386's socketcall(2) subcalls as 32-bit calls of their own: subcall
	 * n (1 to 20, SYS_SOCKET to SYS_SENDMMSG) is number SOCKET_SUBCALL + n
	 * (past i386's last real number), and SOCKET_SUBCALL + 0 in the bitmap
	 * says whether a socketcall whose subcall is not read is wanted. */
	ARGTRACE_SYSCALL_SOCKET_SUBCALL = ARGTRACE_SYSCALL_NR_MAX - 21,
	/* i386's old select (82) whose struct sel_arg_struct was read: its
	 * five words are the call's arguments, as _newselect's are. */
	ARGTRACE_SYSCALL_OLD_SELECT = ARGTRACE_SYSCALL_SOCKET_SUBCALL - 1,
	/* Argument strings and input buffers read at entry, at most three per
	 * call (mount has three strings), each at most STR_MAX bytes. */
	ARGTRACE_SYSCALL_ENTRY_SLOTS = 3,
	ARGTRACE_SYSCALL_STR_MAX = 256,
	/* The slot of a string holds STR_MAX + 2 bytes: --string-limit + 1
	 * characters tell a string longer than the limit from one as long. */
	ARGTRACE_SYSCALL_SLOT_SIZE = 264,
	/* The buffer the kernel fills (read, recvfrom ...), read at return. */
	ARGTRACE_SYSCALL_BUF_MAX = 4096,
	/* A path longer than its entry slot is read whole up to PATH_MAX - 1
	 * bytes, as strace prints it (printpathn(tcp, addr, PATH_MAX - 1)), and
	 * sent in slot 3 where the call fills no buffer (struct syscall_shape's
	 * long_path). */
	ARGTRACE_SYSCALL_PATH_MAX = 4096,
	/* Calls in flight with such a path at once (an LRU hash: beyond it the
	 * oldest falls back to its entry slot's cut path). */
	ARGTRACE_SYSCALL_LONG_PATHS = 256,
};

/* How an argument is read beyond its value (the shape table; filled by user
 * space from src/subject/syscall/directions.rs). */
enum argtrace_syscall_arg_kind {
	SYSCALL_ARG_VALUE = 0,		  /* the value alone */
	SYSCALL_ARG_STR = 1,		  /* a NUL-terminated string, read at entry */
	SYSCALL_ARG_IN_BUF = 2,		  /* bytes the caller hands in, read at entry:
				 * min(arg[len_arg], limit) */
	SYSCALL_ARG_OUT_BUF = 3,	  /* bytes the kernel fills, read at return:
				  * min(ret, arg[len_arg], limit) */
	SYSCALL_ARG_PATH = 4,		  /* a path: a string read at entry whole up to
				  * the slot (strace prints paths whole, not cut
				  * at -s) */
	SYSCALL_ARG_IN_FIXED = 5,	  /* a struct handed in, size[i] bytes at entry */
	SYSCALL_ARG_OUT_FIXED = 6,	  /* a struct the kernel fills, size[i] bytes at
				    * return when the call succeeded */
	SYSCALL_ARG_IN_SIZED = 7,	  /* handed in at entry: args[len_arg] * size[i]
				    * bytes, at most a slot (sockaddr, pollfd) */
	SYSCALL_ARG_OUT_SIZED = 8,	  /* filled, at return when the call succeeded:
				    * count * size[i] bytes, count = ret where
				    * len_arg is SYSCALL_LEN_RET, else args[len_arg]
				    * (epoll_wait's events) */
	SYSCALL_ARG_OUT_LENPTR = 9,	  /* filled, at return when the call succeeded:
				     * the __u32 at args[len_arg] first (4 bytes),
				     * then min(it, size[i], the length handed in
				     * where an entry slot read it) bytes (accept's
				     * sockaddr, getsockopt's value) */
	SYSCALL_ARG_INOUT_SIZED = 10,	  /* IN_ARRAY at entry and OUT_SIZED at
				       * return (poll's pollfd array) */
	SYSCALL_ARG_INOUT_FIXED = 11,	  /* IN_FIXED at entry and OUT_FIXED at
				       * return (ioctl's argument) */
	SYSCALL_ARG_IN_IOV = 12,	  /* an iovec array (args[len_arg] entries), as
				   * struct syscall_iov_slot, at entry (writev);
				   * a 32-bit task's compat_iovec where size[i]
				   * is 4 */
	SYSCALL_ARG_OUT_IOV = 13,	  /* the same at return, the buffers' bytes up to
				   * ret in all (readv; a failed call's iovecs
				   * alone) */
	SYSCALL_ARG_IN_STRV = 14,	  /* a NULL-ended array of strings (argv, envp):
				   * its count and its first size[i] strings, as
				   * struct syscall_strv_slot (and past STRV_N,
				   * struct syscall_strv_tail), at entry; its
				   * pointers len_arg bytes wide where that is
				   * 4 (a 32-bit task's), 8 otherwise */
	SYSCALL_ARG_OUT_DIRENTS = 15,	  /* getdents' records counted at return, up to
				       * ret bytes: struct syscall_dirents_slot */
	SYSCALL_ARG_INOUT_FDSETS = 16,	  /* select's readfds (args[0] bits) as
					* struct syscall_fdset_slot with its
					* timeout (args[4]) and, where size[i] is 1,
					* pselect6's sigmask pair (args[5]) and its
					* mask, at entry; at return all three sets
					* (three such structs) */
	SYSCALL_ARG_INOUT_MSGHDR = 17,	  /* a struct msghdr: its header (size[i]
					* bytes) at entry; at return struct
					* syscall_msghdr_slot (header, name,
					* iovecs and their bytes, up to ret in all,
					* msg_control's bytes
					* where len_arg is SYSCALL_LEN_RET, read
					* only when the call succeeded; else read
					* whatever the result: sendmsg's, which
					* the kernel does not change) */
	SYSCALL_ARG_INOUT_POLL = 18,	  /* INOUT_SIZED (ppoll's pollfds), and at
					* return a struct syscall_left_trailer
					* after the array: the timespec at args[2]
					* (strace's `left`) */
	SYSCALL_ARG_IN_FDSET = 19,	  /* select's writefds or exceptfds (the
					* argument's set) as struct
					* syscall_fdset_slot, at entry */
	SYSCALL_ARG_OUT_FIXED_SLOT = 20,  /* OUT_FIXED where slot 3 holds another
					   * output: into a free entry slot, at
					   * most SLOT_SIZE bytes (wait4's rusage) */
	SYSCALL_ARG_OUT_LENPTR_SLOT = 21, /* OUT_LENPTR likewise (recvfrom's
					   * source address) */
	SYSCALL_ARG_OUT_RESTART = 22,	  /* size[i] bytes the kernel fills when the
				       * call was interrupted (ERESTART*: strace's
				       * is_erestart), at return (nanosleep's rem) */
	SYSCALL_ARG_SIGFRAME_MASK = 23,	  /* rt_sigreturn's signal mask, which no
					   * register names: 8 bytes at the user
					   * stack pointer + size[i] (the frame's
					   * uc.uc_sigmask; args[i] is set to that
					   * address), at entry */
	SYSCALL_ARG_IN_ARRAY = 24,	  /* IN_SIZED's bytes, or where they cannot
					   * all be read those up to the end of the
					   * page (an array of which strace prints
					   * the elements it could read: setgroups) */
	SYSCALL_ARG_OUT_CELLS = 25,	  /* three cells of size[i] bytes (at most
					   * 8) the call fills, each through its own
					   * argument (args 0, 1, 2), 8 bytes apart
					   * in slot 3 once it succeeded:
					   * getresuid's ids */
};

/* struct syscall_iov_slot's err: iovec `count` could not be read. */
#define ARGTRACE_SYSCALL_IOV_UNREADABLE 0x80000000U

/* len_arg of SYSCALL_ARG_OUT_SIZED: the count is the result. */
#define SYSCALL_LEN_RET 6

enum argtrace_syscall_arrays {
	/* struct syscall_iov_slot: the iovecs shown, and the bytes of each. */
	ARGTRACE_SYSCALL_IOV_N = 4,
	ARGTRACE_SYSCALL_IOV_DATA = 40,
	/* struct syscall_strv_slot: the strings shown (argv; strace shows up to
	 * -s of them), STRV_STR bytes each (-s + 2 at most), and the pointers
	 * counted (envp's N vars). */
	ARGTRACE_SYSCALL_STRV_N = 7,
	ARGTRACE_SYSCALL_STRV_STR = 34,
	ARGTRACE_SYSCALL_STRV_COUNT = 1024,
	/* argv's strings past the slot's STRV_N, up to strace's 32 (its -s
	 * default: printargv shows max_strlen elements), as struct
	 * syscall_strv_tail: read at entry into argv_tails by thread id, sent
	 * after slot 3 (struct syscall_event's data). */
	ARGTRACE_SYSCALL_STRV_MAX = 32,
	ARGTRACE_SYSCALL_STRV_TAIL = ARGTRACE_SYSCALL_STRV_MAX - ARGTRACE_SYSCALL_STRV_N,
	/* Calls in flight with such a tail at once (an LRU hash, as long_paths). */
	ARGTRACE_SYSCALL_STRV_TAILS = 256,
};

/* The bytes of a SYSCALL_ARG_IN_IOV or SYSCALL_ARG_OUT_IOV slot. */
struct syscall_iov_slot {
	__u32 count; /* iovecs in the array (its length argument) */
	__u32 err;   /* bit k: iovec k's bytes could not be read */
	struct {
		__u64 base;
		__u64 len;
	} v[ARGTRACE_SYSCALL_IOV_N];
	/* iovec k's first min(len, what is left of ret, IOV_DATA, -s) bytes */
	char data[ARGTRACE_SYSCALL_IOV_N][ARGTRACE_SYSCALL_IOV_DATA];
};

/* The bytes of a SYSCALL_ARG_IN_STRV slot. */
struct syscall_strv_slot {
	__u32 count;	   /* strings before the NULL (at most STRV_COUNT counted) */
	__u8 shown;	   /* strings read below */
	__u8 err;	   /* bit k: string k could not be read (s[k] holds its
		      * pointer, 8 bytes, as strace prints it) */
	__u8 unterminated; /* the pointer after the count could not be read
			    * (strace prints `...` and its address after the
			    * strings, and envp's count as unterminated) */
	__u8 tail;	   /* in a record: strings STRV_N.. follow in its
			    * struct syscall_strv_tail */
	/* NUL-terminated, read with min(-s + 2, STRV_STR) bytes: longer than -s
	 * means cut */
	char s[ARGTRACE_SYSCALL_STRV_N][ARGTRACE_SYSCALL_STRV_STR];
};

/* argv's strings STRV_N..STRV_MAX - 1 (where size[i], the strings shown, is
 * more than STRV_N), read at entry into argv_tails (the slot's cut is then 3)
 * and sent at data[3 * SLOT_SIZE] of the record, or at data[3 * SLOT_SIZE +
 * BUF_MAX] where slot 3 holds a long path (has_out 2). */
struct syscall_strv_tail {
	__u32 shown; /* strings read below */
	__u32 err;   /* bit k: string k could not be read (its bytes hold its
		      * pointer) */
	/* string k at s[k * STRV_STR] (one dimension: the skeleton's Rust
	 * mirror of a map value derives Default, which [[i8; 34]; 25] has not) */
	char s[ARGTRACE_SYSCALL_STRV_TAIL * ARGTRACE_SYSCALL_STRV_STR];
};

/* The bytes of a SYSCALL_ARG_OUT_DIRENTS slot. */
struct syscall_dirents_slot {
	__u32 count;	/* records counted */
	__u32 complete; /* 1: they end at ret bytes; 0: more were not walked */
};

/* select's fd sets read: each at most 1728 descriptors (216 bytes: FD_SETSIZE
 * and more, what an entry slot holds beside the timeout and sigmask). */
#define ARGTRACE_SYSCALL_FDSET_WORDS 27
#define ARGTRACE_SYSCALL_DIRENTS_MAX 2048

/* One of select's fd sets (a SYSCALL_ARG_INOUT_FDSETS or SYSCALL_ARG_IN_FDSET
 * slot at entry; three of them, in the order in, out, except, in the slot at
 * return). The first set's also holds the timeout and pselect6's sigmask. */
struct syscall_fdset_slot {
	__u64 set[ARGTRACE_SYSCALL_FDSET_WORDS];
	__u32 err;	  /* bit 0: the set unread; bit 3: ts; bit 4: args[5];
			   * bit 5: its mask; bit 6: nfds past 1728 (none read) */
	__u32 bytes;	  /* bytes of the set read (strace's fdsize) */
	__u64 ts[2];	  /* args[4]: a struct timeval or timespec */
	__u64 sigmask[3]; /* pselect6's args[5]: {sigmask, sigsetsize}, then the
			   * mask's first 8 bytes */
};

/* After the pollfds of a SYSCALL_ARG_INOUT_POLL slot, at return. */
struct syscall_left_trailer {
	__u64 ts[2];
	__u32 err; /* the timespec could not be read */
	__u32 pad;
};

/* msghdr's name bytes read (sizeof(struct sockaddr_storage)). */
#define ARGTRACE_SYSCALL_MSG_NAME 128
/* msghdr's control bytes read, at most (strace reads up to optmem_max, 20 KiB
 * by default; what slot 3 holds beside the rest, a power of two). */
#define ARGTRACE_SYSCALL_MSG_CONTROL 2048

/* The bytes of a SYSCALL_ARG_INOUT_MSGHDR slot at return. */
struct syscall_msghdr_slot {
	__u64 hdr[7];	/* struct msghdr: name, namelen, iov, iovlen, control,
		       * controllen, flags (a 32-bit task's struct
		       * compat_msghdr: its seven words widened) */
	__u32 name_len; /* bytes of name read: min(namelen, NAME) */
	__s32 iov_err;	/* 0, or the error of reading the iovec array */
	char name[ARGTRACE_SYSCALL_MSG_NAME];
	struct syscall_iov_slot iov;
	__u32 control_len; /* bytes of msg_control read: min(msg_controllen,
			    * MSG_CONTROL), none under a struct cmsghdr (16;
			    * a 32-bit task's compat_cmsghdr 12) */
	__s32 control_err; /* 0, or the error of reading them */
	char control[ARGTRACE_SYSCALL_MSG_CONTROL]; /* the record is cut after
						     * control_len of them */
};

/* What the dispatcher knows of one syscall number. */
struct syscall_shape {
	__u8 kind[6];	 /* enum argtrace_syscall_arg_kind */
	__u8 len_arg[6]; /* SYSCALL_ARG_IN_BUF: the argument holding the length */
	__u8 no_return;	 /* exit, exit_group: the record is sent at entry */
	__u8 has_entry_slots;
	__u8 reread;	/* a string unreadable at entry is read at return (not execve) */
	__u8 long_path; /* no buffer at return: the path argument (its index
			 * + 1; 0: none) read whole when cut at its entry slot
			 * (struct syscall_long_path), sent in slot 3 */
	__u16 size[6];	/* SYSCALL_ARG_IN_FIXED, SYSCALL_ARG_OUT_FIXED: the struct's bytes */
	/* The arguments read at entry, in order, one per entry slot; 0xff ends
	 * the list. Filled by user space, so the dispatcher walks three slots
	 * rather than six arguments (a sixth of the verifier's work). */
	__u8 entry_arg[4];
};

/* Why a record was sent. */
enum argtrace_syscall_end {
	SYSCALL_END_RETURN = 0,	    /* at sys_exit: ret is the result */
	SYSCALL_END_NO_RETURN = 1,  /* exit/exit_group, at entry: ret is unknown */
	SYSCALL_END_UNFINISHED = 2, /* still blocked when argtrace stopped (user space) */
};

/* The ABI of the calling task: its syscall numbers and argument registers. */
enum argtrace_syscall_abi {
	SYSCALL_ABI_NATIVE = 0,
	SYSCALL_ABI_COMPAT = 1, /* i386 on x86_64, arm (AArch32) on arm64 */
};

struct syscall_slot {
	__u16 len; /* bytes in data */
	__u8 arg;  /* the argument they belong to */
	__u8 cut;  /* 1: the string or buffer went on past len (2, in a call
		    * in flight: its path waits whole in long_paths) */
	__s32 err; /* 0, or the error of the read (then len is 0) */
};

/* A path longer than its entry slot, read whole at entry, by thread id until
 * the call returns. */
struct syscall_long_path {
	struct syscall_slot slot;
	char data[ARGTRACE_SYSCALL_PATH_MAX];
};

/* One syscall. In the ring buffer the record is followed by nothing: the
 * bytes of slot i (i < 3) are at data[i * SLOT_SIZE], the buffer read at
 * return (slot 3) at data[3 * SLOT_SIZE], argv's struct syscall_strv_tail
 * where its slot's tail says so (after slot 3's long path, if any); the
 * record is cut after the last byte used. */
struct syscall_event {
	struct event_header h;
	__u32 nr;
	__u8 abi;     /* enum argtrace_syscall_abi */
	__u8 end;     /* enum argtrace_syscall_end */
	__u8 nslots;  /* entry slots used (0..3) */
	__u8 has_out; /* slot 3 holds: 1, the buffer the kernel filled; 2, the
		       * whole path of the entry slot of the same argument */
	__u64 args[6];
	__s64 ret;
	struct syscall_slot slot[4];
	char data[3 * ARGTRACE_SYSCALL_SLOT_SIZE + ARGTRACE_SYSCALL_BUF_MAX +
		  sizeof(struct syscall_strv_tail)];
};

/* A call in flight, by thread id: what its return needs. */
struct syscall_pending {
	__u64 start_ns;
	__u64 args[6];
	__u32 nr;
	__u32 pid;
	__u8 abi;
	__u8 nslots;
	__u8 has_slots; /* its strings wait in pending_slots */
	__u8 probe;
	__s32 kstack_id;
	__s32 ustack_id;
	__u32 pad;
	char comm[16];
};

/* The strings and input buffers of a call in flight, by thread id, for the
 * calls that have any. */
struct syscall_pending_slots {
	struct syscall_slot slot[3];
	char data[3 * ARGTRACE_SYSCALL_SLOT_SIZE];
};

/* A thread's call in flight in its task-local storage (tp_btf mode where the
 * kernel has it, 5.11+), written in place at entry: the pending state
 * (p.start_ns 0: none in flight) and its strings. */
struct syscall_task {
	struct syscall_pending p;
	struct syscall_pending_slots s;
};

/* What the iterator of calls in flight (iter/task) writes for each one,
 * followed by its struct syscall_task. */
struct syscall_inflight {
	__u32 tid;
	__u32 pad;
};

/* One syscall as the running kernel describes it (its struct
 * syscall_metadata, numbered at boot), read by bpf/syscall_meta.bpf.c. */
struct syscall_meta {
	__s32 nr; /* -1: no metadata for the number asked */
	__u32 nb_args;
	char name[48];	   /* "sys_openat" */
	char args[6][32];  /* "dfd", "filename" ... */
	char types[6][64]; /* "int", "const char *" ... */
};

#endif /* ARGTRACE_SYSCALL_H */
