//! Which 32-bit tasks' calls are typed (issue 23): i386's on x86_64, arm's
//! (AArch32) on arm64. A 32-bit call whose kernel entry is the native call's
//! own function is printed as the native call of its name is, its `long`s 32
//! bits wide, where nothing argtrace reads for it holds a pointer or a long
//! (argv, iovecs, fd sets, msghdr are read at its width: mod.rs
//! `reads_no_pointers`). Its structs are then the same bytes for both ABIs:
//! the kernel itself uses one function and one layout for them. Every other 32-bit call stays six raw values: its
//! entry is a compat function (struct layouts, 64-bit arguments split over
//! two registers), except the few whose compat function takes the native
//! arguments at 32-bit widths and reads the same bytes (`COMPAT_SAME_BYTES`),
//! the 16-bit id calls (`COMPAT_UID16`), whose ids the kernel widens as it
//! enters, and those whose 32-bit layouts are transcribed as decoder rows of
//! their own (decoders.rs `COMPAT_ROWS`: the time32 calls, wait4, statfs,
//! sendfile, rt_sigaction, rt_sigprocmask, futex, fcntl, getdents,
//! sigaltstack, sysinfo, waitid, the 16-bit getgroups and setgroups), and the
//! calls named for a native call they enter (decoders.rs `COMPAT_NAMES`:
//! chown32 ..., sendfile64, fcntl64), typed as that call, and the calls the
//! native ABI has none of whose definitions are transcribed
//! (`COMPAT_DEFINED`: _llseek, statfs64, fstatfs64, the stat64 family). Any
//! other name the native ABI does not have (arm64 has no open, pipe, chown
//! ...: their argument types come from its own calls' metadata) stays raw.
//!
//! Sources: Linux's arch/x86/entry/syscalls/syscall_32.tbl (as of v6.1, the
//! kernel strace 6.1's tables match): the rows whose entry point is
//! `sys_<name>` and which have no compat entry point (the older format's
//! fifth column `__ia32_sys_<name>`, not `__ia32_compat_sys_...`); and
//! arch/arm64/include/asm/unistd32.h (v6.1 to v6.10; arch/arm64/tools/
//! syscall_32.tbl since v6.11, the same rows): the `__SYSCALL(__NR_<name>,
//! sys_<name>)` lines. Names the native ABI does not have (waitpid, nice,
//! signal ...) are listed too and simply find no native call. clone is not
//! typed: its argument order is the 32-bit ABI's (the clone subject decodes it).

use super::decoders;
use super::kernel::{Arg, Syscall, Table, ValueKind};

/// i386 syscalls whose entry is the same `sys_*` function as x86_64's.
#[cfg(target_arch = "x86_64")]
pub const I386_SHARED: &[&str] = &[
    "restart_syscall", "exit", "fork", "read", "write", "close", "waitpid", "creat", "link", "unlink",
    "chdir", "mknod", "chmod", "getpid", "alarm", "pause", "access", "nice", "sync", "kill", "rename",
    "mkdir", "rmdir", "dup", "pipe", "brk", "signal", "acct", "setpgid", "umask", "chroot", "dup2",
    "getppid", "getpgrp", "setsid", "sgetmask", "ssetmask", "sigsuspend", "sethostname", "symlink",
    "readlink", "uselib", "swapon", "reboot", "munmap", "fchmod", "getpriority", "setpriority", "ioperm",
    "syslog", "iopl", "vhangup", "swapoff", "fsync", "setdomainname", "modify_ldt", "mprotect",
    "init_module", "delete_module", "getpgid", "fchdir", "bdflush", "sysfs", "personality", "flock",
    "msync", "getsid", "fdatasync", "mlock", "munlock", "mlockall", "munlockall", "sched_setparam",
    "sched_getparam", "sched_setscheduler", "sched_getscheduler", "sched_yield", "sched_get_priority_max",
    "sched_get_priority_min", "mremap", "poll", "prctl", "getcwd", "capget", "capset", "vfork",
    "pivot_root", "mincore", "madvise", "getdents64", "gettid", "setxattr", "lsetxattr", "fsetxattr",
    "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr",
    "lremovexattr", "fremovexattr", "tkill", "set_thread_area", "get_thread_area", "io_destroy",
    "io_cancel", "exit_group", "epoll_create", "epoll_ctl", "epoll_wait", "remap_file_pages",
    "set_tid_address", "timer_getoverrun", "timer_delete", "tgkill", "mbind", "set_mempolicy",
    "mq_unlink", "add_key", "request_key", "ioprio_set", "ioprio_get", "inotify_init",
    "inotify_add_watch", "inotify_rm_watch", "migrate_pages", "mkdirat", "mknodat", "fchownat",
    "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "unshare",
    "splice", "tee", "getcpu", "epoll_pwait", "timerfd_create", "eventfd", "eventfd2", "epoll_create1",
    "dup3", "pipe2", "inotify_init1", "perf_event_open", "fanotify_init", "prlimit64",
    "name_to_handle_at", "syncfs", "setns", "kcmp", "finit_module", "sched_setattr", "sched_getattr",
    "renameat2", "seccomp", "getrandom", "memfd_create", "bpf", "socket", "socketpair", "bind", "connect",
    "listen", "accept4", "getsockname", "getpeername", "sendto", "shutdown", "userfaultfd", "membarrier",
    "mlock2", "copy_file_range", "pkey_mprotect", "pkey_alloc", "pkey_free", "statx", "rseq", "semget",
    "shmget", "shmdt", "msgget", "pidfd_send_signal", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "pidfd_open", "clone3", "close_range", "openat2", "pidfd_getfd", "faccessat2", "process_madvise",
    "mount_setattr", "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule",
    "landlock_restrict_self", "memfd_secret", "process_mrelease", "futex_waitv", "set_mempolicy_home_node",
];

