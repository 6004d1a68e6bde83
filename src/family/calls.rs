//! The calls family: fentry, kprobe and syscall tracepoint programs on the
//! functions and syscalls a subject hooks, paired entry with return in the
//! kernel (bpf/calls.bpf.h). Auto tries fentry, with a real load and attach
//! since loading alone proves nothing on arm64, then kprobe, then tracepoints.
//!
//! Its feature probes: task-local storage for the calls in flight (Linux
//! 5.11), bpf_loop() (5.17) for the subjects that have a variant with it,
//! kprobes, tracefs. Its program picks: the `*_start` programs only with -T
//! or -s, raw tracepoint programs only where the kernel has the tracepoint,
//! one of each `_bpf_loop` pair.

use std::path::Path;
use std::sync::OnceLock;

use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::{MapType, ProgramType};

use super::mode::{has_helper, has_map, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target};
use crate::config::{Config, PendingTable};

pub struct Calls;

/// The family of fentry, kprobe and tracepoint.
pub static CALLS: Calls = Calls;

/// What the kernel offers the calls family, asked once.
#[derive(Debug)]
struct Features {
    /// Task-local storage and its helpers, for kprobe programs and for
    /// tracing programs (fentry shares tracepoint's helpers: libbpf cannot
    /// probe a tracing program without a function to attach to).
    task_storage_kprobe: bool,
    task_storage_tracing: bool,
    /// bpf_loop() in tracepoint programs, the only ones with a `_bpf_loop`
    /// variant today (others are asked when met: `bpf_loop_in`).
    bpf_loop_tracepoint: bool,
}

fn features() -> &'static Features {
    static FEATURES: OnceLock<Features> = OnceLock::new();
    FEATURES.get_or_init(|| {
        let task_storage = |t: ProgramType| {
            has_map(MapType::TaskStorage, false)
                && has_helper(t, sys::BPF_FUNC_task_storage_get, false)
                && has_helper(t, sys::BPF_FUNC_get_current_task_btf, false)
        };
        Features {
            task_storage_kprobe: task_storage(ProgramType::Kprobe),
            task_storage_tracing: task_storage(ProgramType::Tracepoint),
            bpf_loop_tracepoint: bpf_loop_probe(ProgramType::Tracepoint),
        }
    })
}

/// Whether programs of type `t` may call bpf_loop(). A probe that cannot
/// tell counts as no: the variant without it loads everywhere, only slower.
/// ARGTRACE_NO_BPF_LOOP=1 says no.
fn bpf_loop_probe(t: ProgramType) -> bool {
    !pretend_missing("BPF_LOOP") && has_helper(t, sys::BPF_FUNC_loop, false)
}

impl Features {
    fn task_storage(&self, mode: ProbeMode) -> bool {
        match mode {
            ProbeMode::Kprobe => self.task_storage_kprobe,
            _ => self.task_storage_tracing,
        }
    }

    fn bpf_loop_in(&self, t: ProgramType) -> bool {
        match t {
            ProgramType::Tracepoint => self.bpf_loop_tracepoint,
            other => bpf_loop_probe(other),
        }
    }
}

/// Whether tracing programs (tp_btf, fentry) may keep state in task-local
/// storage on this kernel (asked once; the raw_syscalls family shares it).
pub fn tracing_task_storage() -> bool {
    features().task_storage_tracing
}

/// Programs named `*_start` (bpf/calls.bpf.h) stamp the start of a call for
/// -T and -s, where no other program of the mode sees it (fentry mode; the
/// connect syscall's entry for tcp-connect). They load only then.
pub fn is_timing_program(name: &str) -> bool {
    name.ends_with("_start")
}

/// The suffix of a program that calls bpf_loop() (Linux 5.17): it is loaded
/// where the kernel has the helper, instead of the program of the same name
/// without the suffix (same hook, a bounded loop instead), which is loaded
/// elsewhere. One object cannot serve both: a kernel before 5.13 refuses a
/// program that merely names a bpf_loop() callback, even in dead code
/// (bpf/tcp_send.bpf.c, user_iov_total).
const BPF_LOOP_SUFFIX: &str = "_bpf_loop";

/// Whether the running kernel has the hook of a raw tracepoint program
/// (`tp_btf/<name>`, `raw_tp/<name>`); other sections are taken as present.
/// A subject's raw tracepoint programs add to its syscall tracepoints where
/// the kernel has them (tcp-send's tcp:tcp_sendmsg_locked is in 6.18, not in
/// 6.1 or 6.12), so a missing one is left out instead of failing the mode.
fn hook_exists(section: &str) -> bool {
    match section.split_once('/') {
        Some(("tp_btf" | "raw_tp", name)) => crate::sys::tracepoint_exists(name),
        _ => true,
    }
}

/// Programs for 32-bit (compat) tasks have `compat` in their name
/// (bpf/calls.bpf.h): their hooks are the 32-bit entries, which a kernel
/// without 32-bit support (or with other names) lacks. Such a program is left
/// out instead of failing the mode, and `compat_unseen` says so.
pub fn is_compat_program(name: &str) -> bool {
    name.contains("compat")
}

