//! Side by side with strace: real programs run under `strace -f` while
//! argtrace traces the same calls, and every text line argtrace prints for a
//! thread that strace followed must be strace's line, letter for letter,
//! after argtrace's `comm pid/tid ` prefix. strace pads short lines to column
//! 40 before ` = `; argtrace does not (its prefix already breaks the column),
//! so that padding is the one thing taken out of strace's lines.
//! Root and strace (scripts/test.sh installs it) are needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod common;
use common::ARGTRACE;

/// argtrace tracing one subject into a file, started and ready.
struct Tracer {
    child: Child,
    out: PathBuf,
}

fn start(subject: &str, dir: &Path) -> Tracer {
    let out = dir.join(format!("{subject}.argtrace"));
    let (child, _stderr) = common::start(&[subject, "-o", out.to_str().expect("UTF-8 path")], Stdio::inherit());
    Tracer { child, out }
}

impl Tracer {
    /// Stops argtrace cleanly (SIGINT) and returns its lines.
    fn stop(mut self) -> String {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let status = self.child.wait().expect("wait for argtrace");
        assert!(status.success(), "argtrace ended with {status}");
        std::fs::read_to_string(&self.out).expect("read argtrace's output")
    }
}

/// strace's lines per thread, in order: `<unfinished ...>` and
/// `<... resumed>` halves joined, the column-40 padding taken out.
fn strace_lines(text: &str) -> BTreeMap<u32, Vec<String>> {
    let mut per_tid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (tid, call) in common::strace_calls(text, None) {
        per_tid.entry(tid).or_default().push(call);
    }
    per_tid
}

/// argtrace's lines per thread, the `comm pid/tid ` prefix taken off.
fn argtrace_lines(text: &str) -> BTreeMap<u32, Vec<String>> {
    let mut per_tid: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        // The first ` pid/tid ` token ends the prefix.
        let mut found = None;
        for (i, _) in line.match_indices(' ') {
            let rest = &line[i + 1..];
            let Some((ids, call)) = rest.split_once(' ') else { break };
            if let Some((pid, tid)) = ids.split_once('/') {
                if let (Ok(_), Ok(tid)) = (pid.parse::<u32>(), tid.parse::<u32>()) {
                    found = Some((tid, call.to_string()));
                    break;
                }
            }
        }
        let (tid, call) = found.unwrap_or_else(|| panic!("no pid/tid in argtrace line: {line}"));
        per_tid.entry(tid).or_default().push(call);
    }
    per_tid
}

/// Runs `program` under strace with both tracers live; returns how many
/// lines were compared, or the first differences.
fn side_by_side(dir: &Path, name: &str, program: &[&str]) -> Result<usize, String> {
    let mmap = start("mmap", dir);
    let clone = start("clone", dir);
    let strace_out = dir.join(format!("{name}.strace"));
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "signal=none", "-e", "trace=mmap,clone,clone3,fork,vfork", "-o"])
        .arg(&strace_out)
        .args(program)
        .stdout(Stdio::null())
        .status()
        .expect("run strace (apt-get install strace)");
    assert!(status.success(), "{program:?} under strace: {status}");
    let mut argtrace = argtrace_lines(&mmap.stop());
    for (tid, lines) in argtrace_lines(&clone.stop()) {
        argtrace.entry(tid).or_default().extend(lines);
    }
    let strace = strace_lines(&std::fs::read_to_string(&strace_out).expect("strace output"));
    assert!(!strace.is_empty(), "strace saw nothing for {program:?}");
    let mut differences = Vec::new();
    let mut compared = 0;
    for (tid, expected) in &strace {
        let got = argtrace.get(tid).cloned().unwrap_or_default();
        // The two subjects' lines interleave in time; compare each call's own order.
        for call in ["mmap(", "clone(", "clone3(", "fork(", "vfork("] {
            let e: Vec<&String> = expected.iter().filter(|l| l.starts_with(call)).collect();
            let g: Vec<&String> = got.iter().filter(|l| l.starts_with(call)).collect();
            for i in 0..e.len().max(g.len()) {
                compared += 1;
                let (e, g) = (e.get(i), g.get(i));
                if e != g {
                    differences.push(format!(
                        "{name} tid {tid} {call}) #{i}:\n  strace:   {}\n  argtrace: {}",
                        e.map_or("(none)", |s| s.as_str()),
                        g.map_or("(none)", |s| s.as_str())
                    ));
                }
            }
        }
    }
    if differences.is_empty() {
        Ok(compared)
    } else {
        differences.truncate(8);
        Err(differences.join("\n"))
    }
}

fn threads_program() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "argtrace-e2e", "--bin", "argtrace-threads"])
        .status()
        .expect("cargo build");
    assert!(status.success());
    PathBuf::from(ARGTRACE).with_file_name("argtrace-threads")
}

#[test]
fn text_lines_are_strace_lines() {
    let dir = std::env::temp_dir().join(format!("argtrace-strace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let threads = threads_program();
    let threads = threads.to_str().expect("utf-8 path");
    let programs: [(&str, &[&str]); 4] = [
        ("ls", &["/bin/ls", "-l", "/"]),
        ("threads", &[threads]),
        ("fork", &["/bin/sh", "-c", "/bin/true; /bin/ls / >/dev/null"]),
        ("pipeline", &["/bin/sh", "-c", "/bin/ls / | /bin/cat | /bin/wc -l"]),
    ];
    let mut failures = Vec::new();
    for (name, program) in programs {
        match side_by_side(&dir, name, program) {
            Ok(n) => println!("{name}: {n} lines identical"),
            Err(diff) => failures.push(diff),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "argtrace's lines differ from strace's:\n{}", failures.join("\n"));
}
