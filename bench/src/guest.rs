//! The kernel-matrix part: inside an x86_64 QEMU guest (TCG, an emulated CPU,
//! so only ratios mean anything), argtrace in fentry, kprobe and tracepoint
//! modes against the empty program on each hook family.
//!
//! In the guest: `argtrace-bench guest-run --argtrace /bin/argtrace` runs the
//! cells and prints one `ARGTRACE-BENCH-RUN` line per run and one
//! `ARGTRACE-BENCH-RATIO` line per (workload, mode) on the console, then
//! `ARGTRACE-BENCH-DONE`. On the host, `--guest` runs `cargo xtask vm --kernel
//! 6.1.0-56-cloud-amd64 --with argtrace-bench --run 'argtrace-bench guest-run ...'`,
//! which boots that kernel and runs the command in /init, and reads the lines back from
//! the console log.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench::{self, Cell, Options};
use crate::contender::Contender;
use crate::emptyprog::Mode;
use crate::json::Json;
use crate::report;
use crate::runner::{RunResult, Settings};
use crate::stats::{num, Stat};
use crate::workload::Workload;

/// Calls per workload in a guest: TCG runs system calls 10 to 50 times slower.
fn guest_calls(w: Workload, quick: bool) -> u64 {
    let full = match w {
        Workload::Mmap => 20_000,
        Workload::Fork => 500,
        Workload::Tcp => 2_000,
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
        pin: (crate::sys::online_cpus() >= 2).then_some(crate::runner::Pinning {
            tracer: 0,
            workload: 1,
        }),
        scratch,
        keep_output: false,
        bpf_stats: false,
    };
    let opts = Options {
        runs,
        quick,
        workloads: Workload::ALL.to_vec(),
        contenders: Contender::guest_set(),
        calls: Workload::ALL
            .iter()
            .map(|&w| (w, guest_calls(w, quick)))
            .collect(),
        out: PathBuf::new(),
        argtrace: None,
        pin: true,
        loss_check: false,
        bpf_stats: false,
        keep_output: false,
        guest: false,
    };
    let cells = bench::run_cells(&set, &opts, &opts.workloads, &opts.contenders, runs);
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
            println!(
                "ARGTRACE-BENCH-ERROR {} {} {}",
                c.workload.name(),
                c.contender.key(),
                e.replace('\n', " ")
            );
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
    if let Ok(on) = crate::bpfinfo::enable_stats() {
        for c in bench::run_cells(&stats_set, &opts, &opts.workloads, &stats_contenders, 1) {
            if let Some(progs) = c.runs.first().and_then(|r| r.bpf_progs.clone()) {
                let runs: u64 = progs.iter().map(|p| p.run_cnt).sum();
                let ns: u64 = progs.iter().map(|p| p.run_time_ns).sum();
                println!(
                    "ARGTRACE-BENCH-PROG {} {} {} {runs} {ns}",
                    c.workload.name(),
                    c.contender.key(),
                    c.calls
                );
                prog.push(ProgTime {
                    workload: c.workload,
                    contender: c.contender,
                    calls: c.calls,
                    runs,
                    ns,
                });
            }
        }
        drop(on);
    }
    let outcome = GuestRun {
        kernel: kernel_release(),
        cells,
        prog,
    };
    for (w, m, ratio) in outcome.ratios() {
        println!(
            "ARGTRACE-BENCH-RATIO {} {} {}",
            w.name(),
            m.name(),
            ratio.map_or("-".into(), |r| format!("{r:.3}"))
        );
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
            print!("{}", markdown(&GuestOutcome::Ran(run)));
            std::process::exit(0);
        }
        None => {
            eprintln!("argtrace-bench: {path} has no ARGTRACE-BENCH-DONE line");
            std::process::exit(1);
        }
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

pub struct GuestRun {
    pub kernel: String,
    pub cells: Vec<Cell>,
    /// The BPF programs' own run time (kernel.bpf_stats), one run per contender.
    pub prog: Vec<ProgTime>,
}

/// A contender's programs on a workload: runs and total ns, over `calls` calls.
pub struct ProgTime {
    pub workload: Workload,
    pub contender: Contender,
    pub calls: u64,
    pub runs: u64,
    pub ns: u64,
}

impl GuestRun {
    /// argtrace's overhead over the empty program's, per workload and mode.
    pub fn ratios(&self) -> Vec<(Workload, Mode, Option<f64>)> {
        let mut out = Vec::new();
        for w in Workload::ALL {
            let base = report::baseline_ns(&self.cells, w);
            let over = |c: Contender| {
                self.cells
                    .iter()
                    .find(|x| x.workload == w && x.contender == c && !x.runs.is_empty())
                    .and_then(|x| report::summarize(x, base).overhead_ns)
                    .map(|s| s.median)
            };
            for m in [Mode::Fentry, Mode::Kprobe, Mode::Tracepoint] {
                // A negative overhead is the emulator's noise, not a figure.
                let ratio = match (over(Contender::ArgtraceIn(m)), over(Contender::EmptyIn(m))) {
                    (Some(a), Some(e)) if e > 0.0 && a > 0.0 => Some(a / e),
                    _ => None,
                };
                out.push((w, m, ratio));
            }
        }
        out
    }

    /// The same ratio for the programs' own time per call.
    pub fn prog_ratios(&self) -> Vec<(Workload, Mode, Option<f64>)> {
        self.prog_ratios_of(Contender::ArgtraceIn)
    }

    /// The programs' own time per call of `argtrace` in each mode over its
    /// floor's (`Contender::floor`: the empty program on the same hooks).
    pub fn prog_ratios_of(&self, argtrace: fn(Mode) -> Contender) -> Vec<(Workload, Mode, Option<f64>)> {
        let per_call = |w: Workload, c: Option<Contender>| {
            self.prog
                .iter()
                .find(|p| p.workload == w && Some(p.contender) == c)
                .map(|p| p.ns as f64 / p.calls as f64)
        };
        let mut out = Vec::new();
        for w in Workload::ALL {
            for m in [Mode::Fentry, Mode::Kprobe, Mode::Tracepoint] {
                let ratio = match (
                    per_call(w, Some(argtrace(m))),
                    per_call(w, argtrace(m).floor()),
                ) {
                    (Some(a), Some(e)) if e > 0.0 => Some(a / e),
                    _ => None,
                };
                out.push((w, m, ratio));
            }
        }
        out
    }

    /// argtrace's own program time per call in each mode over tracepoint mode's.
    pub fn mode_ratios(&self) -> Vec<(Workload, Mode, Option<f64>)> {
        let per_call = |w: Workload, m: Mode| {
            self.prog
                .iter()
                .find(|p| p.workload == w && p.contender == Contender::ArgtraceIn(m))
                .map(|p| p.ns as f64 / p.calls as f64)
        };
        let mut out = Vec::new();
        for w in Workload::ALL {
            for m in [Mode::Fentry, Mode::Kprobe, Mode::Tracepoint] {
                let ratio = match (per_call(w, m), per_call(w, Mode::Tracepoint)) {
                    (Some(a), Some(t)) if t > 0.0 => Some(a / t),
                    _ => None,
                };
                out.push((w, m, ratio));
            }
        }
        out
    }
}

pub enum GuestOutcome {
    /// Why the guest part could not run.
    Unavailable(String),
    Ran(GuestRun),
}

/// The kernel `--guest` boots: Debian 12's own, the matrix's x86_64 kernel with fentry.
pub const GUEST_KERNEL: &str = "6.1.0-56-cloud-amd64";

/// `--guest` on the host: run `guest-run` in an x86_64 guest through the VM harness
/// (`cargo xtask vm --with argtrace-bench --run ...`) and read its console log back.
pub fn run_on_host(_bench: &Path, _argtrace: &Path, opts: &Options) -> GuestOutcome {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut guest_cmd = "argtrace-bench guest-run --argtrace /bin/argtrace".to_string();
    if opts.quick {
        guest_cmd.push_str(" --quick");
    }
    let args = [
        "xtask",
        "vm",
        "--kernel",
        GUEST_KERNEL,
        "--timeout",
        "30m",
        "--with",
        "argtrace-bench",
        "--run",
        &guest_cmd,
    ];
    eprintln!(
        "[guest] cargo xtask vm --kernel {GUEST_KERNEL} --timeout 30m --with argtrace-bench --run '{guest_cmd}'"
    );
    // The harness's progress goes to stderr (shown as it comes), its report to stdout.
    let out = Command::new(&cargo)
        .args(args)
        .current_dir(&root)
        .stderr(std::process::Stdio::inherit())
        .output();
    let (stdout, ok) = match out {
        Ok(o) => (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            o.status.success(),
        ),
        Err(e) => return GuestOutcome::Unavailable(format!("cannot run cargo xtask vm: {e}")),
    };
    // The whole console log (it has the E2E-BOOT line with the kernel release); failing
    // that, the command's output the harness copied to stdout.
    let log = stdout
        .lines()
        .find_map(|l| l.strip_prefix("log: "))
        .map(|p| root.join(p.trim()));
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
        .find_map(|l| {
            l.split_once("E2E-BOOT ")
                .map(|(_, r)| r.split_whitespace().next().unwrap_or("").to_string())
        })
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
                prog.push(ProgTime {
                    workload: w,
                    contender: c,
                    calls,
                    runs,
                    ns,
                });
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
        match cells
            .iter_mut()
            .find(|x| x.workload == w && x.contender == c)
        {
            Some(cell) => cell.runs.push(run),
            None => cells.push(Cell {
                workload: w,
                contender: c,
                calls,
                runs: vec![run],
                errors: Vec::new(),
            }),
        }
    }
    Some(GuestRun {
        kernel,
        cells,
        prog,
    })
}

