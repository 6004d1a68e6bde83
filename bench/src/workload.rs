//! The workloads: small loops of one system call each, run as
//! `argtrace-bench workload <name> <calls> [--cpu N] [--listener-cpu N]`
//! (the socket-churn loop is in sockchurn.rs).
//!
//! Protocol with the bench: the workload prepares (the TCP listener is a
//! separate, untraced process: the test kit's loopback listener), prints `ready <port>` on stdout, then blocks
//! until one byte arrives on stdin: the tracer attaches in between, so its
//! start-up is never inside the timed loop. After the loop it prints
//! `elapsed_ns <ns> failures <n>` (CLOCK_MONOTONIC around the loop only).

use std::io::{Read, Write};

use argtrace::family::ProbeMode;
use argtrace_testkit::loopback::{loopback6, Listener, Peer, SIN6_LEN};

use crate::{sockchurn, sys};

/// One workload: which call, how many by default, which argtrace subject sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Mmap,
    Fork,
    Tcp,
    /// Socket churn: socket + bind to port 0 + close (argtrace sock).
    Sock,
    /// tcp-send's: 1 KiB sends on one loopback connection (bench/src/stream.rs).
    Stream,
    /// `argtrace syscall`'s tight loop: getppid, the cheapest syscall that
    /// reaches the kernel every time.
    Getppid,
    /// `argtrace syscall`'s file-heavy loop: a walk of /usr as find does it
    /// (openat + getdents64 + close per directory), one statx per entry.
    Files,
}

/// The length every mmap of the loop asks for: 7 pages, a size nothing else in
/// the workload maps, so each tracer's output lines for the loop can be counted exactly.
pub const MMAP_LEN: usize = 7 * 4096;

impl Workload {
    pub const ALL: [Workload; 7] = [
        Workload::Mmap,
        Workload::Fork,
        Workload::Tcp,
        Workload::Sock,
        Workload::Stream,
        Workload::Getppid,
        Workload::Files,
    ];

    /// The workloads of `argtrace syscall` (its own raw_syscalls family).
    pub fn is_syscall(self) -> bool {
        matches!(self, Workload::Getppid | Workload::Files)
    }

    /// The workloads of the call subjects, whose probe modes (fentry, kprobe,
    /// tracepoint) the guest comparison measures.
    pub const CALLS: [Workload; 4] = [Workload::Mmap, Workload::Fork, Workload::Tcp, Workload::Stream];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Mmap => "mmap",
            Workload::Fork => "fork",
            Workload::Tcp => "tcp",
            Workload::Sock => "sock",
            Workload::Stream => "stream",
            Workload::Getppid => "getppid",
            Workload::Files => "files",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Workload::Mmap => "mmap+munmap of 28 KiB, anonymous",
            Workload::Fork => "fork (glibc: clone) + waitpid, the child _exits at once",
            Workload::Tcp => "connect to a listener on [::1], SO_LINGER 0, close",
            Workload::Sock => "socket(AF_INET, SOCK_STREAM) + bind to 127.0.0.1 port 0 + close",
            Workload::Stream => "send() of 1 KiB on one connection to [::1], read by another process",
            Workload::Getppid => "getppid() in a tight loop (syscall(SYS_getppid): never cached)",
            Workload::Files => {
                "a walk of /usr as find does it (openat, getdents64, close per directory), one statx per entry; calls = entries"
            }
        }
    }

    pub fn parse(s: &str) -> Option<Workload> {
        match s {
            "mmap" => Some(Workload::Mmap),
            "fork" | "clone" => Some(Workload::Fork),
            "tcp" | "tcp-connect" | "connect" => Some(Workload::Tcp),
            "sock" | "socket" | "churn" => Some(Workload::Sock),
            "stream" | "tcp-send" | "send" => Some(Workload::Stream),
            "getppid" | "syscall" => Some(Workload::Getppid),
            "files" | "find" => Some(Workload::Files),
            _ => None,
        }
    }

    /// The argtrace subcommand that traces this workload's calls.
    pub fn subject(self) -> &'static str {
        match self {
            Workload::Mmap => "mmap",
            Workload::Fork => "clone",
            Workload::Tcp => "tcp-connect",
            Workload::Sock => "sock",
            Workload::Stream => "tcp-send",
            Workload::Getppid | Workload::Files => "syscall",
        }
    }

    /// The probe mode argtrace and the empty program use on the host:
    /// tracepoints (the only call mode of the project's machine), cgroup for sock.
    pub fn host_mode(self) -> ProbeMode {
        match self {
            Workload::Sock => ProbeMode::Cgroup,
            Workload::Getppid | Workload::Files => ProbeMode::TpBtf,
            _ => ProbeMode::Tracepoint,
        }
    }

    pub fn default_calls(self) -> u64 {
        match self {
            Workload::Mmap => 200_000,
            Workload::Fork => 5_000,
            Workload::Tcp => 20_000,
            Workload::Sock => 20_000,
            Workload::Stream => 50_000,
            Workload::Getppid => 1_000_000,
            Workload::Files => 200_000,
        }
    }

    pub fn quick_calls(self) -> u64 {
        match self {
            Workload::Mmap => 50_000,
            Workload::Fork => 1_000,
            Workload::Tcp => 5_000,
            Workload::Sock => 5_000,
            Workload::Stream => 12_500,
            Workload::Getppid => 250_000,
            Workload::Files => 50_000,
        }
    }
}

