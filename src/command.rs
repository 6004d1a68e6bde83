//! `argtrace SUBJECT -- CMD [ARGS...]`: the command argtrace starts, held
//! back until tracing is attached, then releases, waits for, and whose status
//! it exits with. The child is forked before any BPF work, so it runs with
//! the credentials argtrace was started with (-Z drops only argtrace's own),
//! and blocks on a pipe until the parent, attached, writes one byte: its next
//! call is the execve that the tracer sees. Like sys.rs, this is a home of
//! libc calls (fork, execv, waitpid, kill).

use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use crate::error::{exit, Error, Result};

/// Checks, before any BPF work, that `program` can be executed as execvp
/// would find it (a path, or a name searched in PATH): one clear line and
/// the shells' codes, 127 when it is not there, 126 when it is not
/// executable. The exec itself reports what this cannot foresee.
pub fn check_runnable(program: &std::ffi::OsStr) -> Result<()> {
    resolve(program).map(|_| ())
}

/// Where `program` is, as execvp would find it (see `check_runnable`): the
/// child executes that file, so that, as under strace, its one execve is the
/// first call seen, not a failed execve per PATH entry before it.
fn resolve(program: &std::ffi::OsStr) -> Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let name = program.to_string_lossy();
    let candidates: Vec<std::path::PathBuf> = if program.as_bytes().contains(&b'/') {
        vec![program.into()]
    } else {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        std::env::split_paths(&path).map(|d| d.join(program)).collect()
    };
    let mut found = None;
    for c in &candidates {
        match std::fs::metadata(c) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => return Ok(c.clone()),
            Ok(m) => found = found.or(Some((c, if m.is_dir() { "is a directory" } else { "is not executable" }))),
            Err(_) => {}
        }
    }
    match found {
        Some((path, why)) => {
            Err(Error::Command(format!("cannot run {name}: {} {why}", path.display()), exit::CANNOT_EXECUTE))
        }
        None if candidates.len() == 1 => {
            Err(Error::Command(format!("cannot run {name}: no such file"), exit::NOT_FOUND))
        }
        None => Err(Error::Command(format!("cannot run {name}: not found in PATH"), exit::NOT_FOUND)),
    }
}

/// A forked child that waits for `release` before it executes the command.
/// Dropped unreleased (tracing could not attach), it is killed and reaped.
pub struct Held {
    pid: libc::pid_t,
    /// The write end of the pipe the child waits on.
    go: Option<OwnedFd>,
    /// The read end of the pipe the child reports a failed execv on
    /// (close-on-exec: end of file means the command is running).
    failed: OwnedFd,
    name: String,
}

