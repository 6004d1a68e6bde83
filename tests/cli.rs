//! The command line's promises: every bad input gets one `argtrace: ...` line
//! and its documented exit code (never a panic or libbpf's log), and every
//! clean stop (--duration, --count, SIGINT, SIGTERM, a closed pipe) exits 0
//! with the summary. Runs as root on whatever kernel is running: what a forced
//! probe mode must do follows from the modes that kernel has.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use argtrace_testkit::tracing::rest_of;
use common::{assert_one_line_error, run, start, ARGTRACE};

#[test]
fn unknown_family_is_a_usage_error() {
    let out = run(&["tcp-connect", "--family", "ipx"]);
    assert_one_line_error(&out, 2, "invalid value 'ipx' for '--family <FAMILY>'");
}

#[test]
fn unknown_probe_mode_is_a_usage_error() {
    let out = run(&["mmap", "--probe", "uprobe"]);
    assert_one_line_error(&out, 2, "invalid value 'uprobe' for '--probe <PROBE>'");
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let out = run(&["execve"]);
    assert_one_line_error(&out, 2, "unrecognized subcommand 'execve'");
}

#[test]
fn bad_values_are_usage_errors() {
    assert_one_line_error(
        &run(&["mmap", "--comm", "a-name-of-16-chr"]),
        2,
        "--comm 'a-name-of-16-chr' must be 1 to 15 bytes",
    );
    assert_one_line_error(&run(&["mmap", "--duration", "5 parsecs"]), 2, "unknown unit");
    assert_one_line_error(&run(&["mmap", "--ringbuf-size", "5000"]), 2, "must be a power of two");
    assert_one_line_error(&run(&["mmap", "--count", "0"]), 2, "--count must be at least 1");
    assert_one_line_error(&run(&["tcp-connect", "-4", "-6"]), 2, "cannot be used with");
}

#[test]
fn bad_syscall_expressions_are_usage_errors() {
    assert_one_line_error(&run(&["syscall", "-e", "trace=%nosuch"]), 2, "unknown syscall class '%nosuch'");
    assert_one_line_error(&run(&["syscall", "-e", "trace=nosuchcall"]), 2, "no syscall named 'nosuchcall'");
    assert_one_line_error(&run(&["syscall", "-e", "trace=/("]), 2, "not a valid regular expression");
    assert_one_line_error(&run(&["syscall", "--string-limit", "5000"]), 2, "--string-limit 5000 is more than 4096");
}

#[test]
fn syscall_has_the_raw_syscall_modes_only() {
    for mode in ["fentry", "kprobe", "tracepoint", "cgroup", "socket"] {
        let needle = format!("syscall has no {mode} probe mode: use --probe auto, tp_btf or raw_tp");
        assert_one_line_error(&run(&["syscall", "--probe", mode]), 2, &needle);
    }
    for mode in ["tp_btf", "raw_tp"] {
        assert_one_line_error(&run(&["mmap", "--probe", mode]), 2, &format!("mmap has no {mode} probe mode"));
    }
}

#[test]
fn a_pid_that_does_not_exist() {
    // pid_max is at most 4194304: this pid cannot exist.
    assert_one_line_error(&run(&["mmap", "-p", "4194305"]), 4, "no such pid: 4194305");
    assert_one_line_error(&run(&["clone", "--tid", "4194306"]), 4, "no such tid: 4194306");
}

#[test]
fn missing_btf() {
    let out = run(&["mmap", "--btf", "/nonexistent/vmlinux"]);
    assert_one_line_error(&out, 7, "/nonexistent/vmlinux is not a BTF file: No such file or directory");
}

/// The probe modes the running kernel has, as argtrace-e2e's detection finds
/// them (a trial load and attach per mode, independent of argtrace's own
/// choice; e2e/src/detect.rs), and its `E2E-KERNEL` line.
fn detected_modes() -> (Vec<String>, String) {
    // Built in the profile of the argtrace under test, so that it lands beside it
    // (`cargo test --release` tests target/release/argtrace).
    let dir = std::path::Path::new(ARGTRACE).parent().expect("argtrace's directory");
    let mut args = vec!["build", "--quiet", "-p", "argtrace-e2e"];
    if dir.file_name().is_some_and(|d| d == "release") {
        args.push("--release");
    }
    let status = Command::new(env!("CARGO")).args(&args).status().expect("run cargo build -p argtrace-e2e");
    assert!(status.success(), "building argtrace-e2e failed");
    let e2e = std::path::Path::new(ARGTRACE).with_file_name("argtrace-e2e");
    let out = Command::new(e2e).arg("detect").output().expect("run argtrace-e2e detect");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "argtrace-e2e detect failed: {stdout}");
    let line = stdout.lines().find(|l| l.starts_with("E2E-KERNEL ")).expect("an E2E-KERNEL line").to_string();
    let modes = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("modes="))
        .expect("modes=")
        .split(',')
        .filter(|m| *m != "none")
        .map(String::from)
        .collect();
    (modes, line)
}

