//! Choosing the probe mode: auto tries the subject's modes in order (for a
//! call subject fentry, with a real load and attach since loading alone
//! proves nothing on arm64, then kprobe, then tracepoints; for a socket
//! subject cgroup alone), and says on stderr why it passed over each; a
//! forced mode the kernel lacks ends with an error naming the missing kernel
//! feature. A forced mode the subject does not have is refused earlier, as a
//! command-line error (cli.rs).

use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use libbpf_rs::{OpenObject, PrintLevel};

use crate::bpf::{LoadError, ProbeMode, Stage, Tracer};
use crate::cli::Config;
use crate::error::{Error, Result};

/// Storage for the objects of the modes tried; the winner borrows its slot.
pub type Storage = [MaybeUninit<OpenObject>; 3];

pub fn new_storage() -> Storage {
    [MaybeUninit::uninit(), MaybeUninit::uninit(), MaybeUninit::uninit()]
}

/// Loads and attaches the subject in the mode `cfg.probe` asks for.
pub fn attach<'obj>(storage: &'obj mut Storage, cfg: &Config) -> Result<Tracer<'obj>> {
    let forced = cfg.probe.mode();
    // A subject with one mode has nothing to pass over: its failure is the
    // one line, as for a forced mode.
    let direct = forced.is_some() || cfg.subject.modes().len() == 1;
    let mut passed_over = Vec::new();
    // A mode refused for want of a permission, not of a kernel feature.
    let mut privilege: Option<String> = None;
    for (&mode, slot) in cfg.subject.modes().iter().zip(storage.iter_mut()) {
        if forced.is_some_and(|f| f != mode) {
            continue;
        }
        take_libbpf_log();
        if let Err(reason) = permission(mode) {
            if direct {
                return Err(Error::Privilege(reason));
            }
            crate::say!("argtrace: probe mode {} passed over: {reason}", mode.name());
            privilege.get_or_insert(reason);
            continue;
        }
        let outcome = match precheck(mode) {
            Err(reason) => Err(reason),
            Ok(()) => match cfg.subject.load(slot, cfg, mode) {
                Err(e) if e.stage == Stage::Refused => return Err(Error::Kernel(e.error.to_string())),
                loaded => loaded.map_err(|e| explain(mode, &e)),
            },
        };
        match outcome {
            Ok(tracer) => {
                let how = if forced.is_some() { "forced" } else { "auto" };
                crate::say!("argtrace: probe mode {} ({how})", mode.name());
                return Ok(tracer);
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
    if let Some(reason) = privilege {
        return Err(Error::Privilege(reason));
    }
    Err(Error::Kernel(format!("no probe mode works on this kernel ({})", passed_over.join("; "))))
}

/// What this user may not do that `mode` needs, apart from CAP_BPF and
/// CAP_PERFMON (checked before): tracepoint programs find their ids in
/// tracefs, which is often mode 0700 root, and mounting it needs CAP_SYS_ADMIN.
fn permission(mode: ProbeMode) -> std::result::Result<(), String> {
    if mode == ProbeMode::Socket {
        return match crate::sys::has_net_raw() {
            true => Ok(()),
            false => Err("a socket filter needs an AF_PACKET socket: CAP_NET_RAW (run as root, or add it)".into()),
        };
    }
    if mode != ProbeMode::Tracepoint {
        return Ok(());
    }
    match crate::sys::tracefs_access() {
        crate::sys::TracefsAccess::Readable => Ok(()),
        crate::sys::TracefsAccess::NotReadable(dir) => {
            Err(format!("tracefs at {dir} is not readable by this user (run as root, or add CAP_DAC_READ_SEARCH)"))
        }
        crate::sys::TracefsAccess::NotMountedNoPrivilege => {
            Err("tracefs is not mounted, and mounting it on /sys/kernel/tracing needs CAP_SYS_ADMIN".into())
        }
        crate::sys::TracefsAccess::Missing => Ok(()),
    }
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
        // Every cgroup program type comes with CONFIG_CGROUP_BPF; the oldest
        // (cgroup_skb, Linux 4.10) stands for them all.
        ProbeMode::Cgroup => match libbpf_rs::ProgramType::CgroupSkb.is_supported() {
            Ok(false) => Err("the kernel has no cgroup BPF programs (CONFIG_CGROUP_BPF is off)".into()),
            // Said as what is missing, before any object is opened.
            _ if crate::sys::cgroup2_mount().is_none() => Err("no cgroup v2 hierarchy is mounted (no cgroup2 line \
                                                               in /proc/mounts; mount -t cgroup2 none /sys/fs/cgroup)"
                .into()),
            _ => Ok(()),
        },
        ProbeMode::Socket => match libbpf_rs::ProgramType::SocketFilter.is_supported() {
            Ok(false) => Err("the kernel has no BPF socket filters".into()),
            _ => Ok(()),
        },
    }
}

/// What libbpf said during the current attempt: its warnings and, for a
/// refused program, the verifier's log. The reason a mode fails is read from
/// here, from what the kernel and the verifier answered, never guessed from
/// an errno alone (libbpf-rs keeps the errno to itself, all but its kind).
static LIBBPF_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
static ECHO_LIBBPF: AtomicBool = AtomicBool::new(false);

fn on_libbpf_message(level: PrintLevel, msg: String) {
    if ECHO_LIBBPF.load(Ordering::Relaxed) {
        crate::say_raw!("{msg}");
    }
    if level != PrintLevel::Debug {
        if let Ok(mut log) = LIBBPF_LOG.lock() {
            log.extend(msg.lines().map(str::to_string));
        }
    }
}

/// Sends libbpf's messages to the attempt log (and to stderr with -v).
pub fn capture_libbpf_log(verbose: bool) {
    ECHO_LIBBPF.store(verbose, Ordering::Relaxed);
    libbpf_rs::set_print(Some((PrintLevel::Debug, on_libbpf_message)));
}

fn take_libbpf_log() -> Vec<String> {
    LIBBPF_LOG.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default()
}

/// The `-EPERM` that ends a libbpf warning line, as strace spells it.
fn errno_in(line: &str) -> Option<String> {
    let code = line.rsplit(' ').next()?.strip_prefix("-E")?;
    code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()).then(|| {
        let name = format!("E{code}");
        let desc = crate::decode::errno_by_name(&name).and_then(crate::decode::errno_desc);
        match desc {
            Some(d) => format!("{name} ({d})"),
            None => name,
        }
    })
}

