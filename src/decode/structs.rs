//! The structs and arrays argtrace syscall reads whole, spelled as strace 6.1
//! prints them at its defaults (`-s 32`, abbreviated; src/sockaddr.c,
//! src/io.c, src/poll.c, src/epoll.c, src/statx.c, src/execve.c), each with
//! its JSON twin: named, typed fields (`{"sa_family": "AF_INET",
//! "sin_port": 80, "sin_addr": "127.0.0.1"}`). The bytes come from the BPF
//! slots of bpf/syscall.h (struct syscall_iov_slot, struct syscall_strv_slot,
//! or the struct itself).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::xlat_data as x;
use super::{print_flags, print_xval, ptr};
use crate::render::{escape_into, latin1, write_json_str};

/// A JSON value, written in order.
#[derive(Clone, Debug, PartialEq)]
pub enum J {
    Num(String),
    Str(String),
    Bool(bool),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

impl J {
    pub fn num(v: impl std::fmt::Display) -> J {
        J::Num(v.to_string())
    }

    pub fn str(v: impl Into<String>) -> J {
        J::Str(v.into())
    }

    pub fn write(&self, out: &mut String) {
        match self {
            J::Num(n) => out.push_str(n),
            J::Str(s) => write_json_str(out, s),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Arr(v) => {
                out.push('[');
                for (k, e) in v.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    e.write(out);
                }
                out.push(']');
            }
            J::Obj(f) => {
                out.push('{');
                for (k, (name, e)) in f.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    write_json_str(out, name);
                    out.push_str(": ");
                    e.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// strace's text of a value and its JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub text: String,
    pub json: J,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    b.get(o..o + 2).map_or(0, |s| u16::from_ne_bytes([s[0], s[1]]))
}

pub(crate) fn u32_at(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4).map_or(0, |s| u32::from_ne_bytes(s.try_into().expect("4 bytes")))
}

pub(crate) fn u64_at(b: &[u8], o: usize) -> u64 {
    b.get(o..o + 8).map_or(0, |s| u64::from_ne_bytes(s.try_into().expect("8 bytes")))
}

/// `"..."` as strace's printstr quotes bytes, `...` after when cut.
pub fn quoted(bytes: &[u8], cut: bool) -> String {
    let mut s = String::from("\"");
    escape_into(&mut s, bytes);
    s.push('"');
    if cut {
        s.push_str("...");
    }
    s
}

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;

/// A struct sockaddr of `b.len()` bytes (the length the caller gave or the
/// kernel wrote back, at most 128): print_sockaddr of src/sockaddr.c.
pub fn sockaddr(b: &[u8]) -> Shown {
    let fam = u16_at(b, 0);
    let fam_name = super::net::address_family(u64::from(fam));
    let mut text = format!("{{sa_family={fam_name}");
    let mut json = vec![("sa_family", J::str(fam_name.clone()))];
    match fam {
        AF_INET if b.len() >= 8 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let addr = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            let _ = write!(text, ", sin_port=htons({port}), sin_addr=inet_addr(\"{addr}\")");
            json.push(("sin_port", J::num(port)));
            json.push(("sin_addr", J::str(addr.to_string())));
        }
        AF_INET6 if b.len() >= 24 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let flow = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
            let addr = Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).expect("16 bytes"));
            let _ = write!(
                text,
                ", sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), inet_pton(AF_INET6, \"{addr}\", &sin6_addr)"
            );
            json.push(("sin6_port", J::num(port)));
            json.push(("sin6_flowinfo", J::num(flow)));
            json.push(("sin6_addr", J::str(addr.to_string())));
            if b.len() >= 28 {
                let scope = u32_at(b, 24);
                let _ = write!(text, ", sin6_scope_id={scope}");
                json.push(("sin6_scope_id", J::num(scope)));
            }
        }
        AF_UNIX if b.len() > 2 => {
            let path = &b[2..];
            // An abstract name (a leading NUL) is printed whole after `@`.
            let (at, path) = match path.first() {
                Some(0) => ("@", &path[1..]),
                _ => ("", &path[..path.iter().position(|&c| c == 0).unwrap_or(path.len())]),
            };
            let _ = write!(text, ", sun_path={at}{}", quoted(path, false));
            json.push(("sun_path", J::str(format!("{at}{}", latin1(path)))));
        }
        AF_NETLINK if b.len() >= 12 => {
            let (pid, groups) = (u32_at(b, 4), u32_at(b, 8));
            let _ = write!(text, ", nl_pid={pid}, nl_groups={groups:08x}");
            json.push(("nl_pid", J::num(pid)));
            json.push(("nl_groups", J::num(groups)));
        }
        AF_UNIX => {}
        _ if b.len() > 2 => {
            let _ = write!(text, ", sa_data={}", quoted(&b[2..], false));
            json.push(("sa_data", J::str(latin1(&b[2..]))));
        }
        _ => {}
    }
    text.push('}');
    Shown { text, json: J::Obj(json) }
}

