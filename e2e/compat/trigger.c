/* The 32-bit trigger of the e2e suite: a static program for the 32-bit ABI
 * of the machine (i386 on x86_64: gcc -m32 -static; AArch32 on arm64:
 * arm-linux-gnueabihf-gcc -static; built by e2e/build.rs) whose mmap2, old
 * mmap (i386 only: arm's EABI has none), clone, clone3, fork and vfork calls
 * carry values it chose. After "go" on stdin it makes them and prints, one
 * JSON line each, what argtrace must show (`expect`), as e2e/src/trigger.rs's
 * triggers do. Only libc's own headers: the <asm/...> ones are not there for
 * -m32 without the gcc-multilib package, so the syscall numbers and flags are
 * written out (arch/x86/entry/syscalls/syscall_32.tbl, arch/arm/tools/syscall.tbl).
 * With --check it only exits 0: whether the kernel runs it at all. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

long syscall(long number, ...);
int *__errno_location(void); /* <errno.h> includes <asm/errno.h> */

#if defined(__i386__)
#define ABI "i386"
#define NR_MMAP 90
#elif defined(__arm__)
#define ABI "arm"
#else
#error "a 32-bit trigger for i386 or arm"
#endif
/* The same numbers in both tables. */
#define NR_FORK 2
#define NR_CLONE 120
#define NR_VFORK 190
#define NR_MMAP2 192
#define NR_GETTID 224
#define NR_CLONE3 435
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_SETTID 0x01000000
#define SIGCHLD_NR 17

static long pid, tid;

/* What the kernel returned, as argtrace shows it: -errno, or the 32-bit
 * value unsigned (an address above 2 GiB is not negative). */
static long long result(long r)
{
	return r == -1 ? -(long long)*__errno_location() : (long long)(unsigned long)r;
}

static void expect(const char *event, const char *call, const char *args, long r)
{
	printf("{\"expect\": {\"event\": \"%s\", \"syscall\": \"%s\", \"abi\": \"%s\", \"pid\": %ld, "
	       "\"tid\": %ld, \"args\": {%s}, \"ret\": %lld}}\n",
	       event, call, ABI, pid, tid, args, result(r));
}

/* strace's %#x of a nonzero word, "0" of zero, into `buf` */
static const char *hex0(char *buf, unsigned int v)
{
	snprintf(buf, 16, v ? "%#x" : "0", v);
	return buf;
}

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
}

static void reap(long child)
{
	int status;

	waitpid((pid_t)child, &status, 0);
}

/* mmap2 of a file at 4096-byte unit 2 (offset 8192 in bytes) and a failing
 * one (EBADF), and (i386) the old mmap's struct of six longs, read and
 * unreadable. */
static void maps(void)
{
	char args[256];
	const char *path = "/tmp/argtrace-compat-map";
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	long r;

	ftruncate(fd, 4 * 4096);
	r = syscall(NR_MMAP2, 0, 4096, PROT_READ, MAP_SHARED, fd, 2);
	snprintf(args, sizeof(args),
		 "\"addr\": 0, \"len\": 4096, \"prot\": %d, \"flags\": %d, \"fd\": %d, \"offset\": 8192",
		 PROT_READ, MAP_SHARED, fd);
	expect("mmap", "mmap2", args, r);
	r = syscall(NR_MMAP2, 0, 3 * 4096 + 5, PROT_READ | PROT_WRITE, MAP_PRIVATE, 1000, 7);
	snprintf(args, sizeof(args),
		 "\"addr\": 0, \"len\": 12293, \"prot\": %d, \"flags\": %d, \"fd\": 1000, \"offset\": 28672",
		 PROT_READ | PROT_WRITE, MAP_PRIVATE);
	expect("mmap", "mmap2", args, r);
#ifdef NR_MMAP
	uint32_t old[6] = { 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    0xffffffff, 0 };

	r = syscall(NR_MMAP, old);
	snprintf(args, sizeof(args),
		 "\"args_ptr\": %lu, \"len\": 12288, \"prot\": 3, \"flags\": %d, \"fd\": -1, \"offset\": 0",
		 (unsigned long)(uintptr_t)old, MAP_PRIVATE | MAP_ANONYMOUS);
	expect("mmap", "mmap", args, r);
	r = syscall(NR_MMAP, 0);
	expect("mmap", "mmap", "\"args_ptr\": 0", r);
#endif
	close(fd);
	unlink(path);
}

