//! strace's own test suite as the oracle. Debian's strace 6.1 source (the
//! strace that tests/strace.rs runs side by side; scripts/deps.sh's
//! deps_strace_source fetches and caches it) is configured once and the test
//! programs of the syscalls argtrace decodes are built, 64-bit and, where
//! `gcc -m32` links, i386. Each runs as strace's harness runs it
//! (tests/gen_tests.in's options, with `-e trace=` set to argtrace's calls)
//! while `argtrace clone` and `argtrace mmap` trace the same process by its
//! name. Every line is compared against both oracles: the program's own
//! standard output (the lines strace must print) and strace's log of the same
//! run. A table with the first differences is printed (and kept in
//! target/strace-suite.txt); any difference that is not listed in
//! KNOWN_DIFFERENCES fails. strace's tests of the syscalls `argtrace
//! syscall` decodes (SYSCALL_CASES) run the same way under `argtrace syscall
//! -f -- strace ...` and are measured: their figures are in the table, and
//! the share of identical lines must stay above SYSCALL_FLOOR_PERCENT.
//! Tests argtrace cannot take part in (fault
//! injection, -X/-y/-P modes, other syscalls) are listed in NOT_RUN with the
//! reason. Root, network on first use (apt-get source), gcc and make are
//! needed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;
use argtrace::subject::syscall::decoders::{native_name, COMPAT_ROWS, ROWS};
use common::Tracer;

/// The calls argtrace decodes today, with their subject; strace's names (i386
/// has mmap2 and the old mmap of one struct pointer, also named mmap).
const CALLS: &[&str] = &["mmap", "mmap2", "clone", "clone3", "fork", "vfork"];

/// The share of the syscall tests' lines (each oracle) beyond those
/// KNOWN_DIFFERENCES lists that must be identical: all of them (46.3 % when
/// the tests joined; 100 % since paths are read whole up to PATH_MAX and
/// flock, f_owner_ex, rusage, loff_t, recvfrom's address, nanosleep's
/// remaining time and execve's unreadable argv are decoded). Every test's
/// figure and first difference is in the table.
const SYSCALL_FLOOR_PERCENT: f64 = 100.0;

/// One program of strace's tests/ as its harness runs it.
struct Case {
    /// The program (tests/NAME, tests-m32/NAME) and the test's name.
    name: &'static str,
    /// The program's arguments (mmap.test passes the syscall's name: mmap2
    /// for i386).
    args: &'static [&'static str],
    /// strace's options from tests/gen_tests.in or the .test script, without
    /// `-e trace=` (set to argtrace's calls) and without -a (padding is
    /// taken out of every line before comparing).
    strace: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { name: "clone3", args: &[], strace: &[] },
    Case { name: "clone3-Xabbrev", args: &[], strace: &["-Xabbrev"] },
    // clone-flags.test: a first run finds the child stack strace reports.
    Case { name: "clone-flags", args: &[], strace: &["--silence=exits,personality", "-e", "signal=none"] },
    Case { name: "clone_parent", args: &[], strace: &["--quiet=personality"] },
    Case { name: "clone_ptrace", args: &[], strace: &["--quiet=personality"] },
    Case { name: "fork-f", args: &[], strace: &["-qq", "-f", "-e", "signal=none"] },
    Case { name: "vfork-f", args: &[], strace: &["-qq", "-f", "-e", "signal=none"] },
    Case { name: "mmap", args: &["mmap"], strace: &[] },
    Case { name: "mmap-Xabbrev", args: &["mmap"], strace: &["-Xabbrev"] },
    Case { name: "mmap64", args: &["mmap"], strace: &[] },
    Case { name: "mmap64-Xabbrev", args: &["mmap"], strace: &["-Xabbrev"] },
    Case { name: "old_mmap", args: &[], strace: &[] },
    Case { name: "old_mmap-Xabbrev", args: &[], strace: &["-Xabbrev"] },
];

/// One of strace's tests of a syscall `argtrace syscall` decodes (a row in
/// src/subject/syscall/decoders.rs), run as its harness runs it while
/// `argtrace syscall -f -- strace ...` traces the same run.
struct SyscallCase {
    /// The program (tests/NAME) and the test's name.
    name: &'static str,
    /// strace's options from tests/gen_tests.in or NAME.test, without -a
    /// (padding is taken out) and without -e trace= (`trace`).
    strace: &'static [&'static str],
    /// The calls traced, strace's -e trace=; the test's name when empty.
    trace: &'static [&'static str],
    /// argtrace's options for strace's that change the text: `-s 3` is
    /// `--string-limit 3`.
    argtrace: &'static [&'static str],
    /// Descriptors the harness opens on /dev/full for the program
    /// (gen_tests.in's `7>>/dev/full`).
    full_fds: &'static [i32],
    /// strace's -P (--trace-path) paths: strace prints only the calls
    /// whose path argument is one of them; argtrace has no path filter, so
    /// its lines are kept where a path argument is one of them (`"PATH"`).
    paths: &'static [&'static str],
}

