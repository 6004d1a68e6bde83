//! `-f` and `-- CMD` for every subject: argtrace starts
//! `sh -c '<trigger>; exit 7'`, and the trigger makes a tree of three
//! generations of processes (itself, a child, a grandchild), each with a
//! thread. Every process and thread makes one call of the subject with a value
//! of its own (an mmap length, a clone's exit signal in its flags, a port, a
//! send size, a getpgid argument); for each child and thread it is its first
//! call the subject sees, so the case proves that a child joins the filter
//! before it runs. A process outside the tree makes the same call at the
//! same time with a value of its own: it must not be seen. argtrace must end
//! with sh's status, 7; a second case kills sh with SIGTERM: 143.
//!
//! The trigger (`argtrace-e2e follow-trigger SUBJECT FILE FIFO`) waits on the
//! FIFO until the harness has run the unrelated process, then appends one
//! JSON line per process and thread to FILE: what argtrace must show
//! (`key`, a subset of one event), whose it is (`ids`), and, where it must be
//! the first event of that thread, `first` (what that event holds).

use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use argtrace_testkit::process::gettid;
use serde_json::{json, Value};

use crate::harness::{subset, Outcome, Running, ATTACH_TIMEOUT};

/// The subjects of the call hooks: their cases run in every mode the kernel has.
pub const CALL_SUBJECTS: [&str; 4] = ["mmap", "clone", "tcp-connect", "tcp-send"];
/// The subjects of one mode, with it: once per kernel.
pub const ONCE: [(&str, &str); 3] = [("sock", "cgroup"), ("skb", "cgroup"), ("syscall", "tp_btf")];

/// The unrelated process's value.
pub const UNRELATED: u64 = 9;
/// UDP ports the sock and skb calls send to: BASE_PORT + value.
const BASE_PORT: u64 = 39_000;
/// getpgid's argument: a pid above any pid_max.
const NO_PID: u64 = 4_200_000;

// ------------------------------------------------------------- trigger ---

/// What every call of the tree needs, made once by the first generation:
/// the TCP listeners the connects and sends go to, one per value.
pub struct Ctx {
    subject: String,
    listeners: Vec<TcpListener>,
}

impl Ctx {
    pub fn new(subject: &str) -> Ctx {
        let tcp = subject.starts_with("tcp");
        let listeners = if tcp {
            (0..=UNRELATED).map(|_| TcpListener::bind("127.0.0.1:0").expect("listen")).collect()
        } else {
            vec![]
        };
        Ctx { subject: subject.into(), listeners }
    }

    fn port(&self, v: u64) -> u16 {
        self.listeners[v as usize].local_addr().expect("port").port()
    }
}

