//! The end-to-end suite: runs the real argtrace binary against the trigger
//! programs in each probe mode and checks that the JSON shows exactly the
//! values, pids and results the triggers chose. Prints one framed line per
//! case (`E2E-RESULT <case> <mode> PASS|FAIL <detail>`) and `E2E-DONE`, the
//! form the QEMU kernel matrix reads back over the serial console. With
//! `--detect` the modes come from the kernel (detect.rs, printed first as
//! `E2E-KERNEL ...`), and the `detect` case compares them with the reviewed
//! expectations when any are given.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::detect::{self, Detection};

pub struct Options {
    pub argtrace: PathBuf,
    /// Take the modes, auto's choice and the refused modes from the kernel.
    pub detect: bool,
    /// Without `detect`: the modes every case runs in.
    pub modes: Vec<String>,
    /// Without `detect`: what auto must choose. With it: what the detection must
    /// make of auto (the first detected mode), if given.
    pub expect_auto: Option<String>,
    /// Without `detect`: the modes that must be refused.
    pub unavailable: Vec<String>,
    /// With `detect`: the modes the detection must find, if given.
    pub expect_modes: Option<Vec<String>>,
    /// With `detect`: the modes the detection must find missing, if given.
    pub expect_unavailable: Option<Vec<String>>,
    /// `subject:mode` pairs this kernel cannot run although it has the mode
    /// (clone's fentry path on a kernel older than 5.15): argtrace must refuse
    /// them naming the missing helper, and auto must pass over that mode.
    pub refuse: Vec<String>,
}

impl Options {
    /// No modes, no expectations: the argtrace binary alone.
    pub fn with_argtrace(argtrace: PathBuf) -> Options {
        Options {
            argtrace,
            detect: false,
            modes: vec![],
            expect_auto: None,
            unavailable: vec![],
            expect_modes: None,
            expect_unavailable: None,
            refuse: vec![],
        }
    }
}

/// What the suite runs: the modes to run every case in, the mode auto must
/// choose (None: auto must fail, no mode works) and the modes to be refused.
struct Plan {
    modes: Vec<String>,
    auto: Option<String>,
    unavailable: Vec<String>,
}

/// Generous: BPF verification under an emulated CPU takes seconds.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(180);

pub(crate) type Outcome = Result<String, String>;

pub fn run(opts: &Options) -> i32 {
    let mut passed = 0;
    let mut failed = 0;
    let mut report = |case: &str, mode: &str, outcome: Outcome| {
        match outcome {
            Ok(detail) => {
                passed += 1;
                println!("E2E-RESULT {case} {mode} PASS {detail}");
            }
            Err(detail) => {
                failed += 1;
                println!("E2E-RESULT {case} {mode} FAIL {}", detail.replace('\n', " | "));
            }
        }
        let _ = std::io::stdout().flush();
    };
    let plan = if opts.detect {
        let detection = detect::detect();
        println!("{}", detection.line());
        if let Some(outcome) = case_detect(opts, &detection) {
            report("detect", "auto", outcome);
        }
        Plan { modes: detection.modes(), auto: detection.auto(), unavailable: detection.lacks() }
    } else {
        Plan { modes: opts.modes.clone(), auto: opts.expect_auto.clone(), unavailable: opts.unavailable.clone() }
    };
    for mode in &plan.modes {
        report("mmap", mode, case_mmap(opts, Some(mode), mode));
        // A kernel may refuse clone in a mode others have (5.10's fentry).
        let clone_refused = opts.refuse.iter().any(|r| r == &format!("clone:{mode}"));
        if clone_refused {
            report("clone-refused", mode, case_refused(opts, "clone", mode, &plan.modes));
        } else {
            report("clone", mode, case_clone(opts, mode));
        }
        report("tcp-inet6", mode, case_tcp(opts, mode, "inet6"));
        report("tcp-inet", mode, case_tcp(opts, mode, "inet"));
        for (case, outcome) in crate::tcp_send::cases(opts, mode) {
            report(case, mode, outcome);
        }
        // A subject refused in this mode cannot be the one killed.
        let killed = if clone_refused { "mmap" } else { "clone" };
        report("sigkill", mode, case_sigkill(opts, mode, killed));
        crate::summary::cases(&opts.argtrace, mode, clone_refused, &mut report);
    }
    match &plan.auto {
        Some(auto) => report("auto", auto, case_mmap(opts, None, auto)),
        None => report("auto", "none", case_no_mode(opts)),
    }
    for mode in &plan.unavailable {
        report("unavailable", mode, case_unavailable(opts, mode));
    }
    report("no-btf", "auto", case_no_btf(opts));
    // argtrace syscall: the raw syscall tracepoints, on every kernel.
    report("syscall", "tracepoint", crate::syscall::case(opts, "tracepoint"));
    let regex = crate::syscall::SELECTION_REGEX;
    report("syscall-regex", "tracepoint", crate::syscall::case_with(opts, "tracepoint", regex));
    report("syscall-summary", "tracepoint", crate::syscall::summary_case(&opts.argtrace));
    // argtrace sock: cgroup hooks, the same on every kernel whatever its probe modes.
    crate::sock::run(&opts.argtrace, &mut report);
    // argtrace skb: cgroup hooks and a socket filter, once per kernel.
    crate::skb::run(&opts.argtrace, &mut report);
    println!("E2E-DONE passed={passed} failed={failed}");
    if failed == 0 {
        0
    } else {
        1
    }
}

