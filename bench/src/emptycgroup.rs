//! The floor for cgroup hooks: an empty program on one of argtrace's cgroup
//! socket hooks (`cgroup/sock_create`, `cgroup/connect4` ...) or packet hooks
//! (`cgroup_skb/egress`, `ingress`), attached with a bpf_link to the root of
//! the cgroup v2 hierarchy as argtrace sock and skb attach their own. Raw bpf()
//! calls (the test kit's), like emptyprog.rs. The program is `r0 = 1; exit`, not `r0 = 0`: a
//! cgroup socket program's 0 refuses the call (every socket, bind and connect
//! of the machine would fail with EPERM), a cgroup_skb program's drops the packet.

use std::io;
use std::os::fd::OwnedFd;

use argtrace_testkit::bpf::{
    self, Empty, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
};

/// The program type and expected attach type of a `cgroup/<attach>` section
/// (`skb/<dir>` for `cgroup_skb/<dir>`), as libbpf maps the section names.
fn types_of(attach: &str) -> Option<(u32, u32)> {
    let sock = BPF_PROG_TYPE_CGROUP_SOCK;
    let addr = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
    Some(match attach {
        "sock_create" => (sock, 2),                     // BPF_CGROUP_INET_SOCK_CREATE
        "post_bind4" => (sock, 12),                     // BPF_CGROUP_INET4_POST_BIND
        "post_bind6" => (sock, 13),                     // BPF_CGROUP_INET6_POST_BIND
        "sock_release" => (sock, 34),                   // BPF_CGROUP_INET_SOCK_RELEASE
        "bind4" => (addr, 8),                           // BPF_CGROUP_INET4_BIND
        "bind6" => (addr, 9),                           // BPF_CGROUP_INET6_BIND
        "connect4" => (addr, 10),                       // BPF_CGROUP_INET4_CONNECT
        "connect6" => (addr, 11),                       // BPF_CGROUP_INET6_CONNECT
        "sendmsg4" => (addr, 14),                       // BPF_CGROUP_UDP4_SENDMSG
        "sendmsg6" => (addr, 15),                       // BPF_CGROUP_UDP6_SENDMSG
        "skb/ingress" => (BPF_PROG_TYPE_CGROUP_SKB, 0), // BPF_CGROUP_INET_INGRESS
        "skb/egress" => (BPF_PROG_TYPE_CGROUP_SKB, 1),  // BPF_CGROUP_INET_EGRESS
        _ => return None,
    })
}

/// Loads `r0 = 1; exit` for `cgroup/<attach>` and links it to the cgroup v2
/// root; the descriptors keep it attached.
pub fn attach(attach: &str) -> io::Result<Vec<OwnedFd>> {
    let (prog_type, attach_type) =
        types_of(attach).ok_or_else(|| io::Error::other(format!("no empty program for cgroup/{attach}")))?;
    let root = argtrace::sys::cgroup2_mount().ok_or_else(|| io::Error::other("no cgroup v2 hierarchy is mounted"))?;
    let cgroup = std::fs::File::open(&root)?;

    let empty = Empty { expected_attach_type: attach_type, ret: 1, ..Empty::new(prog_type, "bench_empty") };
    let prog = empty.load()?;
    let link = bpf::link_create(&prog, &cgroup, attach_type)?;
    Ok(vec![prog, link])
}

#[cfg(test)]
mod tests {
    use argtrace::family::ProbeMode;
    use argtrace::subject::{self, Hook};

    #[test]
    fn every_cgroup_hook_of_argtrace_has_an_empty_program() {
        for s in subject::all() {
            for hook in subject::hooks(&*s, ProbeMode::Cgroup).expect("open the object") {
                if let Hook::Cgroup { attach } = hook {
                    assert!(super::types_of(&attach).is_some(), "cgroup/{attach}");
                }
            }
        }
    }
}
