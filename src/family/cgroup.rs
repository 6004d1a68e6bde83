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
    has_helper, has_map, has_program, pretend_missing, Attachment, Family, LoadError, ProbeMode, Stage, Target,
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

    /// The cgroup hooks, and the syscall tracepoints that name a socket's
    /// task where no cgroup hook runs in its context (sock's accept returns).
    fn owns_section(&self, _mode: ProbeMode, section: &str) -> bool {
        section.starts_with("cgroup/") || section.starts_with("cgroup_skb/") || is_task_hook(section)
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
            // Said as what is missing, before any object is opened.
            true if crate::sys::cgroup2_mount().is_none() => Err("no cgroup v2 hierarchy is mounted (no cgroup2 \
                                                                  line in /proc/mounts; mount -t cgroup2 none \
                                                                  /sys/fs/cgroup)"
                .into()),
            true => Ok(()),
        }
    }

    /// Every loaded program to the cgroup, each with its own bpf_link
    /// (BPF_F_ALLOW_MULTI: beside whatever else is attached there). The links
    /// end with the process, so a killed argtrace leaves nothing attached.
    /// A hook that already holds a program attached without it refuses every
    /// other program: that is named (Stage::Refused), never blamed on the kernel.
    fn attach(
        &self,
        obj: &libbpf_rs::Object,
        _mode: ProbeMode,
        target: &Target<'_>,
    ) -> std::result::Result<Attachment, LoadError> {
        let dir = attach_dir(target.cgroup, target.subject).map_err(|e| LoadError::said(Stage::Open, e.to_string()))?;
        let mut links = task_hooks(obj, target.subject);
        for p in obj.progs_mut().filter(|p| p.autoload() && !is_task_hook(&p.section().to_string_lossy())) {
            match p.attach_cgroup(dir.fd()) {
                Ok(link) => links.push(link),
                Err(error) => {
                    let section = p.section().to_string_lossy().into_owned();
                    return Err(match occupant(&dir, p.attach_type() as u32) {
                        Some(flags) => LoadError::said(
                            Stage::Refused,
                            format!(
                                "the cgroup {} is occupied: its {section} hook holds a program attached without \
                                 BPF_F_ALLOW_MULTI ({flags}), which lets no other program beside it (bpftool cgroup \
                                 tree shows it); detach it, or trace another cgroup with --cgroup",
                                dir.path().display()
                            ),
                        ),
                        None => LoadError { stage: Stage::Attach, error },
                    });
                }
            }
        }
        Ok(Attachment { links, held: Vec::new() })
    }
}

/// A syscall tracepoint of a cgroup subject: it tells whose a socket is
/// where no cgroup hook runs in the task's own context (sock: the task that
/// accepted a socket, at accept's return). Only these: the call subjects'
/// syscall tracepoints are never the cgroup family's.
fn is_task_hook(section: &str) -> bool {
    matches!(section, "tracepoint/syscalls/sys_exit_accept" | "tracepoint/syscalls/sys_exit_accept4")
}

/// Attaches the object's loaded task hooks (above). One that cannot be
/// attached (tracefs out of reach, a kernel without the syscall's
/// tracepoint) costs only what it would have told: said once, and the
/// cgroup programs run on.
fn task_hooks(obj: &libbpf_rs::Object, subject: &str) -> Vec<libbpf_rs::Link> {
    let mut links = Vec::new();
    let mut failed = Vec::new();
    for p in obj.progs_mut().filter(|p| p.autoload() && is_task_hook(&p.section().to_string_lossy())) {
        let attached = crate::sys::ensure_tracefs().and_then(|_| p.attach().map_err(|e| e.to_string()));
        match attached {
            Ok(link) => links.push(link),
            Err(e) => failed.push(format!("{}: {e}", p.section().to_string_lossy())),
        }
    }
    if !failed.is_empty() {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            crate::say!(
                "argtrace: {subject}: accepted sockets get no acceptor as their creator ({})",
                failed.join("; ")
            )
        });
    }
    links
}

/// The attach flags of a program attached to `dir` at `attach_type` without
/// BPF_F_ALLOW_MULTI (`flags 0` or `BPF_F_ALLOW_OVERRIDE`), if any.
fn occupant(dir: &CgroupDir, attach_type: u32) -> Option<&'static str> {
    let (mut flags, mut count) = (0u32, 0u32);
    // SAFETY: flags and count are writable; a null id array asks for the count only.
    let rc = unsafe { sys::bpf_prog_query(dir.fd(), attach_type, 0, &mut flags, std::ptr::null_mut(), &mut count) };
    if rc != 0 || count == 0 || flags & sys::BPF_F_ALLOW_MULTI != 0 {
        return None;
    }
    Some(if flags & sys::BPF_F_ALLOW_OVERRIDE != 0 { "BPF_F_ALLOW_OVERRIDE" } else { "flags 0" })
}

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod seed_skel {
    include!(concat!(env!("OUT_DIR"), "/seed.skel.rs"));
}

