//! The results as a markdown table (with the targets met or missed) and as
//! raw JSON (every run, plus the same summaries).

use std::fmt::Write as _;

use argtrace::family::ProbeMode;

use crate::contender::Contender;
use crate::json::Json;
use crate::results::{
    baseline_ns, cell, overhead_median, overhead_ratio, summarize, Cell, GuestOutcome, PerMode, Results,
};
use crate::runner::RunResult;
use crate::stats::{grouped, num, Stat};
use crate::stream;
use crate::workload::Workload;

fn opt(s: &Option<Stat>) -> String {
    s.as_ref().map_or("—".into(), Stat::show)
}

/// One verdict of the targets table.
pub struct Verdict {
    pub target: String,
    pub scope: String,
    pub figure: String,
    pub met: Option<bool>,
}

/// A target on the ratio `a / b` of two median overheads; in the figure,
/// `before` and `after` stand around the ratio.
fn overhead_verdict(
    target: &str,
    scope: String,
    (a, b): (Option<f64>, Option<f64>),
    (before, after): (&str, &str),
    met: impl Fn(f64) -> bool,
) -> Verdict {
    let x = overhead_ratio(a, b);
    let figure = match (x, a, b) {
        (Some(x), Some(a), Some(b)) => {
            format!("{before}{} ×{after} ({} vs {} ns)", num(x), num(a), num(b))
        }
        (None, Some(a), Some(b)) => {
            format!("n/a: an overhead is below the run-to-run noise ({} vs {} ns)", num(a), num(b))
        }
        _ => "n/a".to_string(),
    };
    Verdict { target: target.into(), scope, figure, met: x.map(met) }
}

/// The argtrace output a loss figure is about.
fn output_name(c: Contender) -> &'static str {
    if c == Contender::ArgtraceText {
        "text"
    } else {
        "JSON"
    }
}

pub fn verdicts(r: &Results) -> Vec<Verdict> {
    let mut v = Vec::new();
    let workloads: Vec<Workload> =
        Workload::ALL.into_iter().filter(|w| r.cells.iter().any(|c| c.workload == *w)).collect();
    for &w in &workloads {
        let over = |c| overhead_median(&r.cells, w, c);
        for at in [Contender::ArgtraceText, Contender::ArgtraceJson] {
            let name = if at == Contender::ArgtraceText { "argtrace" } else { "argtrace --json" };
            v.push(overhead_verdict(
                "overhead ≤ 1.5 × empty program's",
                format!("{} ({name})", w.name()),
                (over(at), over(Contender::Empty)),
                ("", ""),
                |x| x <= 1.5,
            ));
        }
        let a = over(Contender::ArgtraceText);
        v.push(overhead_verdict(
            "overhead ≤ ½ × bpftrace's",
            w.name().into(),
            (a, over(Contender::Bpftrace)),
            ("", ""),
            |x| x <= 0.5,
        ));
        v.push(overhead_verdict(
            "overhead ≥ 20 × below strace's",
            w.name().into(),
            (over(Contender::Strace), a),
            ("strace ", " argtrace"),
            |x| x >= 20.0,
        ));
        for at in [Contender::ArgtraceText, Contender::ArgtraceJson] {
            let c = cell(&r.cells, w, at);
            let lost = c.and_then(|c| summarize(c, None).lost_max);
            let name = output_name(at);
            v.push(Verdict {
                target: "zero loss at full rate".into(),
                scope: format!("{} ({name})", w.name()),
                figure: match (c, lost) {
                    (Some(c), Some(l)) => format!(
                        "{} of {} runs lossless, at most {l} lost",
                        c.runs
                            .iter()
                            .filter(|x| x.events == Some(c.calls) && x.reported_lost.unwrap_or(0) == 0)
                            .count(),
                        c.runs.len()
                    ),
                    _ => "n/a".into(),
                },
                met: lost.map(|l| l == 0),
            });
        }
    }
    for l in &r.loss {
        let name = output_name(l.contender);
        v.push(Verdict {
            target: "drop counter exact (ring buffer one page)".into(),
            scope: format!("mmap ({name})"),
            figure: match &l.result {
                Ok(x) => format!(
                    "{} written + {} dropped = {} of {} calls",
                    x.reported_events.map_or("?".into(), grouped),
                    x.reported_lost.map_or("?".into(), grouped),
                    match (x.reported_events, x.reported_lost) {
                        (Some(e), Some(d)) => grouped(e + d),
                        _ => "?".into(),
                    },
                    grouped(l.calls)
                ),
                Err(e) => format!("failed: {e}"),
            },
            met: l.exact(),
        });
    }
    if r.cells.iter().any(|c| c.workload.is_syscall()) {
        syscall_verdicts(r, &mut v);
    }
    let argtrace_cells: Vec<&Cell> =
        r.cells.iter().filter(|c| c.contender.is_argtrace() && !c.runs.is_empty()).collect();
    let over_argtrace_runs = |figure: fn(&RunResult) -> Option<f64>| {
        Stat::of(argtrace_cells.iter().flat_map(|c| c.runs.iter().filter_map(figure)))
    };
    let startup = over_argtrace_runs(RunResult::startup_ms);
    v.push(Verdict {
        target: "start-up to tracing < 100 ms".into(),
        scope: "all argtrace runs".into(),
        figure: startup
            .map_or("n/a".into(), |s| format!("median {} ms, max {} ms ({} runs)", num(s.median), num(s.max), s.n)),
        met: startup.map(|s| s.max < 100.0),
    });
    let rss = over_argtrace_runs(RunResult::rss_mib);
    v.push(Verdict {
        target: "peak RSS < 32 MiB".into(),
        scope: "all argtrace runs".into(),
        figure: rss.map_or("n/a".into(), |s| format!("median {} MiB, max {} MiB", num(s.median), num(s.max))),
        met: rss.map(|s| s.max < 32.0),
    });
    v
}