/// strace's abbreviation of arrays (print_array at -s 32): the first 32
/// elements, then `...`.
const ARRAY_MAX: usize = 32;

fn array(items: Vec<Shown>, more: bool) -> Shown {
    let mut texts: Vec<String> = Vec::with_capacity(items.len() + 1);
    let mut json = Vec::with_capacity(items.len());
    for (k, it) in items.into_iter().enumerate() {
        if k >= ARRAY_MAX {
            texts.push("...".into());
            break;
        }
        texts.push(it.text);
        json.push(it.json);
    }
    if more && texts.last().map_or(true, |t| t != "...") {
        texts.push("...".into());
    }
    Shown { text: format!("[{}]", texts.join(", ")), json: J::Arr(json) }
}

/// A struct pollfd array as poll() receives it (print_pollfd):
/// `[{fd=3, events=POLLIN}]`; `count` is the array's length argument.
/// `unread`: the address of the first pollfd that could not be read, where
/// one could not (print_array's `... /* ADDR */` there).
pub fn pollfds_in(b: &[u8], count: u64, unread: Option<u64>) -> Shown {
    let n = (b.len() / 8).min(count as usize);
    let items = (0..n)
        .map(|k| {
            let (fd, events) = (u32_at(b, k * 8) as i32, u16_at(b, k * 8 + 4));
            if fd < 0 {
                return Shown { text: format!("{{fd={fd}}}"), json: J::Obj(vec![("fd", J::num(fd))]) };
            }
            let ev = print_flags(u64::from(events), &[x::POLLFLAGS], Some("POLL???"));
            Shown {
                text: format!("{{fd={fd}, events={ev}}}"),
                json: J::Obj(vec![("fd", J::num(fd)), ("events", J::str(ev))]),
            }
        })
        .collect();
    let mut a = array(items, (n as u64) < count);
    if let Some(at) = unread.filter(|_| (n as u64) < count && n < ARRAY_MAX) {
        a.text.truncate(a.text.len() - "...]".len());
        let _ = write!(a.text, "... /* {} */]", ptr(at));
    }
    a
}

/// poll()'s result with the array as the kernel left it (decode_poll_exiting):
/// `1 ([{fd=3, revents=POLLIN}])`, `0 (Timeout)`.
pub fn poll_result(ret: i64, b: &[u8]) -> String {
    if ret == 0 {
        return "0 (Timeout)".into();
    }
    let mut items = Vec::new();
    for k in 0..b.len() / 8 {
        let (fd, revents) = (u32_at(b, k * 8) as i32, u16_at(b, k * 8 + 6));
        if revents != 0 {
            let ev = print_flags(u64::from(revents), &[x::POLLFLAGS], Some("POLL???"));
            items.push(format!("{{fd={fd}, revents={ev}}}"));
        }
    }
    if items.is_empty() {
        return ret.to_string();
    }
    format!("{ret} ([{}])", items.join(", "))
}

/// The JSON of a pollfd array: fd, events, and revents where the kernel
/// filled them (`out`).
pub fn pollfds_json(b: &[u8], count: u64, out: Option<&[u8]>) -> J {
    let n = (b.len() / 8).min(count as usize);
    J::Arr(
        (0..n)
            .map(|k| {
                let (fd, events) = (u32_at(b, k * 8) as i32, u16_at(b, k * 8 + 4));
                let mut f = vec![
                    ("fd", J::num(fd)),
                    ("events", J::str(print_flags(u64::from(events), &[x::POLLFLAGS], Some("POLL???")))),
                ];
                if let Some(o) = out.filter(|o| o.len() >= (k + 1) * 8) {
                    let r = u16_at(o, k * 8 + 6);
                    f.push(("revents", J::str(print_flags(u64::from(r), &[x::POLLFLAGS], Some("POLL???")))));
                }
                J::Obj(f)
            })
            .collect(),
    )
}

