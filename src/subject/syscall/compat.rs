//! Which 32-bit tasks' calls are typed (issue 23): an i386 call whose kernel
//! entry is the x86_64 call's own function is printed as the native call of
//! its name is, its `long`s 32 bits wide, where nothing argtrace reads for it
//! holds a pointer or a long (iovecs, argv, msghdr, fd sets: mod.rs
//! `reads_no_pointers`). Its structs are then the same bytes for both ABIs:
//! the kernel itself uses one function and one layout for them. Every other
//! 32-bit call stays six raw values: its entry is a compat function (struct
//! layouts, 64-bit arguments split over two registers, 16-bit ids).
//!
//! Source: Linux's arch/x86/entry/syscalls/syscall_32.tbl (as of v6.1, the
//! kernel strace 6.1's tables match): the rows whose entry point is
//! `sys_<name>` and which have no compat entry point (the older format's
//! fifth column `__ia32_sys_<name>`, not `__ia32_compat_sys_...`). Names
//! that x86_64 does not have (waitpid, nice, signal ...) are listed too and
//! simply find no native call. arm's (AArch32 on arm64) are not typed yet.

use super::kernel::{Syscall, Table, ValueKind};

/// i386 syscalls whose entry is the same `sys_*` function as x86_64's.
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

/// Types `table`'s 32-bit calls that may be typed (x86_64 only), from the
/// native call of the same name; `same_bytes` says whether what a call's
/// shape reads is the same bytes for both ABIs.
pub fn type_calls(table: &mut Table, same_bytes: impl Fn(&Syscall) -> bool) {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    for c in table.compat.values_mut() {
        if !I386_SHARED.contains(&c.name) {
            continue;
        }
        let Some(native) = table.native.values().find(|n| n.name == c.name) else { continue };
        let Some(args) = native.args.as_ref() else { continue };
        // i386's long and unsigned long (and pointers) are 4 bytes.
        let args = args
            .iter()
            .map(|a| {
                let mut a = a.clone();
                if let ValueKind::Int { bytes: 8, signed } = a.kind {
                    a.kind = ValueKind::Int { bytes: 4, signed };
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

    fn arg(name: &str, kind: ValueKind) -> Arg {
        Arg { name: name.into(), ctype: String::new(), kind }
    }

    #[test]
    fn only_shared_entries_are_typed_with_i386_widths() {
        if !cfg!(target_arch = "x86_64") {
            return;
        }
        let mut t = kernel::names_only();
        let long = ValueKind::Int { bytes: 8, signed: true };
        for n in t.native.values_mut() {
            if n.name == "lseek" || n.name == "madvise" || n.name == "umask" {
                n.args = Some(vec![arg("a", ValueKind::Int { bytes: 4, signed: true }), arg("b", long)]);
            }
        }
        // umask reads a struct here (as if): left raw.
        super::type_calls(&mut t, |s| s.name != "umask");
        let by_name = |name: &str| t.compat.values().find(|s| s.name == name).expect(name);
        // madvise: sys_madvise on both; its long is 4 bytes wide on i386.
        let kinds: Vec<ValueKind> = by_name("madvise").args.as_ref().expect("typed").iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [ValueKind::Int { bytes: 4, signed: true }, ValueKind::Int { bytes: 4, signed: true }]);
        // lseek: compat_sys_lseek on i386; umask: reads more than bytes.
        assert!(by_name("lseek").args.is_none());
        assert!(by_name("umask").args.is_none());
    }
}
