//! Hostile input and odd endings (root, this machine's kernel, whatever mode
//! auto finds): names that try to forge lines or drive the terminal come out
//! escaped; every number on the command line is range-checked without a
//! panic; a bad --btf file is blamed on the file; FIFOs never hang the
//! start-up; a thread id given to -p is named; every ending prints the
//! counts; a privilege that is missing is named, with exit 3.

use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{assert_one_line_error as one_line, named_mmap, run, start, ARGTRACE};

const NAMES: &[(&[u8], &str)] = &[
    (b"\nroot 1/1 x", "\\nroot 1/1 x"),
    (b"\x1b[2Jclear", "\\33[2Jclear"),
    (b"quo\"te", "quo\\\"te"),
    (b"back\\slash", "back\\\\slash"),
    (b"del\x7f", "del\\177"),
    (b"hi\xff", "hi\\377"),
    (b"hi\xfe", "hi\\376"),
    (b"", ""),
];

/// Each name's mmap, seen through argtrace with `extra` arguments; returns
/// the whole output and the pids with their lengths.
fn trace_names(extra: &[&str]) -> (String, Vec<(u32, usize)>) {
    let mut args = vec!["mmap", "-u", "0"];
    args.extend_from_slice(extra);
    let (child, _stderr) = start(&args, Stdio::piped());
    let runs: Vec<(u32, usize)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let len = 0x1230_0000 + i * 4096;
            (named_mmap(name, len), len)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("argtrace output");
    assert!(out.status.success());
    (String::from_utf8(out.stdout).expect("text output is always UTF-8"), runs)
}

#[test]
fn names_cannot_forge_lines_or_reach_the_terminal() {
    let (text, runs) = trace_names(&[]);
    for line in text.lines() {
        assert!(!line.bytes().any(|b| b < 0x20 || b == 0x7f), "raw control byte in: {line:?}");
    }
    // This test's children only: other processes of the machine map too.
    let ours: Vec<&str> =
        text.lines().filter(|l| runs.iter().any(|(pid, _)| l.contains(&format!(" {pid}/{pid} mmap(")))).collect();
    for ((_, shown), (pid, len)) in NAMES.iter().zip(&runs) {
        let expected =
            format!("{shown} {pid}/{pid} mmap(NULL, {len}, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x");
        let matching: Vec<&&str> = ours.iter().filter(|l| l.contains(&format!(" {pid}/{pid} "))).collect();
        assert_eq!(matching.len(), 1, "one line for pid {pid}: {ours:#?}");
        assert!(matching[0].starts_with(&expected), "expected {expected:?}, got {:?}", matching[0]);
    }
    // One line per event: no name split a line in two.
    assert_eq!(ours.len(), NAMES.len(), "{ours:#?}");
}

#[test]
fn json_keeps_every_name_distinct_and_valid() {
    let (json, runs) = trace_names(&["--json"]);
    let mut comms = Vec::new();
    for (_, (pid, len)) in NAMES.iter().zip(&runs) {
        let line = json
            .lines()
            .find(|l| l.contains(&format!("\"pid\": {pid},")) && l.contains(&format!("\"len\": {len},")))
            .unwrap_or_else(|| panic!("no JSON line for pid {pid}"));
        let comm_at = line.find("\"comm\": ").expect("comm");
        // The task's names end where its cgroup begins.
        let end = line.find(", \"cgroup_id\"").expect("cgroup_id");
        comms.push(line[comm_at..end].to_string());
    }
    assert!(comms[0].starts_with("\"comm\": \"\\nroot 1/1 x\""), "{}", comms[0]);
    assert!(comms[1].starts_with("\"comm\": \"\\u001b[2Jclear\""), "{}", comms[1]);
    // hi\xff and hi\xfe: not UTF-8, so given byte for byte as well.
    assert!(comms[5].ends_with("\"comm_bytes\": [104, 105, 255]"), "{}", comms[5]);
    assert!(comms[6].ends_with("\"comm_bytes\": [104, 105, 254]"), "{}", comms[6]);
    let distinct: std::collections::BTreeSet<&String> = comms.iter().collect();
    assert_eq!(distinct.len(), comms.len(), "{comms:#?}");
}