#[test]
fn forced_modes_work_exactly_where_the_kernel_has_them() {
    let (modes, kernel) = detected_modes();
    println!("{kernel}");
    for mode in ["fentry", "kprobe", "tracepoint"] {
        if modes.iter().any(|m| m == mode) {
            // The kernel has it: forcing it traces, and says so.
            let out = run(&["mmap", "--probe", mode, "-p", "1", "-d", "1s"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "--probe {mode} on a kernel that has it ({kernel}): {stderr}");
            assert!(stderr.lines().any(|l| l == format!("argtrace: probe mode {mode} (forced)")), "{stderr}");
            assert!(stderr.contains("argtrace: tracing "), "{stderr}");
        } else {
            // The kernel lacks it: one line naming the mode, exit 5, for any subject.
            let needle = format!("probe mode {mode} is not available on this kernel: ");
            assert_one_line_error(&run(&["clone", "--probe", mode]), 5, &needle);
            assert_one_line_error(&run(&["mmap", "--probe", mode]), 5, &needle);
        }
    }
}

#[test]
fn output_file_that_cannot_be_written() {
    let out = run(&["mmap", "-o", "/nonexistent-dir/out.txt"]);
    assert_one_line_error(&out, 6, "cannot write /nonexistent-dir/out.txt: No such file or directory");
}

#[test]
fn without_privilege() {
    let out = Command::new(ARGTRACE)
        .args(["mmap"])
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null())
        .output()
        .expect("run argtrace as nobody");
    assert_one_line_error(&out, 3, "missing privilege");
}

/// Creates `n` processes (each a clone of the shell).
fn spawn_processes(n: usize) -> u32 {
    let child = Command::new("sh")
        .args(["-c", &format!("for i in $(seq {n}); do head -c 1 /dev/zero >/dev/null; done")])
        .spawn()
        .unwrap();
    let pid = child.id();
    let _ = child.wait_with_output();
    pid
}

#[test]
fn sigterm_and_sigint_stop_cleanly_with_the_summary() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let (mut child, stderr_rx) = start(&["clone", "--json"], Stdio::piped());
        spawn_processes(3);
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let mut stdout = String::new();
        child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "signal {sig}");
        let last = stdout.lines().last().unwrap_or_default();
        assert!(last.starts_with("{\"summary\": {\"events\": ") && last.ends_with(", \"dropped\": 0}}"), "{stdout}");
        let events = stdout.lines().count() - 1;
        assert!(last.contains(&format!("\"events\": {events},")), "summary counts every line: {stdout}");
        let stderr = rest_of(&stderr_rx, Duration::from_secs(30)).join("\n");
        assert!(stderr.contains(&format!("argtrace: {events} events, 0 lost")), "{stderr}");
    }
}

#[test]
fn duration_ends_the_run() {
    let started = Instant::now();
    let out = run(&["mmap", "--duration", "700ms", "--json", "-p", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() >= Duration::from_millis(700));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().last().unwrap_or_default().starts_with("{\"summary\""), "{stdout}");
}

