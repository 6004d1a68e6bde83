//! The last structs of issue 19's decoders, spelled as strace 6.1 prints them
//! at its defaults: select's fd sets (src/desc.c decode_select), struct
//! msghdr (src/msghdr.c), getdents' record count (src/xgetdents.c), CPU sets
//! (src/affinity.c) and struct termios (src/term.c), each with its JSON. The
//! bytes come from bpf/syscall.h's slots (struct syscall_fdsets_slot, struct
//! syscall_msghdr_slot, struct syscall_dirents_slot, struct
//! syscall_left_trailer) or the struct itself.

use super::structs::{iovec, sockaddr, timeval_or_spec, u32_at, u64_at, Shown, J};
use super::xlat_data as x;
use super::{print_flags, print_xval, ptr};

/// struct syscall_fdset_slot: the set's FDSET bytes, its error bits and
/// size, then (the first set's) the timeout, the sigmask pair and its mask.
const FDSET: usize = 216;
const FDSET_ERR: usize = FDSET;
const FDSET_TS: usize = FDSET + 8;
const FDSET_SIG: usize = FDSET_TS + 16;
pub const FDSET_SIZE: usize = FDSET_SIG + 24;
/// Its error bits: the set, the timeout, the sigmask pair, the mask.
const ERR_SET: u32 = 1;
const ERR_TS: u32 = 8;
const ERR_SIG: u32 = 16;
const ERR_MASK: u32 = 32;

/// The descriptors set in `set` below `nfds`.
fn set_bits(set: &[u8], nfds: usize) -> Vec<usize> {
    (0..nfds.min(set.len() * 8)).filter(|j| set[j / 8] & (1 << (j % 8)) != 0).collect()
}

/// select's nfds as the kernel takes it (an int, negative as 0).
fn nfds(v: u64) -> usize {
    (v as i32).max(0) as usize
}

/// An fd set from its struct syscall_fdset_slot: `[3 4]`; None where it
/// was not read (strace prints the address).
pub fn fdset(b: &[u8], nfds_arg: u64) -> Option<Shown> {
    if b.len() < FDSET_SIZE || u32_at(b, FDSET_ERR) & ERR_SET != 0 {
        return None;
    }
    let fds = set_bits(&b[..FDSET], nfds(nfds_arg));
    let text = format!("[{}]", fds.iter().map(usize::to_string).collect::<Vec<_>>().join(" "));
    Some(Shown { text, json: J::Arr(fds.into_iter().map(J::num).collect()) })
}

/// select's timeout from the first set's slot (its args[4]), None where it
/// could not be read.
pub fn fdsets_timeout(b: &[u8], usec: bool) -> Option<String> {
    (b.len() >= FDSET_SIZE && u32_at(b, FDSET_ERR) & ERR_TS == 0)
        .then(|| timeval_or_spec(&b[FDSET_TS..FDSET_TS + 16], usec))
}

/// pselect6's sixth argument (print_kernel_sigset), from the first set's
/// slot: `{sigmask=[HUP CHLD], sigsetsize=8}`; None where it could not be read.
pub fn pselect_sigmask(b: &[u8], sigset: impl Fn(u64) -> String) -> Option<String> {
    if b.len() < FDSET_SIZE || u32_at(b, FDSET_ERR) & ERR_SIG != 0 {
        return None;
    }
    let (addr, size) = (u64_at(b, FDSET_SIG), u64_at(b, FDSET_SIG + 8));
    let mask = if addr == 0 {
        "NULL".to_string()
    } else if size != 8 || u32_at(b, FDSET_ERR) & ERR_MASK != 0 {
        ptr(addr)
    } else {
        sigset(u64_at(b, FDSET_SIG + 16))
    };
    Some(format!("{{sigmask={mask}, sigsetsize={size}}}"))
}

/// select's result (decode_select at exit): `1 (in [3], left {tv_sec=0,
/// tv_usec=999})`, `0 (Timeout)`; `b` is the slot read at return (the
/// three sets' slots one after the other).
pub fn select_result(ret: i64, args: &[u64; 6], b: Option<&[u8]>, usec: bool) -> String {
    if ret == 0 {
        return "0 (Timeout)".into();
    }
    let Some(b) = b.filter(|b| b.len() >= 3 * FDSET_SIZE) else {
        return ret.to_string();
    };
    let mut out = String::new();
    let mut sep = "";
    let mut ready = ret;
    for (i, name) in ["in", "out", "except"].iter().enumerate() {
        if ready <= 0 {
            break;
        }
        let set = &b[i * FDSET_SIZE..(i + 1) * FDSET_SIZE];
        if args[i + 1] == 0 || u32_at(set, FDSET_ERR) & ERR_SET != 0 {
            continue;
        }
        let mut first = true;
        for j in set_bits(&set[..FDSET], nfds(args[0])) {
            if first {
                out += &format!("{sep}{name} [{j}");
                first = false;
                sep = ", ";
            } else {
                out += &format!(" {j}");
            }
            ready -= 1;
            if ready == 0 {
                break;
            }
        }
        if !out.is_empty() {
            out.push(']');
        }
    }
    if args[4] != 0 {
        let left = fdsets_timeout(b, usec).unwrap_or_else(|| ptr(args[4]));
        out += &format!("{sep}left {left}");
    }
    format!("{ret} ({out})")
}