/// The text after `marker` up to the next quote or `#`: a name in a log line.
fn name_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &line[line.find(marker)? + marker.len()..];
    rest.split(['\'', '#', ' ']).next().filter(|n| !n.is_empty())
}

/// The BPF helper the verifier did not know, from its log: newer kernels
/// name it (`unknown func bpf_task_pt_regs#175`), older ones only number it
/// (`invalid func unknown#158`), and then the source line the verifier quotes
/// just before the call names it.
fn missing_helper(log: &[String]) -> Option<String> {
    let at = log.iter().position(|l| l.contains("unknown func ") || l.contains("invalid func unknown#"))?;
    if let Some(name) = name_after(&log[at], "unknown func ").filter(|n| *n != "unknown") {
        return Some(format!("{name}()"));
    }
    let number = log[at].rsplit('#').next().unwrap_or("?").trim().to_string();
    let quoted = log[..at].iter().rev().take(4).find(|l| l.starts_with(';')).and_then(|l| {
        let start = l.find("bpf_")?;
        let name: String = l[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        Some(name)
    });
    Some(match quoted {
        Some(name) => format!("{name}() (helper #{number})"),
        None => format!("#{number}"),
    })
}

/// One line saying why a mode failed, naming the kernel feature behind it.
fn explain(mode: ProbeMode, err: &LoadError) -> String {
    let log = take_libbpf_log();
    let stage = match err.stage {
        Stage::Open => "opening the BPF object",
        Stage::Load => "loading",
        Stage::Filters => "writing the filters",
        Stage::Attach | Stage::Refused => "attaching",
    };
    // The libbpf warning that ended the attempt, and the errno it names.
    let failure = log.iter().rev().find(|l| l.starts_with("libbpf: ") && l.contains("failed"));
    let what = failure.and_then(|l| errno_in(l)).unwrap_or_else(|| match err.error.kind() {
        libbpf_rs::ErrorKind::PermissionDenied => "permission denied".into(),
        libbpf_rs::ErrorKind::NotFound => "not found".into(),
        _ => err.error.to_string(),
    });
    let line_with = |needle: &str| log.iter().find(|l| l.contains(needle));
    let hint = if let Some(helper) = missing_helper(&log) {
        format!("the kernel lacks the BPF helper {helper}, which {} mode needs here", mode.name())
    } else if let Some(f) = line_with("failed to find kernel BTF type ID of '")
        .and_then(|l| name_after(l, "failed to find kernel BTF type ID of '"))
    {
        format!("the kernel's BTF has no function {f} to attach to")
    } else if let Some(tp) =
        line_with("failed to attach to tracepoint '").and_then(|l| name_after(l, "failed to attach to tracepoint '"))
    {
        format!("the kernel has no tracepoint {tp} (syscall tracepoints need CONFIG_FTRACE_SYSCALLS)")
    } else if log.iter().any(|l| l.contains("-- BEGIN PROG LOAD LOG --")) {
        // The verifier refused a program: its last words say why (before
        // its statistics).
        let last = log
            .iter()
            .take_while(|l| !l.contains("-- END PROG LOAD LOG --"))
            .filter(|l| !l.trim().is_empty() && !l.starts_with("libbpf: "))
            .filter(|l| !l.starts_with("processed ") && !l.starts_with("verification time"))
            .last()
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        format!("the verifier refused a program: {last}")
    } else {
        match (mode, err.stage, failure.map(|l| l.as_str())) {
            (ProbeMode::Fentry, Stage::Load, Some(l)) if l.ends_with("-EPERM") || l.ends_with("-EINVAL") => {
                "the kernel refuses fentry/fexit programs (needs BPF trampolines: CONFIG_BPF_JIT, \
                 CONFIG_FUNCTION_TRACER, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
                    .into()
            }
            (ProbeMode::Fentry, Stage::Attach, Some(l)) if l.ends_with("-ENOTSUPP") || l.ends_with("-EOPNOTSUPP") => {
                "the kernel has no BPF trampolines for this architecture (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
                    .into()
            }
            (ProbeMode::Kprobe, Stage::Attach, Some(l)) if l.ends_with("-ENOENT") => {
                "the kernel cannot place the kprobe (CONFIG_KPROBES off, or the function is not traceable)".into()
            }
            (_, Stage::Load, _) if err.error.kind() == libbpf_rs::ErrorKind::PermissionDenied => {
                "the kernel refused to load the programs".into()
            }
            _ => String::new(),
        }
    };
    if hint.is_empty() {
        format!("{stage} failed: {what}")
    } else {
        format!("{stage} failed: {what}: {hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::missing_helper;

    fn log(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_named_unknown_helper() {
        let l = log(&["0: (85) call bpf_task_pt_regs#175", "unknown func bpf_task_pt_regs#175"]);
        assert_eq!(missing_helper(&l).as_deref(), Some("bpf_task_pt_regs()"));
    }

    #[test]
    fn a_numbered_unknown_helper_named_from_the_quoted_source() {
        // Debian 11's 5.10 verifier, as the kernel matrix saw it.
        let l = log(&[
            "; struct task_struct *task = bpf_get_current_task_btf();",
            "2: (85) call unknown#158",
            "invalid func unknown#158",
            "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
        ]);
        assert_eq!(missing_helper(&l).as_deref(), Some("bpf_get_current_task_btf() (helper #158)"));
        assert_eq!(missing_helper(&log(&["invalid func unknown#158"])).as_deref(), Some("#158"));
        assert_eq!(missing_helper(&log(&["R1 type=ctx expected=fp"])), None);
    }
}
