//! The end-to-end cases of summary mode (-s) and durations (-T), with their
//! trigger programs. Each case runs one trigger under several argtrace
//! instances at once (one subject each, all filtered on the trigger's pid)
//! and checks what they printed against what the trigger did and measured:
//!
//! - `summary`: exactly 1000 successful mmaps, 10 failing with EINVAL and 5
//!   with EBADF, and 7 forks, under `-s -p PID`: the tables (JSON and text)
//!   show those counts and that error breakdown exactly, the histogram
//!   buckets add up to the calls, and tables printed every --interval add up
//!   to the same counts (nothing lost or counted twice between two tables);
//! - `durations`: under -T, an mmap of a chosen size, a clone of a child the
//!   kernel must create and a TCP connect each carry a duration greater than
//!   0 and at most the wall time the trigger measured around the call;
//! - `missed-returns`: 16 threads block in connect at once (a loopback
//!   listener whose accept queue is full drops their SYNs; SO_SNDTIMEO ends
//!   each call after 300 ms with EINPROGRESS), then each thread in turn makes
//!   one refused connect: every one of the 32 calls is a record or counted
//!   as lost. A kprobe mode on a kernel without CONFIG_PREEMPTION keeps only
//!   num_possible_cpus() kretprobe instances for calls in flight, so there
//!   the blocked calls' returns are missed; argtrace counts each when its
//!   thread calls again.

use std::io::{BufRead, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use argtrace_testkit::process::gettid;
use serde_json::{json, Value};

use crate::harness::{run, subset, Outcome, Output, Report};

/// The triggers of this file, for `argtrace-e2e trigger NAME`.
pub const TRIGGERS: [&str; 3] = ["summary", "durations", "missed-returns"];

/// The cases of this file in `mode`, reported through `report`.
/// `clone_refused`: this kernel refuses clone in `mode` (5.10's fentry: no
/// bpf_task_pt_regs), which the suite's clone-refused case proves; clone's
/// part of both cases is then left out, the rest still runs.
pub fn cases(argtrace: &Path, mode: &str, clone_refused: bool, report: &mut Report) {
    report.case_run("summary", mode, || case_summary(argtrace, mode, clone_refused));
    report.case_run("durations", mode, || case_durations(argtrace, mode, clone_refused));
    report.case_run("missed-returns", mode, || case_missed_returns(argtrace, mode));
}

// ---- summary ----------------------------------------------------------------

/// The calls of the `summary` trigger.
pub(crate) const MMAPS_OK: u64 = 1000;
pub(crate) const MMAPS_EINVAL: u64 = 10;
pub(crate) const MMAPS_EBADF: u64 = 5;
pub(crate) const FORKS: u64 = 7;

/// Checks one JSON table's row for `syscall` against exact counts; returns
/// the row.
pub(crate) fn check_row<'a>(table: &'a Value, syscall: &str, calls: u64, errnos: &Value) -> Result<&'a Value, String> {
    let rows = table["calls"].as_array().ok_or_else(|| format!("no calls array: {table}"))?;
    if rows.len() != 1 {
        return Err(format!("expected one row ({syscall}), got {}: {table}", rows.len()));
    }
    let row = &rows[0];
    let errors: u64 = errnos.as_object().map_or(0, |o| o.values().filter_map(Value::as_u64).sum());
    if row["syscall"] != syscall || row["calls"] != calls || row["errors"] != errors || &row["errnos"] != errnos {
        return Err(format!("expected {syscall} with {calls} calls and errors {errnos}, got {row}"));
    }
    check_numbers(row)?;
    if table["total"]["calls"] != calls || table["total"]["errors"] != errors || table["dropped"] != 0 {
        return Err(format!("total or dropped wrong: {table}"));
    }
    Ok(row)
}