/// struct syscall_left_trailer's size (after ppoll's pollfds at return).
pub const LEFT_TRAILER: usize = 24;

/// ppoll's pollfds and its remaining time, split from the slot read at
/// return: the array and `{tv_sec=0, tv_nsec=...}` (None where unread).
pub fn split_left(b: &[u8]) -> (&[u8], Option<String>) {
    if b.len() < LEFT_TRAILER {
        return (b, None);
    }
    let (fds, t) = b.split_at(b.len() - LEFT_TRAILER);
    (fds, (u32_at(t, 16) == 0).then(|| timeval_or_spec(t, false)))
}

/// struct syscall_msghdr_slot: the header (7 words), name_len, iov_err, the
/// name, the iovec slot, control_len, control_err, the control bytes.
const MSG_NAME: usize = 64;
const MSG_IOV: usize = MSG_NAME + 128;
const MSG_CONTROL: usize = MSG_IOV + 232;

/// A struct msghdr read whole (print_struct_msghdr): `{msg_name=...,
/// msg_namelen=16, msg_iov=[...], msg_iovlen=1, msg_controllen=0,
/// msg_flags=0}`. `user_namelen`: recvmsg's msg_namelen at entry; `total`:
/// the iovecs' bytes shown in all (recvmsg's result); `limit`: -s;
/// `compat`: a 32-bit task's (its header widened by the kernel side, its
/// iovecs struct compat_iovec, its control messages under struct
/// compat_cmsghdr).
pub fn msghdr(b: &[u8], user_namelen: Option<i32>, total: u64, limit: usize, compat: bool) -> Option<Shown> {
    if b.len() < MSG_IOV {
        return None;
    }
    let (name, namelen) = (u64_at(b, 0), u32_at(b, 8) as i32);
    let (iov, iovlen, control, controllen, flags) =
        (u64_at(b, 16), u64_at(b, 24), u64_at(b, 32), u64_at(b, 40), u32_at(b, 48));
    let name_read = u32_at(b, 56) as usize;
    let len = match user_namelen {
        Some(u) if namelen > u => u,
        _ => namelen,
    };
    // (decode_sockaddr: shorter than a family, NULL, or not read whole: the address)
    let (name_text, name_json) = if len < 2 || name == 0 || name_read < (len as usize).min(128) {
        (ptr(name), J::num(name))
    } else {
        let s = sockaddr(&b[MSG_NAME..MSG_NAME + (len as usize).min(128)]);
        (s.text, s.json)
    };
    let namelen_text = match user_namelen {
        Some(u) if u != namelen => format!("{u} => {namelen}"),
        _ => namelen.to_string(),
    };
    let (iov_text, iov_json) = match b.get(MSG_IOV..) {
        // (tprint_iov_upto: NULL as the address)
        Some(v) if iov != 0 && u32_at(b, 60) == 0 && !v.is_empty() => {
            let step = if compat { 8 } else { 16 };
            let s = iovec(v, total, limit, super::structs::IovArray { addr: iov, step, addrs: false });
            (s.text, s.json)
        }
        _ => (ptr(iov), J::num(iov)),
    };
    // (decode_msg_control: none where msg_controllen is 0)
    let cmsgs = (controllen != 0).then(|| {
        let read = b.get(MSG_CONTROL..MSG_CONTROL + 8).filter(|h| u32_at(h, 4) == 0).map(|h| u32_at(h, 0) as usize);
        let bytes = read.filter(|&n| n > 0).and_then(|n| b.get(MSG_CONTROL + 8..MSG_CONTROL + 8 + n));
        super::cmsg::control(control, controllen, bytes, limit, compat)
    });
    let control_text = cmsgs.as_ref().map_or(String::new(), |c| format!(", msg_control={}", c.text));
    let flags_text = print_flags(u64::from(flags), &[x::MSG_FLAGS], Some("MSG_???"));
    let text = format!(
        "{{msg_name={name_text}, msg_namelen={namelen_text}, msg_iov={iov_text}, msg_iovlen={iovlen}{control_text}, \
         msg_controllen={controllen}, msg_flags={flags_text}}}"
    );
    let mut json = vec![
        ("msg_name", name_json),
        ("msg_namelen", J::num(namelen)),
        ("msg_iov", iov_json),
        ("msg_iovlen", J::num(iovlen)),
    ];
    json.extend(cmsgs.map(|c| ("msg_control", c.json)));
    json.extend([("msg_controllen", J::num(controllen)), ("msg_flags", J::str(flags_text))]);
    Some(Shown { text, json: J::Obj(json) })
}

