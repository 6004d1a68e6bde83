//! The small libc calls around processes that tests, triggers and workloads
//! make, and a private mount namespace for a process that must not see a
//! part of the system.

use std::ffi::CString;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

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

/// Runs `cmd` in a mount namespace of its own (made private, so nothing
/// leaks back), where tmpfs hides each directory of `hide` and each mount
/// point of `detach` is unmounted: a system without BTF or without cgroup v2,
/// as far as that one process can tell.
pub fn in_private_mounts(cmd: &mut Command, hide: &[&str], detach: &[&str]) -> io::Result<()> {
    let c = |paths: &[&str]| {
        paths.iter().map(|p| CString::new(*p).map_err(io::Error::other)).collect::<io::Result<Vec<_>>>()
    };
    let (hide, detach) = (c(hide)?, c(detach)?);
    // SAFETY: between fork and exec only async-signal-safe syscalls run, on
    // strings made before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null();
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, none as _) != 0
            {
                return Err(io::Error::last_os_error());
            }
            for dir in &hide {
                if libc::mount(c"none".as_ptr(), dir.as_ptr(), c"tmpfs".as_ptr(), 0, none as _) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            for target in &detach {
                if libc::umount2(target.as_ptr(), libc::MNT_DETACH) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Ok(())
}
