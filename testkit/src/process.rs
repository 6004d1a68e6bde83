//! The small libc calls around processes that tests, triggers and workloads make.

use std::io;

/// The calling thread's id.
pub fn gettid() -> u32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// Sends `sig` to `pid` (a child of ours).
pub fn signal(pid: i32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, sig) };
}

/// Pins the calling thread (and so the processes it forks or execs) to one CPU.
pub fn pin_self_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: set is a zeroed cpu_set_t filled by the CPU_* helpers; pid 0
    // means the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