/// struct flock's size (64-bit: struct flock and struct flock64 agree):
/// l_type and l_whence (shorts), l_start and l_len at 8 and 16, l_pid at 24.
pub const FLOCK: usize = 32;

/// Where a struct flock's fields are: l_start's and l_len's offsets and
/// width (8 or 4 bytes, signed), l_pid's offset, and the whole's size.
pub struct FlockLayout {
    pub start: usize,
    pub len: usize,
    pub wide: bool,
    pub pid: usize,
    pub size: usize,
}

/// The 64-bit one (struct flock and struct flock64 agree).
pub const FLOCK_64: FlockLayout = FlockLayout { start: 8, len: 16, wide: true, pid: 24, size: FLOCK };
/// A 32-bit task's struct compat_flock (all ints after the two shorts).
pub const FLOCK_COMPAT: FlockLayout = FlockLayout { start: 4, len: 8, wide: false, pid: 12, size: 16 };
/// i386's struct compat_flock64 (packed: the 64-bit offsets at 4 and 12);
/// arm's is not packed (EABI aligns them to 8), the 64-bit layout.
#[cfg(not(target_arch = "x86_64"))]
pub const FLOCK64_COMPAT: FlockLayout = FLOCK_64;
#[cfg(target_arch = "x86_64")]
pub const FLOCK64_COMPAT: FlockLayout = FlockLayout { start: 4, len: 12, wide: true, pid: 20, size: 24 };

/// struct flock as fcntl's lock commands hand it in or get it back
/// (src/fcntl.c print_struct_flock64): `{l_type=F_RDLCK, l_whence=SEEK_SET,
/// l_start=0, l_len=4096}`, with `l_pid=` for F_GETLK and F_OFD_GETLK.
pub fn flock(b: &[u8], getlk: bool) -> Shown {
    flock_in(b, getlk, &FLOCK_64)
}

/// struct flock in the layout `l` (strace widens a 32-bit one to struct
/// flock64 first: its offsets sign-extended).
pub fn flock_in(b: &[u8], getlk: bool, l: &FlockLayout) -> Shown {
    // (zero-extended, as strace's PRINT_FIELD_XVAL takes a short)
    let short = |o: usize| u64::from(u16_at(b, o));
    let (ty, whence) = (print_xval(short(0), x::LOCKFCMDS, "F_???"), print_xval(short(2), x::WHENCE_CODES, "SEEK_???"));
    let off = |o: usize| if l.wide { u64_at(b, o) as i64 } else { i64::from(u32_at(b, o) as i32) };
    let (start, len, pid) = (off(l.start), off(l.len), u32_at(b, l.pid) as i32);
    let mut text = format!("{{l_type={ty}, l_whence={whence}, l_start={start}, l_len={len}");
    let mut json =
        vec![("l_type", J::str(ty)), ("l_whence", J::str(whence)), ("l_start", J::num(start)), ("l_len", J::num(len))];
    if getlk {
        let _ = write!(text, ", l_pid={pid}");
        json.push(("l_pid", J::num(pid)));
    }
    text.push('}');
    Shown { text, json: J::Obj(json) }
}

/// struct f_owner_ex (fcntl's F_SETOWN_EX, F_GETOWN_EX; src/fcntl.c
/// print_f_owner_ex): `{type=F_OWNER_PID, pid=1234}`.
pub fn f_owner_ex(b: &[u8]) -> Shown {
    let ty = print_xval(u64::from(u32_at(b, 0)), x::F_OWNER_TYPES, "F_OWNER_???");
    let pid = u32_at(b, 4) as i32;
    Shown { text: format!("{{type={ty}, pid={pid}}}"), json: J::Obj(vec![("type", J::str(ty)), ("pid", J::num(pid))]) }
}

/// struct epoll_event's size: packed on x86_64 (12 bytes), 16 elsewhere.
pub const EPOLL_EVENT: usize = if cfg!(target_arch = "x86_64") { 12 } else { 16 };

