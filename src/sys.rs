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

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Whether this process may load tracing BPF programs: CAP_BPF with
/// CAP_PERFMON (kernels since 5.8), or CAP_SYS_ADMIN.
pub fn has_bpf_privilege() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let has = |cap: u32| eff & (1u64 << cap) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
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

/// Makes SIGINT and SIGTERM ask for a clean stop instead of killing us.
pub fn install_stop_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
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

/// libbpf finds a tracepoint's id in tracefs; many systems do not mount it
/// by default. Mount it where the kernel expects it, as perf does. Returns
/// the directory tracefs is mounted on.
pub fn ensure_tracefs() -> Result<&'static str, String> {
    let have = |p: &str| std::path::Path::new(p).join("events").exists();
    let mounted = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].into_iter().find(|d| have(d));
    if let Some(dir) = mounted {
        return Ok(dir);
    }
    let target = c"/sys/kernel/tracing";
    // SAFETY: all arguments are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(c"tracefs".as_ptr(), target.as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null())
    };
    if rc == 0 && have("/sys/kernel/tracing") {
        Ok("/sys/kernel/tracing")
    } else {
        let err = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        Err(format!(
            "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: {} \
             (the kernel needs CONFIG_TRACING and CONFIG_FTRACE_SYSCALLS)",
            crate::error::describe_errno(err)
        ))
    }
}