/// The stream's throughput under each contender (median loop time) and
/// its loss against no tracer, as a markdown table.
fn throughput_table(cells: &[&Cell]) -> String {
    let median = |c: &Cell| Stat::of(c.runs.iter().map(|r| r.elapsed_ns as f64)).map(|s| (s.median, c.calls));
    let mib_s = |(ns, calls): (f64, u64)| calls as f64 * stream::SEND_LEN as f64 / (ns / 1e9) / (1024.0 * 1024.0);
    let base = cells.iter().find(|c| c.contender == Contender::Baseline).and_then(|c| median(c)).map(mib_s);
    let mut md = String::from("| contender | throughput, MiB/s | throughput loss |\n|---|--:|--:|\n");
    for c in cells {
        let Some(t) = median(c).map(mib_s) else { continue };
        let loss = match base {
            Some(b) if c.contender != Contender::Baseline => {
                format!("{:.1} %", (1.0 - t / b) * 100.0)
            }
            _ => "—".into(),
        };
        let _ = writeln!(md, "| {} | {t:.0} | {loss} |", c.contender.label(Workload::Stream));
    }
    md.push('\n');
    md
}

pub fn markdown(r: &Results) -> String {
    let mut md = String::new();
    let m = &r.machine;
    let _ = writeln!(md, "## Results of {}\n", m.date);
    let _ = writeln!(md, "- Machine: Linux {}, {}, {} cores", m.kernel, m.cpu, m.cores);
    let tools: Vec<String> = m.tools.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(md, "- Tools: {}", tools.join("; "));
    let _ = writeln!(md, "- Command: `{}` ({:.0} s in all)", r.command, r.wall_s);
    let _ = writeln!(
        md,
        "- {} runs per cell, interleaved; each figure is median (min–max) over the runs.{}",
        r.runs,
        match r.pin {
            Some(p) => format!(" Workload pinned to CPU {}, tracer and TCP listener to CPU {}.", p.workload, p.tracer),
            None => " No CPU pinning.".into(),
        }
    );
    for n in &m.notes {
        let _ = writeln!(md, "- Note: {n}");
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "Overhead per call = (loop time traced − median loop time untraced) / calls. \
         Tracer CPU = the tracer's user + system time from attach to exit (including the drain), per call. \
         Start-up = spawn to the attach message (`argtrace: tracing`, bpftrace's `Attaching N probes`, \
         strace's `Process N attached`, the empty program's own line; perf trace prints none: \
         time until its perf_event descriptors are open). Peak RSS = wait4's ru_maxrss. \
         strace runs a tenth of the mmap calls (about 0.3 ms each under it).\n"
    );

    for w in Workload::ALL {
        let cells: Vec<&Cell> = r.cells.iter().filter(|c| c.workload == w).collect();
        let Some(first) = cells.first() else { continue };
        let base = baseline_ns(&r.cells, w);
        let _ = writeln!(md, "### {}: {}, {} calls\n", w.name(), w.describe(), grouped(first.calls));
        let _ = writeln!(
            md,
            "| contender | loop, ms | overhead per call, ns | events / calls | tracer CPU per call, ns | start-up, ms | peak RSS, MiB |"
        );
        let _ = writeln!(md, "|---|--:|--:|--:|--:|--:|--:|");
        let mut failures = Vec::new();
        for c in &cells {
            if c.runs.is_empty() {
                let _ = writeln!(md, "| {} | failed | | | | | |", c.contender.label(w));
                failures.extend(c.errors.iter().map(|e| format!("{}: {e}", c.contender.key())));
                continue;
            }
            let s = summarize(c, base);
            let events = match (&s.events, s.lost_max) {
                (Some(e), _) if e.min == e.max => {
                    format!("{} / {}", grouped(e.min as u64), grouped(c.calls))
                }
                (Some(e), _) => format!("{}–{} / {}", grouped(e.min as u64), grouped(e.max as u64), grouped(c.calls)),
                // No output to count (argtrace -s): what it said it counted.
                _ => {
                    let counted: Vec<u64> = c.runs.iter().filter_map(|r| r.reported_events).collect();
                    match (counted.iter().min(), counted.iter().max()) {
                        (Some(a), Some(b)) if a == b => format!("{} counted / {}", grouped(*a), grouped(c.calls)),
                        (Some(a), Some(b)) => format!("{}–{} counted / {}", grouped(*a), grouped(*b), grouped(c.calls)),
                        _ => "—".into(),
                    }
                }
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                c.contender.label(w),
                opt(&s.loop_ms),
                opt(&s.overhead_ns),
                events,
                opt(&s.cpu_ns_per_call),
                opt(&s.startup_ms),
                opt(&s.rss_mib)
            );
            for (i, run) in c.runs.iter().enumerate() {
                if let Some(n) = &run.note {
                    failures.push(format!("{} run {}: {n}", c.contender.key(), i + 1));
                }
                if run.failures > 0 {
                    failures.push(format!(
                        "{} run {}: {} calls of the loop failed",
                        c.contender.key(),
                        i + 1,
                        run.failures
                    ));
                }
            }
            failures.extend(c.errors.iter().map(|e| format!("{}: {e}", c.contender.key())));
        }
        md.push('\n');
        if w == Workload::Stream {
            md.push_str(&throughput_table(&cells));
        }
        for f in failures {
            let _ = writeln!(md, "- {f}");
        }
        md.push('\n');
    }

    if !r.loss.is_empty() {
        let _ = writeln!(md, "### Ring buffer made too small on purpose (`--ringbuf-size 4096`), mmap workload\n");
        let _ = writeln!(md, "| output | calls | events written | dropped (argtrace's count) | lines in the output | written + dropped = calls |");
        let _ = writeln!(md, "|---|--:|--:|--:|--:|---|");
        for l in &r.loss {
            let name = output_name(l.contender);
            match &l.result {
                Ok(x) => {
                    let _ = writeln!(
                        md,
                        "| {name} | {} | {} | {} | {} | {} |",
                        grouped(l.calls),
                        x.reported_events.map_or("?".into(), grouped),
                        x.reported_lost.map_or("?".into(), grouped),
                        x.events.map_or("?".into(), grouped),
                        match l.exact() {
                            Some(true) => "yes",
                            Some(false) => "**no**",
                            None => "?",
                        }
                    );
                }
                Err(e) => {
                    let _ = writeln!(md, "| {name} | {} | failed: {e} | | | |", grouped(l.calls));
                }
            }
        }
        md.push('\n');
    }

    if !r.bpf_stats.is_empty() {
        md.push_str(&bpf_stats_markdown(r));
    }

    if let Some(g) = &r.guest {
        md.push_str(&guest_markdown(g));
    }

    let _ = writeln!(md, "### Targets\n");
    let _ = writeln!(md, "| target | where | figure | |");
    let _ = writeln!(md, "|---|---|---|---|");
    for v in verdicts(r) {
        let mark = match v.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measurable",
        };
        let _ = writeln!(md, "| {} | {} | {} | {mark} |", v.target, v.scope, v.figure);
    }
    md
}

