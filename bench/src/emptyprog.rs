//! The floor: an empty BPF program (`r0 = 0; exit`; for cgroup hooks
//! `r0 = 1; exit`, see emptycgroup.rs) on exactly the hooks
//! argtrace uses for a subject in a probe mode (read from argtrace's own BPF
//! object for that subject), loaded with raw bpf() calls (no libbpf, no
//! object file of its own). What it costs is the hook itself.
//! Run as `argtrace-bench empty-bpf <subject> [--probe tracepoint|kprobe|fentry|cgroup] [--timed]`
//! (--timed: also the hooks argtrace adds with -T and -s, its `*_start` programs):
//! prints `argtrace-bench: empty program attached ...` on stderr once every hook
//! is live, and detaches and exits 0 on SIGINT or SIGTERM.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use argtrace::family::ProbeMode;
use argtrace::subject::{self, Hook};

use crate::sys;

/// A probe mode by the name argtrace's --probe gives it.
fn parse_mode(s: &str) -> Option<ProbeMode> {
    ProbeMode::ALL.into_iter().find(|m| m.name() == s)
}

/// argtrace's subjects, as its subcommands name them.
fn subject_names(sep: &str) -> String {
    let names: Vec<&str> = subject::all().iter().map(|s| s.name()).collect();
    names.join(sep)
}

/// The hooks argtrace attaches for `subject` in `mode`, from the product itself
/// (its subject's BPF object), so the floor is measured on the same places;
/// `timed`: those it attaches with -T or -s (its `*_start` programs added,
/// `Subject::timing_sections`).
fn hooks(subject: &str, mode: ProbeMode, timed: bool) -> Result<Vec<Hook>, String> {
    let Some(s) = subject::by_name(subject) else {
        return Err(format!("unknown subject `{subject}` ({})", subject_names(", ")));
    };
    let hooks = if timed { subject::timed_hooks(&*s, mode) } else { subject::hooks(&*s, mode) };
    hooks.map_err(|e| format!("reading the hooks of {subject} from its BPF object: {e}"))
}

pub fn main(args: &[String]) -> ! {
    let mut subject = None;
    let mut mode = ProbeMode::Tracepoint;
    let mut timed = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timed" => timed = true,
            "--probe" => match it.next().and_then(|m| parse_mode(m)) {
                Some(m) => mode = m,
                None => die("--probe needs tracepoint, kprobe, fentry or cgroup"),
            },
            s if subject.is_none() => subject = Some(s.to_string()),
            other => die(&format!("unexpected argument `{other}`")),
        }
    }
    let Some(subject) = subject else {
        die(&format!(
            "usage: argtrace-bench empty-bpf {} [--probe tracepoint|kprobe|fentry|cgroup] [--timed]",
            subject_names("|")
        ))
    };
    // Blocked before attaching: a stop that arrives early still ends us cleanly.
    let stop = sys::block_stop_signals();
    let hooks = hooks(&subject, mode, timed).unwrap_or_else(|e| die(&e));
    let mut live = Vec::new();
    for hook in &hooks {
        match attach(hook) {
            Ok(fds) => live.push(fds),
            Err(e) => die(&format!("attaching the empty program to {hook:?} failed: {e}")),
        }
    }
    eprintln!("argtrace-bench: empty program attached to {} {} hooks of {subject}", live.len(), mode.name());
    sys::wait_signal(&stop);
    drop(live);
    std::process::exit(0);
}

fn die(msg: &str) -> ! {
    eprintln!("argtrace-bench: {msg}");
    std::process::exit(1);
}

// bpf(2) commands, program types and attach types (include/uapi/linux/bpf.h).
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_RAW_TRACEPOINT_OPEN: libc::c_long = 17;
const BPF_PROG_TYPE_KPROBE: u32 = 2;
const BPF_PROG_TYPE_TRACEPOINT: u32 = 5;
const BPF_PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
const BPF_PROG_TYPE_TRACING: u32 = 26;
const BPF_TRACE_FENTRY: u32 = 24;
const BPF_TRACE_FEXIT: u32 = 25;
// perf_event_open(2) (include/uapi/linux/perf_event.h).
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;
/// PERF_ATTR_SIZE_VER5: known to every kernel with BPF perf links.
const PERF_ATTR_SIZE: usize = 112;

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

