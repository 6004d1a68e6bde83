//! Summary mode (-s): what the kernel counted per call (bpf/argtrace.bpf.h,
//! count_call(): calls, errors per errno, total, minimum and maximum
//! duration, a log2 histogram, in per-CPU maps), read at exit or every
//! --interval and printed as strace -c prints its table, then the errors per
//! errno and bcc's histograms; with --json, one object per table. Nothing is
//! streamed per event, so the cost per call is two small programs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::time::{Duration, Instant};

use libbpf_rs::{MapCore, MapFlags, MapHandle};

use crate::config::Config;
use crate::decode;
use crate::error::{Error, Result};
use crate::family::load::{Drops, Tracer};
use crate::render::{write_json_str, Json, Style};
use crate::subject::Subject;
use crate::sys;

// Every object has the summary's types (bpf/argtrace.bpf.h): mmap's skeleton
// names them for all.
use crate::subject::mmap::skel::types::{
    argtrace_call_stats as RawStats, argtrace_errno_key as ErrnoKey, argtrace_summary_limits as Limits,
};

// SAFETY: the generated #[repr(C)] mirrors of bpf/argtrace.h's
// argtrace_call_stats and argtrace_errno_key, integers and arrays of
// integers only: every byte pattern is a valid value.
unsafe impl plain::Plain for RawStats {}
// SAFETY: as above.
unsafe impl plain::Plain for ErrnoKey {}

/// How long the programs that read the old generation before a swap may
/// still be counting into it: a program run takes microseconds.
const SETTLE: Duration = Duration::from_millis(10);

/// How often the loop looks at the stop signal, --duration and --interval.
const TICK: Duration = Duration::from_millis(50);

/// One call's counts, summed over the CPUs, for one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallSummary {
    pub name: String,
    pub calls: u64,
    pub errors: u64,
    pub total_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
    /// hist[i]: calls that took 2^i to 2^(i+1)-1 ns (hist[0]: 0 and 1 ns).
    pub hist: Vec<u64>,
    /// errno → failures with it.
    pub errnos: BTreeMap<u64, u64>,
}

impl CallSummary {
    fn new(name: String) -> CallSummary {
        CallSummary { name, hist: vec![0; Limits::ARGTRACE_HIST_SLOTS.0 as usize], ..Default::default() }
    }

    /// Adds one CPU's counts.
    fn add(&mut self, s: &RawStats) {
        if s.calls == 0 {
            return;
        }
        if self.calls == 0 || s.min_ns < self.min_ns {
            self.min_ns = s.min_ns;
        }
        self.max_ns = self.max_ns.max(s.max_ns);
        self.calls += s.calls;
        self.errors += s.errors;
        self.total_ns += s.total_ns;
        for (sum, n) in self.hist.iter_mut().zip(s.hist) {
            *sum += n;
        }
    }

    /// Failures whose errno the kernel could not file (its errno map was
    /// full): the difference between the errors and their breakdown.
    pub fn unknown_errors(&self) -> u64 {
        self.errors.saturating_sub(self.errnos.values().sum())
    }

    /// The histogram's buckets up to the last one used, as bcc prints them:
    /// (low, high, count).
    pub fn buckets(&self) -> Vec<(u64, u64, u64)> {
        let last = self.hist.iter().rposition(|n| *n > 0);
        let Some(last) = last else { return Vec::new() };
        (0..=last)
            .map(|i| {
                let high = if i >= 63 { u64::MAX } else { (1u64 << (i + 1)) - 1 };
                let low = if i == 0 { 0 } else { 1u64 << i };
                (low, high, self.hist[i])
            })
            .collect()
    }
}

/// The kernel's counters of one run: the per-CPU stats per call and
/// generation, the errno counts, and the generation the programs count into.
pub struct Counters {
    stats: MapHandle,
    errors: MapHandle,
    generation: MapHandle,
    current: u32,
}

impl Counters {
    pub fn open(tracer: &Tracer<'_>) -> Result<Counters> {
        let map = |name: &str| tracer.map(name).map_err(|e| Error::Runtime(format!("{name} map: {e}")));
        Ok(Counters {
            stats: map("call_stats")?,
            errors: map("call_errors")?,
            generation: map("summary_gen")?,
            current: 0,
        })
    }

