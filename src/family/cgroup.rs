//! The cgroup family: cgroup socket and cgroup_skb programs, attached with
//! bpf_links to a cgroup v2 directory (the hierarchy's root, or --cgroup), for
//! the socket subjects (sock, skb). Their events are instants, not calls. A
//! socket's creator (the task that made it, when) is kept in socket-local
//! storage by bpf/cgroup.bpf.h; `Task` is that record as output shows it.
//!
//! Its needs: CAP_NET_ADMIN (attaching cgroup programs is network
//! administration), cgroup BPF in the kernel, a mounted cgroup v2. Its
//! feature probes: socket-local storage per program type, and whether
//! cgroup_skb programs may name the current task.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::{MapType, ProgramType};

use super::mode::{
    at, has_helper, has_map, has_program, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target,
};
use crate::error::{Error, Result};
use crate::render::{escape_into, Json};
use crate::sys::CgroupDir;

pub struct Cgroup;

/// The family of cgroup hooks.
pub static CGROUP: Cgroup = Cgroup;

/// What the kernel offers the cgroup family, asked once.
struct Features {
    /// BPF_MAP_TYPE_SK_STORAGE (Linux 5.2).
    sk_storage_map: bool,
    /// bpf_sk_storage_get() in cgroup_skb, cgroup/sock and cgroup/sock_addr programs.
    sk_storage_skb: bool,
    sk_storage_sock: bool,
    sk_storage_sock_addr: bool,
    /// bpf_get_current_pid_tgid/uid_gid/comm in cgroup_skb programs (6.18
    /// has them, Debian's 6.1 and 6.12 do not).
    current_in_skb: bool,
}

fn features() -> &'static Features {
    static FEATURES: OnceLock<Features> = OnceLock::new();
    FEATURES.get_or_init(|| {
        // A probe that cannot tell counts as yes: a real lack then fails the load, named.
        let sk_get = |t| has_helper(t, sys::BPF_FUNC_sk_storage_get, true);
        let current =
            [sys::BPF_FUNC_get_current_pid_tgid, sys::BPF_FUNC_get_current_uid_gid, sys::BPF_FUNC_get_current_comm];
        Features {
            sk_storage_map: has_map(MapType::SkStorage, true),
            sk_storage_skb: sk_get(ProgramType::CgroupSkb),
            sk_storage_sock: sk_get(ProgramType::CgroupSock),
            sk_storage_sock_addr: sk_get(ProgramType::CgroupSockAddr),
            current_in_skb: current.into_iter().all(|h| has_helper(ProgramType::CgroupSkb, h, false)),
        }
    })
}

/// Whether the kernel has socket-local storage where a subject needs it: the
/// map type and bpf_sk_storage_get() in each of `types` (CgroupSkb,
/// CgroupSock, CgroupSockAddr). ARGTRACE_NO_SK_STORAGE=1 says no.
pub fn have_sk_storage(types: &[ProgramType]) -> bool {
    let f = features();
    let helper = |t: &ProgramType| match t {
        ProgramType::CgroupSkb => f.sk_storage_skb,
        ProgramType::CgroupSock => f.sk_storage_sock,
        ProgramType::CgroupSockAddr => f.sk_storage_sock_addr,
        other => has_helper(*other, sys::BPF_FUNC_sk_storage_get, true),
    };
    !pretend_missing("SK_STORAGE") && f.sk_storage_map && types.iter().all(helper)
}

/// Whether cgroup_skb programs may name the current task, asked of the kernel.
pub fn have_current_in_cgroup_skb() -> bool {
    features().current_in_skb
}

/// The cgroup a subject's programs attach to: `path` (--cgroup), checked to
/// be a cgroup v2 directory, or the root of the cgroup v2 hierarchy.
pub fn attach_dir(path: Option<&Path>, subject: &str) -> Result<CgroupDir> {
    match path {
        Some(path) => CgroupDir::open(path).map_err(|e| Error::Usage(format!("--cgroup {e}"))),
        None => {
            let root = crate::sys::cgroup2_mount().ok_or_else(|| {
                Error::Kernel(format!(
                    "no cgroup v2 hierarchy is mounted (no cgroup2 line in /proc/mounts); {subject} attaches \
                     to one: mount it, e.g. mount -t cgroup2 none /sys/fs/cgroup"
                ))
            })?;
            CgroupDir::open(&root).map_err(|e| Error::Kernel(format!("the cgroup v2 mount {e}")))
        }
    }
}

impl Family for Cgroup {
    fn name(&self) -> &'static str {
        "cgroup"
    }

    fn owns_section(&self, _mode: ProbeMode, section: &str) -> bool {
        section.starts_with("cgroup/") || section.starts_with("cgroup_skb/")
    }

    fn has_stacks(&self) -> bool {
        false
    }

    fn privileges(&self) -> Option<(&'static str, bool)> {
        Some(("CAP_NET_ADMIN", crate::sys::has_net_admin()))
    }

    fn probe_features(&self) {
        features();
    }

    /// Every cgroup program type comes with CONFIG_CGROUP_BPF; the oldest
    /// (cgroup_skb, Linux 4.10) stands for them all.
    fn precheck(&self, _mode: ProbeMode) -> std::result::Result<(), String> {
        match has_program(ProgramType::CgroupSkb, true) {
            false => Err("the kernel has no cgroup BPF programs (CONFIG_CGROUP_BPF is off)".into()),
            true => Ok(()),
        }
    }

    /// Every loaded program to the cgroup, each with its own bpf_link
    /// (BPF_F_ALLOW_MULTI: beside whatever else is attached there). The links
    /// end with the process, so a killed argtrace leaves nothing attached.
    fn attach(
        &self,
        obj: &libbpf_rs::Object,
        _mode: ProbeMode,
        target: &Target<'_>,
    ) -> std::result::Result<Attachment, LoadError> {
        let dir = attach_dir(target.cgroup, target.subject).map_err(|e| LoadError::said(Stage::Open, e.to_string()))?;
        let links: libbpf_rs::Result<Vec<_>> =
            obj.progs_mut().filter(|p| p.autoload()).map(|p| p.attach_cgroup(dir.fd())).collect();
        Ok(Attachment { links: links.map_err(at(Stage::Attach))?, held: Vec::new() })
    }
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
        $crate::family::cgroup::Task {
            pid: c.pid,
            tid: c.tid,
            uid: c.uid,
            comm: $crate::family::cgroup::comm_bytes(&c.comm),
        }
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