/* clone in i386's and arm's order (flags, newsp, parent_tid, tls, child_tid): tls and
 * child_tid differ, and without CLONE_SETTLS the kernel ignores tls. A
 * fork-like child (no new stack) that leaves at once. */
static void clones(void)
{
	char args[256];
	static int32_t parent_tid, child_tid;
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} ca;
	unsigned long flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD_NR;
	long r;

	r = syscall(NR_CLONE, flags, 0, &parent_tid, 0x7e57, &child_tid);
	if (r == 0)
		_exit(0);
	reap(r);
	snprintf(args, sizeof(args),
		 "\"flags\": %lu, \"newsp\": 0, \"parent_tid\": %lu, \"parent_tid_value\": %ld, "
		 "\"tls\": %d, \"child_tid\": %lu",
		 flags, (unsigned long)(uintptr_t)&parent_tid, r, 0x7e57,
		 (unsigned long)(uintptr_t)&child_tid);
	expect("clone", "clone", args, r);

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD_NR;
	ca.stack_size = 0;
	r = syscall(NR_CLONE3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	reap(r);
	expect("clone", "clone3", "\"flags\": 0, \"exit_signal\": 17, \"size\": 64", r);

	r = syscall(NR_FORK);
	if (r == 0)
		_exit(0);
	reap(r);
	expect("clone", "fork", "", r);

	r = vfork(); /* glibc's i386 and arm vfork are the vfork syscall itself */
	if (r == 0)
		_exit(0);
	reap(r);
	expect("clone", "vfork", "", r);
}

#if defined(__i386__)
#define NR_UNLINKAT 301
#define NR_CLOCK_GETTIME32 265
/* pipe, and chown: the 16-bit id call of a path (x86_64 has both) */
#define NR_PIPE 42
#define PIPE_CALL "pipe"
#define NR_CHOWN16 182
#else
#define NR_UNLINKAT 328
#define NR_CLOCK_GETTIME32 263
/* pipe2, and fchown: arm64 has neither pipe nor chown, whose metadata
 * would type arm's */
#define NR_PIPE2 359
#define PIPE_CALL "pipe2"
#define NR_FCHOWN16 95
#endif
#define NR_UMASK 60
/* the 32-bit id call (both tables' 207: sys_fchown under another name) and
 * fcntl64 (i386 221, arm 221) */
#define NR_FCHOWN32 207
#define NR_FCNTL64 221
#define F_SETLK64_NR 13
#define NR_READ 3
/* pread64 (both 180) and fadvise64_64 (i386 272, arm 270: arm_fadvise64_64,
 * its advice second), whose 64-bit arguments each take two registers: i386's
 * in the next two, arm's at the next even one (pread64's pos in r4 and r5) */
#define NR_PREAD64 180
#if defined(__i386__)
#define NR_FADVISE64_64 272
#else
#define NR_FADVISE64_64 270
#endif
#define POSIX_FADV_WILLNEED_NR 3
/* setresgid32 and getresgid32 (both tables' 210 and 211: sys_setresgid,
 * sys_getresgid under other names) */
#define NR_SETRESGID32 210
#define NR_GETRESGID32 211
#define NR_GETRESGID16 171
#define NR_GETGID16 47
/* execve (both 11): its compat entry reads argv's and envp's 32-bit pointers */
#define NR_EXECVE 11
/* readv, writev (both 145, 146) and preadv (i386 333, arm 361): struct
 * compat_iovec, two 32-bit words */