/// arm (AArch32) syscalls whose entry is the same `sys_*` function as arm64's.
#[cfg(not(target_arch = "x86_64"))]
pub const ARM_SHARED: &[&str] = &[
    "restart_syscall", "exit", "fork", "read", "write", "close", "creat", "link", "unlink", "chdir", "mknod",
    "chmod", "getpid", "mount", "pause", "access", "nice", "sync", "kill", "rename", "mkdir", "rmdir", "dup",
    "pipe", "brk", "acct", "setpgid", "umask", "chroot", "dup2", "getppid", "getpgrp", "setsid", "sigsuspend",
    "sethostname", "symlink", "readlink", "uselib", "swapon", "reboot", "munmap", "fchmod", "getpriority",
    "setpriority", "syslog", "vhangup", "swapoff", "fsync", "setdomainname", "mprotect", "init_module",
    "delete_module", "quotactl", "getpgid", "fchdir", "sysfs", "personality", "flock", "msync", "readv",
    "writev", "getsid", "fdatasync", "mlock", "munlock", "mlockall", "munlockall", "sched_setparam",
    "sched_getparam", "sched_setscheduler", "sched_getscheduler", "sched_yield", "sched_get_priority_max",
    "sched_get_priority_min", "mremap", "poll", "prctl", "getcwd", "capget", "capset", "vfork", "getdents64",
    "pivot_root", "mincore", "madvise", "gettid", "setxattr", "lsetxattr", "fsetxattr", "getxattr",
    "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
    "fremovexattr", "tkill", "io_destroy", "io_cancel", "exit_group", "epoll_create", "epoll_ctl",
    "epoll_wait", "remap_file_pages", "set_tid_address", "timer_getoverrun", "timer_delete", "tgkill",
    "mq_unlink", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair",
    "send", "sendto", "shutdown", "setsockopt", "getsockopt", "semop", "semget", "msgget", "shmdt", "shmget",
    "add_key", "request_key", "ioprio_set", "ioprio_get", "inotify_init", "inotify_add_watch",
    "inotify_rm_watch", "mbind", "get_mempolicy", "set_mempolicy", "mkdirat", "mknodat", "fchownat",
    "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "unshare", "splice",
    "tee", "vmsplice", "move_pages", "getcpu", "timerfd_create", "eventfd", "eventfd2", "epoll_create1",
    "dup3", "pipe2", "inotify_init1", "perf_event_open", "accept4", "fanotify_init", "prlimit64",
    "name_to_handle_at", "syncfs", "setns", "process_vm_readv", "process_vm_writev", "kcmp", "finit_module",
    "sched_setattr", "sched_getattr", "renameat2", "seccomp", "getrandom", "memfd_create", "bpf",
    "userfaultfd", "membarrier", "mlock2", "copy_file_range", "pkey_mprotect", "pkey_alloc", "pkey_free",
    "statx", "rseq", "migrate_pages", "kexec_file_load", "pidfd_send_signal", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
    "fspick", "pidfd_open", "clone3", "close_range", "openat2", "pidfd_getfd", "faccessat2",
    "process_madvise", "mount_setattr", "quotactl_fd", "landlock_create_ruleset", "landlock_add_rule",
    "landlock_restrict_self", "process_mrelease", "futex_waitv", "set_mempolicy_home_node",
];

/// This architecture's 32-bit calls whose entry is the native one's.
#[cfg(target_arch = "x86_64")]
const SHARED: &[&str] = I386_SHARED;
#[cfg(not(target_arch = "x86_64"))]
const SHARED: &[&str] = ARM_SHARED;

/// 32-bit calls whose entry is a compat function that takes the native
/// arguments at 32-bit widths and reads the same bytes (the same compat
/// functions on x86_64 and arm64): its definition in Linux v6.1 beside each
/// (compat_off_t is a signed 32-bit offset; the affinity masks are arrays of
/// compat_ulong_t, the same bits in the same bytes).
pub const COMPAT_SAME_BYTES: &[(&str, &str)] = &[
    ("open", "fs/open.c: COMPAT_SYSCALL_DEFINE3(open, const char __user *, filename, int, flags, umode_t, mode)"),
    ("openat", "fs/open.c: COMPAT_SYSCALL_DEFINE4(openat, int, dfd, const char __user *, filename, int, flags, umode_t, mode)"),
    ("lseek", "fs/read_write.c: COMPAT_SYSCALL_DEFINE3(lseek, unsigned int, fd, compat_off_t, offset, unsigned int, whence)"),
    ("truncate", "fs/open.c: COMPAT_SYSCALL_DEFINE2(truncate, const char __user *, path, compat_off_t, length)"),
    ("ftruncate", "fs/open.c: COMPAT_SYSCALL_DEFINE2(ftruncate, unsigned int, fd, compat_ulong_t, length)"),
    ("sched_setaffinity", "kernel/compat.c: COMPAT_SYSCALL_DEFINE3(sched_setaffinity, compat_pid_t, pid, unsigned int, len, compat_ulong_t __user *, user_mask_ptr)"),
    ("sched_getaffinity", "kernel/compat.c: COMPAT_SYSCALL_DEFINE3(sched_getaffinity, compat_pid_t, pid, unsigned int, len, compat_ulong_t __user *, user_mask_ptr)"),
    ("ioctl", "fs/ioctl.c: COMPAT_SYSCALL_DEFINE3(ioctl, unsigned int, fd, unsigned int, cmd, compat_ulong_t, arg)"),
];

