//! Payloads are secrets (issue 25), on this machine's kernel as root: every
//! file argtrace creates is 0600 whatever the umask; `-Z USER` gives up root
//! once tracing is attached (the process's /proc status shows the user and no
//! capabilities) and the run goes on as before: a pcap with exactly the
//! packets sent, the counts on every stop signal, nothing left attached after
//! SIGKILL; `-Z` with `--stack` is refused; a user named argtrace is dropped
//! to by default (shown in a private mount namespace whose /etc/passwd has
//! one); and a run that writes payload bytes says so once.

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{assert_one_line_error as one_line, run, ARGTRACE};

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("argtrace-secrets-{}-{name}", std::process::id()))
}

/// Starts `cmd` (argtrace) and waits for its `argtrace: tracing` line;
/// returns it, the stderr lines so far and a receiver of the rest.
// The child is handed to the caller, who waits for it.
#[allow(clippy::zombie_processes)]
fn start(cmd: &mut Command) -> (Child, Vec<String>, Receiver<String>) {
    let mut child = cmd.stdin(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start argtrace");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut seen = Vec::new();
    loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let line = line.unwrap_or_else(|_| panic!("argtrace never said it was tracing: {seen:?}"));
        let ready = line.starts_with("argtrace: tracing");
        seen.push(line);
        if ready {
            return (child, seen, rx);
        }
    }
}

fn argtrace(args: &[&str]) -> Command {
    let mut cmd = Command::new(ARGTRACE);
    cmd.args(args).stdout(Stdio::null());
    cmd
}

/// `field` of /proc/PID/status (`Uid`, `CapEff` ...), trimmed.
fn status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|v| v.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {field} in {status}"))
        .trim()
        .to_string()
}

/// The process runs as uid/gid `id` (real, effective, saved, fs), in no
/// supplementary group, with every capability set empty.
fn assert_dropped(pid: u32, id: u32) {
    let all = format!("{id}\t{id}\t{id}\t{id}");
    assert_eq!(status_field(pid, "Uid"), all);
    assert_eq!(status_field(pid, "Gid"), all);
    assert_eq!(status_field(pid, "Groups"), "");
    for set in ["CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"] {
        assert_eq!(status_field(pid, set), "0000000000000000", "{set}");
    }
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// Waits for the child and returns its exit code and remaining stderr lines.
fn finish(mut child: Child, rx: Receiver<String>) -> (Option<i32>, Vec<String>) {
    let status = child.wait().expect("wait");
    (status.code(), rx.iter().collect())
}

/// The packets of a pcap file argtrace wrote (24-byte header, then per
/// packet a 16-byte header and the bytes).
fn pcap_packets(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).expect("read the pcap");
    assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 0xa1b2_3c4d, "pcap magic");
    let mut at = 24;
    let mut packets = Vec::new();
    while at < bytes.len() {
        let incl = u32::from_ne_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        packets.push(bytes[at + 16..at + 16 + incl].to_vec());
        at += 16 + incl;
    }
    packets
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