/// One struct epoll_event (print_epoll_event):
/// `{events=EPOLLIN, data={u32=4660, u64=4660}}`.
pub fn epoll_event(b: &[u8]) -> Shown {
    let events = u32_at(b, 0);
    let data = u64_at(b, EPOLL_EVENT - 8);
    let ev = print_flags(u64::from(events), &[x::EPOLLEVENTS], Some("EPOLL???"));
    Shown {
        text: format!("{{events={ev}, data={{u32={}, u64={data}}}}}", data as u32),
        json: J::Obj(vec![("events", J::str(ev)), ("data", J::num(data))]),
    }
}

/// The events epoll_wait() returned: `[{events=EPOLLOUT, data=...}]`.
pub fn epoll_events(b: &[u8]) -> Shown {
    array(b.chunks_exact(EPOLL_EVENT).map(epoll_event).collect(), false)
}

/// struct statx at strace's defaults (src/statx.c, abbreviated):
/// `{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0,
/// stx_mode=S_IFREG|0644, stx_size=1271, ...}`.
pub fn statx(b: &[u8]) -> Shown {
    const STATX_TYPE: u32 = 1;
    const STATX_MODE: u32 = 2;
    const STATX_SIZE: u32 = 0x200;
    let mask = u32_at(b, 0);
    let attrs = u64_at(b, 8);
    let m = print_flags(u64::from(mask), &[x::STATX_MASKS], Some("STATX_???"));
    let a = print_flags(attrs, &[x::STATX_ATTRS], Some("STATX_ATTR_???"));
    let mut text = format!("{{stx_mask={m}, stx_attributes={a}");
    let mut json = vec![("stx_mask", J::str(m)), ("stx_attributes", J::str(a))];
    if mask & (STATX_TYPE | STATX_MODE) != 0 {
        let mode = u32::from(u16_at(b, 28));
        let s = super::symbolic_mode(mode);
        let _ = write!(text, ", stx_mode={s}");
        json.push(("stx_mode", J::str(s)));
    }
    if mask & STATX_SIZE != 0 {
        let size = u64_at(b, 40);
        let _ = write!(text, ", stx_size={size}");
        json.push(("stx_size", J::num(size)));
    }
    text.push_str(", ...}");
    Shown { text, json: J::Obj(json) }
}

/// bpf/syscall.h's struct syscall_iov_slot.
const IOV_N: usize = 4;
const IOV_DATA: usize = 40;
const IOV_HEAD: usize = 8 + IOV_N * 16;

/// An iovec array as struct syscall_iov_slot holds it (tprint_iov_upto):
/// `[{iov_base="hello", iov_len=5}, ...]`, each buffer's first bytes up to
/// `total` in all (readv: its result; writev: all) and `limit` each; the
/// addresses (`addrs`: a failed readv's, iov_decode_addr). Where an iovec
/// could not be read, print_array's `... /* ADDR */` ends it: `addr` is the
/// array's, `step` its iovecs' size (16, a 32-bit task's 8).
pub fn iovec(b: &[u8], total: u64, limit: usize, v: IovArray) -> Shown {
    let count = u32_at(b, 0) as usize;
    let err = u32_at(b, 4);
    let mut left = total;
    let mut items = Vec::new();
    for k in 0..count.min(IOV_N) {
        let (base, len) = (u64_at(b, 8 + k * 16), u64_at(b, 16 + k * 16));
        let n = len.min(left);
        left -= n;
        let show = (n as usize).min(limit);
        let data = b.get(IOV_HEAD + k * IOV_DATA..IOV_HEAD + k * IOV_DATA + show.min(IOV_DATA)).unwrap_or(&[]);
        let (base_text, base_json) = if err & (1 << k) != 0 || base == 0 || v.addrs {
            (ptr(base), J::num(base))
        } else {
            (quoted(data, n as usize > limit), J::str(latin1(data)))
        };
        items.push(Shown {
            text: format!("{{iov_base={base_text}, iov_len={len}}}"),
            json: J::Obj(vec![("iov_base", base_json), ("iov_len", J::num(len))]),
        });
    }
    let mut a = array(items, count > IOV_N);
    if err & IOV_UNREADABLE != 0 && count <= IOV_N {
        a.text.pop();
        let sep = if count > 0 { ", " } else { "" };
        let _ = write!(a.text, "{sep}... /* {} */]", ptr(v.addr.wrapping_add(v.step * count as u64)));
    }
    a
}

