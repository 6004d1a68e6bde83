//! Small facts about the running system: page size, processes, privileges,
//! clocks and the stop signals. Every libc call lives here.

use std::path::Path;
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
            status.lines().find_map(|l| l.strip_prefix("CapEff:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
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

/// The command argtrace started (`-- CMD`), once it runs: stop signals go to
/// it instead, as strace does, and the run stops when it exits.
static COMMAND: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn on_stop_signal(sig: libc::c_int) {
    let command = COMMAND.load(Ordering::SeqCst);
    if command > 0 {
        // SAFETY: kill is async-signal-safe; the pid is our own unreaped child.
        unsafe { libc::kill(command, sig) };
    } else {
        STOP.store(true, Ordering::SeqCst);
    }
}

/// From now on SIGINT, SIGTERM and SIGHUP are passed on to the command
/// `pid` (0: no longer), whose end stops the run (`request_stop`).
pub fn forward_stop_signals(pid: i32) {
    COMMAND.store(pid, Ordering::SeqCst);
}

/// Stops the run as a stop signal would: the command has ended.
pub fn request_stop() {
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
    let rc = unsafe { libc::mount(c"tracefs".as_ptr(), target.as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null()) };
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

/// The file system magic of cgroup v2 and v1 (include/uapi/linux/magic.h).
const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
const CGROUP_SUPER_MAGIC: i64 = 0x0027_e0eb;

/// An open cgroup v2 directory, to attach cgroup programs to.
#[derive(Debug)]
pub struct CgroupDir {
    path: std::path::PathBuf,
    fd: std::os::fd::OwnedFd,
}

impl CgroupDir {
    /// Opens `path` and checks that it is a directory of a cgroup v2 file
    /// system (statfs f_type CGROUP2_SUPER_MAGIC); the error names what it is
    /// instead.
    pub fn open(path: &std::path::Path) -> Result<CgroupDir, String> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {}", io_reason(&e)))?;
        if !meta.is_dir() {
            return Err(format!("{shown} is not a directory, let alone a cgroup v2 one"));
        }
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| format!("{shown}: the path holds a NUL byte"))?;
        // SAFETY: c_path is a valid NUL-terminated string; the descriptor
        // returned is owned below.
        let raw = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if raw < 0 {
            return Err(format!("{shown}: {}", io_reason(&std::io::Error::last_os_error())));
        }
        // SAFETY: raw is a new descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: st is a zeroed, writable statfs; fd is open.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut st) } != 0 {
            return Err(format!("{shown}: {}", io_reason(&std::io::Error::last_os_error())));
        }
        let magic = st.f_type as i64;
        if magic != CGROUP2_SUPER_MAGIC {
            let what = if magic == CGROUP_SUPER_MAGIC {
                "a cgroup v1 directory (cgroup programs attach to cgroup v2 only)".to_string()
            } else {
                format!("not a cgroup v2 directory (its file system's magic is {magic:#x}, not cgroup2's)")
            };
            let root =
                cgroup2_mount().map(|r| format!("; cgroup v2 is mounted at {}", r.display())).unwrap_or_default();
            return Err(format!("{shown} is {what}{root}"));
        }
        Ok(CgroupDir { path: path.to_path_buf(), fd })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }
}

/// Where the cgroup v2 hierarchy is mounted: the first cgroup2 line of
/// /proc/mounts (/sys/fs/cgroup on most systems, /sys/fs/cgroup/unified on
/// hybrid ones). None when it is not mounted.
pub fn cgroup2_mount() -> Option<std::path::PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    cgroup2_in_mounts(&mounts)
}

fn cgroup2_in_mounts(mounts: &str) -> Option<std::path::PathBuf> {
    mounts.lines().find_map(|line| {
        let mut fields = line.split(' ');
        let (_source, target, fstype) = (fields.next()?, fields.next()?, fields.next()?);
        (fstype == "cgroup2").then(|| std::path::PathBuf::from(unescape_mount_field(target)))
    })
}

/// /proc/mounts writes space, tab, newline and backslash in a path as octal
/// escapes (`\040`); turns them back into bytes.
fn unescape_mount_field(field: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b.get(i + 1..i + 4).filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                out.push(d.iter().fold(0u8, |v, c| v.wrapping_mul(8).wrapping_add(c - b'0')));
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
}

const CAP_NET_ADMIN: u32 = 12;

