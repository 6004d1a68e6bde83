//! What the cgroup socket subjects (`sock`, `skb`) share: the cgroup v2
//! directory their programs attach to, whether the kernel has socket-local
//! storage for their program types, and the task recorded as a socket's
//! creator (bpf/creator.bpf.h) as text and JSON show it.

use std::fmt::Write as _;
use std::path::Path;

use libbpf_rs::{libbpf_sys, MapType, ProgramType};

use crate::error::{Error, Result};
use crate::render::{escape_into, Json};
use crate::sys::{self, CgroupDir};

/// The cgroup `subject`'s programs attach to: `path` (--cgroup), checked to
/// be a cgroup v2 directory, or the root of the cgroup v2 hierarchy.
pub fn attach_dir(path: Option<&Path>, subject: &str) -> Result<CgroupDir> {
    match path {
        Some(path) => CgroupDir::open(path).map_err(|e| Error::Usage(format!("--cgroup {e}"))),
        None => {
            let root = sys::cgroup2_mount().ok_or_else(|| {
                Error::Kernel(format!(
                    "no cgroup v2 hierarchy is mounted (no cgroup2 line in /proc/mounts); {subject} attaches \
                     to one: mount it, e.g. mount -t cgroup2 none /sys/fs/cgroup"
                ))
            })?;
            CgroupDir::open(&root).map_err(|e| Error::Kernel(format!("the cgroup v2 mount {e}")))
        }
    }
}

/// Whether the kernel has socket-local storage where a subject needs it: the
/// map type (Linux 5.2) and bpf_sk_storage_get() in each of `types`. A probe
/// that cannot tell counts as yes: a real lack then fails the load, named.
/// ARGTRACE_NO_SK_STORAGE=1 makes argtrace behave as on such a kernel, so
/// that the tests can prove that path on kernels that all have it.
pub fn have_sk_storage(types: &[ProgramType]) -> bool {
    if std::env::var_os("ARGTRACE_NO_SK_STORAGE").is_some_and(|v| v == "1") {
        return false;
    }
    let yes = |r: libbpf_rs::Result<bool>| r.unwrap_or(true);
    yes(MapType::SkStorage.is_supported())
        && types.iter().all(|t| yes(t.is_helper_supported(libbpf_sys::BPF_FUNC_sk_storage_get)))
}

/// The kernel's comm bytes, up to the first NUL.
pub fn comm_bytes(comm: &[i8; 16]) -> Vec<u8> {
    comm.iter().map(|c| *c as u8).take_while(|c| *c != 0).collect()
}

/// A socket's recorded creator (each skeleton has its own Rust type for
/// bpf/argtrace.h's `sock_creator`; this is what output needs of it).
pub struct Task {
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub comm: Vec<u8>,
}

/// Builds a `Task` from any skeleton's generated `sock_creator`.
macro_rules! task_of {
    ($c:expr) => {{
        let c = &$c;
        $crate::cgroup::Task { pid: c.pid, tid: c.tid, uid: c.uid, comm: $crate::cgroup::comm_bytes(&c.comm) }
    }};
}
pub(crate) use task_of;

impl Task {
    /// `python3 812/812`, the comm escaped as strace escapes strings.
    pub fn text(&self, out: &mut String) {
        escape_into(out, &self.comm);
        let _ = write!(out, " {}/{}", self.pid, self.tid);
    }

    /// `{"pid": 812, "tid": 812, "comm": "python3", "uid": 0}`, with
    /// `comm_bytes` too when the name is not UTF-8.
    pub fn json(&self, out: &mut String) {
        let mut o = Json::open(out);
        o.num("pid", self.pid).num("tid", self.tid).str("comm", &String::from_utf8_lossy(&self.comm));
        if std::str::from_utf8(&self.comm).is_err() {
            let list: Vec<String> = self.comm.iter().map(u8::to_string).collect();
            o.key("comm_bytes").push_str(&format!("[{}]", list.join(", ")));
        }
        o.num("uid", self.uid);
        o.close();
    }
}