    /// Ends the current table: the programs count into the other generation
    /// from now on; once those that read the old one have finished (`settle`;
    /// zero when none is attached any more), the old one is read and cleared.
    /// No call is lost or counted twice between two tables. Rows with calls
    /// only, in the order of the subject's call numbers.
    pub fn take(&mut self, subject: &dyn Subject, settle: Duration) -> Result<Vec<CallSummary>> {
        let failed = |what: &str, e: libbpf_rs::Error| Error::Runtime(format!("reading the summary ({what}): {e}"));
        let old = self.current;
        self.current ^= 1;
        self.generation
            .update(&0u32.to_ne_bytes(), &self.current.to_ne_bytes(), MapFlags::ANY)
            .map_err(|e| failed("swapping generations", e))?;
        if !settle.is_zero() {
            std::thread::sleep(settle);
        }
        // Rows per generation: the subject's calls, or the rows its object
        // made room for (syscall: every number of two ABIs).
        let max_calls = self.stats.max_entries() / 2;
        let mut rows: BTreeMap<u32, CallSummary> = BTreeMap::new();
        for call in 0..max_calls {
            let key = (old * max_calls + call).to_ne_bytes();
            let per_cpu = self.stats.lookup_percpu(&key, MapFlags::ANY).map_err(|e| failed("call_stats", e))?;
            let Some(per_cpu) = per_cpu else { continue };
            let name = subject.call_name(call).map_or_else(|| format!("call{call}"), str::to_string);
            let mut row = CallSummary::new(name);
            for bytes in &per_cpu {
                let raw = crate::event::copy::<RawStats>(bytes)
                    .ok_or_else(|| Error::Runtime("reading the summary: call_stats has an unexpected size".into()))?;
                row.add(&raw);
            }
            if row.calls > 0 {
                let zeros: Vec<Vec<u8>> = per_cpu.iter().map(|v| vec![0u8; v.len()]).collect();
                self.stats.update_percpu(&key, &zeros, MapFlags::ANY).map_err(|e| failed("clearing call_stats", e))?;
                rows.insert(call, row);
            }
        }
        let keys: Vec<Vec<u8>> = self.errors.keys().collect();
        for bytes in keys {
            let Some(key) = crate::event::copy::<ErrnoKey>(&bytes) else { continue };
            if key.slot / max_calls != old {
                continue;
            }
            let per_cpu = self.errors.lookup_percpu(&bytes, MapFlags::ANY).map_err(|e| failed("call_errors", e))?;
            let count: u64 = per_cpu
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.get(..8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes"))))
                .sum();
            if let Some(row) = rows.get_mut(&(key.slot % max_calls)) {
                *row.errnos.entry(key.err as u64).or_default() += count;
            }
            let _ = self.errors.delete(&bytes);
        }
        Ok(rows.into_values().collect())
    }
}

/// Counts the records the kernel still held back at the end (Subject::
/// leftovers) in their rows, as the kernel would have counted them.
fn add_leftovers(rows: &mut Vec<CallSummary>, subject: &dyn Subject, records: &[Vec<u8>]) {
    for (call, failed) in records.iter().filter_map(|r| subject.leftover_row(r)) {
        let name = subject.call_name(call).map_or_else(|| format!("call{call}"), str::to_string);
        let at = match rows.iter().position(|r| r.name == name) {
            Some(at) => at,
            None => {
                rows.push(CallSummary::new(name));
                rows.len() - 1
            }
        };
        rows[at].calls += 1;
        rows[at].errors += u64::from(failed);
        rows[at].hist[0] += 1;
    }
}

/// Rows as strace -c orders them: by time spent, most first.
pub fn sorted(mut rows: Vec<CallSummary>) -> Vec<CallSummary> {
    rows.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(b.calls.cmp(&a.calls)).then(a.name.cmp(&b.name)));
    rows
}

fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * part as f64 / total as f64
    }
}