/// Program time per call of one run with kernel.bpf_stats on.
fn prog_ns_per_call(run: &RunResult, calls: u64) -> Option<f64> {
    let progs = run.bpf_progs.as_ref()?;
    Some(progs.iter().map(|p| p.run_time_ns).sum::<u64>() as f64 / calls as f64)
}

/// The run of a bpf_stats cell with the median program time per call (the
/// lower of the two middle ones for an even count).
fn median_stats_run(c: &Cell) -> Option<&RunResult> {
    let mut runs: Vec<(f64, &RunResult)> =
        c.runs.iter().filter_map(|r| Some((prog_ns_per_call(r, c.calls)?, r))).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs.get(runs.len().saturating_sub(1) / 2).map(|x| x.1)
}

/// Program time per call of `c` on `w` in the bpf_stats pass (median run).
fn stats_per_call(r: &Results, w: Workload, c: Contender) -> Option<f64> {
    let cell = r.bpf_stats.iter().find(|x| x.workload == w && x.contender == c)?;
    prog_ns_per_call(median_stats_run(cell)?, cell.calls)
}

/// Issue 18's targets for `argtrace syscall`, on the programs' own time per
/// call over the empty program's on the same hooks (tight getppid loop), and
/// -s for the whole machine against perf trace -s and strace -c (file walk).
fn syscall_verdicts(r: &Results, v: &mut Vec<Verdict>) {
    let w = Workload::Getppid;
    let floor = stats_per_call(r, w, Contender::Empty);
    for (c, target, limit) in [
        (Contender::ArgtraceText, "program time ≤ 3 × empty program's (goal 2 ×), traced call", 3.0),
        (Contender::ArgtraceMiss, "program time ≤ 1.3 × empty program's, unselected call", 1.3),
    ] {
        let a = stats_per_call(r, w, c);
        let x = crate::results::ratio(a, floor);
        v.push(Verdict {
            target: target.into(),
            scope: format!("getppid ({})", c.key()),
            figure: match (x, a, floor) {
                (Some(x), Some(a), Some(b)) => format!("{} × ({} vs {} ns)", num(x), num(a), num(b)),
                _ => "n/a".into(),
            },
            met: x.map(|x| x <= limit),
        });
    }
    let w = Workload::Files;
    let over = |c| overhead_median(&r.cells, w, c);
    for peer in [Contender::PerfTraceSummary, Contender::StraceSummary] {
        v.push(overhead_verdict(
            "-s for the whole machine cheaper per call",
            format!("files (vs {})", peer.key()),
            (over(Contender::ArgtraceSummaryAll), over(peer)),
            ("", ""),
            |x| x < 1.0,
        ));
    }
}

