//! The end-to-end suite: runs the real argtrace binary against the trigger
//! programs in each probe mode and checks that the JSON shows exactly the
//! values, pids and results the triggers chose. Prints one framed line per
//! case (`E2E-RESULT <case> <mode> PASS|FAIL <detail>`) and `E2E-DONE`, the
//! form the QEMU kernel matrix reads back over the serial console.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Options {
    pub argtrace: PathBuf,
    pub modes: Vec<String>,
    pub expect_auto: String,
    pub unavailable: Vec<String>,
}

/// Generous: BPF verification under an emulated CPU takes seconds.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(180);

type Outcome = Result<String, String>;

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
    for mode in &opts.modes {
        report("mmap", mode, case_mmap(opts, Some(mode)));
        report("clone", mode, case_clone(opts, mode));
        report("tcp-inet6", mode, case_tcp(opts, mode, "inet6"));
        report("tcp-inet", mode, case_tcp(opts, mode, "inet"));
        report("sigkill", mode, case_sigkill(opts, mode));
        crate::summary::cases(&opts.argtrace, mode, &mut report);
    }
    report("auto", &opts.expect_auto, case_mmap(opts, None));
    for mode in &opts.unavailable {
        report("unavailable", mode, case_unavailable(opts, mode));
    }
    report("no-btf", "auto", case_no_btf(opts));
    println!("E2E-DONE passed={passed} failed={failed}");
    if failed == 0 {
        0
    } else {
        1
    }
}

/// What one traced run produced.
struct Traced {
    events: Vec<Value>,
    summary: Value,
    expectations: Vec<Value>,
    stderr: String,
}

/// Reads a child's stderr on a thread, line by line.
fn line_reader(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
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

fn collect_stdout(r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = BufReader::new(r).read_to_string(&mut s);
        s
    })
}

/// Starts argtrace and waits for its `argtrace: tracing` line.
fn start_argtrace(opts: &Options, args: &[String]) -> Result<(Child, mpsc::Receiver<String>, Vec<String>), String> {
    let mut child = Command::new(&opts.argtrace)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", opts.argtrace.display()))?;
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

fn signal(child: &Child, sig: i32) {
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(child.id() as i32, sig) };
}

fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
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
fn traced_run(opts: &Options, subject: &str, extra: &[&str], trigger: &str) -> Result<Traced, String> {
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
    stderr.extend(stderr_rx.try_iter());
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
fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        _ => want == got,
    }
}

/// Checks one expectation: exactly one event matches it.
fn find_one<'a>(t: &'a Traced, want: &Value, mode: &str) -> Result<&'a Value, String> {
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

fn case_mmap(opts: &Options, mode: Option<&String>) -> Outcome {
    let extra: Vec<&str> = match mode {
        Some(m) => vec!["--probe", m],
        None => vec![],
    };
    let t = traced_run(opts, "mmap", &extra, "mmap")?;
    let expected_mode = mode.unwrap_or(&opts.expect_auto);
    if mode.is_none() {
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
fn case_sigkill(opts: &Options, mode: &str) -> Outcome {
    let progs_before = bpf_ids(BPF_PROG_GET_NEXT_ID);
    let links_before = bpf_ids(BPF_LINK_GET_NEXT_ID);
    let pins_before = pinned(Path::new("/sys/fs/bpf"));
    let args: Vec<String> = ["clone", "--probe", mode].iter().map(|s| s.to_string()).collect();
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
            return Ok(format!("{} programs and {} links gone after SIGKILL, nothing pinned", progs.len(), links.len()));
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
