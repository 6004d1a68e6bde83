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

/// Gives every inet socket that exists now an owner in `tracer`'s socket-local
/// storage (its `creators` map), once the subject's programs are attached, so
/// that no socket falls between the two: bpf/seed.bpf.c, an iter/task_file
/// program run once. Err says why the kernel cannot (before 5.11).
pub fn seed_owners(tracer: &crate::bpf::Tracer, cfg: &crate::cli::Config) -> std::result::Result<Seeded, String> {
    use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
    use libbpf_rs::MapCore as _;
    use std::os::fd::AsFd;
    let started = std::time::Instant::now();
    let map = tracer.skel.object().maps().find(|m| m.name() == "creators").ok_or("the object has no creators map")?;
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
pub fn seed_and_say(tracer: &crate::bpf::Tracer, cfg: &crate::cli::Config, subject: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    let result = seed_owners(tracer, cfg);
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
}

/// bpf/argtrace.h's SOCK_CREATOR_SEEDED.
pub const SEEDED: u32 = 1;

/// Builds a `Task` from any skeleton's generated `sock_creator`.
macro_rules! task_of {
    ($c:expr) => {{
        let c = &$c;
        $crate::cgroup::Task {
            pid: c.pid,
            tid: c.tid,
            uid: c.uid,
            comm: $crate::cgroup::comm_bytes(&c.comm),
            seeded: c.flags & $crate::cgroup::SEEDED != 0,
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
        if self.seeded {
            o.key("seeded").push_str("true");
        }
        o.close();
    }
}
