//! The end-to-end suite: runs the real argtrace binary against the trigger
//! programs in each probe mode and checks that the JSON shows exactly the
//! values, pids and results the triggers chose. Prints one framed line per
//! case (`E2E-RESULT <case> <mode> PASS|FAIL <detail>`) and `E2E-DONE`, the
//! form the QEMU kernel matrix reads back over the serial console. With
//! `--detect` the modes come from the kernel (detect.rs, printed first as
//! `E2E-KERNEL ...`), and the `detect` case compares them with the reviewed
//! expectations when any are given.
//!
//! This file only plans and orders the cases; they live in their subject's
//! file (calls.rs, tcp_send.rs, summary.rs, sock.rs, skb.rs), which all
//! stand on harness.rs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::detect::{self, Detection};
use crate::harness::{Outcome, Report};
use crate::{calls, follow, skb, sock, summary, tcp_send};

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

pub fn run(opts: &Options) -> i32 {
    let mut report = Report::default();
    let argtrace = opts.argtrace.as_path();
    let plan = if opts.detect {
        let detection = detect::detect();
        println!("{}", detection.line());
        if let Some(outcome) = case_detect(opts, &detection) {
            report.case("detect", "auto", outcome);
        }
        Plan { modes: detection.modes(), auto: detection.auto(), unavailable: detection.lacks() }
    } else {
        Plan { modes: opts.modes.clone(), auto: opts.expect_auto.clone(), unavailable: opts.unavailable.clone() }
    };
    for mode in &plan.modes {
        report.case_run("mmap", mode, || calls::case_mmap(argtrace, Some(mode), mode));
        // A kernel may refuse clone in a mode others have (5.10's fentry).
        let clone_refused = opts.refuse.iter().any(|r| r == &format!("clone:{mode}"));
        if clone_refused {
            report.case_run("clone-refused", mode, || calls::case_refused(argtrace, "clone", mode, &plan.modes));
        } else {
            report.case_run("clone", mode, || calls::case_clone(argtrace, mode));
        }
        report.case_run("mmap-user", mode, || calls::case_mmap_user(argtrace, mode));
        // The 32-bit ABI's trigger: i386-* on x86_64, aarch32-* on arm64.
        let (_, compat) = crate::trigger::compat_abi();
        report.case_run(&format!("{compat}-mmap"), mode, || calls::case_compat(argtrace, "mmap", mode));
        if !clone_refused {
            report.case_run(&format!("{compat}-clone"), mode, || calls::case_compat(argtrace, "clone", mode));
        }
        report.case_run("tcp-inet6", mode, || calls::case_tcp(argtrace, mode, "inet6"));
        report.case_run("tcp-inet", mode, || calls::case_tcp(argtrace, mode, "inet"));
        for (case, outcome) in tcp_send::cases(argtrace, mode) {
            report.case(case, mode, outcome);
        }
        // A subject refused in this mode cannot be the one killed.
        let killed = if clone_refused { "mmap" } else { "clone" };
        report.case_run("sigkill", mode, || calls::case_sigkill(argtrace, mode, killed));
        summary::cases(argtrace, mode, clone_refused, &mut report);
        for subject in follow::CALL_SUBJECTS {
            if subject == "clone" && clone_refused {
                continue;
            }
            let extra = ["--probe", mode.as_str()];
            report.case_run(&format!("follow-{subject}"), mode, || {
                follow::case_follow(argtrace, subject, &extra, follow::Target::Command)
            });
            report.case_run(&format!("killed-{subject}"), mode, || follow::case_killed(argtrace, subject, &extra));
        }
        for (subject, layout, given) in crate::cgroup::CALL_SUBJECTS {
            if subject == "clone" && clone_refused {
                continue;
            }
            report.case_run(&format!("cgroup-{subject}"), mode, || {
                crate::cgroup::case(argtrace, subject, mode, layout, given)
            });
        }
        let extra = ["--probe", mode.as_str()];
        report.case_run("follow-pid", mode, || follow::case_follow(argtrace, "mmap", &extra, follow::Target::Pid));
        report.case_run("follow-tid", mode, || follow::case_follow(argtrace, "mmap", &extra, follow::Target::Tid));
    }
    match &plan.auto {
        Some(auto) => report.case("auto", auto, calls::case_mmap(argtrace, None, auto)),
        None => report.case("auto", "none", calls::case_no_mode(argtrace)),
    }
    if plan.modes.iter().any(|m| m == "tracepoint") {
        let (_, compat) = crate::trigger::compat_abi();
        report.case_run(&format!("{compat}-unseen"), "auto", || calls::case_compat_unseen(argtrace, &plan.modes));
    }
    for mode in &plan.unavailable {
        report.case_run("unavailable", mode, || calls::case_unavailable(argtrace, mode));
    }
    report.case_run("no-btf", "auto", || calls::case_no_btf(argtrace));
    // argtrace syscall: the raw syscall tracepoints, on every kernel.
    crate::syscall::cases(argtrace, &mut report);
    for mode in crate::syscall::MODES {
        let (subject, layout, given) = crate::cgroup::SYSCALL;
        report.case_run("cgroup-syscall", mode, || crate::cgroup::case(argtrace, subject, mode, layout, given));
    }
    // ... and a 32-bit process's calls, with that ABI's numbers and names.
    for mode in crate::syscall::MODES {
        report.case_run("syscall-compat", mode, || calls::case_syscall_compat(argtrace, mode));
    }
    // -f and -- CMD for the subjects of one mode per kernel.
    for (subject, mode) in follow::ONCE {
        let extra = ["--probe", mode];
        let case = follow::case_follow(argtrace, subject, &extra, follow::Target::Command);
        report.case(&format!("follow-{subject}"), mode, case);
        report.case_run(&format!("killed-{subject}"), mode, || follow::case_killed(argtrace, subject, &extra));
    }
    report.case_run("cmd-execve", "tp_btf", || follow::case_execve(argtrace));
    // argtrace sock: cgroup hooks, the same on every kernel whatever its probe modes.
    sock::run(argtrace, &mut report);
    // argtrace skb: cgroup hooks and a socket filter, once per kernel.
    skb::run(argtrace, &mut report);
    report.done()
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