/// strace -c's table (its wall-clock flavour, -w: argtrace measures from the
/// call's entry to its return), byte for byte in strace's columns.
pub fn write_table(out: &mut String, rows: &[CallSummary]) {
    const DASHES: &str = "----------------";
    let header = |out: &mut String, a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
        let _ = writeln!(out, "{a:>6.6} {b:>11.11} {c:>11.11} {d:>9.9} {e:>9.9} {f}");
    };
    let line = |out: &mut String, pct: f64, ns: u64, calls: u64, errors: u64, name: &str| {
        let usecs = ns.checked_div(calls).unwrap_or(0) / 1000;
        let errors = if errors == 0 { String::new() } else { errors.to_string() };
        let seconds = ns as f64 / 1e9;
        let _ = writeln!(out, "{pct:6.2} {seconds:11.6} {usecs:>11} {calls:>9} {errors:>9} {name}");
    };
    header(out, "% time", "seconds", "usecs/call", "calls", "errors", "syscall");
    header(out, DASHES, DASHES, DASHES, DASHES, DASHES, DASHES);
    let total_ns: u64 = rows.iter().map(|r| r.total_ns).sum();
    for r in rows {
        line(out, percent(r.total_ns, total_ns), r.total_ns, r.calls, r.errors, &r.name);
    }
    header(out, DASHES, DASHES, DASHES, DASHES, DASHES, DASHES);
    let calls = rows.iter().map(|r| r.calls).sum();
    let errors = rows.iter().map(|r| r.errors).sum();
    line(out, 100.0, total_ns, calls, errors, "total");
}

/// The table of a subject whose events are not calls (sock's ops, skb's
/// directions: Subject::has_calls): counts, most first, since the kernel
/// measured no durations; errors only where the hooks know of a failure
/// without its errno (sock: binds the kernel never confirmed), blank as
/// strace leaves them when there are none.
pub fn write_count_table(out: &mut String, rows: &[CallSummary]) {
    const DASHES: &str = "----------------";
    let mut rows: Vec<&CallSummary> = rows.iter().collect();
    rows.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
    let line = |out: &mut String, count: u64, errors: u64, name: &str| {
        let errors = if errors == 0 { String::new() } else { errors.to_string() };
        let _ = writeln!(out, "{count:>9} {errors:>9} {name}");
    };
    let _ = writeln!(out, "{:>9} {:>9} event", "events", "errors");
    let _ = writeln!(out, "{:>9.9} {:>9.9} {DASHES}", DASHES, DASHES);
    for r in &rows {
        line(out, r.calls, r.errors, &r.name);
    }
    let _ = writeln!(out, "{:>9.9} {:>9.9} {DASHES}", DASHES, DASHES);
    line(out, rows.iter().map(|r| r.calls).sum(), rows.iter().map(|r| r.errors).sum(), "total");
}

/// The JSON of write_count_table(): `counts` holds {"event", "count",
/// "errors"} rows, `total` their sums.
pub fn write_count_json(out: &mut String, rows: &[CallSummary], meta: &JsonMeta<'_>) {
    let mut rows: Vec<&CallSummary> = rows.iter().collect();
    rows.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
    out.push_str("{\"summary\": ");
    let mut j = Json::open(out);
    j.str("subject", meta.subject).str("probe", meta.probe).str("time", meta.time).num("period_ns", meta.period_ns);
    let list = j.key("counts");
    list.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        let mut o = Json::open(list);
        o.str("event", &r.name).num("count", r.calls).num("errors", r.errors);
        o.close();
    }
    list.push(']');
    let total: u64 = rows.iter().map(|r| r.calls).sum();
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    let _ = write!(j.key("total"), "{{\"count\": {total}, \"errors\": {errors}}}");
    j.num("dropped", meta.dropped);
    j.close();
    out.push_str("}\n");
}

/// The failures per call and errno, most first; nothing when none failed.
pub fn write_errors(out: &mut String, rows: &[CallSummary]) {
    if rows.iter().all(|r| r.errors == 0) {
        return;
    }
    const DASHES: &str = "----------------";
    let _ = writeln!(out, "\n{:>9} {:<16} errno", "errors", "syscall");
    let _ = writeln!(out, "{:>9.9} {DASHES} {DASHES}", DASHES);
    for r in rows {
        let mut by_count: Vec<(u64, u64)> = r.errnos.iter().map(|(e, n)| (*e, *n)).collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (errno, n) in by_count {
            let _ = writeln!(out, "{n:>9} {:<16} {}", r.name, errno_text(errno));
        }
        if r.unknown_errors() > 0 {
            let _ = writeln!(out, "{:>9} {:<16} ? (not filed: too many distinct errnos)", r.unknown_errors(), r.name);
        }
    }
}

fn errno_text(errno: u64) -> String {
    decode::errno_name(errno).map_or_else(|| errno.to_string(), str::to_string)
}