#[test]
fn files_argtrace_creates_are_0600_under_umask_000() {
    let (pcap, out, old) = (scratch("umask.pcap"), scratch("umask.txt"), scratch("old.txt"));
    for p in [&pcap, &out] {
        let _ = std::fs::remove_file(p);
    }
    // An existing file: truncated, its mode kept, and said to be readable.
    std::fs::write(&old, b"old").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let pcap_s = pcap.display().to_string();
    let out_s = out.display().to_string();
    let old_s = old.display().to_string();
    for (args, file) in [
        (vec!["skb", "--pcap", &pcap_s, "--port", "9", "-d", "0.5"], &pcap),
        (vec!["mmap", "-o", &out_s, "-c", "no-such-comm", "-d", "0.5"], &out),
    ] {
        let mut cmd = Command::new(ARGTRACE);
        cmd.args(&args).stdin(Stdio::null());
        // SAFETY: umask(2) between fork and exec is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
        let done = cmd.output().expect("run argtrace");
        assert_eq!(done.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&done.stderr));
        assert_eq!(mode_of(file), 0o600, "{args:?}");
        assert_eq!(std::fs::metadata(file).unwrap().uid(), 0, "{args:?}");
    }
    let done = run(&["mmap", "-o", &old_s, "-c", "no-such-comm", "-d", "0.5"]);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    let want = format!("argtrace: {old_s} already exists with mode 0644, so others may read");
    assert_eq!(stderr.lines().filter(|l| l.starts_with(&want)).count(), 1, "{stderr}");
    assert_eq!((mode_of(&old), std::fs::read(&old).unwrap().len()), (0o644, 0));
    for p in [&pcap, &out, &old] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn skb_as_nobody_captures_as_before() {
    let pcap = scratch("nobody.pcap");
    let _ = std::fs::remove_file(&pcap);
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port().to_string();
    let pcap_s = pcap.display().to_string();
    let (child, seen, lines) =
        start(&mut argtrace(&["skb", "-Z", "nobody", "--pcap", &pcap_s, "--port", &port, "--proto", "udp"]));
    assert!(
        seen.iter()
            .any(|l| l == "argtrace: dropped root: running as nobody (uid 65534, gid 65534) with no capabilities"),
        "{seen:?}"
    );
    let payload = format!("argtrace: this run writes payload bytes, which may hold passwords, cookies and keys: each packet, up to 262144 bytes (--pcap, --snaplen) to {pcap_s}");
    assert!(seen.contains(&payload), "{seen:?}");
    assert_dropped(child.id(), 65534);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sent: Vec<String> = (0..3).map(|i| format!("SECRET-AFTER-DROP-{i}")).collect();
    for s in &sent {
        tx.send_to(s.as_bytes(), rx.local_addr().unwrap()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let (code, rest) = finish(child, lines);
    assert_eq!(code, Some(0), "{rest:?}");
    assert_eq!(rest.last().map(String::as_str), Some("argtrace: 6 events, 0 lost"), "{rest:?}");
    let packets = pcap_packets(&pcap);
    // Each datagram twice: leaving the sender, entering the receiver.
    assert_eq!(packets.len(), 6);
    for s in &sent {
        assert_eq!(packets.iter().filter(|p| p.ends_with(s.as_bytes())).count(), 2, "{s}");
    }
    // Created by root before the drop, private.
    let meta = std::fs::metadata(&pcap).unwrap();
    assert_eq!((meta.uid(), meta.permissions().mode() & 0o7777), (0, 0o600));
    let _ = std::fs::remove_file(&pcap);
}

#[test]
fn stop_signals_print_the_counts_after_the_drop() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let (child, _, lines) = start(&mut argtrace(&["mmap", "-Z", "nobody"]));
        assert_dropped(child.id(), 65534);
        signal(&child, sig);
        let (code, rest) = finish(child, lines);
        assert_eq!(code, Some(0), "signal {sig}: {rest:?}");
        let last = rest.last().map(String::as_str).unwrap_or("");
        assert!(last.starts_with("argtrace: ") && last.ends_with(" lost"), "signal {sig}: {rest:?}");
    }
    // Summary mode drops too, and prints its table and counts.
    let (child, _, lines) = start(&mut argtrace(&["mmap", "-s", "-Z", "nobody", "-c", "no-such-comm"]));
    assert_dropped(child.id(), 65534);
    signal(&child, libc::SIGTERM);
    let (code, rest) = finish(child, lines);
    assert_eq!((code, rest.last().map(String::as_str)), (Some(0), Some("argtrace: 0 calls counted, 0 lost")));
}

/// The ids of the BPF programs and links `pid` holds (`prog_id:` and
/// `link_id:` lines of its /proc fdinfo).
fn held_bpf_ids(pid: u32) -> (Vec<u32>, Vec<u32>) {
    let (mut progs, mut links) = (Vec::new(), Vec::new());
    for fd in std::fs::read_dir(format!("/proc/{pid}/fdinfo")).expect("fdinfo").flatten() {
        let info = std::fs::read_to_string(fd.path()).unwrap_or_default();
        for line in info.lines() {
            let id = |p: &str| line.strip_prefix(p).and_then(|v| v.trim().parse::<u32>().ok());
            if let Some(id) = id("prog_id:") {
                progs.push(id);
            }
            if let Some(id) = id("link_id:") {
                links.push(id);
            }
        }
    }
    (progs, links)
}

/// Whether a BPF program (or link) id still exists: BPF_PROG_GET_FD_BY_ID
/// (BPF_LINK_GET_FD_BY_ID) fails with ENOENT once it is gone.
fn bpf_id_exists(cmd: i64, id: u32) -> bool {
    let mut attr = [0u32; 4];
    attr[0] = id;
    // SAFETY: the attribute is 16 live bytes; a returned descriptor is closed.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), 16u32) };
    if fd >= 0 {
        // SAFETY: fd was just returned to us.
        unsafe { libc::close(fd as i32) };
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOENT)
}