/// The durations of a row add up: buckets sum to the calls, and
/// 0 < min <= avg <= max, total >= calls * min.
fn check_numbers(row: &Value) -> Result<(), String> {
    let n = |k: &str| row[k].as_u64().ok_or_else(|| format!("{k} is not a number: {row}"));
    let (calls, total, min, avg, max) = (n("calls")?, n("total_ns")?, n("min_ns")?, n("avg_ns")?, n("max_ns")?);
    let buckets = row["histogram"].as_array().ok_or_else(|| format!("no histogram: {row}"))?;
    let mut sum = 0;
    let mut low_expected = 0;
    for b in buckets {
        let (low, high, count) = (b["low"].as_u64(), b["high"].as_u64(), b["count"].as_u64());
        let (Some(low), Some(high), Some(count)) = (low, high, count) else {
            return Err(format!("bad bucket {b}"));
        };
        if low != low_expected || high < low {
            return Err(format!("bucket {b} does not follow the previous one"));
        }
        // The buckets min_ns and max_ns fall in hold calls.
        if count == 0 && ((low..=high).contains(&min) || (low..=high).contains(&max)) {
            return Err(format!("min or max falls in an empty bucket {b}: {row}"));
        }
        low_expected = high + 1;
        sum += count;
    }
    if sum != calls {
        return Err(format!("histogram buckets sum to {sum}, not to the {calls} calls: {row}"));
    }
    if !(0 < min && min <= avg && avg <= max && total >= calls * min && total <= calls * max) {
        return Err(format!("durations do not add up: {row}"));
    }
    Ok(())
}

fn case_summary(argtrace: &Path, mode: &str, clone_refused: bool) -> Outcome {
    let mut instances = vec![
        vec!["mmap", "--probe", mode, "-s", "--json"],
        vec!["mmap", "--probe", mode, "-s"],
        vec!["mmap", "--probe", mode, "-s", "--json", "--interval", "100ms"],
        // The hash fallback for the pending calls, in every mode.
        vec!["mmap", "--probe", mode, "-s", "--json", "--pending-table", "hash"],
    ];
    if !clone_refused {
        instances.push(vec!["clone", "--probe", mode, "-s", "--json", "--pending-table", "hash"]);
    }
    let (out, trig) = run(argtrace, &instances, "summary")?;
    let errnos = json!({"EBADF": MMAPS_EBADF, "EINVAL": MMAPS_EINVAL});
    let mmap_calls = MMAPS_OK + MMAPS_EINVAL + MMAPS_EBADF;
    if !trig.iter().any(|l| {
        l["summary_trigger"]
            == json!({"mmap_ok": MMAPS_OK, "einval": MMAPS_EINVAL, "ebadf": MMAPS_EBADF, "forks": FORKS})
    }) {
        return Err(format!("the trigger did not report its calls: {trig:?}"));
    }

    // One JSON object at exit, exact.
    let one = |o: &Output| -> Result<Value, String> {
        let lines = o.json_lines()?;
        match lines.as_slice() {
            [t] if t.get("summary").is_some() => Ok(t["summary"].clone()),
            _ => Err(format!("argtrace {}: expected one summary object, got {}", o.args, o.stdout)),
        }
    };
    let mmap = one(&out[0])?;
    check_row(&mmap, "mmap", mmap_calls, &errnos)?;
    let counted = format!("argtrace: {mmap_calls} calls counted, 0 lost");
    if !out[0].stderr.lines().any(|l| l == counted) {
        return Err(format!("stderr lacks '{counted}': {}", out[0].stderr));
    }
    let hashed = one(&out[3])?;
    check_row(&hashed, "mmap", mmap_calls, &errnos)?;
    let mut tables = vec![(mmap, "mmap"), (hashed, "mmap")];
    if !clone_refused {
        let clone = one(&out[4])?;
        check_row(&clone, "clone", FORKS, &json!({}))?;
        tables.push((clone, "clone"));
    }
    for (t, subject) in &tables {
        if t["subject"] != *subject || t["probe"] != mode {
            return Err(format!("subject or probe wrong: {t}"));
        }
    }

    // The text table: strace -c's row and total, and the errors per errno.
    let text = &out[1].stdout;
    let row = format!("{:>9} {:>9} mmap", mmap_calls, MMAPS_EINVAL + MMAPS_EBADF);
    let total = format!("{:>9} {:>9} total", mmap_calls, MMAPS_EINVAL + MMAPS_EBADF);
    let lines: Vec<&str> = text.lines().collect();
    if lines.first() != Some(&"% time     seconds  usecs/call     calls    errors syscall")
        || !lines.iter().any(|l| l.starts_with("100.00 ") && l.ends_with(&row))
        || !lines.iter().any(|l| l.starts_with("100.00 ") && l.ends_with(&total))
        || !lines.contains(&format!("{MMAPS_EINVAL:>9} {:<16} EINVAL", "mmap").as_str())
        || !lines.contains(&format!("{MMAPS_EBADF:>9} {:<16} EBADF", "mmap").as_str())
        || !lines.contains(&"syscall = mmap")
    {
        return Err(format!("the text table is not as expected:\n{text}"));
    }

    // Tables every 100 ms: together exactly the same calls.
    let tables = out[2].json_lines()?;
    let (mut calls, mut einval, mut ebadf) = (0, 0, 0);
    for t in &tables {
        let t = &t["summary"];
        for row in t["calls"].as_array().ok_or_else(|| format!("not a summary: {t}"))? {
            check_numbers(row)?;
            calls += row["calls"].as_u64().unwrap_or(0);
            einval += row["errnos"]["EINVAL"].as_u64().unwrap_or(0);
            ebadf += row["errnos"]["EBADF"].as_u64().unwrap_or(0);
        }
    }
    if (calls, einval, ebadf) != (mmap_calls, MMAPS_EINVAL, MMAPS_EBADF) {
        return Err(format!(
            "{} interval tables add up to {calls} calls, {einval} EINVAL, {ebadf} EBADF: {}",
            tables.len(),
            out[2].stdout
        ));
    }
    let n_tables = tables.iter().filter(|t| t["summary"]["calls"].as_array().is_some_and(|a| !a.is_empty())).count();
    Ok(format!(
        "mmap {mmap_calls} calls (EINVAL {MMAPS_EINVAL}, EBADF {MMAPS_EBADF}) exact in JSON (task slots and hash) and \
         text; {}; {} interval tables ({n_tables} with calls) add up; histograms sum to the calls",
        if clone_refused { "clone refused in this mode".to_string() } else { format!("clone {FORKS} exact") },
        tables.len()
    ))
}