/// The 32-bit ABI of this architecture as argtrace names it (JSON `"abi"`)
/// and the name of the switch that pretends its entries are missing:
/// ARGTRACE_NO_IA32_ENTRIES=1 on x86_64, ARGTRACE_NO_AARCH32_ENTRIES=1 on arm64.
fn compat_abi() -> (&'static str, &'static str) {
    if cfg!(target_arch = "x86_64") {
        ("i386", "IA32_ENTRIES")
    } else {
        ("arm", "AARCH32_ENTRIES")
    }
}

/// Whether the running kernel has the hook of a compat program's section.
/// ARGTRACE_NO_IA32_ENTRIES=1 (x86_64) or ARGTRACE_NO_AARCH32_ENTRIES=1
/// (arm64) says no for the 32-bit entries (fentry, kprobe).
fn compat_hook_exists(section: &str) -> bool {
    let entry = ["kprobe/", "kretprobe/", "fentry/", "fexit/"].iter().any(|p| section.starts_with(p));
    if entry && pretend_missing(compat_abi().1) {
        return false;
    }
    match section.split_once('/') {
        Some(("kprobe" | "kretprobe", func)) => crate::sys::kernel_has_function(func),
        Some(("fentry" | "fexit", func)) => crate::sys::kernel_btf_has_function(func),
        _ => hook_exists(section),
    }
}