#[test]
fn sigkill_after_the_drop_leaves_nothing_attached() {
    const BPF_PROG_GET_FD_BY_ID: i64 = 13;
    const BPF_LINK_GET_FD_BY_ID: i64 = 30;
    for args in [&["skb", "-Z", "nobody"][..], &["mmap", "-Z", "nobody"][..]] {
        let (child, _, lines) = start(&mut argtrace(args));
        assert_dropped(child.id(), 65534);
        let (progs, links) = held_bpf_ids(child.id());
        assert!(!progs.is_empty(), "{args:?}: no program held");
        if args[0] == "skb" {
            // Two cgroup_skb and five cgroup socket programs, by links.
            assert!(!links.is_empty(), "{args:?}: no link held");
        }
        signal(&child, libc::SIGKILL);
        let (code, _) = finish(child, lines);
        assert_eq!(code, None, "killed");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left_progs: Vec<u32> =
                progs.iter().copied().filter(|&p| bpf_id_exists(BPF_PROG_GET_FD_BY_ID, p)).collect();
            let left_links: Vec<u32> =
                links.iter().copied().filter(|&l| bpf_id_exists(BPF_LINK_GET_FD_BY_ID, l)).collect();
            if left_progs.is_empty() && left_links.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{args:?}: 10 s after SIGKILL, programs {left_progs:?} links {left_links:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn drop_options_are_checked_first() {
    one_line(
        &run(&["mmap", "-Z", "nobody", "--stack"]),
        2,
        "-Z nobody gives up root once tracing is attached, and --stack",
    );
    one_line(
        &run(&["mmap", "--user", "no-such-user-x", "-d", "1"]),
        2,
        "-Z no-such-user-x: no such user in /etc/passwd",
    );
}

/// argtrace in a private mount namespace whose /etc/passwd also has a user
/// `argtrace` (uid and gid 64999): a system where that user exists, as far as
/// argtrace can tell, without touching the machine's own /etc/passwd.
fn with_argtrace_user(args: &[&str], passwd: &Path) -> Command {
    let mut users = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    users.push_str("argtrace:x:64999:64999:argtrace:/nonexistent:/usr/sbin/nologin\n");
    std::fs::write(passwd, users).unwrap();
    let source = std::ffi::CString::new(passwd.as_os_str().as_encoded_bytes()).unwrap();
    let mut cmd = argtrace(args);
    // SAFETY: between fork and exec only system calls run, on strings made before.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null();
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, none as _) != 0
                || libc::mount(source.as_ptr(), c"/etc/passwd".as_ptr(), none, libc::MS_BIND, none as _) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

#[test]
fn root_drops_to_an_argtrace_user_by_default() {
    let passwd = scratch("passwd");
    let (child, seen, lines) = start(&mut with_argtrace_user(&["mmap"], &passwd));
    let want = "argtrace: dropped root: running as argtrace (uid 64999, gid 64999) with no capabilities \
                (the argtrace user exists; -Z root keeps root)";
    assert!(seen.iter().any(|l| l == want), "{seen:?}");
    assert_dropped(child.id(), 64999);
    signal(&child, libc::SIGINT);
    assert_eq!(finish(child, lines).0, Some(0));
    // -Z root keeps root; so does --stack, saying why.
    for (args, said) in [(&["mmap", "-Z", "root"][..], None), (&["mmap", "--stack"][..], Some("--stack"))] {
        let (child, seen, lines) = start(&mut with_argtrace_user(args, &passwd));
        assert_eq!(status_field(child.id(), "Uid"), "0\t0\t0\t0", "{args:?}");
        let kept = seen.iter().find(|l| l.starts_with("argtrace: keeping root although the user argtrace exists"));
        assert_eq!(kept.is_some_and(|l| said.is_some_and(|s| l.contains(s))), said.is_some(), "{args:?}: {seen:?}");
        assert!(!seen.iter().any(|l| l.contains("dropped root")), "{args:?}: {seen:?}");
        signal(&child, libc::SIGINT);
        assert_eq!(finish(child, lines).0, Some(0));
    }
    let _ = std::fs::remove_file(&passwd);
}

#[test]
fn payload_bytes_are_announced_once() {
    let announce = "argtrace: this run writes payload bytes, which may hold passwords, cookies and keys: ";
    let said = |args: &[&str]| -> Vec<String> {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        stderr.lines().filter(|l| l.starts_with(announce)).map(|l| l[announce.len()..].to_string()).collect()
    };
    assert_eq!(
        said(&["tcp-send", "--peek", "16", "--port", "9", "-d", "0.3"]),
        ["up to 16 bytes of each send (--peek 16) to standard output"]
    );
    assert_eq!(said(&["tcp-send", "--peek", "0", "--port", "9", "-d", "0.3"]), Vec::<String>::new());
    assert_eq!(said(&["tcp-send", "-s", "--port", "9", "-d", "0.3"]), Vec::<String>::new());
    assert_eq!(
        said(&["skb", "--port", "9", "-d", "0.3"]),
        ["up to 64 bytes of each packet's payload (--peek 64) to standard output"]
    );
    assert_eq!(said(&["skb", "--peek", "0", "--port", "9", "-d", "0.3"]), Vec::<String>::new());
    assert_eq!(said(&["mmap", "-d", "0.3", "-c", "no-such-comm"]), Vec::<String>::new());
}