/// 32-bit calls whose compat entry differs from the native one only in the
/// width of the pointers in its arrays, which the kernel side reads at the
/// 32-bit task's width (bpf/syscall.h SYSCALL_ARG_IN_STRV, SYSCALL_ARG_IN_IOV,
/// SYSCALL_ARG_OUT_IOV): Linux v6.1's definition beside each.
pub const COMPAT_POINTER_ARRAYS: &[(&str, &str)] = &[
    ("execve", "fs/exec.c: COMPAT_SYSCALL_DEFINE3(execve, const char __user *, filename, const compat_uptr_t __user *, argv, const compat_uptr_t __user *, envp)"),
    ("execveat", "fs/exec.c: COMPAT_SYSCALL_DEFINE5(execveat, int, fd, const char __user *, filename, const compat_uptr_t __user *, argv, const compat_uptr_t __user *, envp, int, flags)"),
    ("readv", "fs/read_write.c: SYSCALL_DEFINE3(readv, unsigned long, fd, const struct iovec __user *, vec, unsigned long, vlen): the 32-bit entry too since v5.10 (import_iovec reads a compat task's struct compat_iovec)"),
    ("writev", "fs/read_write.c: SYSCALL_DEFINE3(writev, ...), as readv"),
    ("preadv", "fs/read_write.c: COMPAT_SYSCALL_DEFINE5(preadv, compat_ulong_t, fd, const struct iovec __user *, vec, compat_ulong_t, vlen, u32, pos_low, u32, pos_high)"),
    ("pwritev", "fs/read_write.c: COMPAT_SYSCALL_DEFINE5(pwritev, compat_ulong_t, fd, const struct iovec __user *, vec, compat_ulong_t, vlen, u32, pos_low, u32, pos_high)"),
];

/// 32-bit calls whose compat entry reads 32-bit layouts that the kernel side
/// reads and widens into the native call's (bpf/syscall.bpf.c read_time,
/// read_fdset, read_msghdr: a time32, fd sets in 32-bit words, a pair of
/// 32-bit words, a struct compat_msghdr and its compat_iovec array; its
/// control messages stay under struct compat_cmsghdr, which decode/cmsg.rs
/// reads as such): Linux v6.1's definition beside each. (_newselect is in
/// decoders.rs COMPAT_NAMES, ppoll in COMPAT_ROWS.)
pub const COMPAT_WIDENED: &[(&str, &str)] = &[
    (
        "pselect6",
        "fs/select.c: COMPAT_SYSCALL_DEFINE6(pselect6_time32, int, n, compat_ulong_t __user *, inp, compat_ulong_t __user *, outp, compat_ulong_t __user *, exp, struct old_timespec32 __user *, tsp, void __user *, sig)",
    ),
    ("sendmsg", "net/compat.c: COMPAT_SYSCALL_DEFINE3(sendmsg, int, fd, struct compat_msghdr __user *, msg, unsigned int, flags)"),
    ("recvmsg", "net/compat.c: COMPAT_SYSCALL_DEFINE3(recvmsg, int, fd, struct compat_msghdr __user *, msg, unsigned int, flags)"),
];

/// i386's socketcall(2) subcalls (kernel.rs SOCKET_SUBCALL) typed as the
/// native call of their name: Linux v6.1's net/compat.c
/// COMPAT_SYSCALL_DEFINE2(socketcall, int, call, u32 __user *, args) calls
/// the native call's function with the subcall's words, beside each (sendmsg
/// and recvmsg read struct compat_msghdr, widened as read: COMPAT_WIDENED).
/// send and recv, which x86_64 has no call of, are typed from their own
/// definitions (COMPAT_DEFINED). setsockopt and getsockopt (option values
/// of 32-bit layouts, struct timeval ...), sendmmsg and recvmmsg (not
/// decoded) stay raw.
pub const SOCKETCALL_TYPED: &[(&str, &str)] = &[
    ("send", "__sys_sendto(a0, compat_ptr(a1), a[2], a[3], NULL, 0)"),
    ("recv", "__compat_sys_recvfrom(a0, compat_ptr(a1), a[2], a[3], NULL, NULL)"),
    ("socket", "__sys_socket(a0, a1, a[2])"),
    ("bind", "__sys_bind(a0, compat_ptr(a1), a[2])"),
    ("connect", "__sys_connect(a0, compat_ptr(a1), a[2])"),
    ("listen", "__sys_listen(a0, a1)"),
    ("accept", "__sys_accept4(a0, compat_ptr(a1), compat_ptr(a[2]), 0): the native accept's"),
    ("getsockname", "__sys_getsockname(a0, compat_ptr(a1), compat_ptr(a[2]))"),
    ("getpeername", "__sys_getpeername(a0, compat_ptr(a1), compat_ptr(a[2]))"),
    ("socketpair", "__sys_socketpair(a0, a1, a[2], compat_ptr(a[3]))"),
    ("sendto", "__sys_sendto(a0, compat_ptr(a1), a[2], a[3], compat_ptr(a[4]), a[5])"),
    ("recvfrom", "__compat_sys_recvfrom(a0, compat_ptr(a1), a[2], a[3], compat_ptr(a[4]), compat_ptr(a[5])): __sys_recvfrom"),
    ("shutdown", "__sys_shutdown(a0, a1)"),
    ("sendmsg", "__compat_sys_sendmsg(a0, compat_ptr(a1), a[2])"),
    ("recvmsg", "__compat_sys_recvmsg(a0, compat_ptr(a1), a[2])"),
    ("accept4", "__sys_accept4(a0, compat_ptr(a1), compat_ptr(a[2]), a[3])"),
];