/// getdents' buffer as strace abbreviates it (decode_dents): `0x... /* 5
/// entries */`, `N+` where not every record was walked; `b` is struct
/// syscall_dirents_slot.
pub fn dirents(addr: u64, b: &[u8]) -> Option<Shown> {
    if b.len() < 8 {
        return None;
    }
    let (count, complete) = (u32_at(b, 0), u32_at(b, 4) != 0);
    let plus = if complete { "" } else { "+" };
    Some(Shown {
        text: format!("{} /* {count}{plus} entries */", ptr(addr)),
        json: J::Obj(vec![("entries", J::num(count)), ("complete", J::Bool(complete))]),
    })
}

/// The CPU set size strace allows (get_cpuset_size): 128 bytes, doubled
/// while the kernel refuses a NULL mask of that size with EINVAL (its mask
/// is longer) rather than EFAULT.
pub fn cpuset_size() -> usize {
    static SIZE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        let mut size = 128usize;
        while size < 1 << 24 {
            // SAFETY: a NULL mask: the kernel only checks the size, or fails on the pointer.
            let r = unsafe { libc::syscall(libc::SYS_sched_getaffinity, 0, size, std::ptr::null_mut::<u8>()) };
            if r != -1 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
                return size;
            }
            size *= 2;
        }
        128
    })
}

/// A CPU set of `len` bytes (print_affinitylist): `[0 1]`, `[0 1 ...]` where
/// the set is longer than the kernel's mask; `b` holds its bytes.
pub fn cpuset(b: &[u8], len: u64, max: usize) -> Option<Shown> {
    if len == 0 {
        return Some(Shown { text: "[]".into(), json: J::Arr(vec![]) });
    }
    let umove = (len as usize).min(max);
    if b.len() < umove {
        return None;
    }
    let size = umove.div_ceil(8) * 8;
    let cpus = set_bits(&b[..umove], umove * 8);
    let mut items: Vec<String> = cpus.iter().map(usize::to_string).collect();
    if (size as u64) < len {
        items.push("...".into());
    }
    Some(Shown { text: format!("[{}]", items.join(" ")), json: J::Arr(cpus.into_iter().map(J::num).collect()) })
}

/// termios' c_oflag delay fields: (table, mask, default) (decode_oflag).
const OFLAG_DELAYS: [(super::Xlat, u64, &str); 6] = [
    (x::TERM_OFLAGS_NLDLY, 0o400, "NL?"),
    (x::TERM_OFLAGS_CRDLY, 0o3000, "CR?"),
    (x::TERM_OFLAGS_TABDLY, 0o14000, "TAB?"),
    (x::TERM_OFLAGS_BSDLY, 0o20000, "BS?"),
    (x::TERM_OFLAGS_VTDLY, 0o40000, "VT?"),
    (x::TERM_OFLAGS_FFDLY, 0o100000, "FF?"),
];
/// CBAUD, CIBAUD (CBAUD << IBSHIFT), CSIZE: the same on x86_64 and arm64
/// (asm-generic/termbits.h, arch/x86's is the generic one).
const CBAUD: u64 = 0o10017;
const IBSHIFT: u32 = 16;
const CSIZE: u64 = 0o60;

fn oflag(mut v: u64) -> String {
    let mut s = String::new();
    for (t, mask, dflt) in OFLAG_DELAYS {
        s += &print_xval(v & mask, t, dflt);
        s.push('|');
        v &= !mask;
    }
    s + &print_flags(v, &[x::TERM_OFLAGS], None)
}

fn cflag(v: u64) -> String {
    let mut s = print_xval(v & CBAUD, x::BAUD_OPTIONS, "B???") + "|";
    let cibaud = CBAUD << IBSHIFT;
    if v & cibaud != 0 {
        s += &print_xval((v & cibaud) >> IBSHIFT, x::BAUD_OPTIONS, "B???");
        s += "<<IBSHIFT|";
    }
    s += &print_xval(v & CSIZE, x::TERM_CFLAGS_CSIZE, "CS?");
    s.push('|');
    s + &print_flags(v & !(CBAUD | cibaud | CSIZE), &[x::TERM_CFLAGS], None)
}