const fn sc(name: &'static str, strace: &'static [&'static str]) -> SyscallCase {
    SyscallCase { name, strace, trace: &[], argtrace: &[], full_fds: &[], paths: &[] }
}

/// The syscall tests run, from tests/gen_tests.in (or the test's own .test
/// script); I386_SYSCALL_CASES says which of their i386 builds run too.
const SYSCALL_CASES: &[SyscallCase] = &[
    SyscallCase { paths: &["open.sample"], ..sc("open", &["-P", "open.sample"]) },
    SyscallCase { paths: &["openat.sample"], ..sc("openat", &["-P", "openat.sample"]) },
    SyscallCase { paths: &["access_sample"], ..sc("access", &["--trace-path=access_sample"]) },
    sc("creat", &[]),
    SyscallCase { full_fds: &[7], ..sc("close_range", &[]) },
    SyscallCase { full_fds: &[9], ..sc("dup", &[]) },
    SyscallCase { full_fds: &[9], ..sc("dup2", &[]) },
    SyscallCase { full_fds: &[7], ..sc("dup3", &[]) },
    sc("fcntl", &[]),
    sc("pipe2", &[]),
    sc("pipe", &[]),
    sc("lseek", &[]),
    sc("faccessat", &[]),
    sc("faccessat2", &[]),
    sc("unlinkat", &[]),
    sc("renameat", &[]),
    sc("renameat2", &[]),
    sc("mkdir", &[]),
    sc("mkdirat", &[]),
    sc("fchdir", &[]),
    sc("chdir", &[]),
    sc("rmdir", &[]),
    sc("unlink", &[]),
    sc("rename", &[]),
    sc("statfs", &[]),
    sc("truncate", &[]),
    sc("chmod", &[]),
    sc("fchmod", &[]),
    sc("fchmodat", &[]),
    sc("chown", &[]),
    sc("lchown", &[]),
    sc("fchown", &[]),
    sc("fchownat", &[]),
    sc("setuid", &[]),
    sc("getgroups", &[]),
    SyscallCase { argtrace: &["--string-limit", "2"], ..sc("setgroups", &["-s2"]) },
    sc("getresuid", &[]),
    sc("getresgid", &[]),
    // getuid.test: strace -qq (its uniq of the log folds lines both sides print alike)
    sc("getuid", &["-qq"]),
    sc("geteuid", &["-qq"]),
    sc("getgid", &["-qq"]),
    sc("getegid", &["-qq"]),
    sc("setgid", &[]),
    sc("setfsuid", &[]),
    sc("setfsgid", &[]),
    sc("setreuid", &[]),
    sc("setregid", &[]),
    sc("setresuid", &[]),
    sc("setresgid", &[]),
    sc("umask", &[]),
    sc("flock", &[]),
    sc("nanosleep", &[]),
    sc("fsync", &[]),
    sc("fdatasync", &[]),
    sc("ftruncate", &[]),
    sc("fallocate", &[]),
    sc("fadvise64", &[]),
    sc("readahead", &[]),
    sc("sync_file_range", &[]),
    // -eread=0 -ewrite=1: strace's hex dumps of the data, lines of their own
    // (not compared); its -P filters (the test file, /dev/zero, /dev/null)
    // left out: argtrace has no descriptor filter, so strace's log keeps the
    // loader's and the program's other calls too, as argtrace's output does.
    SyscallCase { trace: &["pread64", "pwrite64"], ..sc("pread64-pwrite64", &["-eread=0", "-ewrite=1"]) },
    sc("splice", &[]),
    sc("copy_file_range", &[]),
    sc("sendfile", &[]),
    sc("epoll_create1", &[]),
    sc("epoll_ctl", &[]),
    sc("epoll_wait", &[]),
    sc("epoll_pwait", &[]),
    sc("fstatfs", &[]),
    sc("openat2", &[]),
    sc("getsockname", &[]),
    sc("getpeername", &[]),
    sc("accept", &[]),
    sc("sysinfo", &[]),
    // sigaltstack.test: strace -e sigaltstack, its log against sigaltstack.expected (the program prints nothing)
    sc("sigaltstack", &[]),
    sc("waitid", &["-esignal=none"]),
    // readv.test's first run (its -e read=/write= hex dumps are lines of their own, not compared)
    SyscallCase { trace: &["readv", "writev"], ..sc("readv", &["-eread=all", "-ewrite=!none"]) },
    sc("preadv", &[]),
    SyscallCase { argtrace: &["--string-limit", "7"], ..sc("pwritev", &["-s7"]) },
    SyscallCase { trace: &["preadv", "pwritev"], ..sc("preadv-pwritev", &["-eread=0", "-ewrite=1"]) },
    // poll.test's first run (strace -v: poll's lines are the same without it)
    sc("poll", &["-v"]),
    sc("kill", &["-e", "signal=none"]),
    sc("rt_sigprocmask", &[]),
    sc("rt_sigaction", &[]),
    sc("tkill", &["--signal=!cont"]),
    sc("tgkill", &["--signal=!cont"]),
    sc("wait4", &["-e", "signal=none"]),
    sc("prlimit64", &[]),
    sc("madvise", &[]),
    sc("brk", &[]),
    sc("futex", &[]),
    sc("shutdown", &[]),
    sc("accept4", &[]),
    sc("recvfrom", &[]),
    sc("execve", &[]),
    sc("execveat", &[]),
    SyscallCase { trace: &["clock_nanosleep", "clock_gettime"], ..sc("clock_nanosleep", &[]) },
    SyscallCase { argtrace: &["--string-limit", "3"], ..sc("getrandom", &["-s3"]) },
    sc("select", &[]),
    sc("pselect6", &[]),
    SyscallCase { argtrace: &["--string-limit", "2"], ..sc("ppoll", &["-s2"]) },
    sc("getdents64", &[]),
    sc("getdents", &[]),
    SyscallCase { trace: &["sched_getaffinity", "sched_setaffinity"], ..sc("sched_xetaffinity", &[]) },
    SyscallCase { trace: &["recvmsg"], ..sc("msg_name", &[]) },
    SyscallCase { trace: &["sendmsg"], ..sc("msg_control", &[]) },
    SyscallCase { trace: &["recvfrom"], ..sc("recvfrom-MSG_TRUNC", &[]) },
    SyscallCase { trace: &["recvmsg"], ..sc("sockopt-timestamp", &[]) },
    sc("rt_sigreturn", &["-esignal=!USR1"]),
    // ioctl.test: strace -a16 -eioctl (its grep of fds 0-2 drops lines both sides print)
    SyscallCase { trace: &["ioctl"], ..sc("ioctl_termios", &[]) },
    // prctl.sh: strace -eprctl (the lines before its marker call are in both)
    SyscallCase { trace: &["prctl"], ..sc("prctl-capbset", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-cap-ambient", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-dumpable", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-mce-kill", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-name", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-no-args", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-pdeathsig", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-securebits", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-tsc", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-unalign", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-tid_address", &[]) },
    SyscallCase { trace: &["prctl"], ..sc("prctl-arg2-intptr", &[]) },
];

/// The syscall tests whose i386 builds run too (tests-m32/NAME, under the
/// same options): the calls they make are the ones `argtrace syscall` types
/// for an i386 task (src/subject/syscall/compat.rs: the kernel's entry is
/// x86_64's, and nothing argtrace reads for them holds a pointer or a long;
/// or it takes x86_64's arguments at i386's widths and reads the same bytes;
/// or it is a 16-bit id call; or its compat entry's layouts are transcribed,
/// src/subject/syscall/decoders.rs COMPAT_ROWS; or its 64-bit arguments take
/// two registers each, compat.rs COMPAT_PAIRS; or its arrays' pointers are
/// 32 bits wide, compat.rs COMPAT_POINTER_ARRAYS: execve, execveat, readv,
/// writev, preadv, pwritev; or the kernel side widens its 32-bit layouts as
/// it reads them, compat.rs COMPAT_WIDENED: pselect6, sendmsg, recvmsg).
/// Every other syscall test's i386 build is in NOT_RUN.
const I386_SYSCALL_CASES: &[&str] = &[
    "open",
    "openat",
    "lseek",
    "truncate",
    "ftruncate",
    "chown",
    "lchown",
    "fchown",
    "sched_xetaffinity",
    "ioctl_termios",
    "nanosleep",
    "clock_nanosleep",
    "futex",
    "wait4",
    "statfs",
    "sendfile",
    "rt_sigaction",
    "rt_sigprocmask",
    "fcntl",
    "getdents",
    "access",
    "creat",
    "close_range",
    "dup",
    "dup2",
    "dup3",
    "pipe2",
    "pipe",
    "faccessat",
    "faccessat2",
    "unlinkat",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "fchdir",
    "chdir",
    "rmdir",
    "unlink",
    "rename",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchownat",
    "umask",
    "flock",
    "fsync",
    "fdatasync",
    "splice",
    "copy_file_range",
    "epoll_create1",
    "epoll_ctl",
    "kill",
    "tkill",
    "tgkill",
    "prlimit64",
    "madvise",
    "brk",
    "getrandom",
    "getdents64",
    "prctl-capbset",
    "prctl-cap-ambient",
    "prctl-dumpable",
    "prctl-mce-kill",
    "prctl-name",
    "prctl-no-args",
    "prctl-pdeathsig",
    "prctl-securebits",
    "prctl-tsc",
    "prctl-unalign",
    "prctl-tid_address",
    "prctl-arg2-intptr",
    "setuid",
    "setgid",
    "setfsuid",
    "setfsgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "getresuid",
    "getresgid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "rt_sigreturn",
    "fallocate",
    "fadvise64",
    "readahead",
    "sync_file_range",
    "pread64-pwrite64",
    "execve",
    "execveat",
    "epoll_wait",
    "epoll_pwait",
    "fstatfs",
    "openat2",
    "readv",
    "preadv",
    "pwritev",
    "preadv-pwritev",
    "poll",
    "pselect6",
    "ppoll",
    "msg_name",
    "msg_control",
    "recvfrom-MSG_TRUNC",
    "sockopt-timestamp",
    // (glibc's i386 socket calls are socketcall's subcalls: kernel.rs SOCKET_SUBCALL)
    "getsockname",
    "getpeername",
    "accept",
    "accept4",
    "shutdown",
    "recvfrom",
    // the 16-bit getgroups and setgroups (old_gid_t arrays); sysinfo,
    // sigaltstack and waitid, their compat structs transcribed (COMPAT_ROWS)
    "getgroups",
    "setgroups",
    "sysinfo",
    "sigaltstack",
    "waitid",
];

/// strace's tests of i386 calls that x86_64 does not have (their 64-bit
/// builds skip themselves): the 32-bit id calls and sendfile64, whose i386
/// entry is a native function under another name, fcntl64, whose compat
/// entry is fcntl's (src/subject/syscall/decoders.rs COMPAT_NAMES), and
/// truncate64, ftruncate64 and fadvise64_64, whose 64-bit arguments take two
/// registers (src/subject/syscall/compat.rs COMPAT_PAIRS), and _llseek,
/// statfs64, fstatfs64, socketcall, recv (a socketcall subcall) and the old
/// select, typed from their 32-bit definitions (compat.rs COMPAT_DEFINED). Options from
/// tests/gen_tests.in (their -a alignments aside, as for the others).
const I386_ONLY_CASES: &[SyscallCase] = &[
    sc("chown32", &[]),
    sc("fchown32", &[]),
    sc("lchown32", &[]),
    sc("setuid32", &[]),
    sc("setgid32", &[]),
    sc("setfsuid32", &[]),
    sc("setfsgid32", &[]),
    sc("setreuid32", &[]),
    sc("setregid32", &[]),
    sc("setresuid32", &[]),
    sc("setresgid32", &[]),
    sc("sendfile64", &[]),
    sc("fcntl64", &[]),
    sc("getgroups32", &[]),
    SyscallCase { argtrace: &["--string-limit", "2"], ..sc("setgroups32", &["-s2"]) },
    sc("truncate64", &[]),
    sc("ftruncate64", &[]),
    sc("fadvise64_64", &[]),
    sc("_newselect", &[]),
    sc("getresuid32", &[]),
    sc("getresgid32", &[]),
    sc("getuid32", &["-qq"]),
    sc("geteuid32", &["-qq"]),
    sc("getgid32", &["-qq"]),
    sc("getegid32", &["-qq"]),
    // the calls x86_64 has none of (compat.rs COMPAT_DEFINED); llseek.test
    // traces _llseek
    SyscallCase { trace: &["_llseek"], ..sc("llseek", &[]) },
    sc("statfs64", &[]),
    sc("fstatfs64", &[]),
    // socketcall itself, where its subcall is not read (an unknown one, or
    // its words unreadable); recv, a socketcall subcall x86_64 has no call of
    sc("socketcall", &[]),
    SyscallCase { trace: &["recv"], ..sc("recv-MSG_TRUNC", &[]) },
    // the old select of one struct pointer (its struct read: kernel.rs OLD_SELECT)
    SyscallCase { trace: &["select"], ..sc("oldselect", &[]) },
    SyscallCase { trace: &["select"], ..sc("oldselect-efault", &[]) },
];

/// strace's tests of these calls that do not run here, and why.
const NOT_RUN: &[(&str, &str)] = &[
    ("clone3-Xraw, clone3-Xverbose, mmap-Xraw, mmap-Xverbose, mmap64-Xraw, mmap64-Xverbose, old_mmap-Xraw, old_mmap-Xverbose", "-X raw/verbose: argtrace prints strace's default (abbrev) style only"),
    ("clone3-success, clone3-success-Xabbrev, clone3-success-Xraw, clone3-success-Xverbose", "-e inject=clone3:retval=42: strace's fault injection changes what the kernel returns; argtrace only reads"),
    ("old_mmap-P, old_mmap-v-none", "-P path filter and -e verbose=none: strace-only output modes"),
    ("clone_parent-q, clone_parent-qq, clone_parent--quiet-exit, clone_ptrace-q, clone_ptrace-qq, clone_ptrace--quiet-attach, clone_ptrace--quiet-exit", "the same calls as clone_parent and clone_ptrace; they differ only in strace's --quiet messages"),
    ("fork--pidns-translation", "--pidns-translation: strace's pid namespace translation (argtrace prints the kernel's global ids)"),
    ("net-sockaddr, net-sockaddr--pidns-translation, sockaddr_xlat-*, net-yy-inet, net-yy-inet6", "connect(2) is not decoded as a syscall: argtrace tcp-connect traces the TCP layer (src=/dst= of established TCP opens), and these connect AF_UNIX/AF_PACKET/... addresses or need -yy"),
    ("newfstatat, stat, lstat, statx, fstat, and the i386 builds of stat64, lstat64, fstat64, fstatat64", "-v (--no-abbrev): strace's unabbreviated structs; argtrace prints strace's default abbreviations only (and fstat's -P follows a descriptor, which a path filter on argtrace's lines cannot)"),
    ("readlink, readlinkat", "-xx: strace's all-hex strings; argtrace prints strace's default escapes only"),
    ("uname, fstat, futex's second run", "-v: strace's unabbreviated structs; argtrace prints strace's default abbreviations only"),
    ("recvmsg", "-e read=/-e write=: strace's hex dumps of the data read and written"),
    ("msg_control-v, mmsg*", "-v: strace's unabbreviated arrays (msg_control-v); sendmmsg/recvmmsg (not decoded)"),
    ("select-P, ppoll-P, getdents-v, getdents64-v, ppoll-v, ioctl_termios-v, prctl-seccomp-filter-v", "-P path filter and -v: strace-only output modes (prctl-seccomp-filter-v also decodes the BPF program, which argtrace does not read)"),
    ("prctl-*-success*, prctl-spec-inject, prctl-fp-mode", "-e inject=prctl:retval=: strace's fault injection changes what the kernel returns; argtrace only reads"),
    ("prctl-sve*, prctl-sme*, prctl-pac-*, prctl-tagged-addr*, prctl-sched-core*, prctl-syscall-user-dispatch, prctl-set_vma", "options whose argument shapes are not transcribed (src/decode/prctl.rs prints their arguments in hex) or arm64-only ones; their -X variants are strace-only styles"),
    ("sched_xetaffinity--pidns-translation", "--pidns-translation: strace's pid namespace translation"),
    ("arch_prctl", "its arch_prctl.sh harness reads the program's own output first (not run yet)"),
    ("getuid-creds, geteuid-creds, getgid-creds, getegid-creds and their 32 variants", "-e %creds: the same programs and calls as getuid ... (which run), traced through strace's class"),
    ("select's i386 build (I386_SYSCALL_CASES runs every other test's)", "it skips itself: i386's __NR_select is the old select of one struct pointer, and its select calls are _newselect's and the old select's tests (I386_ONLY_CASES: _newselect, oldselect, oldselect-efault)"),
];

/// Differences that are expected, with the reason: (test, a piece of the
/// oracle's line, why).
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "clone-flags",
        "<anon_inode:[pidfd]>]",
        "the program prints the pidfd as strace -y does (clone-flags.test runs strace -y); argtrace prints plain strace's [N], as the log of this run does",
    ),
    (
        "select",
        "select(2147483647, [3 4], [], []",
        "an nfds of 2^31-1: strace reads its sets up to 1M descriptors, argtrace up to 1728 (bpf/syscall.h's fd set slot) and prints the addresses",
    ),
    (
        "pwritev",
        "iov_len=5}",
        "an array of more than 4 iovecs: strace -s7 prints 7 of them, argtrace's entry slot holds 4 (bpf/syscall.h ARGTRACE_SYSCALL_IOV_N) and prints `...` after them",
    ),
    (
        "_newselect",
        "_newselect(2147483647, [3 4], [], []",
        "as select's (the i386 call of the same test program)",
    ),
    (
        "oldselect",
        "select(2147483647, [3 4], [], []",
        "as select's (the same lines, made through i386's old select of one struct pointer)",
    ),
];

