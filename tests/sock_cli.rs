//! `argtrace sock`'s command-line promises: a --cgroup that is not a cgroup v2
//! directory, a probe mode sock does not have (and the cgroup mode for the
//! other subjects), --stack, no cgroup v2 mounted, and a missing privilege
//! each get one `argtrace: ...` line and their documented exit code. Runs as
//! root on this machine's kernel; what sock prints is proven by the
//! end-to-end suite (e2e/src/sock.rs, tests/live.rs and the QEMU matrix).

use std::process::{Command, Output, Stdio};

mod common;
use argtrace_testkit::process::in_private_mounts;
use common::{assert_one_line_error as one_line, run, ARGTRACE};

#[test]
fn a_cgroup_that_is_not_a_cgroup_v2_directory() {
    one_line(&run(&["sock", "--cgroup", "/nonexistent/cg"]), 2, "--cgroup /nonexistent/cg: No such file or directory");
    let dir = std::env::temp_dir();
    let shown = dir.display().to_string();
    one_line(&run(&["sock", "--cgroup", &shown]), 2, &format!("--cgroup {shown} is not a cgroup v2 directory"));
    one_line(&run(&["sock", "--cgroup", "/proc/self/status"]), 2, "--cgroup /proc/self/status is not a directory");
    // A cgroup v1 hierarchy (this machine is hybrid) is named as such.
    let v1 = std::fs::read_to_string("/proc/mounts").unwrap_or_default().lines().find_map(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        (f.len() > 2 && f[2] == "cgroup").then(|| f[1].to_string())
    });
    if let Some(v1) = v1 {
        one_line(&run(&["sock", "--cgroup", &v1]), 2, &format!("--cgroup {v1} is a cgroup v1 directory"));
    }
}

#[test]
fn sock_has_only_the_cgroup_mode() {
    for mode in ["fentry", "kprobe", "tracepoint"] {
        one_line(
            &run(&["sock", "--probe", mode]),
            2,
            &format!("sock has no {mode} probe mode: use --probe auto or cgroup"),
        );
    }
}

#[test]
fn the_call_subjects_have_no_cgroup_mode() {
    for subject in ["clone", "mmap", "tcp-connect"] {
        one_line(
            &run(&[subject, "--probe", "cgroup"]),
            2,
            &format!("{subject} has no cgroup probe mode: use --probe auto, fentry, kprobe or tracepoint"),
        );
    }
}

#[test]
fn sock_has_no_stacks_and_a_closed_protocol_list() {
    one_line(&run(&["sock", "--stack"]), 2, "sock cannot show stacks (--stack)");
    one_line(&run(&["sock", "--proto", "sctp"]), 2, "invalid value 'sctp' for '--proto <PROTO>'");
    one_line(&run(&["sock", "-4", "-6"]), 2, "cannot be used with");
}

/// No cgroup v2 hierarchy, as argtrace sees it: in a private mount namespace
/// of the argtrace process only, the cgroup2 mount is detached.
#[test]
fn no_cgroup_v2_mounted() {
    let Some(root) = argtrace::sys::cgroup2_mount() else {
        one_line(&run(&["sock", "-d", "1"]), 5, "no cgroup v2 hierarchy is mounted");
        return;
    };
    let mut cmd = Command::new(ARGTRACE);
    cmd.args(["sock", "-d", "1"]).stdin(Stdio::null());
    in_private_mounts(&mut cmd, &[], &[root.to_str().expect("UTF-8 mount point")]).expect("a mount point without NUL");
    let out = cmd.output().expect("run argtrace without cgroup v2");
    one_line(&out, 5, "no cgroup v2 hierarchy is mounted (no cgroup2 line in /proc/mounts)");
}

/// argtrace run as `nobody` with these ambient capabilities (setpriv, util-linux).
fn as_nobody(caps: &str, args: &[&str]) -> Output {
    // A copy nobody can reach: the build tree may sit under a root-only directory.
    let copy = std::env::temp_dir().join(format!("argtrace-sock-nobody-{}", std::process::id()));
    std::fs::copy(ARGTRACE, &copy).expect("copy argtrace");
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(format!("--inh-caps={caps}"))
        .arg(format!("--ambient-caps={caps}"))
        .arg(&copy)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv");
    let _ = std::fs::remove_file(&copy);
    out
}

#[test]
fn without_root_sock_needs_net_admin_too() {
    let missing = "missing privilege: run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN";
    one_line(&as_nobody("+bpf,+perfmon", &["sock", "-d", "1"]), 3, missing);
    one_line(&as_nobody("+bpf,+net_admin", &["sock", "-d", "1"]), 3, missing);
    let out = as_nobody("+bpf,+perfmon,+net_admin", &["sock", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("argtrace: tracing sock with cgroup probes"), "{stderr}");
}
