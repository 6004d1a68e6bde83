// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* argtrace syscall: one dispatcher for any selection of syscalls, on the raw
 * syscall tracepoints (they also see 32-bit compat tasks, which the
 * per-syscall ones skip), in the raw_syscalls family's two modes: tp_btf
 * (the tracepoint's arguments as BTF-typed pointers, read directly) and
 * raw_tp (untyped words: the registers read with bpf_probe_read_kernel, for
 * kernels without BTF of their own). Both modes' programs share every
 * function below; `direct` (a constant in each) picks the register reads.
 *
 * At entry, in this order (the cheapest rejection first, Falco's habit):
 * the bitmap of wanted syscall numbers (rodata, per ABI), then the task
 * filters (-p, --tid, -u, -c), then the thread's slot: the six arguments,
 * and the strings and input buffers the shape table names, read now, while
 * they are the caller's. The slot is the thread's task-local storage, written
 * in place (tp_btf mode on 5.11+: no key to hash, nothing to delete, freed
 * with the task; an iter/task program lists the calls still in flight at
 * the end), else a hash keyed by thread id (raw_tp, older kernels). At
 * return: the slot's record. A call that reads nothing beyond its six
 * values (getppid, close ...) is reserved in the ring buffer at its fixed
 * size and filled in place; one with strings or the buffer the kernel
 * filled (min(ret, --string-limit) bytes) is built in a per-CPU scratch
 * record and sent with one bpf_ringbuf_output() cut after its last byte
 * used. A failed send bumps the drop counter. exit and exit_group never return:
 * their record is sent at entry. What the shape table holds (which argument
 * is a string, an input or an output buffer) is data from user space
 * (src/subject/syscall/directions.rs): no code per syscall here. */
/* -s: one row per syscall number of each ABI (row = abi * 512 + nr). */
#define ARGTRACE_SUMMARY_ROWS 1024
/* The filters, ring buffer, drop counter and summary counters; not the call
 * family's pairing (calls.bpf.h): this family pairs in its own maps. */
#include "argtrace.bpf.h"
#include "syscall.h"

/* Keeps the types in BTF so the skeleton emits Rust types for them. */
struct syscall_event _syscall_event = {};
enum argtrace_syscall_limits _argtrace_syscall_limits = 0;
enum argtrace_syscall_end _argtrace_syscall_end = 0;
struct syscall_inflight _syscall_inflight = {};

#define NR_MAX ARGTRACE_SYSCALL_NR_MAX
#define SLOT_SIZE ARGTRACE_SYSCALL_SLOT_SIZE

/* Set by user space before load. */
const volatile __u64 wanted[NR_MAX / 64] = {};	      /* native syscall numbers */
const volatile __u64 wanted_compat[NR_MAX / 64] = {}; /* 32-bit tasks' numbers */
/* The shapes of native calls (row nr), then of 32-bit tasks' (row NR_MAX +
 * nr): user space types only the 32-bit calls whose kernel entry is the
 * native one and whose reads hold no pointer or long, so are the same bytes
 * for both ABIs (src/subject/syscall/compat.rs); the others' rows stay zero:
 * nothing read, six raw values. */
const volatile struct syscall_shape shapes[2 * NR_MAX] = {};
/* 32-bit tasks' exit and exit_group (sent at entry whether typed or not). */
const volatile __u32 compat_no_return[2] = { NR_MAX, NR_MAX };
/* The 32-bit ABI's socketcall (i386's 102; NR_MAX: none, as on arm) and
 * how many argument words each of its subcalls takes (0: none such); its
 * old select of one struct pointer (i386's 82; NR_MAX: none). */
const volatile __u32 socketcall_nr = NR_MAX;
const volatile __u8 subcall_nargs[32] = {};
const volatile __u32 old_select_nr = NR_MAX;
/* --string-limit, at most ARGTRACE_SYSCALL_BUF_MAX (strings at entry: at most
 * ARGTRACE_SYSCALL_STR_MAX). */
const volatile __u32 string_limit = 32;

/* Where a call waits for its return: the thread's task-local storage
 * (use_task_storage), else the two hashes below; user space creates only the
 * one it uses. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_task);
} syscall_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_pending);
} syscall_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct syscall_pending_slots);
} syscall_pending_slots SEC(".maps");

/* Paths longer than their entry slot, read whole at entry, by thread id until
 * the call returns (struct syscall_shape's long_path). LRU: a call that never
 * returns is forgotten once newer ones need the room. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ARGTRACE_SYSCALL_LONG_PATHS);
	__type(key, __u32);
	__type(value, struct syscall_long_path);
} long_paths SEC(".maps");

/* argv's strings past its entry slot's (struct syscall_strv_tail), by
 * thread id until the call returns; LRU, as long_paths. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ARGTRACE_SYSCALL_STRV_TAILS);
	__type(key, __u32);
	__type(value, struct syscall_strv_tail);
} strv_tails SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_strv_tail);
} strv_tail_scratch SEC(".maps");

/* Per-CPU room for what is too big for the BPF stack: the record being
 * built, a zeroed slot record to insert, and a long path being read. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_pending_slots);
} scratch_slots SEC(".maps");

/* The call being entered, where it does not wait in task storage: a map
 * value (its arguments are read at a variable index), copied into
 * syscall_pending. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_pending);
} scratch_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_long_path);
} long_path_scratch SEC(".maps");

/* The calling task's ABI, from its user registers: x86_64's code segment
 * (__USER32_CS for i386 code), arm64's AArch32 mode bit (PSR_MODE32_BIT). */
/* One register of the task's user state: a direct load where the pointer
 * is BTF-typed (tp_btf), a CO-RE probe read where it is a plain word (raw_tp). */
#define REG(regs, direct, field) ((direct) ? (regs)->field : BPF_CORE_READ(regs, field))

static __always_inline __u8 abi_of(struct pt_regs *regs, bool direct)
{
#if defined(__TARGET_ARCH_x86)
	return REG(regs, direct, cs) == 0x23 ? SYSCALL_ABI_COMPAT : SYSCALL_ABI_NATIVE;
#elif defined(__TARGET_ARCH_arm64)
	return (REG(regs, direct, pstate) & 0x10) ? SYSCALL_ABI_COMPAT : SYSCALL_ABI_NATIVE;
#else
	return SYSCALL_ABI_NATIVE;
#endif
}

/* The user stack pointer at the call: an AArch32 task's is r13 (the
 * kernel's compat_sp), not the AArch64 sp. */
static __always_inline __u64 user_sp(struct pt_regs *regs, bool direct, __u8 abi)
{
#if defined(__TARGET_ARCH_arm64)
	if (abi == SYSCALL_ABI_COMPAT)
		return (__u32)REG(regs, direct, regs[13]);
#endif
	return REG(regs, direct, sp);
}

/* The shape of call `nr` (< NR_MAX) of ABI `abi`. */
static __always_inline const volatile struct syscall_shape *shape_of(__u8 abi, __u32 nr)
{
	return &shapes[((__u32)abi * NR_MAX + nr) & (2 * NR_MAX - 1)];
}

static __always_inline bool is_wanted(__u8 abi, long id)
{
	__u64 nr = id;

	if (nr >= NR_MAX)
		return false;
	if (abi == SYSCALL_ABI_COMPAT)
		return wanted_compat[nr / 64] & (1ULL << (nr % 64));
	return wanted[nr / 64] & (1ULL << (nr % 64));
}

/* Could the call returning now have been selected at its entry? Its number
 * is still in the registers, checked against both ABIs' bitmaps (an execve
 * may have changed the ABI): a call selected in neither returns without a
 * lookup. A number out of range is looked up: rt_sigreturn's (-1), and an
 * execve's on arm64, whose new image's registers forget it. */
static __always_inline bool maybe_wanted(struct pt_regs *regs, bool direct)
{
	__u64 nr = NR_MAX;

#if defined(__TARGET_ARCH_x86)
	nr = REG(regs, direct, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	nr = (__s64)REG(regs, direct, syscallno);
#endif
	if (nr >= NR_MAX)
		return true;
	return (wanted[nr / 64] | wanted_compat[nr / 64]) & (1ULL << (nr % 64));
}

/* A 32-bit call whose arguments are words in the caller's memory, as the
 * call it stands for: i386's socketcall(call, args), its subcall's
 * subcall_nargs[call] words at args (strace's decode_socket_subcall),
 * numbered SOCKET_SUBCALL + call; i386's old select(args), the five words of
 * its struct sel_arg_struct (strace's oldselect), numbered OLD_SELECT.
 * Where the words cannot be read or the subcall is none, the call stays as
 * it is: a socketcall wanted where SOCKET_SUBCALL + 0 is, an old select
 * where its number is. Returns whether the call is wanted. */
static __noinline bool indirect_call(struct syscall_pending *p)
{
	__u32 w[6] = {};
	__u32 n, nr, fallback;
	__u64 addr, call;

	if (!p)
		return false;
	if (p->nr == old_select_nr) {
		n = 5;
		addr = p->args[0];
		nr = ARGTRACE_SYSCALL_OLD_SELECT;
		fallback = p->nr;
	} else {
		call = p->args[0];
		n = call < 32 ? subcall_nargs[call & 31] : 0;
		addr = p->args[1];
		nr = ARGTRACE_SYSCALL_SOCKET_SUBCALL + (__u32)call;
		fallback = ARGTRACE_SYSCALL_SOCKET_SUBCALL;
	}
	if (n == 0 || n > 6 || bpf_probe_read_user(w, n * 4, (void *)addr))
		return is_wanted(SYSCALL_ABI_COMPAT, fallback);
#pragma unroll
	for (int i = 0; i < 6; i++)
		p->args[i] = i < n ? w[i] : 0;
	p->nr = nr;
	return is_wanted(SYSCALL_ABI_COMPAT, nr);
}

/* The six arguments as the syscall ABI of the task passes them. */
static __always_inline void read_args(__u64 *a, struct pt_regs *regs, __u8 abi, bool direct)
{
#if defined(__TARGET_ARCH_x86)
	if (abi == SYSCALL_ABI_COMPAT) {
		/* i386: ebx, ecx, edx, esi, edi, ebp, zero-extended. */
		a[0] = (__u32)REG(regs, direct, bx);
		a[1] = (__u32)REG(regs, direct, cx);
		a[2] = (__u32)REG(regs, direct, dx);
		a[3] = (__u32)REG(regs, direct, si);
		a[4] = (__u32)REG(regs, direct, di);
		a[5] = (__u32)REG(regs, direct, bp);
		return;
	}
	a[0] = REG(regs, direct, di);
	a[1] = REG(regs, direct, si);
	a[2] = REG(regs, direct, dx);
	a[3] = REG(regs, direct, r10);
	a[4] = REG(regs, direct, r8);
	a[5] = REG(regs, direct, r9);
#elif defined(__TARGET_ARCH_arm64)
	/* The first argument is orig_x0 (see args_from_syscall_regs in
	 * common.bpf.h); AArch32 passes r0..r5 in the same registers. */
	a[0] = REG(regs, direct, orig_x0);
	a[1] = REG(regs, direct, regs[1]);
	a[2] = REG(regs, direct, regs[2]);
	a[3] = REG(regs, direct, regs[3]);
	a[4] = REG(regs, direct, regs[4]);
	a[5] = REG(regs, direct, regs[5]);
	if (abi == SYSCALL_ABI_COMPAT) {
		for (int i = 0; i < 6; i++)
			a[i] = (__u32)a[i];
	}
#endif
}

/* The stamp of a call's entry: the time, where anything shows it (-t, JSON,
 * -T, -s) or the kernel has no task storage (5.10, raw_tp: send_flags()
 * needs the time there); else 1, which only says a call is in flight. */
static __always_inline __u64 stamp_entry(void)
{
	if (want_clock || !use_task_storage)
		return bpf_ktime_get_ns();
	return 1;
}

/* The ring buffer's wakeup flags for a call's record (wakeup_flags()), at
 * its return: its entry stamp is "now" where it is a time; else the jiffies,
 * a record waking the reader at most once a tick (1 to 10 ms) when nothing
 * else does (the coarse clock is not for tracing programs). Read only where
 * task storage says the kernel is 5.11+: the verifier skips the branch
 * elsewhere. */
static __always_inline __u64 send_flags(struct syscall_pending *p)
{
	if (want_clock || !use_task_storage)
		return wakeup_flags(p->start_ns);
	return wakeup_flags_every(bpf_jiffies64(), 1);
}

/* Reads the string at `addr` into a slot of `size` bytes at `dst`, cut
 * after `limit` bytes. */
static __always_inline void read_str_slot(struct syscall_slot *s, char *dst, __u32 size,
					  __u32 limit, __u64 addr)
{
	long r = bpf_probe_read_user_str(dst, size, (void *)addr);

	s->len = 0;
	s->cut = 0;
	s->err = 0;
	if (r < 0) {
		s->err = r;
	} else if (r > 0) {
		/* r counts the NUL; more than the limit: cut. */
		if (r - 1 > limit) {
			s->len = limit;
			s->cut = 1;
		} else {
			s->len = r - 1;
		}
	}
}

/* At return, reads again the strings that could not be read at entry: a
 * page the task had not touched yet is not present then (BPF cannot fault it
 * in, ptrace can), and the kernel has brought it in while it read the path.
 * Not for the calls that replace the image (shape->reread is 0: execve). */
static __always_inline void reread_failed_strings(struct syscall_pending_slots *ps,
						  struct syscall_pending *p)
{
	const volatile struct syscall_shape *shape;
	__u32 str_size = string_limit + 2;

	if (p->nr >= NR_MAX)
		return;
	shape = shape_of(p->abi, p->nr);
	if (!shape->reread)
		return;
	if (str_size > SLOT_SIZE)
		str_size = SLOT_SIZE;
#pragma unroll
	for (int i = 0; i < ARGTRACE_SYSCALL_ENTRY_SLOTS; i++) {
		struct syscall_slot *s = &ps->slot[i];
		__u8 arg = s->arg;

		if (i >= p->nslots || !s->err || arg >= 6)
			continue;
		if (shape->kind[arg & 7] == SYSCALL_ARG_STR)
			read_str_slot(s, ps->data + i * SLOT_SIZE, str_size, string_limit,
				      p->args[arg & 7]);
		else if (shape->kind[arg & 7] == SYSCALL_ARG_PATH)
			read_str_slot(s, ps->data + i * SLOT_SIZE, SLOT_SIZE, SLOT_SIZE - 2,
				      p->args[arg & 7]);
	}
}

/* `v`, at most `max`, bounded on the very register a helper gets: clang may
 * otherwise hand the helper a copy spilled before the bound was checked,
 * which 6.1's verifier refuses ("R2 min value is negative"). */
#define BOUNDED(v, max)                       \
	({                                    \
		__u32 __v = (v);              \
		asm volatile("" : "+r"(__v)); \
		__v > (max) ? (max) : __v;    \
	})

/* BOUNDED on a 64-bit register: a __u32 bounded in its 32-bit half may
 * reach the helper as the 64-bit register it came from, whose upper half
 * the verifier does not know to be zero. */
#define BOUNDED64(v, max)                     \
	({                                    \
		__u64 __v = (v);              \
		asm volatile("" : "+r"(__v)); \
		__v > (max) ? (max) : __v;    \
	})

/* `want` bytes handed in at `addr`, at most STR_MAX (more: cut). */
static __always_inline void read_in_bytes(struct syscall_slot *s, char *dst, __u64 want, __u64 addr)
{
	__u32 size = want > ARGTRACE_SYSCALL_STR_MAX ? ARGTRACE_SYSCALL_STR_MAX : want;
	long r;

	if (want > size)
		s->cut = 1;
	size = BOUNDED(size, ARGTRACE_SYSCALL_STR_MAX);
	if (size && addr) {
		r = bpf_probe_read_user(dst, size, (void *)addr);
		if (r < 0)
			s->err = r;
		else
			s->len = size;
	}
}

/* An argument whose size its command decides (ioctl's, prctl's arg2): `size`
 * bytes at `addr` into `dst`; where they cannot all be read, the bytes up to
 * the end of its page (a mapping ends at a page boundary: a struct or name
 * that ends it is whole there). Returns the bytes read, or the error. */
static __noinline long read_sized_arg(char *dst, __u32 size, __u64 addr)
{
	__u64 n = BOUNDED64(size, ARGTRACE_SYSCALL_STR_MAX), left;

	if (!dst || !addr || !n)
		return -14; /* EFAULT */
	if (!bpf_probe_read_user(dst, n, (void *)addr))
		return n;
	/* (4096: the smallest page of x86_64 and arm64) */
	left = 4096 - (addr & 4095);
	if (left >= n)
		return -14;
	left = BOUNDED64(left, ARGTRACE_SYSCALL_STR_MAX);
	if (left && !bpf_probe_read_user(dst, left, (void *)addr))
		return left;
	return -14;
}

/* An iovec array of `count` entries at `addr` into a struct syscall_iov_slot
 * at `dst`: the first IOV_N iovecs, and each one's first bytes, `total`
 * bytes in all at most (readv: its result); a 32-bit task's (`compat`)
 * struct compat_iovec, two 32-bit words. Returns the bytes used, or a
 * negative error where its first iovec could not be read; where a later one
 * could not, the count is cut there and IOV_UNREADABLE marks it (strace's
 * print_array prints `...` and that iovec's address there). */
static __noinline int read_iov(char *dst, __u64 addr, __u64 count, __u64 total, bool compat)
{
	struct syscall_iov_slot *v = (void *)dst;
	__u32 limit = string_limit;
	__u64 left = total;

	if (!dst)
		return -1;
	v->count = count;
	v->err = 0;
	if (limit > ARGTRACE_SYSCALL_IOV_DATA)
		limit = ARGTRACE_SYSCALL_IOV_DATA;
#pragma unroll
	for (int k = 0; k < ARGTRACE_SYSCALL_IOV_N; k++) {
		__u64 len, base, n;
		long r;

		v->v[k].base = 0;
		v->v[k].len = 0;
		if (k >= count)
			continue;
		if (compat) {
			__u32 w[2] = {};

			r = bpf_probe_read_user(w, 8, (void *)(addr + k * 8));
			v->v[k].base = w[0];
			v->v[k].len = w[1];
		} else {
			r = bpf_probe_read_user(&v->v[k], 16, (void *)(addr + k * 16));
		}
		if (r) {
			if (k == 0)
				return -14; /* EFAULT */
			v->count = k;
			v->err |= ARGTRACE_SYSCALL_IOV_UNREADABLE;
			count = k;
			continue;
		}
		base = v->v[k].base;
		len = v->v[k].len;
		n = len > left ? left : len;
		left -= n;
		if (n > limit)
			n = limit;
		n = BOUNDED(n, ARGTRACE_SYSCALL_IOV_DATA);
		if (n && bpf_probe_read_user(v->data[k], n, (void *)base))
			v->err |= 1 << k;
	}
	/* The iovec after the slot's last: whether it could be read at all
	 * (strace prints print_array's address there, argtrace `...`). */
	if (count > ARGTRACE_SYSCALL_IOV_N) {
		__u8 b;

		if (bpf_probe_read_user(
			    &b, 1, (void *)(addr + ARGTRACE_SYSCALL_IOV_N * (compat ? 8 : 16)))) {
			v->count = ARGTRACE_SYSCALL_IOV_N;
			v->err |= ARGTRACE_SYSCALL_IOV_UNREADABLE;
		}
	}
	return sizeof(*v);
}

/* The pointer at `at` of an array whose pointers are `step` bytes wide: 8,
 * or a 32-bit task's 4 (its high half left 0). One read of a size the
 * verifier bounds (step & 12, into 16 bytes). */
static __always_inline long read_ptr(__u64 *ptr, __u64 at, __u32 step)
{
	__u64 w[2] = {};
	long r = bpf_probe_read_user(w, step & 12, (void *)at);

	*ptr = w[0];
	return r;
}

/* Strings STRV_N..`shown` - 1 of the NULL-ended array at `addr` (STRV_STR
 * bytes each at most: user space cuts them at -s) into strv_tails under the
 * calling thread's id. A global function, with scalar arguments only (as
 * dirents_walk): the verifier walks its loop once. Returns 1 when the tail
 * waits there. */
__noinline int strv_tail_read(__u64 addr, __u32 shown, __u32 step)
{
	struct syscall_strv_tail *t;
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();

	t = bpf_map_lookup_elem(&strv_tail_scratch, &zero);
	if (!t)
		return 0;
	t->shown = 0;
	t->err = 0;
	for (int k = 0; k < ARGTRACE_SYSCALL_STRV_TAIL; k++) {
		__u64 ptr = 0;

		if (k + ARGTRACE_SYSCALL_STRV_N >= shown)
			break;
		if (read_ptr(&ptr, addr + (k + ARGTRACE_SYSCALL_STRV_N) * step, step))
			break;
		if (!ptr)
			break;
		char *dst = t->s + k * ARGTRACE_SYSCALL_STRV_STR;

		/* (a constant size: 5.10's verifier lost the bound of one
		 * computed from an argument, 'R1 min value is outside of the
		 * allowed memory range') */
		if (bpf_probe_read_user_str(dst, ARGTRACE_SYSCALL_STRV_STR, (void *)ptr) < 0) {
			__builtin_memcpy(dst, &ptr, 8);
			t->err |= 1U << k;
		}
		t->shown = k + 1;
	}
	if (!t->shown)
		return 0;
	return !bpf_map_update_elem(&strv_tails, &tid, t, BPF_ANY);
}

/* strv_count()'s result: the pointer after the last could not be read. */
#define STRV_UNTERMINATED (1 << 30)

/* The pointers (`step` bytes each) of the NULL-ended array at `addr`
 * counted, up to STRV_COUNT: their count, with STRV_UNTERMINATED where the
 * one after the last could not be read, or -14 where the first could not.
 * A global function, with scalar arguments only (as dirents_walk): the
 * verifier walks its STRV_COUNT steps once, not on every way into
 * read_strv (a pointer width it cannot know there made that walk 140 000
 * instructions of the entry program's verification). */
__noinline int strv_count(__u64 addr, __u32 step)
{
	for (int k = 0; k < ARGTRACE_SYSCALL_STRV_COUNT; k++) {
		__u64 ptr = 0;

		if (read_ptr(&ptr, addr + k * step, step))
			return k ? k | STRV_UNTERMINATED : -14;
		if (!ptr)
			return k;
	}
	return ARGTRACE_SYSCALL_STRV_COUNT;
}

/* A NULL-ended array of strings at `addr` into a struct syscall_strv_slot
 * at `dst`: the first `shown` strings (at most STRV_N here, the next ones up
 * to STRV_MAX into strv_tails: then the slot `s` is marked, cut 3), and the
 * count. Returns the bytes used, or a negative error where the array could
 * not be read. */
static __noinline int read_strv(struct syscall_slot *s, char *dst, __u64 addr, __u32 shown,
				__u32 step)
{
	struct syscall_strv_slot *v = (void *)dst;
	__u32 size = string_limit + 2;

	if (!dst || !s)
		return -1;
	if (size > ARGTRACE_SYSCALL_STRV_STR)
		size = ARGTRACE_SYSCALL_STRV_STR;
	/* (strace's printargv: -s strings at most) */
	if (shown > string_limit)
		shown = string_limit;
	v->count = ARGTRACE_SYSCALL_STRV_COUNT;
	v->shown = 0;
	v->err = 0;
	v->unterminated = 0;
	v->tail = 0;
#pragma unroll
	for (int k = 0; k < ARGTRACE_SYSCALL_STRV_N; k++) {
		__u64 ptr = 0;

		if (k >= shown)
			break;
		/* (the pointer that cannot be read: strv_count finds it
		 * again) */
		if (read_ptr(&ptr, addr + k * step, step))
			break;
		if (!ptr)
			break;
		if (bpf_probe_read_user_str(v->s[k], BOUNDED(size, ARGTRACE_SYSCALL_STRV_STR),
					    (void *)ptr) < 0) {
			/* strace prints the pointer of a string it cannot read */
			__builtin_memcpy(v->s[k], &ptr, 8);
			v->err |= 1 << k;
		}
		v->shown = k + 1;
	}
	if (v->shown == ARGTRACE_SYSCALL_STRV_N && shown > ARGTRACE_SYSCALL_STRV_N &&
	    strv_tail_read(addr, shown, step))
		s->cut = 3;
	int c = strv_count(addr, step);

	/* The array itself unreadable: its address alone. */
	if (c < 0)
		return -14; /* EFAULT */
	v->count = c & ~STRV_UNTERMINATED;
	v->unterminated = !!(c & STRV_UNTERMINATED);
	return sizeof(*v);
}

/* A struct timeval or timespec at `addr` into `ts`; a 32-bit task's
 * (`compat`: old_timeval32, old_timespec32, two 32-bit words) widened as the
 * native one holds it, its seconds signed and its fraction unsigned (strace
 * prints a time32's tv_usec and tv_nsec zero-extended). */
static __always_inline long read_time(__u64 *ts, __u64 addr, bool compat)
{
	__u32 w[2] = {};
	long r;

	if (!compat)
		return bpf_probe_read_user(ts, 16, (void *)addr);
	r = bpf_probe_read_user(w, 8, (void *)addr);
	ts[0] = (__u64)(__s64)(__s32)w[0];
	ts[1] = w[1];
	return r;
}

/* select's fd set `k` (0 in, 1 out, 2 except: args[k + 1], args[0]
 * descriptors, strace's fdsize bytes, at most FD_SETSIZE) into a struct
 * syscall_fdset_slot at `dst`; with `extra`, also its timeout and, where
 * `extra` is 2, pselect6's sigmask pair and the mask it points to. A 32-bit
 * task's (`compat`): its sets in 32-bit words (the same bits; fdsize rounded
 * to 4 bytes), its time32 timeout and its pair of 32-bit words, widened into
 * the same slot. Returns the bytes used. */
static __noinline int read_fdset(char *dst, __u64 *args, __u32 k, __u32 extra, bool compat)
{
	struct syscall_fdset_slot *f = (void *)dst;
	__u64 addr;
	__u32 bytes;
	int nfds;

	if (!dst || !args || k > 2)
		return -1;
	__builtin_memset(f, 0, sizeof(*f));
	nfds = (int)args[0];
	if (nfds < 0)
		nfds = 0;
	bytes = (((__u32)nfds + 7) / 8 + 7) & ~7U;
	if (compat)
		bytes = (((__u32)nfds + 7) / 8 + 3) & ~3U;
	if (bytes > sizeof(f->set)) {
		f->err |= 0x41;
		bytes = 0;
	}
	f->bytes = bytes;
	addr = args[(k + 1) & 3];
	if (addr && bytes &&
	    bpf_probe_read_user(f->set, BOUNDED64(bytes, sizeof(f->set)), (void *)addr))
		f->err |= 1;
	if (!extra)
		return sizeof(*f);
	if (args[4] && read_time(f->ts, args[4], compat))
		f->err |= 8;
	if (extra == 2 && args[5]) {
		__u32 w[2] = {};

		if (compat) {
			if (bpf_probe_read_user(w, 8, (void *)args[5]))
				f->err |= 16;
			f->sigmask[0] = w[0];
			f->sigmask[1] = w[1];
		} else if (bpf_probe_read_user(f->sigmask, 16, (void *)args[5])) {
			f->err |= 16;
		}
		if (!(f->err & 16) && f->sigmask[0] &&
		    bpf_probe_read_user(&f->sigmask[2], 8, (void *)f->sigmask[0]))
			f->err |= 32;
	}
	return sizeof(*f);
}

/* dirents_walk()'s result: the records ended at `total` bytes. */
#define DIRENTS_COMPLETE (1 << 30)

/* The records of a getdents buffer of `total` bytes at `addr` (each one's
 * d_reclen at offset `at`: 16 in both struct linux_dirent and
 * linux_dirent64, 8 in i386's struct compat_linux_dirent):
 * their count, with DIRENTS_COMPLETE where they end at `total`. A global
 * function, with scalar arguments only (all 5.10 allows one): the verifier
 * walks its DIRENTS_MAX steps once, not on every way into read_out_slot
 * (250 000 instructions for the return program as a static one, 22 000 so). */
__noinline int dirents_walk(__u64 addr, __u64 total, __u32 at)
{
	__u64 off = 0;
	int n = 0;

	for (int k = 0; k < ARGTRACE_SYSCALL_DIRENTS_MAX; k++) {
		__u16 reclen = 0;

		if (off >= total)
			return n | DIRENTS_COMPLETE;
		if (bpf_probe_read_user(&reclen, 2, (void *)(addr + off + at)))
			break;
		n++;
		if (reclen < at + 3) {
			/* (strace steps over a short record by its header:
			 * d_reclen, d_type or a name's first byte) */
			reclen = at + 3;
		}
		off += reclen;
	}
	return n;
}

/* The records of a getdents buffer, counted into a struct
 * syscall_dirents_slot at `dst`. */
static __noinline int count_dirents(char *dst, __u64 addr, __u64 total, __u32 at)
{
	struct syscall_dirents_slot *d = (void *)dst;
	int r;

	if (!dst)
		return -1;
	r = dirents_walk(addr, total, at);
	d->complete = !!(r & DIRENTS_COMPLETE);
	d->count = r & (DIRENTS_COMPLETE - 1);
	return sizeof(*d);
}

/* A struct msghdr at `addr` into a struct syscall_msghdr_slot at `dst`: the
 * header, the name, the iovecs and their bytes (`total` in all at most),
 * the control messages' bytes. A 32-bit task's (`compat`): its struct
 * compat_msghdr, seven 32-bit words widened into the header's seven, its
 * struct compat_iovec array, its control messages under a struct
 * compat_cmsghdr (12 bytes) as they are.
 * Returns the bytes used, or a negative error where the header could not be
 * read. */
static __noinline int read_msghdr(char *dst, __u64 addr, __u64 total, bool compat)
{
	struct syscall_msghdr_slot *m = (void *)dst;
	__u64 c;
	__u32 n;
	int r;

	if (!dst)
		return -1;
	if (compat) {
		__u32 w[7] = {};

		if (bpf_probe_read_user(w, sizeof(w), (void *)addr))
			return -14; /* EFAULT */
#pragma unroll
		for (int k = 0; k < 7; k++)
			m->hdr[k] = w[k];
	} else if (bpf_probe_read_user(m->hdr, sizeof(m->hdr), (void *)addr)) {
		return -14; /* EFAULT */
	}
	n = (__u32)m->hdr[1];
	m->name_len = 0;
	if (m->hdr[0] && n) {
		/* (to its page's end where the whole cannot be read: recvmsg's
		 * name is printed at the length the caller gave, if shorter) */
		long got = read_sized_arg(
			m->name, n > ARGTRACE_SYSCALL_MSG_NAME ? ARGTRACE_SYSCALL_MSG_NAME : n,
			m->hdr[0]);

		if (got > 0)
			m->name_len = got;
	}
	r = read_iov((char *)&m->iov, m->hdr[2], m->hdr[3], total, compat);
	m->iov_err = r < 0 ? r : 0;
	/* The control messages (strace's decode_msg_control: none read
	 * under one struct cmsghdr, the address printed). */
	m->control_len = 0;
	m->control_err = 0;
	c = m->hdr[5];
	if (!m->hdr[4] || c < (compat ? 12 : 16))
		return offsetof(struct syscall_msghdr_slot, control);
	c = BOUNDED64(c, ARGTRACE_SYSCALL_MSG_CONTROL);
	if (bpf_probe_read_user(m->control, c, (void *)m->hdr[4])) {
		m->control_err = -14; /* EFAULT */
		return offsetof(struct syscall_msghdr_slot, control);
	}
	m->control_len = c;
	return offsetof(struct syscall_msghdr_slot, control) + c;
}

/* ppoll's pollfds (`n` bytes at `addr`) and then, as a struct
 * syscall_left_trailer, the timespec at `ts` (a 32-bit task's time32,
 * widened: read_time), into `dst`. */
static __noinline int read_poll_left(char *dst, __u64 addr, __u32 n, __u64 ts, bool compat)
{
	struct syscall_left_trailer *t;
	__u64 len;

	if (!dst)
		return -1;
	/* Masked in an instruction clang cannot drop: on a path 5.10's
	 * verifier walks but no call takes, `n` arrives with bounds that
	 * cross (umin 4073, umax 4071), and a pointer plus such a scalar is
	 * no longer a pointer ("R7 invalid mem access 'inv'"); the mask gives
	 * it bounds again. */
	len = n;
	asm volatile("%0 &= 0xfff" : "+r"(len));
	len = BOUNDED64(len, ARGTRACE_SYSCALL_BUF_MAX - sizeof(*t));
	if (len && bpf_probe_read_user(dst, len, (void *)addr))
		return -14;
	t = (void *)(dst + len);
	t->ts[0] = 0;
	t->ts[1] = 0;
	t->err = 0;
	t->pad = 0;
	if (ts && read_time(t->ts, ts, compat))
		t->err = 1;
	return len + sizeof(*t);
}

/* Argument `i` of `a` (0 past the sixth). `a` is a map value's (the task's
 * storage or a per-CPU scratch), never the stack: 5.10's verifier refuses a
 * variable offset into the stack. */
static __always_inline __u64 arg_at(const __u64 *a, __u8 i)
{
	__u64 k = i;

	if (i >= 6)
		return 0;
	/* (the mask kept past the compare: clang drops it where it knows
	 * i < 6, and 5.10's verifier then loses the bound of a reloaded copy) */
	asm volatile("" : "+r"(k));
	return a[k & 7];
}

/* The path at `addr`, cut at its entry slot, read whole (up to PATH_MAX - 1
 * bytes, as strace's printpathn) into long_paths under `tid`. Returns 0 when
 * it waits there. */
static __noinline int read_long_path(__u32 tid, __u64 addr)
{
	struct syscall_long_path *l;
	__u32 zero = 0;
	char next = 1;
	long r;

	l = bpf_map_lookup_elem(&long_path_scratch, &zero);
	if (!l)
		return -1;
	r = bpf_probe_read_user_str(l->data, ARGTRACE_SYSCALL_PATH_MAX, (void *)addr);
	if (r <= 0)
		return -1;
	l->slot.len = r - 1;
	l->slot.cut = 0;
	l->slot.err = 0;
	/* PATH_MAX - 1 bytes read: whole if the next one is the NUL. */
	if (r == ARGTRACE_SYSCALL_PATH_MAX &&
	    (bpf_probe_read_user(&next, 1, (void *)(addr + ARGTRACE_SYSCALL_PATH_MAX - 1)) || next))
		l->slot.cut = 1;
	return bpf_map_update_elem(&long_paths, &tid, l, BPF_ANY) ? -1 : 0;
}

/* Reads the path of argument `arg` whole into long_paths where its entry
 * slot cut it, and marks the slot (cut 2). Outside read_entry_slots' loop:
 * the verifier walks it once. */
static __noinline void mark_long_path(struct syscall_pending_slots *ps, struct syscall_pending *p,
				      __u8 arg, __u32 tid)
{
	if (!ps || !p)
		return;
	for (int k = 0; k < ARGTRACE_SYSCALL_ENTRY_SLOTS; k++) {
		struct syscall_slot *s = &ps->slot[k];

		if (k >= p->nslots)
			return;
		if (s->arg != arg || s->cut != 1 || arg >= 6)
			continue;
		if (!read_long_path(tid, p->args[arg & 7]))
			s->cut = 2;
		return;
	}
}

/* Reads the strings and input buffers of the call into `ps`, one entry slot
 * per argument that shape->entry_arg names (a 32-bit task's: `compat`);
 * returns the slots used. */
static __always_inline __u8 read_entry_slots(struct syscall_pending_slots *ps,
					     const volatile struct syscall_shape *shape,
					     __u64 *args, bool compat)
{
	__u32 str_size = string_limit + 2, buf_limit = string_limit;
	__u8 n = 0;

	if (str_size > SLOT_SIZE)
		str_size = SLOT_SIZE;
	if (buf_limit > ARGTRACE_SYSCALL_STR_MAX)
		buf_limit = ARGTRACE_SYSCALL_STR_MAX;
#pragma unroll
	for (int k = 0; k < ARGTRACE_SYSCALL_ENTRY_SLOTS; k++) {
		__u8 i = shape->entry_arg[k];
		struct syscall_slot *s;
		__u64 arg;
		__u8 kind;
		char *dst;
		long r;

		if (i >= 6)
			break;
		kind = shape->kind[i];
		arg = arg_at(args, i);
		s = &ps->slot[k];
		dst = ps->data + k * SLOT_SIZE;
		s->arg = i;
		s->len = 0;
		s->cut = 0;
		s->err = 0;
		if (kind == SYSCALL_ARG_STR) {
			read_str_slot(s, dst, str_size, string_limit, arg);
		} else if (kind == SYSCALL_ARG_PATH) {
			read_str_slot(s, dst, SLOT_SIZE, SLOT_SIZE - 2, arg);
		} else if (kind == SYSCALL_ARG_IN_FIXED || kind == SYSCALL_ARG_INOUT_MSGHDR) {
			read_in_bytes(s, dst, shape->size[i], arg);
		} else if (kind == SYSCALL_ARG_SIGFRAME_MASK) {
			read_in_bytes(s, dst, 8, arg);
		} else if (kind == SYSCALL_ARG_INOUT_FIXED) {
			if (arg) {
				r = read_sized_arg(dst, shape->size[i], arg);
				if (r < 0)
					s->err = r;
				else
					s->len = r;
			}
		} else if (kind == SYSCALL_ARG_INOUT_FDSETS || kind == SYSCALL_ARG_IN_FDSET) {
			/* readfds (args[1]) with the timeout, or its own set */
			if (kind == SYSCALL_ARG_INOUT_FDSETS)
				r = read_fdset(dst, args, 0, 1 + !!shape->size[i], compat);
			else
				r = read_fdset(dst, args, i - 1, 0, compat);
			if (r < 0)
				s->err = r;
			else
				s->len = r;
		} else if (kind == SYSCALL_ARG_IN_ARRAY || kind == SYSCALL_ARG_INOUT_SIZED) {
			/* (a count past 2^32 is cut at the slot anyway) */
			__u64 want =
				(arg_at(args, shape->len_arg[i]) & 0xffffffff) * shape->size[i];

			if (want > ARGTRACE_SYSCALL_STR_MAX) {
				want = ARGTRACE_SYSCALL_STR_MAX;
				s->cut = 1;
			}
			if (arg && want) {
				r = read_sized_arg(dst, want, arg);
				if (r < 0)
					s->err = r;
				else
					s->len = r;
			}
		} else if (kind == SYSCALL_ARG_IN_SIZED || kind == SYSCALL_ARG_INOUT_POLL) {
			__u64 count = arg_at(args, shape->len_arg[i]);

			/* (a count past 2^32 is cut at the slot anyway) */
			read_in_bytes(s, dst, (count & 0xffffffff) * shape->size[i], arg);
		} else if (kind == SYSCALL_ARG_IN_IOV || kind == SYSCALL_ARG_IN_STRV) {
			if (arg) {
				if (kind == SYSCALL_ARG_IN_IOV)
					r = read_iov(dst, arg, arg_at(args, shape->len_arg[i]),
						     ~0ULL, shape->size[i] == 4);
				else
					r = read_strv(s, dst, arg, shape->size[i],
						      shape->len_arg[i] == 4 ? 4 : 8);
				if (r < 0)
					s->err = r;
				else
					s->len = r;
			}
		} else {
			__u64 want = arg_at(args, shape->len_arg[i]);
			__u32 size = want > buf_limit ? buf_limit : want;

			if (want > size)
				s->cut = 1;
			if (size > ARGTRACE_SYSCALL_STR_MAX)
				size = ARGTRACE_SYSCALL_STR_MAX;
			if (size) {
				r = bpf_probe_read_user(dst, size, (void *)arg);
				if (r < 0)
					s->err = r;
				else
					s->len = size;
			}
		}
		n = k + 1;
	}
	return n;
}

static __always_inline bool is_out_kind(__u8 kind)
{
	return kind == SYSCALL_ARG_OUT_BUF || kind == SYSCALL_ARG_OUT_FIXED ||
	       kind == SYSCALL_ARG_OUT_SIZED || kind == SYSCALL_ARG_OUT_LENPTR ||
	       kind == SYSCALL_ARG_INOUT_SIZED || kind == SYSCALL_ARG_INOUT_FIXED ||
	       kind == SYSCALL_ARG_OUT_IOV || kind == SYSCALL_ARG_OUT_DIRENTS ||
	       kind == SYSCALL_ARG_INOUT_FDSETS || kind == SYSCALL_ARG_INOUT_MSGHDR ||
	       kind == SYSCALL_ARG_INOUT_POLL || kind == SYSCALL_ARG_OUT_RESTART ||
	       kind == SYSCALL_ARG_OUT_CELLS;
}

/* The call was interrupted and will be restarted (strace's is_erestart:
 * ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK). */
static __always_inline bool is_erestart(long ret)
{
	return ret == -512 || ret == -513 || ret == -514 || ret == -516;
}

/* The length handed in for argument `la` where an entry slot read it (the
 * 4 bytes of accept's *addrlen), else ~0. */
static __always_inline __u32 len_handed_in(struct syscall_event *e, __u8 la)
{
	__u32 len = ~0U;

#pragma unroll
	for (int k = 0; k < ARGTRACE_SYSCALL_ENTRY_SLOTS; k++) {
		if (k < e->nslots && e->slot[k].arg == la && e->slot[k].len >= 4 && !e->slot[k].err)
			len = *(__u32 *)(e->data + k * SLOT_SIZE);
	}
	return len;
}

/* The bytes the kernel filled for argument `i` at return, into slot `k` of
 * `e` (`e->data + k * SLOT_SIZE`: slot 3's BUF_MAX bytes, or a free entry
 * slot's SLOT_SIZE); returns their count. */
static __noinline __u32 read_out_slot(struct syscall_event *e, struct syscall_pending *p, int i,
				      long ret, __u32 k)
{
	const volatile struct syscall_shape *shape = shape_of(p->abi, p->nr);
	struct syscall_slot *s = &e->slot[k & 3];
	char *dst = e->data + (k & 3) * SLOT_SIZE;
	__u8 kind = shape->kind[i & 7], la = shape->len_arg[i & 7];
	__u64 addr = p->args[i & 7], want, count, m;
	__u32 n = 0, len = 0, skip = 0, max = k < 3 ? SLOT_SIZE : ARGTRACE_SYSCALL_BUF_MAX;
	long r;

	if (kind == SYSCALL_ARG_OUT_FIXED_SLOT)
		kind = SYSCALL_ARG_OUT_FIXED;
	else if (kind == SYSCALL_ARG_OUT_LENPTR_SLOT)
		kind = SYSCALL_ARG_OUT_LENPTR;
	s->arg = i;
	if (kind == SYSCALL_ARG_OUT_BUF) {
		want = ret > 0 ? ret : 0;
		/* At most the buffer's size (argument len_arg): recv's and
		 * recvfrom's MSG_TRUNC return the datagram's whole length. */
		if (la < 6 && want > p->args[la & 7])
			want = p->args[la & 7];
		n = want > string_limit ? string_limit : want;
		if (want > n)
			s->cut = 1;
	} else if (kind == SYSCALL_ARG_INOUT_FDSETS) {
		/* Read again at return: what the kernel left (none for a
		 * timeout: strace prints `Timeout`). */
		if (ret <= 0)
			return 0;
		r = 0;
#pragma unroll
		for (int j = 0; j < 3; j++) {
			int got = read_fdset(dst + j * sizeof(struct syscall_fdset_slot), p->args,
					     j, j == 0, p->abi == SYSCALL_ABI_COMPAT);

			if (got < 0) {
				r = got;
				break;
			}
			r += got;
		}
		goto done;
	} else if (kind == SYSCALL_ARG_INOUT_MSGHDR) {
		/* recvmsg's (len_arg SYSCALL_LEN_RET): once it succeeded, the
		 * bytes up to its result; sendmsg's: whatever the result. */
		if (!addr || (la == SYSCALL_LEN_RET && ret < 0))
			return 0;
		r = read_msghdr(dst, addr, la == SYSCALL_LEN_RET ? (__u64)ret : ~0ULL,
				p->abi == SYSCALL_ABI_COMPAT);
		goto done;
	} else if (kind == SYSCALL_ARG_OUT_RESTART) {
		/* Only then does the kernel write it. */
		if (!is_erestart(ret) || !addr)
			return 0;
		n = shape->size[i & 7] & 0xfff;
	} else if (kind == SYSCALL_ARG_OUT_IOV) {
		/* The iovecs whatever the result (strace prints a failed
		 * call's with their addresses), their bytes up to ret. */
		if (!addr)
			return 0;
		r = read_iov(dst, addr, arg_at(p->args, la), ret < 0 ? 0 : ret,
			     shape->size[i & 7] == 4);
		goto done;
	} else if (ret < 0 || !addr) {
		return 0;
	} else if (kind == SYSCALL_ARG_OUT_DIRENTS) {
		r = count_dirents(dst, addr, ret, shape->size[i & 7] & 0x1f);
		goto done;
	} else if (kind == SYSCALL_ARG_OUT_CELLS) {
		/* One cell through each of the first three arguments (the
		 * call wrote all three, or failed), 8 bytes apart. */
		n = shape->size[i & 7];
		if (n > 8)
			n = 8;
		r = 24;
#pragma unroll
		for (int j = 0; j < 3; j++) {
			long got = bpf_probe_read_user(dst + j * 8, n, (void *)p->args[j]);

			if (got < 0) {
				r = got;
				break;
			}
		}
		goto done;
	} else if (kind == SYSCALL_ARG_INOUT_POLL) {
		if (ret == 0)
			return 0;
		count = arg_at(p->args, la) & 0xffffffff;
		want = count * 8;
		n = want > ARGTRACE_SYSCALL_BUF_MAX - sizeof(struct syscall_left_trailer)
			    ? ARGTRACE_SYSCALL_BUF_MAX - sizeof(struct syscall_left_trailer)
			    : want;
		if (want > n)
			s->cut = 1;
		r = read_poll_left(dst, addr, n, p->args[2], p->abi == SYSCALL_ABI_COMPAT);
		goto done;
	} else if (kind == SYSCALL_ARG_INOUT_FIXED) {
		r = read_sized_arg(dst, shape->size[i & 7], addr);
		goto done;
	} else if (kind == SYSCALL_ARG_OUT_FIXED) {
		/* A struct: whole, once the call succeeded. */
		/* (masked, not compared: the verifier sees the bound on the
		 * register the read gets) */
		n = shape->size[i & 7] & 0xfff;
	} else if (kind == SYSCALL_ARG_OUT_SIZED || kind == SYSCALL_ARG_INOUT_SIZED) {
		count = la == SYSCALL_LEN_RET ? (__u64)ret : arg_at(p->args, la);
		count &= 0xffffffff;
		want = count * shape->size[i & 7];
		n = want > ARGTRACE_SYSCALL_BUF_MAX ? ARGTRACE_SYSCALL_BUF_MAX : want;
		if (want > n)
			s->cut = 1;
	} else if (kind == SYSCALL_ARG_OUT_LENPTR) {
		/* The length the kernel wrote back first, then that many
		 * bytes, at most size[i]. */
		if (la >= 6 || !arg_at(p->args, la))
			return 0;
		r = bpf_probe_read_user(&len, 4, (void *)arg_at(p->args, la));
		if (r < 0) {
			s->err = r;
			return 0;
		}
		*(__u32 *)dst = len;
		skip = 4;
		n = len > shape->size[i & 7] ? shape->size[i & 7] : len;
		/* (strace reads min(the length handed in, the one written back)) */
		count = len_handed_in(e, la);
		if (n > count)
			n = count;
		if (n > ARGTRACE_SYSCALL_BUF_MAX - 4)
			n = ARGTRACE_SYSCALL_BUF_MAX - 4;
	}
	if (n > max)
		n = max;
	if (skip) {
		if (n > max - 4)
			n = max - 4;
		/* (64-bit after a barrier: the verifier keeps a compare's
		 * bound only on the very register the read gets, not on a
		 * zero-extended copy of a 32-bit value) */
		m = n;
		asm volatile("" : "+r"(m));
		m &= ARGTRACE_SYSCALL_BUF_MAX - 1;
		if (m > ARGTRACE_SYSCALL_BUF_MAX - 4)
			m = ARGTRACE_SYSCALL_BUF_MAX - 4;
		if (m) {
			r = bpf_probe_read_user(dst + 4, m, (void *)addr);
			if (r < 0) {
				s->err = r;
				return 0;
			}
		}
		n = m;
		s->len = n + 4;
		return n + 4;
	}
	n = BOUNDED(n, ARGTRACE_SYSCALL_BUF_MAX);
	if (!n)
		return 0;
	r = bpf_probe_read_user(dst, n, (void *)addr);
	if (r < 0) {
		s->err = r;
		return 0;
	}
	s->len = n;
	return n;
done:
	/* A struct of its own (iovecs, fd sets, msghdr ...): its bytes, or
	 * the error of reading it. */
	if (r < 0) {
		s->err = r;
		return 0;
	}
	s->len = r;
	return r & 0xfff;
}

/* The output beside slot 3's (SYSCALL_ARG_OUT_FIXED_SLOT or
 * SYSCALL_ARG_OUT_LENPTR_SLOT) into the last entry slot, once the call
 * succeeded: read_out_slot's two cases alone, so that the verifier's walk
 * of it stays short. */
static __noinline void read_beside(struct syscall_event *e, struct syscall_pending *p, int i,
				   long ret)
{
	const volatile struct syscall_shape *shape = shape_of(p->abi, p->nr);
	struct syscall_slot *s = &e->slot[2];
	char *dst = e->data + 2 * SLOT_SIZE;
	__u8 kind = shape->kind[i & 7], la = shape->len_arg[i & 7];
	__u64 addr = p->args[i & 7], m;
	__u32 len = 0, skip = 0, n = shape->size[i & 7], handed;

	s->arg = i;
	s->len = 0;
	s->cut = 0;
	s->err = 0;
	if (ret < 0 || !addr)
		return;
	if (kind == SYSCALL_ARG_OUT_LENPTR_SLOT) {
		if (la >= 6 || !arg_at(p->args, la))
			return;
		if (bpf_probe_read_user(&len, 4, (void *)arg_at(p->args, la))) {
			s->err = -14; /* EFAULT */
			return;
		}
		*(__u32 *)dst = len;
		skip = 4;
		if (n > len)
			n = len;
		handed = len_handed_in(e, la);
		if (n > handed)
			n = handed;
	}
	m = n;
	asm volatile("" : "+r"(m));
	m &= 511;
	if (m > SLOT_SIZE - 4)
		m = SLOT_SIZE - 4;
	if (m && bpf_probe_read_user(dst + (skip & 4), m, (void *)addr)) {
		s->err = -14;
		return;
	}
	s->len = m + skip;
}

/* Fills the record's fixed part (all before `data`) from the pending state. */
static __always_inline void fill_record(struct syscall_event *e, struct syscall_pending *p,
					__u32 tid, __u8 end, long ret)
{
	__builtin_memset(e, 0, offsetof(struct syscall_event, data));
	e->h.ts_ns = p->start_ns;
	e->h.pid = p->pid;
	e->h.tid = tid;
	e->h.cgroup_id = want_cgroup_id ? bpf_get_current_cgroup_id() : 0;
	e->h.probe = p->probe;
	e->h.kstack_id = p->kstack_id;
	e->h.ustack_id = p->ustack_id;
	/* At return: the name the task has now (a successful execve: the new
	 * image's, as strace prints it). */
	if (use_task_storage) {
		/* One task pointer for both. */
		struct task_struct *task = bpf_get_current_task_btf();

		e->h.uid = task->cred->uid.val;
		__builtin_memcpy(e->h.comm, task->comm, sizeof(e->h.comm));
	} else {
		e->h.uid = current_uid();
		current_comm(e->h.comm);
	}
	if (timing && end == SYSCALL_END_RETURN) {
		e->h.timed = 1;
		e->h.duration_ns = bpf_ktime_get_ns() - p->start_ns;
	}
	e->nr = p->nr;
	e->abi = p->abi;
	e->end = end;
	e->ret = ret;
#pragma unroll
	for (int i = 0; i < 6; i++)
		e->args[i] = p->args[i];
}

/* Does the call read nothing beyond its six values (no string or buffer at
 * entry or return)? Then its record has a fixed size. */
static __always_inline bool values_only(struct syscall_pending *p)
{
	const volatile struct syscall_shape *shape;

	if (p->nslots)
		return false;
	if (p->nr >= NR_MAX)
		return true;
	shape = shape_of(p->abi, p->nr);
#pragma unroll
	for (int i = 0; i < 6; i++) {
		if (shape->kind[i] != SYSCALL_ARG_VALUE)
			return false;
	}
	return true;
}

/* Sends the record of a call that reads nothing beyond its values: reserved
 * in the ring buffer and filled in place, no copy. */
static __always_inline void send_values_record(struct syscall_pending *p, __u32 tid, __u8 end,
					       long ret)
{
	struct syscall_event *e =
		bpf_ringbuf_reserve(&events, offsetof(struct syscall_event, data), 0);

	if (!e) {
		count_drop();
		return;
	}
	fill_record(e, p, tid, end, ret);
	bpf_ringbuf_submit(e, send_flags(p));
}

/* A path of the record's entry slots that waits whole in long_paths, into
 * slot 3 (the call fills no buffer there); returns the record's size. */
static __always_inline __u32 send_long_path(struct syscall_event *e, __u32 tid, __u32 size)
{
	struct syscall_long_path *l;
	__u32 len;

#pragma unroll
	for (int i = 0; i < ARGTRACE_SYSCALL_ENTRY_SLOTS; i++) {
		if (i >= e->nslots || e->slot[i].cut != 2)
			continue;
		e->slot[i].cut = 1;
		l = bpf_map_lookup_elem(&long_paths, &tid);
		if (!l)
			return size;
		/* (masked, not compared: at most PATH_MAX - 1 bytes) */
		len = l->slot.len & (ARGTRACE_SYSCALL_PATH_MAX - 1);
		if (len && !bpf_probe_read_kernel(e->data + 3 * SLOT_SIZE, len, l->data)) {
			e->slot[3] = l->slot;
			e->slot[3].arg = e->slot[i].arg;
			e->has_out = 2;
			size = offsetof(struct syscall_event, data) + 3 * SLOT_SIZE + len;
		}
		bpf_map_delete_elem(&long_paths, &tid);
		return size;
	}
	return size;
}

/* argv's strings past its entry slot (cut 3: they wait in strv_tails), after
 * slot 3's path or in its place; returns the record's size. */
static __always_inline __u32 send_strv_tail(struct syscall_event *e, __u32 tid, __u32 size)
{
	struct syscall_strv_tail *t;
	__u32 off;

#pragma unroll
	for (int i = 0; i < ARGTRACE_SYSCALL_ENTRY_SLOTS; i++) {
		struct syscall_strv_slot *v = (void *)(e->data + i * SLOT_SIZE);

		if (i >= e->nslots || e->slot[i].cut != 3)
			continue;
		e->slot[i].cut = 0;
		t = bpf_map_lookup_elem(&strv_tails, &tid);
		if (!t)
			return size;
		off = e->has_out == 2 ? 3 * SLOT_SIZE + ARGTRACE_SYSCALL_BUF_MAX : 3 * SLOT_SIZE;
		if (!bpf_probe_read_kernel(e->data + off, sizeof(*t), t)) {
			v->tail = 1;
			size = offsetof(struct syscall_event, data) + off + sizeof(*t);
		}
		bpf_map_delete_elem(&strv_tails, &tid);
		return size;
	}
	return size;
}

/* Builds and sends the record of a call from its pending state; `ps` may be
 * NULL (no strings). */
static __always_inline void send_record(void *ctx, struct syscall_pending *p,
					struct syscall_pending_slots *ps, __u32 tid, __u8 end,
					long ret, bool out_buf)
{
	__u32 zero = 0, size;
	struct syscall_event *e;
	const volatile struct syscall_shape *shape;

	if (values_only(p)) {
		send_values_record(p, tid, end, ret);
		return;
	}
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e) {
		count_drop();
		return;
	}
	fill_record(e, p, tid, end, ret);
	size = offsetof(struct syscall_event, data);
	if (ps && p->nslots) {
		__u8 n = p->nslots;

		if (n > ARGTRACE_SYSCALL_ENTRY_SLOTS)
			n = ARGTRACE_SYSCALL_ENTRY_SLOTS;
		e->nslots = n;
#pragma unroll
		for (int i = 0; i < ARGTRACE_SYSCALL_ENTRY_SLOTS; i++) {
			if (i >= n)
				break;
			e->slot[i] = ps->slot[i];
			bpf_probe_read_kernel(e->data + i * SLOT_SIZE, SLOT_SIZE,
					      ps->data + i * SLOT_SIZE);
		}
		size += n * SLOT_SIZE;
		size = send_long_path(e, tid, size);
		size = send_strv_tail(e, tid, size);
	}
	if (out_buf && p->nr < NR_MAX) {
		int out = -1;

		shape = shape_of(p->abi, p->nr);
#pragma unroll
		for (int i = 0; i < 6; i++) {
			if (is_out_kind(shape->kind[i])) {
				out = i;
				break;
			}
		}
		if (out >= 0) {
			e->has_out = 1;
			size = offsetof(struct syscall_event, data) + 3 * SLOT_SIZE +
			       BOUNDED(read_out_slot(e, p, out, ret, 3), ARGTRACE_SYSCALL_BUF_MAX);
		}
		/* The output beside slot 3's (one at most), into the next free
		 * entry slot. */
		out = -1;
#pragma unroll
		for (int i = 0; i < 6; i++) {
			__u8 kind = shape->kind[i];

			if (kind == SYSCALL_ARG_OUT_FIXED_SLOT ||
			    kind == SYSCALL_ARG_OUT_LENPTR_SLOT) {
				out = i;
				break;
			}
		}
		/* Always the last entry slot (a constant: the verifier walks
		 * read_out_slot once for it); the ones before it that entry
		 * left free belong to no argument (arg 0xff). */
		if (out >= 0 && e->nslots < ARGTRACE_SYSCALL_ENTRY_SLOTS) {
			if (e->nslots < 1)
				e->slot[0].arg = 0xff;
			if (e->nslots < 2)
				e->slot[1].arg = 0xff;
			read_beside(e, p, out, ret);
			e->nslots = 3;
			if (size < offsetof(struct syscall_event, data) + 3 * SLOT_SIZE)
				size = offsetof(struct syscall_event, data) + 3 * SLOT_SIZE;
		}
	}
	/* (the size's exact value forgotten: the ways here differ only by it,
	 * and the verifier then walks what follows once, not once per value) */
	asm volatile("" : "+r"(size));
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&events, e, size, send_flags(p)))
		count_drop();
}