/// A parameter of a kernel definition: its name and C type.
type Param = (&'static str, &'static str);

/// 32-bit calls the native ABI has no call of the same name for (x86_64
/// and arm64 have no _llseek, statfs64, stat64, send or recv): their arguments from the
/// kernel's definition of the 32-bit entry (Linux v6.1, beside each; the
/// same on i386 and arm, arm64's unistd32.h naming sys_llseek, sys_stat64,
/// sys_lstat64, sys_fstat64, sys_fstatat64 and compat_sys_aarch32_statfs64,
/// compat_sys_aarch32_fstatfs64, which takes arm's 88 for 84), in C's own
/// types, typed at the 32-bit task's widths. Their decoder rows are
/// decoders.rs COMPAT_ROWS'.
pub const COMPAT_DEFINED: &[(&str, &[Param], &str)] = &[
    (
        "_llseek",
        &[("fd", "unsigned int"), ("offset_high", "unsigned long"), ("offset_low", "unsigned long"), ("result", "long long *"), ("whence", "unsigned int")],
        "fs/read_write.c: SYSCALL_DEFINE5(llseek, unsigned int, fd, unsigned long, offset_high, unsigned long, offset_low, loff_t __user *, result, unsigned int, whence)",
    ),
    (
        "statfs64",
        &[("pathname", "const char *"), ("sz", "unsigned int"), ("buf", "struct compat_statfs64 *")],
        "fs/statfs.c: COMPAT_SYSCALL_DEFINE3(statfs64, const char __user *, pathname, compat_size_t, sz, struct compat_statfs64 __user *, buf)",
    ),
    (
        "fstatfs64",
        &[("fd", "unsigned int"), ("sz", "unsigned int"), ("buf", "struct compat_statfs64 *")],
        "fs/statfs.c: COMPAT_SYSCALL_DEFINE3(fstatfs64, unsigned int, fd, compat_size_t, sz, struct compat_statfs64 __user *, buf)",
    ),
    (
        "stat64",
        &[("filename", "const char *"), ("statbuf", "struct stat64 *")],
        "arch/x86/kernel/sys_ia32.c: COMPAT_SYSCALL_DEFINE2(ia32_stat64, const char __user *, filename, struct stat64 __user *, statbuf); fs/stat.c: SYSCALL_DEFINE2(stat64, ...) the same",
    ),
    (
        "lstat64",
        &[("filename", "const char *"), ("statbuf", "struct stat64 *")],
        "arch/x86/kernel/sys_ia32.c: COMPAT_SYSCALL_DEFINE2(ia32_lstat64, const char __user *, filename, struct stat64 __user *, statbuf); fs/stat.c: SYSCALL_DEFINE2(lstat64, ...) the same",
    ),
    (
        "fstat64",
        &[("fd", "unsigned int"), ("statbuf", "struct stat64 *")],
        "arch/x86/kernel/sys_ia32.c: COMPAT_SYSCALL_DEFINE2(ia32_fstat64, unsigned int, fd, struct stat64 __user *, statbuf); fs/stat.c: SYSCALL_DEFINE2(fstat64, unsigned long, fd, ...)",
    ),
    (
        "fstatat64",
        &[("dfd", "int"), ("filename", "const char *"), ("statbuf", "struct stat64 *"), ("flag", "int")],
        "arch/x86/kernel/sys_ia32.c: COMPAT_SYSCALL_DEFINE4(ia32_fstatat64, unsigned int, dfd, const char __user *, filename, struct stat64 __user *, statbuf, int, flag); fs/stat.c: SYSCALL_DEFINE4(fstatat64, int, dfd, ...)",
    ),
    (
        "send",
        &[("fd", "int"), ("buff", "void *"), ("len", "unsigned int"), ("flags", "unsigned int")],
        "net/socket.c: SYSCALL_DEFINE4(send, int, fd, void __user *, buff, size_t, len, unsigned int, flags) (arm's 289; i386's socketcall SYS_SEND: __sys_sendto(a0, compat_ptr(a1), a[2], a[3], NULL, 0))",
    ),
    (
        "recv",
        &[("fd", "int"), ("ubuf", "void *"), ("size", "unsigned int"), ("flags", "unsigned int")],
        "net/compat.c: COMPAT_SYSCALL_DEFINE4(recv, int, fd, void __user *, buf, compat_size_t, len, unsigned int, flags) (arm's 291; i386's socketcall SYS_RECV: __compat_sys_recvfrom(a0, compat_ptr(a1), a[2], a[3], NULL, NULL)); net/socket.c names them ubuf, size",
    ),
    (
        "select",
        &[("arg", "struct sel_arg_struct *")],
        "i386 only: fs/select.c: COMPAT_SYSCALL_DEFINE1(old_select, struct compat_sel_arg_struct __user *, arg) (82, where its struct is not read; the one read is typed as the native select: kernel.rs OLD_SELECT)",
    ),
    (
        "socketcall",
        &[("call", "int"), ("args", "unsigned long *")],
        "i386 only: net/compat.c: COMPAT_SYSCALL_DEFINE2(socketcall, int, call, u32 __user *, args) (where its subcall is not read: kernel.rs SOCKET_SUBCALL)",
    ),
    (
        "sync_file_range2",
        &[("fd", "int"), ("flags", "unsigned int"), ("offset", "long long"), ("nbytes", "long long")],
        "arm only: arch/arm64/kernel/sys32.c: COMPAT_SYSCALL_DEFINE6(aarch32_sync_file_range2, int, fd, unsigned int, flags, arg_u32p(offset), arg_u32p(nbytes)) (COMPAT_PAIRS)",
    ),
];

