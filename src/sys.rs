//! Small facts about the running system: page size, processes, privileges,
//! clocks and the stop signals. Every libc call lives here.

use std::sync::atomic::{AtomicBool, Ordering};

/// The running kernel's page size (4K, 16K or 64K on arm64).
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

/// Whether a process or thread id exists right now.
pub fn process_exists(id: u32) -> bool {
    id != 0 && std::path::Path::new(&format!("/proc/{id}")).exists()
}

/// The process a thread id belongs to (its Tgid), if the id exists.
pub fn thread_group_of(id: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{id}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|v| v.trim().parse().ok())
}

/// Checks that `path` is a regular file holding BTF, before anything else
/// reads it: a FIFO or a device would block or mislead, and a file that is
/// not BTF must be blamed, not the kernel.
pub fn check_btf_file(path: &std::path::Path) -> Result<(), String> {
    use std::io::Read;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown} is not a BTF file: {}", io_reason(&e)))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a BTF file: not a regular file"));
    }
    let mut header = [0u8; 24];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| format!("{shown} is not a BTF file: {}", io_reason(&e)))?;
    // struct btf_header: magic 0xeB9F, version 1, then hdr_len and the type
    // and string sections' offsets and lengths after the header.
    let le = u16::from_le_bytes([header[0], header[1]]) == 0xeb9f;
    let be = u16::from_be_bytes([header[0], header[1]]) == 0xeb9f;
    if !(le || be) {
        return Err(format!("{shown} is not a BTF file: no BTF magic (0xeB9F) at its start"));
    }
    let word = |i: usize| {
        let b = [header[i], header[i + 1], header[i + 2], header[i + 3]];
        (if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }) as u64
    };
    let (hdr_len, type_end, str_end) = (word(4), word(8) + word(12), word(16) + word(20));
    if header[2] != 1 || hdr_len < 24 || hdr_len + type_end.max(str_end) > meta.len() {
        return Err(format!("{shown} is not a BTF file: its header does not match its size (truncated?)"));
    }
    // libbpf's own complaints would be more lines; the error below says it.
    libbpf_rs::set_print(None);
    libbpf_rs::btf::Btf::from_path(path)
        .map(drop)
        .map_err(|e| format!("{shown} is not a BTF file: libbpf cannot parse it ({e})"))
}

/// An I/O error's text without Rust's "(os error N)" tail.
pub fn io_reason(e: &std::io::Error) -> String {
    e.to_string().split(" (os error").next().unwrap_or_default().to_string()
}

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Whether this process may load tracing BPF programs: CAP_BPF with
/// CAP_PERFMON (kernels since 5.8), or CAP_SYS_ADMIN.
pub fn has_bpf_privilege() -> bool {
    let eff = effective_caps();
    let has = |cap: u32| eff & (1u64 << cap) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

/// This process's effective capability set.
fn effective_caps() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CLOCK_MONOTONIC now, in nanoseconds: bpf_ktime_get_ns()'s clock.
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// Nanoseconds to add to a bpf_ktime_get_ns() (CLOCK_MONOTONIC) stamp to
/// get wall-clock time since the epoch.
pub fn monotonic_to_realtime_offset() -> i128 {
    let before = clock_ns(libc::CLOCK_MONOTONIC);
    let real = clock_ns(libc::CLOCK_REALTIME);
    let after = clock_ns(libc::CLOCK_MONOTONIC);
    real as i128 - ((before as i128 + after as i128) / 2)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGINT, SIGTERM and SIGHUP (a closed terminal) ask for a clean
/// stop, with the summary, instead of killing us.
pub fn install_stop_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is
        // async-signal-safe; sigaction is given a zeroed, then filled struct.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_stop_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Whether a stop signal has arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Whether this process can use tracefs as tracepoint programs need it.
pub enum TracefsAccess {
    Readable,
    /// Mounted here, but its events cannot be listed by this user.
    NotReadable(&'static str),
    /// Not mounted, and this process could not mount it.
    NotMountedNoPrivilege,
    /// Not mounted, for a reason ensure_tracefs will name.
    Missing,
}

pub fn tracefs_access() -> TracefsAccess {
    for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        let events = std::path::Path::new(dir).join("events");
        match std::fs::read_dir(&events) {
            Ok(_) => return TracefsAccess::Readable,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return TracefsAccess::NotReadable(dir),
            Err(_) => {}
        }
    }
    let eff = effective_caps();
    if eff & (1u64 << CAP_SYS_ADMIN) == 0 {
        TracefsAccess::NotMountedNoPrivilege
    } else {
        TracefsAccess::Missing
    }
}

/// libbpf finds a tracepoint's id in tracefs; many systems do not mount it
/// by default. Mount it where the kernel expects it, as perf does.
pub fn ensure_tracefs() -> Result<(), String> {
    let have = |p: &str| std::path::Path::new(p).join("events").exists();
    if have("/sys/kernel/tracing") || have("/sys/kernel/debug/tracing") {
        return Ok(());
    }
    let target = c"/sys/kernel/tracing";
    // SAFETY: all arguments are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(c"tracefs".as_ptr(), target.as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null())
    };
    if rc == 0 && have("/sys/kernel/tracing") {
        Ok(())
    } else {
        let err = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        Err(format!(
            "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: {} \
             (the kernel needs CONFIG_TRACING and CONFIG_FTRACE_SYSCALLS)",
            crate::error::describe_errno(err)
        ))
    }
}