/// Loads `r0 = 0; exit` as a program of `prog_type`.
fn load_empty(prog_type: u32, attach_type: u32, attach_btf_id: u32) -> io::Result<OwnedFd> {
    // Two instructions: BPF_ALU64|BPF_MOV|BPF_K r0 = 0, then BPF_JMP|BPF_EXIT.
    let insns: [u64; 2] = [0xb7, 0x95];
    let license = c"GPL";
    let mut log = vec![0u8; 4096];
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, prog_type);
    put_u32(&mut attr, 4, insns.len() as u32);
    put_u64(&mut attr, 8, insns.as_ptr() as u64);
    put_u64(&mut attr, 16, license.as_ptr() as u64);
    put_u32(&mut attr, 24, 1);
    put_u32(&mut attr, 28, log.len() as u32);
    put_u64(&mut attr, 32, log.as_mut_ptr() as u64);
    attr[48..48 + 11].copy_from_slice(b"bench_empty");
    put_u32(&mut attr, 68, attach_type);
    put_u32(&mut attr, 108, attach_btf_id);
    bpf(BPF_PROG_LOAD, &mut attr).map_err(|e| {
        let end = log.iter().position(|b| *b == 0).unwrap_or(0);
        let text = String::from_utf8_lossy(&log[..end]);
        if text.trim().is_empty() {
            e
        } else {
            io::Error::new(e.kind(), format!("{e}; verifier: {}", text.trim()))
        }
    })
}

fn perf_event_open(attr: &[u8; PERF_ATTR_SIZE]) -> io::Result<OwnedFd> {
    // SAFETY: attr is a live perf_event_attr of the size it declares; pid -1
    // with cpu 0 is how libbpf opens system-wide tracepoint and kprobe events.
    let rc =
        unsafe { libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), -1i32, 0i32, -1i32, PERF_FLAG_FD_CLOEXEC) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as i32) })
}

fn set_bpf_and_enable(event: &OwnedFd, prog: &OwnedFd) -> io::Result<()> {
    // SAFETY: ioctls on a perf event descriptor we own, with an integer argument.
    unsafe {
        if libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_SET_BPF, prog.as_raw_fd()) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_ENABLE, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn read_trimmed(path: &str) -> io::Result<String> {
    Ok(fs::read_to_string(path)?.trim().to_string())
}

/// Loads and attaches one empty program; the descriptors keep it attached.
fn attach(hook: &Hook) -> io::Result<Vec<OwnedFd>> {
    match hook {
        Hook::Tracepoint { category, name } => {
            let tracefs = argtrace::sys::ensure_tracefs().map_err(io::Error::other)?;
            let id: u64 =
                read_trimmed(&format!("{tracefs}/events/{category}/{name}/id"))?.parse().map_err(io::Error::other)?;
            let prog = load_empty(BPF_PROG_TYPE_TRACEPOINT, 0, 0)?;
            let mut attr = [0u8; PERF_ATTR_SIZE];
            put_u32(&mut attr, 0, PERF_TYPE_TRACEPOINT);
            put_u32(&mut attr, 4, PERF_ATTR_SIZE as u32);
            put_u64(&mut attr, 8, id);
            let event = perf_event_open(&attr)?;
            set_bpf_and_enable(&event, &prog)?;
            Ok(vec![prog, event])
        }
        Hook::Kprobe { function: func, ret } => {
            let pmu = "/sys/bus/event_source/devices/kprobe";
            let ty: u32 = read_trimmed(&format!("{pmu}/type"))?.parse().map_err(io::Error::other)?;
            let mut config = 0u64;
            if *ret {
                // "config:0" on every kernel so far; read it rather than assume.
                let bit: u64 = read_trimmed(&format!("{pmu}/format/retprobe"))?
                    .trim_start_matches("config:")
                    .parse()
                    .map_err(io::Error::other)?;
                config = 1 << bit;
            }
            let name = std::ffi::CString::new(func.as_str()).map_err(io::Error::other)?;
            let prog = load_empty(BPF_PROG_TYPE_KPROBE, 0, 0)?;
            let mut attr = [0u8; PERF_ATTR_SIZE];
            put_u32(&mut attr, 0, ty);
            put_u32(&mut attr, 4, PERF_ATTR_SIZE as u32);
            put_u64(&mut attr, 8, config);
            put_u64(&mut attr, 56, name.as_ptr() as u64); // config1: kprobe_func
            let event = perf_event_open(&attr)?;
            set_bpf_and_enable(&event, &prog)?;
            Ok(vec![prog, event])
        }
        Hook::Fentry { function: func, exit } => {
            let btf = fs::read("/sys/kernel/btf/vmlinux")?;
            let id = btf_func_id(&btf, func)
                .ok_or_else(|| io::Error::other(format!("no BTF function {func} in vmlinux")))?;
            let attach_type = if *exit { BPF_TRACE_FEXIT } else { BPF_TRACE_FENTRY };
            let prog = load_empty(BPF_PROG_TYPE_TRACING, attach_type, id)?;
            let mut attr = [0u8; 16];
            put_u32(&mut attr, 8, prog.as_raw_fd() as u32); // raw_tracepoint.prog_fd
            let link = bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr)?;
            Ok(vec![prog, link])
        }
        Hook::Cgroup { attach } => crate::emptycgroup::attach(attach),
        Hook::SocketFilter => Err(io::Error::other("no empty program for a socket filter")),
        // tcp-send's tp_btf program is left out where the kernel lacks its
        // tracepoint, as argtrace leaves it out.
        Hook::RawTracepoint { name, .. } if !argtrace::sys::tracepoint_exists(name) => Ok(vec![]),
        Hook::RawTracepoint { name, .. } => {
            let name = std::ffi::CString::new(name.as_str()).map_err(io::Error::other)?;
            let prog = load_empty(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0)?;
            let mut attr = [0u8; 16];
            put_u64(&mut attr, 0, name.as_ptr() as u64); // raw_tracepoint.name
            put_u32(&mut attr, 8, prog.as_raw_fd() as u32); // raw_tracepoint.prog_fd
            let link = bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr)?;
            Ok(vec![prog, link])
        }
        Hook::Other(section) => Err(io::Error::other(format!("no empty program for section `{section}`"))),
    }
}