/// The pass with kernel.bpf_stats on: each tracer's programs' own run time,
/// which splits the overhead into the program and everything around it.
fn bpf_stats_markdown(r: &Results) -> String {
    let mut md = String::new();
    let n = r.bpf_stats.iter().map(|c| c.runs.len()).max().unwrap_or(0);
    let _ = writeln!(md, "### Time inside the BPF programs (the median of {n} run(s) each, kernel.bpf_stats on)\n");
    let _ = writeln!(
        md,
        "The kernel's own count of each program's runs and run time during the loop. \
         \"Overhead\" is that run's loop time per call over the baseline (bpf_stats itself adds two clock reads per program run).\n"
    );
    let _ = writeln!(md, "| workload | contender | program runs per call | ns in programs per call | over the empty program on the same hooks | ns per program run (each program) | overhead per call, ns |");
    let _ = writeln!(md, "|---|---|--:|--:|--:|---|--:|");
    // Program time per call of a contender, for the ratio to its floor.
    let per_call = |w: Workload, c: Contender| stats_per_call(r, w, c);
    for c in &r.bpf_stats {
        let Some(run) = median_stats_run(c) else {
            let _ = writeln!(md, "| {} | {} | failed | | | | |", c.workload.name(), c.contender.key());
            continue;
        };
        let progs = run.bpf_progs.clone().unwrap_or_default();
        let calls = c.calls as f64;
        let runs: u64 = progs.iter().map(|p| p.run_cnt).sum();
        let ns: u64 = progs.iter().map(|p| p.run_time_ns).sum();
        let each: Vec<String> =
            progs.iter().map(|p| format!("{} {}", p.name, num(p.run_time_ns as f64 / p.run_cnt as f64))).collect();
        let overhead = baseline_ns(&r.cells, c.workload).map(|b| run.elapsed_ns as f64 / calls - b);
        let over_floor = c
            .contender
            .floor()
            .and_then(|f| per_call(c.workload, f))
            .filter(|e| *e > 0.0)
            .map(|e| format!("{} ×", num(ns as f64 / calls / e)));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.workload.name(),
            c.contender.key(),
            num(runs as f64 / calls),
            num(ns as f64 / calls),
            over_floor.unwrap_or_else(|| "—".into()),
            each.join(", "),
            overhead.map_or("—".into(), num)
        );
    }
    md.push('\n');
    md
}

