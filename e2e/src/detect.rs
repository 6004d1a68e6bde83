//! Which probe modes this kernel really has, found out by the tests themselves
//! and independently of argtrace's own choice (src/probe.rs): for each mode, an
//! empty BPF program (`r0 = 0; exit`) of the mode's program type is loaded with
//! raw bpf(2) calls and attached to the hook argtrace's mmap subject uses in
//! that mode, then everything is closed at once. A mode counts only if both the
//! load and the attach work: arm64 6.1 loads fentry programs but refuses to
//! attach them (524, ENOTSUPP).
//!
//!   fentry      BPF_PROG_TYPE_TRACING / BPF_TRACE_FENTRY on the BTF id of the
//!               FUNC `ksys_mmap_pgoff` in /sys/kernel/btf/vmlinux, attached with
//!               BPF_RAW_TRACEPOINT_OPEN
//!   kprobe      the kprobe PMU (/sys/bus/event_source/devices/kprobe/type):
//!               perf_event_open of a kprobe on `ksys_mmap_pgoff` and a
//!               BPF_PROG_TYPE_KPROBE program set on it (without the PMU, a
//!               probe written to and removed from tracefs' kprobe_events)
//!   tracepoint  tracefs (mounted on /sys/kernel/tracing if it is not, as
//!               argtrace does): events/syscalls/sys_enter_mmap, perf_event_open
//!               of its id and a BPF_PROG_TYPE_TRACEPOINT program set on it
//!
//! The raw bpf()/perf_event_open code and the BTF walk are copied from
//! bench/src/emptyprog.rs and bench/src/sys.rs (the benchmark's empty program),
//! so the tests do not depend on the benchmark crate.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// The modes in the order argtrace's auto tries them.
pub const ALL_MODES: [&str; 3] = ["fentry", "kprobe", "tracepoint"];

/// The function every trial attaches to (argtrace's mmap hook in fentry and kprobe mode).
const FUNC: &str = "ksys_mmap_pgoff";
/// The tracepoint the tracepoint trial attaches to (argtrace's mmap hook in that mode).
const TRACEPOINT: &str = "syscalls/sys_enter_mmap";

/// What the kernel said to each mode's trial, in `ALL_MODES` order.
pub struct Detection {
    /// (mode, Ok(evidence) if the mode works, Err(why not) if it does not).
    pub trials: Vec<(&'static str, Result<String, String>)>,
}

impl Detection {
    pub fn modes(&self) -> Vec<String> {
        self.trials.iter().filter(|(_, r)| r.is_ok()).map(|(m, _)| m.to_string()).collect()
    }

    pub fn lacks(&self) -> Vec<String> {
        self.trials.iter().filter(|(_, r)| r.is_err()).map(|(m, _)| m.to_string()).collect()
    }

    /// The mode argtrace's auto must choose: the first that works in fentry >
    /// kprobe > tracepoint order, or None when no mode works.
    pub fn auto(&self) -> Option<String> {
        self.modes().into_iter().next()
    }

    /// One line: `E2E-KERNEL modes=M,.. auto=M lacks=M(why),.. has=M(evidence),..`
    /// (`none` for an empty list). `modes=` and `auto=` come first and have no
    /// spaces, so a reader can split on whitespace for them.
    pub fn line(&self) -> String {
        let list = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(",") };
        let with = |ok: bool| {
            list(
                self.trials
                    .iter()
                    .filter(|(_, r)| r.is_ok() == ok)
                    .map(|(m, r)| format!("{m}({})", r.as_ref().unwrap_or_else(|e| e)))
                    .collect(),
            )
        };
        format!(
            "E2E-KERNEL modes={} auto={} lacks={} has={}",
            list(self.modes()),
            self.auto().unwrap_or_else(|| "none".into()),
            with(false),
            with(true)
        )
    }
}

pub fn detect() -> Detection {
    Detection { trials: vec![("fentry", try_fentry()), ("kprobe", try_kprobe()), ("tracepoint", try_tracepoint())] }
}

/// `EPERM`, `ENOTSUPP 524`... from an io::Error.
fn errno(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => match argtrace::decode::errno_name(n as u64) {
            Some(name) if n >= 512 => format!("{name} {n}"),
            Some(name) => name.to_string(),
            None => format!("errno {n}"),
        },
        None => e.to_string(),
    }
}

