//! `argtrace syscall`'s decoders side by side with strace 6.1 (issue 19):
//! tests/triggers/decoders.c makes calls with flags, modes, commands and
//! signals it chose, under `strace -f` while `argtrace syscall` traces the
//! same program by name; every line strace prints for the calls whose
//! decoders are transcribed (src/subject/syscall/decoders.rs) must be
//! argtrace's line for the same thread, letter for letter (strace's column-40
//! padding taken out). Root, gcc and strace (scripts/test.sh installs them)
//! are needed.

use std::collections::BTreeMap;
use std::process::Command;

mod common;

/// The calls compared: those whose every argument the decoders spell as
/// strace does.
const CALLS: &[&str] = &[
    "openat",
    "lseek",
    "access",
    "faccessat2",
    "mkdir",
    "mkdirat",
    "umask",
    "dup",
    "dup2",
    "dup3",
    "unlinkat",
    "rmdir",
    "fchmodat",
    "fchmod",
    "fchownat",
    "flock",
    "epoll_create1",
    "eventfd2",
    "mmap",
    "mprotect",
    "madvise",
    "munmap",
    "brk",
    "socket",
    "listen",
    "shutdown",
    "kill",
    "tgkill",
    "fsync",
    "ftruncate",
    "fdatasync",
    "close_range",
    "renameat2",
    "fcntl",
    "setpgid",
    "getppid",
    "sched_yield",
    "close",
    "pipe2",
    "fstat",
    "newfstatat",
    "prlimit64",
    "nanosleep",
    "clock_getres",
    "rt_sigaction",
    "rt_sigprocmask",
    "uname",
    "wait4",
    "bind",
    "getsockname",
    "connect",
    "accept",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "sendto",
    "writev",
    "readv",
    "poll",
    "ppoll",
    "epoll_ctl",
    "epoll_wait",
    "statx",
    "ioctl",
    "execve",
    "rt_sigreturn",
    "read",
    "write",
    "pread64",
    "pwrite64",
    "sigaltstack",
    "sysinfo",
    "rseq",
    "waitid",
    "statfs",
    "fstatfs",
    "openat2",
    "select",
    "pselect6",
    "getdents64",
    "sendmsg",
    "recvmsg",
    "sched_getaffinity",
    "sched_setaffinity",
    "prctl",
    "chdir",
    "sendfile",
];

fn per_tid(calls: Vec<(u32, String)>) -> BTreeMap<u32, Vec<String>> {
    let mut m: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (tid, call) in calls {
        m.entry(tid).or_default().push(call);
    }
    m
}

/// argtrace's lines as (tid, call): its `comm pid/tid ` prefix taken off.
fn argtrace_calls(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .map(|line| {
            let (_comm, rest) = line.split_once(' ').expect("comm");
            let (ids, call) = rest.split_once(' ').expect("pid/tid");
            let tid = ids.split_once('/').and_then(|(_, t)| t.parse().ok()).expect("tid");
            (tid, call.to_string())
        })
        .collect()
}

#[test]
fn decoded_calls_are_straces_lines() {
    let dir = std::env::temp_dir().join(format!("argtrace-decoders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    // The name the tracer filters on (the kernel's comm: 15 bytes at most).
    let bin = dir.as_path().join("atdecoders");
    let built = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/triggers/decoders.c"))
        .output()
        .expect("run gcc");
    assert!(built.status.success(), "gcc: {}", String::from_utf8_lossy(&built.stderr));
    let work = dir.as_path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let list = CALLS.join(",");
    let tracer = common::Tracer::spawn(
        "syscall",
        &["-c", "atdecoders", "-e", &format!("trace={list}")],
        dir.as_path().join("argtrace.out"),
    )
    .ready();
    let log = dir.as_path().join("strace.out");
    // Under cargo the dynamic loader tries each directory of its library
    // path first: openat with paths longer than the string limit, which
    // strace prints whole.
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "signal=none", "-e", &format!("trace={list}"), "-o"])
        .arg(&log)
        .arg(&bin)
        .arg(&work)
        .status()
        .expect("run strace");
    assert!(status.success(), "the trigger under strace: {status}");
    let (ours, _said) = tracer.stop();
    // strace's first line is the trigger's own execve, made while the task
    // was still strace's child (argtrace's -c sees it under that name).
    let start = format!("execve(\"{}\", ", bin.display());
    let theirs = common::strace_calls(&std::fs::read_to_string(&log).expect("strace's log"), None);
    let theirs = per_tid(theirs.into_iter().filter(|(_, call)| !call.starts_with(&start)).collect());
    let ours = per_tid(argtrace_calls(&ours));
    assert_eq!(theirs.len(), 1, "one thread: {theirs:?}");
    let mut differences = Vec::new();
    let mut compared = 0;
    for (tid, lines) in &theirs {
        let got = ours.get(tid).cloned().unwrap_or_default();
        for (i, want) in lines.iter().enumerate() {
            compared += 1;
            match got.get(i) {
                Some(g) if g == want => {}
                g => differences.push(format!("strace:   {want}\nargtrace: {}", g.map_or("(none)", String::as_str))),
            }
        }
        if got.len() > lines.len() {
            differences.push(format!("argtrace has {} more lines: {:?}", got.len() - lines.len(), &got[lines.len()..]));
        }
    }
    // The trigger's own calls are all there (beside the C library's start-up).
    assert!(compared >= 50, "only {compared} lines compared");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differences.is_empty(), "{} of {compared} lines differ:\n{}", differences.len(), differences.join("\n"));
}
