//! Giving up root once tracing is attached: `-Z USER` / `--user USER`, as
//! tcpdump -Z. After its programs are attached and every output is open,
//! argtrace only reads a ring buffer and maps through descriptors it holds,
//! and writes to files it holds open: none of that needs a privilege, so it
//! switches to USER's uid and primary group, with no supplementary groups and
//! no capability left in any set, before it reads the first event.
//!
//! Without -Z, argtrace running as root drops to a user named `argtrace` when
//! /etc/passwd has one, and keeps root otherwise: a dedicated account, as
//! Debian's tcpdump drops to `tcpdump`. `nobody` is never chosen by itself:
//! it is shared by unrelated daemons, any of which could then signal the
//! tracer. `-Z root` keeps root.
//!
//! Options that need a privilege for the whole run refuse -Z: --stack reads
//! other processes' memory maps to symbolize their stacks.
//!
//! The system calls of the switch are here rather than in sys.rs: they are
//! this module's whole subject.

use std::io::Write as _;

use libbpf_rs::{MapCore, MapHandle};

use crate::config::{Account, Config, UserSwitch};
use crate::error::{Error, Result};

/// The account argtrace drops to by itself, when it exists.
pub const DEFAULT_USER: &str = "argtrace";

/// The option of this run that needs privileges after the attach, and why.
fn needs_privilege_during_run(cfg_stack: bool) -> Option<&'static str> {
    cfg_stack.then_some("--stack symbolizes each stack by reading the traced process's memory maps, which needs root")
}

/// Resolves -Z (or its absence) before any BPF work: an unknown user is a
/// usage error, and so is -Z with an option that needs privileges for the
/// whole run; switching to another user needs CAP_SETUID and CAP_SETGID.
pub fn resolve(user: Option<&str>, stack: bool) -> Result<UserSwitch> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let Some(name) = user else {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(UserSwitch::Stay);
        }
        return Ok(match lookup(&passwd, DEFAULT_USER) {
            Some(a) if a.uid != 0 => UserSwitch::Default(a),
            _ => UserSwitch::Stay,
        });
    };
    let account = lookup(&passwd, name)
        .ok_or_else(|| Error::Usage(format!("-Z {name}: no such user in /etc/passwd (a name or a numeric uid)")))?;
    if account.uid == 0 {
        return Ok(UserSwitch::Stay);
    }
    if let Some(why) = needs_privilege_during_run(stack) {
        return Err(Error::Usage(format!(
            "-Z {name} gives up root once tracing is attached, and {why} for the whole run: use one or the other"
        )));
    }
    if !can_switch_user() {
        return Err(Error::Privilege(format!(
            "-Z {name}: switching to another user needs root (CAP_SETUID and CAP_SETGID)"
        )));
    }
    Ok(UserSwitch::Asked(account))
}

/// The /etc/passwd entry whose name, or else uid, is `user`.
fn lookup(passwd: &str, user: &str) -> Option<Account> {
    let entries = passwd.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4)
            .then(|| Some(Account { name: f[0].to_string(), uid: f[2].parse().ok()?, gid: f[3].parse().ok()? }))?
    });
    let all: Vec<Account> = entries.collect();
    all.iter()
        .find(|a| a.name == user)
        .or_else(|| user.parse::<u32>().ok().and_then(|uid| all.iter().find(|a| a.uid == uid)))
        .cloned()
}

/// Drops to the run's user, if it has one: called once the programs are
/// attached and every output is open, while argtrace is still one thread.
/// `map` is one of the run's maps: a child process first proves, as that
/// user, that the kernel still lets it be read (kernels before 5.19 refuse
/// every bpf(2) command to an unprivileged process when
/// kernel.unprivileged_bpf_disabled is set); lost events could not be
/// counted otherwise.
pub fn drop_after_attach(cfg: &Config, map: &MapHandle) -> Result<()> {
    let (account, asked) = match &cfg.user {
        UserSwitch::Stay => return Ok(()),
        UserSwitch::Asked(a) => (a, true),
        UserSwitch::Default(a) => (a, false),
    };
    let note = |text: String| {
        let _ = writeln!(std::io::stderr(), "argtrace: {text}");
    };
    if let Some(why) = needs_privilege_during_run(cfg.stack).filter(|_| !asked) {
        note(format!("keeping root although the user {DEFAULT_USER} exists: {why}"));
        return Ok(());
    }
    let name = &account.name;
    match map_readable_as(map, account.uid, account.gid) {
        Ok(true) => {}
        Ok(false) => {
            let why = "this kernel lets only privileged processes read BPF maps \
                       (kernel.unprivileged_bpf_disabled, before Linux 5.19), so argtrace could no longer count \
                       lost events";
            if asked {
                return Err(Error::Kernel(format!("-Z {name}: {why}; run without -Z")));
            }
            note(format!("keeping root although the user {name} exists: {why}"));
            return Ok(());
        }
        Err(e) => return Err(Error::Runtime(format!("cannot drop to user {name}: {e}"))),
    }
    switch_user(account.uid, account.gid).map_err(|e| Error::Runtime(format!("cannot drop to user {name}: {e}")))?;
    note(format!(
        "dropped root: running as {name} (uid {}, gid {}) with no capabilities{}",
        account.uid,
        account.gid,
        if asked { "" } else { " (the argtrace user exists; -Z root keeps root)" }
    ));
    Ok(())
}

