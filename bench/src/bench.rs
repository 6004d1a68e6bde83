//! The benchmark command: its options, then every workload under every
//! contender (cells), the ring-buffer drop check, the bpf_stats pass and the
//! guest part if asked; then the table and the raw figures (report).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::bpfinfo;
use crate::cells::run_cells;
use crate::contender::Contender;
use crate::guest;
use crate::report;
use crate::results::{LossCheck, Machine, Results};
use crate::runner::{self, Pinning, Settings};
use crate::sys;
use crate::workload::Workload;

const HELP: &str = "\
argtrace-bench: argtrace's overhead, loss, CPU, start-up and memory against
no tracer, an empty BPF program on the same hooks, bpftrace, strace and perf trace.

usage: cargo run --release -p argtrace-bench -- [options]

Options:
  --quick               3 runs per cell and a quarter of the calls (about a minute)
  --runs N              runs per cell (default 5)
  --workload LIST       comma-separated: mmap, fork, tcp, sock, stream, getppid,
                        files (default: all; the last two: argtrace syscall)
  --contender LIST      comma-separated: baseline, empty-bpf, argtrace, argtrace-json,
                        bpftrace, strace, perf-trace, empty-bpf-timed, argtrace-s,
                        argtrace-T, strace-c, perf-trace-s, argtrace-miss, argtrace-s-all,
                        argtrace-cgroup-filter (-p PID --cgroup: the workload's own cgroup;
                        not on sock, where --cgroup is where its programs attach)
                        (default: all; baseline is always run; argtrace-T is not run on
                        sock, whose events have no duration; strace-c, perf-trace-s only
                        on mmap, fork, tcp, getppid, files; argtrace-miss (-e trace=openat:
                        the unselected call) only on getppid; argtrace-s-all (syscall -s
                        for the whole machine) on getppid, files; bpftrace not on files)
  --calls W=N           calls for workload W (repeatable), e.g. --calls mmap=100000
  --out DIR             where results.md and results.json go (default target/bench)
  --argtrace PATH       the argtrace binary to measure (default: build it with
                        `cargo build --release -p argtrace` and use target/release/argtrace)
  --no-pin              do not pin the workload and the tracer to separate CPUs
  --no-loss-check       skip the one-page ring buffer drop-count check
  --no-bpf-stats        skip the pass that reads the BPF programs' own run time
  --stats-runs N        runs per cell of that pass (default 1; its table shows the
                        median run)
  --keep-output         keep the tracers' output files in DIR/scratch
  --guest               also run the fentry/kprobe/tracepoint comparison in an
                        x86_64 QEMU guest: `cargo xtask vm --kernel 6.1-x86_64
                        --with argtrace-bench --run 'argtrace-bench guest-run ...'`
  -h, --help            this text

Internal subcommands (used by the benchmark itself):
  workload mmap|fork|tcp|sock|stream|getppid|files CALLS [--cpu N] [--listener-cpu N]
  empty-bpf mmap|clone|tcp-connect|sock|syscall [--probe tracepoint|kprobe|fentry|cgroup|tp_btf] [--timed]
  guest-run [--argtrace PATH] [--runs N] [--quick]     (inside a guest)
  guest-report CONSOLE.log                            (the guest tables from its console)

The loopback TCP stream of argtrace skb (throughput and CPU) is its own command:
  skb-stream [--mb N] [--runs N] [--quick]             (see `skb-stream --help`)
";

struct Options {
    pub runs: usize,
    pub quick: bool,
    pub workloads: Vec<Workload>,
    pub contenders: Vec<Contender>,
    pub calls: Vec<(Workload, u64)>,
    pub out: PathBuf,
    pub argtrace: Option<PathBuf>,
    pub pin: bool,
    pub loss_check: bool,
    pub bpf_stats: bool,
    pub stats_runs: usize,
    pub keep_output: bool,
    pub guest: bool,
}