#[test]
fn every_number_is_range_checked() {
    for opt in ["-d", "-n", "--ringbuf-size", "-p", "--tid", "-u"] {
        for value in ["99999999999999999999999999", "-1", "0", "1.5"] {
            let out = run(&["mmap", opt, value, "-d", "1"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{opt} {value}: {stderr}");
            let code = out.status.code();
            // A value that is valid (-u 0, -d 1.5) may run; all others end in one line.
            if code != Some(0) {
                assert!(matches!(code, Some(2) | Some(4)), "{opt} {value}: {code:?} {stderr}");
                assert_eq!(stderr.lines().count(), 1, "{opt} {value}: {stderr}");
            }
        }
    }
    one_line(&run(&["mmap", "-d", "99999999999999999999h"]), 2, "is too long");
    one_line(&run(&["mmap", "-d", "18446744073709551616s"]), 2, "is too long");
    one_line(&run(&["mmap", "-d", "0"]), 2, "must be longer than zero");
    one_line(&run(&["mmap", "-n", "0"]), 2, "--count must be at least 1");
}

#[test]
fn a_bad_btf_file_is_blamed_on_the_file() {
    let dir = std::env::temp_dir().join(format!("argtrace-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let random = dir.join("random");
    std::fs::write(&random, b"\x12\x34 this is no BTF at all, just bytes").unwrap();
    let truncated = dir.join("truncated");
    let real = std::fs::read("/sys/kernel/btf/vmlinux").expect("this kernel's BTF");
    std::fs::write(&truncated, &real[..4096]).unwrap();
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for (file, why) in [
        ("/dev/null".into(), "not a regular file"),
        (dir.clone(), "not a regular file"),
        (random.clone(), "no BTF magic"),
        (truncated.clone(), "its header does not match its size"),
        (fifo.clone(), "not a regular file"),
        (dir.join("missing"), "No such file or directory"),
    ] {
        let shown = file.display().to_string();
        one_line(&run(&["mmap", "--btf", &shown, "-d", "1"]), 7, &format!("{shown} is not a BTF file: {why}"));
    }
    // An --output FIFO is refused at once instead of waiting for a reader.
    let started = Instant::now();
    one_line(&run(&["mmap", "-o", fifo.to_str().unwrap(), "-d", "1"]), 6, "it is a FIFO");
    assert!(started.elapsed() < Duration::from_secs(20));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_thread_id_given_to_pid_names_tid() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let worker = std::thread::spawn(move || {
        // SAFETY: gettid has no preconditions.
        tx.send(unsafe { libc::gettid() } as u32).unwrap();
        let _ = stop_rx.recv();
    });
    let tid = rx.recv().unwrap();
    let pid = std::process::id();
    one_line(
        &run(&["mmap", "-p", &tid.to_string()]),
        2,
        &format!("{tid} is a thread of process {pid}, not a process id: use --tid {tid}"),
    );
    stop_tx.send(()).unwrap();
    worker.join().unwrap();
}

#[test]
fn a_missing_subcommand_is_named() {
    one_line(&run(&[]), 2, "a subcommand is missing: one of clone, mmap, tcp-connect");
}

/// The last stderr line of a run that ended by `how`.
fn counts_after(how: impl FnOnce(&mut Child), stdout: Stdio) -> (Option<i32>, Vec<String>) {
    let (mut child, stderr) = start(&["mmap"], stdout);
    how(&mut child);
    let status = child.wait().expect("wait");
    let rest: Vec<String> = stderr.iter().collect();
    (status.code(), rest)
}

#[test]
fn every_ending_prints_the_counts() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let (code, lines) = counts_after(
            // SAFETY: kill(2) on our own child.
            |c| unsafe {
                libc::kill(c.id() as i32, sig);
            },
            Stdio::null(),
        );
        assert_eq!(code, Some(0), "signal {sig}: {lines:?}");
        assert!(
            lines.last().is_some_and(|l| l.ends_with(" lost") && l.starts_with("argtrace: ")),
            "signal {sig}: {lines:?}"
        );
    }
    // A closed pipe: the counts still reach stderr, and the exit is clean.
    let (code, lines) = counts_after(
        |c| {
            let mut out = c.stdout.take().expect("piped");
            let mut first = [0u8; 1];
            let _ = out.read(&mut first);
            drop(out);
            let _ = named_mmap(b"pipe-closer", 4096);
            let _ = named_mmap(b"pipe-closer", 4096);
        },
        Stdio::piped(),
    );
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(lines.last().is_some_and(|l| l.ends_with(" lost")), "{lines:?}");
    // -d and -n.
    let out = run(&["mmap", "-d", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").ends_with(" lost"));
    // An output that fails: exit 6 and one line that still carries the counts.
    let out = run(&["mmap", "--json", "-o", "/dev/full", "-d", "1", "-u", "4000000"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert!(last.contains("No space left on device") && last.contains("0 events, 0 lost"), "{stderr}");
}

/// argtrace run as `nobody` with these ambient capabilities (setpriv, util-linux).
fn as_nobody(caps: &str, args: &[&str]) -> Output {
    // A copy nobody can reach: the build tree may sit under a root-only directory.
    let copy = std::env::temp_dir().join(format!("argtrace-nobody-{}", std::process::id()));
    std::fs::copy(ARGTRACE, &copy).expect("copy argtrace");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]);
    if !caps.is_empty() {
        cmd.arg(format!("--inh-caps={caps}")).arg(format!("--ambient-caps={caps}"));
    }
    let out = cmd.arg(&copy).args(args).stdin(Stdio::null()).output().expect("run setpriv");
    let _ = std::fs::remove_file(&copy);
    out
}

#[test]
fn without_root_the_missing_privilege_is_named() {
    use std::os::unix::fs::PermissionsExt;
    one_line(
        &as_nobody("", &["mmap", "-d", "1"]),
        3,
        "missing privilege: run as root, or with CAP_BPF and CAP_PERFMON",
    );
    // Tracepoint mode reads tracefs: as nobody that works only where tracefs
    // lets others in, or with CAP_DAC_READ_SEARCH.
    let _ = run(&["mmap", "--probe", "tracepoint", "-d", "0.1"]); // mounts tracefs if it is not
    let tracefs = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .into_iter()
        .find(|d| std::path::Path::new(d).join("events").exists())
        .expect("tracefs is mounted");
    let mode = std::fs::metadata(tracefs).expect("stat tracefs").permissions().mode();
    let out = as_nobody("+bpf,+perfmon", &["mmap", "--probe", "tracepoint", "-d", "1"]);
    if mode & 0o005 == 0o005 {
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    } else {
        one_line(&out, 3, &format!("tracefs at {tracefs} is not readable by this user"));
    }
    let out = as_nobody("+bpf,+perfmon,+dac_read_search", &["mmap", "--probe", "tracepoint", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("argtrace: tracing mmap with tracepoint probes"), "{stderr}");
}