// ------------------------------------------------------------ the switch ---

const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;

/// A line of /proc/self/status (`CapEff`, `Uid` ...), its value trimmed.
fn status_field(field: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':').map(|v| v.trim().to_string()))
}

fn cap_set(field: &str) -> u64 {
    status_field(field).and_then(|v| u64::from_str_radix(&v, 16).ok()).unwrap_or(0)
}

/// Whether this process may change its uid and groups.
fn can_switch_user() -> bool {
    let eff = cap_set("CapEff");
    eff & (1 << CAP_SETUID) != 0 && eff & (1 << CAP_SETGID) != 0
}

/// capset(2)'s header and data, version 3 (two 32-bit halves per set).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Empties this thread's effective, permitted and inheritable sets. Only
/// system calls: it runs in a forked child too.
fn clear_capabilities() -> bool {
    let mut header = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let data = [CapData { effective: 0, permitted: 0, inheritable: 0 }; 2];
    // SAFETY: header and data are live, of the layout capset(2) version 3 reads.
    unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, data.as_ptr()) == 0 }
}

/// Sets no supplementary group, then `gid` and `uid` as real, effective and
/// saved ids, with raw system calls: this thread only, which is what a
/// forked child (one thread) needs, and all that fork allows there.
fn set_ids_raw(uid: u32, gid: u32) -> bool {
    // SAFETY: plain system calls on integers (setgroups with no list).
    unsafe {
        libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) == 0
            && libc::syscall(libc::SYS_setresgid, gid, gid, gid) == 0
            && libc::syscall(libc::SYS_setresuid, uid, uid, uid) == 0
    }
}

/// bpf(2)'s attribute for BPF_MAP_LOOKUP_ELEM.
#[repr(C)]
struct LookupAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;

/// Whether a process of `uid`/`gid` without capabilities may still read
/// `map` through the descriptor argtrace holds: asked of the kernel by a
/// forked child that switches and looks up the map's first key.
fn map_readable_as(map: &MapHandle, uid: u32, gid: u32) -> std::result::Result<bool, String> {
    use std::os::fd::{AsFd, AsRawFd};
    let cpus = libbpf_rs::num_possible_cpus().map_err(|e| format!("the number of CPUs: {e}"))?;
    let value_len = if map.map_type().is_percpu() {
        (map.value_size() as usize).next_multiple_of(8) * cpus
    } else {
        map.value_size() as usize
    };
    // Everything the child touches is made before the fork.
    let key = vec![0u8; map.key_size() as usize];
    let mut value = vec![0u8; value_len];
    let attr = LookupAttr {
        map_fd: map.as_fd().as_raw_fd() as u32,
        _pad: 0,
        key: key.as_ptr() as u64,
        value: value.as_mut_ptr() as u64,
        flags: 0,
    };
    // SAFETY: the child only makes system calls (setgroups, setresgid,
    // setresuid, capset, bpf) on memory made before the fork, then _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", crate::sys::io_reason(&std::io::Error::last_os_error())));
    }
    if pid == 0 {
        let code = if !set_ids_raw(uid, gid) || !clear_capabilities() {
            3
        } else {
            // SAFETY: attr points to key and value, live and of the map's sizes.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_bpf,
                    BPF_MAP_LOOKUP_ELEM,
                    &attr as *const LookupAttr,
                    std::mem::size_of::<LookupAttr>(),
                )
            };
            // SAFETY: __errno_location returns this thread's errno.
            match (rc, unsafe { *libc::__errno_location() }) {
                (0, _) => 0,
                (_, libc::EPERM) => 1,
                _ => 2,
            }
        };
        // SAFETY: _exit ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: pid is our child; status is writable.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Err("waitpid failed".into());
        }
    }
    match libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)) {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        Some(3) => Err(format!("a child process could not switch to uid {uid}, gid {gid}")),
        _ => Err("a child process could not read a BPF map as that user (not EPERM)".into()),
    }
}

