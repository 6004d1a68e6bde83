//! The socket subjects (sock, tcp-send, skb) under faults, issue 17: each
//! test here failed before its fix. No silent widening of what is traced, no
//! silent loss, no panic, and every refusal one `argtrace: ...` line with its
//! documented exit code. Runs as root on the running kernel.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};

use common::{assert_one_line_error, run, ARGTRACE};

/// Runs argtrace with stderr going to `stderr`; returns the exit code.
fn exit_code_with_stderr(args: &[&str], stderr: Stdio) -> Option<i32> {
    Command::new(ARGTRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .expect("run argtrace")
        .code()
}

/// A pipe whose reading end is already closed: a write to it fails (EPIPE).
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe() fills the two descriptors, which are then owned here.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] is ours and closed once.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is an open descriptor that nothing else owns.
    Stdio::from(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) })
}

/// Defect 7: a closed or full stderr never panics (exit 101), and the run's
/// own exit code stands: 0 for a run that ended normally, 2 for a bad
/// command line, for each kind of subject.
#[test]
fn a_closed_or_full_stderr_never_panics() {
    for args in [&["sock", "-d", "1"][..], &["mmap", "-d", "1"], &["skb", "-d", "1"]] {
        let full = File::options().write(true).open("/dev/full").expect("/dev/full");
        assert_eq!(exit_code_with_stderr(args, full.into()), Some(0), "{args:?} 2>/dev/full");
        assert_eq!(exit_code_with_stderr(args, closed_pipe()), Some(0), "{args:?} 2>closed pipe");
    }
    let full = File::options().write(true).open("/dev/full").expect("/dev/full");
    assert_eq!(exit_code_with_stderr(&["sock", "--family", "x"], full.into()), Some(2));
    assert_eq!(exit_code_with_stderr(&["sock", "--cgroup", "/proc"], closed_pipe()), Some(2));
}

/// A fresh child cgroup of the cgroup v2 root, removed when dropped.
struct TempCgroup(std::path::PathBuf);

