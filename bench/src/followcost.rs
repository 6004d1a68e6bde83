//! `follow-cost`: what -f adds to each traced call (the follow map's lookup in
//! want_ids() instead of the rodata pid compare) and what its fork hook costs
//! per fork. A workload process makes N mmap+munmap calls then F forks;
//! `argtrace mmap -p PID` and `argtrace mmap -f -p PID` trace it in turn, R
//! times each, interleaved, with the kernel's BPF run-time statistics on.
//! Reported: the median program time per mmap call (argtrace's two mmap
//! programs together) and per fork (the follow_fork program; it runs for
//! every fork on the machine, followed or not).
//!
//! usage: cargo run --release -p argtrace-bench -- follow-cost [--argtrace PATH] [--calls N] [--runs R]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::bpfinfo;

pub fn main(args: &[String]) -> ! {
    let mut argtrace = crate::bench::workspace_root().join("target/release/argtrace");
    let (mut calls, mut runs, forks) = (200_000u64, 5usize, 2_000u64);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--argtrace", Some(v)) => argtrace = v.into(),
            ("--calls", Some(v)) if v.parse::<u64>().is_ok() => calls = v.parse().unwrap_or(calls),
            ("--runs", Some(v)) if v.parse::<usize>().is_ok() => runs = v.parse().unwrap_or(runs),
            _ => {
                eprintln!("usage: argtrace-bench follow-cost [--argtrace PATH] [--calls N] [--runs R]");
                std::process::exit(2);
            }
        }
    }
    let _stats = bpfinfo::enable_stats().expect("BPF_ENABLE_STATS (root needed)");
    let (mut plain, mut follow, mut fork) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        plain.push(one_run(&argtrace, false, calls, forks).0);
        let (per_call, per_fork) = one_run(&argtrace, true, calls, forks);
        follow.push(per_call);
        fork.push(per_fork);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, f, k) = (median(&mut plain), median(&mut follow), median(&mut fork));
    println!("| argtrace mmap (tracepoint), median of {runs} runs of {calls} calls | program time per mmap call |");
    println!("|---|--:|");
    println!("| -p PID | {p:.0} ns |");
    println!("| -f -p PID | {f:.0} ns ({:+.0} ns, {:.2} ×) |", f - p, f / p);
    println!("| -f: follow_fork per fork ({forks} forks) | {k:.0} ns |");
    std::process::exit(0);
}

/// One traced run of the workload: ns per mmap call of argtrace's mmap
/// programs, and ns per run of follow_fork (0 without -f).
fn one_run(argtrace: &Path, follow: bool, calls: u64, forks: u64) -> (f64, f64) {
    let me = std::env::current_exe().expect("own path");
    let mut work = Command::new(me)
        .args(["follow-cost-workload", &calls.to_string(), &forks.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start the workload");
    let pid = work.id().to_string();
    let mut args = vec!["mmap", "--probe", "tracepoint", "-o", "/dev/null", "-p", &pid];
    if follow {
        args.push("-f");
    }
    let mut tracer = Command::new(argtrace).args(&args).stderr(Stdio::piped()).spawn().expect("start argtrace");
    let mut stderr = BufReader::new(tracer.stderr.take().expect("piped"));
    let mut line = String::new();
    while !line.starts_with("argtrace: tracing") {
        line.clear();
        if stderr.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("argtrace ended before tracing");
        }
    }
    let owned = bpfinfo::prog_ids_of(tracer.id() as i32);
    let before = bpfinfo::snapshot();
    let _ = work.stdin.take().expect("piped").write_all(b"go\n");
    let _ = work.wait();
    let after = bpfinfo::snapshot();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    let _ = tracer.wait();
    let ran = bpfinfo::delta(&owned, &before, &after);
    // argtrace's programs are the subject's (mmap's two) and -f's two.
    let mmap_ns: u64 = ran.iter().filter(|p| !p.name.starts_with("follow_")).map(|p| p.run_time_ns).sum();
    let fork = ran.iter().find(|p| p.name == "follow_fork");
    let per_fork = fork.map_or(0.0, |p| p.run_time_ns as f64 / p.run_cnt as f64);
    (mmap_ns as f64 / calls as f64, per_fork)
}

/// `follow-cost-workload N F`: waits for a line, then N mmap+munmap of one
/// page and F fork+exit+wait.
pub fn workload_main(args: &[String]) -> ! {
    let calls: u64 = args.first().and_then(|v| v.parse().ok()).unwrap_or(0);
    let forks: u64 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let _ = std::io::stdin().lock().read_line(&mut String::new());
    for _ in 0..calls {
        // SAFETY: a fresh anonymous page, unmapped at once.
        unsafe {
            let a =
                libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
            libc::munmap(a, 4096);
        }
    }
    for _ in 0..forks {
        // SAFETY: the child leaves at once with _exit.
        let child = unsafe { libc::fork() };
        if child == 0 {
            // SAFETY: leaving the child.
            unsafe { libc::_exit(0) };
        }
        // SAFETY: our own child.
        unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    }
    std::process::exit(0);
}