/// Switches the whole process to `uid` and `gid` (no supplementary group)
/// with no capability left: effective, permitted, inheritable, ambient and
/// bounding sets emptied. The process is made non-dumpable, so that other
/// processes of that user can neither ptrace it nor take its descriptors
/// (pidfd_getfd): its BPF links, maps and payload bytes stay its own. Then
/// checks /proc/self/status says so.
fn switch_user(uid: u32, gid: u32) -> std::result::Result<(), String> {
    let os_err = |what: &str| format!("{what}: {}", crate::sys::io_reason(&std::io::Error::last_os_error()));
    // capset(2) and prctl(2) act on the calling thread alone.
    if status_field("Threads").as_deref() != Some("1") {
        return Err("argtrace is no longer one thread".into());
    }
    // The bounding set while CAP_SETPCAP is still held; PR_CAPBSET_READ
    // fails past the kernel's last capability.
    for cap in 0..64 {
        // SAFETY: prctl with integer arguments.
        match unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap as libc::c_ulong) } {
            1 => {
                // SAFETY: as above.
                if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong) } != 0 {
                    return Err(os_err("dropping the capability bounding set"));
                }
            }
            0 => {}
            _ => break,
        }
    }
    // SAFETY: setgroups with an empty list; setresgid and setresuid take
    // integers. glibc applies each to every thread of the process.
    unsafe {
        if libc::setgroups(0, std::ptr::null()) != 0 {
            return Err(os_err("setgroups"));
        }
        if libc::setresgid(gid, gid, gid) != 0 {
            return Err(os_err("setresgid"));
        }
        if libc::setresuid(uid, uid, uid) != 0 {
            return Err(os_err("setresuid"));
        }
    }
    // Leaving uid 0 has emptied the sets already; a start with file or
    // ambient capabilities but no root needs this.
    if !clear_capabilities() {
        return Err(os_err("capset"));
    }
    // SAFETY: prctl with integer arguments. Ambient sets came in 4.3; the
    // permitted set is empty, so they are empty anyway where this fails.
    unsafe {
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong, 0, 0, 0);
        if libc::prctl(libc::PR_SET_DUMPABLE, 0 as libc::c_ulong) != 0 {
            return Err(os_err("PR_SET_DUMPABLE"));
        }
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1 as libc::c_ulong, 0, 0, 0) != 0 {
            return Err(os_err("PR_SET_NO_NEW_PRIVS"));
        }
    }
    let ids = |field: &str, want: u32| {
        status_field(field).is_some_and(|v| v.split_whitespace().all(|id| id.parse() == Ok(want)))
    };
    let groups_empty = status_field("Groups").is_some_and(|v| v.is_empty());
    let no_caps = ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"].iter().all(|f| cap_set(f) == 0);
    if !(ids("Uid", uid) && ids("Gid", gid) && groups_empty && no_caps) {
        return Err("/proc/self/status does not show the new user, group and empty capability sets".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                          broken line\n\
                          nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
                          argtrace:x:998:997::/nonexistent:/usr/sbin/nologin\n";

    #[test]
    fn users_are_found_by_name_or_uid() {
        let nobody = Account { name: "nobody".into(), uid: 65534, gid: 65534 };
        assert_eq!(lookup(PASSWD, "nobody"), Some(nobody.clone()));
        assert_eq!(lookup(PASSWD, "65534"), Some(nobody));
        assert_eq!(lookup(PASSWD, "argtrace"), Some(Account { name: "argtrace".into(), uid: 998, gid: 997 }));
        assert_eq!(lookup(PASSWD, "nosuchuser"), None);
        assert_eq!(lookup(PASSWD, "4242"), None);
        assert_eq!(lookup(PASSWD, "broken line"), None);
    }

    #[test]
    fn stack_refuses_an_asked_drop() {
        let err = resolve(Some("nobody"), true).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        assert!(err.to_string().contains("--stack"), "{err}");
        assert_eq!(resolve(Some("root"), true).unwrap(), UserSwitch::Stay);
        assert_eq!(resolve(Some("0"), false).unwrap(), UserSwitch::Stay);
    }
}