/// A COMPAT_DEFINED call's arguments.
fn defined(name: &str) -> Option<Vec<Arg>> {
    let (_, args, _) = COMPAT_DEFINED.iter().find(|(n, ..)| *n == name)?;
    let c = super::kernel::BtfTypes::none();
    Some(args.iter().map(|(n, t)| Arg { name: (*n).into(), ctype: (*t).into(), kind: c.kind_of(t) }).collect())
}

/// 32-bit calls whose ids are 16 bits wide (old_uid_t, old_gid_t): their
/// entry is kernel/uid16.c's `sys_<name>16` (syscall_32.tbl and unistd32.h
/// alike: lchown 16, fchown 95, chown 182, setuid 23 ...), which widens each
/// id as it enters (low2highuid: 0xffff is -1); getuid 24, geteuid 49,
/// getgid 47 and getegid 50 take none and return the id narrowed
/// (high2lowuid: 65534 past 16 bits), a number as any result. The 32-bit id
/// calls (chown32 ...) are decoders.rs COMPAT_NAMES'.
pub const COMPAT_UID16: &[&str] = &[
    "lchown", "fchown", "chown", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
    "setfsgid", "getuid", "geteuid", "getgid", "getegid",
];

/// Where a 32-bit call's registers hold one of the native call's arguments:
/// one register, or a 64-bit value split over two (low word first, both
/// ABIs being little-endian), printed signed (strace's print_arg_lld) or
/// unsigned (print_arg_llu).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    One(u8),
    Lld(u8),
    Llu(u8),
}
use Reg::{Llu, Lld, One};

/// 32-bit calls whose 64-bit arguments each take two registers: the
/// registers of each of the native call's arguments (decoders::native_name:
/// truncate64 is typed as truncate), from the compat entry's definition
/// beside it (Linux v6.1's arch/x86/kernel/sys_ia32.c; arm's EABI starts a
/// pair at an even register, arch/arm64/kernel/sys32.c, whose arg_u32p is
/// the low word then the high one). Where an argument's register is not its
/// index, it is a plain value: the kernel side reads pointers and lengths at
/// their index (the test below holds every row to it). arm's
/// sync_file_range2 (fd, flags, offset, nbytes: its own order, as strace
/// prints it) is typed from its own definition (COMPAT_DEFINED).
#[cfg(target_arch = "x86_64")]
pub const COMPAT_PAIRS: &[(&str, &[Reg], &str)] = &[
    ("pread64", &[One(0), One(1), One(2), Lld(3)], "ia32_pread64(unsigned int fd, char __user *ubuf, u32 count, u32 poslo, u32 poshi)"),
    ("pwrite64", &[One(0), One(1), One(2), Lld(3)], "ia32_pwrite64(unsigned int fd, const char __user *ubuf, u32 count, u32 poslo, u32 poshi)"),
    ("truncate64", &[One(0), Llu(1)], "ia32_truncate64(const char __user *filename, unsigned long offset_low, unsigned long offset_high)"),
    ("ftruncate64", &[One(0), Llu(1)], "ia32_ftruncate64(unsigned int fd, unsigned long offset_low, unsigned long offset_high)"),
    ("readahead", &[One(0), Lld(1), One(3)], "ia32_readahead(int fd, unsigned int off_lo, unsigned int off_hi, size_t count)"),
    ("fadvise64", &[One(0), Lld(1), One(3), One(4)], "ia32_fadvise64(int fd, unsigned int offset_lo, unsigned int offset_hi, size_t len, int advice)"),
    ("fadvise64_64", &[One(0), Lld(1), Lld(3), One(5)], "ia32_fadvise64_64(int fd, __u32 offset_low, __u32 offset_high, __u32 len_low, __u32 len_high, int advice)"),
    ("sync_file_range", &[One(0), Lld(1), Lld(3), One(5)], "ia32_sync_file_range(int fd, unsigned int off_low, unsigned int off_hi, unsigned int n_low, unsigned int n_hi, int flags)"),
    ("fallocate", &[One(0), One(1), Lld(2), Lld(4)], "ia32_fallocate(int fd, int mode, unsigned int offset_lo, unsigned int offset_hi, unsigned int len_lo, unsigned int len_hi)"),
];
#[cfg(not(target_arch = "x86_64"))]
pub const COMPAT_PAIRS: &[(&str, &[Reg], &str)] = &[
    ("pread64", &[One(0), One(1), One(2), Lld(4)], "aarch32_pread64(unsigned int fd, char __user *buf, size_t count, u32 __pad, arg_u32p(pos))"),
    ("pwrite64", &[One(0), One(1), One(2), Lld(4)], "aarch32_pwrite64(unsigned int fd, const char __user *buf, size_t count, u32 __pad, arg_u32p(pos))"),
    ("truncate64", &[One(0), Llu(2)], "aarch32_truncate64(const char __user *pathname, u32 __pad, arg_u32p(length))"),
    ("ftruncate64", &[One(0), Llu(2)], "aarch32_ftruncate64(unsigned int fd, u32 __pad, arg_u32p(length))"),
    ("readahead", &[One(0), Lld(2), One(4)], "aarch32_readahead(int fd, u32 __pad, arg_u32p(offset), size_t count)"),
    ("fadvise64_64", &[One(0), Lld(2), Lld(4), One(1)], "aarch32_fadvise64_64(int fd, int advice, arg_u32p(offset), arg_u32p(len))"),
    ("fallocate", &[One(0), One(1), Lld(2), Lld(4)], "aarch32_fallocate(int fd, int mode, arg_u32p(offset), arg_u32p(len))"),
    ("sync_file_range2", &[One(0), One(1), Lld(2), Lld(4)], "aarch32_sync_file_range2(int fd, unsigned int flags, arg_u32p(offset), arg_u32p(nbytes))"),
];