pub fn markdown(g: &GuestOutcome) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "### In a QEMU guest (x86_64, TCG: emulated CPU, ratios only)\n"
    );
    match g {
        GuestOutcome::Unavailable(why) => {
            let _ = writeln!(md, "Not run: {why}.\n");
        }
        GuestOutcome::Ran(run) => {
            let _ = writeln!(md, "Kernel {}. argtrace's loop overhead per call over the empty program's on the same hooks (target ≤ 1.5; \
                 n/a where an overhead came out negative, i.e. below the emulator's run-to-run noise):\n", run.kernel);
            let _ = writeln!(md, "| workload | fentry | kprobe | tracepoint |");
            let _ = writeln!(md, "|---|--:|--:|--:|");
            for w in Workload::ALL {
                let r: Vec<String> = run
                    .ratios()
                    .into_iter()
                    .filter(|(x, _, _)| *x == w)
                    .map(|(_, _, r)| r.map_or("n/a".into(), |r| format!("{} ×", num(r))))
                    .collect();
                let _ = writeln!(md, "| {} | {} |", w.name(), r.join(" | "));
            }
            md.push('\n');
            if !run.prog.is_empty() {
                let _ = writeln!(md, "The programs' own run time per call (kernel.bpf_stats, one run each), argtrace over the empty program:\n");
                let _ = writeln!(md, "| workload | fentry | kprobe | tracepoint |");
                let _ = writeln!(md, "|---|--:|--:|--:|");
                for w in Workload::ALL {
                    let r: Vec<String> = run
                        .prog_ratios()
                        .into_iter()
                        .filter(|(x, _, _)| *x == w)
                        .map(|(_, _, r)| r.map_or("n/a".into(), |r| format!("{} ×", num(r))))
                        .collect();
                    let _ = writeln!(md, "| {} | {} |", w.name(), r.join(" | "));
                }
                md.push('\n');
            }
            for (what, argtrace) in [
                ("argtrace -T (each event with its duration)", Contender::ArgtraceDurationsIn as fn(Mode) -> Contender),
                ("argtrace -s (counted in the kernel)", Contender::ArgtraceSummaryIn),
            ] {
                let rows = run.prog_ratios_of(argtrace);
                if rows.iter().all(|(_, _, r)| r.is_none()) {
                    continue;
                }
                let _ = writeln!(md, "{what}: programs' own run time per call over the empty program's on the same hooks (with the -T/-s start hooks):\n");
                let _ = writeln!(md, "| workload | fentry | kprobe | tracepoint |");
                let _ = writeln!(md, "|---|--:|--:|--:|");
                for w in Workload::ALL {
                    let r: Vec<String> = rows
                        .iter()
                        .filter(|(x, _, _)| *x == w)
                        .map(|(_, _, r)| r.map_or("n/a".into(), |r| format!("{} ×", num(r))))
                        .collect();
                    let _ = writeln!(md, "| {} | {} |", w.name(), r.join(" | "));
                }
                md.push('\n');
            }
            if !run.prog.is_empty() {
                let _ = writeln!(
                    md,
                    "argtrace's own program time per call in each mode, over tracepoint mode's:\n"
                );
                let _ = writeln!(md, "| workload | fentry | kprobe | tracepoint |");
                let _ = writeln!(md, "|---|--:|--:|--:|");
                for w in Workload::ALL {
                    let r: Vec<String> = run
                        .mode_ratios()
                        .into_iter()
                        .filter(|(x, _, _)| *x == w)
                        .map(|(_, _, r)| r.map_or("n/a".into(), |r| format!("{} ×", num(r))))
                        .collect();
                    let _ = writeln!(md, "| {} | {} |", w.name(), r.join(" | "));
                }
                md.push('\n');
            }
            let runs = Stat::of(run.cells.iter().map(|c| c.runs.len() as f64));
            if let Some(s) = runs {
                let _ = writeln!(md, "{} runs per cell (median of overheads).\n", s.median);
            }
        }
    }
    md
}

