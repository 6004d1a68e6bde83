//! What every e2e case file uses, below all of them: the framed result
//! lines, argtrace started until it traces and stopped with SIGINT, the two
//! ways of running triggers under it, and the checks of its JSON.
//!
//! - `argtrace-e2e trigger NAME` (trigger.rs, summary.rs, tcp_send.rs):
//!   waits for a line on stdin, makes its calls, prints JSON lines of what
//!   argtrace must show. `run` starts one or more argtrace instances filtered
//!   on its pid, and lets it go once all trace.
//! - `argtrace-e2e sock-trigger|skb-trigger NAME` (sock.rs, skb.rs):
//!   prepares, says `ready [JSON]`, waits for `go`, prints one JSON object.
//!   `run_ready` starts argtrace between `ready` and `go` of all of them.
//!
//! Starting argtrace and waiting for its `argtrace: tracing` line is the test
//! kit's (argtrace-testkit), shared with the CLI tests and the benchmark.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use argtrace_testkit::process::signal;
use argtrace_testkit::tracing::{self, Tracer};
use serde_json::Value;

/// A case's result: its detail line either way.
pub type Outcome = Result<String, String>;

/// Generous: BPF verification under an emulated CPU takes seconds, and the
/// instances of a case load at the same time.
pub const ATTACH_TIMEOUT: Duration = Duration::from_secs(240);
/// How long argtrace may take to stop after SIGINT.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times a case runs when the kernel skipped runs of argtrace's
/// programs in a failed attempt (`Report::case_run`).
const ATTEMPTS: u32 = 3;

/// Set when an argtrace run of this process said that the kernel skipped runs
/// of its programs (bpf_prog_info's recursion_misses): a program's run is
/// skipped while another run of it on the same CPU is unfinished, which a
/// preemptible kernel allows (Debian's 7.x kernels boot with lazy
/// preemption): a task preempted inside the raw sys_exit program, as a child
/// just out of fork is, makes the kernel skip that program for every other
/// task on its CPU until it runs again. Such a loss is the kernel's and
/// argtrace reports it; the case is run again.
static KERNEL_SKIPPED: AtomicBool = AtomicBool::new(false);

/// The line argtrace prints when the kernel skipped runs of its programs
/// (src/family/load.rs, skipped_line).
const SKIPPED_LINE: &str = "argtrace: the kernel skipped ";

// ---------------------------------------------------------------- report ---

/// Prints one framed line per case (`E2E-RESULT <case> <mode> PASS|FAIL
/// <detail>`) and, at the end, `E2E-DONE passed=N failed=M`: the form the
/// QEMU kernel matrix reads back over the serial console.
pub struct Report {
    passed: u32,
    failed: u32,
    /// When the last case ended: `E2E-TIME` says how long each took (the matrix's time budget).
    last: std::time::Instant,
}

impl Default for Report {
    fn default() -> Self {
        Report { passed: 0, failed: 0, last: std::time::Instant::now() }
    }
}

impl Report {
    pub fn case(&mut self, case: &str, mode: &str, outcome: Outcome) {
        match outcome {
            Ok(detail) => {
                self.passed += 1;
                println!("E2E-RESULT {case} {mode} PASS {detail}");
            }
            Err(detail) => {
                self.failed += 1;
                println!("E2E-RESULT {case} {mode} FAIL {}", detail.replace('\n', " | "));
            }
        }
        let now = std::time::Instant::now();
        println!("E2E-TIME {case} {mode} {:.1}", now.duration_since(self.last).as_secs_f64());
        self.last = now;
        let _ = std::io::stdout().flush();
    }

