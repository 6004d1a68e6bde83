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

use std::path::Path;

use libbpf_rs::ProgramType;

use super::mode::{has_program, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target};

pub struct RawSyscalls;

/// The family of the raw syscall tracepoints.
pub static RAW_SYSCALLS: RawSyscalls = RawSyscalls;

/// Whether a program's section is one of this family's: the raw syscall
/// tracepoints, which the calls family's tracepoint mode leaves to it.
pub fn is_raw_syscall_section(section: &str) -> bool {
    ProbeMode::RAW_SYSCALLS.into_iter().any(|mode| RAW_SYSCALLS.owns_section(mode, section))
}

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

    /// Each program by its section: the tracepoint's name.
    fn attach(&self, obj: &libbpf_rs::Object, _mode: ProbeMode, _target: &Target<'_>) -> Result<Attachment, LoadError> {
        let links = obj.progs_mut().filter(|p| p.autoload()).map(|p| p.attach()).collect::<Result<_, _>>();
        Ok(Attachment { links: links.map_err(super::mode::at(Stage::Attach))?, held: Vec::new() })
    }
}
