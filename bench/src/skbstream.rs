//! The loopback TCP stream benchmark of `argtrace skb`: one process sends
//! about 200 MB over 127.0.0.1 to a receiver process, and the benchmark
//! measures the transfer's throughput and the CPU it costs, with no tracer,
//! with an empty cgroup_skb program on both directions at the cgroup v2 root
//! (the hook's own cost), with `argtrace skb -p SENDER` writing text to a
//! file and writing a pcap (with the default 4 MiB ring buffer, and with 64
//! MiB), and with `tcpdump -i lo -w FILE` on the stream's
//! port as the peer. Each contender runs `--runs` times, interleaved; the
//! table gives medians and min–max, and the ratios to no tracer.
//!
//!   argtrace-bench skb-stream [--mb N] [--runs N] [--quick] [--argtrace PATH] [--out DIR]
//!   argtrace-bench skb-stream-workload MB     (the sender; it forks the receiver)
//!
//! (tcp-send's stream workload, stream.rs, is another thing: sends of 1 KiB in
//! the call benchmarks' cells.)
//!
//! Protocol with the workload: it makes the receiver's listener, forks the
//! receiver, prints `ready <port> <sender pid>` and waits for one byte on
//! stdin; the tracer attaches in between, so the sender's socket is created
//! under argtrace's sock_create hook and owned. Then it connects, writes MB
//! megabytes (256 KiB writes), shuts down its side, waits for the receiver's
//! count of bytes, and prints `elapsed_ns N bytes N cpu_ns N` (the sender's
//! and the receiver's user + system time, which includes the softirqs that
//! ran in them: the loopback's receive path and the cgroup_skb programs).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::json::Json;
use crate::stats::{num, Stat};
use crate::{emptycgroup, sys};

const HELP: &str = "\
argtrace-bench skb-stream: a loopback TCP stream (200 MB) under no tracer, an empty
cgroup_skb program, argtrace skb (text to a file; --pcap) and tcpdump -i lo -w.

usage: cargo run --release -p argtrace-bench -- skb-stream [options]

Options:
  --mb N            megabytes per transfer (default 200; --quick: 50)
  --runs N          runs per contender (default 10; --quick: 3)
  --quick           fewer, smaller runs
  --contender LIST  comma-separated: baseline, empty-cgroup-skb, argtrace-skb,
                    argtrace-skb-pcap, argtrace-skb-pcap-64m, tcpdump (default: all;
                    baseline always runs)
  --argtrace PATH   the argtrace binary (default: cargo build --release -p argtrace)
  --out DIR         where skb-stream.md and skb-stream.json go (default target/bench)
";

const WRITE: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contender {
    Baseline,
    EmptySkb,
    ArgtraceText,
    ArgtracePcap,
    /// --pcap with a 64 MiB ring buffer: what it takes to lose nothing.
    ArgtracePcapBig,
    Tcpdump,
}

impl Contender {
    const ALL: [Contender; 6] = [
        Contender::Baseline,
        Contender::EmptySkb,
        Contender::ArgtraceText,
        Contender::ArgtracePcap,
        Contender::ArgtracePcapBig,
        Contender::Tcpdump,
    ];

    fn key(self) -> &'static str {
        match self {
            Contender::Baseline => "baseline",
            Contender::EmptySkb => "empty-cgroup-skb",
            Contender::ArgtraceText => "argtrace-skb",
            Contender::ArgtracePcap => "argtrace-skb-pcap",
            Contender::ArgtracePcapBig => "argtrace-skb-pcap-64m",
            Contender::Tcpdump => "tcpdump",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Contender::Baseline => "no tracer",
            Contender::EmptySkb => "empty cgroup_skb program (egress + ingress, cgroup v2 root)",
            Contender::ArgtraceText => "`argtrace skb -p SENDER -o FILE`",
            Contender::ArgtracePcap => "`argtrace skb -p SENDER --pcap FILE`",
            Contender::ArgtracePcapBig => "`argtrace skb -p SENDER --pcap FILE --ringbuf-size 64M`",
            Contender::Tcpdump => "`tcpdump -i lo -w FILE tcp port PORT`",
        }
    }
}