/// The BTF type id of the function `name` in a raw BTF blob (the format of
/// /sys/kernel/btf/vmlinux, include/uapi/linux/btf.h).
fn btf_func_id(btf: &[u8], name: &str) -> Option<u32> {
    let u32_at = |off: usize| -> Option<u32> { Some(u32::from_ne_bytes(btf.get(off..off + 4)?.try_into().ok()?)) };
    if btf.get(0..2)? != 0xeb9fu16.to_ne_bytes() {
        return None;
    }
    let hdr_len = u32_at(4)? as usize;
    let (type_off, type_len) = (u32_at(8)? as usize, u32_at(12)? as usize);
    let str_off = u32_at(16)? as usize;
    let strings = btf.get(hdr_len + str_off..)?;
    let name_at = |off: usize| -> &[u8] {
        let s = strings.get(off..).unwrap_or_default();
        &s[..s.iter().position(|b| *b == 0).unwrap_or(s.len())]
    };
    let mut pos = hdr_len + type_off;
    let end = pos + type_len;
    let mut id = 1u32;
    while pos + 12 <= end {
        let name_off = u32_at(pos)? as usize;
        let info = u32_at(pos + 4)?;
        let vlen = (info & 0xffff) as usize;
        let kind = (info >> 24) & 0x1f;
        const BTF_KIND_FUNC: u32 = 12;
        if kind == BTF_KIND_FUNC && name_at(name_off) == name.as_bytes() {
            return Some(id);
        }
        // Each kind's trailing data after the 12-byte struct btf_type.
        let extra = match kind {
            1 => 4,             // INT
            3 => 12,            // ARRAY
            4 | 5 => 12 * vlen, // STRUCT, UNION: btf_member
            6 => 8 * vlen,      // ENUM: btf_enum
            13 => 8 * vlen,     // FUNC_PROTO: btf_param
            14 => 4,            // VAR
            15 => 12 * vlen,    // DATASEC: btf_var_secinfo
            17 => 4,            // DECL_TAG
            19 => 12 * vlen,    // ENUM64
            _ => 0,             // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        };
        pos += 12 + extra;
        id += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use argtrace::family::ProbeMode;
    use argtrace::subject::{self, Hook};

    #[test]
    fn timed_hooks_are_the_plain_ones_and_the_start_programs() {
        for s in subject::all() {
            for &mode in s.modes() {
                let plain = super::hooks(s.name(), mode, false).expect("plain hooks");
                let timed = super::hooks(s.name(), mode, true).expect("timed hooks");
                assert!(timed.starts_with(&plain), "{} {}", s.name(), mode.name());
                assert!(timed.iter().all(|h| !matches!(h, Hook::Other(_))), "{} {}: {timed:?}", s.name(), mode.name());
            }
        }
        // mmap's fexit in fentry mode gets its fentry with -T and -s.
        let timed = super::hooks("mmap", ProbeMode::Fentry, true).unwrap();
        assert!(timed.contains(&Hook::Fentry { function: "ksys_mmap_pgoff".into(), exit: false }));
    }

    #[test]
    fn finds_a_function_in_the_running_kernels_btf() {
        let Ok(btf) = std::fs::read("/sys/kernel/btf/vmlinux") else {
            return;
        };
        assert!(super::btf_func_id(&btf, "tcp_connect").is_some());
        assert!(super::btf_func_id(&btf, "no_such_function_in_any_kernel").is_none());
    }
}
