/* The side-by-side trigger of tests/strace_decoders.rs: calls whose
 * arguments argtrace's decoders spell as strace 6.1 does, each with values
 * chosen here (flags, modes, commands, signals), in the directory argv[1]. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <termios.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/vfs.h>
#include <linux/openat2.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr2(int sig)
{
	(void)sig;
}

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
	/* struct flock in (F_SETLK) and out (F_GETLK: no other lock), f_owner_ex */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 4096 };
	fcntl(fd, F_SETLK, &fl);
	fl.l_type = F_RDLCK;
	fcntl(fd, F_GETLK, &fl);
	struct f_owner_ex owner = { .type = F_OWNER_PID, .pid = getpid() };
	fcntl(fd, F_SETOWN_EX, &owner);
	fcntl(fd, F_GETOWN_EX, &owner);
	/* a path longer than its 264-byte entry slot: this directory again */
	char longdir[512] = ".";
	for (int i = 0; i < 200; i++)
		strcat(longdir, "/.");
	chdir(longdir);
	int pfd[2];
	pipe2(pfd, O_CLOEXEC | O_NONBLOCK);
	/* sendfile's offset in and out */
	int rf = openat(d, "f2", O_RDONLY | O_CLOEXEC);
	off_t off = 3;
	sendfile(pfd[1], rf, &off, 10);
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
	/* a handled signal: rt_sigreturn's frame holds the mask blocked at
	 * delivery ({mask=[INT CHLD]}) */
	struct sigaction su = { .sa_handler = on_usr2 };
	sigaction(SIGUSR2, &su, NULL);
	kill(getpid(), SIGUSR2);
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	struct utsname u;
	uname(&u);
	pid_t child = fork();
	if (child == 0)
		_exit(7);
	int status;
	struct rusage ru;
	wait4(child, &status, 0, &ru);
	wait4(-1, &status, WNOHANG, NULL);
	child = fork();
	if (child == 0)
		_exit(5);
	siginfo_t info;
	waitid(P_PID, child, &info, WEXITED);
	waitid(P_ALL, 0, &info, WEXITED | WNOHANG);
	setpgid(0, 0);
	getppid();
	sched_yield();
	/* Sockets: sockaddr in (bind, connect, sendto), out by *addrlen
	 * (getsockname, accept, getpeername), options in and out. */
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(ls, (struct sockaddr *)&sin, sizeof sin);
	listen(ls, 2);
	socklen_t sl = sizeof sin;
	getsockname(ls, (struct sockaddr *)&sin, &sl);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	connect(cs, (struct sockaddr *)&sin, sizeof sin);
	struct sockaddr_in6 peer6;
	sl = sizeof peer6; /* longer than the peer's: [28 => 16] */
	int as = accept(ls, (struct sockaddr *)&peer6, &sl);
	sl = sizeof sin;
	getpeername(cs, (struct sockaddr *)&sin, &sl);
	int v = 0;
	sl = sizeof v;
	getsockopt(cs, SOL_SOCKET, SO_TYPE, &v, &sl);
	sendto(cs, "hi", 2, MSG_NOSIGNAL, NULL, 0);
	accept(ls, NULL, NULL); /* nothing waiting: EAGAIN */
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(8080) };
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	connect(u6, (struct sockaddr *)&s6, sizeof s6);
	sendto(u6, "x", 1, 0, (struct sockaddr *)&s6, sizeof s6);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, "nosuch.sock");
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(us, (struct sockaddr *)&sun, offsetof(struct sockaddr_un, sun_path) + strlen(sun.sun_path) + 1);
	/* I/O vectors, poll, epoll, statx, ioctl */
	int vp[2];
	pipe2(vp, 0);
	struct iovec wv[2] = { { "hello", 5 }, { " vectored world, longer than thirty-two\n", 41 } };
	writev(vp[1], wv, 2);
	char r1[3], r2[64];
	struct iovec rv[2] = { { r1, sizeof r1 }, { r2, sizeof r2 } };
	readv(vp[0], rv, 2);
	struct pollfd pl[2] = { { vp[0], POLLIN }, { vp[1], POLLOUT } };
	poll(pl, 2, 100);
	struct timespec pts = { 0, 1000 };
	ppoll(pl, 1, &pts, NULL);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x123456789ULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, vp[1], &ev);
	ev.events = EPOLLOUT;
	ev.data.fd = vp[1];
	epoll_ctl(ep, EPOLL_CTL_MOD, vp[1], &ev);
	struct epoll_event evs[4];
	epoll_wait(ep, evs, 4, 10);
	epoll_ctl(ep, EPOLL_CTL_DEL, vp[1], NULL);
	epoll_wait(ep, evs, 4, 0);
	struct statx stx;
	statx(AT_FDCWD, "/dev/null", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx);
	statx(d, "missing", 0, STATX_SIZE, &stx);
	int nb = 1;
	ioctl(vp[0], FIONBIO, &nb);
	write(vp[1], "abc", 3);
	int nr = 0;
	ioctl(vp[0], FIONREAD, &nr);
	struct winsize ws;
	ioctl(vp[0], TIOCGWINSZ, &ws);
	ioctl(vp[0], _IOR('x', 7, int), &nb);
	char rb[64];
	read(vp[0], rb, sizeof rb);
	pwrite(fd, "positioned", 10, 3);
	pread(fd, rb, 8, 4);
	static char altstack[16384];
	stack_t alt = { .ss_sp = altstack, .ss_size = sizeof altstack }, oldalt;
	sigaltstack(NULL, &oldalt);
	sigaltstack(&alt, NULL);
	struct sysinfo si;
	sysinfo(&si);
	struct statfs sfs;
	statfs("/proc", &sfs);
	fstatfs(d, &sfs);
	statfs("missing", &sfs);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	syscall(SYS_openat2, d, "f2", &how, sizeof how);
	struct open_how how2 = { .flags = O_WRONLY | O_CREAT, .mode = 0600 };
	syscall(SYS_openat2, d, "f3", &how2, sizeof how2);
	/* execve that fails: argv and envp as strace prints them */
	char *eargv[] = { "/nonexistent/prog", "-l", "a \"quoted\" argument longer than 32 bytes", NULL };
	char *eenv[] = { "A=1", "B=2", "C=3", NULL };
	execve("/nonexistent/prog", eargv, eenv);
	/* an argv of 40 strings: strace shows 32 (-s), then `...` */
	char *largv[41], lbuf[40][8];
	for (int i = 0; i < 40; i++) {
		snprintf(lbuf[i], sizeof lbuf[i], "a%d", i);
		largv[i] = lbuf[i];
	}
	largv[40] = NULL;
	execve("/nonexistent/prog", largv, eenv);
	/* select, pselect6: sets in and out, the time left, a sigmask */
	write(vp[1], "z", 1);
	fd_set rs, wss;
	FD_ZERO(&rs);
	FD_ZERO(&wss);
	FD_SET(vp[0], &rs);
	FD_SET(vp[1], &wss);
	struct timeval stv = { 1, 500 };
	syscall(SYS_select, vp[1] + 1, &rs, &wss, NULL, &stv);
	sigset_t pmask;
	sigemptyset(&pmask);
	sigaddset(&pmask, SIGHUP);
	sigaddset(&pmask, SIGCHLD);
	struct { void *ss; size_t len; } psig = { &pmask, 8 };
	struct timespec pst = { 0, 0 };
	FD_ZERO(&rs);
	FD_SET(vp[1], &rs);
	syscall(SYS_pselect6, vp[1] + 1, &rs, NULL, NULL, &pst, &psig);
	/* getdents64: the records counted */
	char dents[4096];
	syscall(SYS_getdents64, d, dents, sizeof dents);
	syscall(SYS_getdents64, d, dents, sizeof dents);
	/* sendmsg, recvmsg: two iovecs out, one in */
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	struct iovec mv[2] = { { "message ", 8 }, { "in two parts", 12 } };
	struct msghdr mh = { .msg_iov = mv, .msg_iovlen = 2 };
	sendmsg(sp[0], &mh, MSG_DONTWAIT);
	char mb[64];
	struct sockaddr_un mfrom;
	struct iovec rmv = { mb, sizeof mb };
	struct msghdr rmh = { .msg_name = &mfrom, .msg_namelen = sizeof mfrom, .msg_iov = &rmv, .msg_iovlen = 1 };
	recvmsg(sp[1], &rmh, 0);
	recvmsg(sp[1], &rmh, MSG_DONTWAIT);
	/* control messages: two descriptors and the sender's credentials out,
	 * the credentials (SO_PASSCRED) and the new descriptors in */
	int on = 1;
	setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	union {
		char b[CMSG_SPACE(2 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof cm);
	struct msghdr cmh = { .msg_iov = mv, .msg_iovlen = 1, .msg_control = cm.b,
			      .msg_controllen = sizeof cm.b };
	struct cmsghdr *c = CMSG_FIRSTHDR(&cmh);
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(c), (int[]){ vp[0], vp[1] }, 2 * sizeof(int));
	c = CMSG_NXTHDR(&cmh, c);
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	memcpy(CMSG_DATA(c), &(struct ucred){ getpid(), getuid(), getgid() }, sizeof(struct ucred));
	sendmsg(sp[0], &cmh, 0);
	char rcm[256];
	struct msghdr rcmh = { .msg_iov = &rmv, .msg_iovlen = 1, .msg_control = rcm,
			       .msg_controllen = sizeof rcm };
	recvmsg(sp[1], &rcmh, 0);
	/* CPU sets */
	cpu_set_t cpus;
	sched_getaffinity(0, sizeof cpus, &cpus);
	sched_setaffinity(0, sizeof cpus, &cpus);
	/* prctl: the name kept (argtrace follows it by name), a signal, queries */
	char comm[16];
	prctl(PR_GET_NAME, comm);
	prctl(PR_SET_NAME, "atdecoders");
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	int pds;
	prctl(PR_GET_PDEATHSIG, &pds);
	prctl(PR_SET_PDEATHSIG, 0);
	prctl(PR_GET_DUMPABLE);
	prctl(PR_CAPBSET_READ, 21);
	prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	/* termios on a pty's master */
	int ptm = posix_openpt(O_RDWR | O_NOCTTY);
	struct termios tio;
	ioctl(ptm, TCGETS, &tio);
	tio.c_lflag &= ~(ECHO | ICANON);
	ioctl(ptm, TCSETS, &tio);
	(void)as;
	unlinkat(d, "f2", 0);
	close(fd);
	close(99);
	return 0;
}
