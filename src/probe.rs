//! Choosing the probe mode: auto tries fentry (a real load and attach, since
//! loading alone proves nothing on arm64), then kprobe, then tracepoints, and
//! says on stderr why it passed over each; a forced mode the kernel lacks
//! ends with an error naming the missing kernel feature.

use std::mem::MaybeUninit;
use std::path::Path;

use libbpf_rs::OpenObject;

use crate::bpf::{LoadError, ProbeMode, Stage, Tracer};
use crate::cli::{Config, ProbeArg};
use crate::error::{describe_errno, errno_of, Error, Result};

/// Storage for the objects of the modes tried; the winner borrows its slot.
pub type Storage = [MaybeUninit<OpenObject>; 3];

pub fn new_storage() -> Storage {
    [MaybeUninit::uninit(), MaybeUninit::uninit(), MaybeUninit::uninit()]
}

/// Loads and attaches the subject in the mode `cfg.probe` asks for.
pub fn attach<'obj>(storage: &'obj mut Storage, cfg: &Config) -> Result<Tracer<'obj>> {
    let forced = match cfg.probe {
        ProbeArg::Auto => None,
        ProbeArg::Fentry => Some(ProbeMode::Fentry),
        ProbeArg::Kprobe => Some(ProbeMode::Kprobe),
        ProbeArg::Tracepoint => Some(ProbeMode::Tracepoint),
    };
    let mut passed_over = Vec::new();
    for (mode, slot) in ProbeMode::ALL.into_iter().zip(storage.iter_mut()) {
        if forced.is_some_and(|f| f != mode) {
            continue;
        }
        let outcome = match precheck(mode) {
            Err(reason) => Err(reason),
            Ok(()) => cfg.subject.load(slot, cfg, mode).map_err(|e| explain(mode, &e)),
        };
        match outcome {
            Ok(tracer) => {
                let how = if forced.is_some() { "forced" } else { "auto" };
                eprintln!("argtrace: probe mode {} ({how})", mode.name());
                return Ok(tracer);
            }
            Err(reason) if forced.is_some() => {
                return Err(Error::Kernel(format!(
                    "probe mode {} is not available on this kernel: {reason}",
                    mode.name()
                )));
            }
            Err(reason) => {
                eprintln!("argtrace: probe mode {} passed over: {reason}", mode.name());
                passed_over.push(format!("{}: {reason}", mode.name()));
            }
        }
    }
    Err(Error::Kernel(format!(
        "no probe mode works on this kernel ({})",
        passed_over.join("; ")
    )))
}

/// Cheap checks that spare a full load where the answer is already known.
fn precheck(mode: ProbeMode) -> std::result::Result<(), String> {
    match mode {
        ProbeMode::Kprobe => {
            let pmu = Path::new("/sys/bus/event_source/devices/kprobe/type").exists();
            let tracefs = ["/sys/kernel/tracing/kprobe_events", "/sys/kernel/debug/tracing/kprobe_events"]
                .iter()
                .any(|p| Path::new(p).exists());
            if pmu || tracefs {
                Ok(())
            } else {
                Err("the kernel has no kprobes (no kprobe PMU, no kprobe_events: CONFIG_KPROBES is off)".into())
            }
        }
        ProbeMode::Tracepoint => crate::sys::ensure_tracefs().map(drop),
        ProbeMode::Fentry => Ok(()),
    }
}

/// One line saying why a mode failed, naming the kernel feature behind it.
fn explain(mode: ProbeMode, err: &LoadError) -> String {
    let errno = errno_of(&err.error);
    let what = errno.map(describe_errno).unwrap_or_else(|| err.error.to_string());
    let hint = match (mode, err.stage, errno) {
        (_, Stage::Load, Some(3)) => "a function to attach to is missing from the kernel or its BTF",
        (ProbeMode::Fentry, Stage::Load, _) => {
            "the kernel refuses fentry/fexit programs (needs BPF trampolines: CONFIG_BPF_JIT, \
             CONFIG_FUNCTION_TRACER, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
        }
        (ProbeMode::Fentry, Stage::Attach, Some(524) | Some(95)) => {
            "the kernel has no BPF trampolines for this architecture \
             (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
        }
        (ProbeMode::Kprobe, Stage::Attach, Some(2)) => {
            "the kernel cannot place the kprobe (CONFIG_KPROBES off, or the function is not traceable)"
        }
        (ProbeMode::Tracepoint, Stage::Attach, Some(2)) => {
            "a tracepoint is missing (syscall tracepoints need CONFIG_FTRACE_SYSCALLS)"
        }
        (_, Stage::Load, Some(1)) => "the kernel refused to load the programs",
        _ => "",
    };
    let stage = match err.stage {
        Stage::Open => "opening the BPF object",
        Stage::Load => "loading",
        Stage::Filters => "writing the filters",
        Stage::Attach => "attaching",
    };
    if hint.is_empty() {
        format!("{stage} failed: {what}")
    } else {
        format!("{stage} failed: {what}: {hint}")
    }
}