/// One transfer under one contender.
#[derive(Debug, Default, Clone)]
struct Run {
    elapsed_ns: u64,
    bytes: u64,
    /// The sender's and the receiver's CPU time.
    workload_cpu_ns: u64,
    /// The tracer's CPU time from its attach to its exit.
    tracer_cpu_ns: u64,
    /// What the tracer said it captured and lost.
    captured: Option<u64>,
    lost: Option<u64>,
    /// The size of what it wrote.
    output_bytes: u64,
}

impl Run {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / (self.elapsed_ns as f64 / 1e9)
    }
    fn total_cpu_ms(&self) -> f64 {
        (self.workload_cpu_ns + self.tracer_cpu_ns) as f64 / 1e6
    }
}

struct Options {
    mb: u64,
    runs: usize,
    contenders: Vec<Contender>,
    argtrace: Option<PathBuf>,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        mb: 200,
        runs: 5,
        contenders: Contender::ALL.to_vec(),
        argtrace: None,
        out: Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
    };
    let (mut mb, mut runs, mut quick) = (None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "--quick" => quick = true,
            "--mb" => mb = Some(value()?.parse::<u64>().ok().filter(|n| *n > 0).ok_or("bad --mb")?),
            "--runs" => runs = Some(value()?.parse::<usize>().ok().filter(|n| *n > 0).ok_or("bad --runs")?),
            "--contender" => {
                let mut list = vec![Contender::Baseline];
                for s in value()?.split(',') {
                    let c =
                        Contender::ALL.into_iter().find(|c| c.key() == s).ok_or(format!("unknown contender `{s}`"))?;
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
                o.contenders = list;
            }
            "--argtrace" => o.argtrace = Some(PathBuf::from(value()?)),
            "--out" => o.out = PathBuf::from(value()?),
            other => return Err(format!("unexpected argument `{other}`\n\n{HELP}")),
        }
    }
    o.mb = mb.unwrap_or(if quick { 50 } else { 200 });
    o.runs = runs.unwrap_or(if quick { 3 } else { 10 });
    Ok(Some(o))
}

/// `argtrace-bench skb-stream ...`: never returns.
pub fn main(args: &[String]) -> ! {
    let code = match parse(args) {
        Ok(None) => 0,
        Ok(Some(o)) => match run(&o, args) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("argtrace-bench skb-stream: {e}");
                1
            }
        },
        Err(e) => {
            eprintln!("argtrace-bench skb-stream: {e}");
            2
        }
    };
    std::process::exit(code);
}

fn build_argtrace() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--release", "--quiet", "-p", "argtrace"])
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build --release -p argtrace failed".into());
    }
    Ok(root.join("target/release/argtrace"))
}

fn run(o: &Options, args: &[String]) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("run as root: the tracers need it".into());
    }
    if o.contenders.contains(&Contender::Tcpdump) && Command::new("tcpdump").arg("--version").output().is_err() {
        return Err("tcpdump is not installed (apt-get install tcpdump), or leave it out with --contender".into());
    }
    let scratch = o.out.join("skb-stream-scratch");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let argtrace = match &o.argtrace {
        Some(p) => p.clone(),
        None => build_argtrace()?,
    };
    // Measure one binary throughout, even if the tree is rebuilt meanwhile.
    let snapshot = scratch.join("argtrace");
    std::fs::copy(&argtrace, &snapshot).map_err(|e| format!("copying {}: {e}", argtrace.display()))?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;

    let mut results: Vec<(Contender, Vec<Result<Run, String>>)> = o.contenders.iter().map(|c| (*c, vec![])).collect();
    for r in 0..o.runs {
        for (c, runs) in results.iter_mut() {
            eprintln!("[skb-stream] run {}/{} {} ({} MB)", r + 1, o.runs, c.key(), o.mb);
            let one = run_one(*c, o.mb, &me, &snapshot, &scratch);
            match &one {
                Ok(x) => eprintln!(
                    "  {:.0} MB/s, workload CPU {:.0} ms, tracer CPU {:.0} ms{}",
                    x.mb_per_s(),
                    x.workload_cpu_ns as f64 / 1e6,
                    x.tracer_cpu_ns as f64 / 1e6,
                    match (x.captured, x.lost) {
                        (Some(n), Some(l)) => format!(", {n} packets, {l} lost"),
                        _ => String::new(),
                    }
                ),
                Err(e) => eprintln!("  failed: {e}"),
            }
            runs.push(one);
        }
    }
    let _ = std::fs::remove_file(&snapshot);
    let _ = std::fs::remove_dir(&scratch);

    let command = format!("cargo run --release -p argtrace-bench -- skb-stream {}", args.join(" "));
    let md = markdown(o, &results, &command);
    let json = json(o, &results).render();
    std::fs::write(o.out.join("skb-stream.md"), &md).map_err(|e| e.to_string())?;
    std::fs::write(o.out.join("skb-stream.json"), &json).map_err(|e| e.to_string())?;
    println!("{md}");
    eprintln!("argtrace-bench skb-stream: wrote {} and skb-stream.json", o.out.join("skb-stream.md").display());
    Ok(())
}