    /// Runs a case and reports it; a failed attempt during which the kernel
    /// skipped runs of argtrace's programs (KERNEL_SKIPPED) is said in an
    /// `E2E-NOTE` line and the case runs again, at most ATTEMPTS times. A
    /// failure without skipped runs is reported at once.
    pub fn case_run(&mut self, case: &str, mode: &str, mut run: impl FnMut() -> Outcome) {
        let mut attempt = 1;
        loop {
            KERNEL_SKIPPED.store(false, Ordering::SeqCst);
            let outcome = run();
            let disturbed = KERNEL_SKIPPED.load(Ordering::SeqCst);
            match outcome {
                Err(e) if disturbed && attempt < ATTEMPTS => {
                    println!(
                        "E2E-NOTE {case} {mode} attempt {attempt} failed while the kernel skipped runs of \
                         argtrace's programs, run again: {}",
                        e.replace('\n', " | ")
                    );
                    attempt += 1;
                }
                outcome => return self.case(case, mode, outcome),
            }
        }
    }

    /// Prints the last line; the exit status (1 if any case failed).
    pub fn done(self) -> i32 {
        println!("E2E-DONE passed={} failed={}", self.passed, self.failed);
        i32::from(self.failed != 0)
    }
}

// ------------------------------------------------------- one argtrace run ---

/// A started argtrace, its stdout read to the end on a thread.
pub struct Running {
    /// Its command line, for the messages.
    pub args: String,
    tracer: Tracer,
    stdout: JoinHandle<String>,
}

/// What one argtrace printed, once it ended.
pub struct Output {
    pub args: String,
    pub stdout: String,
    pub stderr: String,
    /// None: it did not stop within STOP_TIMEOUT of SIGINT (it was killed).
    pub status: Option<ExitStatus>,
    /// Its /proc/PID/status just before SIGINT (empty when read otherwise).
    pub proc_status: String,
}

impl Running {
    /// Spawns `cmd` (an argtrace command line) with no stdin, its stdout and
    /// stderr piped; it is not tracing yet.
    pub fn spawn(cmd: &mut Command) -> Result<Running, String> {
        let args = cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
        let mut tracer = Tracer::spawn(cmd.stdin(Stdio::null()).stdout(Stdio::piped()))?;
        let stdout = tracing::collect(tracer.child.stdout.take().expect("piped"));
        Ok(Running { args, tracer, stdout })
    }

    /// Waits for its `argtrace: tracing` line; else it is killed.
    pub fn wait_ready(&mut self, deadline: Instant) -> Result<(), String> {
        self.tracer.wait_ready(deadline).map_err(|e| format!("{e} (argtrace {})", self.args))
    }

    pub fn pid(&self) -> i32 {
        self.tracer.pid()
    }

    /// Stops it with SIGINT (within STOP_TIMEOUT, or it is killed) and
    /// returns what it printed.
    pub fn stop(self) -> Output {
        let proc_status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        self.interrupt();
        Output { proc_status, ..self.output() }
    }

    /// Sends it SIGINT, argtrace's way to end.
    pub fn interrupt(&self) {
        signal(self.pid(), libc::SIGINT);
    }

    /// Waits up to STOP_TIMEOUT for it to end (else kills it) and returns
    /// what it printed.
    pub fn output(mut self) -> Output {
        let status = tracing::wait_timeout(&mut self.tracer.child, STOP_TIMEOUT);
        let stdout = self.stdout.join().unwrap_or_default();
        let stderr = self.tracer.stderr_lines(Duration::from_secs(10)).join("\n");
        if stderr.lines().any(|l| l.starts_with(SKIPPED_LINE)) {
            KERNEL_SKIPPED.store(true, Ordering::SeqCst);
        }
        dump_json(&stdout);
        Output { args: self.args, stdout, stderr, status, proc_status: String::new() }
    }

    /// Kills it (SIGKILL, no chance to clean up) and reaps it.
    pub fn kill(mut self) {
        signal(self.pid(), libc::SIGKILL);
        let _ = self.tracer.child.wait();
    }
}

/// With ARGTRACE_E2E_JSON_DUMP=DIR, every JSON line an argtrace run printed
/// is appended to DIR/<this process's pid>.jsonl: tests/live.rs validates
/// them all against the JSON Schema (schema/argtrace.schema.json).
fn dump_json(stdout: &str) {
    use std::io::Write as _;
    let Some(dir) = std::env::var_os("ARGTRACE_E2E_JSON_DUMP") else { return };
    let lines: String = stdout.lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    if lines.is_empty() {
        return;
    }
    let path = Path::new(&dir).join(format!("{}.jsonl", std::process::id()));
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
    if let Ok(mut f) = file {
        let _ = f.write_all(lines.as_bytes());
    }
}