/// A subject the kernel cannot run in `mode` although it has the mode: the
/// forced mode ends with exit 5 and one line naming the missing BPF helper, and
/// auto passes over it with the same reason and takes the next mode.
fn case_refused(opts: &Options, subject: &str, mode: &str, modes: &[String]) -> Outcome {
    let forced = Command::new(&opts.argtrace)
        .args([subject, "--probe", mode, "-d", "1"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run argtrace: {e}"))?;
    let stderr = String::from_utf8_lossy(&forced.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = format!("argtrace: probe mode {mode} is not available on this kernel: ");
    if forced.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(&expected) {
        return Err(format!("forced {mode}: exit {:?}, stderr: {stderr}", forced.status.code()));
    }
    if !lines[0].contains("the kernel lacks the BPF helper bpf_") {
        return Err(format!("forced {mode}: the reason names no missing helper: {}", lines[0]));
    }
    let next = modes.iter().skip_while(|m| *m != mode).nth(1).ok_or("no mode after the refused one")?;
    let auto = Command::new(&opts.argtrace)
        .args([subject, "-d", "1"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run argtrace: {e}"))?;
    let stderr = String::from_utf8_lossy(&auto.stderr);
    let passed_over = format!("argtrace: probe mode {mode} passed over: ");
    let over = stderr.lines().find(|l| l.starts_with(&passed_over)).unwrap_or_default();
    let chose = stderr.lines().any(|l| l == format!("argtrace: probe mode {next} (auto)"));
    if !auto.status.success() || !over.contains("the kernel lacks the BPF helper bpf_") || !chose {
        return Err(format!("auto: exit {:?}, stderr: {stderr}", auto.status.code()));
    }
    let helper = lines[0].split("BPF helper ").nth(1).unwrap_or("").split(['(', ',']).next().unwrap_or("");
    Ok(format!("{subject} refused in {mode} (lacks {helper}), auto chose {next}"))
}

/// What one traced run produced.
pub(crate) struct Traced {
    pub(crate) events: Vec<Value>,
    pub(crate) summary: Value,
    pub(crate) expectations: Vec<Value>,
    pub(crate) stderr: String,
}

/// Reads a child's stderr on a thread, line by line.
pub(crate) fn line_reader(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The lines a reader has not yet handed over, up to the end of the stream
/// (the child has exited, so its end comes at once) or at most `limit`.
/// `try_iter` is not enough: after the child exits, the reader thread may
/// still be reading its last line, argtrace's `N events, M lost`.
pub(crate) fn rest_of(rx: &mpsc::Receiver<String>, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        lines.push(line);
    }
    lines
}

pub(crate) fn collect_stdout(r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = BufReader::new(r).read_to_string(&mut s);
        s
    })
}

/// Starts argtrace and waits for its `argtrace: tracing` line.
pub(crate) fn start_argtrace(
    opts: &Options,
    args: &[String],
) -> Result<(Child, mpsc::Receiver<String>, Vec<String>), String> {
    spawn_tracing(Command::new(&opts.argtrace).args(args).stdin(Stdio::null()), &opts.argtrace)
}

/// Spawns `cmd` (an argtrace command line) with stdout and stderr piped and
/// waits up to ATTACH_TIMEOUT for its `argtrace: tracing` line; returns the
/// child, the rest of its stderr as it comes, and the lines so far.
pub(crate) fn spawn_tracing(
    cmd: &mut Command,
    argtrace: &Path,
) -> Result<(Child, mpsc::Receiver<String>, Vec<String>), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", argtrace.display()))?;
    let rx = line_reader(child.stderr.take().expect("piped"));
    let mut seen = Vec::new();
    let deadline = Instant::now() + ATTACH_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let ready = line.starts_with("argtrace: tracing");
                seen.push(line);
                if ready {
                    return Ok((child, rx, seen));
                }
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!("argtrace never said it was tracing ({status}); stderr: {}", seen.join(" | ")));
            }
        }
    }
}

