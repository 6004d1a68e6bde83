//! The floor for cgroup hooks: an empty program on one of argtrace's cgroup
//! socket hooks (`cgroup/sock_create`, `cgroup/connect4` ...) or packet hooks
//! (`cgroup_skb/egress`, `ingress`), attached with a bpf_link to the root of
//! the cgroup v2 hierarchy as argtrace sock and skb attach their own. Raw bpf()
//! calls, like emptyprog.rs. The program is `r0 = 1; exit`, not `r0 = 0`: a
//! cgroup socket program's 0 refuses the call (every socket, bind and connect
//! of the machine would fail with EPERM), a cgroup_skb program's drops the packet.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::sys;

// include/uapi/linux/bpf.h
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_LINK_CREATE: libc::c_long = 28;
const BPF_PROG_TYPE_CGROUP_SOCK: u32 = 9;
const BPF_PROG_TYPE_CGROUP_SOCK_ADDR: u32 = 18;
const BPF_PROG_TYPE_CGROUP_SKB: u32 = 8;

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

fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}
fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

fn bpf(cmd: libc::c_long, attr: &mut [u8]) -> io::Result<OwnedFd> {
    let fd = sys::bpf_syscall(cmd, attr)?;
    // SAFETY: a non-negative return of these commands is a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Loads `r0 = 1; exit` for `cgroup/<attach>` and links it to the cgroup v2
/// root; the descriptors keep it attached.
pub fn attach(attach: &str) -> io::Result<Vec<OwnedFd>> {
    let (prog_type, attach_type) =
        types_of(attach).ok_or_else(|| io::Error::other(format!("no empty program for cgroup/{attach}")))?;
    let root = argtrace::sys::cgroup2_mount().ok_or_else(|| io::Error::other("no cgroup v2 hierarchy is mounted"))?;
    let cgroup = std::fs::File::open(&root)?;

    // BPF_ALU64|BPF_MOV|BPF_K r0 = 1 (imm in the high 32 bits), then BPF_JMP|BPF_EXIT.
    let insns: [u64; 2] = [0xb7 | (1 << 32), 0x95];
    let license = c"GPL";
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, prog_type);
    put_u32(&mut attr, 4, insns.len() as u32);
    put_u64(&mut attr, 8, insns.as_ptr() as u64);
    put_u64(&mut attr, 16, license.as_ptr() as u64);
    attr[48..48 + 11].copy_from_slice(b"bench_empty");
    put_u32(&mut attr, 68, attach_type); // expected_attach_type
    let prog = bpf(BPF_PROG_LOAD, &mut attr)?;

    // link_create: prog_fd, target_fd, attach_type, flags.
    let mut attr = [0u8; 64];
    put_u32(&mut attr, 0, prog.as_raw_fd() as u32);
    put_u32(&mut attr, 4, cgroup.as_raw_fd() as u32);
    put_u32(&mut attr, 8, attach_type);
    let link = bpf(BPF_LINK_CREATE, &mut attr)?;
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
