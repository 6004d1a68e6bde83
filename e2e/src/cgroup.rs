//! `--cgroup` and `--container` for the call subjects and syscall (issue
//! 20): argtrace traces one cgroup and its descendants, filtered in the
//! kernel. Each case makes a fresh cgroup shaped as a container runtime
//! names its containers (docker, containerd, CRI-O, Kubernetes), with a
//! container id of its own, and three processes that each make the
//! subject's call with a value of their own (follow.rs's calls):
//! - one started in that cgroup *before* argtrace (a container older than
//!   the tracer), which waits on a FIFO until argtrace is attached;
//! - one started outside after argtrace, which moves itself into the
//!   cgroup and then calls (a task moved in later is seen);
//! - one outside, calling at the same time: never seen.
//!
//! Every event must be one of the two, carry the cgroup's id (`stat -c %i`
//! of the directory), and the container id and pod uid its path names.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use crate::harness::{subset, Outcome, Running, ATTACH_TIMEOUT};

/// The subjects of the call hooks, each in a layout of its own, and how the
/// cgroup is given: `--cgroup PATH` or `--container PREFIX`.
pub const CALL_SUBJECTS: [(&str, Layout, Given); 4] = [
    ("mmap", Layout::DockerSystemd, Given::Container),
    ("clone", Layout::DockerCgroupfs, Given::Cgroup),
    ("tcp-connect", Layout::Containerd, Given::Container),
    ("tcp-send", Layout::Crio, Given::Cgroup),
];
/// syscall's layout (its modes: tp_btf and raw_tp).
pub const SYSCALL: (&str, Layout, Given) = ("syscall", Layout::Kubepods, Given::Container);

