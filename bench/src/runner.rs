//! One measured run: start the workload (it waits), start the tracer on its
//! pid and wait until it is attached (start-up), note the tracer's CPU time,
//! let the workload go, read its loop time, stop the tracer, reap it with
//! rusage (CPU time, peak RSS) and count its output lines that are the
//! workload's calls.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::bpfinfo::{self, ProgStat};
use crate::contender::{self, Contender, Launch, Ready, Stop, Tools};
use crate::sys;
use crate::workload::Workload;

/// Where the processes run: the workload on one CPU, the tracer (and the TCP
/// listener) on another, so one producer runs at full rate against one consumer.
#[derive(Clone, Copy, Debug)]
pub struct Pinning {
    pub tracer: usize,
    pub workload: usize,
}

pub struct Settings {
    pub bench: PathBuf,
    pub argtrace: PathBuf,
    pub pin: Option<Pinning>,
    /// Where tracer output files go while they are counted.
    pub scratch: PathBuf,
    pub keep_output: bool,
    /// Read every new BPF program's run time and count around the loop
    /// (kernel.bpf_stats must be on; it adds two clock reads per program run).
    pub bpf_stats: bool,
}

/// The figures of one run. Tracer figures are None for the baseline.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    /// The workload's own loop time.
    pub elapsed_ns: u64,
    /// Calls of the loop that failed (expected 0).
    pub failures: u64,
    /// Output lines that are the workload's calls.
    pub events: Option<u64>,
    /// argtrace's own `N events, M lost` (stderr) or JSON summary.
    pub reported_events: Option<u64>,
    pub reported_lost: Option<u64>,
    /// Tracer CPU time (user + system) from attach to exit: the run and the drain.
    pub tracer_cpu_ns: Option<u64>,
    /// Spawn to the attach message.
    pub startup_ns: Option<u64>,
    pub maxrss_kib: Option<u64>,
    pub exit_code: Option<i32>,
    /// Anything odd (non-zero exit, forced kill), for the report.
    pub note: Option<String>,
    /// With bpf_stats: the tracer's programs that ran during the loop.
    pub bpf_progs: Option<Vec<ProgStat>>,
}

impl RunResult {
    /// Start-up in the tables' unit.
    pub fn startup_ms(&self) -> Option<f64> {
        self.startup_ns.map(|t| t as f64 / 1e6)
    }

    /// Peak RSS in the tables' unit.
    pub fn rss_mib(&self) -> Option<f64> {
        self.maxrss_kib.map(|k| k as f64 / 1024.0)
    }
}

struct WorkloadProc {
    child: std::process::Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pid: i32,
    port: u16,
}

fn spawn_workload(set: &Settings, w: Workload, calls: u64) -> Result<WorkloadProc, String> {
    let mut cmd = Command::new(&set.bench);
    cmd.args(["workload", w.name(), &calls.to_string()]);
    if let Some(p) = set.pin {
        cmd.args(["--cpu", &p.workload.to_string(), "--listener-cpu", &p.tracer.to_string()]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the workload: {e}"))?;
    let stdin = child.stdin.take().expect("piped");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    let port = match line.trim().strip_prefix("ready ").and_then(|p| p.parse().ok()) {
        Some(p) => p,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the workload did not get ready (said {:?})", line.trim()));
        }
    };
    let pid = child.id() as i32;
    Ok(WorkloadProc { child, stdin, stdout, pid, port })
}

impl WorkloadProc {
    /// Sends the go byte and returns (loop ns, failures) once the loop is done.
    fn go(mut self) -> Result<(u64, u64), String> {
        self.stdin.write_all(b"g").and_then(|_| self.stdin.flush()).map_err(|e| format!("go: {e}"))?;
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        let _ = self.child.wait();
        let mut it = line.split_whitespace();
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some("elapsed_ns"), Some(ns), Some("failures"), Some(f)) => Ok((
                ns.parse().map_err(|_| format!("bad workload line {line:?}"))?,
                f.parse().map_err(|_| format!("bad workload line {line:?}"))?,
            )),
            _ => Err(format!("the workload ended without its figures (said {:?})", line.trim())),
        }
    }

    fn abandon(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tracer's stderr, line by line, each with the time it was read.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<(u64, String)>>>);

impl Lines {
    fn collect(r: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let sink = lines.clone();
        thread::spawn(move || {
            let mut r = BufReader::new(r);
            let mut buf = Vec::new();
            while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                sink.0.lock().expect("lines").push((sys::monotonic_ns(), line));
                buf.clear();
            }
        });
        lines
    }
    fn first(&self, pred: impl Fn(&str) -> bool) -> Option<(u64, String)> {
        self.0.lock().expect("lines").iter().find(|(_, l)| pred(l)).cloned()
    }
    fn tail(&self, n: usize) -> String {
        let v = self.0.lock().expect("lines");
        let skip = v.len().saturating_sub(n);
        v.iter().skip(skip).map(|(_, l)| l.as_str()).collect::<Vec<_>>().join(" | ")
    }
}

