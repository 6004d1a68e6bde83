//! msghdr's control messages as strace 6.1 prints them by default
//! (src/msghdr.c: decode_msg_control and its cmsg printers):
//! `msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS,
//! cmsg_data=[3]}]`, a 64-bit task's (struct cmsghdr of 16 bytes on x86_64
//! and arm64) or a 32-bit one's (struct compat_cmsghdr of 12, its messages
//! 4-byte aligned, its old timestamps struct timeval32 and timespec32). The
//! kernel side reads the first bytes of msg_control (bpf/syscall.h's
//! ARGTRACE_SYSCALL_MSG_CONTROL); strace reads up to optmem_max.

use std::sync::OnceLock;

use super::structs::{quoted, sockaddr, timeval_or_spec, u32_at, u64_at, Shown, J};
use super::xlat_data as x;
use super::{hex, print_xval, ptr};
use crate::render::latin1;

/// A task's control messages: sizeof(struct cmsghdr), their alignment
/// (strace steps by the word, current_wordsize) and the size of the struct
/// timeval and timespec of the old timestamps (SO_TIMESTAMP_OLD ...).
#[derive(Clone, Copy)]
struct Layout {
    hdr: usize,
    align: u64,
    time_old: usize,
}
/// x86_64's and arm64's.
const NATIVE: Layout = Layout { hdr: 16, align: 8, time_old: 16 };
/// i386's and arm's (msghdr.c struct cmsghdr32: a 32-bit cmsg_len).
const COMPAT: Layout = Layout { hdr: 12, align: 4, time_old: 8 };
/// The levels strace decodes the data of (socketlayers.in).
const SOL_IP: u32 = 0;
const SOL_SOCKET: u32 = 1;
/// SOL_SOCKET's types with a printer (msghdr.c cmsg_socket_printers; their
/// values are asm-generic/socket.h's, the same on x86_64 and arm64).
const SCM_RIGHTS: u32 = 1;
const SCM_CREDENTIALS: u32 = 2;
const SCM_SECURITY: u32 = 3;
const SO_TIMESTAMP_OLD: u32 = 29;
const SO_TIMESTAMPNS_OLD: u32 = 35;
const SO_TIMESTAMPING_OLD: u32 = 37;
const SO_TIMESTAMP_NEW: u32 = 63;
const SO_TIMESTAMPNS_NEW: u32 = 64;
const SO_TIMESTAMPING_NEW: u32 = 65;
/// SOL_IP's (cmsg_ip_printers; linux/in.h).
const IP_TOS: u32 = 1;
const IP_TTL: u32 = 2;
const IP_RECVOPTS: u32 = 6;
const IP_RETOPTS: u32 = 7;
const IP_PKTINFO: u32 = 8;
const IP_RECVERR: u32 = 11;
const IP_ORIGDSTADDR: u32 = 20;
const IP_CHECKSUM: u32 = 23;
/// struct __kernel_sock_timeval and __kernel_timespec (the new timestamps').
const TIME64: usize = 16;
/// struct sock_ee (msghdr.c): sock_extended_err and a sockaddr_in.
const SOCK_EE: usize = 32;

/// strace's get_optmem_max: /proc/sys/net/core/optmem_max rounded up to 8,
/// else 8 * (2 * IOV_MAX + 512).
fn optmem_max() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        match std::fs::read_to_string("/proc/sys/net/core/optmem_max").ok().and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(v) if v > 0 => (v as u64 + 7) & !7,
            _ => 8 * (2 * 1024 + 512),
        }
    })
}

/// An array of `n` elements of `size` bytes from `b`, each printed by `f`,
/// `...` after -s of them (print_local_array_ex); None where `b` holds
/// fewer than shown.
fn local_array(b: &[u8], n: usize, size: usize, limit: usize, f: impl Fn(&[u8]) -> (String, J)) -> Option<(String, J)> {
    let shown = n.min(limit);
    if b.len() < shown * size {
        return None;
    }
    let (mut texts, mut json) = (Vec::new(), Vec::new());
    for k in 0..shown {
        let (t, j) = f(&b[k * size..(k + 1) * size]);
        texts.push(t);
        json.push(j);
    }
    if n > shown {
        texts.push("...".into());
    }
    Some((format!("[{}]", texts.join(", ")), J::Arr(json)))
}