#[derive(Clone, Copy)]
pub enum Layout {
    DockerSystemd,
    DockerCgroupfs,
    Containerd,
    Crio,
    Kubepods,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Given {
    Cgroup,
    Container,
}

/// The pod uid of the Kubernetes layout.
const POD: &str = "7a1c2e3f-0b4d-4c5e-8f60-718293a4b5c6";

/// A container id no other run shares: this process's pid and the case, in
/// 64 hexadecimal digits.
fn container_id(subject: &str, mode: &str) -> String {
    let tag: u64 = format!("{subject}-{mode}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    format!("{:08x}{tag:016x}{}", std::process::id(), "c0de".repeat(10))
}

/// The cgroup directories to make under the root (the first is removed
/// last), the container's, and the pod uid the path names.
fn layout_dirs(layout: Layout, id: &str) -> (Vec<String>, Option<&'static str>) {
    let pid = std::process::id();
    match layout {
        Layout::DockerSystemd => (vec![format!("argtrace-e2e-{pid}.slice"), format!("docker-{id}.scope")], None),
        Layout::DockerCgroupfs => (vec![format!("argtrace-e2e-{pid}-docker"), "docker".into(), id.into()], None),
        Layout::Containerd => (vec![format!("argtrace-e2e-{pid}.slice"), format!("cri-containerd-{id}.scope")], None),
        Layout::Crio => (vec![format!("argtrace-e2e-{pid}-crio.slice"), format!("crio-{id}.scope")], None),
        Layout::Kubepods => (
            vec![format!("argtrace-e2e-{pid}-kubepods"), "burstable".into(), format!("pod{POD}"), id.into()],
            Some(POD),
        ),
    }
}

/// The fresh cgroup of a case, removed (deepest first) when dropped.
struct Fresh {
    made: Vec<PathBuf>,
}

impl Fresh {
    fn make(root: &Path, parts: &[String]) -> Result<Fresh, String> {
        let mut made = Vec::new();
        let mut dir = root.to_path_buf();
        for p in parts {
            dir.push(p);
            if !dir.exists() {
                std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
                made.push(dir.clone());
            }
        }
        Ok(Fresh { made })
    }

    fn dir(&self) -> &Path {
        self.made.last().map(PathBuf::as_path).unwrap_or(Path::new("/"))
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        for dir in self.made.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// `argtrace-e2e cgroup-trigger SUBJECT V JOIN FILE FIFO`: moves itself
/// into the cgroup JOIN (`-`: stays), waits on FIFO (`-`: does not), makes
/// the subject's call with value V and writes what argtrace must show to
/// FILE.
pub fn trigger(args: &[String]) -> i32 {
    let [subject, v, join, out, fifo] = args else { return 2 };
    let Ok(v) = v.parse::<u64>() else { return 2 };
    if join != "-" {
        if let Err(e) = std::fs::write(Path::new(join).join("cgroup.procs"), "0") {
            eprintln!("cannot join {join}: {e}");
            return 1;
        }
    }
    if fifo != "-" {
        let _ = std::fs::read_to_string(fifo);
    }
    let ctx = crate::follow::Ctx::new(subject);
    let line = crate::follow::call(&ctx, v);
    match std::fs::write(out, format!("{line}\n")) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// The case for `subject` in `mode`, its cgroup in `layout`, given as `given`.
pub fn case(argtrace: &Path, subject: &str, mode: &str, layout: Layout, given: Given) -> Outcome {
    let root = argtrace::sys::cgroup2_mount().ok_or("no cgroup v2 hierarchy is mounted")?;
    let id = container_id(subject, mode);
    let (parts, pod) = layout_dirs(layout, &id);
    let fresh = Fresh::make(&root, &parts)?;
    let dir = fresh.dir().to_path_buf();
    let cgroup_id = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&dir).map_err(|e| e.to_string())?.ino()
    };
    let scratch = std::env::temp_dir().join(format!("argtrace-cgroup-{}-{subject}-{mode}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let fifo = scratch.join("go");
    let c = std::ffi::CString::new(fifo.to_str().ok_or("utf-8")?).map_err(|e| e.to_string())?;
    // SAFETY: a valid path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(format!("mkfifo: {}", std::io::Error::last_os_error()));
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let trigger = |v: u64, join: &str, fifo: &str| {
        let mut cmd = Command::new(&me);
        cmd.arg("cgroup-trigger").arg(subject).arg(v.to_string()).arg(join).arg(scratch.join(format!("v{v}")));
        cmd.arg(fifo).stdin(Stdio::null());
        cmd
    };
    // The process older than argtrace, inside from its start: it joins
    // before it waits (so before argtrace attaches).
    let dir_s = dir.to_str().ok_or("utf-8")?.to_string();
    let mut older = trigger(1, &dir_s, fifo.to_str().ok_or("utf-8")?)
        .spawn()
        .map_err(|e| format!("cannot start the trigger: {e}"))?;
    // It is inside before argtrace starts.
    let procs = dir.join("cgroup.procs");
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&procs).unwrap_or_default().lines().any(|l| l == older.id().to_string()) {
        if Instant::now() > deadline {
            let _ = older.kill();
            let _ = older.wait();
            return Err(format!("the trigger {} never joined {}", older.id(), dir.display()));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut cmd = Command::new(argtrace);
    cmd.args([subject, "--json", "--probe", mode]);
    match given {
        Given::Cgroup => cmd.arg("--cgroup").arg(&dir),
        Given::Container => cmd.args(["--container", &id[..16]]),
    };
    if subject == "syscall" {
        cmd.args(["-e", "trace=getpgid"]);
    }
    let spawned = Running::spawn(&mut cmd);
    let mut running = match spawned {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::write(&fifo, "go\n");
            let _ = older.wait();
            return Err(e);
        }
    };
    let ready = running.wait_ready(Instant::now() + ATTACH_TIMEOUT);
    let _ = std::fs::write(&fifo, "go\n");
    let older_done = older.wait();
    let moved = trigger(2, &dir_s, "-").status();
    let outside = trigger(crate::follow::UNRELATED, "-", "-").status();
    let output = running.stop();
    ready?;
    for (who, status) in [("the older process", older_done), ("the moved one", moved), ("the outsider", outside)] {
        if !status.as_ref().is_ok_and(|s| s.success()) {
            return Err(format!("{who} failed: {status:?}"));
        }
    }
    output.ended_well()?;
    let (events, _) = output.events()?;
    let read = |v: u64| -> Result<Value, String> {
        let text = std::fs::read_to_string(scratch.join(format!("v{v}"))).map_err(|e| format!("v{v}: {e}"))?;
        serde_json::from_str(text.trim()).map_err(|e| format!("{e}: {text}"))
    };
    let (inside, moved_in, stranger) = (read(1)?, read(2)?, read(crate::follow::UNRELATED)?);
    let _ = std::fs::remove_dir_all(&scratch);
    drop(fresh);
    check(&events, &[&inside, &moved_in], &stranger, cgroup_id, &id, pod).map(|d| {
        let how = if given == Given::Cgroup { "--cgroup" } else { "--container" };
        format!("{how} {}: {d}", dir.strip_prefix(&root).unwrap_or(&dir).display())
    })
}

/// The two processes' calls seen, each with the cgroup's id and names;
/// nothing else of theirs, nothing of the stranger's.
fn check(
    events: &[Value],
    mine: &[&Value],
    stranger: &Value,
    cgroup_id: u64,
    id: &str,
    pod: Option<&str>,
) -> Result<String, String> {
    let names = json!({"cgroup_id": cgroup_id, "container_id": id, "pod_uid": pod});
    for l in mine {
        if let Some(e) = l.get("trigger_error") {
            return Err(format!("trigger: {e}"));
        }
        // (its key and its ids: the moved process's listener may get the
        // port the older one's had, once that one exited, as newest-arm64
        // showed: two events of dport 39571, one of each)
        let found: Vec<&Value> = events.iter().filter(|e| subset(&l["key"], e) && subset(&l["ids"], e)).collect();
        let [one] = found.as_slice() else {
            return Err(format!(
                "{} events match {} (pid {}) of {}: {events:?}",
                found.len(),
                l["key"],
                l["pid"],
                events.len()
            ));
        };
        if !subset(&l["ids"], one) || !subset(&names, one) {
            return Err(format!("{one} is not {} with {names}", l["ids"]));
        }
    }
    // The stranger's value (a port its own listener got from the kernel) may
    // be one an inside process's listener had before it exited: an event of
    // an inside process is not a leak, whatever its value.
    let inside: Vec<&Value> = mine.iter().map(|l| &l["pid"]).collect();
    let leaked =
        |e: &&Value| e["pid"] == stranger["pid"] || (subset(&stranger["key"], e) && !inside.contains(&&e["pid"]));
    if let Some(leak) = events.iter().find(leaked) {
        return Err(format!("the process outside the cgroup ({}) was traced: {leak}", stranger["pid"]));
    }
    if let Some(other) = events.iter().find(|e| !subset(&names, e)) {
        return Err(format!("an event without the cgroup's id and names {names}: {other}"));
    }
    Ok(format!(
        "pids {} (inside before argtrace) and {} (moved in after) seen with cgroup_id {cgroup_id}, container {}{}; \
         {} outside not; {} events",
        mine[0]["pid"],
        mine[1]["pid"],
        &id[..12],
        pod.map(|p| format!(", pod {p}")).unwrap_or_default(),
        stranger["pid"],
        events.len()
    ))
}

/// `argtrace-e2e cgroup-suite ARGTRACE [MODE..]`: the cgroup cases alone, the
/// call subjects in each MODE, then syscall's.
pub fn suite(argtrace: &Path, modes: &[String]) -> i32 {
    let mut report = crate::harness::Report::default();
    for mode in modes {
        for (subject, layout, given) in CALL_SUBJECTS {
            report.case_run(&format!("cgroup-{subject}"), mode, || case(argtrace, subject, mode, layout, given));
        }
    }
    for mode in crate::syscall::MODES {
        let (subject, layout, given) = SYSCALL;
        report.case_run("cgroup-syscall", mode, || case(argtrace, subject, mode, layout, given));
    }
    report.done()
}