/// The subject's call with value `v`, and the line argtrace must match.
pub fn call(ctx: &Ctx, v: u64) -> Value {
    // Nothing is allocated before the call: a new thread's first allocation
    // maps its arena, which would be its first mmap.
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let (key, first) = match ctx.subject.as_str() {
        "mmap" => {
            let len = v * page + 3;
            // SAFETY: a fresh anonymous mapping, unmapped at once.
            unsafe {
                let a = libc::mmap(
                    std::ptr::null_mut(),
                    len as usize,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                libc::munmap(a, len as usize);
            }
            (json!({"args": {"len": len}}), json!({"args": {"len": len}}))
        }
        "clone" => {
            let flags = argtrace::decode::process::CLONE_SIGHAND | v;
            // SAFETY: CLONE_SIGHAND without CLONE_VM: the kernel refuses (EINVAL) before creating anything.
            let r = unsafe { libc::syscall(libc::SYS_clone, flags, 0u64, 0u64, 0u64, 0u64) };
            let key = json!({"args": {"flags": flags}, "ret": if r < 0 { -(libc::EINVAL as i64) } else { r }});
            (key.clone(), key)
        }
        "tcp-connect" => {
            let port = ctx.port(v);
            std::mem::forget(TcpStream::connect(("127.0.0.1", port)).expect("connect"));
            let key = json!({"args": {"dport": port}, "ret": 0});
            (key.clone(), key)
        }
        "tcp-send" => {
            let port = ctx.port(v);
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            let size = 100 * v as usize + 7;
            s.write_all(&vec![b'f'; size]).expect("send");
            std::mem::forget(s);
            let key = json!({"args": {"dport": port, "size": size}});
            (key.clone(), key)
        }
        "sock" | "skb" => {
            let port = BASE_PORT + v;
            let s = UdpSocket::bind("127.0.0.1:0").expect("udp");
            let _ = s.send_to(format!("follow-{v}").as_bytes(), ("127.0.0.1", port as u16));
            if ctx.subject == "sock" {
                (json!({"op": "sendmsg", "args": {"dport": port}}), json!({"op": "socket"}))
            } else {
                (json!({"args": {"dir": "egress", "dport": port}}), json!({"args": {"dir": "egress", "dport": port}}))
            }
        }
        _ => {
            // SAFETY: getpgid of a pid that cannot exist: ESRCH.
            let r = unsafe { libc::syscall(libc::SYS_getpgid, NO_PID + v) };
            let ret = if r < 0 { -(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64) } else { r };
            let key = json!({"syscall": "getpgid", "args": {"pid": NO_PID + v}, "ret": ret});
            (key.clone(), key)
        }
    };
    let (pid, tid) = (std::process::id(), gettid());
    let ids = json!({"pid": pid, "tid": tid});
    let ids = if ctx.subject == "skb" { json!({"args": {"owner": ids}}) } else { ids };
    json!({"v": v, "pid": pid, "tid": tid, "key": key, "ids": ids, "first": first})
}

/// The call in a new thread of the C library (no Rust start-up in it: the
/// call is its first).
fn call_in_thread(ctx: &Ctx, v: u64) -> Value {
    extern "C" fn start(arg: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `arg` is the (ctx, v, out) the creator passed and waits for.
        let (ctx, v, out) = unsafe { &mut *(arg as *mut (&Ctx, u64, Value)) };
        *out = call(ctx, *v);
        std::ptr::null_mut()
    }
    let mut arg: (&Ctx, u64, Value) = (ctx, v, Value::Null);
    let mut thread: libc::pthread_t = 0;
    // SAFETY: `arg` outlives the thread, which is joined before it is read.
    unsafe {
        if libc::pthread_create(&mut thread, std::ptr::null(), start, (&mut arg as *mut (&Ctx, u64, Value)).cast()) != 0
        {
            return json!({"trigger_error": "pthread_create failed"});
        }
        libc::pthread_join(thread, std::ptr::null_mut());
    }
    arg.2
}

fn append(out: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(out).expect("open the trigger's file");
    f.write_all(text.as_bytes()).expect("write the trigger's file");
}

/// Generation `g` (1 to 3): its call, its thread's, then its child's generation.
fn generation(ctx: &Ctx, g: u64, out: &Path) {
    let mut mine = call(ctx, 2 * g - 1);
    let mut theirs = call_in_thread(ctx, 2 * g);
    // The first generation is exec'd by sh: its loader's calls come first.
    if g == 1 {
        mine["first"] = Value::Null;
    }
    mine["who"] = json!(format!("generation {g}"));
    theirs["who"] = json!(format!("generation {g}'s thread"));
    append(out, &[mine, theirs]);
    if g == 3 {
        return;
    }
    // SAFETY: one thread (the other is joined); the child runs the next
    // generation and leaves with _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        generation(ctx, g + 1, out);
        // SAFETY: leaving the child without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: our own child.
    unsafe { libc::waitpid(child, &mut status, 0) };
}

/// `argtrace-e2e follow-trigger SUBJECT FILE FIFO`; FIFO `-`: the unrelated
/// process, which makes its call at once.
pub fn trigger(args: &[String]) -> i32 {
    let [subject, out, fifo] = args else { return 2 };
    let ctx = Ctx::new(subject);
    let out = Path::new(out);
    if fifo == "-" {
        let mut line = call(&ctx, UNRELATED);
        line["who"] = json!("unrelated");
        append(out, &[line]);
        return 0;
    }
    let _ = std::fs::read_to_string(fifo);
    generation(&ctx, 1, out);
    0
}

// ---------------------------------------------------------------- cases ---

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("argtrace-follow-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The thread id an event belongs to (skb: its socket's owner).
fn tid_of(subject: &str, e: &Value) -> Value {
    if subject == "skb" {
        e["args"]["owner"]["tid"].clone()
    } else {
        e["tid"].clone()
    }
}

/// Whom argtrace follows: the command it starts, or the trigger by -p or
/// by --tid (its main thread).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Command,
    Pid,
    Tid,
}

/// `argtrace SUBJECT -f EXTRA -- sh -c '<trigger>; exit 7'`, or `-f -p`/`-f
/// --tid` of a trigger already running (see above).
pub fn case_follow(argtrace: &Path, subject: &str, extra: &[&str], target: Target) -> Outcome {
    let dir = scratch(subject);
    let (out, fifo) = (dir.join("lines"), dir.join("go"));
    let c = std::ffi::CString::new(fifo.to_str().expect("utf-8")).expect("no NUL");
    // SAFETY: a valid path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(format!("mkfifo: {}", std::io::Error::last_os_error()));
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(argtrace);
    cmd.args([subject, "--json", "-f"]).args(extra);
    // Every call of a new thread would start with the C library's own (rseq ...).
    if subject == "syscall" {
        cmd.args(["-e", "trace=getpgid"]);
    }
    let mut trigger = None;
    if target == Target::Command {
        let script = r#""$0" follow-trigger "$1" "$2" "$3"; exit 7"#;
        cmd.args(["--", "sh", "-c", script]).arg(&me).arg(subject).arg(&out).arg(&fifo);
    } else {
        let child = Command::new(&me).arg("follow-trigger").arg(subject).arg(&out).arg(&fifo).spawn();
        let child = child.map_err(|e| format!("cannot start the trigger: {e}"))?;
        cmd.args([if target == Target::Pid { "-p" } else { "--tid" }, &child.id().to_string()]);
        trigger = Some(child);
    }
    let mut running = Running::spawn(&mut cmd)?;
    let ready = running.wait_ready(Instant::now() + ATTACH_TIMEOUT);
    let unrelated = dir.join("unrelated");
    let done = Command::new(&me).arg("follow-trigger").arg(subject).arg(&unrelated).arg("-").status();
    // Lets the tree run (also when something failed: everything must end).
    let _ = std::fs::write(&fifo, "go\n");
    let trigger_status = trigger.map(|mut t| t.wait());
    let output = if trigger_status.is_some() { running.stop() } else { running.output() };
    ready?;
    if !done.as_ref().is_ok_and(|s| s.success()) {
        return Err(format!("the unrelated process failed: {done:?}"));
    }
    let want = if target == Target::Command { 7 } else { 0 };
    if output.status.and_then(|s| s.code()) != Some(want) {
        return Err(format!("argtrace ended with {:?}, not {want}; stderr: {}", output.status, output.stderr));
    }
    if trigger_status.is_some_and(|s| !s.is_ok_and(|s| s.success())) {
        return Err("the trigger failed".into());
    }
    let (events, _) = output.events()?;
    let read = |p: &Path| -> Result<Vec<Value>, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("the trigger's lines: {e}"))?;
        text.lines().map(|l| serde_json::from_str(l).map_err(|e| format!("{e}: {l}"))).collect()
    };
    let (lines, stranger) = (read(&out)?, read(&unrelated)?);
    let _ = std::fs::remove_dir_all(&dir);
    check_lines(subject, &events, &lines, &stranger).map(|d| format!("{d}; exit {want}"))
}