/// Where an iovec array is and how it is printed (iovec).
#[derive(Clone, Copy, Debug)]
pub struct IovArray {
    pub addr: u64,
    /// An iovec's size: 16, a 32-bit task's struct compat_iovec 8.
    pub step: u64,
    /// The buffers' addresses rather than their bytes.
    pub addrs: bool,
}

/// bpf/syscall.h's ARGTRACE_SYSCALL_IOV_UNREADABLE.
const IOV_UNREADABLE: u32 = 0x8000_0000;

/// bpf/syscall.h's struct syscall_strv_slot and struct syscall_strv_tail
/// (argv's strings past the slot's STRV_N, up to STRV_MAX).
const STRV_N: usize = 7;
const STRV_STR: usize = 34;
pub const STRV_TAIL_N: usize = 25;
pub const STRV_TAIL: usize = 8 + STRV_TAIL_N * STRV_STR;

/// The strings of an argv array (printargv): `["ls", "-l"]`, each cut at
/// `limit` bytes, at most `limit` of them, `...` after the last one shown
/// when there are more. `tail`: the strings past the slot's seven; `step`:
/// the width of the array's pointers (8, or a 32-bit task's 4).
pub fn argv(b: &[u8], tail: Option<&[u8]>, limit: usize, addr: u64, step: u64) -> Shown {
    let count = u32_at(b, 0) as usize;
    let head = (b.get(4).copied().unwrap_or(0) as usize).min(STRV_N);
    let err = b.get(5).copied().unwrap_or(0);
    let mut strings: Vec<(&[u8], bool)> = (0..head)
        .map(|k| (b.get(8 + k * STRV_STR..8 + (k + 1) * STRV_STR).unwrap_or(&[]), err & (1 << k) != 0))
        .collect();
    if let Some(t) = tail.filter(|t| t.len() >= STRV_TAIL && head == STRV_N && b.get(7) == Some(&1)) {
        let (n, err) = ((u32_at(t, 0) as usize).min(STRV_TAIL_N), u32_at(t, 4));
        strings.extend((0..n).map(|k| (&t[8 + k * STRV_STR..8 + (k + 1) * STRV_STR], err & (1 << k) != 0)));
    }
    // (strace's printargv: -s strings at most)
    strings.truncate(limit);
    let shown = strings.len();
    let mut items = Vec::new();
    for (s, err) in strings {
        if err {
            // A string that cannot be read: its pointer (strace's printstr).
            let p = if s.len() >= 8 { u64_at(s, 0) } else { 0 };
            items.push(Shown { text: ptr(p), json: J::num(p) });
            continue;
        }
        let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
        let cut = s.len() > limit;
        let s = &s[..s.len().min(limit)];
        items.push(Shown { text: quoted(s, cut), json: J::str(latin1(s)) });
    }
    let mut a = array(items, count > shown);
    // The pointer after the last could not be read: strace prints `...`
    // and its address (src/execve.c printargv).
    if unterminated(b) && count <= shown {
        a.text.pop();
        let sep = if count > 0 { ", " } else { "" };
        let _ = write!(a.text, "{sep}... /* {} */]", ptr(addr.wrapping_add(step * count as u64)));
    }
    a
}

/// Whether the array's pointer after its count could not be read.
pub fn unterminated(b: &[u8]) -> bool {
    b.get(6).is_some_and(|&u| u != 0)
}

/// The number of strings of an argv or envp array (`/* 25 vars */`).
pub fn strv_count(b: &[u8]) -> u32 {
    u32_at(b, 0)
}

/// envp as strace prints it (printargc): `0x7ffd... /* 2 vars */`.
pub fn envp(addr: u64, b: &[u8]) -> String {
    let n = strv_count(b);
    let end = if unterminated(b) { ", unterminated" } else { "" };
    format!("{} /* {n} var{}{end} */", ptr(addr), if n == 1 { "" } else { "s" })
}