/// The four flag words as strace prints them (decode_flags).
fn term_flags(f: [u64; 4]) -> String {
    format!(
        "c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}",
        print_flags(f[0], &[x::TERM_IFLAGS], None),
        oflag(f[1]),
        cflag(f[2]),
        print_flags(f[3], &[x::TERM_LFLAGS], None)
    )
}

fn term_shown(f: [u64; 4], line: u8) -> Shown {
    Shown {
        text: format!("{{{}, ...}}", term_flags(f)),
        json: J::Obj(vec![
            ("c_iflag", J::num(f[0])),
            ("c_oflag", J::num(f[1])),
            ("c_cflag", J::num(f[2])),
            ("c_lflag", J::num(f[3])),
            ("c_line", J::num(line)),
        ]),
    }
}

/// struct termios or termios2 (the kernel's: four 32-bit flag words, c_line,
/// c_cc) as strace abbreviates it (decode_termios): `{c_iflag=ICRNL|IXON,
/// c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD,
/// c_lflag=ISIG|..., ...}`.
pub fn termios(b: &[u8]) -> Option<Shown> {
    (b.len() >= 36).then(|| term_shown([0, 1, 2, 3].map(|k| u64::from(u32_at(b, k * 4))), b[16]))
}

/// struct termio (16-bit flag words; decode_termio), the same text.
pub fn termio(b: &[u8]) -> Option<Shown> {
    (b.len() >= 17)
        .then(|| term_shown([0, 1, 2, 3].map(|k| u64::from(u16::from_ne_bytes([b[k * 2], b[k * 2 + 1]]))), b[8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_sets_and_select_results_as_strace_prints_them() {
        let mut b = vec![0u8; 3 * FDSET_SIZE];
        b[0] = 0b11000; // in: 3 4
        b[FDSET_SIZE] = 0b1000; // out: 3
        b[FDSET_TS..FDSET_TS + 8].copy_from_slice(&1u64.to_ne_bytes());
        b[FDSET_TS + 8..FDSET_TS + 16].copy_from_slice(&500u64.to_ne_bytes());
        assert_eq!(fdset(&b, 5).unwrap().text, "[3 4]");
        assert_eq!(fdset(&b, 4).unwrap().text, "[3]");
        assert_eq!(fdset(&b[2 * FDSET_SIZE..], 5).unwrap().text, "[]");
        assert_eq!(fdsets_timeout(&b, true).as_deref(), Some("{tv_sec=1, tv_usec=500}"));
        let args = [5, 0x10, 0x20, 0, 0x30, 0];
        assert_eq!(select_result(3, &args, Some(&b), true), "3 (in [3 4], out [3], left {tv_sec=1, tv_usec=500})");
        assert_eq!(select_result(1, &args, Some(&b), false), "1 (in [3], left {tv_sec=1, tv_nsec=500})");
        assert_eq!(select_result(0, &args, Some(&b), true), "0 (Timeout)");
        let args = [5, 0x10, 0, 0, 0, 0];
        assert_eq!(select_result(2, &args, Some(&b), true), "2 (in [3 4])");
    }

    #[test]
    fn dirents_cpusets_and_termios_as_strace_prints_them() {
        let d = [5u32.to_ne_bytes(), 1u32.to_ne_bytes()].concat();
        assert_eq!(dirents(0x5000, &d).unwrap().text, "0x5000 /* 5 entries */");
        let d = [2048u32.to_ne_bytes(), 0u32.to_ne_bytes()].concat();
        assert_eq!(dirents(0x5000, &d).unwrap().text, "0x5000 /* 2048+ entries */");
        let set = [0b11u8, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(cpuset(&set, 8, 8).unwrap().text, "[0 1]");
        assert_eq!(cpuset(&set, 128, 8).unwrap().text, "[0 1 ...]");
        assert_eq!(cpuset(&set, 0, 8).unwrap().text, "[]");
        // A terminal after `stty sane` (x86_64 and arm64 share the values).
        let mut t = vec![0u8; 36];
        for (k, v) in [0o22400u32, 0o5, 0o277, 0o105073].iter().enumerate() {
            t[k * 4..k * 4 + 4].copy_from_slice(&v.to_ne_bytes());
        }
        let s = termios(&t).unwrap().text;
        assert!(s.starts_with("{c_iflag=ICRNL|IXON|IMAXBEL, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, c_lflag="), "{s}");
        assert!(s.ends_with(", ...}"), "{s}");
    }
}