/// Every line of the tree found, none of the stranger's.
fn check_lines(subject: &str, events: &[Value], lines: &[Value], stranger: &[Value]) -> Outcome {
    if lines.len() != 6 {
        return Err(format!("the trigger wrote {} lines, not 6: {lines:?}", lines.len()));
    }
    let pids: std::collections::BTreeSet<String> = lines.iter().map(|l| l["pid"].to_string()).collect();
    for l in lines {
        check_line(subject, events, l)?;
    }
    for s in stranger {
        if let Some(leak) = events.iter().find(|e| subset(&s["key"], e) || e["pid"] == s["pid"]) {
            return Err(format!("the unrelated process {} was traced: {leak}", s["pid"]));
        }
    }
    Ok(format!(
        "3 generations (pids {}) and their threads seen with their values, each child's and thread's first; \
         the unrelated {} not",
        pids.into_iter().collect::<Vec<_>>().join(","),
        stranger.first().map(|s| s["pid"].to_string()).unwrap_or_default()
    ))
}

/// One process's or thread's call: exactly one event, with its ids, and, for
/// a child or a thread, the first of its events.
fn check_line(subject: &str, events: &[Value], l: &Value) -> Result<(), String> {
    if let Some(e) = l.get("trigger_error") {
        return Err(format!("trigger: {e}"));
    }
    let who = &l["who"];
    let found: Vec<&Value> = events.iter().filter(|e| subset(&l["key"], e)).collect();
    let [one] = found.as_slice() else {
        let own: Vec<String> = events.iter().filter(|e| tid_of(subject, e) == l["tid"]).map(Value::to_string).collect();
        return Err(format!(
            "{who} (pid {}, tid {}): {} events match {} (of {}); its events: {}",
            l["pid"],
            l["tid"],
            found.len(),
            l["key"],
            events.len(),
            own.join(" ")
        ));
    };
    if !subset(&l["ids"], one) {
        return Err(format!("{who}: {one} is not {}", l["ids"]));
    }
    if !l["first"].is_null() {
        let first = events.iter().find(|e| tid_of(subject, e) == l["tid"]);
        if !first.is_some_and(|f| subset(&l["first"], f)) {
            return Err(format!("{who}: its first event is {first:?}, not {}", l["first"]));
        }
    }
    Ok(())
}