/// Where Debian's strace source is: deps_strace_source fetches it once.
fn strace_source() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(". scripts/deps.sh && deps_strace_source")
        .current_dir(repo)
        .stderr(Stdio::inherit())
        .output()
        .expect("run bash");
    assert!(out.status.success(), "deps_strace_source failed (root and Debian's apt sources are needed)");
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
}

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Configures the source once and builds the programs in tests/ (and
/// tests-m32/ when `gcc -m32` links a program): make rebuilds only what is missing.
fn build(src: &Path) -> Vec<(&'static str, PathBuf)> {
    if !src.join("config.status").exists() {
        // mpers is strace's own multi-personality build, not needed for its tests.
        run_ok(
            Command::new("./configure").args(["--quiet", "--enable-mpers=check"]).current_dir(src),
            "strace's configure",
        );
    }
    let names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    let syscall_names: Vec<&str> = SYSCALL_CASES.iter().map(|c| c.name).collect();
    let mut dirs = vec![("x86_64", src.join("tests"))];
    let m32 = Command::new("sh")
        .arg("-c")
        .arg("echo 'int main(void){return 0;}' | gcc -m32 -x c -o /dev/null - 2>/dev/null")
        .status()
        .is_ok_and(|s| s.success());
    if std::env::consts::ARCH == "x86_64" && m32 {
        dirs.push(("i386", src.join("tests-m32")));
    }
    for (abi, dir) in &dirs {
        let mut flags = vec!["-s".to_string(), "-j2".to_string()];
        if *abi == "i386" {
            // <asm/...> for -m32 without the gcc-multilib package (scripts/deps.sh says why):
            // the x86_64 headers serve both, as that package's /usr/include/asm link would.
            let shim = dir.join("asm-shim");
            if !shim.join("asm").exists() {
                std::fs::create_dir_all(&shim).expect("asm shim");
                std::os::unix::fs::symlink("/usr/include/x86_64-linux-gnu/asm", shim.join("asm")).expect("asm link");
            }
            flags.push(format!("CPPFLAGS=-idirafter {}", shim.display()));
        }
        // scno.h first, alone: it is a generated header that libtests.a's
        // objects include, and make -j2 given both goals at once builds them
        // side by side (on a fresh source tree, get_sigset_size.c then finds no scno.h).
        run_ok(Command::new("make").args(&flags).arg("scno.h").current_dir(dir), "make scno.h");
        run_ok(Command::new("make").args(&flags).arg("libtests.a").current_dir(dir), "make libtests.a");
        run_ok(Command::new("make").args(&flags).args(&names).current_dir(dir), "make the test programs");
        if *abi == "x86_64" {
            run_ok(Command::new("make").args(&flags).args(&syscall_names).current_dir(dir), "make the syscall tests");
        } else {
            let only = I386_ONLY_CASES.iter().map(|c| c.name);
            run_ok(
                Command::new("make").args(&flags).args(I386_SYSCALL_CASES).args(only).current_dir(dir),
                "make the i386 syscall tests",
            );
        }
    }
    dirs
}

/// Lines per thread; a line without a pid belongs to `main`.
type PerTid = BTreeMap<u32, Vec<String>>;

/// The call name a line starts with, if it is one of `calls`.
fn call_of<'a>(line: &str, calls: &[&'a str]) -> Option<&'a str> {
    let name = line.split('(').next()?;
    calls.iter().find(|c| **c == name).copied()
}