impl Options {
    fn calls_for(&self, w: Workload) -> u64 {
        self.calls.iter().rev().find(|(x, _)| *x == w).map(|(_, n)| *n).unwrap_or(if self.quick {
            w.quick_calls()
        } else {
            w.default_calls()
        })
    }
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ is in the workspace").to_path_buf()
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        runs: 5,
        quick: false,
        workloads: Workload::ALL.to_vec(),
        contenders: Contender::ALL.to_vec(),
        calls: Vec::new(),
        out: workspace_root().join("target/bench"),
        argtrace: None,
        pin: true,
        loss_check: true,
        bpf_stats: true,
        stats_runs: 1,
        keep_output: false,
        guest: false,
    };
    let mut runs = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") && n != "--calls" => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
        match name {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "--quick" => o.quick = true,
            "--runs" => {
                let v = value()?;
                runs = Some(v.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("bad --runs `{v}`"))?);
            }
            "--workload" => {
                o.workloads = value()?
                    .split(',')
                    .map(|s| {
                        Workload::parse(s).ok_or(format!("unknown workload `{s}` (mmap, fork, tcp, sock, stream)"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--contender" => {
                let mut list = vec![Contender::Baseline];
                for s in value()?.split(',') {
                    let c = Contender::parse(s).filter(|c| Contender::ALL.contains(c)).ok_or(format!(
                        "unknown contender `{s}` (baseline, empty-bpf, argtrace, argtrace-json, bpftrace, strace, perf-trace, empty-bpf-timed, argtrace-s, argtrace-T, strace-c, perf-trace-s, argtrace-miss, argtrace-s-all)"
                    ))?;
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
                o.contenders = list;
            }
            "--calls" => {
                let v = value()?;
                let (w, n) = v.split_once('=').ok_or(format!("--calls wants W=N, got `{v}`"))?;
                let w = Workload::parse(w).ok_or(format!("unknown workload `{w}`"))?;
                let n = n.parse::<u64>().ok().filter(|n| *n > 0).ok_or(format!("bad count in `{v}`"))?;
                o.calls.push((w, n));
            }
            "--out" => o.out = PathBuf::from(value()?),
            "--argtrace" => o.argtrace = Some(PathBuf::from(value()?)),
            "--no-pin" => o.pin = false,
            "--no-loss-check" => o.loss_check = false,
            "--no-bpf-stats" => o.bpf_stats = false,
            "--stats-runs" => {
                let v = value()?;
                o.stats_runs = v.parse::<usize>().ok().filter(|n| *n > 0).ok_or(format!("bad --stats-runs `{v}`"))?;
            }
            "--keep-output" => o.keep_output = true,
            "--guest" => o.guest = true,
            other => return Err(format!("unexpected argument `{other}`\n\n{HELP}")),
        }
    }
    o.runs = runs.unwrap_or(if o.quick { 3 } else { 5 });
    Ok(Some(o))
}

pub fn main(args: &[String]) -> ! {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => std::process::exit(0),
        Err(e) => {
            eprintln!("argtrace-bench: {e}");
            std::process::exit(2);
        }
    };
    match run(&opts, args) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("argtrace-bench: {e}");
            std::process::exit(1);
        }
    }
}