// ---- durations --------------------------------------------------------------

fn case_durations(argtrace: &Path, mode: &str, clone_refused: bool) -> Outcome {
    let mut instances = vec![
        // The hash fallback in the streaming path.
        vec!["mmap", "--probe", mode, "-T", "--json", "--pending-table", "hash"],
        vec!["tcp-connect", "--probe", mode, "-T", "--json"],
        vec!["mmap", "--probe", mode, "-T"],
    ];
    if !clone_refused {
        instances.push(vec!["clone", "--probe", mode, "-T", "--json"]);
    }
    let (out, trig) = run(argtrace, &instances, "durations")?;
    let mut checked = Vec::new();
    for want in trig.iter().filter_map(|l| l.get("timed")) {
        let wall = want["wall_ns"].as_u64().ok_or("no wall_ns")?;
        let which = match want["event"].as_str() {
            Some("mmap") => 0,
            Some("tcp_connect") => 1,
            Some("clone") if clone_refused => continue,
            Some("clone") => 3,
            other => return Err(format!("unknown event {other:?}")),
        };
        let events = out[which].json_lines()?;
        let key = &want["match"];
        let found: Vec<&Value> = events.iter().filter(|e| subset(key, e)).collect();
        let [event] = found.as_slice() else {
            return Err(format!(
                "{} events match {key}: {}; stderr: {}",
                found.len(),
                out[which].stdout,
                out[which].stderr
            ));
        };
        if event["probe"] != mode {
            return Err(format!("probe is not {mode}: {event}"));
        }
        let d = event["duration_ns"].as_u64().ok_or_else(|| format!("no duration_ns: {event}"))?;
        if d == 0 || d > wall {
            return Err(format!("duration {d} ns is not in (0, {wall}] (the trigger's wall time): {event}"));
        }
        checked.push(format!("{} {d} <= {wall} ns", want["event"].as_str().unwrap_or("?")));
    }
    let expected = if clone_refused { 2 } else { 3 };
    if checked.len() != expected {
        return Err(format!("expected {expected} timed calls from the trigger, got {trig:?}"));
    }
    // Text: strace -T's spelling with its default microsecond digits, after the result.
    let mmap_len = trig.iter().find_map(|l| l["timed"]["match"]["args"]["len"].as_u64()).unwrap_or(0);
    let text = &out[2].stdout;
    let line = text.lines().find(|l| l.contains(&format!("mmap(NULL, {mmap_len}, ")));
    let ok = line.is_some_and(|l| {
        let Some((_, tail)) = l.rsplit_once(" <") else { return false };
        let Some(t) = tail.strip_suffix('>') else { return false };
        let Some((s, ns)) = t.split_once('.') else { return false };
        s.chars().all(|c| c.is_ascii_digit()) && ns.len() == 6 && ns.chars().all(|c| c.is_ascii_digit())
    });
    if !ok {
        // Its stderr has the counts (events, lost): a missing record and a
        // counted loss are told apart.
        return Err(format!(
            "no text line ending in <S.NNNNNN> for the mmap of {mmap_len}: {text}; stderr: {}",
            out[2].stderr
        ));
    }
    Ok(checked.join("; "))
}