/// The registers of a 32-bit call's arguments, where a 64-bit one takes two.
pub fn pairs_of(name: &str) -> Option<&'static [Reg]> {
    COMPAT_PAIRS.iter().find(|(n, ..)| *n == name).map(|(_, regs, _)| *regs)
}

/// A pair call's argument words as the kernel's entry takes them: each
/// argument from its register (widened as a typed call's), or from its
/// two, joined.
pub fn gathered(raw: &[u64; 6], regs: &[Reg], typed: &[Arg]) -> [u64; 6] {
    let mut args = [0u64; 6];
    for (i, (reg, a)) in regs.iter().zip(typed).enumerate() {
        let word = |r: u8| raw.get(usize::from(r)).map_or(0, |v| v & 0xffff_ffff);
        args[i] = match *reg {
            One(r) => widened(word(r), a.kind),
            Lld(r) | Llu(r) => word(r) | word(r + 1) << 32,
        };
    }
    args
}

/// Whether a 32-bit call of this name may be typed from the native call's arguments.
fn may_type(name: &str) -> bool {
    SHARED.contains(&name)
        || COMPAT_SAME_BYTES.iter().any(|(n, _)| *n == name)
        || COMPAT_POINTER_ARRAYS.iter().any(|(n, _)| *n == name)
        || COMPAT_WIDENED.iter().any(|(n, _)| *n == name)
        || COMPAT_UID16.contains(&name)
        || decoders::COMPAT_ROWS.iter().any(|r| r.name == name)
}

/// A typed 32-bit call's argument word as the kernel's entry takes it: its
/// width's bits, sign-extended where the type is signed; a 16-bit id widened
/// as low2highuid widens it.
pub fn widened(v: u64, kind: ValueKind) -> u64 {
    match kind {
        ValueKind::Int { bytes: 2, signed: false } if v as u16 == u16::MAX => u64::from(u32::MAX),
        ValueKind::Int { bytes: 2, signed: false } => u64::from(v as u16),
        ValueKind::Int { bytes: 4, signed: true } => v as i32 as i64 as u64,
        _ => v & 0xffff_ffff,
    }
}