/// Reads a child's stderr lines on a thread.
fn lines_of(r: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// A started tracer process and what it said so far.
struct Tracer {
    child: Child,
    stderr: std::sync::mpsc::Receiver<String>,
    said: Vec<String>,
    cpu_at_start: u64,
}

fn start_tracer(program: &Path, args: &[String], ready: &str) -> Result<Tracer, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let stderr = lines_of(child.stderr.take().expect("piped"));
    let mut said = Vec::new();
    loop {
        match stderr.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => {
                let done = l.contains(ready);
                said.push(l);
                if done {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} never said `{ready}`: {}", program.display(), said.join(" | ")));
            }
        }
    }
    let cpu_at_start = sys::process_cpu_ns(child.id() as i32);
    Ok(Tracer { child, stderr, said, cpu_at_start })
}

/// Stops a tracer with SIGINT; returns its CPU time since attach and what it said.
fn stop_tracer(mut t: Tracer) -> (u64, Vec<String>) {
    let pid = t.child.id() as i32;
    sys::signal(pid, libc::SIGINT);
    let (exit, _) = sys::reap_within(pid, Duration::from_secs(60));
    // The Child handle must not wait again: reap_within reaped it.
    std::mem::forget(t.child);
    // Up to the end of its stderr: the reader thread may still hold the last line.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while let Ok(l) = t.stderr.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        t.said.push(l);
    }
    (exit.cpu_ns.saturating_sub(t.cpu_at_start), t.said)
}

/// `argtrace: N events, M lost`.
fn argtrace_counts(said: &[String]) -> (Option<u64>, Option<u64>) {
    for l in said {
        if let Some(rest) = l.strip_prefix("argtrace: ").and_then(|r| r.strip_suffix(" lost")) {
            if let Some((n, m)) = rest.split_once(" events, ") {
                return (n.parse().ok(), m.parse().ok());
            }
        }
    }
    (None, None)
}

/// tcpdump's `N packets captured` and `M packets dropped by kernel`.
fn tcpdump_counts(said: &[String]) -> (Option<u64>, Option<u64>) {
    let find =
        |suffix: &str| said.iter().find_map(|l| l.strip_suffix(suffix).and_then(|n| n.trim().parse::<u64>().ok()));
    (find(" packets captured"), find(" packets dropped by kernel"))
}