/// Which cell: its workload, contender and calls.
fn cell_json(c: &Cell) -> Json {
    Json::obj().with("workload", c.workload.name()).with("contender", c.contender.key()).with("calls", c.calls)
}

fn stat_json(s: &Option<Stat>) -> Json {
    match s {
        Some(s) => Json::obj().with("n", s.n).with("median", s.median).with("min", s.min).with("max", s.max),
        None => Json::Null,
    }
}

pub fn json(r: &Results) -> Json {
    let m = &r.machine;
    let machine = Json::obj()
        .with("date", m.date.as_str())
        .with("kernel", m.kernel.as_str())
        .with("cpu", m.cpu.as_str())
        .with("cores", m.cores)
        .with("tools", Json::Obj(m.tools.iter().map(|(k, v)| (k.clone(), Json::from(v.as_str()))).collect()))
        .with("notes", m.notes.clone());
    let cells: Vec<Json> = r
        .cells
        .iter()
        .map(|c| {
            let s = summarize(c, baseline_ns(&r.cells, c.workload));
            let runs: Vec<Json> = c
                .runs
                .iter()
                .map(|x| {
                    Json::obj()
                        .with("loop_ns", x.elapsed_ns)
                        .with("failed_calls", x.failures)
                        .with("events", x.events)
                        .with("reported_events", x.reported_events)
                        .with("reported_lost", x.reported_lost)
                        .with("tracer_cpu_ns", x.tracer_cpu_ns)
                        .with("startup_ns", x.startup_ns)
                        .with("maxrss_kib", x.maxrss_kib)
                        .with("exit_code", x.exit_code)
                        .with("note", x.note.clone())
                        .with("bpf_programs", progs_json(x))
                })
                .collect();
            Json::obj()
                .with("workload", c.workload.name())
                .with("contender", c.contender.key())
                .with("how", c.contender.label(c.workload))
                .with("calls", c.calls)
                .with("run_count", c.runs.len())
                .with(
                    "summary",
                    Json::obj()
                        .with("loop_ms", stat_json(&s.loop_ms))
                        .with("overhead_ns_per_call", stat_json(&s.overhead_ns))
                        .with("events", stat_json(&s.events))
                        .with("lost_max", s.lost_max)
                        .with("tracer_cpu_ns_per_call", stat_json(&s.cpu_ns_per_call))
                        .with("startup_ms", stat_json(&s.startup_ms))
                        .with("peak_rss_mib", stat_json(&s.rss_mib)),
                )
                .with("runs", Json::Arr(runs))
                .with("errors", c.errors.clone())
        })
        .collect();
    let loss: Vec<Json> = r
        .loss
        .iter()
        .map(|l| {
            let base = Json::obj()
                .with("contender", l.contender.key())
                .with("workload", "mmap")
                .with("ringbuf_bytes", l.ringbuf_bytes)
                .with("calls", l.calls);
            match &l.result {
                Ok(x) => base
                    .with("reported_events", x.reported_events)
                    .with("reported_lost", x.reported_lost)
                    .with("lines_counted", x.events)
                    .with("exact", l.exact()),
                Err(e) => base.with("error", e.as_str()),
            }
        })
        .collect();
    let stats: Vec<Json> = r
        .bpf_stats
        .iter()
        .map(|c| {
            cell_json(c)
                .with("loop_ns", median_stats_run(c).map(|x| x.elapsed_ns))
                .with("bpf_programs", median_stats_run(c).map_or(Json::Null, progs_json))
                .with(
                    "bpf_ns_per_call_each_run",
                    c.runs.iter().filter_map(|x| prog_ns_per_call(x, c.calls)).collect::<Vec<f64>>(),
                )
                .with("errors", c.errors.clone())
        })
        .collect();
    let targets: Vec<Json> = verdicts(r)
        .into_iter()
        .map(|v| {
            Json::obj().with("target", v.target).with("where", v.scope).with("figure", v.figure).with("met", v.met)
        })
        .collect();
    let mut root = Json::obj()
        .with("machine", machine)
        .with("command", r.command.as_str())
        .with("wall_seconds", r.wall_s)
        .with("runs_per_cell", r.runs)
        .with("quick", r.quick)
        .with("pinning", r.pin.map(|p| Json::obj().with("workload_cpu", p.workload).with("tracer_cpu", p.tracer)))
        .with("cells", Json::Arr(cells))
        .with("ringbuf_drop_check", Json::Arr(loss))
        .with("bpf_stats_pass", Json::Arr(stats))
        .with("targets", Json::Arr(targets));
    if let Some(g) = &r.guest {
        root = root.with("guest", guest_json(g));
    }
    root
}

