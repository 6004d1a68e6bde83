//! -f: the fork and exit hooks (bpf/follow.bpf.c) that keep the follow map
//! of the subject's object up to date, whatever the subject's family. One
//! small object of its own, loaded only with -f and after the subject's, whose
//! `follow` and `drops` maps it shares: every subject and family gets the
//! same following without a program of its own.

use std::os::fd::AsFd;

use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
use libbpf_rs::Link;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::family::load::{Slot, Tracer};

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod follow_skel {
    include!(concat!(env!("OUT_DIR"), "/follow.skel.rs"));
}

/// How many processes and threads -f follows at once at most (the follow
/// map's size, FOLLOW_MAX_ENTRIES in bpf/argtrace.h).
pub const FOLLOW_LIMIT: u32 = follow_skel::types::argtrace_follow::FOLLOW_MAX_ENTRIES.0;

/// The attached fork and exit hooks. Dropping it detaches them.
pub struct Follower<'obj> {
    skel: follow_skel::FollowSkel<'obj>,
    _links: Vec<Link>,
}

impl Follower<'_> {
    /// Children not followed because the follow map was full (also counted as lost).
    pub fn missed(&self) -> u64 {
        self.skel.maps.bss_data.as_deref().map_or(0, |b| b.follow_full)
    }
}

/// Loads the hooks beside `tracer`'s object, sharing its follow and drops
/// maps, and attaches them.
pub fn attach<'obj>(storage: &'obj mut Slot, tracer: &Tracer, cfg: &Config) -> Result<Follower<'obj>> {
    let fail = |what: &str, e: libbpf_rs::Error| {
        Error::Kernel(format!("-f needs the sched_process_fork and sched_process_free raw tracepoints: {what}: {e}"))
    };
    let shared = |name: &str| tracer.map(name).map_err(|e| fail("the subject's maps", e));
    let (follow, drops) = (shared("follow")?, shared("drops")?);
    let mut builder = follow_skel::FollowSkelBuilder::default();
    if !cfg.btf_is_kernels() {
        builder.obj_builder.btf_custom_path(&cfg.btf).map_err(|e| fail("opening", e))?;
    }
    let mut open = builder.open(storage).map_err(|e| fail("opening", e))?;
    let ro = open.maps.rodata_data.as_deref_mut().expect("rodata is memory-mapped");
    ro.filter_tid = !cfg.tids.is_empty();
    open.maps.follow.reuse_fd(follow.as_fd()).map_err(|e| fail("sharing the follow map", e))?;
    open.maps.drops.reuse_fd(drops.as_fd()).map_err(|e| fail("sharing the drops map", e))?;
    // The rest of what every object shares (bpf/argtrace.bpf.h) is not used here.
    for mut map in open.open_object_mut().maps_mut() {
        // .rodata and .bss (internal maps, named with a dot) are this object's own.
        let name = map.name().to_string_lossy().into_owned();
        let used = name == "follow" || name == "drops" || name.contains('.');
        if !used {
            map.set_autocreate(false).map_err(|e| fail("opening", e))?;
        }
    }
    let skel = open.load().map_err(|e| fail("loading", e))?;
    let links = vec![
        skel.progs.follow_fork.attach().map_err(|e| fail("attaching", e))?,
        skel.progs.follow_free.attach().map_err(|e| fail("attaching", e))?,
    ];
    Ok(Follower { skel, _links: links })
}
