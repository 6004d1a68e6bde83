//! The probe families: each way of hooking the kernel is one module that owns
//! what it needs (privileges, kernel features, probed once up front), how its
//! programs are picked and attached, and its reasons when a mode fails.
//!
//! - calls.rs: fentry, kprobe, syscall tracepoints (clone, mmap, tcp-connect, tcp-send);
//! - cgroup.rs: cgroup socket and cgroup_skb hooks (sock, skb);
//! - socket.rs: a socket filter on an AF_PACKET socket (skb's fallback);
//! - raw_syscalls.rs: the raw sys_enter/sys_exit tracepoints, tp_btf or raw_tp (syscall).
//!
//! mode.rs has what they share (the modes, the `Family` trait); load.rs
//! loads one subject's object in one mode the same way for every family;
//! explain.rs turns what libbpf and the verifier said into the one line that
//! says why a mode failed. Adding a family: a module here, its modes in
//! `ProbeMode`, and its line in `ProbeMode::family` below.

pub mod calls;
pub mod cgroup;
pub mod explain;
pub mod load;
mod mode;
pub mod raw_syscalls;
pub mod socket;

pub use mode::{
    at, has_helper, has_map, has_program, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target,
};

impl ProbeMode {
    /// The family this mode belongs to.
    pub fn family(self) -> &'static dyn Family {
        match self {
            ProbeMode::Fentry | ProbeMode::Kprobe | ProbeMode::Tracepoint => &calls::CALLS,
            ProbeMode::Cgroup => &cgroup::CGROUP,
            ProbeMode::Socket => &socket::SOCKET,
            ProbeMode::TpBtf | ProbeMode::RawTp => &raw_syscalls::RAW_SYSCALLS,
        }
    }

    /// Whether a program's ELF section belongs to this mode.
    pub fn owns_section(self, section: &str) -> bool {
        self.family().owns_section(self, section)
    }

    /// Whether programs of this mode may take stacks.
    pub fn has_stacks(self) -> bool {
        self.family().has_stacks()
    }
}
