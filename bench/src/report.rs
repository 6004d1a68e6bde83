//! The results as a markdown table (with the targets met or missed) and as
//! raw JSON (every run, plus the same summaries).

use std::fmt::Write as _;

use crate::bench::{Cell, Results};
use crate::contender::Contender;
use crate::json::Json;
use crate::stats::{grouped, num, Stat};
use crate::workload::Workload;

/// The summaries of one cell; baseline-relative figures need the baseline's median.
pub struct Summary {
    pub loop_ms: Option<Stat>,
    pub overhead_ns: Option<Stat>,
    pub events: Option<Stat>,
    pub lost_max: Option<u64>,
    pub cpu_ns_per_call: Option<Stat>,
    pub startup_ms: Option<Stat>,
    pub rss_mib: Option<Stat>,
}

/// The untraced loop's median time per call.
pub fn baseline_ns(cells: &[Cell], w: Workload) -> Option<f64> {
    cells
        .iter()
        .find(|c| c.workload == w && c.contender == Contender::Baseline)
        .and_then(|c| Stat::of(c.runs.iter().map(|r| r.elapsed_ns as f64 / c.calls as f64)))
        .map(|s| s.median)
}

pub fn summarize(cell: &Cell, baseline: Option<f64>) -> Summary {
    let calls = cell.calls as f64;
    let runs = &cell.runs;
    let traced = cell.contender != Contender::Baseline;
    Summary {
        loop_ms: Stat::of(runs.iter().map(|r| r.elapsed_ns as f64 / 1e6)),
        overhead_ns: baseline
            .filter(|_| traced)
            .and_then(|b| Stat::of(runs.iter().map(|r| r.elapsed_ns as f64 / calls - b))),
        events: Stat::of(runs.iter().filter_map(|r| r.events.map(|e| e as f64))),
        lost_max: runs
            .iter()
            .filter_map(|r| {
                r.events.map(|e| {
                    cell.calls
                        .saturating_sub(e)
                        .max(r.reported_lost.unwrap_or(0))
                })
            })
            .max(),
        cpu_ns_per_call: Stat::of(
            runs.iter()
                .filter_map(|r| r.tracer_cpu_ns.map(|c| c as f64 / calls)),
        ),
        startup_ms: Stat::of(
            runs.iter()
                .filter_map(|r| r.startup_ns.map(|t| t as f64 / 1e6)),
        ),
        rss_mib: Stat::of(
            runs.iter()
                .filter_map(|r| r.maxrss_kib.map(|k| k as f64 / 1024.0)),
        ),
    }
}

fn cell(cells: &[Cell], w: Workload, c: Contender) -> Option<&Cell> {
    cells
        .iter()
        .find(|x| x.workload == w && x.contender == c && !x.runs.is_empty())
}

fn overhead_median(cells: &[Cell], w: Workload, c: Contender) -> Option<f64> {
    let b = baseline_ns(cells, w)?;
    summarize(cell(cells, w, c)?, Some(b))
        .overhead_ns
        .map(|s| s.median)
}

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

