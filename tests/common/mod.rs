//! What the command-line test files share: running argtrace and checking
//! that an error is one `argtrace: ...` line with its documented exit code.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

pub const ARGTRACE: &str = env!("CARGO_BIN_EXE_argtrace");

/// Runs argtrace to its end with no standard input.
pub fn run(args: &[&str]) -> Output {
    Command::new(ARGTRACE).args(args).stdin(Stdio::null()).output().expect("run argtrace")
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