#define NR_READV 145
#define NR_WRITEV 146
#if defined(__i386__)
#define NR_PREADV 333
#else
#define NR_PREADV 361
#endif
/* pselect6 (i386 308, arm 335) and ppoll (i386 309, arm 336): their time32
 * timeouts, fd sets in 32-bit words, widened as argtrace reads them */
#if defined(__i386__)
#define NR_PSELECT6 308
#define NR_PPOLL 309
#else
#define NR_PSELECT6 335
#define NR_PPOLL 336
#endif
#define NR_LSEEK 19
/* _llseek and fstat64 (both 140, 197) and fstatfs64 (i386 269, arm 267),
 * which x86_64 and arm64 have no call of; O_LARGEFILE, this ABI's */
#define NR_LLSEEK 140
#define NR_FSTAT64 197
#if defined(__i386__)
#define NR_FSTATFS64 269
#define O_LARGEFILE_NR 0100000
#else
#define NR_FSTATFS64 267
#define O_LARGEFILE_NR 0400000
#endif
/* i386's sync_file_range (314: fd, offset, nbytes, flags) and arm's
 * sync_file_range2 (341: fd, flags, offset, nbytes), their 64-bit
 * arguments in register pairs */
#define NR_SYNC_FILE_RANGE_I386 314
#define NR_SYNC_FILE_RANGE2_ARM 341
#define SYNC_FILE_RANGE_WRITE_NR 2
/* socketpair, sendmsg and recvmsg (i386 360, 370, 372; arm 288, 296,
 * 297): struct compat_msghdr, its compat_iovec array and its control
 * messages under struct compat_cmsghdr (12 bytes: SCM_RIGHTS of one
 * descriptor is 16, where a 64-bit task's is 20 in 24) */
#if defined(__i386__)
#define NR_SOCKETPAIR 360
#define NR_SENDMSG 370
#define NR_RECVMSG 372
#else
#define NR_SOCKETPAIR 288
#define NR_SENDMSG 296
#define NR_RECVMSG 297
#endif
/* send and shutdown: i386's through socketcall (102: the subcall's words
 * in an array, SYS_SEND 9, SYS_SHUTDOWN 13), arm's calls of their own (289,
 * 293) */
#if defined(__i386__)
#define NR_SOCKETCALL 102
#define SYS_SEND_NR 9
#define SYS_SHUTDOWN_NR 13
#else
#define NR_SEND 289
#define NR_SHUTDOWN 293
#endif
/* i386's old select (82: one pointer to its five words, struct
 * sel_arg_struct; arm's EABI has none) */
#define NR_OLD_SELECT 82
#define SHUT_WR_NR 1
#define AF_UNIX_NR 1
#define SOCK_DGRAM_NR 2
#define SOL_SOCKET_NR 1
#define SCM_RIGHTS_NR 1
#define CLOCK_MONOTONIC_NR 1
#define AT_FDCWD_NR (-100)

/* This ABI's struct compat_iovec and struct compat_msghdr. */
struct iov32 {
	void *base;
	unsigned int len;
};
struct msghdr32 {
	void *name;
	int namelen;
	struct iov32 *iov;
	unsigned int iovlen;
	void *control;
	unsigned int controllen;
	int flags;
};

/* sendmsg or recvmsg (`nr`) on `fd` of one iovec and a 16-byte msg_control
 * at `cm` (one descriptor under a struct compat_cmsghdr), and into `args`
 * what argtrace shows of them: the iovec's bytes ("hi"), the descriptor
 * passed (the cell's at return) */
