//! Running the cells: every (workload, contender) pair, all its runs, the
//! runs interleaved across contenders (run 1 of each contender, then run 2 ...)
//! so drift hits all alike. Used on the host (bench) and in a guest (guest).

use crate::contender::Contender;
use crate::results::Cell;
use crate::runner::{self, RunResult, Settings};
use crate::workload::Workload;

/// Every (workload, contender) cell the contender runs on
/// (`Contender::runs_on`), runs interleaved across contenders. A
/// contender that fails to attach is not retried on that workload (the
/// failure is deterministic: a missing tool or a program the kernel refuses).
pub fn run_cells(
    set: &Settings,
    calls_for: impl Fn(Workload) -> u64,
    workloads: &[Workload],
    contenders: &[Contender],
    runs: usize,
) -> Vec<Cell> {
    let mut all = Vec::new();
    for &w in workloads {
        let calls = calls_for(w);
        let mut cells: Vec<Cell> = contenders
            .iter()
            .filter(|c| c.runs_on(w))
            .map(|&c| Cell {
                workload: w,
                contender: c,
                calls: c.calls(w, calls),
                runs: Vec::new(),
                errors: Vec::new(),
            })
            .collect();
        // One untimed run first: page cache, caches and the CPU's clocks settle.
        let _ = runner::run_one(set, w, Contender::Baseline, calls, &[]);
        for r in 0..runs {
            for cell in cells.iter_mut() {
                if !cell.errors.is_empty() {
                    continue;
                }
                let tag = format!("[{} {}/{}] {:<14}", w.name(), r + 1, runs, cell.contender.key());
                match runner::run_one(set, w, cell.contender, cell.calls, &[]) {
                    Ok(res) => {
                        eprintln!("{tag} {}", progress(&res, cell.calls));
                        cell.runs.push(res);
                    }
                    Err(e) => {
                        eprintln!("{tag} FAILED: {e}");
                        cell.errors.push(e);
                    }
                }
            }
        }
        all.extend(cells);
    }
    all
}

fn progress(r: &RunResult, calls: u64) -> String {
    let mut s = format!("loop {:8.1} ms", r.elapsed_ns as f64 / 1e6);
    if let Some(e) = r.events {
        s += &format!("  events {e}/{calls}");
    }
    if let (Some(e), Some(d)) = (r.reported_events, r.reported_lost) {
        s += &format!(" (says {e} events, {d} lost)");
    }
    if let Some(c) = r.tracer_cpu_ns {
        s += &format!("  cpu {:.1} ms", c as f64 / 1e6);
    }
    if let Some(t) = r.startup_ns {
        s += &format!("  start-up {:.1} ms", t as f64 / 1e6);
    }
    if let Some(m) = r.maxrss_kib {
        s += &format!("  rss {:.1} MiB", m as f64 / 1024.0);
    }
    if r.failures > 0 {
        s += &format!("  {} calls FAILED", r.failures);
    }
    if let Some(n) = &r.note {
        s += &format!("  [{n}]");
    }
    if let Some(progs) = &r.bpf_progs {
        for p in progs {
            s += &format!(
                "\n      bpf {:<16} {:>9} runs {:>7.0} ns/run",
                p.name,
                p.run_cnt,
                p.run_time_ns as f64 / p.run_cnt as f64
            );
        }
    }
    s
}