pub(crate) fn signal(child: &Child, sig: i32) {
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(child.id() as i32, sig) };
}

pub(crate) fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a trigger under argtrace (`extra` args, filtered on the trigger's pid).
pub(crate) fn traced_run(opts: &Options, subject: &str, extra: &[&str], trigger: &str) -> Result<Traced, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut trig = Command::new(me)
        .args(["trigger", trigger])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the trigger: {e}"))?;
    let mut args: Vec<String> = vec![subject.into(), "--json".into(), "-p".into(), trig.id().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (mut at, stderr_rx, mut stderr) = match start_argtrace(opts, &args) {
        Ok(x) => x,
        Err(e) => {
            let _ = trig.kill();
            let _ = trig.wait();
            return Err(e);
        }
    };
    let at_stdout = collect_stdout(at.stdout.take().expect("piped"));
    let _ = trig.stdin.take().expect("piped").write_all(b"go\n");
    let mut trig_out = String::new();
    let _ = trig.stdout.take().expect("piped").read_to_string(&mut trig_out);
    let trig_status = trig.wait().map_err(|e| e.to_string())?;
    signal(&at, libc::SIGINT);
    let status = wait_timeout(&mut at, Duration::from_secs(60));
    let out = at_stdout.join().unwrap_or_default();
    stderr.extend(rest_of(&stderr_rx, Duration::from_secs(10)));
    let stderr = stderr.join("\n");
    if !trig_status.success() {
        return Err(format!("the trigger failed: {trig_status}"));
    }
    match status {
        Some(s) if s.success() => {}
        Some(s) => return Err(format!("argtrace ended with {s}; stderr: {stderr}")),
        None => return Err(format!("argtrace did not stop within 60 s of SIGINT; stderr: {stderr}")),
    }
    let mut events = Vec::new();
    let mut summary = Value::Null;
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
        if v.get("summary").is_some() {
            summary = v["summary"].clone();
        } else if !summary.is_null() {
            return Err(format!("an event after the summary: {line}"));
        } else {
            events.push(v);
        }
    }
    let expectations = trig_out
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("trigger output not JSON ({e}): {l}")))
        .collect::<Result<Vec<Value>, String>>()?;
    if let Some(err) = expectations.iter().find_map(|e| e.get("trigger_error")) {
        return Err(format!("trigger: {err}"));
    }
    if summary.is_null() {
        return Err("no summary line at exit".into());
    }
    if summary["dropped"] != 0 || summary["events"] != events.len() as u64 {
        return Err(format!("summary {summary} does not match {} events and no loss", events.len()));
    }
    Ok(Traced { events, summary, expectations, stderr })
}

/// Whether every key of `want` has the same value in `got` (recursively).
pub(crate) fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        _ => want == got,
    }
}

/// Checks one expectation: exactly one event matches it.
pub(crate) fn find_one<'a>(t: &'a Traced, want: &Value, mode: &str) -> Result<&'a Value, String> {
    let has_flags: Vec<&str> = want
        .get("flags_has")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut want = want.clone();
    if let Some(o) = want.as_object_mut() {
        o.remove("flags_has");
    }
    let matches: Vec<&Value> = t
        .events
        .iter()
        .filter(|e| subset(&want, e))
        .filter(|e| {
            let fs = e["args"]["flags_str"].as_str().unwrap_or("");
            has_flags.iter().all(|f| fs.split('|').any(|x| x == *f))
        })
        .collect();
    match matches.as_slice() {
        [one] => {
            if one["probe"] != mode {
                return Err(format!("event reports probe {} instead of {mode}: {one}", one["probe"]));
            }
            if !one["time"].as_str().is_some_and(|s| s.len() >= 30 && s.contains('T')) {
                return Err(format!("time is not RFC 3339 with nanoseconds: {one}"));
            }
            Ok(one)
        }
        [] => Err(format!(
            "no event matches {want}; got {} events: {}",
            t.events.len(),
            t.events.iter().map(Value::to_string).collect::<Vec<_>>().join(" ")
        )),
        many => Err(format!("{} events match {want}", many.len())),
    }
}