/* The entry of a call, in either mode (`probe`: PROBE_TP_BTF or PROBE_RAW_TP). */
static __always_inline int on_enter(void *ctx, struct pt_regs *regs, long id, __u8 probe,
				    bool direct)
{
	__u8 abi = abi_of(regs, direct);
	struct syscall_pending *p;
	struct syscall_pending_slots *ps = NULL;
	struct syscall_task *t = NULL;
	const volatile struct syscall_shape *shape;
	__u32 pid, tid, zero = 0;

	if (!is_wanted(abi, id))
		return 0;
	if (!want_task_ids(&pid, &tid))
		return 0;
	if (use_task_storage) {
		/* In place: every field below is written, whatever the last
		 * call left. */
		t = bpf_task_storage_get(&syscall_tasks, bpf_get_current_task_btf(), NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!t) {
			count_drop();
			return 0;
		}
		p = &t->p;
	} else {
		p = bpf_map_lookup_elem(&scratch_pending, &zero);
		if (!p)
			return 0;
		p->has_slots = 0;
	}
	p->start_ns = stamp_entry();
	p->nr = id;
	p->pid = pid;
	p->abi = abi;
	p->probe = probe;
	p->nslots = 0;
	read_args(p->args, regs, abi, direct);
	/* From here on the ABI as read back from the slot: a value the verifier
	 * does not know, so it walks what follows once, not once per ABI. */
	abi = *(volatile __u8 *)&p->abi;
	if (abi == SYSCALL_ABI_COMPAT && (p->nr == socketcall_nr || p->nr == old_select_nr) &&
	    !indirect_call(p)) {
		p->start_ns = 0;
		return 0;
	}
	if (want_stacks && !summary_mode) {
		p->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
		p->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	} else {
		p->kstack_id = -1;
		p->ustack_id = -1;
	}
	shape = shape_of(abi, p->nr);
	/* rt_sigreturn: its frame's mask, at the user stack pointer plus the
	 * architecture's (or the 32-bit ABI's) offset (size[0]), read as its
	 * argument 0. */
	if (shape->kind[0] == SYSCALL_ARG_SIGFRAME_MASK)
		p->args[0] = user_sp(regs, direct, abi) + shape->size[0];
	if (shape->has_entry_slots && !summary_mode) {
		if (t)
			ps = &t->s;
		else
			ps = bpf_map_lookup_elem(&scratch_slots, &zero);
		if (ps)
			p->nslots = read_entry_slots(ps, shape, p->args, abi == SYSCALL_ABI_COMPAT);
		/* The path shape->long_path names (its index + 1), cut at its
		 * slot: whole, where slot 3 is free at return. */
		if (ps && shape->long_path)
			mark_long_path(ps, p, shape->long_path - 1, tid);
	}
	if (shape->no_return || (abi == SYSCALL_ABI_COMPAT &&
				 (p->nr == compat_no_return[0] || p->nr == compat_no_return[1]))) {
		if (summary_mode)
			count_call(abi * NR_MAX + (p->nr & (NR_MAX - 1)), 0, 0);
		else
			send_record(ctx, p, ps, tid, SYSCALL_END_NO_RETURN, 0, false);
		p->start_ns = 0;
		return 0;
	}
	if (t)
		return 0;
	if (bpf_map_update_elem(&syscall_pending, &tid, p, BPF_ANY)) {
		count_drop();
		return 0;
	}
	if (ps && p->nslots) {
		if (bpf_map_update_elem(&syscall_pending_slots, &tid, ps, BPF_ANY)) {
			/* The call is still shown, without its strings. */
			count_drop();
			p = bpf_map_lookup_elem(&syscall_pending, &tid);
			if (p)
				p->nslots = 0;
		}
	}
	return 0;
}