/// What seeding the owners of the sockets older than argtrace did.
pub struct Seeded {
    /// Sockets given an owner, and those that had one already.
    pub seeded: u64,
    pub kept: u64,
    pub took: std::time::Duration,
}

/// Gives every inet socket that exists now an owner in the subject's
/// socket-local storage (the `creators` map of `obj`), once the subject's
/// programs are attached, so that no socket falls between the two:
/// bpf/seed.bpf.c, an iter/task_file program run once. Err says why the
/// kernel cannot (before 5.11).
pub fn seed_owners(obj: &libbpf_rs::Object, cfg: &crate::config::Config) -> std::result::Result<Seeded, String> {
    use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
    use libbpf_rs::MapCore as _;
    use std::os::fd::AsFd;
    let started = std::time::Instant::now();
    let map = obj.maps().find(|m| m.name() == "creators").ok_or("the object has no creators map")?;
    let mut storage = std::mem::MaybeUninit::uninit();
    let mut builder = seed_skel::SeedSkelBuilder::default();
    if !cfg.btf_is_kernels() {
        builder.obj_builder.btf_custom_path(&cfg.btf).map_err(|e| e.to_string())?;
    }
    let mut open = builder.open(&mut storage).map_err(|e| e.to_string())?;
    open.maps.rodata_data.as_deref_mut().ok_or("no rodata")?.self_pid = std::process::id();
    open.maps.creators.reuse_fd(map.as_fd()).map_err(|e| e.to_string())?;
    let skel = open.load().map_err(|e| format!("loading the iterators failed: {e}"))?;
    // Holders first, then the TCP and UDP sockets that get them.
    for prog in [&skel.progs.seed_holders, &skel.progs.seed_tcp, &skel.progs.seed_udp] {
        let link = prog.attach().map_err(|e| format!("attaching an iterator failed: {e}"))?;
        let mut iter = libbpf_rs::Iter::new(&link).map_err(|e| e.to_string())?;
        std::io::copy(&mut iter, &mut std::io::sink()).map_err(|e| format!("running an iterator failed: {e}"))?;
    }
    let bss = skel.maps.bss_data.as_deref().ok_or("no bss")?;
    Ok(Seeded { seeded: bss.seeded, kept: bss.kept, took: started.elapsed() })
}

/// Seeds the owners (above) and says once what it did (with -v) or what
/// is not seen (always): the one call of the cgroup subjects.
pub fn seed_and_say(obj: &libbpf_rs::Object, cfg: &crate::config::Config, subject: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    let result = seed_owners(obj, cfg);
    SAID.call_once(|| match result {
        Ok(s) if cfg.verbose => crate::say!(
            "argtrace: {subject}: {} sockets older than argtrace given their owner ({} had one) in {:.1} ms",
            s.seeded,
            s.kept,
            s.took.as_secs_f64() * 1000.0
        ),
        Ok(_) => {}
        Err(e) => crate::say!(
            "argtrace: {subject}: the sockets older than argtrace get no owner until their next connect or UDP \
             send (seeding them needs iter/task_file with bpf_sock_from_file(), Linux 5.11: {e})"
        ),
    });
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
    /// Seeded at start-up: a task that held the socket then (JSON `seeded`).
    pub seeded: bool,
    /// The task that accepted the socket (JSON `accepted`).
    pub accepted: bool,
}

/// bpf/argtrace.h's SOCK_CREATOR_SEEDED and SOCK_CREATOR_ACCEPTED.
pub const SEEDED: u32 = 1;
pub const ACCEPTED: u32 = 2;

/// Builds a `Task` from any skeleton's generated `sock_creator`.
macro_rules! task_of {
    ($c:expr) => {{
        let c = &$c;
        $crate::family::cgroup::Task {
            pid: c.pid,
            tid: c.tid,
            uid: c.uid,
            comm: $crate::family::cgroup::comm_bytes(&c.comm),
            seeded: c.flags & $crate::family::cgroup::SEEDED != 0,
            accepted: c.flags & $crate::family::cgroup::ACCEPTED != 0,
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
    /// `comm_bytes` too when the name is not UTF-8, and `"seeded": true` or
    /// `"accepted": true` for how the task was learnt.
    pub fn json(&self, out: &mut String) {
        let mut o = Json::open(out);
        o.num("pid", self.pid).num("tid", self.tid).str("comm", &String::from_utf8_lossy(&self.comm));
        if std::str::from_utf8(&self.comm).is_err() {
            let list: Vec<String> = self.comm.iter().map(u8::to_string).collect();
            o.key("comm_bytes").push_str(&format!("[{}]", list.join(", ")));
        }
        o.num("uid", self.uid);
        if self.seeded {
            o.key("seeded").push_str("true");
        }
        if self.accepted {
            o.key("accepted").push_str("true");
        }
        o.close();
    }
}