/// Types `table`'s 32-bit calls that may be typed, from the native call of
/// the same name; `same_bytes` says whether what a call's shape reads is the
/// same bytes for both ABIs.
pub fn type_calls(table: &mut Table, same_bytes: impl Fn(&Syscall) -> bool) {
    for c in table.compat.values_mut() {
        // fcntl64's entry is fcntl's compat one; the others' a shared native one.
        let name = decoders::native_name(c.name);
        let pairs = pairs_of(c.name);
        // (the old select's call: the native select's arguments, as _newselect's)
        let old_select = c.nr == super::kernel::OLD_SELECT && super::kernel::old_select_nr().is_some();
        let own = defined(c.name).filter(|_| !old_select);
        let typed_here = if super::kernel::socket_subcall(c.nr).is_some() {
            SOCKETCALL_TYPED.iter().any(|(n, _)| *n == c.name)
        } else {
            old_select
                || may_type(name)
                || decoders::COMPAT_NAMES.iter().any(|(n, ..)| *n == c.name)
                || pairs.is_some()
                || own.is_some()
        };
        if !typed_here {
            continue;
        }
        // The 16-bit id calls by their own names (chown32 is not one).
        let uid16 = COMPAT_UID16.contains(&c.name);
        let native = table.native.values().find(|n| n.name == name).and_then(|n| n.args.as_ref());
        let Some(args) = own.as_ref().or(native) else { continue };
        // A 32-bit ABI's long and unsigned long (and pointers) are 4 bytes.
        // (a pair call's register list names each of the native call's arguments)
        if pairs.is_some_and(|p| p.len() != args.len()) {
            continue;
        }
        let args = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut a = a.clone();
                match pairs.map(|p| p[i]) {
                    Some(Lld(_)) => a.kind = ValueKind::Int { bytes: 8, signed: true },
                    Some(Llu(_)) => a.kind = ValueKind::Int { bytes: 8, signed: false },
                    _ => {
                        if let ValueKind::Int { bytes: 8, signed } = a.kind {
                            a.kind = ValueKind::Int { bytes: 4, signed };
                        }
                    }
                }
                let id = ["uid_t", "gid_t"].contains(&a.ctype.as_str());
                if uid16 && id {
                    a.kind = ValueKind::Int { bytes: 2, signed: false };
                }
                a
            })
            .collect();
        let typed = Syscall { args: Some(args), ..c.clone() };
        if same_bytes(&typed) {
            *c = typed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernel::{self, Arg, ValueKind};

    fn arg(name: &str, ctype: &str, kind: ValueKind) -> Arg {
        Arg { name: name.into(), ctype: ctype.into(), kind }
    }

    #[test]
    fn only_shared_entries_are_typed_with_32_bit_widths() {
        let mut t = kernel::names_only();
        let long = ValueKind::Int { bytes: 8, signed: true };
        let int = ValueKind::Int { bytes: 4, signed: true };
        let uint = ValueKind::Int { bytes: 4, signed: false };
        for n in t.native.values_mut() {
            if ["readv", "sendmsg", "madvise", "umask", "lseek"].contains(&n.name) {
                n.args = Some(vec![arg("a", "int", int), arg("b", "long", long)]);
            }
            if n.name == "fchown" {
                n.args = Some(vec![arg("fd", "unsigned int", uint), arg("user", "uid_t", uint)]);
            }
        }
        // umask reads a struct here (as if): left raw.
        super::type_calls(&mut t, |s| s.name != "umask");
        let by_name = |name: &str| t.compat.values().find(|s| s.name == name).expect(name);
        let kinds = |name: &str| -> Vec<ValueKind> { by_name(name).args.as_ref().expect(name).iter().map(|a| a.kind).collect() };
        // madvise: sys_madvise on both; its long is 4 bytes wide on i386 and arm.
        assert_eq!(kinds("madvise"), [int, int]);
        // lseek: compat_sys_lseek takes the same arguments, compat_off_t 4 bytes.
        assert_eq!(kinds("lseek"), [int, int]);
        // fchown: sys_fchown16 on i386 and arm, its ids 16 bits wide.
        assert_eq!(kinds("fchown"), [uint, ValueKind::Int { bytes: 2, signed: false }]);
        // readv: its struct compat_iovec read at the 32-bit width (COMPAT_POINTER_ARRAYS).
        assert_eq!(kinds("readv"), [int, int]);
        // sendmsg: compat_sys_sendmsg, its struct compat_msghdr widened as it is read.
        assert_eq!(kinds("sendmsg"), [int, int]);
        // umask: reads more than bytes (as if): left raw.
        assert!(by_name("umask").args.is_none());
    }

    #[test]
    fn renamed_calls_are_typed_as_the_native_call_they_enter() {
        let mut t = kernel::names_only();
        let uint = ValueKind::Int { bytes: 4, signed: false };
        for n in t.native.values_mut() {
            if n.name == "fchown" {
                n.args = Some(vec![arg("fd", "unsigned int", uint), arg("user", "uid_t", uint)]);
            }
        }
        super::type_calls(&mut t, |_| true);
        let by_name = |name: &str| t.compat.values().find(|s| s.name == name).expect(name);
        let kinds = |name: &str| -> Vec<ValueKind> { by_name(name).args.as_ref().expect(name).iter().map(|a| a.kind).collect() };
        // fchown32 is sys_fchown under another name: 32-bit ids, its own name kept.
        assert_eq!(kinds("fchown32"), [uint, uint]);
        assert_eq!(by_name("fchown32").name, "fchown32");
        assert_eq!(super::decoders::native_name("fchown32"), "fchown");
        assert_eq!(super::decoders::native_name("fchown"), "fchown");
        assert!(super::decoders::enters_native("sendfile64") && !super::decoders::enters_native("fcntl64"));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn socketcall_subcalls_are_calls_of_their_own() {
        use super::super::kernel::{socket_subcall, socketcall_nr, SOCKET_SUBCALL};
        let mut t = kernel::names_only();
        let int = ValueKind::Int { bytes: 4, signed: true };
        let long = ValueKind::Int { bytes: 8, signed: false };
        for n in t.native.values_mut() {
            if ["shutdown", "setsockopt", "accept"].contains(&n.name) {
                n.args = Some(vec![arg("fd", "int", int), arg("b", "unsigned long", long)]);
            }
        }
        super::type_calls(&mut t, |_| true);
        // past i386's last number; socketcall is 102
        assert!(t.compat.keys().filter(|&&nr| socket_subcall(nr).is_none()).all(|&nr| nr < SOCKET_SUBCALL));
        assert_eq!(socketcall_nr(), Some(102));
        let sub = |n: u32| t.compat.get(&(SOCKET_SUBCALL + n)).expect("a subcall");
        assert_eq!((sub(13).name, socket_subcall(SOCKET_SUBCALL + 13)), ("shutdown", Some(13)));
        assert!(socket_subcall(SOCKET_SUBCALL).is_none() && socket_subcall(SOCKET_SUBCALL + 21).is_none());
        let int32 = ValueKind::Int { bytes: 4, signed: false };
        // shutdown and accept: the native call's arguments at 32-bit widths
        assert_eq!(sub(13).args.as_ref().map(|a| a.iter().map(|a| a.kind).collect::<Vec<_>>()), Some(vec![int, int32]));
        assert_eq!(sub(5).name, "accept");
        assert!(sub(5).args.is_some());
        // send: from its own definition; setsockopt: option values of 32-bit layouts, raw
        assert_eq!(sub(9).args.as_ref().map(Vec::len), Some(4));
        assert!(sub(14).args.is_none());
        // the summary tells a subcall from the call of the same name
        assert_eq!(t.compat_labels.get(&(SOCKET_SUBCALL + 13)).copied(), Some("shutdown (i386 socketcall)"));
        // made under socketcall's number
        assert_eq!(super::super::kernel::made_as(SOCKET_SUBCALL + 13), 102);
        assert_eq!(super::super::kernel::made_as(373), 373);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_old_select_is_select_when_its_struct_is_read() {
        use super::super::kernel::{made_as, old_select_nr, OLD_SELECT};
        let mut t = kernel::names_only();
        let int = ValueKind::Int { bytes: 4, signed: true };
        let ptr = ValueKind::Pointer;
        for n in t.native.values_mut().filter(|n| n.name == "select") {
            n.args = Some(vec![arg("n", "int", int), arg("inp", "fd_set *", ptr), arg("outp", "fd_set *", ptr)]);
        }
        super::type_calls(&mut t, |_| true);
        assert_eq!(old_select_nr(), Some(82));
        // 82 itself: one pointer, as strace prints a struct it could not read
        let raw = t.compat.get(&82).expect("82");
        assert_eq!((raw.name, raw.args.as_ref().map(Vec::len)), ("select", Some(1)));
        // its struct read: the native select's arguments, made under 82
        let read = t.compat.get(&OLD_SELECT).expect("the old select");
        assert_eq!((read.name, read.args.as_ref().map(Vec::len)), ("select", Some(3)));
        assert_eq!(made_as(OLD_SELECT), 82);
        assert_eq!(t.compat_labels.get(&OLD_SELECT).copied(), Some("select (i386 sel_arg_struct)"));
    }

    #[test]
    fn pairs_move_only_plain_values() {
        // The kernel side reads an argument at its index: a pointer or a
        // length whose register is another would be read from the wrong one.
        for (name, regs, _) in super::COMPAT_PAIRS {
            let native = super::decoders::native_name(name);
            let row = super::decoders::row_for(name, true).expect(name);
            assert_eq!(row.args.len(), regs.len(), "{name}");
            for (i, reg) in regs.iter().enumerate() {
                if *reg != super::One(i as u8) {
                    let plain = matches!(
                        row.args[i],
                        super::decoders::Arg::Typed
                            | super::decoders::Arg::Unsigned
                            | super::decoders::Arg::Xval(..)
                            | super::decoders::Arg::Flags(..)
                    );
                    assert!(plain && super::super::directions::of(native, i).is_none(), "{name} argument {i}");
                }
            }
        }
    }

    #[test]
    fn pairs_are_joined_low_word_first() {
        let int = ValueKind::Int { bytes: 4, signed: true };
        let loff = ValueKind::Int { bytes: 8, signed: true };
        let typed = [arg("fd", "int", int), arg("offset", "loff_t", loff), arg("len", "loff_t", loff), arg("advice", "int", int)];
        let regs = super::pairs_of("fadvise64_64").expect("fadvise64_64");
        #[cfg(target_arch = "x86_64")]
        let raw = [0xffff_ffff, 5, 1, 0xffff_fffe, 0xffff_ffff, 3];
        // arm: the advice second, each pair from an even register
        #[cfg(not(target_arch = "x86_64"))]
        let raw = [0xffff_ffff, 3, 5, 1, 0xffff_fffe, 0xffff_ffff];
        let args = super::gathered(&raw, regs, &typed);
        assert_eq!(args[..4], [u64::MAX, 0x1_0000_0005, (-2i64) as u64, 3]);
        // truncate64's length unsigned, pread64's buffer and count at their index
        assert!(matches!(super::pairs_of("truncate64").expect("truncate64")[1], super::Llu(_)));
        assert_eq!(super::pairs_of("pread64").expect("pread64")[..3], [super::One(0), super::One(1), super::One(2)]);
        assert!(super::pairs_of("pread").is_none());
    }

    #[test]
    fn words_are_widened_as_the_compat_entry_takes_them() {
        let id = ValueKind::Int { bytes: 2, signed: false };
        assert_eq!(super::widened(0xffff, id), 0xffff_ffff);
        assert_eq!(super::widened(0xffff_ffff, id), 0xffff_ffff);
        assert_eq!(super::widened(0xffff_0000, id), 0);
        assert_eq!(super::widened(0xfeed, id), 0xfeed);
        assert_eq!(super::widened(0xdead_beef, ValueKind::Int { bytes: 4, signed: true }) as i64, -559_038_737);
        assert_eq!(super::widened(0xdead_beef, ValueKind::Int { bytes: 4, signed: false }), 0xdead_beef);
        assert_eq!(super::widened(0x1_f7f4_707c, ValueKind::Pointer), 0xf7f4_707c);
    }
}
