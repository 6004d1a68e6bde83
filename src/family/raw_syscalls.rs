//! The raw_syscalls family: one dispatcher on the kernel's two raw syscall
//! tracepoints, `sys_enter` and `sys_exit`, that sees every syscall of
//! every task (32-bit compat tasks too, which the per-syscall tracepoints
//! skip), pairs entry with return in its own maps and filters by a bitmap of
//! wanted numbers first (bpf/syscall.bpf.c; `argtrace syscall`).
//!
//! Two modes, in the order auto tries them: tp_btf (BTF-typed tracepoint
//! programs, Linux 5.5: the registers read directly) and raw_tp (the same
//! hooks as plain words, the registers read with bpf_probe_read_kernel: for
//! a kernel without BTF of its own, given `--btf FILE`). Neither needs
//! tracefs: a raw tracepoint attaches by name.
//!
//! A call waits for its return in the thread's task-local storage in tp_btf
//! mode where the kernel allows it (5.11+; `--pending-table` forces either),
//! else in hashes keyed by thread id (raw_tp mode always: its programs have
//! no BTF-typed task). With task storage, an iter/task program lists the
//! calls still in flight when argtrace stops; it is not attached with the
//! hooks.

use std::path::Path;

use libbpf_rs::ProgramType;

use super::mode::{has_program, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target};
use crate::config::{Config, PendingTable};

pub struct RawSyscalls;

/// The family of the raw syscall tracepoints.
pub static RAW_SYSCALLS: RawSyscalls = RawSyscalls;

/// Where the kernel publishes its own BTF, which tp_btf programs are checked
/// against at load. ARGTRACE_NO_KERNEL_BTF=1 behaves as if it were missing.
fn kernel_btf() -> bool {
    !pretend_missing("KERNEL_BTF") && Path::new("/sys/kernel/btf/vmlinux").exists()
}

impl Family for RawSyscalls {
    fn name(&self) -> &'static str {
        "raw_syscalls"
    }

    fn owns_section(&self, mode: ProbeMode, section: &str) -> bool {
        match mode {
            ProbeMode::TpBtf => matches!(section, "tp_btf/sys_enter" | "tp_btf/sys_exit"),
            ProbeMode::RawTp => matches!(section, "raw_tp/sys_enter" | "raw_tp/sys_exit"),
            _ => false,
        }
    }

    fn has_calls(&self) -> bool {
        true
    }

    fn precheck(&self, mode: ProbeMode) -> Result<(), String> {
        match mode {
            ProbeMode::TpBtf if !kernel_btf() => Err("tp_btf programs need the kernel's own BTF \
                 (/sys/kernel/btf/vmlinux is missing: CONFIG_DEBUG_INFO_BTF); --probe raw_tp does without"
                .into()),
            ProbeMode::RawTp if !has_program(ProgramType::RawTracepoint, true) => {
                Err("the kernel has no raw tracepoint programs (Linux 4.17)".into())
            }
            _ => Ok(()),
        }
    }

    fn task_storage(&self, cfg: &Config, mode: ProbeMode) -> bool {
        mode == ProbeMode::TpBtf
            && match cfg.pending_table {
                PendingTable::Task => true,
                PendingTable::Hash => false,
                PendingTable::Auto => super::calls::tracing_task_storage(),
            }
    }

    /// Creates only the maps that hold the calls in flight in this run (the
    /// verifier drops the code of the others: it reads the same choice in
    /// rodata), and loads the iterator of calls in flight only with task
    /// storage.
    fn prepare(&self, obj: &mut libbpf_rs::OpenObject, cfg: &Config, mode: ProbeMode) -> libbpf_rs::Result<()> {
        let task_storage = self.task_storage(cfg, mode);
        for mut prog in obj.progs_mut() {
            if is_iterator(&prog.section().to_string_lossy()) {
                prog.set_autoload(task_storage);
            }
        }
        for mut map in obj.maps_mut() {
            match map.name().to_str() {
                Some("syscall_tasks") => map.set_autocreate(task_storage)?,
                Some("syscall_pending" | "syscall_pending_slots" | "scratch_slots") => {
                    map.set_autocreate(!task_storage)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Each program by its section: the tracepoint's name. The iterator is
    /// run at the end instead (src/subject/syscall/mod.rs, `unfinished`).
    fn attach(&self, obj: &libbpf_rs::Object, _mode: ProbeMode, _target: &Target<'_>) -> Result<Attachment, LoadError> {
        let links = obj
            .progs_mut()
            .filter(|p| p.autoload() && !is_iterator(&p.section().to_string_lossy()))
            .map(|p| p.attach())
            .collect::<Result<_, _>>();
        Ok(Attachment { links: links.map_err(super::mode::at(Stage::Attach))?, held: Vec::new() })
    }
}

/// An iterator program's section (`iter/task`): run on demand, not attached.
fn is_iterator(section: &str) -> bool {
    section.starts_with("iter/")
}
