//! The socket subjects (sock, tcp-send, skb) under faults, issue 17: each
//! test here failed before its fix. No silent widening of what is traced, no
//! silent loss, no panic, and every refusal one `argtrace: ...` line with its
//! documented exit code. Runs as root on the running kernel.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};

use common::ARGTRACE;

/// Runs argtrace with stderr going to `stderr`; returns the exit code.
fn exit_code_with_stderr(args: &[&str], stderr: Stdio) -> Option<i32> {
    Command::new(ARGTRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .expect("run argtrace")
        .code()
}

/// A pipe whose reading end is already closed: a write to it fails (EPIPE).
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe() fills the two descriptors, which are then owned here.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] is ours and closed once.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is an open descriptor that nothing else owns.
    Stdio::from(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) })
}

/// Defect 7: a closed or full stderr never panics (exit 101), and the run's
/// own exit code stands: 0 for a run that ended normally, 2 for a bad
/// command line, for each kind of subject.
#[test]
fn a_closed_or_full_stderr_never_panics() {
    for args in [&["sock", "-d", "1"][..], &["mmap", "-d", "1"], &["skb", "-d", "1"]] {
        let full = File::options().write(true).open("/dev/full").expect("/dev/full");
        assert_eq!(exit_code_with_stderr(args, full.into()), Some(0), "{args:?} 2>/dev/full");
        assert_eq!(exit_code_with_stderr(args, closed_pipe()), Some(0), "{args:?} 2>closed pipe");
    }
    let full = File::options().write(true).open("/dev/full").expect("/dev/full");
    assert_eq!(exit_code_with_stderr(&["sock", "--family", "x"], full.into()), Some(2));
    assert_eq!(exit_code_with_stderr(&["sock", "--cgroup", "/proc"], closed_pipe()), Some(2));
}