/// Both ends of a new close-on-exec pipe: (read, write).
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::Runtime(format!("pipe for the command: {}", std::io::Error::last_os_error())));
    }
    // SAFETY: pipe2 succeeded: both descriptors are new and ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl Held {
    /// Forks the child that will run `argv` (argv[0] searched in PATH, as
    /// execvp does, by argtrace) once released.
    pub fn spawn(argv: &[OsString]) -> Result<Held> {
        let args: Vec<CString> = argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::Usage("the command after -- has an argument with a NUL byte".into()))?;
        let name = argv[0].to_string_lossy().into_owned();
        let file = CString::new(resolve(&argv[0])?.into_os_string().as_bytes())
            .map_err(|_| Error::Usage("the command after -- has a NUL byte".into()))?;
        let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        let (wait_rd, go) = pipe()?;
        let (failed, failed_wr) = pipe()?;
        // SAFETY: the child only calls async-signal-safe functions on memory
        // prepared before the fork (child_exec), then execs or exits.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(Error::Runtime(format!("fork for the command: {}", std::io::Error::last_os_error())));
        }
        if pid == 0 {
            // SAFETY: in the child; the descriptors and pointers are valid.
            unsafe {
                child_exec(wait_rd.as_raw_fd(), go.as_raw_fd(), failed.as_raw_fd(), failed_wr.as_raw_fd(), &file, &ptrs)
            }
        }
        drop((wait_rd, failed_wr));
        Ok(Held { pid, go: Some(go), failed, name })
    }

    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Lets the child execute the command; an error (127: not found, 126:
    /// not executable, as shells say) once it has failed to, and been reaped.
    pub fn release(mut self) -> Result<Running> {
        let go = self.go.take().expect("released once");
        // SAFETY: one byte from a valid buffer to our own pipe.
        unsafe { libc::write(go.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        drop(go);
        let mut errno = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            // SAFETY: reads into the rest of a valid 4-byte buffer.
            let n = unsafe { libc::read(self.failed.as_raw_fd(), errno[got..].as_mut_ptr().cast(), 4 - got) };
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            if n <= 0 {
                break;
            }
            got += n as usize;
        }
        let pid = self.pid;
        self.pid = 0;
        if got < 4 {
            return Ok(Running { pid });
        }
        reap(pid);
        let errno = i32::from_ne_bytes(errno);
        let why = std::io::Error::from_raw_os_error(errno).to_string();
        let why = why.split(" (os error").next().unwrap_or(&why).to_string();
        let code = if errno == libc::ENOENT || errno == libc::ENOTDIR { exit::NOT_FOUND } else { exit::CANNOT_EXECUTE };
        Err(Error::Command(format!("cannot run {}: {why}", self.name), code))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.pid > 0 {
            // SAFETY: our own child, never released, so never reaped.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            reap(self.pid);
        }
    }
}

/// The child's side: wait for the parent's byte, then execv `file`; a failure is
/// reported as its errno on `failed_wr` and ends the child with 127. End of
/// file instead of the byte (argtrace gone) ends it without running anything.
///
/// # Safety
/// Called in the child just after fork, with valid descriptors and a
/// NULL-terminated array of valid C strings.
unsafe fn child_exec(
    wait_rd: i32,
    go: i32,
    failed: i32,
    failed_wr: i32,
    file: &CString,
    argv: &[*const libc::c_char],
) -> ! {
    libc::close(go);
    libc::close(failed);
    // Rust ignores SIGPIPE in argtrace; an ignored signal stays ignored
    // across execve, and the command must get the default (std's Command
    // resets it too).
    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    let mut byte = 0u8;
    loop {
        let n = libc::read(wait_rd, (&mut byte as *mut u8).cast(), 1);
        if n == 1 {
            break;
        }
        if n < 0 && *libc::__errno_location() == libc::EINTR {
            continue;
        }
        libc::_exit(exit::NOT_FOUND);
    }
    // wait_rd closes itself at exec: no call between the byte and execve.
    libc::execv(file.as_ptr(), argv.as_ptr());
    let errno = *libc::__errno_location();
    libc::write(failed_wr, (&errno as *const i32).cast(), 4);
    libc::_exit(exit::NOT_FOUND)
}

/// Waits for a child, without a timeout.
fn reap(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid int for waitpid to fill.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return status;
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 0;
        }
    }
}

/// A released command: its pid, and the wait for its end.
pub struct Running {
    pid: libc::pid_t,
}

impl Running {
    /// Waits, on a thread of its own, for the command to end; then asks the
    /// run to stop. The handle gives the exit status argtrace ends with: the
    /// command's, or 128+N for a death by signal N, as shells say.
    pub fn watch(self) -> std::thread::JoinHandle<i32> {
        let pid = self.pid;
        crate::sys::forward_stop_signals(pid);
        std::thread::spawn(move || {
            // Ended but not yet reaped: no signal can reach another process
            // that takes its pid once the handler stops passing them on.
            // SAFETY: info is a valid siginfo_t for waitid to fill.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            while unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) } != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
            {}
            crate::sys::forward_stop_signals(0);
            let status = reap(pid);
            crate::sys::request_stop();
            if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                libc::WEXITSTATUS(status)
            }
        })
    }
}