// ---- missed returns -------------------------------------------------------------

/// The threads of the `missed-returns` trigger; each makes two connects.
const BLOCKED_THREADS: u64 = 16;

fn case_missed_returns(argtrace: &Path, mode: &str) -> Outcome {
    let instances = vec![vec!["tcp-connect", "--probe", mode, "--json"]];
    let (out, trig) = run(argtrace, &instances, "missed-returns")?;
    let port =
        trig.iter().find_map(|l| l["closed_port"].as_u64()).ok_or_else(|| format!("no closed_port: {trig:?}"))?;
    let blocked =
        trig.iter().find_map(|l| l["blocked_port"].as_u64()).ok_or_else(|| format!("no blocked_port: {trig:?}"))?;
    let events = out[0].json_lines()?;
    let records = |dport: u64| events.iter().filter(|e| e["args"]["dport"].as_u64() == Some(dport)).count() as u64;
    let (refused, timed_out) = (records(port), records(blocked));
    // The refused calls run one at a time: none can be missed.
    if refused != BLOCKED_THREADS {
        return Err(format!("{refused} records of the {BLOCKED_THREADS} refused connects: {}", out[0].stdout));
    }
    let stderr = &out[0].stderr;
    // `argtrace: N events, M lost` (not the line after it that says the
    // kernel skipped runs of argtrace's programs, which also ends in "lost").
    let lost: u64 = stderr
        .lines()
        .rev()
        .find_map(|l| {
            let (events, lost) = l.strip_prefix("argtrace: ")?.strip_suffix(" lost")?.split_once(" events, ")?;
            events.parse::<u64>().ok().and(lost.parse().ok())
        })
        .ok_or_else(|| format!("no events/lost line: {stderr}"))?;
    // Runs the kernel skipped (its recursion guard: fentry and tp_btf), said
    // and counted by argtrace: a blocked call's return may be among them.
    let skipped: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("argtrace: the kernel skipped ")?.split_once(' ')?.0.parse().ok())
        .unwrap_or(0);
    if timed_out + lost > BLOCKED_THREADS || timed_out + lost + skipped < BLOCKED_THREADS {
        return Err(format!(
            "{timed_out} records, {lost} counted lost and {skipped} skipped runs of the {BLOCKED_THREADS} blocked \
             connects: {stderr}"
        ));
    }
    Ok(format!(
        "{timed_out} blocked connects recorded, {lost} returns missed and counted, {skipped} runs skipped by the \
         kernel, {refused} refused recorded"
    ))
}

// ---- triggers -----------------------------------------------------------------