/// strace's lines (the log, or the program's expected output) per thread:
/// `<unfinished ...>` and `<... resumed>` halves joined, the padding before
/// ` = ` taken out, only argtrace's calls kept.
fn strace_lines(text: &str, main: u32, calls: &[&str]) -> PerTid {
    let mut per_tid = PerTid::new();
    for (tid, call) in common::strace_calls(text, Some(main)).into_iter().filter(|(_, c)| call_of(c, calls).is_some()) {
        per_tid.entry(tid).or_default().push(call);
    }
    per_tid
}

/// argtrace's lines per thread, the `comm pid/tid ` prefix taken off; and
/// the first line's pid.
fn argtrace_lines(text: &str, per_tid: &mut PerTid) -> Option<u32> {
    let mut first = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (_comm, ids, call) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let Some((pid, tid)) = ids.split_once('/') else { panic!("no pid/tid in argtrace line: {line}") };
        let (Ok(pid), Ok(tid)) = (pid.parse::<u32>(), tid.parse::<u32>()) else {
            panic!("no pid/tid in argtrace line: {line}")
        };
        first.get_or_insert(pid);
        per_tid.entry(tid).or_default().push(call.to_string());
    }
    first
}

/// One oracle's comparison: lines compared, identical, listed, and the
/// unlisted differences.
#[derive(Default)]
struct Tally {
    compared: usize,
    same: usize,
    listed: usize,
    differences: Vec<String>,
}

