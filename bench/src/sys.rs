//! The few system facts and calls the benchmark needs: clocks, CPU pinning,
//! a process's CPU time so far, reaping with rusage, signals. Every libc call
//! of the measuring side lives here (CPU pinning and kill(2) are the test
//! kit's, shared with the e2e suite).

use std::time::Duration;

pub use argtrace_testkit::process::{pin_self_to_cpu, signal};

/// CLOCK_MONOTONIC in nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    n.max(1) as usize
}

/// The CPU time (user + system, ns) every live thread of `pid` has used so far,
/// from /proc/<pid>/task/*/schedstat (nanosecond resolution, unlike /proc/<pid>/stat).
pub fn process_cpu_ns(pid: i32) -> u64 {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    dir.filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum()
}

/// What wait4 says about a finished child.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    /// Exit code, or 128 + signal number.
    pub code: i32,
    /// User + system CPU time of the child and its reaped children, ns.
    pub cpu_ns: u64,
    /// Peak resident set size, KiB (the largest of the child and its reaped children).
    pub maxrss_kib: u64,
}

fn exit_of(status: i32, ru: &libc::rusage) -> Exit {
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    Exit { code, cpu_ns: tv(ru.ru_utime) + tv(ru.ru_stime), maxrss_kib: ru.ru_maxrss as u64 }
}

/// Reaps `pid` if it has exited, without blocking.
pub fn try_reap(pid: i32) -> Option<Exit> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; both pointers are to live locals.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
    (rc == pid).then(|| exit_of(status, &ru))
}

/// Waits up to `limit` for `pid` to exit; then kills it and reaps it anyway.
/// Returns the exit and whether it came in time.
pub fn reap_within(pid: i32, limit: Duration) -> (Exit, bool) {
    let until = monotonic_ns() + limit.as_nanos() as u64;
    loop {
        if let Some(e) = try_reap(pid) {
            return (e, true);
        }
        if monotonic_ns() >= until {
            signal(pid, libc::SIGKILL);
            let mut status = 0;
            // SAFETY: as in try_reap.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
            return (exit_of(status, &ru), false);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread (so sigwait can take them).
pub fn block_stop_signals() -> libc::sigset_t {
    // SAFETY: the set is initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Waits for one of the signals of `set` (blocked beforehand).
pub fn wait_signal(set: &libc::sigset_t) -> i32 {
    let mut sig = 0;
    // SAFETY: set is initialised; sig is a live local.
    unsafe { libc::sigwait(set, &mut sig) };
    sig
}