/// A uid or gid (PRINT_VAL_ID): -1, else unsigned.
fn id(v: u32) -> String {
    if v == u32::MAX {
        "-1".into()
    } else {
        v.to_string()
    }
}

/// An interface index (print_ifindex): `if_nametoindex("lo")` where it
/// names one.
fn ifindex(i: u32) -> String {
    let mut name = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: the buffer holds IF_NAMESIZE bytes, as if_indextoname needs.
    let p = unsafe { libc::if_indextoname(i, name.as_mut_ptr()) };
    if p.is_null() {
        return i.to_string();
    }
    // SAFETY: if_indextoname wrote a NUL-terminated name into `name`.
    let s = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    format!("if_nametoindex(\"{}\")", s.to_string_lossy())
}

fn inet_addr(b: &[u8]) -> String {
    format!("inet_addr(\"{}\")", std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

/// `n` struct timespecs (or timevals, `usec`) of `size` bytes (16, or a
/// 32-bit task's 8) as an array, `???` where the data is shorter
/// (print_timespec64_array_data_size, print_timespec32_array_data_size).
fn times(b: &[u8], data_len: usize, n: usize, usec: bool, size: usize) -> Option<(String, J)> {
    if data_len < n * size {
        return Some(("???".into(), J::str("???")));
    }
    let one = |t: &[u8]| match size {
        // (print_timeval32_t, print_timespec32_t: tv_sec signed, the rest unsigned)
        8 => {
            format!("{{tv_sec={}, {}={}}}", u32_at(t, 0) as i32, if usec { "tv_usec" } else { "tv_nsec" }, u32_at(t, 4))
        }
        _ => timeval_or_spec(t, usec),
    };
    let all: Vec<String> = (0..n).map(|k| b.get(k * size..(k + 1) * size).map(one)).collect::<Option<_>>()?;
    let text = if n == 1 { all[0].clone() } else { format!("[{}]", all.join(", ")) };
    Some((text.clone(), J::str(text)))
}

/// The data of one message (print_cmsg_type_data's printers): its text and
/// JSON, None where strace prints none (no printer, or shorter than its
/// min_len) or the bytes were not read.
fn data(level: u32, typ: u32, b: &[u8], data_len: usize, limit: usize, old: usize) -> Option<(String, J)> {
    let int = |e: &[u8]| (u32_at(e, 0) as i32).to_string();
    match (level, typ) {
        (SOL_SOCKET, SCM_RIGHTS) if data_len >= 4 => {
            local_array(b, data_len / 4, 4, limit, |e| (int(e), J::num(u32_at(e, 0) as i32)))
        }
        (SOL_SOCKET, SCM_CREDENTIALS) if data_len >= 12 && b.len() >= 12 => {
            let (pid, uid, gid) = (u32_at(b, 0) as i32, u32_at(b, 4), u32_at(b, 8));
            Some((
                format!("{{pid={pid}, uid={}, gid={}}}", id(uid), id(gid)),
                J::Obj(vec![("pid", J::num(pid)), ("uid", J::num(uid)), ("gid", J::num(gid))]),
            ))
        }
        (SOL_SOCKET | SOL_IP, SCM_SECURITY) if data_len >= 1 && b.len() >= data_len => {
            Some((quoted(&b[..data_len], false), J::str(latin1(&b[..data_len]))))
        }
        (SOL_SOCKET, SO_TIMESTAMP_OLD) if data_len >= 1 => times(b, data_len, 1, true, old),
        (SOL_SOCKET, SO_TIMESTAMPNS_OLD) if data_len >= 1 => times(b, data_len, 1, false, old),
        (SOL_SOCKET, SO_TIMESTAMPING_OLD) if data_len >= 1 => times(b, data_len, 3, false, old),
        (SOL_SOCKET, SO_TIMESTAMP_NEW) if data_len >= 1 => times(b, data_len, 1, true, TIME64),
        (SOL_SOCKET, SO_TIMESTAMPNS_NEW) if data_len >= 1 => times(b, data_len, 1, false, TIME64),
        (SOL_SOCKET, SO_TIMESTAMPING_NEW) if data_len >= 1 => times(b, data_len, 3, false, TIME64),
        (SOL_IP, IP_PKTINFO) if data_len >= 12 && b.len() >= 12 => {
            let (i, spec, addr) = (u32_at(b, 0), inet_addr(&b[4..8]), inet_addr(&b[8..12]));
            Some((
                format!("{{ipi_ifindex={}, ipi_spec_dst={spec}, ipi_addr={addr}}}", ifindex(i)),
                J::Obj(vec![
                    ("ipi_ifindex", J::num(i)),
                    ("ipi_spec_dst", J::str(std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]).to_string())),
                    ("ipi_addr", J::str(std::net::Ipv4Addr::new(b[8], b[9], b[10], b[11]).to_string())),
                ]),
            ))
        }
        (SOL_IP, IP_TTL | IP_CHECKSUM) if data_len >= 4 => {
            local_array(b, data_len / 4, 4, limit, |e| (u32_at(e, 0).to_string(), J::num(u32_at(e, 0))))
        }
        (SOL_IP, IP_TOS | IP_RECVOPTS | IP_RETOPTS) if data_len >= 1 => {
            local_array(b, data_len, 1, limit, |e| (hex(u64::from(e[0])), J::num(e[0])))
        }
        (SOL_IP, IP_RECVERR) if data_len >= SOCK_EE && b.len() >= SOCK_EE => {
            let f = [
                ("ee_errno", u32_at(b, 0)),
                ("ee_origin", u32::from(b[4])),
                ("ee_type", u32::from(b[5])),
                ("ee_code", u32::from(b[6])),
                ("ee_info", u32_at(b, 8)),
                ("ee_data", u32_at(b, 12)),
            ];
            let off = sockaddr(&b[16..32]);
            let text: Vec<String> = f.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let mut json: Vec<(&'static str, J)> = f.iter().map(|&(n, v)| (n, J::num(v))).collect();
            json.push(("offender", off.json));
            Some((format!("{{{}, offender={}}}", text.join(", "), off.text), J::Obj(json)))
        }
        (SOL_IP, IP_ORIGDSTADDR) if data_len >= 16 => {
            let n = data_len.min(128);
            let s = sockaddr(b.get(..n)?);
            Some((s.text, s.json))
        }
        _ => None,
    }
}

/// The type as strace names it at its level (printxval of scmvals,
/// ip_cmsg_types; any other level's in hex).
fn type_name(level: u32, typ: u32) -> String {
    match level {
        SOL_SOCKET => print_xval(u64::from(typ), x::SCMVALS, "SCM_???"),
        SOL_IP => print_xval(u64::from(typ), x::IP_CMSG_TYPES, "IP_???"),
        _ => hex(u64::from(typ)),
    }
}

/// msg_control of `in_len` bytes at `addr` (decode_msg_control): its
/// messages, from `b`, the bytes the kernel side read (None: they could
/// not be read, or fewer than one struct cmsghdr were asked for); a 32-bit
/// task's (`compat`) under struct compat_cmsghdr.
pub fn control(addr: u64, in_len: u64, b: Option<&[u8]>, limit: usize, compat: bool) -> Shown {
    let l = if compat { COMPAT } else { NATIVE };
    let hdr = l.hdr;
    let control_len = in_len.min(optmem_max());
    let mut buf_len = control_len;
    let b = match b {
        Some(b) if buf_len >= hdr as u64 => b,
        _ => return Shown { text: ptr(addr), json: J::num(addr) },
    };
    let (mut texts, mut json) = (Vec::new(), Vec::new());
    let mut off = 0usize;
    let mut unread = false;
    while buf_len >= hdr as u64 {
        let Some(h) = b.get(off..off + hdr) else {
            // (past the bytes the kernel side reads: strace reads on)
            unread = true;
            break;
        };
        let cmsg_len = if compat { u64::from(u32_at(h, 0)) } else { u64_at(h, 0) };
        let (level, typ) = (u32_at(h, hdr - 8), u32_at(h, hdr - 4));
        let len = cmsg_len.min(buf_len);
        let data_len = len.saturating_sub(hdr as u64) as usize;
        let d = b.get(off + hdr..).unwrap_or(&[]);
        let d = &d[..d.len().min(data_len)];
        let level_text = print_xval(u64::from(level), x::SOCKETLAYERS, "SOL_???");
        let type_text = type_name(level, typ);
        let mut text = format!("{{cmsg_len={cmsg_len}, cmsg_level={level_text}, cmsg_type={type_text}");
        let mut obj =
            vec![("cmsg_len", J::num(cmsg_len)), ("cmsg_level", J::str(level_text)), ("cmsg_type", J::str(type_text))];
        if let Some((t, j)) = data(level, typ, d, data_len, limit, l.time_old) {
            text.push_str(&format!(", cmsg_data={t}"));
            obj.push(("cmsg_data", j));
        }
        text.push('}');
        texts.push(text);
        json.push(J::Obj(obj));
        if (len as usize) < hdr {
            buf_len -= hdr as u64;
            break;
        }
        let step = cmsg_len.saturating_add(l.align - 1) & !(l.align - 1);
        if step >= buf_len {
            buf_len = 0;
            break;
        }
        off += step as usize;
        buf_len -= step;
    }
    if unread {
        texts.push("...".into());
    } else if buf_len > 0 {
        texts.push(format!("... /* {} */", ptr(addr.wrapping_add(control_len - buf_len))));
    } else if control_len < in_len {
        texts.push("...".into());
    }
    Shown { text: format!("[{}]", texts.join(", ")), json: J::Arr(json) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmsg(len: u64, level: u32, typ: u32, data: &[u8]) -> Vec<u8> {
        let mut v = len.to_ne_bytes().to_vec();
        v.extend(level.to_ne_bytes());
        v.extend(typ.to_ne_bytes());
        v.extend(data);
        v.resize(v.len().div_ceil(8) * 8, 0);
        v
    }

    #[test]
    fn control_messages_as_strace_prints_them() {
        let mut b = cmsg(24, SOL_SOCKET, SCM_RIGHTS, &[3, 0, 0, 0, 4, 0, 0, 0]);
        let creds: Vec<u8> = [42u32, 0, u32::MAX].iter().flat_map(|v| v.to_ne_bytes()).collect();
        b.extend(cmsg(28, SOL_SOCKET, SCM_CREDENTIALS, &creds));
        assert_eq!(
            control(0x1000, b.len() as u64, Some(&b), 32, false).text,
            "[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3, 4]}, \
             {cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=42, uid=0, gid=-1}}]"
        );
        // Unknown types and levels; a message shorter than its header; one
        // that says it is longer than the buffer.
        let b = cmsg(16, SOL_SOCKET, 0xfacefeed, &[]);
        assert_eq!(
            control(0x1000, 16, Some(&b), 32, false).text,
            "[{cmsg_len=16, cmsg_level=SOL_SOCKET, cmsg_type=0xfacefeed /* SCM_??? */}]"
        );
        let b = cmsg(16, 6, 0xdeadbeef, &[]);
        assert_eq!(
            control(0x1000, 16, Some(&b), 32, false).text,
            "[{cmsg_len=16, cmsg_level=SOL_TCP, cmsg_type=0xdeadbeef}]"
        );
        let mut b = cmsg(8, SOL_SOCKET, SCM_RIGHTS, &[]);
        b.extend([0; 16]);
        assert_eq!(
            control(0x1000, 32, Some(&b), 32, false).text,
            "[{cmsg_len=8, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS}, ... /* 0x1010 */]"
        );
        // Fewer bytes than a header: the address.
        assert_eq!(control(0x1000, 8, None, 32, false).text, "0x1000");
        // IP: ttl, options in hex, pktinfo.
        let b = cmsg(20, SOL_IP, IP_TTL, &42u32.to_ne_bytes());
        assert_eq!(
            control(0x1000, 24, Some(&b), 32, false).text,
            "[{cmsg_len=20, cmsg_level=SOL_IP, cmsg_type=IP_TTL, cmsg_data=[42]}]"
        );
        let b = cmsg(19, SOL_IP, IP_RETOPTS, &[0x10, 0x21, 0]);
        assert_eq!(
            control(0x1000, 24, Some(&b), 2, false).text,
            "[{cmsg_len=19, cmsg_level=SOL_IP, cmsg_type=IP_RETOPTS, cmsg_data=[0x10, 0x21, ...]}]"
        );
        let b = cmsg(28, SOL_IP, IP_PKTINFO, &[0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            control(0x1000, 32, Some(&b), 32, false).text,
            "[{cmsg_len=28, cmsg_level=SOL_IP, cmsg_type=IP_PKTINFO, cmsg_data={ipi_ifindex=0, \
             ipi_spec_dst=inet_addr(\"1.2.3.4\"), ipi_addr=inet_addr(\"5.6.7.8\")}}]"
        );
        let ts: Vec<u8> = [123456789u64, 987654].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let b = cmsg(32, SOL_SOCKET, SO_TIMESTAMP_OLD, &ts);
        assert_eq!(
            control(0x1000, 32, Some(&b), 32, false).text,
            "[{cmsg_len=32, cmsg_level=SOL_SOCKET, cmsg_type=SO_TIMESTAMP_OLD, cmsg_data={tv_sec=123456789, tv_usec=987654}}]"
        );
        let b = cmsg(24, SOL_SOCKET, SO_TIMESTAMP_OLD, &ts[..8]);
        assert_eq!(
            control(0x1000, 24, Some(&b), 32, false).text,
            "[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SO_TIMESTAMP_OLD, cmsg_data=???}]"
        );
    }

    /// A 32-bit task's struct compat_cmsghdr: 12 bytes, a 32-bit cmsg_len, messages 4-byte aligned.
    fn cmsg32(len: u32, level: u32, typ: u32, data: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = [len, level, typ].iter().flat_map(|w| w.to_ne_bytes()).collect();
        v.extend(data);
        v.resize(v.len().div_ceil(4) * 4, 0);
        v
    }

    #[test]
    fn a_32_bit_tasks_control_messages() {
        // Two messages, the second 4-byte aligned after a 13-byte one.
        let mut b = cmsg32(13, SOL_IP, IP_TOS, &[0x10]);
        b.extend(cmsg32(16, SOL_SOCKET, SCM_RIGHTS, &7u32.to_ne_bytes()));
        assert_eq!(
            control(0x1000, b.len() as u64, Some(&b), 32, true).text,
            "[{cmsg_len=13, cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=[0x10]}, \
             {cmsg_len=16, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[7]}]"
        );
        // The old timestamps are struct timeval32 and timespec32; the new ones 64-bit.
        let tv: Vec<u8> = [u32::MAX, 987654].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let b = cmsg32(20, SOL_SOCKET, SO_TIMESTAMP_OLD, &tv);
        assert_eq!(
            control(0x1000, 20, Some(&b), 32, true).text,
            "[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SO_TIMESTAMP_OLD, cmsg_data={tv_sec=-1, tv_usec=987654}}]"
        );
        let b = cmsg32(20, SOL_SOCKET, SO_TIMESTAMPNS_NEW, &tv);
        assert_eq!(
            control(0x1000, 20, Some(&b), 32, true).text,
            "[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SO_TIMESTAMPNS_NEW, cmsg_data=???}]"
        );
        // Fewer bytes than a 12-byte header: the address; 12 are one.
        assert_eq!(control(0x1000, 11, None, 32, true).text, "0x1000");
        let b = cmsg32(12, SOL_SOCKET, SCM_RIGHTS, &[]);
        assert_eq!(
            control(0x1000, 12, Some(&b), 32, true).text,
            "[{cmsg_len=12, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS}]"
        );
    }
}