fn progs_json(x: &RunResult) -> Json {
    match &x.bpf_progs {
        None => Json::Null,
        Some(p) => Json::Arr(
            p.iter()
                .map(|p| {
                    Json::obj()
                        .with("name", p.name.as_str())
                        .with("run_cnt", p.run_cnt)
                        .with("run_time_ns", p.run_time_ns)
                })
                .collect(),
        ),
    }
}

/// One row per workload, one column per probe mode, of a guest ratio.
fn mode_table(md: &mut String, intro: &str, ratios: PerMode) {
    let modes: Vec<&str> = ProbeMode::CALLS.iter().map(|m| m.name()).collect();
    let _ = writeln!(md, "{intro}\n");
    let _ = writeln!(md, "| workload | {} |", modes.join(" | "));
    let _ = writeln!(md, "|---|{}", "--:|".repeat(modes.len()));
    for w in Workload::CALLS {
        let r: Vec<String> = ratios
            .iter()
            .filter(|(x, _, _)| *x == w)
            .map(|(_, _, r)| r.map_or("n/a".into(), |r| format!("{} ×", num(r))))
            .collect();
        let _ = writeln!(md, "| {} | {} |", w.name(), r.join(" | "));
    }
    md.push('\n');
}

/// A contender measured inside a guest, in one hook family.
type ContenderIn = fn(ProbeMode) -> Contender;