/// Compares an oracle's lines with argtrace's, per thread and per call in
/// order. The program's own output covers only its part of the run (after
/// the loader's mmaps): `from_first_match` aligns it at the first argtrace
/// line equal to its first.
fn compare(test: &str, oracle: &PerTid, argtrace: &PerTid, from_first_match: bool, calls: &[&str]) -> Tally {
    let mut t = Tally::default();
    for (tid, expected) in oracle {
        let got = argtrace.get(tid).cloned().unwrap_or_default();
        for call in calls {
            let e: Vec<&String> = expected.iter().filter(|l| call_of(l, calls) == Some(call)).collect();
            let mut g: Vec<&String> = got.iter().filter(|l| call_of(l, calls) == Some(call)).collect();
            // The program prints only the calls it makes on purpose.
            if from_first_match && e.is_empty() {
                continue;
            }
            if from_first_match {
                let start = g.iter().position(|l| *l == e[0]).unwrap_or(g.len().saturating_sub(e.len()));
                g.drain(..start);
                g.truncate(e.len());
            }
            for i in 0..e.len().max(g.len()) {
                t.compared += 1;
                let (e, g) = (e.get(i).map(|s| s.as_str()), g.get(i).map(|s| s.as_str()));
                if e == g {
                    t.same += 1;
                } else if KNOWN_DIFFERENCES
                    .iter()
                    .any(|(name, piece, _)| *name == test && e.is_some_and(|e| e.contains(piece)))
                {
                    t.listed += 1;
                } else {
                    t.differences.push(format!(
                        "tid {tid} {call} #{i}\n      oracle:   {}\n      argtrace: {}",
                        e.unwrap_or("(none)"),
                        g.unwrap_or("(none)")
                    ));
                }
            }
        }
    }
    t
}