/// Runs the trigger `name` of this file once stdin says go; prints its lines.
pub fn trigger(name: &str) -> i32 {
    // Everything that allocates or maps is done before "go": the summary
    // counts every mmap of this process.
    let page = page_size();
    let mut lines: Vec<Value> = Vec::with_capacity(16);
    let listener = (name == "durations").then(|| TcpListener::bind("127.0.0.1:0").expect("listener on 127.0.0.1"));
    let mut missed_setup = (name == "missed-returns").then(full_listener).flatten();
    let mut line = String::with_capacity(64);
    let _ = std::io::stdin().lock().read_line(&mut line);
    match name {
        "summary" => summary_calls(page, &mut lines),
        "durations" => timed_calls(page, listener.as_ref().expect("made above"), &mut lines),
        "missed-returns" => match missed_setup.take() {
            Some(setup) => blocked_connects(setup, &mut lines),
            None => lines.push(json!({"trigger_error": "no listener for missed-returns"})),
        },
        other => {
            eprintln!("argtrace-e2e: unknown trigger {other}");
            return 2;
        }
    }
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    0
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Exactly MMAPS_OK successful mmaps, MMAPS_EINVAL failing with EINVAL (a
/// zero length, refused inside ksys_mmap_pgoff, so every probe mode sees
/// it), MMAPS_EBADF with EBADF (a file mapping of a closed fd), and FORKS
/// forks, spread over a few hundred milliseconds so that --interval tables
/// split them. Nothing else here maps memory or clones.
fn summary_calls(page: usize, lines: &mut Vec<Value>) {
    let anon = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    let (mut ok, mut einval, mut ebadf, mut forks) = (0u64, 0u64, 0u64, 0u64);
    let mut wrong = None;
    for i in 0..MMAPS_OK {
        // SAFETY: a fresh anonymous mapping, unmapped at once.
        unsafe {
            let a = libc::mmap(std::ptr::null_mut(), page, libc::PROT_READ, anon, -1, 0);
            if a == libc::MAP_FAILED {
                wrong.get_or_insert(format!("mmap {i} failed: errno {}", errno()));
            } else {
                ok += 1;
                libc::munmap(a, page);
            }
        }
        if i % 100 == 99 {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    for _ in 0..MMAPS_EINVAL {
        // SAFETY: a zero length: the kernel refuses it, maps nothing.
        let a = unsafe { libc::mmap(std::ptr::null_mut(), 0, libc::PROT_READ, anon, -1, 0) };
        if a == libc::MAP_FAILED && errno() == libc::EINVAL {
            einval += 1;
        }
    }
    for _ in 0..MMAPS_EBADF {
        // SAFETY: fd 1000 is not open here: the kernel refuses, maps nothing.
        let a = unsafe { libc::mmap(std::ptr::null_mut(), page, libc::PROT_READ, libc::MAP_SHARED, 1000, 0) };
        if a == libc::MAP_FAILED && errno() == libc::EBADF {
            ebadf += 1;
        }
    }
    for _ in 0..FORKS {
        // SAFETY: the child only calls _exit.
        let child = unsafe { libc::fork() };
        if child == 0 {
            // SAFETY: leaving the child at once.
            unsafe { libc::_exit(0) };
        }
        if child > 0 {
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(child, &mut status, 0) };
            forks += 1;
        }
    }
    if let Some(w) = wrong {
        lines.push(json!({"trigger_error": w}));
    }
    lines.push(json!({"summary_trigger": {"mmap_ok": ok, "einval": einval, "ebadf": ebadf, "forks": forks}}));
}

/// One mmap of a chosen size, one clone of a child process, one TCP connect,
/// each with the wall time measured around it.
fn timed_calls(page: usize, listener: &TcpListener, lines: &mut Vec<Value>) {
    let pid = std::process::id();
    let tid = gettid();
    let len = 3 * page + 99;
    let t0 = monotonic_ns();
    // SAFETY: a fresh anonymous mapping, unmapped below.
    let a = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    let wall = monotonic_ns() - t0;
    if a == libc::MAP_FAILED {
        lines.push(json!({"trigger_error": format!("mmap failed: errno {}", errno())}));
        return;
    }
    // SAFETY: unmapping what was mapped above.
    unsafe { libc::munmap(a, len) };
    lines.push(json!({"timed": {"event": "mmap", "wall_ns": wall,
        "match": {"pid": pid, "tid": tid, "args": {"len": len}, "ret": a as u64}}}));

    // A child process the kernel must create: a raw clone without CLONE_VM.
    let t0 = monotonic_ns();
    // SAFETY: fork semantics: the child has its own copy and exits at once
    // through a raw syscall.
    let child = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD as u64, 0u64, 0u64, 0u64, 0u64) };
    if child == 0 {
        // SAFETY: leaving the child at once.
        unsafe { libc::syscall(libc::SYS_exit_group, 0) };
    }
    let wall = monotonic_ns() - t0;
    if child < 0 {
        lines.push(json!({"trigger_error": format!("clone failed: errno {}", errno())}));
        return;
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(child as i32, &mut status, 0) };
    lines.push(json!({"timed": {"event": "clone", "wall_ns": wall,
        "match": {"pid": pid, "tid": tid, "syscall": "clone", "ret": child}}}));

    let port = listener.local_addr().expect("bound").port();
    let t0 = monotonic_ns();
    let stream = TcpStream::connect(("127.0.0.1", port));
    let wall = monotonic_ns() - t0;
    match stream {
        Ok(_) => lines.push(json!({"timed": {"event": "tcp_connect", "wall_ns": wall,
            "match": {"pid": pid, "tid": tid, "args": {"dport": port}, "ret": 0}}})),
        Err(e) => lines.push(json!({"trigger_error": format!("connect failed: {e}")})),
    }
}

/// A loopback listener (backlog 0) whose accept queue is full: one
/// connection made and not accepted. Its SYNs are dropped from then on, so a
/// connect to it blocks. Also a port with nothing listening. Made before
/// "go": these connects are not the case's.
struct MissedSetup {
    listener: std::os::fd::OwnedFd,
    _held: TcpStream,
    blocked_port: u16,
    closed_port: u16,
}

fn full_listener() -> Option<MissedSetup> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a socket this function owns.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        if fd < 0 {
            return None;
        }
        let listener = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as u16;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        if libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len) != 0 || libc::listen(fd, 0) != 0 {
            return None;
        }
        let mut len2 = len;
        libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut len2);
        let blocked_port = u16::from_be(addr.sin_port);
        let held = TcpStream::connect(("127.0.0.1", blocked_port)).ok()?;
        // A port nothing listens on: bound, then closed.
        let closed_port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        Some(MissedSetup { listener, _held: held, blocked_port, closed_port })
    }
}