/// `argtrace-bench workload ...`: never returns.
pub fn main(args: &[String]) -> ! {
    let usage =
        "usage: argtrace-bench workload mmap|fork|tcp|sock|stream|getppid|files CALLS [--cpu N] [--listener-cpu N]";
    let (Some(kind), Some(calls)) =
        (args.first().and_then(|s| Workload::parse(s)), args.get(1).and_then(|s| s.parse::<u64>().ok()))
    else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let mut cpu = None;
    let mut listener_cpu = None;
    let mut it = args[2..].iter();
    while let Some(a) = it.next() {
        let v = it.next().and_then(|v| v.parse::<usize>().ok());
        match (a.as_str(), v) {
            ("--cpu", Some(n)) => cpu = Some(n),
            ("--listener-cpu", Some(n)) => listener_cpu = Some(n),
            _ => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        }
    }

    // The peer of the loopback workloads: a separate, untraced process.
    let peer = match kind {
        Workload::Tcp => Some(Peer::AcceptAndClose),
        Workload::Stream => Some(Peer::Drain),
        _ => None,
    };
    let listener = peer.map(|peer| {
        Listener::start(peer, listener_cpu).unwrap_or_else(|e| {
            eprintln!("workload: cannot start the TCP listener: {e}");
            std::process::exit(1);
        })
    });
    if let Some(cpu) = cpu {
        if let Err(e) = sys::pin_self_to_cpu(cpu) {
            eprintln!("workload: cannot pin to CPU {cpu}: {e}");
        }
    }

    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ready {}", listener.as_ref().map_or(0, |l| l.port));
    let _ = stdout.flush();
    let mut go = [0u8; 1];
    if !matches!(std::io::stdin().read(&mut go), Ok(1)) {
        std::process::exit(1);
    }

    let port = listener.as_ref().map_or(0, |l| l.port);
    let start = sys::monotonic_ns();
    let failures = match kind {
        Workload::Mmap => mmap_loop(calls),
        Workload::Fork => fork_loop(calls),
        Workload::Tcp => connect_loop(calls, port),
        Workload::Sock => sockchurn::churn_loop(calls),
        Workload::Stream => crate::stream::send_loop(calls, port),
        Workload::Getppid => getppid_loop(calls),
        Workload::Files => files_loop(calls),
    };
    let elapsed = sys::monotonic_ns() - start;

    if let Some(l) = listener {
        l.stop();
    }
    let _ = writeln!(stdout, "elapsed_ns {elapsed} failures {failures}");
    let _ = stdout.flush();
    std::process::exit(0);
}

fn mmap_loop(calls: u64) -> u64 {
    let mut failures = 0;
    for _ in 0..calls {
        // SAFETY: an anonymous private mapping, unmapped at once, never touched.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                MMAP_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                failures += 1;
                continue;
            }
            libc::munmap(p, MMAP_LEN);
        }
    }
    failures
}

fn getppid_loop(calls: u64) -> u64 {
    let mut failures = 0;
    for _ in 0..calls {
        // SAFETY: getppid takes no arguments and cannot fail.
        if unsafe { libc::syscall(libc::SYS_getppid) } <= 0 {
            failures += 1;
        }
    }
    failures
}

/// Where the file walk starts, and restarts when the tree is exhausted.
pub const FILES_ROOT: &str = "/usr";

/// Walks FILES_ROOT depth-first, statx (symlink_metadata) on every entry,
/// until `calls` entries are done; a directory that cannot be read is skipped.
fn files_loop(calls: u64) -> u64 {
    let mut done = 0;
    let mut failures = 0;
    while done < calls {
        let mut stack = vec![std::path::PathBuf::from(FILES_ROOT)];
        let before = done;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                if done == calls {
                    return failures;
                }
                let path = e.path();
                done += 1;
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => stack.push(path),
                    Ok(_) => {}
                    Err(_) => failures += 1,
                }
            }
        }
        if done == before {
            return failures + (calls - done);
        }
    }
    failures
}

fn fork_loop(calls: u64) -> u64 {
    let mut failures = 0;
    for _ in 0..calls {
        // SAFETY: the workload is single-threaded, and the child only calls
        // the async-signal-safe _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe { libc::_exit(0) };
        }
        if pid < 0 {
            failures += 1;
            continue;
        }
        let mut status = 0;
        // SAFETY: status is a live local.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }
    failures
}

fn connect_loop(calls: u64, port: u16) -> u64 {
    let addr = loopback6(port);
    // An abortive close (RST) leaves no TIME_WAIT behind: 20 000 connects per
    // run, several runs a minute, would otherwise eat the ephemeral ports.
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    let mut failures = 0;
    for _ in 0..calls {
        // SAFETY: plain socket calls on a descriptor this loop owns; the
        // pointers are to live locals with their true sizes.
        unsafe {
            let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                failures += 1;
                continue;
            }
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
            let rc = libc::connect(fd, &addr as *const _ as *const libc::sockaddr, SIN6_LEN);
            if rc != 0 {
                failures += 1;
            }
            libc::close(fd);
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::Workload;

    #[test]
    fn every_workload_is_traced_by_one_of_argtraces_subjects() {
        for w in Workload::ALL {
            assert!(argtrace::subject::by_name(w.subject()).is_some(), "{} names no argtrace subject", w.subject());
        }
    }
}
