//! What every probe family has in common: the probe modes a user can pick,
//! the `Family` trait each way of hooking the kernel implements, where an
//! attempt failed, and the one way argtrace asks the kernel whether it has a
//! BPF feature (libbpf's probes, through libbpf-rs).

use std::path::Path;

use libbpf_rs::{MapType, ProgramType};

use crate::config::Config;

/// A probe mode: what `--probe` picks and JSON's `probe` names. Each belongs
/// to one family (src/family/mod.rs, `ProbeMode::family`): fentry, kprobe and
/// tracepoint to calls, cgroup to cgroup, socket to socket, tp_btf and raw_tp
/// to raw_syscalls (syscall's dispatcher). A subject that
/// hooks calls (clone, mmap, tcp-connect, tcp-send) has programs for the
/// three call modes in one object; sock has cgroup programs only; skb has
/// cgroup programs and a socket filter. Each subject says which it has
/// (`Subject::modes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeMode {
    Fentry,
    Kprobe,
    Tracepoint,
    /// cgroup socket hooks, attached with bpf_links to a cgroup v2 directory.
    Cgroup,
    /// A socket filter on an AF_PACKET socket (skb's fallback): packets of
    /// an interface, without their process.
    Socket,
    /// The raw syscall tracepoints as BTF-typed programs (argtrace syscall).
    TpBtf,
    /// The same tracepoints as untyped raw tracepoint programs (syscall's
    /// fallback, for kernels without BTF of their own).
    RawTp,
}

impl ProbeMode {
    pub const ALL: [ProbeMode; 7] = [
        ProbeMode::Fentry,
        ProbeMode::Kprobe,
        ProbeMode::Tracepoint,
        ProbeMode::Cgroup,
        ProbeMode::Socket,
        ProbeMode::TpBtf,
        ProbeMode::RawTp,
    ];

    /// The modes of the raw syscall dispatcher, in the order auto tries them.
    pub const RAW_SYSCALLS: [ProbeMode; 2] = [ProbeMode::TpBtf, ProbeMode::RawTp];

    /// The modes of a subject that hooks calls, in the order auto tries them.
    pub const CALLS: [ProbeMode; 3] = [ProbeMode::Fentry, ProbeMode::Kprobe, ProbeMode::Tracepoint];

    pub fn name(self) -> &'static str {
        match self {
            ProbeMode::Fentry => "fentry",
            ProbeMode::Kprobe => "kprobe",
            ProbeMode::Tracepoint => "tracepoint",
            ProbeMode::Cgroup => "cgroup",
            ProbeMode::Socket => "socket",
            ProbeMode::TpBtf => "tp_btf",
            ProbeMode::RawTp => "raw_tp",
        }
    }
}

/// Where a mode failed, for the message that says why it was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Open,
    Load,
    Filters,
    Attach,
    /// A refusal that no other mode may paper over (an occupied cgroup): the
    /// error is the whole line, and auto tries nothing else, so a socket
    /// subject never falls back to tracing more than it was asked for.
    Refused,
}

/// A failed attempt to load and attach an object in one mode.
#[derive(Debug)]
pub struct LoadError {
    pub stage: Stage,
    pub error: libbpf_rs::Error,
}

/// Tags a libbpf-rs error with the stage it ended.
pub fn at(stage: Stage) -> impl FnOnce(libbpf_rs::Error) -> LoadError {
    move |error| LoadError { stage, error }
}

impl LoadError {
    /// A failure argtrace itself names (no libbpf error behind it).
    pub fn said(stage: Stage, message: String) -> LoadError {
        LoadError { stage, error: libbpf_rs::Error::from(std::io::Error::other(message)) }
    }
}

/// Where a subject's programs attach besides their own ELF sections, from
/// the subject's options: the cgroup of the cgroup family, the interface of
/// the socket family. `subject` names the subject in messages.
#[derive(Clone, Copy, Debug, Default)]
pub struct Target<'a> {
    pub subject: &'static str,
    /// --cgroup; None: the root of the cgroup v2 hierarchy.
    pub cgroup: Option<&'a Path>,
    /// --iface; None: every interface.
    pub iface: Option<&'a str>,
}

