//! Choosing the probe mode: the privileges the subject's families need,
//! checked first; then auto tries the subject's modes in order and says on
//! stderr why it passed over each, in its family's words; a forced mode the
//! kernel lacks ends with an error naming the missing kernel feature. A forced
//! mode the subject does not have is refused earlier, as a command-line
//! error (cli.rs). Nothing here knows a mode: each is asked of its family.

use std::mem::MaybeUninit;

use libbpf_rs::OpenObject;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::family::explain::{explain, take_libbpf_log};
use crate::family::load::Tracer;
use crate::family::{ProbeMode, Stage};
use crate::subject::Subject;

/// Storage for the objects of the modes tried; the winner borrows its slot.
pub type Storage = [MaybeUninit<OpenObject>; 3];

pub fn new_storage() -> Storage {
    [MaybeUninit::uninit(), MaybeUninit::uninit(), MaybeUninit::uninit()]
}

/// Every subject reads the task's name (bpf_get_current_comm: CAP_PERFMON);
/// a family may need more (cgroup programs are network administration).
pub fn check_privileges(subject: &dyn Subject) -> Result<()> {
    let mut caps = vec!["CAP_BPF", "CAP_PERFMON"];
    let mut held = crate::sys::has_bpf_privilege();
    for mode in subject.modes() {
        if let Some((cap, has)) = mode.family().privileges().filter(|(cap, _)| !caps.contains(cap)) {
            caps.push(cap);
            held &= has;
        }
    }
    if held {
        return Ok(());
    }
    let last = caps.pop().unwrap_or_default();
    Err(Error::Privilege(format!(
        "missing privilege: run as root, or with {} and {last} (or CAP_SYS_ADMIN)",
        caps.join(", ")
    )))
}

/// Loads and attaches `subject` in the mode `forced` names, or the first of
/// its modes that works (auto).
pub fn attach<'obj>(
    storage: &'obj mut Storage,
    subject: &dyn Subject,
    cfg: &Config,
    forced: Option<ProbeMode>,
) -> Result<Tracer<'obj>> {
    // The kernel's features, asked once, up front, for every family in play.
    for mode in subject.modes() {
        mode.family().probe_features();
    }
    // A subject with one mode has nothing to pass over: its failure is the
    // one line, as for a forced mode.
    let direct = forced.is_some() || subject.modes().len() == 1;
    let mut passed_over = Vec::new();
    // A mode refused for want of a permission, not of a kernel feature.
    let mut privilege: Option<String> = None;
    // The first mode that works but does not see 32-bit processes, kept
    // while auto tries the next ones.
    let mut blind: Option<(Tracer<'obj>, Option<String>)> = None;
    for (&mode, slot) in subject.modes().iter().zip(storage.iter_mut()) {
        if forced.is_some_and(|f| f != mode) {
            continue;
        }
        take_libbpf_log();
        let family = mode.family();
        if let Err(reason) = family.permission(mode) {
            if direct {
                return Err(Error::Privilege(reason));
            }
            crate::say!("argtrace: probe mode {} passed over: {reason}", mode.name());
            privilege.get_or_insert(reason);
            continue;
        }
        let outcome = match family.precheck(mode) {
            Err(reason) => Err(reason),
            Ok(()) => match subject.load(slot, cfg, mode) {
                Err(e) if e.stage == Stage::Refused && blind.is_none() => {
                    return Err(Error::Kernel(e.error.to_string()))
                }
                loaded => loaded.map_err(|e| explain(mode, &e)),
            },
        };
        match outcome {
            Ok(tracer) => {
                let unseen = crate::family::calls::compat_unseen(subject.name(), mode, tracer.skel.object());
                if unseen.is_none() || direct {
                    return Ok(chosen(tracer, forced, unseen));
                }
                // Auto prefers a later mode that sees 32-bit processes too; if
                // none does, the first that works (a later blind one is dropped).
                if Some(&mode) != subject.modes().last() {
                    crate::say!("argtrace: probe mode {} does not see 32-bit processes: trying the next", mode.name());
                }
                blind.get_or_insert((tracer, unseen));
            }
            Err(reason) if direct => {
                return Err(Error::Kernel(format!(
                    "probe mode {} is not available on this kernel: {reason}",
                    mode.name()
                )));
            }
            Err(reason) => {
                crate::say!("argtrace: probe mode {} passed over: {reason}", mode.name());
                passed_over.push(format!("{}: {reason}", mode.name()));
            }
        }
    }
    if let Some((tracer, unseen)) = blind {
        return Ok(chosen(tracer, forced, unseen));
    }
    if let Some(reason) = privilege {
        return Err(Error::Privilege(reason));
    }
    Err(Error::Kernel(format!("no probe mode works on this kernel ({}){}", passed_over.join("; "), seccomp_hint())))
}

/// A seccomp filter on argtrace itself (a container runtime's default
/// profile) refuses bpf(2) with EPERM, which looks like a kernel without the
/// program types: said where /proc/self/status shows one.
fn seccomp_hint() -> &'static str {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let filtered = status.lines().any(|l| l.split_once(':').is_some_and(|(k, v)| k == "Seccomp" && v.trim() == "2"));
    if filtered {
        "; argtrace runs under a seccomp filter (Seccomp: 2 in /proc/self/status), which may refuse bpf(2): \
         run it without one (e.g. podman/docker --security-opt seccomp=unconfined)"
    } else {
        ""
    }
}

/// Says which mode traces, and what it does not see of 32-bit processes.
fn chosen<'obj>(tracer: Tracer<'obj>, forced: Option<ProbeMode>, unseen: Option<String>) -> Tracer<'obj> {
    let how = if forced.is_some() { "forced" } else { "auto" };
    crate::say!("argtrace: probe mode {} ({how})", tracer.mode.name());
    if let Some(unseen) = unseen {
        crate::say!("argtrace: {unseen}");
    }
    tracer
}