/// A struct timeval (`usec`) or timespec: `{tv_sec=1, tv_usec=2}`
/// (print_timeval, print_timespec: the seconds signed, the rest unsigned).
pub fn timeval_or_spec(b: &[u8], usec: bool) -> String {
    let unit = if usec { "tv_usec" } else { "tv_nsec" };
    format!("{{tv_sec={}, {unit}={}}}", u64_at(b, 0) as i64, u64_at(b, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_as_strace_prints_them() {
        let mut a = vec![2, 0, 0x10, 0x92, 127, 0, 0, 1];
        a.extend([0; 8]);
        let s = sockaddr(&a);
        assert_eq!(s.text, "{sa_family=AF_INET, sin_port=htons(4242), sin_addr=inet_addr(\"127.0.0.1\")}");
        let mut j = String::new();
        s.json.write(&mut j);
        assert_eq!(j, "{\"sa_family\": \"AF_INET\", \"sin_port\": 4242, \"sin_addr\": \"127.0.0.1\"}");
        let mut a6 = vec![10, 0, 0, 80, 0, 0, 0, 0];
        a6.extend([0; 15]);
        a6.push(1);
        a6.extend([0; 4]);
        assert_eq!(
            sockaddr(&a6).text,
            "{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}"
        );
        let mut un = vec![1, 0];
        un.extend(b"/tmp/x.sock\0\0\0");
        assert_eq!(sockaddr(&un).text, "{sa_family=AF_UNIX, sun_path=\"/tmp/x.sock\"}");
        let mut abs = vec![1, 0, 0];
        abs.extend(b"name");
        assert_eq!(sockaddr(&abs).text, "{sa_family=AF_UNIX, sun_path=@\"name\"}");
    }

    #[test]
    fn arrays_as_strace_prints_them() {
        let mut p = Vec::new();
        for (fd, ev, rev) in [(8i32, 1u16, 0u16), (9, 4, 4)] {
            p.extend(fd.to_ne_bytes());
            p.extend(ev.to_ne_bytes());
            p.extend(rev.to_ne_bytes());
        }
        assert_eq!(pollfds_in(&p, 2, None).text, "[{fd=8, events=POLLIN}, {fd=9, events=POLLOUT}]");
        // (strace's poll test: the second pollfd past the page)
        assert_eq!(pollfds_in(&p[..8], 2, Some(0x7008)).text, "[{fd=8, events=POLLIN}, ... /* 0x7008 */]");
        assert_eq!(poll_result(1, &p), "1 ([{fd=9, revents=POLLOUT}])");
        assert_eq!(poll_result(0, &p), "0 (Timeout)");
        let mut e = vec![0u8; EPOLL_EVENT];
        e[..4].copy_from_slice(&(1u32 | (1 << 31)).to_ne_bytes());
        e[EPOLL_EVENT - 8..].copy_from_slice(&0x1234u64.to_ne_bytes());
        assert_eq!(epoll_event(&e).text, "{events=EPOLLIN|EPOLLET, data={u32=4660, u64=4660}}");
        let mut iov = vec![0u8; IOV_HEAD + IOV_N * IOV_DATA];
        iov[..4].copy_from_slice(&2u32.to_ne_bytes());
        for (k, (base, len, data)) in [(0x10u64, 3u64, &b"hel"[..]), (0x20, 20, &b"lo world\n"[..])].iter().enumerate()
        {
            iov[8 + k * 16..16 + k * 16].copy_from_slice(&base.to_ne_bytes());
            iov[16 + k * 16..24 + k * 16].copy_from_slice(&len.to_ne_bytes());
            iov[IOV_HEAD + k * IOV_DATA..IOV_HEAD + k * IOV_DATA + data.len()].copy_from_slice(data);
        }
        let at = IovArray { addr: 0x7000, step: 16, addrs: false };
        assert_eq!(
            iovec(&iov, 12, 32, at).text,
            "[{iov_base=\"hel\", iov_len=3}, {iov_base=\"lo world\\n\", iov_len=20}]"
        );
        // a failed readv's: the buffers' addresses (iov_decode_addr)
        let addrs = IovArray { addrs: true, ..at };
        assert_eq!(iovec(&iov, 0, 32, addrs).text, "[{iov_base=0x10, iov_len=3}, {iov_base=0x20, iov_len=20}]");
        // the second iovec could not be read (a 32-bit task's, 8 bytes each)
        iov[..4].copy_from_slice(&1u32.to_ne_bytes());
        iov[4..8].copy_from_slice(&IOV_UNREADABLE.to_ne_bytes());
        let compat = IovArray { step: 8, ..at };
        assert_eq!(iovec(&iov, 3, 32, compat).text, "[{iov_base=\"hel\", iov_len=3}, ... /* 0x7008 */]");
        let mut v = vec![0u8; 8 + STRV_N * STRV_STR];
        v[..4].copy_from_slice(&3u32.to_ne_bytes());
        v[4] = 3;
        for (k, s) in [&b"/bin/true"[..], b"a b", b"0123456789012345678901234567890123"].iter().enumerate() {
            v[8 + k * STRV_STR..8 + k * STRV_STR + s.len()].copy_from_slice(s);
        }
        assert_eq!(
            argv(&v, None, 32, 0x7f00, 8).text,
            "[\"/bin/true\", \"a b\", \"01234567890123456789012345678901\"...]"
        );
        assert_eq!(argv(&v, None, 2, 0x7f00, 8).text, "[\"/b\"..., \"a \"..., ...]");
        assert_eq!(envp(0x7ffe, &v), "0x7ffe /* 3 vars */");
        // strace's execve test: a string that cannot be read is its pointer,
        // an array whose next pointer cannot be read ends in its address.
        v[5] = 1 << 2;
        v[6] = 1;
        v[8 + 2 * STRV_STR..8 + 2 * STRV_STR + 8].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert_eq!(
            argv(&v, None, 32, 0x7f00, 8).text,
            "[\"/bin/true\", \"a b\", 0xffffffffffffffff, ... /* 0x7f18 */]"
        );
        // a 32-bit task's array: 4-byte pointers, the fourth at 0x7f0c
        v[8 + 2 * STRV_STR..8 + 2 * STRV_STR + 8].copy_from_slice(&u64::from(u32::MAX).to_ne_bytes());
        assert_eq!(argv(&v, None, 32, 0x7f00, 4).text, "[\"/bin/true\", \"a b\", 0xffffffff, ... /* 0x7f0c */]");
        assert_eq!(envp(0x7ffe, &v), "0x7ffe /* 3 vars, unterminated */");
        // 40 strings: the slot's 7, the tail's 25, then `...`.
        let mut v = vec![0u8; 8 + STRV_N * STRV_STR];
        v[..4].copy_from_slice(&40u32.to_ne_bytes());
        v[4] = STRV_N as u8;
        v[7] = 1;
        let mut t = vec![0u8; STRV_TAIL];
        t[..4].copy_from_slice(&(STRV_TAIL_N as u32).to_ne_bytes());
        t[4..8].copy_from_slice(&(1u32 << 24).to_ne_bytes());
        for k in 0..32 {
            let s = k.to_string();
            let at = if k < STRV_N { 8 + k * STRV_STR } else { 8 + (k - STRV_N) * STRV_STR };
            let dst = if k < STRV_N { &mut v } else { &mut t };
            dst[at..at + s.len()].copy_from_slice(s.as_bytes());
        }
        t[8 + 24 * STRV_STR..8 + 24 * STRV_STR + 8].copy_from_slice(&0x1234u64.to_ne_bytes());
        let want: Vec<String> = (0..31).map(|k| format!("\"{k}\"")).chain(["0x1234".into(), "...".into()]).collect();
        assert_eq!(argv(&v, Some(&t), 32, 0, 8).text, format!("[{}]", want.join(", ")));
        // Without its tail (not sent): the slot's 7.
        assert!(argv(&v, None, 32, 0, 8).text.ends_with("\"6\", ...]"));
    }

    #[test]
    fn fcntl_structs_as_strace_prints_them() {
        let mut fl = [0u8; FLOCK];
        fl[..2].copy_from_slice(&2u16.to_ne_bytes());
        fl[8..16].copy_from_slice(&(-2379362051860529427i64).to_ne_bytes());
        fl[16..24].copy_from_slice(&4096u64.to_ne_bytes());
        fl[24..28].copy_from_slice(&77u32.to_ne_bytes());
        assert_eq!(
            flock(&fl, false).text,
            "{l_type=F_UNLCK, l_whence=SEEK_SET, l_start=-2379362051860529427, l_len=4096}"
        );
        assert_eq!(
            flock(&fl, true).text,
            "{l_type=F_UNLCK, l_whence=SEEK_SET, l_start=-2379362051860529427, l_len=4096, l_pid=77}"
        );
        let mut fo = [0u8; 8];
        fo[..4].copy_from_slice(&1u32.to_ne_bytes());
        fo[4..].copy_from_slice(&1234567890u32.to_ne_bytes());
        assert_eq!(f_owner_ex(&fo).text, "{type=F_OWNER_PID, pid=1234567890}");
    }
}