/* The return of a call, in either mode. */
static __always_inline int on_return(void *ctx, struct pt_regs *regs, long ret, bool direct)
{
	struct syscall_pending_slots *ps = NULL;
	struct syscall_pending *p;
	struct syscall_task *t;
	__u32 tid;

	if (!maybe_wanted(regs, direct))
		return 0;
	if (use_task_storage) {
		struct task_struct *task = bpf_get_current_task_btf();

		t = bpf_task_storage_get(&syscall_tasks, task, NULL, 0);
		if (!t || !t->p.start_ns)
			return 0;
		p = &t->p;
		tid = task->pid;
		if (p->nslots)
			ps = &t->s;
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		p = bpf_map_lookup_elem(&syscall_pending, &tid);
		if (!p)
			return 0;
		if (p->nslots)
			ps = bpf_map_lookup_elem(&syscall_pending_slots, &tid);
	}
	if (p->abi == SYSCALL_ABI_COMPAT)
		ret = compat_result(ret);
	if (ps && !summary_mode)
		reread_failed_strings(ps, p);
	if (summary_mode)
		count_call(p->abi * NR_MAX + (p->nr & (NR_MAX - 1)), ret,
			   bpf_ktime_get_ns() - p->start_ns);
	else
		send_record(ctx, p, ps, tid, SYSCALL_END_RETURN, ret, true);
	if (use_task_storage) {
		p->start_ns = 0;
		return 0;
	}
	if (ps)
		bpf_map_delete_elem(&syscall_pending_slots, &tid);
	bpf_map_delete_elem(&syscall_pending, &tid);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter, struct pt_regs *regs, long id)
{
	return on_enter(ctx, regs, id, PROBE_TP_BTF, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
	return on_return(ctx, regs, ret, true);
}

/* raw_tp: the same tracepoints' arguments as plain words (regs, id / ret). */
SEC("raw_tp/sys_enter")
int syscall_enter_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_enter(ctx, (struct pt_regs *)ctx->args[0], (long)ctx->args[1], PROBE_RAW_TP,
			false);
}

SEC("raw_tp/sys_exit")
int syscall_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_return(ctx, (struct pt_regs *)ctx->args[0], (long)ctx->args[1], false);
}

/* The calls still in flight when argtrace stops, where they wait in task
 * storage (no keys to walk from user space): each as its thread id and its
 * struct syscall_task. Loaded only then. */
SEC("iter/task")
int syscall_unfinished(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct syscall_inflight head = {};
	struct syscall_task *t;

	if (!task)
		return 0;
	t = bpf_task_storage_get(&syscall_tasks, task, NULL, 0);
	if (!t || !t->p.start_ns)
		return 0;
	head.tid = task->pid;
	/* A record that does not fit is retried whole in the next buffer. */
	bpf_seq_write(ctx->meta->seq, &head, sizeof(head));
	bpf_seq_write(ctx->meta->seq, t, sizeof(*t));
	return 0;
}