/// Runs workload `w` with `calls` calls under contender `c` (`extra` is added
/// to argtrace's arguments).
pub fn run_one(set: &Settings, w: Workload, c: Contender, calls: u64, extra: &[&str]) -> Result<RunResult, String> {
    let wl = spawn_workload(set, w, calls)?;
    let output = set.scratch.join(format!("{}-{}-{}.out", w.name(), c.key(), wl.pid));
    let tools = Tools { argtrace: &set.argtrace, bench: &set.bench };
    let Some(mut launch) = contender::launch(c, w, &tools, wl.pid, wl.port, &output) else {
        let (elapsed_ns, failures) = wl.go()?;
        return Ok(RunResult { elapsed_ns, failures, ..Default::default() });
    };
    if c.is_argtrace() {
        launch.args.extend(extra.iter().map(|s| s.to_string()));
    }
    let result = trace_one(set, wl, &launch, calls);
    if !set.keep_output {
        let _ = std::fs::remove_file(&output);
    }
    result
}

fn trace_one(set: &Settings, wl: WorkloadProc, launch: &Launch, calls: u64) -> Result<RunResult, String> {
    let _ = calls;
    let mut cmd = Command::new(&launch.program);
    cmd.args(&launch.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(p) = set.pin {
        let cpu = p.tracer;
        // SAFETY: the closure runs between fork and exec and only calls
        // sched_setaffinity, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let _ = sys::pin_self_to_cpu(cpu);
                Ok(())
            });
        }
    }
    let t0 = sys::monotonic_ns();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            wl.abandon();
            return Err(format!("cannot start {}: {e}", launch.program.display()));
        }
    };
    let pid = child.id() as i32;
    let lines = Lines::collect(child.stderr.take().expect("piped"));

    let startup_ns = match wait_ready(launch, pid, t0, &lines) {
        Ok(ns) => ns,
        Err(e) => {
            sys::signal(pid, libc::SIGKILL);
            let _ = sys::reap_within(pid, Duration::from_secs(5));
            wl.abandon();
            return Err(e);
        }
    };
    let owned = if set.bpf_stats { bpfinfo::prog_ids_of(pid) } else { Default::default() };
    let before = if set.bpf_stats { bpfinfo::snapshot() } else { Default::default() };
    let cpu_at_go = sys::process_cpu_ns(pid);
    let (elapsed_ns, failures) = match wl.go() {
        Ok(v) => v,
        Err(e) => {
            sys::signal(pid, libc::SIGKILL);
            let _ = sys::reap_within(pid, Duration::from_secs(5));
            return Err(e);
        }
    };
    let bpf_progs = set.bpf_stats.then(|| bpfinfo::delta(&owned, &before, &bpfinfo::snapshot()));
    if launch.stop == Stop::WhenQuiet {
        wait_quiet(pid, launch.output.as_deref());
    }
    if !is_zombie(pid) {
        sys::signal(pid, libc::SIGINT);
    }
    let (exit, in_time) = sys::reap_within(pid, Duration::from_secs(120));
    // The reader thread has seen EOF once the tracer is gone; give it a moment.
    thread::sleep(Duration::from_millis(5));

    let mut note = Vec::new();
    if !in_time {
        note.push("did not stop within 120 s after SIGINT: killed".to_string());
    }
    if exit.code != 0 {
        note.push(format!("exit status {}: {}", exit.code, lines.tail(3)));
    }
    let mut r = RunResult {
        elapsed_ns,
        failures,
        tracer_cpu_ns: Some(exit.cpu_ns.saturating_sub(cpu_at_go)),
        startup_ns: Some(startup_ns),
        maxrss_kib: Some(exit.maxrss_kib),
        exit_code: Some(exit.code),
        bpf_progs,
        ..Default::default()
    };
    if let Some(out) = &launch.output {
        let (matched, summary) = count_lines(out, &launch.signature);
        r.events = Some(matched);
        if let Some((e, d)) = summary {
            r.reported_events = Some(e);
            r.reported_lost = Some(d);
        }
    }
    if let Some((_, l)) = lines.first(|l| l.starts_with("argtrace: ") && l.ends_with(" lost")) {
        if let Some((e, d)) = parse_argtrace_summary(&l) {
            r.reported_events = Some(e);
            r.reported_lost = Some(d);
        }
    }
    if !note.is_empty() {
        r.note = Some(note.join("; "));
    }
    Ok(r)
}