/// What one case gave.
struct Outcome {
    row: String,
    differences: Vec<String>,
    /// What argtrace said at start-up about 32-bit processes.
    said: Vec<String>,
}

/// clone-flags.test's first pass: the child stack the program expects
/// (its regex's first alternative, in pages, times 0x1000) and the one strace
/// reports, for CHILD_STACK_EXPECTED and CHILD_STACK_REPORTED.
fn clone_flags_stacks(program: &Path, dir: &Path) -> (String, String) {
    let log = dir.join("pass1.log");
    let out = Command::new("strace")
        .args(["-e", "signal=none", "-e", "trace=clone", "-o"])
        .arg(&log)
        .arg(program)
        .stdin(Stdio::null())
        .output()
        .expect("strace");
    assert!(out.status.success(), "clone-flags' first pass: {}", out.status);
    let exp = String::from_utf8_lossy(&out.stdout);
    let expected = exp.split("child_stack=(").nth(1).and_then(|s| s.split('|').next()).expect("expected stack");
    let log = std::fs::read_to_string(&log).expect("log");
    let reported = log.split("child_stack=").nth(1).and_then(|s| s.split(',').next()).expect("reported stack");
    (format!("{expected}000"), reported.to_string())
}

fn run_case(case: &Case, abi: &str, bindir: &Path, work: &Path) -> Outcome {
    let program = bindir.join(case.name);
    let dir = work.join(format!("{abi}-{}", case.name));
    std::fs::create_dir_all(&dir).expect("work dir");
    let mut env = Vec::new();
    if case.name == "clone-flags" {
        let (e, r) = clone_flags_stacks(&program, &dir);
        env = vec![("CHILD_STACK_EXPECTED", e), ("CHILD_STACK_REPORTED", r)];
    }
    let comm: String = case.name.chars().take(15).collect();
    let mmap = Tracer::spawn("mmap", &["-c", &comm], dir.join("mmap.argtrace"));
    let clone = Tracer::spawn("clone", &["-c", &comm], dir.join("clone.argtrace"));
    let (mmap, clone) = (mmap.ready(), clone.ready());
    let log = dir.join("log");
    // strace -o LOG ... PROGRAM > EXP, fd 3 open for clone_ptrace and clone_parent.
    let exp = std::fs::File::create(dir.join("exp")).expect("exp file");
    let mut cmd = Command::new("strace");
    cmd.arg("-o").arg(&log).args(case.strace).args(["-e", &format!("trace={}", strace_trace_set(abi))]);
    // mmap.test passes the name it found in strace's log: i386's libc maps with mmap2.
    let args = case.args.iter().map(|a| if abi == "i386" && *a == "mmap" { "mmap2" } else { a });
    cmd.arg(&program).args(args).envs(env.iter().map(|(k, v)| (k, v)));
    let fd3 = std::fs::OpenOptions::new().append(true).open("/dev/null").expect("/dev/null");
    let fd3 = std::os::fd::AsRawFd::as_raw_fd(&fd3);
    // SAFETY: dup2 in the forked child, before exec, on descriptors it owns.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::dup2(fd3, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let status = cmd.stdin(Stdio::null()).stdout(exp).stderr(Stdio::null()).status().expect("run strace");
    let (mmap_text, mmap_said) = mmap.stop();
    let (clone_text, clone_said) = clone.stop();
    // strace passes on the program's status: 77 is the harness's skip.
    if status.code() == Some(77) {
        return Outcome {
            row: format!("{:<18} {abi:<6} skipped by the program (exit 77)", case.name),
            differences: vec![],
            said: vec![],
        };
    }
    assert!(status.success(), "{} under strace: {status}", case.name);
    let mut argtrace = PerTid::new();
    let main = argtrace_lines(&mmap_text, &mut argtrace);
    argtrace_lines(&clone_text, &mut argtrace);
    let said: Vec<String> = mmap_said.into_iter().chain(clone_said).filter(|l| l.contains("32-bit")).collect();
    let log = std::fs::read_to_string(&log).expect("strace's log");
    let exp = std::fs::read_to_string(dir.join("exp")).expect("expected output");
    let Some(main) = main else {
        // argtrace saw nothing of the program: right only where it said so at start-up.
        let n: usize = strace_lines(&log, 0, CALLS).values().map(|v| v.len()).sum();
        let row = format!(
            "{:<18} {abi:<6} not seen ({n} lines in strace's log){}",
            case.name,
            if said.is_empty() { ", and argtrace did not say so" } else { ", as argtrace said at start-up" }
        );
        let differences = if abi != "x86_64" && !said.is_empty() {
            vec![]
        } else {
            vec![format!("{abi} {}: argtrace printed nothing (and did not say why)", case.name)]
        };
        return Outcome { row, differences, said };
    };
    let by_program = compare(case.name, &strace_lines(&exp, main, CALLS), &argtrace, true, CALLS);
    let by_log = compare(case.name, &strace_lines(&log, main, CALLS), &argtrace, false, CALLS);
    let first = by_program.differences.first().or(by_log.differences.first());
    let listed = by_program.listed + by_log.listed;
    let row = format!(
        "{:<18} {abi:<6} program {:>3}/{:<3} log {:>3}/{:<3}{}{}",
        case.name,
        by_program.same,
        by_program.compared,
        by_log.same,
        by_log.compared,
        if listed > 0 { format!(" ({listed} listed)") } else { String::new() },
        first.map(|d| format!("\n    first difference: {d}")).unwrap_or_default()
    );
    let differences = by_program
        .differences
        .iter()
        .map(|d| format!("{abi} {} (program's output): {d}", case.name))
        .chain(by_log.differences.iter().map(|d| format!("{abi} {} (strace's log): {d}", case.name)))
        .collect();
    Outcome { row, differences, said: vec![] }
}

