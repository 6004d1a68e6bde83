//! The kernel-matrix part: inside an x86_64 QEMU guest (TCG, an emulated CPU,
//! so only ratios mean anything), argtrace in fentry, kprobe and tracepoint
//! modes against the empty program on each hook family.
//!
//! In the guest: `argtrace-bench guest-run --argtrace /bin/argtrace` runs the
//! cells and prints one `ARGTRACE-BENCH-RUN` line per run and one
//! `ARGTRACE-BENCH-RATIO` line per (workload, mode) on the console, then
//! `ARGTRACE-BENCH-DONE`. On the host, `--guest` runs `cargo xtask vm --kernel
//! 6.1-x86_64 --with argtrace-bench --run 'argtrace-bench guest-run ...'`,
//! which boots that kernel and runs the command in /init, and reads the lines back from
//! the console log.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bpfinfo;
use crate::cells::run_cells;
use crate::contender::Contender;
use crate::report;
use crate::results::{Cell, GuestOutcome, GuestRun, ProgTime};
use crate::runner::{Pinning, RunResult, Settings};
use crate::sys;
use crate::workload::Workload;

/// Calls per workload in a guest: TCG runs system calls 10 to 50 times slower.
fn guest_calls(w: Workload, quick: bool) -> u64 {
    let full = match w {
        Workload::Mmap => 20_000,
        Workload::Fork => 500,
        Workload::Tcp => 2_000,
        Workload::Sock => 2_000,
        Workload::Stream => 5_000,
        Workload::Getppid => 100_000,
        Workload::Files => 20_000,
    };
    if quick {
        full / 4
    } else {
        full
    }
}

/// `argtrace-bench guest-run [--argtrace PATH] [--runs N] [--quick]`, inside the guest.
pub fn main(args: &[String]) -> ! {
    let mut argtrace = PathBuf::from("/bin/argtrace");
    let mut runs = 3;
    let mut quick = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--argtrace" => argtrace = it.next().map(PathBuf::from).unwrap_or(argtrace),
            "--runs" => runs = it.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--quick" => quick = true,
            other => {
                eprintln!("argtrace-bench guest-run: unexpected argument `{other}`");
                std::process::exit(2);
            }
        }
    }
    let bench = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/bin/argtrace-bench"));
    let scratch = std::env::temp_dir().join("argtrace-bench");
    let _ = std::fs::create_dir_all(&scratch);
    let set = Settings {
        bench,
        argtrace,
        pin: (sys::online_cpus() >= 2).then_some(Pinning { tracer: 0, workload: 1 }),
        scratch,
        keep_output: false,
        bpf_stats: false,
    };
    let calls_for = |w| guest_calls(w, quick);
    let cells = run_cells(&set, calls_for, &Workload::CALLS, &Contender::guest_set(), runs);
    for c in &cells {
        for r in &c.runs {
            println!(
                "ARGTRACE-BENCH-RUN {} {} {} {} {} {}",
                c.workload.name(),
                c.contender.key(),
                c.calls,
                r.elapsed_ns,
                r.events.map_or("-".into(), |e| e.to_string()),
                r.reported_lost.map_or("-".into(), |e| e.to_string())
            );
        }
        for e in &c.errors {
            println!("ARGTRACE-BENCH-ERROR {} {} {}", c.workload.name(), c.contender.key(), e.replace('\n', " "));
        }
    }
    // The programs' own run time per mode (kernel.bpf_stats), one run each.
    let mut prog = Vec::new();
    let mut stats_set = set;
    stats_set.bpf_stats = true;
    let stats_contenders: Vec<Contender> = Contender::guest_set()
        .into_iter()
        .chain(Contender::guest_timed_set())
        .filter(|c| *c != Contender::Baseline)
        .collect();
    if let Ok(on) = bpfinfo::enable_stats() {
        for c in run_cells(&stats_set, calls_for, &Workload::CALLS, &stats_contenders, 1) {
            if let Some(progs) = c.runs.first().and_then(|r| r.bpf_progs.clone()) {
                let runs: u64 = progs.iter().map(|p| p.run_cnt).sum();
                let ns: u64 = progs.iter().map(|p| p.run_time_ns).sum();
                println!("ARGTRACE-BENCH-PROG {} {} {} {runs} {ns}", c.workload.name(), c.contender.key(), c.calls);
                prog.push(ProgTime { workload: c.workload, contender: c.contender, calls: c.calls, runs, ns });
            }
        }
        drop(on);
    }
    let outcome = GuestRun { kernel: kernel_release(), cells, prog };
    for (w, m, ratio) in outcome.ratios() {
        println!("ARGTRACE-BENCH-RATIO {} {} {}", w.name(), m.name(), ratio.map_or("-".into(), |r| format!("{r:.3}")));
    }
    println!("ARGTRACE-BENCH-DONE");
    std::process::exit(0);
}

