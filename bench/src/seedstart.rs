//! `seed-startup`: what seeding the owners of older sockets costs argtrace's
//! start-up (src/cgroup.rs, bpf/seed.bpf.c). The bench process itself holds
//! N sockets (N/2 loopback TCP connections, both ends) while `argtrace sock`
//! and `argtrace skb` start R times each; the same without them. Reported:
//! the median time from spawn to `argtrace: tracing`, and the seeding's own
//! time and count from argtrace's `-v` line.
//!
//! usage: cargo run --release -p argtrace-bench -- seed-startup [--argtrace PATH] [--sockets N] [--runs R]

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn main(args: &[String]) -> ! {
    let mut argtrace: Option<PathBuf> = None;
    let (mut sockets, mut runs) = (10_000usize, 5usize);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it.next();
        match (a.as_str(), value) {
            ("--argtrace", Some(v)) => argtrace = Some(v.into()),
            ("--sockets", Some(v)) if v.parse::<usize>().is_ok() => sockets = v.parse().unwrap_or(sockets),
            ("--runs", Some(v)) if v.parse::<usize>().is_ok() => runs = v.parse().unwrap_or(runs),
            _ => {
                eprintln!("usage: argtrace-bench seed-startup [--argtrace PATH] [--sockets N] [--runs R]");
                std::process::exit(2);
            }
        }
    }
    let argtrace = argtrace.unwrap_or_else(|| crate::bench::workspace_root().join("target/release/argtrace"));
    println!("| subject | sockets held | start-up, median of {runs} | seeding (argtrace -v) | sockets seeded |");
    println!("|---|--:|--:|--:|--:|");
    for held in [0, sockets] {
        let _sockets = hold(held);
        for subject in ["sock", "skb"] {
            let mut starts = Vec::new();
            let mut seeding = Vec::new();
            let mut seeded = 0;
            for _ in 0..runs {
                starts.push(start_time(&argtrace, subject, false).0);
                let (_, line) = start_time(&argtrace, subject, true);
                let (n, ms) = parse_seed_line(&line);
                seeded = n;
                seeding.push(ms);
            }
            starts.sort();
            seeding.sort_by(f64::total_cmp);
            println!(
                "| {subject} | {held} | {:.0} ms | {:.1} ms | {seeded} |",
                starts[runs / 2].as_secs_f64() * 1000.0,
                seeding[runs / 2]
            );
        }
    }
    std::process::exit(0);
}

/// `n` sockets: n/2 loopback TCP connections, both ends held.
fn hold(n: usize) -> Vec<TcpStream> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: limit is a valid, writable rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    limit.rlim_cur = limit.rlim_cur.max(((n + 1024) as u64).min(limit.rlim_max));
    // SAFETY: limit is a valid rlimit; only the soft limit rises, up to the hard one.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut held = Vec::with_capacity(n);
    for _ in 0..n / 2 {
        held.push(TcpStream::connect(addr).expect("connect"));
        held.push(listener.accept().expect("accept").0);
    }
    held
}

/// Spawn to `argtrace: tracing`; with -v also its seeding line.
fn start_time(argtrace: &PathBuf, subject: &str, verbose: bool) -> (Duration, String) {
    let started = Instant::now();
    let mut child = Command::new(argtrace)
        .arg(subject)
        .args(if verbose { &["-v"][..] } else { &[] })
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start argtrace");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let (mut line, mut seed) = (String::new(), String::new());
    while !line.starts_with("argtrace: tracing") {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if line.contains("older than argtrace") {
            seed = line.clone();
        }
    }
    let took = started.elapsed();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    let _ = child.wait();
    (took, seed)
}

/// `argtrace: sock: N sockets older than argtrace given their owner (K had one) in X ms`.
fn parse_seed_line(line: &str) -> (u64, f64) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let n = words.iter().position(|w| *w == "sockets").and_then(|i| words.get(i - 1)?.parse().ok()).unwrap_or(0);
    let ms = words.iter().rev().nth(1).and_then(|w| w.parse().ok()).unwrap_or(f64::NAN);
    (n, ms)
}