impl TempCgroup {
    fn new(name: &str) -> TempCgroup {
        let root = argtrace::sys::cgroup2_mount().expect("cgroup v2 is mounted");
        let dir = root.join(format!("argtrace-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).expect("make a child cgroup");
        TempCgroup(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 path")
    }
}

impl Drop for TempCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Attaches `r0 = 1; exit` of `prog_type` to `dir` at `attach_type` the old
/// way, without BPF_F_ALLOW_MULTI (as some agents still do), which lets no
/// other program onto that hook. Returns the descriptors (program, cgroup),
/// for `vacate`.
fn occupy(dir: &TempCgroup, prog_type: u32, attach_type: u32) -> (i32, i32) {
    use libbpf_rs::libbpf_sys as sys;
    // BPF_MOV64_IMM(BPF_REG_0, 1); BPF_EXIT_INSN(), as raw instruction words.
    let insns: [u64; 2] = [0x0000_0001_0000_00b7, 0x0000_0000_0000_0095];
    let license = c"GPL";
    // SAFETY: insns holds two valid instructions; the options may be null.
    let prog = unsafe {
        sys::bpf_prog_load(
            prog_type,
            c"occupant".as_ptr(),
            license.as_ptr(),
            insns.as_ptr().cast(),
            2,
            std::ptr::null_mut(),
        )
    };
    assert!(prog >= 0, "load the occupant: {}", std::io::Error::last_os_error());
    let path = std::ffi::CString::new(dir.path()).expect("no NUL");
    // SAFETY: path is NUL-terminated.
    let cg = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    assert!(cg >= 0);
    // SAFETY: both descriptors are open; flags 0 is the exclusive attach.
    let rc = unsafe { sys::bpf_prog_attach(prog, cg, attach_type, 0) };
    assert_eq!(rc, 0, "attach the occupant: {}", std::io::Error::last_os_error());
    (prog, cg)
}

fn vacate((prog, cg): (i32, i32), attach_type: u32) {
    // SAFETY: the descriptors come from occupy and are closed once here.
    unsafe {
        libbpf_rs::libbpf_sys::bpf_prog_detach2(prog, cg, attach_type);
        libc::close(prog);
        libc::close(cg);
    }
}

/// Defects 1 and 8: an occupied cgroup is named, with exit 5, and skb never
/// falls back to a socket filter on every interface where one cgroup was
/// asked for; `--cgroup X --probe socket` and `--iface --probe cgroup` are
/// command-line errors that say which mode each option needs (defect 9).
#[test]
fn an_occupied_cgroup_is_named_and_never_widened() {
    use libbpf_rs::libbpf_sys as sys;
    let skb_dir = TempCgroup::new("skb");
    let egress = sys::BPF_CGROUP_INET_EGRESS;
    let held = occupy(&skb_dir, sys::BPF_PROG_TYPE_CGROUP_SKB, egress);
    let out = run(&["skb", "--cgroup", skb_dir.path(), "--egress", "-d", "1"]);
    vacate(held, egress);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("socket mode") && !stderr.contains("socket filter"), "fell back: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(
        last,
        format!(
            "argtrace: the cgroup {} is occupied: its cgroup_skb/egress hook holds a program attached without \
             BPF_F_ALLOW_MULTI (flags 0), which lets no other program beside it (bpftool cgroup tree shows it); \
             detach it, or trace another cgroup with --cgroup",
            skb_dir.path()
        )
    );

    let sock_dir = TempCgroup::new("sock");
    let create = sys::BPF_CGROUP_INET_SOCK_CREATE;
    let held = occupy(&sock_dir, sys::BPF_PROG_TYPE_CGROUP_SOCK, create);
    let out = run(&["sock", "--cgroup", sock_dir.path(), "-d", "1"]);
    vacate(held, create);
    assert_one_line_error(&out, 5, &format!("the cgroup {} is occupied: its cgroup/sock_create hook", sock_dir.path()));

    assert_one_line_error(
        &run(&["skb", "--cgroup", skb_dir.path(), "--probe", "socket"]),
        2,
        "skb --cgroup needs cgroup mode: a socket filter sees an interface's packets, not a cgroup's",
    );
    assert_one_line_error(
        &run(&["skb", "--iface", "lo", "--probe", "cgroup"]),
        2,
        "skb --iface needs socket mode (a socket filter on that interface), not --probe cgroup",
    );
}

/// Runs argtrace in a private mount namespace where the cgroup v2 mount is
/// detached: no cgroup v2 hierarchy, as argtrace sees it.
fn run_without_cgroup2(args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let root = argtrace::sys::cgroup2_mount().expect("cgroup v2 is mounted here");
    let target = std::ffi::CString::new(root.to_str().expect("UTF-8 mount point")).expect("no NUL");
    let mut cmd = Command::new(ARGTRACE);
    cmd.args(args).stdin(Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe syscalls run.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null();
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, none as _) != 0
                || libc::umount2(target.as_ptr(), libc::MNT_DETACH) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("run argtrace without cgroup v2")
}

/// Defect 8: without cgroup v2, skb's cgroup mode says what is missing, not
/// that "opening the BPF object failed".
#[test]
fn skb_without_cgroup2_says_what_is_missing() {
    let out = run_without_cgroup2(&["skb", "--probe", "cgroup", "-d", "1"]);
    assert_one_line_error(
        &out,
        5,
        "probe mode cgroup is not available on this kernel: no cgroup v2 hierarchy is mounted (no cgroup2 line in \
         /proc/mounts; mount -t cgroup2 none /sys/fs/cgroup)",
    );
    let out = run_without_cgroup2(&["skb", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().next().unwrap_or_default()
            == "argtrace: probe mode cgroup passed over: no cgroup v2 hierarchy is mounted (no cgroup2 line in \
                /proc/mounts; mount -t cgroup2 none /sys/fs/cgroup)",
        "{stderr}"
    );
}