/// bcc's log2 histogram of each call's durations (libbpf-tools'
/// print_log2_hist), in nanoseconds, headed `syscall = NAME`.
pub fn write_histograms(out: &mut String, rows: &[CallSummary]) {
    for r in rows {
        let buckets = r.buckets();
        if buckets.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\nsyscall = {}", r.name);
        let wide = buckets.len() - 1 > 32;
        let (pad, label, width, stars) = if wide { (15, 29, 20, 20) } else { (5, 19, 10, 40) };
        let _ = writeln!(out, "{:pad$}{:<label$} : count    distribution", "", "nsecs");
        let max = buckets.iter().map(|b| b.2).max().unwrap_or(0);
        for (low, high, n) in buckets {
            let _ = write!(out, "{low:>width$} -> {high:<width$} : {n:<8} |");
            let filled = if max == 0 { 0 } else { (n.min(max) as u128 * stars as u128 / max as u128) as usize };
            out.push_str(&"*".repeat(filled));
            out.push_str(&" ".repeat(stars - filled));
            out.push_str("|\n");
        }
    }
}

/// What a JSON table says besides its rows.
pub struct JsonMeta<'a> {
    pub subject: &'a str,
    pub probe: &'a str,
    /// RFC 3339 time at the end of the table's period.
    pub time: &'a str,
    pub period_ns: u64,
    pub dropped: u64,
}

/// One table as one JSON object (one line).
pub fn write_json(out: &mut String, rows: &[CallSummary], meta: &JsonMeta<'_>) {
    let total_ns: u64 = rows.iter().map(|r| r.total_ns).sum();
    out.push_str("{\"summary\": ");
    let mut j = Json::open(out);
    j.str("subject", meta.subject).str("probe", meta.probe).str("time", meta.time).num("period_ns", meta.period_ns);
    let list = j.key("calls");
    list.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        let mut o = Json::open(list);
        o.str("syscall", &r.name)
            .num("calls", r.calls)
            .num("errors", r.errors)
            .num("percent_time", format_args!("{:.2}", percent(r.total_ns, total_ns)))
            .num("total_ns", r.total_ns)
            .num("avg_ns", r.total_ns / r.calls.max(1))
            .num("min_ns", r.min_ns)
            .num("max_ns", r.max_ns);
        let errnos = o.key("errnos");
        errnos.push('{');
        let mut first = true;
        let unknown = r.unknown_errors();
        let named = r.errnos.iter().map(|(e, n)| (errno_text(*e), *n));
        for (name, n) in named.chain((unknown > 0).then(|| ("unknown".to_string(), unknown))) {
            if !first {
                errnos.push_str(", ");
            }
            first = false;
            write_json_str(errnos, &name);
            let _ = write!(errnos, ": {n}");
        }
        errnos.push('}');
        let hist = o.key("histogram");
        hist.push('[');
        for (i, (low, high, n)) in r.buckets().into_iter().enumerate() {
            if i > 0 {
                hist.push_str(", ");
            }
            let _ = write!(hist, "{{\"low\": {low}, \"high\": {high}, \"count\": {n}}}");
        }
        hist.push(']');
        o.close();
    }
    list.push(']');
    let calls: u64 = rows.iter().map(|r| r.calls).sum();
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    let _ = write!(j.key("total"), "{{\"calls\": {calls}, \"errors\": {errors}, \"total_ns\": {total_ns}}}");
    j.num("dropped", meta.dropped);
    j.close();
    out.push_str("}\n");
}

/// How one run's tables are written: text or JSON, timed calls or counted events.
struct Tables<'a> {
    subject: &'a dyn Subject,
    cfg: &'a Config,
    style: &'a Style,
    probe: &'static str,
    /// Calls get strace -c's table; events of cgroup hooks are counted only.
    timed: bool,
}