#[test]
fn count_stops_after_exactly_n_events() {
    let (mut child, _) = start(&["clone", "--count", "2"], Stdio::piped());
    spawn_processes(6);
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "--count 2 did not stop argtrace");
        spawn_processes(1);
    }
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    // Other tests run in parallel: any two creations count, but each is one whole line.
    assert!(stdout.lines().all(|l| (l.contains(" clone") || l.contains("fork(")) && l.contains(") = ")), "{stdout}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(ARGTRACE)
        .args(["clone"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let mut first = String::new();
    while first.is_empty() {
        spawn_processes(1);
        if stdout.read_line(&mut first).unwrap() == 0 {
            // argtrace ended before its first event: say why instead of waiting forever.
            let mut err = String::new();
            stderr.read_to_string(&mut err).unwrap();
            panic!("argtrace ended before printing an event ({:?}): {err}", child.wait().unwrap());
        }
    }
    drop(stdout); // like `| head -1`
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "argtrace did not notice the closed pipe");
        spawn_processes(1);
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();
    assert!(!err.contains("Broken pipe") && !err.contains("panicked"), "{err}");
}

#[test]
fn help_and_version_exit_zero() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("tcp-connect"));
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn uid_comm_and_pid_filters_run_in_the_kernel() {
    let (mut child, _stderr) = start(&["clone", "--json", "-u", "65534", "-c", "sh"], Stdio::piped());
    // The same fork, once as nobody (must show) and once as root (must not).
    let as_nobody = Command::new("sh").args(["-c", "true & wait"]).uid(65534).gid(65534).spawn().unwrap();
    let nobody_pid = as_nobody.id();
    as_nobody.wait_with_output().unwrap();
    let as_root = Command::new("sh").args(["-c", "true & wait"]).spawn().unwrap();
    let root_pid = as_root.id();
    as_root.wait_with_output().unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let events: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("{\"summary\"")).collect();
    assert!(
        events.iter().any(|l| l.contains(&format!("\"pid\": {nobody_pid}, "))),
        "nobody's fork is missing: {stdout}"
    );
    assert!(!stdout.contains(&format!("\"pid\": {root_pid}, ")), "root's fork passed the uid filter: {stdout}");
    assert!(
        events.iter().all(|l| l.contains("\"uid\": 65534, \"comm\": \"sh\"")),
        "an event passed the filters: {stdout}"
    );

    // -p: only the given process.
    let target = Command::new("sh").args(["-c", "read x; true & wait"]).stdin(Stdio::piped()).spawn().unwrap();
    let target_pid = target.id().to_string();
    let (mut child, _stderr) = start(&["clone", "--json", "-p", &target_pid], Stdio::piped());
    spawn_processes(2);
    let mut target = target;
    use std::io::Write;
    target.stdin.take().unwrap().write_all(b"\n").unwrap();
    target.wait().unwrap();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.wait().unwrap();
    let events: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("{\"summary\"")).collect();
    assert_eq!(events.len(), 1, "{stdout}");
    assert!(events[0].contains(&format!("\"pid\": {target_pid}, ")), "{stdout}");
}

#[test]
fn a_command_that_cannot_run_is_one_line_and_the_shells_code() {
    assert_one_line_error(&run(&["mmap", "--", "/nonexistent/cmd"]), 127, "cannot run /nonexistent/cmd: no such file");
    assert_one_line_error(&run(&["mmap", "--", "no-such-command-argtrace"]), 127, "not found in PATH");
    assert_one_line_error(&run(&["mmap", "--", "/etc/passwd"]), 126, "/etc/passwd is not executable");
    assert_one_line_error(&run(&["mmap", "--", "/"]), 126, "/ is a directory");
    assert_one_line_error(&run(&["mmap", "--", ""]), 2, "the command after -- is empty");
}

#[test]
fn follow_needs_a_target_and_takes_pids_or_tids() {
    assert_one_line_error(&run(&["mmap", "-f"]), 2, "-f follows the children of -p or --tid targets or of -- CMD");
    let me = std::process::id().to_string();
    assert_one_line_error(&run(&["mmap", "-f", "-p", &me, "--tid", &me]), 2, "give -p or --tid, not both");
    assert_one_line_error(&run(&["mmap", "--tid", &me, "--", "true"]), 2, "--tid names threads");
}

#[test]
fn a_command_s_status_is_argtrace_s() {
    let status = |script: &str| run(&["mmap", "-d", "60", "--", "sh", "-c", script]).status.code();
    assert_eq!(status("exit 7"), Some(7));
    assert_eq!(status("exit 0"), Some(0));
    assert_eq!(status("kill -KILL $$"), Some(128 + libc::SIGKILL));
    // A command that takes argtrace's own options after -- keeps them.
    assert_eq!(run(&["mmap", "--", "sh", "-c", "exit $#", "sh", "-p", "1", "-f"]).status.code(), Some(3));
}

#[test]
fn stop_signals_go_to_the_command_and_its_death_is_argtrace_s_status() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let (mut child, stderr_rx) = start(&["mmap", "--", "sleep", "60"], Stdio::null());
        let started = Instant::now();
        // SAFETY: signalling our own child (argtrace), which passes it on to sleep.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(128 + sig), "signal {sig}");
        assert!(started.elapsed() < Duration::from_secs(30), "sleep was not ended by the signal");
        let stderr = rest_of(&stderr_rx, Duration::from_secs(10)).join("\n");
        assert!(stderr.contains(" events, 0 lost"), "{stderr}");
    }
}