fn try_fentry() -> Result<String, String> {
    let path = "/sys/kernel/btf/vmlinux";
    let btf = fs::read(path).map_err(|e| format!("no BTF: {path}: {}", errno(&e)))?;
    let id = btf_func_id(&btf, FUNC).ok_or(format!("no BTF FUNC {FUNC} in {path}"))?;
    let prog = load_empty(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id).map_err(|e| format!("load: {}", errno(&e)))?;
    let mut attr = [0u8; 16];
    put_u32(&mut attr, 8, prog.as_raw_fd() as u32); // raw_tracepoint.prog_fd
    let link = bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr).map_err(|e| format!("attach to {FUNC}: {}", errno(&e)))?;
    drop((link, prog));
    Ok(format!("{FUNC} BTF id {id} loaded and attached"))
}

fn try_kprobe() -> Result<String, String> {
    let pmu = "/sys/bus/event_source/devices/kprobe";
    if Path::new(pmu).join("type").exists() {
        let ty: u32 = read_trimmed(&format!("{pmu}/type"))
            .map_err(|e| format!("{pmu}/type: {}", errno(&e)))?
            .parse()
            .map_err(|e| format!("{pmu}/type: {e}"))?;
        let prog = load_empty(BPF_PROG_TYPE_KPROBE, 0, 0).map_err(|e| format!("load: {}", errno(&e)))?;
        let name = std::ffi::CString::new(FUNC).expect("no NUL");
        let mut attr = [0u8; PERF_ATTR_SIZE];
        put_u32(&mut attr, 0, ty);
        put_u32(&mut attr, 4, PERF_ATTR_SIZE as u32);
        put_u64(&mut attr, 56, name.as_ptr() as u64); // config1: kprobe_func
        let event = perf_event_open(&attr).map_err(|e| format!("kprobe PMU on {FUNC}: {}", errno(&e)))?;
        set_bpf(&event, &prog).map_err(|e| format!("attach to {FUNC}: {}", errno(&e)))?;
        drop((event, prog));
        return Ok(format!("kprobe PMU type {ty} on {FUNC} opened and attached"));
    }
    // Kernels before 4.17 have kprobe_events but no PMU; libbpf falls back to it.
    let tracefs = ensure_tracefs().ok();
    let Some(events) = tracefs.map(|t| format!("{t}/kprobe_events")).filter(|p| Path::new(p).exists()) else {
        return Err("no kprobe PMU and no kprobe_events".into());
    };
    let probe = format!("argtrace_e2e/detect_{}", std::process::id());
    append(&events, &format!("p:{probe} {FUNC}"))
        .map_err(|e| format!("no kprobe PMU; kprobe_events on {FUNC}: {}", errno(&e)))?;
    let removed = append(&events, &format!("-:{probe}"));
    removed.map_err(|e| format!("removing the trial kprobe {probe}: {}", errno(&e)))?;
    Ok(format!("no kprobe PMU but kprobe_events took a probe on {FUNC}"))
}

fn try_tracepoint() -> Result<String, String> {
    let tracefs = ensure_tracefs()?;
    let id_path = format!("{tracefs}/events/{TRACEPOINT}/id");
    let id: u64 = read_trimmed(&id_path)
        .map_err(|e| format!("{id_path}: {}", errno(&e)))?
        .parse()
        .map_err(|e| format!("{id_path}: {e}"))?;
    let prog = load_empty(BPF_PROG_TYPE_TRACEPOINT, 0, 0).map_err(|e| format!("load: {}", errno(&e)))?;
    let mut attr = [0u8; PERF_ATTR_SIZE];
    put_u32(&mut attr, 0, PERF_TYPE_TRACEPOINT);
    put_u32(&mut attr, 4, PERF_ATTR_SIZE as u32);
    put_u64(&mut attr, 8, id);
    let event = perf_event_open(&attr).map_err(|e| format!("{TRACEPOINT} id {id}: {}", errno(&e)))?;
    set_bpf(&event, &prog).map_err(|e| format!("attach to {TRACEPOINT}: {}", errno(&e)))?;
    drop((event, prog));
    Ok(format!("{TRACEPOINT} id {id} opened and attached"))
}

fn read_trimmed(path: &str) -> io::Result<String> {
    Ok(fs::read_to_string(path)?.trim().to_string())
}

fn append(path: &str, line: &str) -> io::Result<()> {
    use std::io::Write;
    fs::OpenOptions::new().append(true).open(path)?.write_all(format!("{line}\n").as_bytes())
}