fn check_expectations(t: &Traced, mode: &str) -> Outcome {
    let mut n = 0;
    for e in &t.expectations {
        if let Some(want) = e.get("expect") {
            find_one(t, want, mode)?;
            n += 1;
        }
    }
    if n == 0 {
        return Err("the trigger expected nothing".into());
    }
    Ok(format!("{n} calls matched exactly; {}", t.summary))
}

/// With `forced` None, auto must choose `expected_mode`.
fn case_mmap(opts: &Options, forced: Option<&str>, expected_mode: &str) -> Outcome {
    let extra: Vec<&str> = match forced {
        Some(m) => vec!["--probe", m],
        None => vec![],
    };
    let t = traced_run(opts, "mmap", &extra, "mmap")?;
    if forced.is_none() {
        let line = format!("argtrace: probe mode {expected_mode} (auto)");
        if !t.stderr.lines().any(|l| l == line) {
            return Err(format!("auto did not choose {expected_mode}: {}", t.stderr));
        }
    }
    check_expectations(&t, expected_mode)
}

fn case_clone(opts: &Options, mode: &str) -> Outcome {
    let t = traced_run(opts, "clone", &["--probe", mode], "clone")?;
    check_expectations(&t, mode)
}

/// `family` is what argtrace is told to show: the trigger's connects of the
/// other family must be absent.
fn case_tcp(opts: &Options, mode: &str, family: &str) -> Outcome {
    let flag = if family == "inet" { "-4" } else { "--family=inet6" };
    let t = traced_run(opts, "tcp-connect", &["--probe", mode, flag], "tcp")?;
    let mut shown = 0;
    for e in &t.expectations {
        let want = &e["event"];
        if e["family"] == family {
            let got = find_one(&t, want, mode)?;
            if e.get("refused").is_some() {
                // Only tracepoint mode reads the port after the kernel released it.
                let sport = &got["args"]["sport"];
                let ok = if mode == "tracepoint" { sport.is_null() } else { sport.as_u64().is_some_and(|p| p > 0) };
                if !ok || got["error"] != "ECONNREFUSED" {
                    return Err(format!("refused connect shown wrongly: {got}"));
                }
            }
            shown += 1;
        } else {
            let key = serde_json::json!({"args": {"daddr": want["args"]["daddr"], "dport": want["args"]["dport"]}});
            if let Some(leak) = t.events.iter().find(|ev| subset(&key, ev)) {
                return Err(format!("a {} connect passed the {family} filter: {leak}", want["args"]["family"]));
            }
        }
    }
    Ok(format!("{shown} connects matched exactly, the other family filtered out; {}", t.summary))
}

/// The detection against the reviewed expectations (None when none are given).
fn case_detect(opts: &Options, d: &Detection) -> Option<Outcome> {
    if opts.expect_modes.is_none() && opts.expect_auto.is_none() && opts.expect_unavailable.is_none() {
        return None;
    }
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<String>>();
    let show = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(",") };
    let mut wrong = Vec::new();
    if let Some(want) = &opts.expect_modes {
        if set(want) != set(&d.modes()) {
            wrong.push(format!("the kernel has modes {} but {} are expected", show(&d.modes()), show(want)));
        }
    }
    if let Some(want) = &opts.expect_unavailable {
        if set(want) != set(&d.lacks()) {
            wrong.push(format!("the kernel lacks {} but {} are expected missing", show(&d.lacks()), show(want)));
        }
    }
    let auto = d.auto().unwrap_or_else(|| "none".into());
    if let Some(want) = &opts.expect_auto {
        if *want != auto {
            wrong.push(format!("auto must choose {auto} on this kernel but {want} is expected"));
        }
    }
    Some(if wrong.is_empty() {
        Ok(format!("modes={} auto={auto} lacks={} as expected", show(&d.modes()), show(&d.lacks())))
    } else {
        Err(format!("{}; {}", wrong.join("; "), d.line()))
    })
}