fn run(opts: &Options, args: &[String]) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("run as root: the tracers need it".into());
    }
    let started = Instant::now();
    ensure_tools(&opts.contenders)?;
    let argtrace = match &opts.argtrace {
        Some(p) => p.clone(),
        None => build_argtrace()?,
    };
    let bench = std::env::current_exe().map_err(|e| format!("cannot find my own binary: {e}"))?;
    std::fs::create_dir_all(opts.out.join("scratch")).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    // Measure one binary throughout, even if the tree is rebuilt meanwhile.
    let snapshot = opts.out.join("scratch").join("argtrace");
    std::fs::copy(&argtrace, &snapshot).map_err(|e| format!("copying {}: {e}", argtrace.display()))?;
    let argtrace = snapshot;
    let pin = (opts.pin && sys::online_cpus() >= 2).then_some(Pinning { tracer: 0, workload: 1 });
    let mut set = Settings {
        bench: bench.clone(),
        argtrace: argtrace.clone(),
        pin,
        scratch: opts.out.join("scratch"),
        keep_output: opts.keep_output,
        bpf_stats: false,
    };
    let machine = probe_machine(&argtrace, &opts.contenders, opts.argtrace.is_none());
    for n in &machine.notes {
        eprintln!("argtrace-bench: note: {n}");
    }

    let calls_for = |w| opts.calls_for(w);
    let cells = run_cells(&set, calls_for, &opts.workloads, &opts.contenders, opts.runs);

    let mut loss = Vec::new();
    if opts.loss_check && opts.workloads.contains(&Workload::Mmap) {
        let calls = opts.calls_for(Workload::Mmap);
        for c in [Contender::ArgtraceText, Contender::ArgtraceJson] {
            if !opts.contenders.contains(&c) {
                continue;
            }
            eprintln!("[loss check] {} with --ringbuf-size 4096 on mmap, {calls} calls", c.key());
            let result = runner::run_one(&set, Workload::Mmap, c, calls, &["--ringbuf-size", "4096"]);
            let check = LossCheck { contender: c, calls, ringbuf_bytes: 4096, result };
            match &check.result {
                Ok(r) => eprintln!(
                    "  argtrace says {} events, {} lost; {} lines counted; exact: {}",
                    r.reported_events.map_or("?".into(), |v| v.to_string()),
                    r.reported_lost.map_or("?".into(), |v| v.to_string()),
                    r.events.map_or("?".into(), |v| v.to_string()),
                    check.exact().map_or("?", |b| if b { "yes" } else { "NO" })
                ),
                Err(e) => eprintln!("  failed: {e}"),
            }
            loss.push(check);
        }
    }

    let mut bpf_stats = Vec::new();
    if opts.bpf_stats {
        let wanted: Vec<Contender> = [
            Contender::Empty,
            Contender::ArgtraceText,
            Contender::ArgtraceCgroup,
            Contender::ArgtraceMiss,
            Contender::ArgtraceSummaryAll,
            Contender::EmptyTimed,
            Contender::ArgtraceDurations,
            Contender::ArgtraceSummary,
            Contender::Bpftrace,
        ]
        .into_iter()
        .filter(|c| opts.contenders.contains(c))
        .collect();
        match bpfinfo::enable_stats() {
            Ok(on) => {
                eprintln!("[bpf stats] {} run(s) each with kernel.bpf_stats on", opts.stats_runs);
                set.bpf_stats = true;
                bpf_stats = run_cells(&set, calls_for, &opts.workloads, &wanted, opts.stats_runs);
                set.bpf_stats = false;
                drop(on);
            }
            Err(e) => eprintln!("argtrace-bench: cannot turn kernel.bpf_stats on ({e}); skipping that pass"),
        }
    }

    let guest = opts.guest.then(|| guest::run_on_host(&workspace_root(), opts.quick));

    let results = Results {
        machine,
        runs: opts.runs,
        quick: opts.quick,
        pin,
        cells,
        loss,
        bpf_stats,
        guest,
        wall_s: started.elapsed().as_secs_f64(),
        command: std::iter::once("cargo run --release -p argtrace-bench --".to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(" --")
            .to_string(),
    };
    let md = report::markdown(&results);
    let json = report::json(&results).render();
    let md_path = opts.out.join("results.md");
    let json_path = opts.out.join("results.json");
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    std::fs::write(&json_path, &json).map_err(|e| format!("{}: {e}", json_path.display()))?;
    if !opts.keep_output {
        let _ = std::fs::remove_file(opts.out.join("scratch").join("argtrace"));
        let _ = std::fs::remove_dir(opts.out.join("scratch"));
    }
    println!("{md}");
    eprintln!(
        "argtrace-bench: done in {:.0} s; wrote {} and {}",
        results.wall_s,
        md_path.display(),
        json_path.display()
    );
    Ok(())
}

fn in_path(tool: &str) -> bool {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file())).unwrap_or(false)
}