static long one_msg(long nr, unsigned int fd, struct iov32 *v, unsigned int *cm, char *args, size_t n)
{
	struct msghdr32 m;
	long r;

	memset(&m, 0, sizeof(m));
	m.iov = v;
	m.iovlen = 1;
	m.control = cm;
	m.controllen = 16;
	r = syscall(nr, fd, &m, 0);
	snprintf(args, n,
		 "\"fd\": %u, \"msg_str\": \"{msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\\\"hi\\\", "
		 "iov_len=%u}], msg_iovlen=1, msg_control=[{cmsg_len=16, cmsg_level=SOL_SOCKET, "
		 "cmsg_type=SCM_RIGHTS, cmsg_data=[%d]}], msg_controllen=16, msg_flags=0}\", \"flags\": 0",
		 fd, v->len, (int)cm[3]);
	return r;
}

/* Calls that `argtrace syscall` types for 32-bit tasks (their entry is the
 * native one's, and what argtrace reads for them holds no pointer or long): a
 * path with an escape that fails (ENOENT), an octal mode, the two
 * descriptors pipe filled, and a buffer read at return; lseek, a compat
 * entry that takes the native arguments, its compat_off_t offset 32 bits and
 * signed (ESPIPE on the pipe); chown (fchown on arm), the 16-bit id call,
 * whose 0xffff the kernel widens to -1 and whose 0xffff0000 is 0;
 * clock_gettime, whose compat entry writes an old_timespec32 (two ints)
 * argtrace reads in that layout; fchown32 and fcntl64, names the native ABI
 * lacks, typed as fchown and fcntl; pread64 and fadvise64_64, whose 64-bit
 * offset and length argtrace joins from two registers. The argument names are
 * the kernel's (its tracepoints' format files). */