impl Family for Calls {
    fn name(&self) -> &'static str {
        "calls"
    }

    fn owns_section(&self, mode: ProbeMode, section: &str) -> bool {
        let prefixes: &[&str] = match mode {
            ProbeMode::Fentry => &["fentry/", "fexit/"],
            ProbeMode::Kprobe => &["kprobe/", "kretprobe/"],
            ProbeMode::Tracepoint => &["tracepoint/", "tp/", "tp_btf/", "raw_tp/"],
            _ => &[],
        };
        // (The raw sys_enter/sys_exit tracepoints too: clone's and mmap's
        // programs for 32-bit tasks in tracepoint mode. The syscall subject's
        // object has them as well, but its modes are raw_syscalls'.)
        prefixes.iter().any(|p| section.starts_with(p))
    }

    fn has_calls(&self) -> bool {
        true
    }

    /// Tracepoint programs find their ids in tracefs, which is often mode
    /// 0700 root, and mounting it needs CAP_SYS_ADMIN.
    fn permission(&self, mode: ProbeMode) -> Result<(), String> {
        if mode != ProbeMode::Tracepoint {
            return Ok(());
        }
        match crate::sys::tracefs_access() {
            crate::sys::TracefsAccess::Readable | crate::sys::TracefsAccess::Missing => Ok(()),
            crate::sys::TracefsAccess::NotReadable(dir) => {
                Err(format!("tracefs at {dir} is not readable by this user (run as root, or add CAP_DAC_READ_SEARCH)"))
            }
            crate::sys::TracefsAccess::NotMountedNoPrivilege => {
                Err("tracefs is not mounted, and mounting it on /sys/kernel/tracing needs CAP_SYS_ADMIN".into())
            }
        }
    }

    fn probe_features(&self) {
        features();
    }

    fn precheck(&self, mode: ProbeMode) -> Result<(), String> {
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
            _ => Ok(()),
        }
    }

    fn task_storage(&self, cfg: &Config, mode: ProbeMode) -> bool {
        match cfg.pending_table {
            PendingTable::Task => true,
            PendingTable::Hash => false,
            PendingTable::Auto => features().task_storage(mode),
        }
    }

    /// Leaves out the `*_start` programs without -T or -s, raw tracepoint
    /// programs whose tracepoint this kernel lacks and one of each
    /// `_bpf_loop` pair; leaves uncreated whichever of task storage and hash
    /// does not hold the calls in flight (the verifier drops the code that
    /// would use it: it reads the same choice in rodata).
    fn prepare(&self, obj: &mut libbpf_rs::OpenObject, cfg: &Config, mode: ProbeMode) -> libbpf_rs::Result<()> {
        let names: Vec<String> = obj.progs().map(|p| p.name().to_string_lossy().into_owned()).collect();
        let mut bpf_loop = None;
        for mut prog in obj.progs_mut().filter(|p| p.autoload()) {
            let section = prog.section().to_string_lossy().into_owned();
            let name = prog.name().to_string_lossy().into_owned();
            if is_timing_program(&name) && !cfg.timing() {
                prog.set_autoload(false);
                continue;
            }
            let compat = is_compat_program(&name);
            let mut present = if compat { compat_hook_exists(&section) } else { hook_exists(&section) };
            if !present && cfg.verbose {
                let what = if compat { "hook" } else { "tracepoint" };
                crate::say!("argtrace: leaving out {section}: this kernel has no such {what}");
            }
            let needs_loop = name.ends_with(BPF_LOOP_SUFFIX);
            let has_loop_variant = names.iter().any(|n| *n == format!("{name}{BPF_LOOP_SUFFIX}"));
            if present && (needs_loop || has_loop_variant) {
                // One answer for the object: its pairs share a program type.
                let have = *bpf_loop.get_or_insert_with(|| features().bpf_loop_in(prog.prog_type()));
                present = have == needs_loop;
                if needs_loop && !have && cfg.verbose {
                    crate::say!(
                        "argtrace: {section}: this kernel has no bpf_loop(), a bounded loop is verified instead"
                    );
                }
            }
            prog.set_autoload(present);
        }
        let task_storage = self.task_storage(cfg, mode);
        for mut map in obj.maps_mut() {
            match map.name().to_str() {
                Some("pending_tasks") => map.set_autocreate(task_storage)?,
                Some("pending") => map.set_autocreate(!task_storage)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Each program by its section, as the skeleton's own attach would, the
    /// return programs first: a call already in flight when its entry
    /// program attached then always meets its return program, so a slot
    /// still in flight at a thread's next call means a return the kernel
    /// missed (bpf/calls.bpf.h new_pending_slot counts it as lost).
    fn attach(&self, obj: &libbpf_rs::Object, _mode: ProbeMode, _target: &Target<'_>) -> Result<Attachment, LoadError> {
        let mut links = Vec::new();
        for returns in [true, false] {
            for prog in obj.progs_mut().filter(|p| p.autoload()) {
                if is_return_program(&prog.section().to_string_lossy()) == returns {
                    links.push(prog.attach().map_err(super::mode::at(Stage::Attach))?);
                }
            }
        }
        Ok(Attachment { links, held: Vec::new() })
    }

    fn reason(&self, mode: ProbeMode, stage: Stage, failure: &str) -> Option<String> {
        let text = match (mode, stage) {
            (ProbeMode::Fentry, Stage::Load) if failure.ends_with("-EPERM") || failure.ends_with("-EINVAL") => {
                "the kernel refuses fentry/fexit programs (needs BPF trampolines: CONFIG_BPF_JIT, \
                 CONFIG_FUNCTION_TRACER, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
            }
            (ProbeMode::Fentry, Stage::Attach)
                if failure.ends_with("-ENOTSUPP") || failure.ends_with("-EOPNOTSUPP") =>
            {
                "the kernel has no BPF trampolines for this architecture (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
            }
            (ProbeMode::Kprobe, Stage::Attach) if failure.ends_with("-ENOENT") => {
                "the kernel cannot place the kprobe (CONFIG_KPROBES off, or the function is not traceable)"
            }
            _ => return None,
        };
        Some(text.into())
    }
}

/// Whether a program's section is a call's return (kretprobe, fexit, the
/// syscall exit tracepoints).
fn is_return_program(section: &str) -> bool {
    section.starts_with("kretprobe/")
        || section.starts_with("fexit/")
        || section.ends_with("/sys_exit")
        || section.starts_with("tracepoint/syscalls/sys_exit_")
}

/// Whether the running kernel runs 32-bit processes: x86_64's
/// CONFIG_IA32_EMULATION (/proc/sys/abi/vsyscall32), arm64's CONFIG_COMPAT
/// (its AArch32 functions in /proc/kallsyms, which lists functions even
/// without CONFIG_KALLSYMS_ALL, as Debian's arm64 6.1 is built: not its
/// compat_sys_call_table).
fn kernel_runs_32bit() -> bool {
    match std::env::consts::ARCH {
        "x86_64" => Path::new("/proc/sys/abi/vsyscall32").exists(),
        "aarch64" => ["compat_arm_syscall", "__arm64_compat_sys_aarch32_mmap2"]
            .iter()
            .any(|f| crate::sys::kernel_has_function(f)),
        _ => false,
    }
}

/// What a syscall subject does not show of 32-bit processes (i386 on x86_64,
/// AArch32 on arm64) on a kernel that runs them, said once at start-up rather
/// than hidden: where the loaded object `obj` of probe mode `mode` has no
/// program of its own for them, or had to leave one out (its hook is missing
/// on this kernel). None when it sees them all.
pub fn compat_unseen(subject: &str, mode: ProbeMode, obj: &libbpf_rs::Object) -> Option<String> {
    let calls = match subject {
        "clone" => "clone, clone3, fork and vfork",
        // arm's EABI has no old mmap.
        "mmap" if cfg!(target_arch = "x86_64") => "mmap2 and mmap",
        "mmap" => "mmap2",
        _ => return None,
    };
    if !kernel_runs_32bit() {
        return None;
    }
    let mut any = false;
    let mut missing = Vec::new();
    for prog in obj.progs() {
        let name = prog.name().to_string_lossy();
        let section = prog.section().to_string_lossy();
        if !is_compat_program(&name) || is_timing_program(&name) || !CALLS.owns_section(mode, &section) {
            continue;
        }
        any = true;
        if !prog.autoload() {
            missing.push(section.split_once('/').map_or(section.to_string(), |(_, hook)| hook.to_string()));
        }
    }
    let why = if !any {
        "argtrace has no hooks for them in this mode".to_string()
    } else if missing.is_empty() {
        return None;
    } else {
        missing.dedup();
        format!("this kernel has no {}", missing.join(", "))
    };
    let abi = compat_abi().0;
    Some(format!("32-bit ({abi}) processes' {calls} calls are not seen in probe mode {} ({why})", mode.name()))
}