/// What keeps an object's programs attached; dropping it detaches them.
#[derive(Default)]
pub struct Attachment {
    pub links: Vec<libbpf_rs::Link>,
    /// Descriptors that keep a program attached (a socket filter's AF_PACKET socket).
    pub held: Vec<std::os::fd::OwnedFd>,
}

/// One way of hooking the kernel: its modes, what it needs of the user and
/// of the kernel (asked once, up front), how its programs are picked and
/// attached, and why a mode of it fails, in the kernel's words. The run
/// (src/trace/) asks the family of each mode; it never matches on modes.
pub trait Family: Sync {
    /// `calls`, `cgroup`, `socket`, `raw_syscalls`.
    fn name(&self) -> &'static str;

    /// Whether a program's ELF section belongs to `mode` (one of this family's).
    fn owns_section(&self, mode: ProbeMode, section: &str) -> bool;

    /// Whether programs of this family may take stacks (bpf_get_stackid is a
    /// tracing helper; cgroup programs and socket filters do not have it).
    fn has_stacks(&self) -> bool {
        true
    }

    /// Whether its events are calls, with an entry and a return: then -T
    /// times them and -s shows their durations, errors and histograms.
    fn has_calls(&self) -> bool {
        false
    }

    /// The capabilities every run of a subject of this family needs beyond
    /// CAP_BPF and CAP_PERFMON (cgroup: CAP_NET_ADMIN), by name, and whether
    /// this process holds them.
    fn privileges(&self) -> Option<(&'static str, bool)> {
        None
    }

    /// What this user may not do that `mode` needs (tracefs readable, an
    /// AF_PACKET socket): a reason to pass the mode over, not a kernel's lack.
    fn permission(&self, _mode: ProbeMode) -> Result<(), String> {
        Ok(())
    }

    /// Asks the kernel, once, for the features this family uses (kept for
    /// the run). Run up front, before any mode is tried.
    fn probe_features(&self) {}

    /// Cheap checks that spare a full load where the answer is already
    /// known: the kernel's lack, named.
    fn precheck(&self, _mode: ProbeMode) -> Result<(), String> {
        Ok(())
    }

    /// Whether calls wait for their return in task-local storage in `mode`.
    fn task_storage(&self, _cfg: &Config, _mode: ProbeMode) -> bool {
        false
    }

    /// Picks among the object's programs of `mode` (autoload is already set
    /// for the mode's sections) and sizes the family's own maps, before load.
    fn prepare(&self, _obj: &mut libbpf_rs::OpenObject, _cfg: &Config, _mode: ProbeMode) -> libbpf_rs::Result<()> {
        Ok(())
    }

    /// Attaches every loaded program of the object in `mode`.
    fn attach(&self, obj: &libbpf_rs::Object, mode: ProbeMode, target: &Target<'_>) -> Result<Attachment, LoadError>;

    /// This family's own reading of the libbpf line that ended an attempt
    /// (`failure`, ending in -EPERM ...), where the generic ones (a missing
    /// helper, a verifier's refusal) do not apply.
    fn reason(&self, _mode: ProbeMode, _stage: Stage, _failure: &str) -> Option<String> {
        None
    }
}

/// ARGTRACE_NO_<what>=1 makes argtrace behave as on a kernel without a
/// feature, so that the tests can prove that path on kernels that all have it.
pub fn pretend_missing(what: &str) -> bool {
    std::env::var_os(format!("ARGTRACE_NO_{what}")).is_some_and(|v| v == "1")
}

/// The one way argtrace asks the kernel about a BPF feature: libbpf's
/// probes (a tiny load). `unknown` is the answer where a probe cannot tell.
pub fn has_map(t: MapType, unknown: bool) -> bool {
    t.is_supported().unwrap_or(unknown)
}

/// Whether programs of type `t` may call the helper `helper` (see `has_map`).
pub fn has_helper(t: ProgramType, helper: libbpf_rs::libbpf_sys::bpf_func_id, unknown: bool) -> bool {
    t.is_helper_supported(helper).unwrap_or(unknown)
}

/// Whether the kernel has programs of type `t` (see `has_map`).
pub fn has_program(t: ProgramType, unknown: bool) -> bool {
    t.is_supported().unwrap_or(unknown)
}
