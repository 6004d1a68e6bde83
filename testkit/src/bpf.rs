//! Raw bpf(2) and perf_event_open(2), with no libbpf and no object file: an
//! empty program (`r0 = N; exit`) of any type, loaded and attached to one
//! hook, and the ids of what the kernel has loaded. The e2e suite uses it to
//! find out which probe modes a kernel really has (e2e/src/detect.rs) and to
//! see that nothing is left behind; the benchmark for its floor, the cost
//! of a hook with an empty program on it (bench/src/emptyprog.rs).
//!
//! Attributes are byte buffers written at the offsets of the kernel's unions
//! (include/uapi/linux/bpf.h, include/uapi/linux/perf_event.h): every field
//! used here has been where it is since the kernel first had it.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

// bpf(2) commands.
pub const BPF_PROG_LOAD: libc::c_long = 5;
pub const BPF_PROG_GET_NEXT_ID: libc::c_long = 11;
pub const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
pub const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
pub const BPF_PROG_QUERY: libc::c_long = 16;
pub const BPF_RAW_TRACEPOINT_OPEN: libc::c_long = 17;
pub const BPF_TASK_FD_QUERY: libc::c_long = 20;
pub const BPF_LINK_CREATE: libc::c_long = 28;
pub const BPF_LINK_GET_NEXT_ID: libc::c_long = 31;
pub const BPF_ENABLE_STATS: libc::c_long = 32;

// Program types.
pub const BPF_PROG_TYPE_KPROBE: u32 = 2;
pub const BPF_PROG_TYPE_TRACEPOINT: u32 = 5;
pub const BPF_PROG_TYPE_CGROUP_SKB: u32 = 8;
pub const BPF_PROG_TYPE_CGROUP_SOCK: u32 = 9;
pub const BPF_PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
pub const BPF_PROG_TYPE_CGROUP_SOCK_ADDR: u32 = 18;
pub const BPF_PROG_TYPE_TRACING: u32 = 26;

// Attach types of tracing programs.
pub const BPF_TRACE_FENTRY: u32 = 24;
pub const BPF_TRACE_FEXIT: u32 = 25;

// perf_event_open(2).
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;
/// PERF_ATTR_SIZE_VER5: known to every kernel with BPF perf links.
const PERF_ATTR_SIZE: usize = 112;

/// The kprobe PMU; its `type` file is the perf type of a kprobe event.
pub const KPROBE_PMU: &str = "/sys/bus/event_source/devices/kprobe";

pub fn put_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

pub fn put_u64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

pub fn u32_at(buf: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(buf[off..off + 4].try_into().expect("4 bytes"))
}

pub fn u64_at(buf: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(buf[off..off + 8].try_into().expect("8 bytes"))
}

/// bpf(2) on a raw attribute buffer; the non-negative result.
pub fn call(cmd: libc::c_long, attr: &mut [u8]) -> io::Result<i64> {
    // SAFETY: attr is a live buffer of the size passed; the kernel writes only within it.
    let rc = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as libc::c_uint) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// bpf(2) for the commands that return a new descriptor.
pub fn call_fd(cmd: libc::c_long, attr: &mut [u8]) -> io::Result<OwnedFd> {
    let fd = call(cmd, attr)?;
    // SAFETY: a non-negative return of these commands is a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// An empty program, `r0 = ret; exit`, as the kernel will load it.
#[derive(Clone, Copy, Debug)]
pub struct Empty<'a> {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// The BTF id of the function a tracing program attaches to (else 0).
    pub attach_btf_id: u32,
    /// What the program returns: 0 ignores an event; a cgroup program must
    /// return 1, or it refuses the call or drops the packet.
    pub ret: u32,
    /// Its name, as bpftool and the run-time statistics show it (15 bytes at most).
    pub name: &'a str,
}

impl<'a> Empty<'a> {
    /// `r0 = 0; exit` of `prog_type`, named `name`.
    pub fn new(prog_type: u32, name: &'a str) -> Self {
        Empty { prog_type, expected_attach_type: 0, attach_btf_id: 0, ret: 0, name }
    }

    /// Loads it; the error is the kernel's errno, as it said it.
    pub fn load(&self) -> io::Result<OwnedFd> {
        self.load_with(None)
    }

    /// Loads it; an error also carries what the verifier said, if anything.
    pub fn load_logged(&self) -> io::Result<OwnedFd> {
        let mut log = vec![0u8; 4096];
        self.load_with(Some(&mut log)).map_err(|e| {
            let end = log.iter().position(|b| *b == 0).unwrap_or(0);
            let text = String::from_utf8_lossy(&log[..end]);
            if text.trim().is_empty() {
                e
            } else {
                io::Error::new(e.kind(), format!("{e}; verifier: {}", text.trim()))
            }
        })
    }

    fn load_with(&self, log: Option<&mut [u8]>) -> io::Result<OwnedFd> {
        // Two instructions: BPF_ALU64|BPF_MOV|BPF_K r0 = imm (imm in the high
        // 32 bits), then BPF_JMP|BPF_EXIT.
        let insns: [u64; 2] = [0xb7 | (u64::from(self.ret) << 32), 0x95];
        let license = c"GPL";
        let mut attr = [0u8; 128];
        put_u32(&mut attr, 0, self.prog_type);
        put_u32(&mut attr, 4, insns.len() as u32);
        put_u64(&mut attr, 8, insns.as_ptr() as u64);
        put_u64(&mut attr, 16, license.as_ptr() as u64);
        if let Some(log) = log {
            put_u32(&mut attr, 24, 1); // log_level
            put_u32(&mut attr, 28, log.len() as u32);
            put_u64(&mut attr, 32, log.as_mut_ptr() as u64);
        }
        let name = &self.name.as_bytes()[..self.name.len().min(15)];
        attr[48..48 + name.len()].copy_from_slice(name); // prog_name
        put_u32(&mut attr, 68, self.expected_attach_type);
        put_u32(&mut attr, 108, self.attach_btf_id);
        call_fd(BPF_PROG_LOAD, &mut attr)
    }
}

