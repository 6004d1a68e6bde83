/* The side-by-side trigger of tests/strace_decoders.rs: calls whose
 * arguments argtrace's decoders spell as strace 6.1 does, each with values
 * chosen here (flags, modes, commands, signals), in the directory argv[1]. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || chdir(argv[1]))
		return 2;
	int fd = openat(AT_FDCWD, "f1", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int d = open(".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	lseek(fd, 5, SEEK_SET);
	lseek(fd, 0, SEEK_END);
	access("f1", R_OK | W_OK);
	access("nonexistent", F_OK);
	syscall(SYS_faccessat2, d, "f1", X_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW);
	mkdir("sub", 0755);
	mkdirat(d, "sub2", 0700);
	umask(022);
	dup3(fd, 20, O_CLOEXEC);
	dup2(fd, 21);
	dup(fd);
	unlinkat(d, "sub2", AT_REMOVEDIR);
	rmdir("sub");
	fchmodat(d, "f1", 0600, 0);
	fchmod(fd, 0644);
	fchownat(d, "f1", 0, 0, AT_SYMLINK_NOFOLLOW);
	flock(fd, LOCK_EX | LOCK_NB);
	flock(fd, LOCK_UN);
	epoll_create1(EPOLL_CLOEXEC);
	eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	void *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(p, 4096, PROT_READ);
	madvise(p, 8192, MADV_DONTNEED);
	munmap(p, 8192);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	listen(s, 7);
	shutdown(s, SHUT_RDWR);
	socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
	kill(getpid(), 0);
	syscall(SYS_tgkill, getpid(), gettid(), 0);
	fsync(fd);
	ftruncate(fd, 100);
	fdatasync(fd);
	syscall(SYS_close_range, 30, ~0U, CLOSE_RANGE_CLOEXEC);
	renameat2(d, "f1", d, "f2", RENAME_NOREPLACE);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_GETFL);
	fcntl(fd, F_GETFD);
	fcntl(fd, F_DUPFD_CLOEXEC, 40);
	fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK);
	int pfd[2];
	pipe2(pfd, O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	fstat(fd, &st);
	fstatat(d, "f2", &st, AT_SYMLINK_NOFOLLOW);
	fstatat(AT_FDCWD, "/dev/null", &st, 0);
	fstatat(AT_FDCWD, "missing", &st, 0);
	struct rlimit64 rl = { .rlim_cur = 8192 * 1024, .rlim_max = RLIM64_INFINITY }, old;
	prlimit64(0, RLIMIT_STACK, &rl, &old);
	prlimit64(0, RLIMIT_NOFILE, NULL, &old);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000 };
	nanosleep(&ts, NULL);
	syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts);
	struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t set, oldset;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &oldset);
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	struct utsname u;
	uname(&u);
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	int status;
	wait4(child, &status, 0, NULL);
	wait4(-1, &status, WNOHANG, NULL);
	setpgid(0, 0);
	getppid();
	sched_yield();
	unlinkat(d, "f2", 0);
	close(fd);
	close(99);
	return 0;
}
