//! Live tests on this machine's own kernel (root required): the end-to-end
//! suite of argtrace-e2e in tracepoint mode, the only mode this kernel runs,
//! with auto expected to choose it and fentry and kprobe expected to be
//! refused with the clear error. The same suite runs in every mode inside the
//! QEMU guests (`cargo xtask vm`).

use std::path::PathBuf;
use std::process::Command;

/// Builds argtrace-e2e (another package of the workspace) and returns its path.
fn e2e_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "argtrace-e2e"])
        .status()
        .expect("run cargo build -p argtrace-e2e");
    assert!(status.success(), "building argtrace-e2e failed");
    let argtrace = PathBuf::from(env!("CARGO_BIN_EXE_argtrace"));
    argtrace.with_file_name("argtrace-e2e")
}

#[test]
fn tracepoint_mode_shows_exactly_what_the_triggers_did() {
    let out = Command::new(e2e_binary())
        .args([
            "suite",
            "--argtrace",
            env!("CARGO_BIN_EXE_argtrace"),
            "--modes",
            "tracepoint",
            "--expect-auto",
            "tracepoint",
            "--unavailable",
            "fentry,kprobe",
        ])
        .output()
        .expect("run argtrace-e2e");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<&str> = stdout.lines().filter(|l| l.starts_with("E2E-RESULT ")).collect();
    let failures: Vec<&&str> = results.iter().filter(|l| l.contains(" FAIL ")).collect();
    assert!(failures.is_empty(), "failed cases:\n{}", failures.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n"));
    // mmap, clone, tcp-inet6, tcp-inet, sigkill, summary, durations, auto,
    // two refused modes, no BTF.
    assert_eq!(results.len(), 11, "expected 11 case results:\n{stdout}");
    assert!(stdout.contains("E2E-DONE passed=11 failed=0"), "{stdout}");
    assert!(out.status.success());
}
