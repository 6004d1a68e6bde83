//! The checked configuration of a run: the common options, every one
//! validated by cli.rs before any BPF work starts (ripgrep's habit), nothing
//! raw. What to trace (the subject) and the forced probe mode travel beside
//! it (`trace::Run`), so that the families and subjects, which read it, sit
//! below the command line.

use std::path::PathBuf;
use std::time::Duration;

/// Where a call's entry waits for its return in the kernel (a hidden option,
/// for tests: auto is always right).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PendingTable {
    /// Task-local storage where the kernel allows it in the probe mode, else the hash.
    Auto,
    /// Task-local storage (fails to load where the kernel lacks it).
    Task,
    /// The hash keyed by thread id (the fallback for kernels before 5.11).
    Hash,
}

/// A checked configuration: everything the tracer needs, nothing raw.
#[derive(Debug, Clone)]
pub struct Config {
    pub pids: Vec<u32>,
    pub tids: Vec<u32>,
    /// -f: the -p and --tid targets' and CMD's descendants too, followed in the kernel.
    pub follow: bool,
    /// `-- CMD [ARGS...]`: the command argtrace starts, traces and ends with (empty: none).
    pub command: Vec<std::ffi::OsString>,
    /// The comm as the kernel stores it: at most 15 bytes, NUL-padded.
    pub comm: Option<[u8; 16]>,
    pub uid: Option<u32>,
    /// --cgroup PATH, or the cgroup --container ID names: only tasks in it or
    /// below it (the cgroup family attaches there instead).
    pub cgroup: Option<PathBuf>,
    /// That cgroup, opened when the command line was checked: the filter
    /// map takes this descriptor, whatever happens to the path since.
    pub cgroup_dir: Option<std::sync::Arc<crate::sys::CgroupDir>>,
    /// --container-info: text lines start with the container (JSON always has it).
    pub container_info: bool,
    pub json: bool,
    pub output: Option<PathBuf>,
    pub timestamp: bool,
    pub utc: bool,
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    /// -s: count in the kernel, print tables, stream nothing.
    pub summary: bool,
    /// With -s: print and reset every this long.
    pub interval: Option<Duration>,
    /// -T: each streamed event carries its duration.
    pub durations: bool,
    /// The digits of -T's fraction of a second (strace's default: 6).
    pub duration_digits: u8,
    pub pending_table: PendingTable,
    pub stack: bool,
    pub ringbuf_size: Option<u32>,
    pub btf: PathBuf,
    pub verbose: bool,
    /// -Z: whose privileges the run keeps once attached (src/privilege.rs).
    pub user: UserSwitch,
}

/// A user from /etc/passwd: the uid and primary group argtrace switches to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Whose privileges the run ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSwitch {
    /// Keep the privileges argtrace started with (-Z root, not root, or no
    /// `argtrace` user).
    Stay,
    /// -Z USER: drop, or fail.
    Asked(Account),
    /// The `argtrace` user exists: drop unless the run needs privileges.
    Default(Account),
}

/// The kernel's own BTF.
pub const SYSFS_BTF: &str = "/sys/kernel/btf/vmlinux";

impl Config {
    /// Whether each call is measured from entry to return: -T or -s.
    pub fn timing(&self) -> bool {
        self.summary || self.durations
    }

    /// Whether the BTF is the kernel's own (for the error message).
    pub fn btf_is_kernels(&self) -> bool {
        self.btf == std::path::Path::new(SYSFS_BTF)
    }

    /// Whether a task filter is set (-p, --tid, -c, -u, CMD).
    pub fn filters_tasks(&self) -> bool {
        !self.command.is_empty()
            || !self.pids.is_empty()
            || !self.tids.is_empty()
            || self.comm.is_some()
            || self.uid.is_some()
    }
}