/// `argtrace syscall -- sh -c 'exit 5'`: the first event is sh's execve, seen
/// at its return in the new image (comm sh, result 0), and argtrace exits 5.
pub fn case_execve(argtrace: &Path) -> Outcome {
    let mut cmd = Command::new(argtrace);
    cmd.args(["syscall", "--json", "--", "sh", "-c", "exit 5"]);
    let output = Running::spawn(&mut cmd)?.output();
    if output.status.and_then(|s| s.code()) != Some(5) {
        return Err(format!("argtrace ended with {:?}, not 5; stderr: {}", output.status, output.stderr));
    }
    let (events, _) = output.events()?;
    let first = events.first().ok_or("no event")?;
    let want = json!({"syscall": "execve", "comm": "sh", "ret": 0});
    let file = first["args"]["filename"].as_str().unwrap_or_default();
    if !subset(&want, first) || !file.ends_with("/sh") || first["pid"] != first["tid"] {
        return Err(format!("the first event is not sh's execve = 0: {first}"));
    }
    let exits = events.iter().filter(|e| e["syscall"] == "exit_group" && e["args"]["error_code"] == 5).count();
    if exits != 1 {
        return Err(format!("{exits} exit_group(5) among {} events", events.len()));
    }
    Ok(format!("first event execve(\"{file}\") = 0 in sh, {} more calls, one exit_group(5); exit 5", events.len() - 1))
}

/// `argtrace SUBJECT EXTRA -- sh -c 'kill -TERM $$'`: exits 128+15.
pub fn case_killed(argtrace: &Path, subject: &str, extra: &[&str]) -> Outcome {
    let mut cmd = Command::new(argtrace);
    cmd.arg(subject).args(extra).args(["--", "sh", "-c", "kill -TERM $$"]);
    let running = Running::spawn(&mut cmd)?;
    let output = running.output();
    match output.status.and_then(|s| s.code()) {
        Some(143) => Ok("sh killed by SIGTERM: argtrace exits 143".into()),
        other => Err(format!("argtrace ended with {other:?}, not 143; stderr: {}", output.stderr)),
    }
}

/// The follow cases alone: the call subjects in each of `modes`, then the
/// subjects of one mode (`argtrace-e2e follow-suite ARGTRACE [MODE..]
/// [!SUBJECT:MODE..]`, the latter a pair the kernel refuses, as --refuse).
pub fn suite(argtrace: &Path, args: &[String]) -> i32 {
    let mut report = crate::harness::Report::default();
    let (refused, modes): (Vec<&String>, Vec<&String>) = args.iter().partition(|a| a.starts_with('!'));
    let cases = modes
        .iter()
        .flat_map(|m| CALL_SUBJECTS.map(|s| (s, m.as_str())))
        .filter(|(s, m)| !refused.iter().any(|r| **r == format!("!{s}:{m}")))
        .chain(ONCE);
    for mode in &modes {
        let extra = ["--probe", mode.as_str()];
        report.case_run("follow-pid", mode, || case_follow(argtrace, "mmap", &extra, Target::Pid));
        report.case_run("follow-tid", mode, || case_follow(argtrace, "mmap", &extra, Target::Tid));
    }
    for (subject, mode) in cases {
        let extra = ["--probe", mode];
        report.case_run(&format!("follow-{subject}"), mode, || case_follow(argtrace, subject, &extra, Target::Command));
        report.case_run(&format!("killed-{subject}"), mode, || case_killed(argtrace, subject, &extra));
    }
    report.case_run("cmd-execve", "tp_btf", || case_execve(argtrace));
    report.done()
}
