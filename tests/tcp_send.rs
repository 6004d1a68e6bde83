//! tcp-send's own options on the command line: each bad value is one
//! `argtrace: ...` line and exit status 2, before any BPF work; --peek 0 and
//! 4096 are accepted. (What the subject shows is checked by the e2e suite:
//! tests/live.rs here, `cargo xtask vm` in every guest.)

use std::process::{Command, Output, Stdio};

const ARGTRACE: &str = env!("CARGO_BIN_EXE_argtrace");

fn run(args: &[&str]) -> Output {
    Command::new(ARGTRACE).args(args).stdin(Stdio::null()).output().expect("run argtrace")
}

fn assert_usage_error(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(out.status.code(), Some(2), "{args:?}: exit code; stderr: {stderr}");
    assert_eq!(lines.len(), 1, "{args:?}: one line expected, got: {stderr}");
    assert!(lines[0].starts_with("argtrace: ") && lines[0].contains(needle), "{args:?}: '{needle}' not in: {stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_options_are_usage_errors() {
    assert_usage_error(&["tcp-send", "--peek", "4097"], "--peek 4097 is more than 4096 bytes");
    assert_usage_error(&["tcp-send", "--peek", "many"], "--peek");
    assert_usage_error(&["tcp-send", "--port", "0"], "--port");
    assert_usage_error(&["tcp-send", "--port", "65536"], "--port");
    assert_usage_error(&["tcp-send", "-4", "-6"], "cannot be used with");
    assert_usage_error(&["tcp-send", "--family", "inet", "-6"], "cannot be used with");
}

#[test]
fn the_edges_of_peek_are_accepted() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    for peek in ["0", "4096"] {
        let out = run(&["tcp-send", "--peek", peek, "--probe", "tracepoint", "-d", "100ms"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "--peek {peek}: {stderr}");
        assert!(stderr.contains("argtrace: tracing tcp-send with tracepoint probes"), "{stderr}");
    }
}

#[test]
fn help_names_the_options() {
    let out = run(&["tcp-send", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--peek <N>", "--family <FAMILY>", "--port <P>", "-4", "-6"] {
        assert!(help.contains(option), "{option} not in:\n{help}");
    }
}
