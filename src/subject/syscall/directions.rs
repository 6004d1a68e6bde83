//! Which pointer arguments argtrace reads, and when: data, not code per
//! syscall (issue 19's decoders extend it). By default a `const char *` or
//! `char *` argument (its C type from the kernel) is a NUL-terminated string
//! read at entry. The rows below say otherwise, as strace 6.1 prints these
//! calls (src/io.c read/write/pread/pwrite, src/net.c sendto/recvfrom,
//! src/readlink.c, src/getcwd.c, src/xattr.c, src/getrandom.c): a buffer the
//! caller hands in, `min(len, --string-limit)` bytes read at entry; or a buffer
//! the kernel fills, `min(ret, --string-limit)` bytes read at return.

/// How an argument is read (bpf/syscall.h's enum argtrace_syscall_arg_kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes handed in, their count in the argument of this index.
    In { len_arg: u8 },
    /// Bytes the kernel fills; their count is the result, at most the
    /// buffer's size, the next argument (recv's MSG_TRUNC returns more).
    Out,
    /// A string the kernel fills: getcwd's result counts its NUL.
    OutStr,
    /// Not read: an address only (a `char *` that is not a string).
    Address,
}

/// (syscall, argument index, direction). Syscalls by strace's names.
pub const DIRECTIONS: &[(&str, u8, Direction)] = &[
    ("read", 1, Direction::Out),
    ("pread64", 1, Direction::Out),
    ("recvfrom", 1, Direction::Out),
    // (i386's socketcall subcall and arm's call; x86_64 and arm64 have neither)
    ("recv", 1, Direction::Out),
    ("readlink", 1, Direction::Out),
    ("readlinkat", 2, Direction::Out),
    ("getdents64", 1, Direction::Out),
    ("getdents", 1, Direction::Out),
    ("getcwd", 0, Direction::OutStr),
    ("getxattr", 2, Direction::Out),
    ("lgetxattr", 2, Direction::Out),
    ("fgetxattr", 2, Direction::Out),
    ("listxattr", 1, Direction::Out),
    ("llistxattr", 1, Direction::Out),
    ("flistxattr", 1, Direction::Out),
    ("getrandom", 0, Direction::Out),
    ("write", 1, Direction::In { len_arg: 2 }),
    ("pwrite64", 1, Direction::In { len_arg: 2 }),
    ("sendto", 1, Direction::In { len_arg: 2 }),
    ("send", 1, Direction::In { len_arg: 2 }),
    ("setxattr", 2, Direction::In { len_arg: 3 }),
    ("lsetxattr", 2, Direction::In { len_arg: 3 }),
    ("fsetxattr", 2, Direction::In { len_arg: 3 }),
    ("syslog", 1, Direction::Out),
];

/// The direction of argument `index` of `syscall`, if the table has one.
pub fn of(syscall: &str, index: usize) -> Option<Direction> {
    DIRECTIONS.iter().find(|(s, i, _)| *s == syscall && *i as usize == index).map(|(_, _, d)| *d)
}

/// The syscalls that never return to their caller: their record is sent at entry.
pub const NO_RETURN: &[&str] = &["exit", "exit_group"];

/// The syscalls that replace the caller's image when they succeed: a string
/// unreadable at entry is not read again at return (the address then belongs
/// to the new image).
pub const REPLACES_IMAGE: &[&str] = &["execve", "execveat"];

/// The syscalls whose result is an address, printed in hex as strace does.
pub const HEX_RESULT: &[&str] = &["mmap", "mmap2", "mremap", "brk", "shmat"];