static void typed(void)
{
	static const char msg[] = "argtrace-" ABI "\n";
	char buf[64], args[512];
	struct {
		short l_type, l_whence;
		long long l_start, l_len;
		int l_pid;
	} fl64;
	int p[2], ts[2];
	long r;

	r = syscall(NR_UNLINKAT, AT_FDCWD_NR, "/tmp/argtrace-compat\tnone", 0);
	expect("syscall", "unlinkat",
	       "\"dfd\": -100, \"pathname\": \"/tmp/argtrace-compat\\tnone\", \"flag\": 0", r);
	syscall(NR_UMASK, 022);
	r = syscall(NR_UMASK, 027);
	expect("syscall", "umask", "\"mask\": 23, \"mask_str\": \"027\"", r);
	syscall(NR_UMASK, r);
#if defined(__i386__)
	r = syscall(NR_PIPE, p);
#else
	r = syscall(NR_PIPE2, p, 0);
#endif
	if (r != 0 || write(p[1], msg, sizeof(msg) - 1) != sizeof(msg) - 1)
		return;
	snprintf(args, sizeof(args), "\"fildes_str\": \"[%d, %d]\"", p[0], p[1]);
	expect("syscall", PIPE_CALL, args, r);
	r = syscall(NR_READ, p[0], buf, sizeof(buf));
	snprintf(args, sizeof(args), "\"fd\": %d, \"buf\": \"argtrace-%s\\n\", \"count\": 64", p[0], ABI);
	expect("syscall", "read", args, r);
	r = syscall(NR_LSEEK, p[0], 0xdeadbeefUL, 0);
	snprintf(args, sizeof(args),
		 "\"fd\": %d, \"offset\": -559038737, \"whence\": 0, \"whence_str\": \"SEEK_SET\"", p[0]);
	expect("syscall", "lseek", args, r);
#if defined(__i386__)
	r = syscall(NR_CHOWN16, "/tmp/argtrace-compat\tnone", 0xffffUL, 0xffff0000UL);
	expect("syscall", "chown", "\"filename\": \"/tmp/argtrace-compat\\tnone\", \"user\": 65535, \"group\": 0", r);
#else
	r = syscall(NR_FCHOWN16, p[0], 0xffffUL, 0xffff0000UL);
	snprintf(args, sizeof(args), "\"fd\": %d, \"user\": 65535, \"group\": 0", p[0]);
	expect("syscall", "fchown", args, r);
#endif
	/* fchown32: 32-bit ids, whatever the result on a pipe */
	r = syscall(NR_FCHOWN32, p[0], 0x12345UL, 42UL);
	snprintf(args, sizeof(args), "\"fd\": %d, \"user\": 74565, \"group\": 42", p[0]);
	expect("syscall", "fchown32", args, r);
	/* fcntl64's F_SETLK64 reads a struct compat_flock64: this ABI's own
	 * layout (i386 aligns a long long to 4, as the kernel's packed struct
	 * has it; arm to 8), a negative start and a length past 32 bits. */
	memset(&fl64, 0, sizeof(fl64));
	fl64.l_type = 1; /* F_WRLCK */
	fl64.l_whence = 1; /* SEEK_CUR */
	fl64.l_start = -3;
	fl64.l_len = 0x100000001LL;
	r = syscall(NR_FCNTL64, p[0], F_SETLK64_NR, &fl64);
	snprintf(args, sizeof(args),
		 "\"fd\": %d, \"cmd\": 13, \"cmd_str\": \"F_SETLK64\", \"arg\": %lu, \"arg_str\": "
		 "\"{l_type=F_WRLCK, l_whence=SEEK_CUR, l_start=-3, l_len=4294967297}\"",
		 p[0], (unsigned long)(uintptr_t)&fl64);
	expect("syscall", "fcntl64", args, r);
	/* pread64 at an offset past 32 bits: ESPIPE on the pipe, nothing read */
#if defined(__i386__)
	r = syscall(NR_PREAD64, p[0], buf, 8, 5UL, 1UL);
#else
	r = syscall(NR_PREAD64, p[0], buf, 8, 0, 5UL, 1UL);
#endif
	snprintf(args, sizeof(args), "\"fd\": %d, \"buf\": %lu, \"count\": 8, \"pos\": 4294967301", p[0],
		 (unsigned long)(uintptr_t)buf);
	expect("syscall", "pread64", args, r);
	/* fadvise64_64 of no descriptor (EBADF): a negative length */
#if defined(__i386__)
	r = syscall(NR_FADVISE64_64, -1, 5UL, 1UL, 0xfffffffeUL, 0xffffffffUL, POSIX_FADV_WILLNEED_NR);
#else
	r = syscall(NR_FADVISE64_64, -1, POSIX_FADV_WILLNEED_NR, 5UL, 1UL, 0xfffffffeUL, 0xffffffffUL);
#endif
	expect("syscall", "fadvise64_64",
	       "\"fd\": -1, \"offset\": 4294967301, \"len\": -2, \"advice\": 3, \"advice_str\": \"POSIX_FADV_WILLNEED\"",
	       r);
	r = syscall(NR_CLOCK_GETTIME32, CLOCK_MONOTONIC_NR, ts);
	snprintf(args, sizeof(args),
		 "\"which_clock\": 1, \"which_clock_str\": \"CLOCK_MONOTONIC\", "
		 "\"tp_str\": \"{tv_sec=%d, tv_nsec=%u}\"",
		 ts[0], (unsigned int)ts[1]);
	expect("syscall", "clock_gettime", args, r);
	/* writev and readv through the pipe, two iovecs each (the second one
	 * longer than what is left), and preadv, which the pipe refuses
	 * (ESPIPE): its iovec's address, its offset from two words */
	{
		struct iovec {
			void *base;
			unsigned int len;
		} out[2] = { { "ab", 2 }, { "cde", 3 } }, in[2] = { { buf, 2 }, { buf + 2, 8 } };

		r = syscall(NR_WRITEV, p[1], out, 2);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"vec_str\": \"[{iov_base=\\\"ab\\\", iov_len=2}, {iov_base=\\\"cde\\\", iov_len=3}]\", \"vlen\": 2",
			 p[1]);
		expect("syscall", "writev", args, r);
		r = syscall(NR_READV, p[0], in, 2);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"vec_str\": \"[{iov_base=\\\"ab\\\", iov_len=2}, {iov_base=\\\"cde\\\", iov_len=8}]\", \"vlen\": 2",
			 p[0]);
		expect("syscall", "readv", args, r);
		r = syscall(NR_PREADV, p[0], in, 1, 5UL, 1UL);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"vec_str\": \"[{iov_base=%#lx, iov_len=2}]\", \"vlen\": 1, \"pos_l_str\": \"4294967301\"",
			 p[0], (unsigned long)(uintptr_t)buf);
		expect("syscall", "preadv", args, r);
	}
	/* pselect6 and ppoll on the empty pipe: 5 ms, then 0 (Timeout) */
	{
		unsigned int set[2] = { 1U << p[0], 0 };
		/* (each its own: the kernel writes the time left back) */
		int ts32[2] = { 0, 5000000 }, ts32b[2] = { 0, 5000000 };
		struct {
			int fd;
			short events, revents;
		} pfd = { p[0], 1 /* POLLIN */, 0 };

		r = syscall(NR_PSELECT6, p[0] + 1, set, 0, 0, ts32, 0);
		snprintf(args, sizeof(args),
			 "\"n\": %d, \"inp_str\": \"[%d]\", \"tsp_str\": \"{tv_sec=0, tv_nsec=5000000}\"",
			 p[0] + 1, p[0]);
		expect("syscall", "pselect6", args, r);
		r = syscall(NR_PPOLL, &pfd, 1, ts32b, 0, 8);
		snprintf(args, sizeof(args),
			 "\"ufds_str\": \"[{fd=%d, events=POLLIN}]\", \"nfds\": 1, \"tsp_str\": \"{tv_sec=0, tv_nsec=5000000}\"",
			 p[0]);
		expect("syscall", "ppoll", args, r);
	}
	/* _llseek of a file past 32 bits, the offset from two words and the
	 * result the kernel wrote; fstat64 after a byte written there (struct
	 * stat64: i386's packed, arm's st_size aligned to 8); fstatfs64 of the
	 * pipe (struct compat_statfs64, 84 bytes on both) */
	{
		const char *path = "/tmp/argtrace-compat-seek";
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_LARGEFILE_NR, 0600);
		unsigned long long res = 0;
		struct {
			unsigned int type, bsize;
			unsigned long long blocks, bfree, bavail, files, ffree;
			unsigned int fsid[2], namelen, frsize, flags, spare[4];
		} __attribute__((packed)) sf;
		char st[128], fsid[2][16];

		r = syscall(NR_LLSEEK, fd, 1UL, 5UL, &res, 0);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"offset_high\": 1, \"offset_high_str\": \"4294967301\", \"offset_low\": 5, "
			 "\"result_str\": \"[4294967301]\", \"whence_str\": \"SEEK_SET\"",
			 fd);
		expect("syscall", "_llseek", args, r);
		if (write(fd, "x", 1) != 1)
			return;
		r = syscall(NR_FSTAT64, fd, st);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"statbuf_str\": \"{st_mode=S_IFREG|0600, st_size=4294967302, ...}\"", fd);
		expect("syscall", "fstat64", args, r);
		close(fd);
		unlink(path);
		memset(&sf, 0, sizeof(sf));
		r = syscall(NR_FSTATFS64, p[0], 84, &sf);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"sz\": 84, \"buf_str\": \"{f_type=PIPEFS_MAGIC, f_bsize=%u, f_blocks=%llu, "
			 "f_bfree=%llu, f_bavail=%llu, f_files=%llu, f_ffree=%llu, f_fsid={val=[%s, %s]}, "
			 "f_namelen=%u, f_frsize=%u, f_flags=ST_VALID}\"",
			 p[0], sf.bsize, sf.blocks, sf.bfree, sf.bavail, sf.files, sf.ffree, hex0(fsid[0], sf.fsid[0]),
			 hex0(fsid[1], sf.fsid[1]), sf.namelen, sf.frsize);
		expect("syscall", "fstatfs64", args, r);
		/* ESPIPE on the pipe: an offset past 32 bits, a negative length */