/// Whether this process may attach cgroup socket programs, which the kernel
/// counts as network administration (CAP_NET_ADMIN, or CAP_SYS_ADMIN).
pub fn has_net_admin() -> bool {
    let eff = effective_caps();
    eff & (1u64 << CAP_NET_ADMIN) != 0 || eff & (1u64 << CAP_SYS_ADMIN) != 0
}

const CAP_NET_RAW: u32 = 13;

/// Whether this process may open an AF_PACKET socket (a socket filter's).
pub fn has_net_raw() -> bool {
    effective_caps() & (1u64 << CAP_NET_RAW) != 0
}

/// The index of the network interface `name`, if it exists.
pub fn interface_index(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: c is a valid NUL-terminated string.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (index != 0).then_some(index)
}

/// The name of the network interface `index` (`lo`), or its number if it is gone.
pub fn interface_name(index: u32) -> String {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has the IF_NAMESIZE bytes if_indextoname may write.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return index.to_string();
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// An AF_PACKET socket that runs the socket filter `prog_fd` on every packet
/// of interface `ifindex` (0: every interface), in both directions. It is
/// SOCK_DGRAM, so the filter sees each packet from its network header on, as
/// a cgroup_skb program does. It starts with protocol 0 (no packet at all),
/// gets its filter, and only then binds to ETH_P_ALL: no packet reaches it
/// unfiltered. The filter keeps nothing, so its queue stays empty.
pub fn packet_socket(ifindex: u32, prog_fd: i32) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let last = || Err(std::io::Error::last_os_error());
    // SAFETY: plain socket(2); the descriptor is owned right below.
    let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return last();
    }
    // SAFETY: raw is a new descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: prog_fd is an int of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_BPF,
            &prog_fd as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return last();
    }
    // SAFETY: a zeroed sockaddr_ll, filled below, is a valid address.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    addr.sll_ifindex = ifindex as i32;
    // SAFETY: addr is a sockaddr_ll of the size passed.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &addr as *const libc::sockaddr_ll as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return last();
    }
    Ok(fd)
}

/// Whether the kernel has a tracepoint of this name in any category
/// (`tcp_sendmsg_locked` is tcp:tcp_sendmsg_locked), as tracefs lists them.
pub fn tracepoint_exists(name: &str) -> bool {
    ["/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"].iter().any(|events| {
        std::fs::read_dir(events)
            .map(|cats| cats.filter_map(|c| c.ok()).any(|c| c.path().join(name).join("format").exists()))
            .unwrap_or(false)
    })
}

/// Whether the running kernel has a function named `name` (/proc/kallsyms,
/// read once: names only, which even a kptr_restrict'ed file shows).
pub fn kernel_has_function(name: &str) -> bool {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let text = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
            text.lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    let kind = f.nth(1)?;
                    matches!(kind, "t" | "T").then(|| f.next().map(str::to_string)).flatten()
                })
                .collect()
        })
        .contains(name)
}

/// Whether the running kernel's BTF has the function `name`, as fentry and
/// fexit programs need it to attach.
pub fn kernel_btf_has_function(name: &str) -> bool {
    let Ok(name) = std::ffi::CString::new(name) else { return false };
    // SAFETY: a NUL-terminated name; libbpf reads the kernel's BTF and frees it.
    let id = unsafe {
        libbpf_rs::libbpf_sys::libbpf_find_vmlinux_btf_id(name.as_ptr(), libbpf_rs::libbpf_sys::BPF_TRACE_FEXIT)
    };
    id > 0
}

/// `-` (and /dev/stdout) as a file name: standard output, as `tcpdump -w -`.
pub fn is_stdout(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdout")
}

/// Whether two paths name the same file: the same device and inode where
/// both exist, else the same place once symbolic links are followed (a file
/// about to be created, or a dangling link to it).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
        _ => resolved(a).is_some_and(|r| resolved(b) == Some(r)),
    }
}

/// Where `path` leads: its links followed (at most 40, the kernel's limit),
/// its directory made canonical.
fn resolved(path: &Path) -> Option<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&p) else { break };
        p = p.parent().unwrap_or(Path::new("/")).join(target);
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup2_is_found_in_proc_mounts() {
        let hybrid = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n\
                      cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n\
                      cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
        assert_eq!(cgroup2_in_mounts(hybrid), Some("/sys/fs/cgroup/unified".into()));
        assert_eq!(cgroup2_in_mounts("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n"), Some("/sys/fs/cgroup".into()));
        assert_eq!(cgroup2_in_mounts("none /a\\040b cgroup2 rw 0 0\n"), Some("/a b".into()));
        assert_eq!(cgroup2_in_mounts("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"), None);
    }
}