/// Spawns `cmd` as `Running::spawn` does and waits up to ATTACH_TIMEOUT for
/// it to trace.
pub fn start(cmd: &mut Command) -> Result<Running, String> {
    let mut r = Running::spawn(cmd)?;
    r.wait_ready(Instant::now() + ATTACH_TIMEOUT)?;
    Ok(r)
}

impl Output {
    /// Whether argtrace ended by itself with status 0.
    pub fn ended_well(&self) -> Result<(), String> {
        match self.status {
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(format!("argtrace {} ended with {s}; stderr: {}", self.args, self.stderr)),
            None => Err(format!("argtrace {} did not stop within 60 s of SIGINT; stderr: {}", self.args, self.stderr)),
        }
    }

    /// Every stdout line as JSON.
    pub fn json_lines(&self) -> Result<Vec<Value>, String> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).map_err(|e| format!("argtrace {}: not JSON ({e}): {l}", self.args)))
            .collect()
    }

    /// The JSON events and the summary object that ends them, which must
    /// count exactly those events and no loss.
    pub fn events(&self) -> Result<(Vec<Value>, Value), String> {
        let mut events = Vec::new();
        let mut summary = Value::Null;
        for (v, line) in self.json_lines()?.into_iter().zip(self.stdout.lines()) {
            if v.get("summary").is_some() {
                summary = v["summary"].clone();
            } else if !summary.is_null() {
                return Err(format!("an event after the summary: {line}"));
            } else {
                events.push(v);
            }
        }
        if summary.is_null() {
            return Err("no summary line at exit".into());
        }
        if summary["dropped"] != 0 || summary["events"] != events.len() as u64 {
            // Which calls came through, for whoever reads a failure.
            let seen: Vec<String> = events
                .iter()
                .map(|e| format!("{} {}", e["syscall"].as_str().or(e["event"].as_str()).unwrap_or("?"), e["tid"]))
                .collect();
            return Err(format!(
                "summary {summary} does not match {} events and no loss (seen: {})",
                events.len(),
                seen.join(", ")
            ));
        }
        Ok((events, summary))
    }
}

// ------------------------------------- `argtrace-e2e trigger NAME` runs ---

/// The JSON lines a trigger printed; a `trigger_error` among them fails.
fn trigger_lines(out: &str) -> Result<Vec<Value>, String> {
    let lines = out
        .lines()
        .map(|l| serde_json::from_str(l).map_err(|e| format!("trigger output not JSON ({e}): {l}")))
        .collect::<Result<Vec<Value>, String>>()?;
    match lines.iter().find_map(|e| e.get("trigger_error")) {
        Some(err) => Err(format!("trigger: {err}")),
        None => Ok(lines),
    }
}

/// Runs `argtrace-e2e trigger NAME` under one argtrace per entry of
/// `instances` (each given `-p <trigger's pid>` as well), lets it go once
/// all are tracing, stops them with SIGINT once it has exited, and returns
/// what each printed (in order) and the trigger's JSON lines, once every
/// instance ended well.
pub fn run(argtrace: &Path, instances: &[Vec<&str>], trigger: &str) -> Result<(Vec<Output>, Vec<Value>), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut trig = Command::new(me)
        .args(["trigger", trigger])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the trigger: {e}"))?;
    let pid = trig.id().to_string();
    let kill = |running: Vec<Running>, trig: &mut Child| {
        running.into_iter().for_each(Running::kill);
        let _ = trig.kill();
        let _ = trig.wait();
    };
    // All instances load at once; then each must say it is tracing.
    let mut running = Vec::new();
    for extra in instances {
        match Running::spawn(Command::new(argtrace).args(extra).args(["-p", &pid])) {
            Ok(r) => running.push(r),
            Err(e) => {
                kill(running, &mut trig);
                return Err(e);
            }
        }
    }
    let deadline = Instant::now() + ATTACH_TIMEOUT;
    if let Some(e) = running.iter_mut().find_map(|r| r.wait_ready(deadline).err()) {
        kill(running, &mut trig);
        return Err(e);
    }
    let _ = trig.stdin.take().expect("piped").write_all(b"go\n");
    let mut trig_out = String::new();
    let _ = trig.stdout.take().expect("piped").read_to_string(&mut trig_out);
    let trig_status = trig.wait().map_err(|e| e.to_string())?;
    running.iter().for_each(Running::interrupt);
    let outputs: Vec<Output> = running.into_iter().map(Running::output).collect();
    if !trig_status.success() {
        return Err(format!("the trigger failed: {trig_status}"));
    }
    outputs.iter().try_for_each(Output::ended_well)?;
    Ok((outputs, trigger_lines(&trig_out)?))
}