/// No mode works: auto must end with exit 5 and one line saying so.
fn case_no_mode(opts: &Options) -> Outcome {
    let out = Command::new(&opts.argtrace).args(["mmap"]).stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = "argtrace: no probe mode works on this kernel (";
    let last = stderr.lines().last().unwrap_or_default();
    if out.status.code() != Some(5) || !last.starts_with(want) {
        return Err(format!("expected exit 5 and a last line '{want}...', got {} and: {stderr}", out.status));
    }
    Ok(last.to_string())
}

fn case_unavailable(opts: &Options, mode: &str) -> Outcome {
    let out = Command::new(&opts.argtrace)
        .args(["mmap", "--probe", mode])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("argtrace: probe mode {mode} is not available on this kernel: ");
    let lines: Vec<&str> = stderr.lines().collect();
    if out.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(&prefix) {
        return Err(format!("expected exit 5 and one line '{prefix}...', got {} and: {stderr}", out.status));
    }
    Ok(lines[0].to_string())
}

/// A kernel without BTF, as argtrace sees it: /sys/kernel/btf hidden under an
/// empty tmpfs in a private mount namespace of the argtrace process only.
fn case_no_btf(opts: &Options) -> Outcome {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(&opts.argtrace);
    cmd.args(["mmap"]).stdin(Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe syscalls run.
    unsafe {
        cmd.pre_exec(|| {
            let fail = || Err(std::io::Error::last_os_error());
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return fail();
            }
            let none = std::ptr::null();
            if libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, none as _) != 0 {
                return fail();
            }
            if libc::mount(c"none".as_ptr(), c"/sys/kernel/btf".as_ptr(), c"tmpfs".as_ptr(), 0, none as _) != 0 {
                return fail();
            }
            Ok(())
        });
    }
    let out = cmd.output().map_err(|e| format!("cannot hide /sys/kernel/btf: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let want = "argtrace: the kernel has no BTF (/sys/kernel/btf/vmlinux is missing";
    if out.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(want) {
        return Err(format!("expected exit 5 and one line '{want}...', got {} and: {stderr}", out.status));
    }
    Ok(lines[0].to_string())
}

/// The ids of all BPF programs or links the kernel has now.
fn bpf_ids(cmd: u32) -> BTreeSet<u32> {
    let mut ids = BTreeSet::new();
    let mut attr = [0u32; 4];
    loop {
        // SAFETY: BPF_*_GET_NEXT_ID reads start_id and writes next_id inside attr.
        let rc = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), 16u32) };
        if rc != 0 {
            return ids;
        }
        ids.insert(attr[1]);
        attr = [attr[1], 0, 0, 0];
    }
}

const BPF_PROG_GET_NEXT_ID: u32 = 11;
const BPF_LINK_GET_NEXT_ID: u32 = 31;

fn pinned(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// SIGKILL leaves no program, link or pinned object behind.
fn case_sigkill(opts: &Options, mode: &str, subject: &str) -> Outcome {
    let progs_before = bpf_ids(BPF_PROG_GET_NEXT_ID);
    let links_before = bpf_ids(BPF_LINK_GET_NEXT_ID);
    let pins_before = pinned(Path::new("/sys/fs/bpf"));
    let args: Vec<String> = [subject, "--probe", mode].iter().map(|s| s.to_string()).collect();
    let (mut at, _rx, _) = start_argtrace(opts, &args)?;
    let progs: BTreeSet<u32> = bpf_ids(BPF_PROG_GET_NEXT_ID).difference(&progs_before).copied().collect();
    let links: BTreeSet<u32> = bpf_ids(BPF_LINK_GET_NEXT_ID).difference(&links_before).copied().collect();
    signal(&at, libc::SIGKILL);
    let _ = at.wait();
    if progs.is_empty() {
        return Err("argtrace had no BPF program loaded while tracing".into());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p_left: Vec<u32> = progs.intersection(&bpf_ids(BPF_PROG_GET_NEXT_ID)).copied().collect();
        let l_left: Vec<u32> = links.intersection(&bpf_ids(BPF_LINK_GET_NEXT_ID)).copied().collect();
        let pins_now = pinned(Path::new("/sys/fs/bpf"));
        if p_left.is_empty() && l_left.is_empty() && pins_now == pins_before {
            return Ok(format!(
                "{} programs and {} links gone after SIGKILL, nothing pinned",
                progs.len(),
                links.len()
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "left behind 10 s after SIGKILL: programs {p_left:?}, links {l_left:?}, pins {:?}",
                pins_now.difference(&pins_before).collect::<Vec<_>>()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