/// A syscall case's figures, both oracles.
struct SyscallOutcome {
    row: String,
    by_program: Tally,
    by_log: Tally,
}

/// argtrace's lines of the program (comm `comm`, first 15 bytes of its
/// name, then its process whatever name it gives itself: prctl-name) per
/// thread, and its first pid: argtrace -f also traced strace.
fn argtrace_lines_of(text: &str, comm: &str, per_tid: &mut PerTid) -> Option<u32> {
    let mut first = None;
    for line in text.lines() {
        // (a comm may be empty or hold spaces: the ids are the first `pid/tid` word)
        let Some((c, rest)) = ids_split(line) else { panic!("no pid/tid in argtrace line: {line}") };
        let (ids, call) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some((Ok(pid), Ok(tid))) = ids.split_once('/').map(|(p, t)| (p.parse::<u32>(), t.parse::<u32>())) else {
            panic!("no pid/tid in argtrace line: {line}")
        };
        if c != comm && first != Some(pid) {
            continue;
        }
        first.get_or_insert(pid);
        // (strace says once that the process runs in 32-bit mode; argtrace marks each line)
        let call = call.strip_prefix("[i386] ").unwrap_or(call);
        per_tid.entry(tid).or_default().push(call.to_string());
    }
    first
}

/// An argtrace line's comm and the rest from its `pid/tid` word on.
fn ids_split(line: &str) -> Option<(&str, &str)> {
    let mut at = 0;
    for word in line.split(' ') {
        let is_ids = word.split_once('/').is_some_and(|(p, t)| {
            !p.is_empty()
                && !t.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && t.bytes().all(|b| b.is_ascii_digit())
        });
        if is_ids {
            return Some((line[..at].trim_end_matches(' '), &line[at..]));
        }
        at += word.len() + 1;
    }
    None
}

fn run_syscall_case(case: &SyscallCase, abi: &str, bindir: &Path, work: &Path) -> SyscallOutcome {
    let program = bindir.join(case.name);
    let dir = work.join(format!("syscall-{abi}-{}", case.name));
    std::fs::create_dir_all(&dir).expect("work dir");
    let trace: Vec<&str> = if case.trace.is_empty() { vec![case.name] } else { case.trace.to_vec() };
    let set = format!("trace={}", trace.join(","));
    // (an i386 call that compat.rs maps to a native one by the native one's row)
    // (and one only 32-bit tasks make, _llseek, by its 32-bit row)
    let calls: Vec<&str> =
        trace.iter().copied().filter(|c| ROWS.iter().chain(COMPAT_ROWS).any(|r| r.name == native_name(c))).collect();
    let (at_out, log) = (dir.join("argtrace"), dir.join("log"));
    let exp = std::fs::File::create(dir.join("exp")).expect("exp file");
    let mut cmd = Command::new(common::ARGTRACE);
    // msg_control makes 18 000 sendmsg calls in a second under strace, 6 MB
    // of records: the test build's renderer (unoptimized, several times
    // slower than the release one, which loses none of them with the
    // default 4 MiB ring) fell behind on a fresh machine and argtrace counted
    // 2 301 of them lost. The comparison needs every line, so the ring holds
    // the whole run, as tests/strace_programs.rs's does; the loss itself is
    // asserted exact by tests/live.rs's one-page ring.
    cmd.args(["syscall", "--ringbuf-size", "32M", "-f", "-e", &set]).args(case.argtrace).arg("-o").arg(&at_out);
    cmd.args(["--", "strace", "-o"]).arg(&log).args(case.strace).args(["-e", &set]).arg(&program);
    let full = std::fs::OpenOptions::new().append(true).open("/dev/full").expect("/dev/full");
    let full = std::os::fd::AsRawFd::as_raw_fd(&full);
    let fds = case.full_fds;
    // SAFETY: dup2 in the forked child, before exec, on descriptors it owns.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            for fd in fds {
                if libc::dup2(full, *fd) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    // The programs write their sample files in the working directory.
    let out =
        cmd.current_dir(&dir).stdin(Stdio::null()).stdout(exp).stderr(Stdio::piped()).output().expect("run argtrace");
    let said = String::from_utf8_lossy(&out.stderr);
    let (empty, empty2) = (Tally::default(), Tally::default());
    if out.status.code() == Some(77) {
        let row = format!("{:<18} {abi:<6} skipped by the program (exit 77)", case.name);
        return SyscallOutcome { row, by_program: empty, by_log: empty2 };
    }
    assert!(out.status.success(), "{} under strace under argtrace: {}\n{said}", case.name, out.status);
    assert!(said.contains(", 0 lost"), "{}: argtrace lost events or did not count them:\n{said}", case.name);
    let comm: String = case.name.chars().take(15).collect();
    let mut argtrace = PerTid::new();
    let text = std::fs::read_to_string(&at_out).expect("argtrace's output");
    // None: argtrace printed none of the program's calls; strace's lines, if any, then all differ.
    let main = argtrace_lines_of(&text, &comm, &mut argtrace).unwrap_or(0);
    if !case.paths.is_empty() {
        for lines in argtrace.values_mut() {
            lines.retain(|l| case.paths.iter().any(|p| l.contains(&format!("\"{p}\""))));
        }
    }
    let log = std::fs::read_to_string(&log).expect("strace's log");
    let exp = std::fs::read_to_string(dir.join("exp")).expect("expected output");
    let by_program = compare(case.name, &strace_lines(&exp, main, &calls), &argtrace, true, &calls);
    let by_log = compare(case.name, &strace_lines(&log, main, &calls), &argtrace, false, &calls);
    let first = by_program.differences.first().or(by_log.differences.first());
    let listed = by_program.listed + by_log.listed;
    let row = format!(
        "{:<18} {abi:<6} program {:>3}/{:<3} log {:>3}/{:<3}{}{}",
        case.name,
        by_program.same,
        by_program.compared,
        by_log.same,
        by_log.compared,
        if listed > 0 { format!(" ({listed} listed)") } else { String::new() },
        first.map(|d| format!("\n    first difference: {d}")).unwrap_or_default()
    );
    SyscallOutcome { row, by_program, by_log }
}

