//! What the command-line test files share: running argtrace, starting it
//! until it traces (argtrace-testkit's, as the e2e suite does), and checking
//! that an error is one `argtrace: ...` line with its documented exit code.
#![allow(dead_code)]

use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use argtrace_testkit::tracing::spawn_tracing;

pub const ARGTRACE: &str = env!("CARGO_BIN_EXE_argtrace");

/// Runs argtrace to its end with no standard input.
pub fn run(args: &[&str]) -> Output {
    Command::new(ARGTRACE).args(args).stdin(Stdio::null()).output().expect("run argtrace")
}

/// Starts argtrace (no stdin, `stdout` as given) and waits up to 60 s for
/// its `argtrace: tracing` line; returns it and its later stderr lines.
pub fn start(args: &[&str], stdout: Stdio) -> (Child, Receiver<String>) {
    let t =
        spawn_tracing(Command::new(ARGTRACE).args(args).stdin(Stdio::null()).stdout(stdout), Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("argtrace {args:?}: {e}"));
    (t.child, t.stderr)
}

/// Exit `code`, exactly one stderr line starting with `argtrace: ` and
/// containing `needle`, no panic, and nothing on stdout.
pub fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {stderr}");
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(lines[0].starts_with("argtrace: "), "{stderr}");
    assert!(lines[0].contains(needle), "'{needle}' not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout for an error");
}

/// A child process named `name` (prctl) that maps `len` bytes PROT_NONE and exits.
pub fn named_mmap(name: &[u8], len: usize) -> u32 {
    let mut buf = [0u8; 16];
    buf[..name.len()].copy_from_slice(name);
    // SAFETY: the child only makes async-signal-safe system calls (prctl,
    // mmap, _exit) before it ends; the parent waits for it.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            libc::prctl(libc::PR_SET_NAME, buf.as_ptr());
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
            libc::_exit(0);
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        pid as u32
    }
}