/// BLOCKED_THREADS threads connect to the full listener at once (each ends
/// after SO_SNDTIMEO's 300 ms with EINPROGRESS); once all are back, each in
/// turn connects to the closed port (ECONNREFUSED).
fn blocked_connects(setup: MissedSetup, lines: &mut Vec<Value>) {
    use std::sync::{Arc, Barrier, Mutex};
    let n = BLOCKED_THREADS as usize;
    let barrier = Arc::new(Barrier::new(n));
    let turn = Arc::new(Mutex::new(Vec::new()));
    let (blocked, closed) = (setup.blocked_port, setup.closed_port);
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (barrier, turn) = (barrier.clone(), turn.clone());
            std::thread::spawn(move || {
                let first = connect_with_timeout(blocked, 300);
                barrier.wait();
                let mut results = turn.lock().unwrap_or_else(|e| e.into_inner());
                let second = connect_with_timeout(closed, 300);
                results.push((first, second));
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    drop(setup.listener);
    let results = turn.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let want = (libc::EINPROGRESS, libc::ECONNREFUSED);
    if results.len() != n || results.iter().any(|r| *r != want) {
        lines.push(json!({"trigger_error": format!("connect results {results:?}, want {n} of {want:?}")}));
        return;
    }
    lines.push(json!({"blocked_port": blocked}));
    lines.push(json!({"closed_port": closed}));
}

/// One blocking connect to 127.0.0.1:`port` with a send timeout of `ms`;
/// its errno (0: connected).
fn connect_with_timeout(port: u16, ms: i64) -> i32 {
    // SAFETY: plain socket calls on a socket this function owns and closes.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        if fd < 0 {
            return errno();
        }
        let tv = libc::timeval { tv_sec: 0, tv_usec: ms * 1000 };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as u32,
        );
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as u16;
        addr.sin_port = port.to_be();
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let r = libc::connect(
            fd,
            &addr as *const _ as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        let e = if r == 0 { 0 } else { errno() };
        libc::close(fd);
        e
    }
}