/// Waits until the tracer says (or shows) it is attached; returns start-up ns.
fn wait_ready(launch: &Launch, pid: i32, t0: u64, lines: &Lines) -> Result<u64, String> {
    let limit = 60_000_000_000u64;
    let mut attach_msg_at: Option<u64> = None;
    let mut perf_fds = (0usize, 0u64, 0u64); // (count, since, first seen at this count)
    loop {
        let now = sys::monotonic_ns();
        match &launch.ready {
            Ready::StderrPrefix(p) => {
                if let Some((t, _)) = lines.first(|l| l.starts_with(p.as_str())) {
                    return Ok(t.saturating_sub(t0));
                }
            }
            Ready::BpfTracepoints(attach, n) => {
                if attach_msg_at.is_none() {
                    let text = launch.output.as_ref().and_then(|o| std::fs::read_to_string(o).ok()).unwrap_or_default();
                    if text.contains(attach.as_str()) {
                        attach_msg_at = Some(now);
                    }
                }
                if attach_msg_at.is_some() && bpfinfo::attached_tracepoints(pid) >= *n {
                    return Ok(attach_msg_at.unwrap_or(now).saturating_sub(t0));
                }
            }
            Ready::PerfEventFds => {
                let n = perf_event_fds(pid);
                if n != perf_fds.0 {
                    perf_fds = (n, now, now);
                } else if n > 0 && now - perf_fds.1 > 100_000_000 {
                    // Settled for 100 ms; a further 50 ms for the enable that follows the opens.
                    thread::sleep(Duration::from_millis(50));
                    return Ok(perf_fds.2.saturating_sub(t0));
                }
            }
        }
        if is_zombie(pid) || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            thread::sleep(Duration::from_millis(20));
            return Err(format!("{} exited before it was attached: {}", launch.program.display(), lines.tail(4)));
        }
        if now - t0 > limit {
            return Err(format!("{} did not attach within 60 s: {}", launch.program.display(), lines.tail(4)));
        }
        thread::sleep(Duration::from_micros(500));
    }
}

fn perf_event_fds(pid: i32) -> usize {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|t| t.to_string_lossy().contains("perf_event"))
        .count()
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// Waits until a tracer is idle (under 2 ms of CPU per 250 ms) and its output
/// file stopped growing, or it has exited; at most 120 s.
fn wait_quiet(pid: i32, output: Option<&Path>) {
    let size = || output.and_then(|o| std::fs::metadata(o).ok()).map_or(0, |m| m.len());
    let start = sys::monotonic_ns();
    let (mut cpu, mut len) = (sys::process_cpu_ns(pid), size());
    let mut stable_since = start;
    loop {
        if is_zombie(pid) {
            return;
        }
        thread::sleep(Duration::from_millis(25));
        let (c, l) = (sys::process_cpu_ns(pid), size());
        let now = sys::monotonic_ns();
        if c.saturating_sub(cpu) > 2_000_000 || l != len {
            stable_since = now;
            cpu = c;
            len = l;
        }
        if now - stable_since > 250_000_000 || now - start > 120_000_000_000 {
            return;
        }
    }
}

/// Counts the lines of `path` that match; also returns argtrace's JSON
/// summary line if there is one.
fn count_lines(path: &Path, sig: &contender::Signature) -> (u64, Option<(u64, u64)>) {
    let Ok(f) = File::open(path) else {
        return (0, None);
    };
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut buf = Vec::new();
    let mut n = 0;
    let mut summary = None;
    while matches!(r.read_until(b'\n', &mut buf), Ok(k) if k > 0) {
        let line = String::from_utf8_lossy(&buf);
        if sig.matches(&line) {
            n += 1;
        } else if line.starts_with("{\"summary\": ") {
            summary = parse_json_summary(&line);
        }
        buf.clear();
    }
    (n, summary)
}

/// `argtrace: N events, M lost` (or, with -s, `N calls counted, M lost`;
/// for the subjects of cgroup hooks, sock and skb, `N events counted, M lost`)
fn parse_argtrace_summary(l: &str) -> Option<(u64, u64)> {
    let rest = l.strip_prefix("argtrace: ")?;
    let (e, rest) =
        [" events, ", " calls counted, ", " events counted, "].into_iter().find_map(|sep| rest.split_once(sep))?;
    let d = rest.strip_suffix(" lost")?;
    Some((e.parse().ok()?, d.parse().ok()?))
}

/// `{"summary": {"events": N, "dropped": M}}`
fn parse_json_summary(l: &str) -> Option<(u64, u64)> {
    let num_after = |key: &str| -> Option<u64> {
        let i = l.find(key)? + key.len();
        let digits: String = l[i..].trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    };
    Some((num_after("\"events\":")?, num_after("\"dropped\":")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_summaries() {
        assert_eq!(parse_argtrace_summary("argtrace: 12 events, 3 lost"), Some((12, 3)));
        assert_eq!(parse_argtrace_summary("argtrace: 1015 calls counted, 0 lost"), Some((1015, 0)));
        assert_eq!(parse_argtrace_summary("argtrace: 6000 events counted, 2 lost"), Some((6000, 2)));
        assert_eq!(parse_argtrace_summary("argtrace: tracing 3 hooks"), None);
        assert_eq!(parse_json_summary("{\"summary\": {\"events\": 7, \"dropped\": 0}}\n"), Some((7, 0)));
    }
}
