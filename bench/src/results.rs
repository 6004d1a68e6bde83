//! What a benchmark produces, as plain data: the cells of runs, the ring-buffer
//! loss check, the machine, the guest's outcome; and the figures every report
//! draws from them (a cell's summary, overheads, the guest's ratios). The
//! modules that run the cells (cells, guest, bench) and the one that writes
//! them out (report) all import this one; it imports none of them.

use argtrace::family::ProbeMode;

use crate::contender::Contender;
use crate::runner::{Pinning, RunResult};
use crate::stats::Stat;
use crate::workload::Workload;

/// One workload under one contender, all its runs.
pub struct Cell {
    pub workload: Workload,
    pub contender: Contender,
    pub calls: u64,
    pub runs: Vec<RunResult>,
    pub errors: Vec<String>,
}

/// The one-page ring buffer run: are events + dropped exactly the calls?
pub struct LossCheck {
    pub contender: Contender,
    pub calls: u64,
    pub ringbuf_bytes: u64,
    pub result: Result<RunResult, String>,
}

impl LossCheck {
    pub fn exact(&self) -> Option<bool> {
        let r = self.result.as_ref().ok()?;
        let (e, d) = (r.reported_events?, r.reported_lost?);
        Some(e + d == self.calls && r.events == Some(e))
    }
}

pub struct Machine {
    pub date: String,
    pub kernel: String,
    pub cpu: String,
    pub cores: usize,
    pub tools: Vec<(String, String)>,
    pub notes: Vec<String>,
}

pub struct Results {
    pub machine: Machine,
    pub runs: usize,
    pub quick: bool,
    pub pin: Option<Pinning>,
    pub cells: Vec<Cell>,
    pub loss: Vec<LossCheck>,
    /// One run each of the BPF contenders with kernel.bpf_stats on.
    pub bpf_stats: Vec<Cell>,
    pub guest: Option<GuestOutcome>,
    pub wall_s: f64,
    pub command: String,
}

pub enum GuestOutcome {
    /// Why the guest part could not run.
    Unavailable(String),
    Ran(GuestRun),
}

/// What the guest printed on its console, read back.
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
            .filter_map(|r| r.events.map(|e| cell.calls.saturating_sub(e).max(r.reported_lost.unwrap_or(0))))
            .max(),
        cpu_ns_per_call: Stat::of(runs.iter().filter_map(|r| r.tracer_cpu_ns.map(|c| c as f64 / calls))),
        startup_ms: Stat::of(runs.iter().filter_map(RunResult::startup_ms)),
        rss_mib: Stat::of(runs.iter().filter_map(RunResult::rss_mib)),
    }
}

/// The cell of `c` on `w`, if it has runs.
pub fn cell(cells: &[Cell], w: Workload, c: Contender) -> Option<&Cell> {
    cells.iter().find(|x| x.workload == w && x.contender == c && !x.runs.is_empty())
}

/// The median overhead per call of `c` on `w`, over the baseline's loop.
pub fn overhead_median(cells: &[Cell], w: Workload, c: Contender) -> Option<f64> {
    let b = baseline_ns(cells, w)?;
    summarize(cell(cells, w, c)?, Some(b)).overhead_ns.map(|s| s.median)
}

/// `a / b`, where both are known and `b` is above zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// The ratio of two median overheads. One at or below zero is under the
/// run-to-run noise (in a guest, the emulator's): no ratio.
pub fn overhead_ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    ratio(a.filter(|a| *a > 0.0), b)
}

/// One figure per workload and probe mode, in that order.
pub type PerMode = Vec<(Workload, ProbeMode, Option<f64>)>;

fn per_mode(figure: impl Fn(Workload, ProbeMode) -> Option<f64>) -> PerMode {
    let figure = &figure;
    Workload::CALLS.into_iter().flat_map(|w| ProbeMode::CALLS.into_iter().map(move |m| (w, m, figure(w, m)))).collect()
}

impl GuestRun {
    /// argtrace's overhead over the empty program's, per workload and mode.
    pub fn ratios(&self) -> PerMode {
        let over = |w, c| overhead_median(&self.cells, w, c);
        per_mode(|w, m| overhead_ratio(over(w, Contender::ArgtraceIn(m)), over(w, Contender::EmptyIn(m))))
    }

    /// The programs' own time per call of `c` on `w`.
    fn prog_per_call(&self, w: Workload, c: Contender) -> Option<f64> {
        self.prog.iter().find(|p| p.workload == w && p.contender == c).map(|p| p.ns as f64 / p.calls as f64)
    }

    /// The same ratio for the programs' own time per call.
    pub fn prog_ratios(&self) -> PerMode {
        self.prog_ratios_of(Contender::ArgtraceIn)
    }

    /// The programs' own time per call of `argtrace` in each mode over its
    /// floor's (`Contender::floor`: the empty program on the same hooks; for
    /// -T and -s, with their `*_start` hooks).
    pub fn prog_ratios_of(&self, argtrace: fn(ProbeMode) -> Contender) -> PerMode {
        let per_call = |w, c| self.prog_per_call(w, c);
        per_mode(|w, m| {
            let c = argtrace(m);
            ratio(per_call(w, c), c.floor().and_then(|f| per_call(w, f)))
        })
    }

    /// argtrace's own program time per call in each mode over tracepoint mode's.
    pub fn mode_ratios(&self) -> PerMode {
        let argtrace = |w, m| self.prog_per_call(w, Contender::ArgtraceIn(m));
        per_mode(|w, m| ratio(argtrace(w, m), argtrace(w, ProbeMode::Tracepoint)))
    }
}