/// Installs with apt-get whatever tracer of the selection is missing.
fn ensure_tools(contenders: &[Contender]) -> Result<(), String> {
    let mut missing = Vec::new();
    for (c, tool, package) in [
        (Contender::Bpftrace, "bpftrace", "bpftrace"),
        (Contender::Strace, "strace", "strace"),
        (Contender::StraceSummary, "strace", "strace"),
        (Contender::PerfTrace, "perf", "linux-perf"),
        (Contender::PerfTraceSummary, "perf", "linux-perf"),
    ] {
        if contenders.contains(&c) && !in_path(tool) {
            missing.push(package);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("argtrace-bench: installing {}", missing.join(" "));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if install() {
        return Ok(());
    }
    let _ = Command::new("apt-get").arg("update").status();
    if install() {
        Ok(())
    } else {
        Err(format!("`apt-get install -y --no-install-recommends {}` failed", missing.join(" ")))
    }
}

/// `cargo build --release -p argtrace`, with the cargo that runs us.
fn build_argtrace() -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("argtrace-bench: cargo build --release -p argtrace");
    let ok = Command::new(cargo)
        .args(["build", "--release", "-p", "argtrace"])
        .current_dir(&root)
        .status()
        .is_ok_and(|s| s.success());
    let bin = root.join("target/release/argtrace");
    if ok && bin.is_file() {
        Ok(bin)
    } else {
        Err("building argtrace failed (or pass --argtrace PATH)".into())
    }
}

fn first_line_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_else(|| "not found".into())
}

/// `built_here`: argtrace was built from this workspace, so its commit is worth naming.
fn probe_machine(argtrace: &Path, contenders: &[Contender], built_here: bool) -> Machine {
    // SAFETY: uname fills the zeroed struct it is given.
    let kernel = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        libc::uname(&mut u);
        let release = std::ffi::CStr::from_ptr(u.release.as_ptr()).to_string_lossy().into_owned();
        let machine = std::ffi::CStr::from_ptr(u.machine.as_ptr()).to_string_lossy().into_owned();
        format!("{release} ({machine})")
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mut version = first_line_of(&argtrace.display().to_string(), &["--version"]);
    let root = workspace_root();
    let git =
        |args: &[&str]| Command::new("git").args(args).current_dir(&root).output().ok().filter(|o| o.status.success());
    if let Some(head) = git(&["rev-parse", "--short", "HEAD"]).filter(|_| built_here) {
        let dirty = git(&[
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "src",
            "bpf",
            "arch",
            "build.rs",
            "Cargo.toml",
        ])
        .is_some_and(|o| !o.stdout.is_empty());
        version = format!(
            "{version} (commit {}{})",
            String::from_utf8_lossy(&head.stdout).trim(),
            if dirty { ", with uncommitted changes in src/ bpf/ arch/" } else { "" }
        );
    }
    let mut tools = vec![("argtrace".to_string(), version)];
    if contenders.contains(&Contender::Bpftrace) {
        tools.push(("bpftrace".into(), first_line_of("bpftrace", &["--version"])));
    }
    if contenders.contains(&Contender::Strace) || contenders.contains(&Contender::StraceSummary) {
        tools.push(("strace".into(), first_line_of("strace", &["-V"])));
    }
    if contenders.contains(&Contender::PerfTrace) || contenders.contains(&Contender::PerfTraceSummary) {
        tools.push(("perf".into(), first_line_of("perf", &["version"])));
    }
    let mut notes = Vec::new();
    if std::fs::read_to_string("/proc/sys/kernel/bpf_stats_enabled").is_ok_and(|s| s.trim() != "0") {
        notes.push(
            "kernel.bpf_stats_enabled is on: every BPF program run is timed, which adds to all BPF figures".into(),
        );
    }
    Machine { date: today_utc(), kernel, cpu, cores: sys::online_cpus(), tools, notes }
}

/// YYYY-MM-DD HH:MM UTC from the system clock (civil-from-days, std only).
pub fn today_utc() -> String {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}
