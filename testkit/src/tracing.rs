//! Starting argtrace and waiting until it traces: argtrace says `argtrace:
//! tracing ...` on stderr once every probe is attached, and nothing a test
//! does before that line can be seen. Its stderr is read on a thread, line
//! by line, so that argtrace never blocks on a full pipe, and the lines
//! after the ready one stay at hand for the checks of its last words
//! (`argtrace: N events, M lost`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The start of the line argtrace prints once it traces.
pub const READY: &str = "argtrace: tracing";

/// A started argtrace, its stderr read line by line on a thread.
pub struct Tracer {
    pub child: Child,
    /// Its stderr lines taken so far (up to the ready line, once it came).
    pub seen: Vec<String>,
    /// The lines after those, as they come.
    pub stderr: mpsc::Receiver<String>,
}

impl Tracer {
    /// Spawns `cmd` (an argtrace command line; its stdin and stdout as the
    /// caller set them) with stderr piped.
    pub fn spawn(cmd: &mut Command) -> Result<Tracer, String> {
        let mut child = cmd
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", cmd.get_program().to_string_lossy()))?;
        let stderr = line_reader(child.stderr.take().expect("piped"));
        Ok(Tracer { child, seen: Vec::new(), stderr })
    }

    /// Waits until `deadline` for the ready line. A child that never gets
    /// there is killed and reaped, and the error says how it ended and what
    /// it said.
    pub fn wait_ready(&mut self, deadline: Instant) -> Result<(), String> {
        while let Ok(line) = self.stderr.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let ready = line.starts_with(READY);
            self.seen.push(line);
            if ready {
                return Ok(());
            }
        }
        let _ = self.child.kill();
        let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
        Err(format!("argtrace never said it was tracing ({status}); stderr: {}", self.seen.join(" | ")))
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Its stderr lines up to the end of the stream, once the child ended
    /// (at most `limit` more): those seen, then the rest.
    pub fn stderr_lines(&mut self, limit: Duration) -> Vec<String> {
        let mut all = std::mem::take(&mut self.seen);
        all.extend(rest_of(&self.stderr, limit));
        all
    }
}

/// Spawns `cmd` as `Tracer::spawn` does and waits up to `limit` for its
/// ready line.
pub fn spawn_tracing(cmd: &mut Command, limit: Duration) -> Result<Tracer, String> {
    let mut t = Tracer::spawn(cmd)?;
    t.wait_ready(Instant::now() + limit)?;
    Ok(t)
}

/// Reads a child's output on a thread, line by line, to its end.
pub fn line_reader(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end even when nobody listens any more, so that the
        // child never blocks on a full pipe.
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// Reads a child's output to its end on a thread.
pub fn collect(r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = BufReader::new(r).read_to_string(&mut s);
        s
    })
}

/// The lines a reader has not yet handed over, up to the end of the stream
/// (the child has exited, so its end comes at once) or at most `limit`.
/// `try_iter` is not enough: after the child exits, the reader thread may
/// still be reading its last line, argtrace's `N events, M lost`.
pub fn rest_of(rx: &mpsc::Receiver<String>, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        lines.push(line);
    }
    lines
}

/// Waits up to `limit` for the child to end; then kills and reaps it, and
/// says None.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_ready_line_and_keeps_the_rest() {
        let script = "echo 'argtrace: probe mode tracepoint (auto)' >&2; echo 'argtrace: tracing mmap' >&2; \
                      read go; echo 'argtrace: 0 events, 0 lost' >&2";
        let mut t =
            spawn_tracing(Command::new("sh").args(["-c", script]).stdin(Stdio::piped()), Duration::from_secs(10))
                .expect("the ready line");
        assert_eq!(t.seen, ["argtrace: probe mode tracepoint (auto)", "argtrace: tracing mmap"]);
        drop(t.child.stdin.take());
        assert!(wait_timeout(&mut t.child, Duration::from_secs(10)).is_some_and(|s| s.success()));
        let all = t.stderr_lines(Duration::from_secs(10));
        assert_eq!(all.last().map(String::as_str), Some("argtrace: 0 events, 0 lost"));
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn a_child_that_never_traces_is_an_error_with_its_words() {
        let err = spawn_tracing(
            Command::new("sh").args(["-c", "echo 'argtrace: no BTF' >&2; exit 5"]),
            Duration::from_secs(10),
        )
        .err()
        .expect("no ready line");
        assert!(err.contains("exit status: 5") && err.contains("argtrace: no BTF"), "{err}");
    }
}