/// Mounts tracefs on /sys/kernel/tracing if neither usual place has it (what
/// argtrace and perf do); returns the directory that has `events/`.
fn ensure_tracefs() -> Result<&'static str, String> {
    for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        if Path::new(dir).join("events").exists() {
            return Ok(dir);
        }
    }
    // SAFETY: all arguments are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(c"tracefs".as_ptr(), c"/sys/kernel/tracing".as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null())
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(format!("no tracefs: mounting it on /sys/kernel/tracing failed: {}", errno(&e)));
    }
    if !Path::new("/sys/kernel/tracing/events").exists() {
        return Err("tracefs has no events/ directory".into());
    }
    Ok("/sys/kernel/tracing")
}

// bpf(2) commands, program types and attach types (include/uapi/linux/bpf.h).
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_RAW_TRACEPOINT_OPEN: libc::c_long = 17;
const BPF_PROG_TYPE_KPROBE: u32 = 2;
const BPF_PROG_TYPE_TRACEPOINT: u32 = 5;
const BPF_PROG_TYPE_TRACING: u32 = 26;
const BPF_TRACE_FENTRY: u32 = 24;
// perf_event_open(2) (include/uapi/linux/perf_event.h).
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;
/// PERF_ATTR_SIZE_VER5: known to every kernel with BPF perf links.
const PERF_ATTR_SIZE: usize = 112;

fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

/// bpf(2) on a raw attribute buffer, for the commands that return a new descriptor.
fn bpf(cmd: libc::c_long, attr: &mut [u8]) -> io::Result<OwnedFd> {
    // SAFETY: attr is a live buffer of the size passed; the kernel writes only within it.
    let rc = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as libc::c_uint) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a non-negative return of these commands is a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as i32) })
}

/// Loads `r0 = 0; exit` as a program of `prog_type` (license GPL).
fn load_empty(prog_type: u32, attach_type: u32, attach_btf_id: u32) -> io::Result<OwnedFd> {
    // Two instructions: BPF_ALU64|BPF_MOV|BPF_K r0 = 0, then BPF_JMP|BPF_EXIT.
    let insns: [u64; 2] = [0xb7, 0x95];
    let license = c"GPL";
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, prog_type);
    put_u32(&mut attr, 4, insns.len() as u32);
    put_u64(&mut attr, 8, insns.as_ptr() as u64);
    put_u64(&mut attr, 16, license.as_ptr() as u64);
    attr[48..48 + 10].copy_from_slice(b"e2e_detect"); // prog_name
    put_u32(&mut attr, 68, attach_type); // expected_attach_type
    put_u32(&mut attr, 108, attach_btf_id);
    bpf(BPF_PROG_LOAD, &mut attr)
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

/// Attaches the program to the perf event (left disabled: it never runs).
fn set_bpf(event: &OwnedFd, prog: &OwnedFd) -> io::Result<()> {
    // SAFETY: an ioctl on a perf event descriptor we own, with an integer argument.
    if unsafe { libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_SET_BPF, prog.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The BTF type id of the FUNC `name` in a raw BTF blob (the format of
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
    use super::*;

    #[test]
    fn finds_functions_in_the_running_kernels_btf() {
        let Ok(btf) = fs::read("/sys/kernel/btf/vmlinux") else {
            return;
        };
        assert!(btf_func_id(&btf, FUNC).is_some());
        assert!(btf_func_id(&btf, "no_such_function_in_any_kernel").is_none());
    }

    #[test]
    fn the_line_puts_modes_and_auto_first() {
        let d = Detection {
            trials: vec![
                ("fentry", Err("load: EPERM".into())),
                ("kprobe", Err("no kprobe PMU and no kprobe_events".into())),
                ("tracepoint", Ok("syscalls/sys_enter_mmap id 7 opened and attached".into())),
            ],
        };
        assert_eq!(
            d.line(),
            "E2E-KERNEL modes=tracepoint auto=tracepoint \
             lacks=fentry(load: EPERM),kprobe(no kprobe PMU and no kprobe_events) \
             has=tracepoint(syscalls/sys_enter_mmap id 7 opened and attached)"
        );
        assert_eq!(d.lacks(), ["fentry", "kprobe"]);
        let none = Detection { trials: vec![("fentry", Err("x".into()))] };
        assert!(none.line().starts_with("E2E-KERNEL modes=none auto=none lacks=fentry(x) has=none"));
    }
}