/// perf_event_open(2) of a system-wide event of `perf_type` (pid -1, CPU 0,
/// as libbpf opens tracepoint and kprobe events), left disabled.
fn perf_event_open(perf_type: u32, config: u64, config1: u64) -> io::Result<OwnedFd> {
    let mut attr = [0u8; PERF_ATTR_SIZE];
    put_u32(&mut attr, 0, perf_type);
    put_u32(&mut attr, 4, PERF_ATTR_SIZE as u32);
    put_u64(&mut attr, 8, config);
    put_u64(&mut attr, 56, config1);
    // SAFETY: attr is a live perf_event_attr of the size it declares.
    let rc =
        unsafe { libc::syscall(libc::SYS_perf_event_open, attr.as_ptr(), -1i32, 0i32, -1i32, PERF_FLAG_FD_CLOEXEC) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(rc as i32) })
}

/// The perf event of the tracepoint whose tracefs `id` is given.
pub fn tracepoint_event(id: u64) -> io::Result<OwnedFd> {
    perf_event_open(PERF_TYPE_TRACEPOINT, id, 0)
}

/// A kprobe (or, with `retprobe_config`, a kretprobe: the bit the PMU's
/// format/retprobe names) on `function`, through the kprobe PMU of type `pmu_type`.
pub fn kprobe_event(pmu_type: u32, function: &CStr, retprobe_config: u64) -> io::Result<OwnedFd> {
    // config1 is kprobe_func; the string lives across the call.
    perf_event_open(pmu_type, retprobe_config, function.as_ptr() as u64)
}

/// Sets `prog` on the perf event; with `enable`, the event is also turned on
/// (the program then runs on every hit), otherwise it never fires.
pub fn set_bpf(event: &OwnedFd, prog: &OwnedFd, enable: bool) -> io::Result<()> {
    // SAFETY: ioctls on a perf event descriptor we own, with an integer argument.
    unsafe {
        if libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_SET_BPF, prog.as_raw_fd()) != 0 {
            return Err(io::Error::last_os_error());
        }
        if enable && libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_ENABLE, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// BPF_RAW_TRACEPOINT_OPEN: attaches a tracing program (fentry, fexit: no
/// name, the BTF id it was loaded with says where) or a raw tracepoint
/// program (to the tracepoint `name`); the descriptor is the attachment.
pub fn raw_tracepoint_open(prog: &OwnedFd, name: Option<&CStr>) -> io::Result<OwnedFd> {
    let mut attr = [0u8; 16];
    put_u64(&mut attr, 0, name.map_or(0, |n| n.as_ptr() as u64)); // raw_tracepoint.name
    put_u32(&mut attr, 8, prog.as_raw_fd() as u32); // raw_tracepoint.prog_fd
    call_fd(BPF_RAW_TRACEPOINT_OPEN, &mut attr)
}

/// BPF_LINK_CREATE of `prog` to `target` (a cgroup directory, say) for `attach_type`.
pub fn link_create(prog: &OwnedFd, target: impl AsFd, attach_type: u32) -> io::Result<OwnedFd> {
    let mut attr = [0u8; 64];
    put_u32(&mut attr, 0, prog.as_raw_fd() as u32);
    put_u32(&mut attr, 4, target.as_fd().as_raw_fd() as u32);
    put_u32(&mut attr, 8, attach_type);
    call_fd(BPF_LINK_CREATE, &mut attr)
}

/// The ids the kernel has now for BPF_PROG_GET_NEXT_ID or
/// BPF_LINK_GET_NEXT_ID, in ascending order.
pub fn ids(cmd: libc::c_long) -> Vec<u32> {
    let mut ids = Vec::new();
    let mut attr = [0u8; 16];
    // start_id, then next_id.
    while call(cmd, &mut attr).is_ok() {
        let next = u32_at(&attr, 4);
        ids.push(next);
        attr = [0u8; 16];
        put_u32(&mut attr, 0, next);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_empty_program_is_among_the_kernels_ids() {
        // Without the privilege to load, there is nothing to look for.
        let Ok(prog) = Empty::new(BPF_PROG_TYPE_TRACEPOINT, "testkit_ids").load() else {
            return;
        };
        // struct bpf_prog_info: id at 4, name at 64.
        let mut info = [0u8; 96];
        let mut attr = [0u8; 16];
        put_u32(&mut attr, 0, prog.as_raw_fd() as u32);
        put_u32(&mut attr, 4, info.len() as u32);
        put_u64(&mut attr, 8, info.as_mut_ptr() as u64);
        call(BPF_OBJ_GET_INFO_BY_FD, &mut attr).expect("info of our own program");
        assert_eq!(&info[64..76], b"testkit_ids\0");
        let all = ids(BPF_PROG_GET_NEXT_ID);
        assert!(all.contains(&u32_at(&info, 4)), "{all:?}");
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }
}