impl Tables<'_> {
    /// One table of `rows` (sorted), counted over `period`, `dropped` lost in it.
    fn text(&self, rows: &[CallSummary], period: Duration, dropped: u64) -> String {
        let (cfg, style) = (self.cfg, self.style);
        let now = sys::monotonic_ns();
        let mut text = String::with_capacity(4096);
        if cfg.json {
            let mut time = String::new();
            style.rfc3339(now, &mut time);
            let meta = JsonMeta {
                subject: self.subject.name(),
                probe: self.probe,
                time: &time,
                period_ns: period.as_nanos() as u64,
                dropped,
            };
            if self.timed {
                write_json(&mut text, rows, &meta);
            } else {
                write_count_json(&mut text, rows, &meta);
            }
            return text;
        }
        if cfg.timestamp {
            style.clock(now, &mut text);
            text.push('\n');
        }
        if self.timed {
            write_table(&mut text, rows);
            write_errors(&mut text, rows);
            write_histograms(&mut text, rows);
        } else {
            write_count_table(&mut text, rows);
        }
        if cfg.interval.is_some() {
            text.push('\n');
        }
        text
    }
}

/// Runs summary mode on an attached tracer until a stop signal or
/// --duration, printing a table every --interval and one at the end.
pub fn run(
    subject: &dyn Subject,
    cfg: &Config,
    tracer: Tracer<'_>,
    out: Box<dyn Write + Send>,
    style: Style,
    drops: Drops,
) -> Result<()> {
    let mut counters = Counters::open(&tracer)?;
    let mode = tracer.mode;
    let tables = Tables { subject, cfg, style: &style, probe: mode.name(), timed: subject.has_calls() };
    let unit = if tables.timed { "calls" } else { "events" };
    sys::install_stop_handlers();
    crate::say!(
        "argtrace: tracing {} with {} probes, counting in the kernel (-s); Ctrl-C to stop and print the summary",
        subject.name(),
        mode.name()
    );
    let mut out = BufWriter::new(out);
    let started = Instant::now();
    let deadline = cfg.duration.and_then(|d| started.checked_add(d));
    let mut next_table = cfg.interval.and_then(|i| started.checked_add(i));
    let mut period_start = started;
    let mut counted = 0u64;
    let mut dropped_before = 0u64;
    let mut print = |rows: Vec<CallSummary>, period: Duration, dropped: u64| -> io::Result<()> {
        let rows = sorted(rows);
        counted += rows.iter().map(|r| r.calls).sum::<u64>();
        let text = tables.text(&rows, period, dropped);
        out.write_all(text.as_bytes()).and_then(|_| out.flush())
    };
    let mut failure: Option<io::Error> = None;
    loop {
        let now = Instant::now();
        if sys::stop_requested() || deadline.is_some_and(|d| now >= d) {
            break;
        }
        if let Some(at) = next_table.filter(|at| now >= *at) {
            let rows = counters.take(subject, SETTLE)?;
            let dropped = drops.read();
            let result = print(rows, now - period_start, dropped - dropped_before);
            dropped_before = dropped;
            period_start = now;
            next_table = cfg.interval.and_then(|i| at.checked_add(i));
            if let Err(e) = result {
                failure = Some(e);
                break;
            }
        }
        let mut wait = TICK;
        for at in [deadline, next_table].into_iter().flatten() {
            wait = wait.min(at.saturating_duration_since(now));
        }
        std::thread::sleep(wait);
    }
    // Detach first: the last table then holds every call that returned,
    // and what the kernel still holds back (sock's parked binds) joins it.
    let mut tracer = tracer;
    drop(std::mem::take(&mut tracer.attachment));
    let leftovers = subject.leftovers(&tracer);
    let skipped = tracer.skipped_runs();
    drop(tracer);
    if let Some(line) = crate::family::load::skipped_line(skipped) {
        crate::say!("{line}");
    }
    let dropped = drops.read();
    if failure.is_none() {
        let mut rows = counters.take(subject, Duration::ZERO)?;
        add_leftovers(&mut rows, subject, &leftovers);
        if let Err(e) = print(rows, period_start.elapsed(), dropped - dropped_before) {
            failure = Some(e);
        }
    }
    let counts = format!("{counted} {unit} counted, {dropped} lost");
    // A closed pipe ends quietly, as in streaming mode.
    if let Some(e) = failure.filter(|e| e.kind() != io::ErrorKind::BrokenPipe) {
        return Err(Error::Output(format!("writing the summary failed: {} ({counts})", sys::io_reason(&e))));
    }
    crate::say!("argtrace: {counts}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, calls: u64, errors: u64, total_ns: u64) -> CallSummary {
        let mut r = CallSummary::new(name.into());
        r.calls = calls;
        r.errors = errors;
        r.total_ns = total_ns;
        r
    }

    #[test]
    fn the_table_has_strace_c_columns() {
        let rows = sorted(vec![row("mmap", 30, 0, 806_000), row("openat", 34, 13, 713_400)]);
        let mut out = String::new();
        write_table(&mut out, &rows);
        // strace -c's columns (strace 6.1), for these figures.
        assert_eq!(
            out,
            "% time     seconds  usecs/call     calls    errors syscall\n\
             ------ ----------- ----------- --------- --------- ----------------\n \
             53.05    0.000806          26        30           mmap\n \
             46.95    0.000713          20        34        13 openat\n\
             ------ ----------- ----------- --------- --------- ----------------\n\
             100.00    0.001519          23        64        13 total\n"
        );
    }

    #[test]
    fn an_empty_table_is_strace_s_empty_table() {
        let mut out = String::new();
        write_table(&mut out, &[]);
        assert!(out.ends_with("100.00    0.000000           0         0           total\n"), "{out}");
    }

    #[test]
    fn errors_are_listed_per_errno_most_first() {
        let mut r = row("mmap", 1015, 15, 1);
        r.errnos.insert(9, 5); // EBADF
        r.errnos.insert(22, 10); // EINVAL
        let mut out = String::new();
        write_errors(&mut out, &[r]);
        assert_eq!(
            out,
            "\n   errors syscall          errno\n\
             --------- ---------------- ----------------\n       \
             10 mmap             EINVAL\n        \
             5 mmap             EBADF\n"
        );
    }

    #[test]
    fn histograms_are_drawn_as_bcc_draws_them() {
        let mut r = row("mmap", 3, 0, 1);
        r.hist[0] = 1;
        r.hist[2] = 2;
        let mut out = String::new();
        write_histograms(&mut out, &[r]);
        assert_eq!(
            out,
            "\nsyscall = mmap\n     nsecs               : count    distribution\n\
             \x20        0 -> 1          : 1        |********************                    |\n\
             \x20        2 -> 3          : 0        |                                        |\n\
             \x20        4 -> 7          : 2        |****************************************|\n"
        );
    }

    #[test]
    fn events_of_cgroup_hooks_are_counted_only() {
        let rows = vec![row("bind", 1, 1, 0), row("socket", 2, 0, 0), row("close", 2, 0, 0)];
        let mut out = String::new();
        write_count_table(&mut out, &rows);
        assert_eq!(
            out,
            "   events    errors event\n\
             --------- --------- ----------------\n\
             \x20       2           close\n\
             \x20       2           socket\n\
             \x20       1         1 bind\n\
             --------- --------- ----------------\n\
             \x20       5         1 total\n"
        );
        let meta = JsonMeta { subject: "sock", probe: "cgroup", time: "T", period_ns: 7, dropped: 0 };
        let mut json = String::new();
        write_count_json(&mut json, &rows, &meta);
        assert_eq!(
            json,
            "{\"summary\": {\"subject\": \"sock\", \"probe\": \"cgroup\", \"time\": \"T\", \"period_ns\": 7, \
             \"counts\": [{\"event\": \"close\", \"count\": 2, \"errors\": 0}, {\"event\": \"socket\", \"count\": 2, \
             \"errors\": 0}, {\"event\": \"bind\", \"count\": 1, \"errors\": 1}], \"total\": {\"count\": 5, \"errors\": 1}, \
             \"dropped\": 0}}\n"
        );
    }

    #[test]
    fn json_buckets_add_up_to_the_calls() {
        let mut r = row("clone", 7, 1, 7000);
        r.min_ns = 500;
        r.max_ns = 2000;
        r.hist[8] = 3;
        r.hist[10] = 4;
        r.errnos.insert(11, 1);
        let meta = JsonMeta { subject: "clone", probe: "tracepoint", time: "t", period_ns: 5, dropped: 0 };
        let mut out = String::new();
        write_json(&mut out, &[r], &meta);
        assert!(out.ends_with("}\n") && !out[..out.len() - 1].contains('\n'), "one line: {out}");
        assert!(out.contains("\"errnos\": {\"EAGAIN\": 1}"), "{out}");
        assert!(out.contains("{\"low\": 256, \"high\": 511, \"count\": 3}"), "{out}");
        assert!(out.contains("\"total\": {\"calls\": 7, \"errors\": 1, \"total_ns\": 7000}"), "{out}");
    }
}