fn ratios_json(rows: Vec<(Workload, Mode, Option<f64>)>) -> Json {
    Json::Arr(
        rows.into_iter()
            .map(|(w, m, r)| Json::obj().with("workload", w.name()).with("mode", m.name()).with("over_empty", r))
            .collect(),
    )
}

pub fn json(g: &GuestOutcome) -> Json {
    match g {
        GuestOutcome::Unavailable(why) => {
            Json::obj().with("ran", false).with("reason", why.as_str())
        }
        GuestOutcome::Ran(run) => {
            let ratios: Vec<Json> = run
                .ratios()
                .into_iter()
                .map(|(w, m, r)| {
                    Json::obj()
                        .with("workload", w.name())
                        .with("mode", m.name())
                        .with("argtrace_over_empty", r)
                })
                .collect();
            let cells: Vec<Json> = run
                .cells
                .iter()
                .map(|c| {
                    Json::obj()
                        .with("workload", c.workload.name())
                        .with("contender", c.contender.key())
                        .with("calls", c.calls)
                        .with(
                            "loop_ns",
                            c.runs.iter().map(|r| r.elapsed_ns).collect::<Vec<_>>(),
                        )
                        .with(
                            "events",
                            c.runs.iter().map(|r| r.events).collect::<Vec<_>>(),
                        )
                })
                .collect();
            let prog_ratios: Vec<Json> = run
                .prog_ratios()
                .into_iter()
                .map(|(w, m, r)| {
                    Json::obj()
                        .with("workload", w.name())
                        .with("mode", m.name())
                        .with("argtrace_over_empty", r)
                })
                .collect();
            Json::obj()
                .with("ran", true)
                .with("kernel", run.kernel.as_str())
                .with("ratios", Json::Arr(ratios))
                .with("program_time_ratios", Json::Arr(prog_ratios))
                .with("program_time_ratios_durations", ratios_json(run.prog_ratios_of(Contender::ArgtraceDurationsIn)))
                .with("program_time_ratios_summary", ratios_json(run.prog_ratios_of(Contender::ArgtraceSummaryIn)))
                .with(
                    "programs",
                    Json::Arr(
                        run.prog
                            .iter()
                            .map(|p| {
                                Json::obj()
                                    .with("workload", p.workload.name())
                                    .with("contender", p.contender.key())
                                    .with("calls", p.calls)
                                    .with("program_runs", p.runs)
                                    .with("program_ns", p.ns)
                            })
                            .collect(),
                    ),
                )
                .with("cells", Json::Arr(cells))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
ARGTRACE-BENCH-DONE
";
        let run = parse_console(console).expect("complete");
        assert_eq!(run.kernel, "6.1.0-56-cloud-amd64");
        assert_eq!(run.cells.len(), 3);
        let fentry = |v: Vec<(Workload, Mode, Option<f64>)>| {
            v.into_iter()
                .find(|(w, m, _)| *w == Workload::Mmap && *m == Mode::Fentry)
                .and_then(|x| x.2)
        };
        // (13000 - 10000) / (11000 - 10000) per call, and 200 / 50 ns per call.
        assert_eq!(fentry(run.ratios()), Some(3.0));
        assert_eq!(fentry(run.prog_ratios()), Some(4.0));
        assert!(parse_console("ARGTRACE-BENCH-RUN mmap baseline 1 1 - -\n").is_none());
    }
}