fn run_one(c: Contender, mb: u64, me: &Path, argtrace: &Path, scratch: &Path) -> Result<Run, String> {
    let mut w = Command::new(me)
        .args(["skb-stream-workload", &mb.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the workload: {e}"))?;
    let mut w_in = w.stdin.take().expect("piped");
    let mut w_out = BufReader::new(w.stdout.take().expect("piped"));
    let mut line = String::new();
    w_out.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut f = line.split_whitespace().skip(1);
    let (Some(port), Some(sender)) = (f.next(), f.next()) else {
        let _ = w.kill();
        return Err(format!("the workload did not get ready: {line:?}"));
    };
    let output = scratch.join(format!("out-{}", c.key()));
    let _ = std::fs::remove_file(&output);
    let shown = output.display().to_string();
    let mut empty: Vec<OwnedFd> = Vec::new();
    let tracer = match c {
        Contender::Baseline => None,
        Contender::EmptySkb => {
            for dir in ["skb/egress", "skb/ingress"] {
                empty.extend(emptycgroup::attach(dir).map_err(|e| format!("empty cgroup_skb program: {e}"))?);
            }
            None
        }
        Contender::ArgtraceText => Some(start_tracer(
            argtrace,
            &["skb".into(), "-p".into(), sender.into(), "-o".into(), shown.clone()],
            "argtrace: tracing",
        )?),
        Contender::ArgtracePcap => Some(start_tracer(
            argtrace,
            &["skb".into(), "-p".into(), sender.into(), "--pcap".into(), shown.clone()],
            "argtrace: tracing",
        )?),
        Contender::ArgtracePcapBig => Some(start_tracer(
            argtrace,
            &[
                "skb".into(),
                "-p".into(),
                sender.into(),
                "--pcap".into(),
                shown.clone(),
                "--ringbuf-size".into(),
                "64M".into(),
            ],
            "argtrace: tracing",
        )?),
        Contender::Tcpdump => Some(start_tracer(
            Path::new("tcpdump"),
            &["-i".into(), "lo".into(), "-w".into(), shown.clone(), "tcp".into(), "port".into(), port.into()],
            "listening on lo",
        )?),
    };
    w_in.write_all(b"g").map_err(|e| e.to_string())?;
    line.clear();
    w_out.read_line(&mut line).map_err(|e| e.to_string())?;
    let status = w.wait().map_err(|e| e.to_string())?;
    drop(empty);
    let (tracer_cpu_ns, said) = match tracer {
        Some(t) => stop_tracer(t),
        None => (0, vec![]),
    };
    let value = |key: &str| -> Option<u64> {
        let mut it = line.split_whitespace();
        while let Some(k) = it.next() {
            if k == key {
                return it.next().and_then(|v| v.parse().ok());
            }
        }
        None
    };
    let (Some(elapsed_ns), Some(bytes), Some(workload_cpu_ns)) = (value("elapsed_ns"), value("bytes"), value("cpu_ns"))
    else {
        return Err(format!("the workload failed ({status}): {line:?}"));
    };
    if bytes != mb * 1_000_000 {
        return Err(format!("the receiver got {bytes} bytes, not {}", mb * 1_000_000));
    }
    let (captured, lost) = match c {
        Contender::Tcpdump => tcpdump_counts(&said),
        Contender::ArgtraceText | Contender::ArgtracePcap | Contender::ArgtracePcapBig => argtrace_counts(&said),
        _ => (None, None),
    };
    let output_bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&output);
    Ok(Run { elapsed_ns, bytes, workload_cpu_ns, tracer_cpu_ns, captured, lost, output_bytes })
}

/// `argtrace-bench skb-stream-workload MB`: never returns.
pub fn workload_main(args: &[String]) -> ! {
    let Some(mb) = args.first().and_then(|s| s.parse::<u64>().ok()) else {
        eprintln!("usage: argtrace-bench skb-stream-workload MB");
        std::process::exit(2);
    };
    let total = mb * 1_000_000;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(&format!("listen: {e}")));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    // SAFETY: single-threaded so far; the child only uses its own listener
    // and exits through process::exit.
    let receiver = unsafe { libc::fork() };
    if receiver == 0 {
        // SAFETY: prctl with constant arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        let code = match receive(&listener) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("stream receiver: {e}");
                1
            }
        };
        std::process::exit(code);
    }
    drop(listener);
    println!("ready {port} {}", std::process::id());
    let _ = std::io::stdout().flush();
    let mut go = [0u8; 1];
    if !matches!(std::io::stdin().read(&mut go), Ok(1)) {
        std::process::exit(1);
    }
    let start = sys::monotonic_ns();
    let got = send(port, total).unwrap_or_else(|e| die(&format!("send: {e}")));
    let elapsed = sys::monotonic_ns() - start;
    let (exit, _) = sys::reap_within(receiver, Duration::from_secs(60));
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: ru is a live, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    let cpu = tv(ru.ru_utime) + tv(ru.ru_stime) + exit.cpu_ns;
    println!("elapsed_ns {elapsed} bytes {got} cpu_ns {cpu}");
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn die(msg: &str) -> ! {
    eprintln!("stream workload: {msg}");
    std::process::exit(1);
}

/// Sends `total` bytes, then waits for the receiver's count.
fn send(port: u16, total: u64) -> std::io::Result<u64> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    let buf = vec![0x5au8; WRITE];
    let mut left = total;
    while left > 0 {
        let n = left.min(WRITE as u64) as usize;
        s.write_all(&buf[..n])?;
        left -= n as u64;
    }
    s.shutdown(std::net::Shutdown::Write)?;
    let mut count = [0u8; 8];
    s.read_exact(&mut count)?;
    Ok(u64::from_le_bytes(count))
}

