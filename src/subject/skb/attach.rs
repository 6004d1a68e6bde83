//! skb's load in its two modes: cgroup (cgroup_skb/ingress and egress, and
//! the cgroup socket hooks that record each socket's owner where the kernel
//! has socket-local storage) and socket (the socket filter alone). Where the
//! programs attach is the family's (src/family/cgroup.rs, socket.rs).

use std::mem::MaybeUninit;
use std::sync::Once;

use libbpf_rs::{OpenObject, ProgramType};

use super::skel;
use crate::config::Config;
use crate::family::cgroup;
use crate::family::load::{load_skeleton, Tracer};
use crate::family::{LoadError, ProbeMode, Target};

/// The socket filter on an AF_PACKET socket: no owner, no cgroup.
pub(super) fn load_socket<'obj>(
    storage: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
    mode: ProbeMode,
    target: &Target<'_>,
    packet_rodata: impl Fn(&mut skel::types::rodata),
) -> Result<Tracer<'obj>, LoadError> {
    let tracer = load_skeleton!(skel::SkbSkelBuilder, storage, cfg, mode, target, |ro| {
        packet_rodata(ro);
    }, open |open| {
        // No socket filter code uses it.
        open.maps.creators.set_autocreate(false)
    })?;
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        crate::say!(
            "argtrace: skb in socket mode: a socket filter on {}, both directions; \
             it sees no process, so no owner is shown",
            target.iface.map_or("every interface".to_string(), |i| format!("interface {i}"))
        )
    });
    Ok(tracer)
}

/// The cgroup_skb programs of the directions asked for (`(ingress,
/// egress)`), and the socket hooks that record owners where the kernel can
/// keep them.
pub(super) fn load_cgroup<'obj>(
    storage: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
    mode: ProbeMode,
    target: &Target<'_>,
    (ingress, egress): (bool, bool),
    packet_rodata: impl Fn(&mut skel::types::rodata),
) -> Result<Tracer<'obj>, LoadError> {
    let sk_storage =
        cgroup::have_sk_storage(&[ProgramType::CgroupSkb, ProgramType::CgroupSock, ProgramType::CgroupSockAddr]);
    if !sk_storage {
        static SAID: Once = Once::new();
        SAID.call_once(|| {
            crate::say!(
                "argtrace: this kernel has no socket-local storage for cgroup programs \
                 (BPF_MAP_TYPE_SK_STORAGE, bpf_sk_storage_get): every packet's owner is unknown (owner=?)"
            )
        });
    }
    let current = cgroup::have_current_in_cgroup_skb();
    let tracer = load_skeleton!(skel::SkbSkelBuilder, storage, cfg, mode, target, |ro| {
        packet_rodata(ro);
        ro.have_sk_storage = sk_storage;
        ro.have_current = current;
    }, open |open| {
        open.progs.skb_ingress.set_autoload(ingress);
        open.progs.skb_egress.set_autoload(egress);
        if sk_storage {
            // An accepted socket (cloned by the kernel from its listener, with
            // no sock_create of its own) inherits the listener's creator.
            let flags = open.maps.creators.map_flags() | libbpf_rs::libbpf_sys::BPF_F_CLONE;
            open.maps.creators.set_map_flags(flags)
        } else {
            // Nothing records an owner then: no sock hook at all.
            for p in [
                &mut open.progs.skb_sock_create,
                &mut open.progs.skb_connect4,
                &mut open.progs.skb_connect6,
                &mut open.progs.skb_sendmsg4,
                &mut open.progs.skb_sendmsg6,
            ] {
                p.set_autoload(false);
            }
            open.maps.creators.set_autocreate(false)
        }
    })?;
    if sk_storage {
        cgroup::seed_and_say(tracer.skel.object(), cfg, "skb");
    }
    Ok(tracer)
}