/// `argtrace-bench guest-report CONSOLE.log`: the guest tables from a console
/// log (a guest booted by hand, or a harness log kept for later).
pub fn report_main(args: &[String]) -> ! {
    let Some(path) = args.first() else {
        eprintln!("usage: argtrace-bench guest-report CONSOLE.log");
        std::process::exit(2);
    };
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("argtrace-bench: {path}: {e}");
            std::process::exit(1);
        }
    };
    match parse_console(&text) {
        Some(run) => {
            print!("{}", report::guest_markdown(&GuestOutcome::Ran(run)));
            std::process::exit(0);
        }
        None => {
            eprintln!("argtrace-bench: {path} has no ARGTRACE-BENCH-DONE line");
            std::process::exit(1);
        }
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// The kernel `--guest` boots: the matrix line of Debian 12's own series on x86_64 (fentry
/// works), today's build of it (the harness prints the exact package).
pub const GUEST_KERNEL: &str = "6.1-x86_64";

/// `--guest` on the host: run `guest-run` in an x86_64 guest through the VM harness
/// (`cargo xtask vm --with argtrace-bench --run ...`) and read its console log back.
/// `root` is the workspace's.
pub fn run_on_host(root: &Path, quick: bool) -> GuestOutcome {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut guest_cmd = "argtrace-bench guest-run --argtrace /bin/argtrace".to_string();
    if quick {
        guest_cmd.push_str(" --quick");
    }
    let args =
        ["xtask", "vm", "--kernel", GUEST_KERNEL, "--timeout", "30m", "--with", "argtrace-bench", "--run", &guest_cmd];
    eprintln!("[guest] cargo xtask vm --kernel {GUEST_KERNEL} --timeout 30m --with argtrace-bench --run '{guest_cmd}'");
    // The harness's progress goes to stderr (shown as it comes), its report to stdout.
    let out = Command::new(&cargo).args(args).current_dir(root).stderr(std::process::Stdio::inherit()).output();
    let (stdout, ok) = match out {
        Ok(o) => (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.success()),
        Err(e) => return GuestOutcome::Unavailable(format!("cannot run cargo xtask vm: {e}")),
    };
    // The whole console log (it has the E2E-BOOT line with the kernel release); failing
    // that, the command's output the harness copied to stdout.
    let log = stdout.lines().find_map(|l| l.strip_prefix("log: ")).map(|p| root.join(p.trim()));
    let console = log
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|| stdout.clone());
    if let Some(p) = &log {
        eprintln!("[guest] console log: {}", p.display());
    }
    if !ok {
        let tail: Vec<&str> = stdout.lines().rev().take(6).collect();
        return GuestOutcome::Unavailable(format!(
            "cargo xtask vm failed: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ));
    }
    match parse_console(&console) {
        Some(run) => GuestOutcome::Ran(run),
        None => GuestOutcome::Unavailable(format!(
            "the guest printed no ARGTRACE-BENCH-DONE line (console log: {})",
            log.map_or("?".into(), |p| p.display().to_string())
        )),
    }
}

/// Rebuilds the guest's cells from its console lines.
pub fn parse_console(text: &str) -> Option<GuestRun> {
    if !text.contains("ARGTRACE-BENCH-DONE") {
        return None;
    }
    let mut cells: Vec<Cell> = Vec::new();
    let mut prog = Vec::new();
    let kernel = text
        .lines()
        .find_map(|l| l.split_once("E2E-BOOT ").map(|(_, r)| r.split_whitespace().next().unwrap_or("").to_string()))
        .unwrap_or_default();
    for l in text.lines() {
        if let Some((_, rest)) = l.split_once("ARGTRACE-BENCH-PROG ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            if let (Some(w), Some(c), Some(calls), Some(runs), Some(ns)) = (
                f.first().and_then(|s| Workload::parse(s)),
                f.get(1).and_then(|s| Contender::parse(s)),
                f.get(2).and_then(|s| s.parse().ok()),
                f.get(3).and_then(|s| s.parse().ok()),
                f.get(4).and_then(|s| s.parse().ok()),
            ) {
                prog.push(ProgTime { workload: w, contender: c, calls, runs, ns });
            }
            continue;
        }
        let Some((_, rest)) = l.split_once("ARGTRACE-BENCH-RUN ") else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let (Some(w), Some(c), Some(calls), Some(ns)) = (
            f.first().and_then(|s| Workload::parse(s)),
            f.get(1).and_then(|s| Contender::parse(s)),
            f.get(2).and_then(|s| s.parse::<u64>().ok()),
            f.get(3).and_then(|s| s.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let run = RunResult {
            elapsed_ns: ns,
            events: f.get(4).and_then(|s| s.parse().ok()),
            reported_lost: f.get(5).and_then(|s| s.parse().ok()),
            ..Default::default()
        };
        match cells.iter_mut().find(|x| x.workload == w && x.contender == c) {
            Some(cell) => cell.runs.push(run),
            None => cells.push(Cell { workload: w, contender: c, calls, runs: vec![run], errors: Vec::new() }),
        }
    }
    Some(GuestRun { kernel, cells, prog })
}

#[cfg(test)]
mod tests {
    use argtrace::family::ProbeMode;

    use super::*;
    use crate::results::PerMode;

    #[test]
    fn reads_the_guest_console_back() {
        let console = "\
E2E-BOOT 6.1.0-56-cloud-amd64 x86_64
[mmap 1/1] baseline       loop 10 ms
ARGTRACE-BENCH-RUN mmap baseline 100 1000000 - -
ARGTRACE-BENCH-RUN mmap empty-fentry 100 1100000 - -
ARGTRACE-BENCH-RUN mmap argtrace-fentry 100 1300000 100 0
ARGTRACE-BENCH-PROG mmap empty-fentry 100 100 5000
ARGTRACE-BENCH-PROG mmap argtrace-fentry 100 100 20000
ARGTRACE-BENCH-PROG mmap empty-timed-fentry 100 200 10000
ARGTRACE-BENCH-PROG mmap argtrace-T-fentry 100 200 30000
ARGTRACE-BENCH-PROG mmap argtrace-s-fentry 100 200 25000
ARGTRACE-BENCH-DONE
";
        let run = parse_console(console).expect("complete");
        assert_eq!(run.kernel, "6.1.0-56-cloud-amd64");
        assert_eq!(run.cells.len(), 3);
        let fentry = |v: PerMode| {
            v.into_iter().find(|(w, m, _)| *w == Workload::Mmap && *m == ProbeMode::Fentry).and_then(|x| x.2)
        };
        // (13000 - 10000) / (11000 - 10000) per call, and 200 / 50 ns per call.
        assert_eq!(fentry(run.ratios()), Some(3.0));
        assert_eq!(fentry(run.prog_ratios()), Some(4.0));
        // -T and -s over the empty program on their hooks (the start ones too).
        assert_eq!(fentry(run.prog_ratios_of(Contender::ArgtraceDurationsIn)), Some(3.0));
        assert_eq!(fentry(run.prog_ratios_of(Contender::ArgtraceSummaryIn)), Some(2.5));
        assert!(parse_console("ARGTRACE-BENCH-RUN mmap baseline 1 1 - -\n").is_none());
    }
}