/// strace's -e trace= set: i386 has mmap2 besides the old mmap.
fn strace_trace_set(abi: &str) -> &'static str {
    if abi == "i386" {
        "mmap,mmap2,clone,clone3,fork,vfork"
    } else {
        "mmap,clone,clone3,fork,vfork"
    }
}

#[test]
fn strace_test_suite_lines() {
    let started = Instant::now();
    let src = strace_source();
    let dirs = build(&src);
    let built = started.elapsed();
    let work = std::env::temp_dir().join(format!("argtrace-strace-suite-{}", std::process::id()));
    let mut table = String::new();
    let mut failures = Vec::new();
    let mut said: Vec<String> = Vec::new();
    let _ = writeln!(table, "strace 6.1 test suite ({}), argtrace per test:", src.display());
    for (abi, dir) in &dirs {
        for case in CASES {
            let outcome = run_case(case, abi, dir, &work);
            let _ = writeln!(table, "{}", outcome.row);
            failures.extend(outcome.differences);
            for line in outcome.said {
                if !said.contains(&line) {
                    said.push(line);
                }
            }
        }
    }
    // The syscall tests: measured, both oracles, against a floor.
    let _ =
        writeln!(table, "argtrace syscall (its decoded syscalls' tests; lines of decoded calls identical/compared):");
    // (identical, compared, listed) per oracle
    let (mut program, mut log) = ((0, 0, 0), (0, 0, 0));
    let mut syscall_differences = Vec::new();
    let i386 = dirs.iter().find(|(abi, _)| *abi == "i386").map(|(_, d)| d);
    let runs = SYSCALL_CASES.iter().map(|c| (c, "x86_64", &dirs[0].1)).chain(i386.into_iter().flat_map(|d| {
        let both = SYSCALL_CASES.iter().filter(|c| I386_SYSCALL_CASES.contains(&c.name));
        both.chain(I386_ONLY_CASES).map(move |c| (c, "i386", d))
    }));
    for (case, abi, bindir) in runs {
        let outcome = run_syscall_case(case, abi, bindir, &work);
        let _ = writeln!(table, "{}", outcome.row);
        let (p, l) = (&outcome.by_program, &outcome.by_log);
        program = (program.0 + p.same, program.1 + p.compared, program.2 + p.listed);
        log = (log.0 + l.same, log.1 + l.compared, log.2 + l.listed);
        syscall_differences
            .extend(p.differences.iter().map(|d| format!("{} {abi} (program's output): {d}", case.name)));
        syscall_differences.extend(l.differences.iter().map(|d| format!("{} {abi} (strace's log): {d}", case.name)));
    }
    let pct = |same: usize, of: usize| 100.0 * same as f64 / of.max(1) as f64;
    let _ = writeln!(
        table,
        "argtrace syscall overall: program {}/{} ({:.1} %; {:.1} % beyond the {} listed), log {}/{} ({:.1} %; {:.1} % beyond the {} listed); floor {SYSCALL_FLOOR_PERCENT} % of each beyond the listed",
        program.0,
        program.1,
        pct(program.0, program.1),
        pct(program.0, program.1 - program.2),
        program.2,
        log.0,
        log.1,
        pct(log.0, log.1),
        pct(log.0, log.1 - log.2),
        log.2,
    );
    for (what, (same, compared, listed)) in [("program's output", program), ("strace's log", log)] {
        if (same as f64) < SYSCALL_FLOOR_PERCENT / 100.0 * (compared - listed) as f64 {
            failures.push(format!(
                "argtrace syscall against the {what}: {same}/{} beyond the listed, under the floor",
                compared - listed
            ));
        }
    }
    if SYSCALL_FLOOR_PERCENT >= 100.0 {
        failures.extend(syscall_differences);
    }
    if !said.is_empty() {
        let _ = writeln!(table, "argtrace said at start-up:");
    }
    for line in &said {
        let _ = writeln!(table, "  {line}");
    }
    if dirs.len() == 1 {
        let _ = writeln!(table, "i386: not built (no gcc -m32 here, or not x86_64)");
    }
    let _ = writeln!(table, "not run:");
    for (tests, why) in NOT_RUN {
        let _ = writeln!(table, "  {tests}: {why}");
    }
    let _ = writeln!(table, "listed differences:");
    for (test, piece, why) in KNOWN_DIFFERENCES {
        let _ = writeln!(table, "  {test} `{piece}`: {why}");
    }
    let _ = writeln!(table, "time: {:.0?} to fetch and build, {:.0?} in all", built, started.elapsed());
    print!("{table}");
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../strace-suite.txt");
    let _ = std::fs::write(&report, &table);
    let _ = std::fs::remove_dir_all(&work);
    assert!(failures.is_empty(), "{table}\nunlisted differences:\n{}", failures.join("\n"));
}