fn receive(listener: &TcpListener) -> std::io::Result<()> {
    let (mut s, _) = listener.accept()?;
    let mut buf = vec![0u8; WRITE];
    let mut got = 0u64;
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    s.write_all(&got.to_le_bytes())
}

fn stat(runs: &[Result<Run, String>], f: impl Fn(&Run) -> f64) -> Option<Stat> {
    Stat::of(runs.iter().filter_map(|r| r.as_ref().ok()).map(f))
}

fn markdown(o: &Options, results: &[(Contender, Vec<Result<Run, String>>)], command: &str) -> String {
    let mut md = String::new();
    let base = results.iter().find(|(c, _)| *c == Contender::Baseline).map(|(_, r)| r);
    let base_tp = base.and_then(|r| stat(r, Run::mb_per_s)).map(|s| s.median);
    let base_cpu = base.and_then(|r| stat(r, Run::total_cpu_ms)).map(|s| s.median);
    md.push_str(&format!(
        "## Loopback TCP stream: {} MB over 127.0.0.1, {} runs per contender, interleaved\n\n",
        o.mb, o.runs
    ));
    md.push_str(
        "| contender | throughput MB/s | × no tracer | CPU ms (sender + receiver + tracer) | × no tracer | tracer CPU ms | packets seen | lost | output |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for (c, runs) in results {
        let tp = stat(runs, Run::mb_per_s);
        let cpu = stat(runs, Run::total_cpu_ms);
        let tcpu = stat(runs, |r| r.tracer_cpu_ns as f64 / 1e6);
        let ok: Vec<&Run> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
        let seen = Stat::of(ok.iter().filter_map(|r| r.captured.map(|v| v as f64)));
        let lost = Stat::of(ok.iter().filter_map(|r| r.lost.map(|v| v as f64)));
        let out = Stat::of(ok.iter().filter(|r| r.output_bytes > 0).map(|r| r.output_bytes as f64 / 1e6));
        let ratio = |s: &Option<Stat>, b: Option<f64>| match (s, b) {
            (Some(s), Some(b)) if b > 0.0 => format!("{:.2}", s.median / b),
            _ => "—".into(),
        };
        let show = |s: &Option<Stat>| s.as_ref().map_or("—".into(), |s| s.show());
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            c.label(),
            show(&tp),
            ratio(&tp, base_tp),
            show(&cpu),
            ratio(&cpu, base_cpu),
            if *c == Contender::Baseline || *c == Contender::EmptySkb { "—".into() } else { show(&tcpu) },
            show(&seen),
            show(&lost),
            out.map_or("—".into(), |s| format!("{} MB", num(s.median))),
        ));
        for e in runs.iter().filter_map(|r| r.as_ref().err()) {
            md.push_str(&format!("\n(failed run of {}: {e})\n", c.key()));
        }
    }
    md.push_str(&format!(
        "\nMedians with min–max. Throughput: bytes over the sender's time from its first write to \
         the receiver's count. CPU: the sender's and the receiver's user + system time (the softirqs \
         that ran in them, the cgroup_skb programs' included) plus the tracer's from its attach to \
         its exit. argtrace follows the sender's socket only (-p, in the kernel: its data out and \
         the ACKs in); tcpdump the stream's port on lo. Command: `{command}`.\n"
    ));
    md
}

fn json(o: &Options, results: &[(Contender, Vec<Result<Run, String>>)]) -> Json {
    let mut list = Vec::new();
    for (c, runs) in results {
        let mut rs = Vec::new();
        for r in runs {
            rs.push(match r {
                Ok(r) => Json::obj()
                    .with("elapsed_ns", r.elapsed_ns)
                    .with("bytes", r.bytes)
                    .with("mb_per_s", r.mb_per_s())
                    .with("workload_cpu_ns", r.workload_cpu_ns)
                    .with("tracer_cpu_ns", r.tracer_cpu_ns)
                    .with("captured", r.captured.map_or(Json::Null, Json::from))
                    .with("lost", r.lost.map_or(Json::Null, Json::from))
                    .with("output_bytes", r.output_bytes),
                Err(e) => Json::obj().with("error", e.as_str()),
            });
        }
        list.push(Json::obj().with("contender", c.key()).with("label", c.label()).with("runs", Json::Arr(rs)));
    }
    Json::obj().with("mb", o.mb).with("runs", o.runs as u64).with("contenders", Json::Arr(list))
}
