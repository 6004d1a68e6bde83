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

/// argtrace tracing one subject into a file (the side-by-side tests against strace).
pub struct Tracer {
    child: std::process::Child,
    out: std::path::PathBuf,
    /// What argtrace said on stderr before it was ready.
    said: Vec<String>,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Tracer {
    /// Starts `argtrace SUBJECT ARGS... -o OUT` without waiting: several
    /// tracers load their programs at once, then `ready` waits for each.
    // The child is handed to the caller, who waits for it in `stop`; the only other path is a panic.
    #[allow(clippy::zombie_processes)]
    pub fn spawn(subject: &str, args: &[&str], out: std::path::PathBuf) -> Tracer {
        use std::io::BufRead;
        let mut child = Command::new(ARGTRACE)
            .arg(subject)
            .args(args)
            .arg("-o")
            .arg(&out)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start argtrace");
        let stderr = child.stderr.take().expect("piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Tracer { child, out, said: Vec::new(), lines }
    }

    /// Waits (at most a minute) until argtrace says it is tracing.
    pub fn ready(mut self) -> Tracer {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let line = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
                .unwrap_or_else(|_| panic!("argtrace never said it was tracing: {:?}", self.said));
            if line.starts_with("argtrace: tracing") {
                return self;
            }
            self.said.push(line);
        }
    }

    /// Stops argtrace cleanly (SIGINT): its output, and what it said on
    /// stderr (none of which may report lost events).
    pub fn stop(mut self) -> (String, Vec<String>) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let status = self.child.wait().expect("wait for argtrace");
        assert!(status.success(), "argtrace ended with {status}");
        let mut said = self.said;
        said.extend(self.lines.try_iter());
        assert!(!said.iter().any(|l| l.contains(" lost") && !l.contains(" 0 lost")), "argtrace lost events: {said:?}");
        (std::fs::read_to_string(&self.out).expect("read argtrace's output"), said)
    }
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

/// strace's calls in order as (tid, line): `<unfinished ...>` and `<... resumed>`
/// halves joined, the padding before ` = ` taken out. A line that does not start
/// with a thread id (strace without -f) belongs to `main`, or is skipped when
/// `main` is None.
pub fn strace_calls(text: &str, main: Option<u32>) -> Vec<(u32, String)> {
    let mut calls = Vec::new();
    let mut unfinished: std::collections::BTreeMap<u32, String> = Default::default();
    for line in text.lines() {
        let (tid, rest) = match line.split_once(' ').map(|(t, r)| (t.parse::<u32>(), r)) {
            Some((Ok(tid), rest)) => (tid, rest.trim_start()),
            _ => match main {
                Some(main) => (main, line),
                None => continue,
            },
        };
        if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            unfinished.insert(tid, head.to_string());
            continue;
        }
        let full = if rest.starts_with("<... ") {
            let tail = rest.split_once(" resumed>").map(|x| x.1).unwrap_or(rest);
            format!("{}{}", unfinished.remove(&tid).unwrap_or_default(), tail)
        } else {
            rest.to_string()
        };
        let full = match full.rfind(" = ") {
            Some(i) => format!("{} = {}", full[..i].trim_end(), &full[i + 3..]),
            None => full,
        };
        calls.push((tid, full));
    }
    calls
}