/// The guest's argtrace -T and -s contenders per hook family, with what they do.
const TIMED: [(&str, ContenderIn); 2] = [
    ("argtrace -T (each event with its duration)", Contender::ArgtraceDurationsIn),
    ("argtrace -s (counted in the kernel)", Contender::ArgtraceSummaryIn),
];

/// The guest part's tables: argtrace over the empty program per hook family.
pub fn guest_markdown(g: &GuestOutcome) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "### In a QEMU guest (x86_64, TCG: emulated CPU, ratios only)\n");
    match g {
        GuestOutcome::Unavailable(why) => {
            let _ = writeln!(md, "Not run: {why}.\n");
        }
        GuestOutcome::Ran(run) => {
            mode_table(
                &mut md,
                &format!(
                    "Kernel {}. argtrace's loop overhead per call over the empty program's on the same hooks (target ≤ 1.5; \
                     n/a where an overhead came out negative, i.e. below the emulator's run-to-run noise):",
                    run.kernel
                ),
                run.ratios(),
            );
            if !run.prog.is_empty() {
                mode_table(
                    &mut md,
                    "The programs' own run time per call (kernel.bpf_stats, one run each), argtrace over the empty program:",
                    run.prog_ratios(),
                );
                for (what, argtrace) in TIMED {
                    let ratios = run.prog_ratios_of(argtrace);
                    if ratios.iter().all(|(_, _, r)| r.is_none()) {
                        continue;
                    }
                    mode_table(
                        &mut md,
                        &format!(
                            "{what}: the programs' own run time per call over the empty program's on the same hooks \
                             (with the -T/-s start hooks):"
                        ),
                        ratios,
                    );
                }
                mode_table(
                    &mut md,
                    "argtrace's own program time per call in each mode, over tracepoint mode's:",
                    run.mode_ratios(),
                );
            }
            let runs = Stat::of(run.cells.iter().map(|c| c.runs.len() as f64));
            if let Some(s) = runs {
                let _ = writeln!(md, "{} runs per cell (median of overheads).\n", s.median);
            }
        }
    }
    md
}

fn ratios_json(ratios: PerMode) -> Json {
    Json::Arr(
        ratios
            .into_iter()
            .map(|(w, m, r)| {
                Json::obj().with("workload", w.name()).with("mode", m.name()).with("argtrace_over_empty", r)
            })
            .collect(),
    )
}

pub fn guest_json(g: &GuestOutcome) -> Json {
    match g {
        GuestOutcome::Unavailable(why) => Json::obj().with("ran", false).with("reason", why.as_str()),
        GuestOutcome::Ran(run) => {
            let cells: Vec<Json> = run
                .cells
                .iter()
                .map(|c| {
                    cell_json(c)
                        .with("loop_ns", c.runs.iter().map(|r| r.elapsed_ns).collect::<Vec<_>>())
                        .with("events", c.runs.iter().map(|r| r.events).collect::<Vec<_>>())
                })
                .collect();
            let programs: Vec<Json> = run
                .prog
                .iter()
                .map(|p| {
                    Json::obj()
                        .with("workload", p.workload.name())
                        .with("contender", p.contender.key())
                        .with("calls", p.calls)
                        .with("program_runs", p.runs)
                        .with("program_ns", p.ns)
                })
                .collect();
            Json::obj()
                .with("ran", true)
                .with("kernel", run.kernel.as_str())
                .with("ratios", ratios_json(run.ratios()))
                .with("program_time_ratios", ratios_json(run.prog_ratios()))
                .with("program_time_ratios_durations", ratios_json(run.prog_ratios_of(Contender::ArgtraceDurationsIn)))
                .with("program_time_ratios_summary", ratios_json(run.prog_ratios_of(Contender::ArgtraceSummaryIn)))
                .with("programs", Json::Arr(programs))
                .with("cells", Json::Arr(cells))
        }
    }
}