pub fn verdicts(r: &Results) -> Vec<Verdict> {
    let mut v = Vec::new();
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| r.cells.iter().any(|c| c.workload == *w))
        .collect();
    // A median overhead at or below zero is under the run-to-run noise: no ratio.
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Some(a / b),
        _ => None,
    };
    let na = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!(
            "n/a: an overhead is below the run-to-run noise ({} vs {} ns)",
            num(a),
            num(b)
        ),
        _ => "n/a".to_string(),
    };
    for &w in &workloads {
        for at in [Contender::ArgtraceText, Contender::ArgtraceJson] {
            let a = overhead_median(&r.cells, w, at);
            let name = if at == Contender::ArgtraceText {
                "argtrace"
            } else {
                "argtrace --json"
            };
            let e = overhead_median(&r.cells, w, Contender::Empty);
            let x = ratio(a, e);
            v.push(Verdict {
                target: "overhead ≤ 1.5 × empty program's".into(),
                scope: format!("{} ({name})", w.name()),
                figure: x.map_or(na(a, e), |x| {
                    format!(
                        "{} × ({} vs {} ns)",
                        num(x),
                        num(a.unwrap()),
                        num(e.unwrap())
                    )
                }),
                met: x.map(|x| x <= 1.5),
            });
        }
        let a = overhead_median(&r.cells, w, Contender::ArgtraceText);
        let b = overhead_median(&r.cells, w, Contender::Bpftrace);
        let x = ratio(a, b);
        v.push(Verdict {
            target: "overhead ≤ ½ × bpftrace's".into(),
            scope: w.name().into(),
            figure: x.map_or(na(a, b), |x| {
                format!(
                    "{} × ({} vs {} ns)",
                    num(x),
                    num(a.unwrap()),
                    num(b.unwrap())
                )
            }),
            met: x.map(|x| x <= 0.5),
        });
        let s = overhead_median(&r.cells, w, Contender::Strace);
        let x = ratio(s, a);
        v.push(Verdict {
            target: "overhead ≥ 20 × below strace's".into(),
            scope: w.name().into(),
            figure: x.map_or(na(s, a), |x| {
                format!(
                    "strace {} × argtrace ({} vs {} ns)",
                    num(x),
                    num(s.unwrap()),
                    num(a.unwrap())
                )
            }),
            met: x.map(|x| x >= 20.0),
        });
        for at in [Contender::ArgtraceText, Contender::ArgtraceJson] {
            let c = cell(&r.cells, w, at);
            let lost = c.and_then(|c| summarize(c, None).lost_max);
            let name = if at == Contender::ArgtraceText {
                "text"
            } else {
                "JSON"
            };
            v.push(Verdict {
                target: "zero loss at full rate".into(),
                scope: format!("{} ({name})", w.name()),
                figure: match (c, lost) {
                    (Some(c), Some(l)) => format!(
                        "{} of {} runs lossless, at most {l} lost",
                        c.runs
                            .iter()
                            .filter(
                                |x| x.events == Some(c.calls) && x.reported_lost.unwrap_or(0) == 0
                            )
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
        let name = if l.contender == Contender::ArgtraceText {
            "text"
        } else {
            "JSON"
        };
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
    let argtrace_cells: Vec<&Cell> = r
        .cells
        .iter()
        .filter(|c| c.contender.is_argtrace() && !c.runs.is_empty())
        .collect();
    let startup = Stat::of(argtrace_cells.iter().flat_map(|c| {
        c.runs
            .iter()
            .filter_map(|r| r.startup_ns.map(|t| t as f64 / 1e6))
    }));
    v.push(Verdict {
        target: "start-up to tracing < 100 ms".into(),
        scope: "all argtrace runs".into(),
        figure: startup.map_or("n/a".into(), |s| {
            format!(
                "median {} ms, max {} ms ({} runs)",
                num(s.median),
                num(s.max),
                s.n
            )
        }),
        met: startup.map(|s| s.max < 100.0),
    });
    let rss = Stat::of(argtrace_cells.iter().flat_map(|c| {
        c.runs
            .iter()
            .filter_map(|r| r.maxrss_kib.map(|k| k as f64 / 1024.0))
    }));
    v.push(Verdict {
        target: "peak RSS < 32 MiB".into(),
        scope: "all argtrace runs".into(),
        figure: rss.map_or("n/a".into(), |s| {
            format!("median {} MiB, max {} MiB", num(s.median), num(s.max))
        }),
        met: rss.map(|s| s.max < 32.0),
    });
    v
}

pub fn markdown(r: &Results) -> String {
    let mut md = String::new();
    let m = &r.machine;
    let _ = writeln!(md, "## Results of {}\n", m.date);
    let _ = writeln!(
        md,
        "- Machine: Linux {}, {}, {} cores",
        m.kernel, m.cpu, m.cores
    );
    let tools: Vec<String> = m.tools.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let _ = writeln!(md, "- Tools: {}", tools.join("; "));
    let _ = writeln!(md, "- Command: `{}` ({:.0} s in all)", r.command, r.wall_s);
    let _ = writeln!(
        md,
        "- {} runs per cell, interleaved; each figure is median (min–max) over the runs.{}",
        r.runs,
        match r.pin {
            Some(p) => format!(
                " Workload pinned to CPU {}, tracer and TCP listener to CPU {}.",
                p.workload, p.tracer
            ),
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
        let _ = writeln!(
            md,
            "### {}: {}, {} calls\n",
            w.name(),
            w.describe(),
            grouped(first.calls)
        );
        let _ = writeln!(
            md,
            "| contender | loop, ms | overhead per call, ns | events / calls | tracer CPU per call, ns | start-up, ms | peak RSS, MiB |"
        );
        let _ = writeln!(md, "|---|--:|--:|--:|--:|--:|--:|");
        let mut failures = Vec::new();
        for c in &cells {
            if c.runs.is_empty() {
                let _ = writeln!(md, "| {} | failed | | | | | |", c.contender.label(w));
                failures.extend(
                    c.errors
                        .iter()
                        .map(|e| format!("{}: {e}", c.contender.key())),
                );
                continue;
            }
            let s = summarize(c, base);
            let events = match (&s.events, s.lost_max) {
                (Some(e), _) if e.min == e.max => {
                    format!("{} / {}", grouped(e.min as u64), grouped(c.calls))
                }
                (Some(e), _) => format!(
                    "{}–{} / {}",
                    grouped(e.min as u64),
                    grouped(e.max as u64),
                    grouped(c.calls)
                ),
                _ => "—".into(),
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
            failures.extend(
                c.errors
                    .iter()
                    .map(|e| format!("{}: {e}", c.contender.key())),
            );
        }
        md.push('\n');
        for f in failures {
            let _ = writeln!(md, "- {f}");
        }
        md.push('\n');
    }

    if !r.loss.is_empty() {
        let _ = writeln!(
            md,
            "### Ring buffer made too small on purpose (`--ringbuf-size 4096`), mmap workload\n"
        );
        let _ = writeln!(md, "| output | calls | events written | dropped (argtrace's count) | lines in the output | written + dropped = calls |");
        let _ = writeln!(md, "|---|--:|--:|--:|--:|---|");
        for l in &r.loss {
            let name = if l.contender == Contender::ArgtraceText {
                "text"
            } else {
                "JSON"
            };
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
        md.push_str(&crate::guest::markdown(g));
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

/// The pass with kernel.bpf_stats on: each tracer's programs' own run time,
/// which splits the overhead into the program and everything around it.
fn bpf_stats_markdown(r: &Results) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "### Time inside the BPF programs (one run each, kernel.bpf_stats on)\n"
    );
    let _ = writeln!(
        md,
        "The kernel's own count of each program's runs and run time during the loop. \
         \"Overhead\" is that run's loop time per call over the baseline (bpf_stats itself adds two clock reads per program run).\n"
    );
    let _ = writeln!(md, "| workload | contender | program runs per call | ns in programs per call | over the empty program on the same hooks | ns per program run (each program) | overhead per call, ns |");
    let _ = writeln!(md, "|---|---|--:|--:|--:|---|--:|");
    // Program time per call of a contender, for the ratio to its floor.
    let per_call = |w: Workload, c: Contender| {
        r.bpf_stats
            .iter()
            .find(|x| x.workload == w && x.contender == c)
            .and_then(|x| Some((x.calls, x.runs.first()?.bpf_progs.as_ref()?)))
            .map(|(calls, p)| p.iter().map(|p| p.run_time_ns).sum::<u64>() as f64 / calls as f64)
    };
    for c in &r.bpf_stats {
        let Some(run) = c.runs.first() else {
            let _ = writeln!(
                md,
                "| {} | {} | failed | | | | |",
                c.workload.name(),
                c.contender.key()
            );
            continue;
        };
        let progs = run.bpf_progs.clone().unwrap_or_default();
        let calls = c.calls as f64;
        let runs: u64 = progs.iter().map(|p| p.run_cnt).sum();
        let ns: u64 = progs.iter().map(|p| p.run_time_ns).sum();
        let each: Vec<String> = progs
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p.name,
                    num(p.run_time_ns as f64 / p.run_cnt as f64)
                )
            })
            .collect();
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

fn stat_json(s: &Option<Stat>) -> Json {
    match s {
        Some(s) => Json::obj()
            .with("n", s.n)
            .with("median", s.median)
            .with("min", s.min)
            .with("max", s.max),
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
        .with(
            "tools",
            Json::Obj(
                m.tools
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                    .collect(),
            ),
        )
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
            Json::obj()
                .with("workload", c.workload.name())
                .with("contender", c.contender.key())
                .with("calls", c.calls)
                .with("loop_ns", c.runs.first().map(|x| x.elapsed_ns))
                .with(
                    "bpf_programs",
                    c.runs.first().map_or(Json::Null, progs_json),
                )
                .with("errors", c.errors.clone())
        })
        .collect();
    let targets: Vec<Json> = verdicts(r)
        .into_iter()
        .map(|v| {
            Json::obj()
                .with("target", v.target)
                .with("where", v.scope)
                .with("figure", v.figure)
                .with("met", v.met)
        })
        .collect();
    let mut root = Json::obj()
        .with("machine", machine)
        .with("command", r.command.as_str())
        .with("wall_seconds", r.wall_s)
        .with("runs_per_cell", r.runs)
        .with("quick", r.quick)
        .with(
            "pinning",
            r.pin.map(|p| {
                Json::obj()
                    .with("workload_cpu", p.workload)
                    .with("tracer_cpu", p.tracer)
            }),
        )
        .with("cells", Json::Arr(cells))
        .with("ringbuf_drop_check", Json::Arr(loss))
        .with("bpf_stats_pass", Json::Arr(stats))
        .with("targets", Json::Arr(targets));
    if let Some(g) = &r.guest {
        root = root.with("guest", crate::guest::json(g));
    }
    root
}

fn progs_json(x: &crate::runner::RunResult) -> Json {
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