#if defined(__i386__)
		r = syscall(NR_SYNC_FILE_RANGE_I386, p[0], 5UL, 1UL, 0xfffffffeUL, 0xffffffffUL,
			    SYNC_FILE_RANGE_WRITE_NR);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"offset\": 4294967301, \"nbytes\": -2, \"flags\": 2, "
			 "\"flags_str\": \"SYNC_FILE_RANGE_WRITE\"",
			 p[0]);
		expect("syscall", "sync_file_range", args, r);
#else
		r = syscall(NR_SYNC_FILE_RANGE2_ARM, p[0], SYNC_FILE_RANGE_WRITE_NR, 5UL, 1UL, 0xfffffffeUL,
			    0xffffffffUL);
		snprintf(args, sizeof(args),
			 "\"fd\": %d, \"flags\": 2, \"flags_str\": \"SYNC_FILE_RANGE_WRITE\", "
			 "\"offset\": 4294967301, \"nbytes\": -2",
			 p[0]);
		expect("syscall", "sync_file_range2", args, r);
#endif
	}
	/* sendmsg of two bytes and the pipe's read end (SCM_RIGHTS) through a
	 * datagram socketpair, and recvmsg of them into an iovec of 8: the
	 * descriptor it was given, the lengths the kernel wrote back */
	{
		struct iov32 out = { "hi", 2 }, in = { buf, 8 };
		unsigned int cm[4] = { 16, SOL_SOCKET_NR, SCM_RIGHTS_NR, (unsigned int)p[0] }, sv[2];

		if (syscall(NR_SOCKETPAIR, AF_UNIX_NR, SOCK_DGRAM_NR, 0, sv) != 0)
			return;
		r = one_msg(NR_SENDMSG, sv[0], &out, cm, args, sizeof(args));
		expect("syscall", "sendmsg", args, r);
		memset(cm, 0, sizeof(cm));
		r = one_msg(NR_RECVMSG, sv[1], &in, cm, args, sizeof(args));
		expect("syscall", "recvmsg", args, r);
		/* send of two bytes and shutdown of the write side: i386's as
		 * socketcall subcalls (what argtrace shows: the subcall, its
		 * words, socketcall's number and the subcall's) */
		{
#if defined(__i386__)
			unsigned int w[4] = { sv[0], (unsigned int)(uintptr_t) "ok", 2, 0 };

			r = syscall(NR_SOCKETCALL, SYS_SEND_NR, w);
#else
			r = syscall(NR_SEND, sv[0], "ok", 2, 0);
#endif
			snprintf(args, sizeof(args),
				 "\"fd\": %u, \"buff\": \"ok\", \"len\": 2, \"flags\": 0", sv[0]);
			expect("syscall", "send", args, r);
#if defined(__i386__)
			w[1] = SHUT_WR_NR;
			r = syscall(NR_SOCKETCALL, SYS_SHUTDOWN_NR, w);
#else
			r = syscall(NR_SHUTDOWN, sv[0], SHUT_WR_NR);
#endif
			snprintf(args, sizeof(args), "\"fd\": %u, \"how\": 1, \"how_str\": \"SHUT_WR\"",
				 sv[0]);
			expect("syscall", "shutdown", args, r);
		}
#if defined(__i386__)
		/* i386's old select of no descriptors and a zero timeout
		 * (Timeout), through its struct's five words */
		{
			unsigned int tv[2] = { 0, 0 };
			unsigned int sel[5] = { 0, 0, 0, 0, (unsigned int)(uintptr_t)tv };

			r = syscall(NR_OLD_SELECT, sel);
			expect("syscall", "select",
			       "\"n\": 0, \"inp\": null, \"outp\": null, \"exp\": null, "
			       "\"tvp_str\": \"{tv_sec=0, tv_usec=0}\"",
			       r);
		}
#endif
		close((int)cm[3]);
		close((int)sv[0]);
		close((int)sv[1]);
	}
	close(p[0]);
	close(p[1]);
	/* rt_sigreturn (both tables' 173) from a SA_SIGINFO handler of SIGUSR1
	 * raised while SIGUSR2 is blocked: the mask in the 32-bit frame (i386's
	 * found a word below the stack pointer, arm's at r13) */
	{
		struct sigaction sa;
		sigset_t usr2;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_usr1;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		if (sigaction(SIGUSR1, &sa, 0) == 0 && sigprocmask(SIG_BLOCK, &usr2, 0) == 0) {
			raise(SIGUSR1);
			sigprocmask(SIG_UNBLOCK, &usr2, 0);
			expect("syscall", "rt_sigreturn", "\"frame_str\": \"{mask=[USR2]}\"", 0);
		}
	}
	/* execve of no program (ENOENT): ten strings, past the entry slot's
	 * seven, and one environment string, each pointer 4 bytes wide */
	{
		static char *const argv[] = { "/nonexistent/argtrace-compat", "a1", "a2", "a3", "a4", "a5",
					      "a6", "a7", "a8", "a9 " ABI, NULL };
		static char *const envp[] = { "A=1", NULL };

		r = syscall(NR_EXECVE, argv[0], argv, envp);
		expect("syscall", "execve",
		       "\"filename\": \"/nonexistent/argtrace-compat\", \"argv_str\": "
		       "\"[\\\"/nonexistent/argtrace-compat\\\", \\\"a1\\\", \\\"a2\\\", \\\"a3\\\", "
		       "\\\"a4\\\", \\\"a5\\\", \\\"a6\\\", \\\"a7\\\", \\\"a8\\\", \\\"a9 " ABI "\\\"]\", "
		       "\"argv_value\": {\"count\": 10}, \"envp_value\": {\"count\": 1}",
		       r);
	}
	/* getresgid32's three cells, after setresgid32 (not traced) gave this
	 * process gids of its own; last, as nothing after it creates a file */
	unsigned int g = 7000 + (unsigned int)(pid % 1000), cells[3];

	if (syscall(NR_SETRESGID32, g, g + 1, g + 2) != 0)
		return;
	r = syscall(NR_GETRESGID32, &cells[0], &cells[1], &cells[2]);
	snprintf(args, sizeof(args), "\"rgidp_str\": \"[%u]\", \"egidp_str\": \"[%u]\", \"sgidp_str\": \"[%u]\"", g,
		 g + 1, g + 2);
	expect("syscall", "getresgid32", args, r);
	/* ... and the 16-bit getresgid's (both tables' 171: sys_getresgid16,
	 * old_gid_t cells of 2 bytes, read as such) */
	{
		unsigned short c16[3];

		r = syscall(NR_GETRESGID16, &c16[0], &c16[1], &c16[2]);
		expect("syscall", "getresgid", args, r);
	}
	/* the 16-bit getgid (both tables' 47: sys_getgid16), no argument: the
	 * real gid setresgid32 gave */
	r = syscall(NR_GETGID16);
	if (r == (long)g)
		expect("syscall", "getgid", "", r);
}

int main(int argc, char **argv)
{
	char line[8];

	/* argtrace-e2e wrote this program to a file to run it: gone once running. */
	if (argc > 1 && strcmp(argv[1], "--remove-self") == 0)
		unlink(argv[0]);
	if (argc > 1 && strcmp(argv[1], "--check") == 0)
		return 0;
	pid = getpid();
	tid = syscall(NR_GETTID);
	if (read(0, line, sizeof(line)) <= 0)
		return 1;
	maps();
	clones();
	typed();
	return fflush(stdout) ? 1 : 0;
}