/// What one traced JSON run produced.
pub struct Traced {
    pub events: Vec<Value>,
    pub summary: Value,
    /// The trigger's JSON lines.
    pub expectations: Vec<Value>,
    pub stderr: String,
}

/// Runs the trigger under `argtrace SUBJECT --json EXTRA -p PID`.
pub fn traced_run(argtrace: &Path, subject: &str, extra: &[&str], trigger: &str) -> Result<Traced, String> {
    let mut args = vec![subject, "--json"];
    args.extend_from_slice(extra);
    let (out, expectations) = run(argtrace, &[args], trigger)?;
    let (events, summary) = out[0].events()?;
    Ok(Traced { events, summary, expectations, stderr: out[0].stderr.clone() })
}

// ----------------------------------- `sock-trigger`, `skb-trigger` runs ---

/// A trigger that has said `ready` and waits for `go`.
pub struct ReadyTrigger {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// What it said with `ready` (Null for a bare `ready`).
    pub ready: Value,
}

impl ReadyTrigger {
    /// Starts `argtrace-e2e <kind> NAME ARGS..` and waits for its ready line.
    pub fn start(kind: &str, name: &str, args: &[&str]) -> Result<ReadyTrigger, String> {
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(me)
            .args([kind, name])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the trigger {name}: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let ready = match line.trim_end().strip_prefix("ready") {
            Some("") => Some(Value::Null),
            Some(json) => serde_json::from_str::<Value>(json.trim()).ok(),
            None => None,
        };
        match ready {
            Some(ready) => Ok(ReadyTrigger { name: name.into(), child, stdin, stdout, ready }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("the trigger {name} did not get ready: {line:?}"))
            }
        }
    }

    /// Lets it run and returns the one JSON object it printed.
    pub fn finish(mut self) -> Result<Value, String> {
        let _ = self.stdin.write_all(b"go\n");
        let _ = self.stdin.flush();
        drop(self.stdin);
        let mut out = String::new();
        let _ = self.stdout.read_to_string(&mut out);
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let name = &self.name;
        if !status.success() {
            return Err(format!("the trigger {name} failed ({status}): {out}"));
        }
        let v: Value =
            serde_json::from_str(out.trim()).map_err(|e| format!("trigger {name} output not JSON ({e}): {out}"))?;
        match v.get("trigger_error") {
            Some(err) => Err(format!("trigger {name}: {err}")),
            None => Ok(v),
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` (argtrace) once `triggers` are ready, lets them run one
/// after the other, waits `settle` for the last events their exits cause,
/// and stops argtrace with SIGINT. Returns what it printed and each
/// trigger's object, once every trigger and argtrace ended well.
pub fn run_ready(
    triggers: Vec<ReadyTrigger>,
    cmd: &mut Command,
    settle: Duration,
) -> Result<(Output, Vec<Value>), String> {
    let at = match start(cmd) {
        Ok(at) => at,
        Err(e) => {
            triggers.into_iter().for_each(ReadyTrigger::kill);
            return Err(e);
        }
    };
    let mut facts = Vec::new();
    let mut failure = None;
    for t in triggers {
        match t.finish() {
            Ok(v) => facts.push(v),
            Err(e) => {
                failure.get_or_insert(e);
                facts.push(Value::Null);
            }
        }
    }
    std::thread::sleep(settle);
    let out = at.stop();
    if let Some(e) = failure {
        return Err(e);
    }
    out.ended_well()?;
    Ok((out, facts))
}

// ------------------------------------------------------------ -Z (privilege) ---

/// Whether this kernel lets a process without capabilities read a BPF map
/// through a descriptor it holds (kernels before 5.19 refuse every bpf(2)
/// command to it when kernel.unprivileged_bpf_disabled is set): a map made
/// here as root, read by a forked child turned nobody.
pub fn unprivileged_map_reads() -> Result<bool, String> {
    // union bpf_attr for BPF_MAP_CREATE: an array of one 8-byte value.
    let mut create = [0u32; 18];
    create[..4].copy_from_slice(&[2, 4, 8, 1]); // map_type, key_size, value_size, max_entries
                                                // Kernels before 5.11 charge maps to RLIMIT_MEMLOCK, per user: with the
                                                // maps of argtrace runs that just ended still being freed, the create
                                                // can fail with EPERM. libbpf lifts the limit the same way.
    let unlimited = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: setrlimit reads a live rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
    // SAFETY: the attribute is 72 live bytes.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 0, create.as_ptr(), 72u32) } as i32;
    if fd < 0 {
        return Err(format!("BPF_MAP_CREATE: {}", std::io::Error::last_os_error()));
    }
    let (key, mut value) = (0u32, 0u64);
    // union bpf_attr for BPF_MAP_LOOKUP_ELEM: map_fd, padding, key, value, flags.
    let lookup = [fd as u64, &key as *const u32 as u64, &mut value as *mut u64 as u64, 0];
    // SAFETY: the child makes system calls only, on memory made before the fork, then _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe {
            let nobody = 65534u32;
            let switched = libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<u32>()) == 0
                && libc::syscall(libc::SYS_setresgid, nobody, nobody, nobody) == 0
                && libc::syscall(libc::SYS_setresuid, nobody, nobody, nobody) == 0;
            let code = match switched.then(|| libc::syscall(libc::SYS_bpf, 1, lookup.as_ptr(), 32u32)) {
                None => 3,
                Some(0) => 0,
                Some(_) if *libc::__errno_location() == libc::EPERM => 1,
                Some(_) => 2,
            };
            libc::_exit(code);
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our own child; closing the map made above.
    unsafe {
        libc::waitpid(pid, &mut status, 0);
        libc::close(fd);
    }
    match libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)) {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        other => Err(format!("the map-read probe as nobody ended with {other:?} ({status})")),
    }
}

/// On a kernel that refuses map reads to unprivileged processes, `-Z` must
/// be refused after the attach with exit 5 and its reason.
pub fn case_user_refused(argtrace: &Path, args: &[&str]) -> Outcome {
    let out = Command::new(argtrace)
        .args(args)
        .args(["-Z", "nobody"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    let want = "argtrace: -Z nobody: this kernel lets only privileged processes read BPF maps";
    if out.status.code() != Some(5) || !last.starts_with(want) {
        return Err(format!("expected exit 5 and {want:?}, got {:?}: {stderr}", out.status.code()));
    }
    Ok("a process turned nobody cannot read a BPF map here (probed): -Z refused, exit 5".into())
}

// ---------------------------------------------------------------- checks ---

/// Whether every key of `want` has the same value in `got` (recursively).
pub fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        _ => want == got,
    }
}

/// Whether an event's time is RFC 3339 with nanoseconds.
pub fn has_precise_time(event: &Value) -> bool {
    event["time"].as_str().is_some_and(|s| s.len() >= 30 && s.contains('T'))
}

/// Exactly one event of a call subject matches `want` (and, under the key
/// `flags_has`, has each of those flags in its flags_str), and it reports
/// probe `mode` and a precise time.
pub fn find_one<'a>(t: &'a Traced, want: &Value, mode: &str) -> Result<&'a Value, String> {
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
            if !has_precise_time(one) {
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
