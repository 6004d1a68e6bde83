//! The socket subjects (sock, tcp-send, skb) under faults, issue 17: each
//! test here failed before its fix. No silent widening of what is traced, no
//! silent loss, no panic, and every refusal one `argtrace: ...` line with its
//! documented exit code. Runs as root on the running kernel.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};

use common::{assert_one_line_error, named_mmap, run, ARGTRACE};

/// Runs argtrace with stderr going to `stderr`; returns the exit code.
fn exit_code_with_stderr(args: &[&str], stderr: Stdio) -> Option<i32> {
    Command::new(ARGTRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .status()
        .expect("run argtrace")
        .code()
}

/// A pipe whose reading end is already closed: a write to it fails (EPIPE).
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: pipe() fills the two descriptors, which are then owned here.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] is ours and closed once.
    unsafe { libc::close(fds[0]) };
    // SAFETY: fds[1] is an open descriptor that nothing else owns.
    Stdio::from(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) })
}

/// Defect 7: a closed or full stderr never panics (exit 101), and the run's
/// own exit code stands: 0 for a run that ended normally, 2 for a bad
/// command line, for each kind of subject.
#[test]
fn a_closed_or_full_stderr_never_panics() {
    for args in [&["sock", "-d", "1"][..], &["mmap", "-d", "1"], &["skb", "-d", "1"]] {
        let full = File::options().write(true).open("/dev/full").expect("/dev/full");
        assert_eq!(exit_code_with_stderr(args, full.into()), Some(0), "{args:?} 2>/dev/full");
        assert_eq!(exit_code_with_stderr(args, closed_pipe()), Some(0), "{args:?} 2>closed pipe");
    }
    let full = File::options().write(true).open("/dev/full").expect("/dev/full");
    assert_eq!(exit_code_with_stderr(&["sock", "--family", "x"], full.into()), Some(2));
    assert_eq!(exit_code_with_stderr(&["sock", "--cgroup", "/proc"], closed_pipe()), Some(2));
}

/// A fresh child cgroup of the cgroup v2 root, removed when dropped.
struct TempCgroup(std::path::PathBuf);

impl TempCgroup {
    fn new(name: &str) -> TempCgroup {
        let root = argtrace::sys::cgroup2_mount().expect("cgroup v2 is mounted");
        let dir = root.join(format!("argtrace-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).expect("make a child cgroup");
        TempCgroup(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 path")
    }
}

impl Drop for TempCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Attaches `r0 = 1; exit` of `prog_type` to `dir` at `attach_type` the old
/// way, without BPF_F_ALLOW_MULTI (as some agents still do), which lets no
/// other program onto that hook. Returns the descriptors (program, cgroup),
/// for `vacate`.
fn occupy(dir: &TempCgroup, prog_type: u32, attach_type: u32) -> (i32, i32) {
    use libbpf_rs::libbpf_sys as sys;
    // BPF_MOV64_IMM(BPF_REG_0, 1); BPF_EXIT_INSN(), as raw instruction words.
    let insns: [u64; 2] = [0x0000_0001_0000_00b7, 0x0000_0000_0000_0095];
    let license = c"GPL";
    // SAFETY: insns holds two valid instructions; the options may be null.
    let prog = unsafe {
        sys::bpf_prog_load(
            prog_type,
            c"occupant".as_ptr(),
            license.as_ptr(),
            insns.as_ptr().cast(),
            2,
            std::ptr::null_mut(),
        )
    };
    assert!(prog >= 0, "load the occupant: {}", std::io::Error::last_os_error());
    let path = std::ffi::CString::new(dir.path()).expect("no NUL");
    // SAFETY: path is NUL-terminated.
    let cg = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    assert!(cg >= 0);
    // SAFETY: both descriptors are open; flags 0 is the exclusive attach.
    let rc = unsafe { sys::bpf_prog_attach(prog, cg, attach_type, 0) };
    assert_eq!(rc, 0, "attach the occupant: {}", std::io::Error::last_os_error());
    (prog, cg)
}

fn vacate((prog, cg): (i32, i32), attach_type: u32) {
    // SAFETY: the descriptors come from occupy and are closed once here.
    unsafe {
        libbpf_rs::libbpf_sys::bpf_prog_detach2(prog, cg, attach_type);
        libc::close(prog);
        libc::close(cg);
    }
}

/// Defects 1 and 8: an occupied cgroup is named, with exit 5, and skb never
/// falls back to a socket filter on every interface where one cgroup was
/// asked for; `--cgroup X --probe socket` and `--iface --probe cgroup` are
/// command-line errors that say which mode each option needs (defect 9).
#[test]
fn an_occupied_cgroup_is_named_and_never_widened() {
    use libbpf_rs::libbpf_sys as sys;
    let skb_dir = TempCgroup::new("skb");
    let egress = sys::BPF_CGROUP_INET_EGRESS;
    let held = occupy(&skb_dir, sys::BPF_PROG_TYPE_CGROUP_SKB, egress);
    let out = run(&["skb", "--cgroup", skb_dir.path(), "--egress", "-d", "1"]);
    vacate(held, egress);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("socket mode") && !stderr.contains("socket filter"), "fell back: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(
        last,
        format!(
            "argtrace: the cgroup {} is occupied: its cgroup_skb/egress hook holds a program attached without \
             BPF_F_ALLOW_MULTI (flags 0), which lets no other program beside it (bpftool cgroup tree shows it); \
             detach it, or trace another cgroup with --cgroup",
            skb_dir.path()
        )
    );

    let sock_dir = TempCgroup::new("sock");
    let create = sys::BPF_CGROUP_INET_SOCK_CREATE;
    let held = occupy(&sock_dir, sys::BPF_PROG_TYPE_CGROUP_SOCK, create);
    let out = run(&["sock", "--cgroup", sock_dir.path(), "-d", "1"]);
    vacate(held, create);
    assert_one_line_error(&out, 5, &format!("the cgroup {} is occupied: its cgroup/sock_create hook", sock_dir.path()));

    assert_one_line_error(
        &run(&["skb", "--cgroup", skb_dir.path(), "--probe", "socket"]),
        2,
        "skb --cgroup needs cgroup mode: a socket filter sees an interface's packets, not a cgroup's",
    );
    assert_one_line_error(
        &run(&["skb", "--iface", "lo", "--probe", "cgroup"]),
        2,
        "skb --iface needs socket mode (a socket filter on that interface), not --probe cgroup",
    );
}

/// Runs argtrace in a private mount namespace where the cgroup v2 mount is
/// detached: no cgroup v2 hierarchy, as argtrace sees it.
fn run_without_cgroup2(args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let root = argtrace::sys::cgroup2_mount().expect("cgroup v2 is mounted here");
    let target = std::ffi::CString::new(root.to_str().expect("UTF-8 mount point")).expect("no NUL");
    let mut cmd = Command::new(ARGTRACE);
    cmd.args(args).stdin(Stdio::null());
    // SAFETY: between fork and exec only async-signal-safe syscalls run.
    unsafe {
        cmd.pre_exec(move || {
            let none = std::ptr::null();
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, none as _) != 0
                || libc::umount2(target.as_ptr(), libc::MNT_DETACH) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("run argtrace without cgroup v2")
}

/// Defect 8: without cgroup v2, skb's cgroup mode says what is missing, not
/// that "opening the BPF object failed".
#[test]
fn skb_without_cgroup2_says_what_is_missing() {
    let out = run_without_cgroup2(&["skb", "--probe", "cgroup", "-d", "1"]);
    assert_one_line_error(
        &out,
        5,
        "probe mode cgroup is not available on this kernel: no cgroup v2 hierarchy is mounted (no cgroup2 line in \
         /proc/mounts; mount -t cgroup2 none /sys/fs/cgroup)",
    );
    let out = run_without_cgroup2(&["skb", "-d", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().next().unwrap_or_default()
            == "argtrace: probe mode cgroup passed over: no cgroup v2 hierarchy is mounted (no cgroup2 line in \
                /proc/mounts; mount -t cgroup2 none /sys/fs/cgroup)",
        "{stderr}"
    );
}

/// Datagrams of `size` bytes to a local UDP port, `burst` every millisecond,
/// until the returned flag is set; the port is the filter to trace.
fn udp_traffic(
    size: usize,
    burst: usize,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<()>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = rx.local_addr().expect("addr").port();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let sender = std::thread::spawn(move || {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let payload = vec![b'x'; size];
        let mut buf = vec![0u8; 65536];
        rx.set_nonblocking(true).expect("nonblocking");
        while !flag.load(Ordering::Relaxed) {
            for _ in 0..burst {
                let _ = tx.send_to(&payload, ("127.0.0.1", port));
                while rx.recv(&mut buf).is_ok() {}
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
    (port, stop, sender)
}

/// The packets of a pcap file (LINKTYPE_RAW, as argtrace writes it), checked
/// to end exactly on a record boundary.
fn pcap_packets(bytes: &[u8]) -> usize {
    assert!(bytes.len() >= 24, "no pcap header: {} bytes", bytes.len());
    assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 0xa1b2_3c4d, "pcap magic");
    let (mut at, mut n) = (24, 0);
    while at < bytes.len() {
        assert!(at + 16 <= bytes.len(), "a partial record header at byte {at} of {}", bytes.len());
        let cap = u32::from_ne_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        assert!(at + 16 + cap <= bytes.len(), "a partial record at byte {at} of {}", bytes.len());
        at += 16 + cap;
        n += 1;
    }
    n
}

/// `N` of the `argtrace: N events, M lost` in `stderr`.
fn events_counted(stderr: &str) -> u64 {
    let at = stderr.find(" events, ").unwrap_or_else(|| panic!("no counts in: {stderr}"));
    let digits: String = stderr[..at].chars().rev().take_while(char::is_ascii_digit).collect();
    digits.chars().rev().collect::<String>().parse().expect("a count")
}

/// A directory of its own under the temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("argtrace-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make a directory");
        TempDir(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().expect("UTF-8").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // SAFETY: a NUL-terminated path; failing when nothing is mounted is fine.
        if let Ok(p) = std::ffi::CString::new(self.file("tmpfs")) {
            unsafe { libc::umount2(p.as_ptr(), libc::MNT_DETACH) };
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Defect 2: a pcap write that fails (a full 64 KiB tmpfs) ends the run at
/// once with exit 6 and one line that says how many packets the file holds,
/// and the file holds exactly those, ending on a record boundary; /dev/full
/// fails at the header, before tracing starts.
#[test]
fn a_failed_pcap_write_stops_the_run_on_a_record_boundary() {
    let dir = TempDir::new("tmpfs");
    let mnt = dir.file("tmpfs");
    std::fs::create_dir(&mnt).expect("mount point");
    let status = Command::new("mount").args(["-t", "tmpfs", "-o", "size=64k", "tmpfs", &mnt]).status().expect("mount");
    assert!(status.success(), "mount a 64 KiB tmpfs");
    let file = format!("{mnt}/out.pcap");
    let (port, stop, sender) = udp_traffic(1000, 1);
    let started = std::time::Instant::now();
    let out = run(&["skb", "--pcap", &file, "--port", &port.to_string(), "-d", "30"]);
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sender.join().expect("sender");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(took < std::time::Duration::from_secs(15), "the run went on for {took:?} after the disk was full");
    let packets = pcap_packets(&std::fs::read(&file).expect("read the pcap"));
    let last = stderr.lines().last().unwrap_or_default();
    let want = format!(
        "argtrace: writing {file} failed: No space left on device; it holds the first {packets} packets, whole, and the "
    );
    assert!(last.starts_with(&want), "'{want}' not in: {stderr}");
    assert!(packets > 10, "{packets} packets in 64 KiB of 1 KiB datagrams");
    // The events counted are the packets written and those the failed write lost.
    let unwritten: u64 = last[want.len()..].split(' ').next().and_then(|n| n.parse().ok()).expect("a number");
    assert!(last.ends_with(&format!(" after them were not written ({} events, 0 lost)", packets as u64 + unwritten)));

    let out = run(&["skb", "--pcap", "/dev/full", "-d", "30"]);
    assert_one_line_error(&out, 6, "cannot write /dev/full: No space left on device");
}

/// Defect 4: --pcap and -o naming one file (directly, or through a symbolic
/// link, or about to be created) are refused before anything is written.
#[test]
fn pcap_and_output_cannot_be_one_file() {
    let dir = TempDir::new("same");
    let (f, link, new) = (dir.file("f"), dir.file("link"), dir.file("new"));
    std::fs::write(&f, b"keep").expect("write f");
    std::os::unix::fs::symlink(&f, &link).expect("symlink");
    for (pcap, out) in [(&f, &f), (&link, &f), (&f, &link), (&new, &new)] {
        let got = run(&["skb", "--pcap", pcap, "-o", out, "-d", "1"]);
        assert_one_line_error(&got, 2, &format!("--pcap {pcap} and -o {out} are the same file"));
    }
    assert_eq!(std::fs::read(&f).expect("f"), b"keep", "untouched");
    assert!(!std::path::Path::new(&new).exists());
}

/// Defect 10: `-` is standard output for --pcap and -o (no file named `-`),
/// so that `argtrace skb --pcap - | tshark -r -` works; the lines cannot
/// share standard output with the pcap.
#[test]
fn a_dash_is_standard_output() {
    let dir = TempDir::new("dash");
    let (port, stop, sender) = udp_traffic(100, 1);
    let out = Command::new(ARGTRACE)
        .args(["skb", "--pcap", "-", "--egress", "--port", &port.to_string(), "-d", "2"])
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .output()
        .expect("run argtrace");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let packets = pcap_packets(&out.stdout) as u64;
    assert!(packets > 100, "{packets} packets on stdout");
    assert_eq!(events_counted(&stderr), packets, "{stderr}");
    let out = Command::new(ARGTRACE)
        .args(["sock", "-o", "-", "--json", "-d", "1"])
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .output()
        .expect("run argtrace");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sender.join().expect("sender");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("{\"summary\": "), "-o - is standard output");
    assert!(!dir.0.join("-").exists(), "a file named -");
    assert_one_line_error(&run(&["skb", "--pcap", "-", "--print"]), 2, "--pcap - writes the pcap to standard output");
    assert_one_line_error(&run(&["skb", "--pcap", "-", "-o", "-"]), 2, "--pcap - writes the pcap to standard output");
}

/// Defect 6: `--pcap f --print | head -1`: the count on stderr is the
/// number of packets the file holds.
#[test]
fn a_closed_pipe_leaves_the_counts_and_the_pcap_in_agreement() {
    use std::io::BufRead;
    let dir = TempDir::new("head");
    let file = dir.file("out.pcap");
    // Bursts: more lines than the output's buffer holds in one batch, so
    // that the closed pipe shows in a line's own write, not a flush.
    let (port, stop, sender) = udp_traffic(8000, 50);
    let mut child = Command::new(ARGTRACE)
        .args(["skb", "--pcap", &file, "--print", "--peek", "8000", "--port", &port.to_string(), "-d", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start argtrace");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a line");
    drop(stdout); // | head -1
    let out = child.wait_with_output().expect("argtrace ends");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sender.join().expect("sender");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let packets = pcap_packets(&std::fs::read(&file).expect("the pcap")) as u64;
    assert_eq!(events_counted(&stderr), packets, "{stderr}");
}

/// Defect 14: -T prints strace's default six digits (`<0.000251>`), and
/// `--syscall-times=s|ms|us|ns` gives strace's others (and implies -T).
#[test]
fn durations_have_strace_s_digits() {
    for (args, digits) in [
        (&["-T"][..], Some(6)),
        (&["--syscall-times"], Some(6)),
        (&["-T", "--syscall-times=ns"], Some(9)),
        (&["--syscall-times=ms"], Some(3)),
        (&["--syscall-times=s"], None),
    ] {
        let mut child = start_tracing(&[&["mmap", "-n", "2", "-c", "argtrace-faults"][..], args].concat());
        // Maps until argtrace has its two lines, from a process of that name.
        while child.try_wait().expect("wait").is_none() {
            named_mmap(b"argtrace-faults", 4096);
        }
        let out = child.wait_with_output().expect("argtrace output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        for l in stdout.lines() {
            let (_, tail) = l.rsplit_once(" <").unwrap_or_else(|| panic!("{args:?}: no duration in {l}"));
            let t = tail.strip_suffix('>').expect("closing >");
            let frac = t.split_once('.').map(|(s, f)| {
                assert!(s.chars().all(|c| c.is_ascii_digit()), "{l}");
                f.len()
            });
            assert_eq!(frac, digits, "{args:?}: {l}");
        }
    }
    assert_one_line_error(&run(&["mmap", "--syscall-times=fs"]), 2, "--syscall-times");
}

/// Runs argtrace (`args`, with --json) while `send` makes traffic once it
/// traces; returns its JSON events.
fn json_events(args: &[&str], send: impl FnOnce()) -> Vec<String> {
    let child = start_tracing(&[args, &["--json"]].concat());
    send();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("argtrace output");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with("{\"summary\"")).map(String::from).collect()
}

/// Defect 5: a --peek whose records the ring cannot hold is refused (every
/// send was lost, with the ring empty); the largest one it can hold works,
/// exactly.
#[test]
fn a_peek_the_ring_cannot_hold_is_refused() {
    use std::io::{Read, Write};
    let max = argtrace::subject::tcp_send::max_peek_for_ring(4096);
    let over = (max + 1).to_string();
    assert_one_line_error(
        &run(&["tcp-send", "--peek", "4000", "--ringbuf-size", "4096", "-d", "1"]),
        2,
        &format!("--peek 4000 makes records of up to 4192 bytes, more than a --ringbuf-size of 4096 can hold: use --peek {max} or less"),
    );
    assert_one_line_error(
        &run(&["tcp-send", "--peek", &over, "--ringbuf-size", "4096", "-d", "1"]),
        2,
        "--ringbuf-size",
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let events = json_events(
        &["tcp-send", "--peek", &max.to_string(), "--ringbuf-size", "4096", "--port", &port.to_string()],
        || {
            let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
            let (mut server, _) = listener.accept().expect("accept");
            client.write_all(&[b'p'; 5000]).expect("send");
            let mut got = vec![0u8; 5000];
            server.read_exact(&mut got).expect("receive");
        },
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains(&format!("\"peek_len\": {max}, \"truncated\": true")), "{events:?}");
}

/// Defect 11: `--host ::ffff:127.0.0.1`, the form argtrace prints for a
/// v4-mapped address, matches the IPv4 packets of 127.0.0.1; with -6 it is
/// refused as the IPv4 address it is.
#[test]
fn a_v4_mapped_host_matches_ipv4() {
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = rx.local_addr().expect("addr").port();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let events = json_events(&["skb", "--host", "::ffff:127.0.0.1", "--egress", "--port", &port.to_string()], || {
        tx.send_to(b"mapped", ("127.0.0.1", port)).expect("send");
    });
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains("\"saddr\": \"127.0.0.1\"") && events[0].contains("\"peek\": \"mapped\""), "{events:?}");
    assert_one_line_error(
        &run(&["skb", "--host", "::ffff:127.0.0.1", "-6"]),
        2,
        "--host 127.0.0.1 is an IPv4 address, but -6 keeps only IPv6",
    );
}

/// Starts argtrace with stdout piped and waits until it traces; its stderr
/// is dropped from then on.
// The child is handed to the caller, who waits for it.
#[allow(clippy::zombie_processes)]
fn start_tracing(args: &[&str]) -> std::process::Child {
    use std::io::BufRead;
    let mut child = Command::new(ARGTRACE)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start argtrace");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    while !line.starts_with("argtrace: tracing") {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("stderr") > 0, "argtrace did not start: {args:?}");
    }
    // The rest of stderr is drained, so that argtrace never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    child
}

/// Defect 3: a bind refused before post_bind (192.0.2.1 is no address of
/// this machine: EADDRNOTAVAIL) on a socket still open when the run ends is
/// printed, as the request alone, not dropped.
#[test]
fn a_pending_bind_is_printed_at_the_end() {
    // SAFETY: a plain socket() whose descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    assert!(fd >= 0);
    // This thread only: the other tests of this process make sockets too.
    // SAFETY: gettid has no arguments.
    let me = unsafe { libc::gettid() }.to_string();
    let events = json_events(&["sock", "--tid", &me, "--proto", "udp"], || {
        let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = 4242u16.to_be();
        sa.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::new(192, 0, 2, 1)).to_be();
        // SAFETY: sa is a valid sockaddr_in of the size given.
        let rc = unsafe {
            libc::bind(fd, (&sa as *const libc::sockaddr_in).cast(), std::mem::size_of_val(&sa) as libc::socklen_t)
        };
        assert_eq!(rc, -1);
        assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::EADDRNOTAVAIL));
    });
    // SAFETY: fd is ours, closed once, after argtrace has ended.
    unsafe { libc::close(fd) };
    let binds: Vec<&String> = events.iter().filter(|e| e.contains("\"op\": \"bind\"")).collect();
    assert_eq!(binds.len(), 1, "{events:?}");
    assert!(
        binds[0].contains("\"addr\": \"192.0.2.1\", \"port\": 4242, \"bound_addr\": null, \"bound_port\": null"),
        "{binds:?}"
    );
}

/// Defect 12: a TCP header whose data offset is below 5 words, or reaches
/// past the packet, is marked malformed (tcpdump's "bad hdr length"), never
/// decoded as a header with payload behind it.
#[test]
fn malformed_tcp_headers_are_marked() {
    let sport = 40000 + (std::process::id() % 20000) as u16;
    // A bare 20-byte TCP header (the kernel adds the IP header) with this
    // data offset in words and SYN set.
    let header = |words: u8| {
        let mut h = [0u8; 20];
        h[0..2].copy_from_slice(&sport.to_be_bytes());
        h[2..4].copy_from_slice(&9u16.to_be_bytes());
        h[4..8].copy_from_slice(&1u32.to_be_bytes());
        h[12] = words << 4;
        h[13] = 0x02;
        h
    };
    let send = || {
        // SAFETY: a raw socket, closed below; sa is a valid sockaddr_in.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_TCP);
            assert!(fd >= 0, "raw socket: {}", std::io::Error::last_os_error());
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as u16;
            sa.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            for words in [1u8, 15] {
                let h = header(words);
                let n = libc::sendto(
                    fd,
                    h.as_ptr().cast(),
                    h.len(),
                    0,
                    (&sa as *const libc::sockaddr_in).cast(),
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                );
                assert_eq!(n, 20, "sendto: {}", std::io::Error::last_os_error());
            }
            libc::close(fd);
        }
    };
    let events = json_events(&["skb", "--egress", "--proto", "tcp", "--port", &sport.to_string()], send);
    assert_eq!(events.len(), 2, "{events:?}");
    for (event, words, why) in
        [(&events[0], 1, "bad hdr length 4 - too short, < 20"), (&events[1], 15, "bad hdr length 60 - too long, > 20")]
    {
        let want = format!(
            "\"len\": 40, \"ip_hdr_len\": 20, \"l4_hdr_len\": {}, \"payload_len\": 0, \"tcp_flags\": \"S\"",
            words * 4
        );
        assert!(event.contains(&want), "{want} not in {event}");
        assert!(event.contains(&format!("\"peek\": \"\", \"peek_len\": 0, \"malformed\": \"{why}\"")), "{event}");
    }
}

/// Defect 13: a writev whose buffer cannot be read shows that buffer's
/// address, not the iovec array's.
#[test]
fn an_unreadable_writev_buffer_is_shown_by_its_address() {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut child = start_tracing(&["tcp-send", "--port", &port.to_string()]);
    let client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _server = listener.accept().expect("accept");
    // Page 1 (0x1000) is never mapped (vm.mmap_min_addr).
    let iov = [libc::iovec { iov_base: 0x1000 as *mut libc::c_void, iov_len: 5 }];
    // SAFETY: the iovec array is valid; its buffer is not, which is the point.
    let rc = unsafe { libc::writev(client.as_raw_fd(), iov.as_ptr(), 1) };
    assert_eq!((rc, std::io::Error::last_os_error().raw_os_error()), (-1, Some(libc::EFAULT)));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().expect("piped"), &mut stdout).expect("stdout");
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].contains(&format!(":{port}, 0x1000, 5, iter=")), "{stdout}");
    assert!(lines[0].ends_with(") = -1 EFAULT (Bad address)"), "{stdout}");
}

/// A UDP socket's bind to 192.0.2.1:`port` (no address of this machine),
/// refused before post_bind with EADDRNOTAVAIL.
fn refused_bind(fd: i32, port: u16) {
    // SAFETY: an all-zero sockaddr_in is valid; the fields are set below.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as u16;
    sa.sin_port = port.to_be();
    sa.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::new(192, 0, 2, 1)).to_be();
    // SAFETY: sa is a valid sockaddr_in of the size given.
    let rc = unsafe {
        libc::bind(fd, (&sa as *const libc::sockaddr_in).cast(), std::mem::size_of_val(&sa) as libc::socklen_t)
    };
    assert_eq!((rc, std::io::Error::last_os_error().raw_os_error()), (-1, Some(libc::EADDRNOTAVAIL)));
}

/// Runs `argtrace sock -s ARGS` while `act` runs once it counts; returns
/// its stdout.
fn sock_summary(args: &[&str], act: impl FnOnce()) -> String {
    let mut child = start_tracing(&[&["sock", "-s"], args].concat());
    act();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().expect("piped"), &mut stdout).expect("stdout");
    assert_eq!(child.wait().expect("wait").code(), Some(0), "{args:?}");
    stdout
}

/// Defect 3 under -s: a failed bind on a socket still open at the end is
/// counted, as a bind and an error (the kernel never confirmed it), like
/// the one of a socket closed during the run, which the kernel counts.
#[test]
fn a_pending_bind_is_counted_by_the_summary() {
    // This thread only: the other tests of this process make sockets too.
    // SAFETY: gettid has no arguments.
    let me = unsafe { libc::gettid() }.to_string();
    for json in [true, false] {
        // Close-on-exec: argtrace, a child of this process, must not hold them.
        let udp = || {
            // SAFETY: a plain socket() whose descriptor is closed below.
            unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) }
        };
        let (open, closed) = (udp(), udp());
        assert!(open >= 0 && closed >= 0);
        let args =
            if json { vec!["--tid", &me, "--proto", "udp", "--json"] } else { vec!["--tid", &me, "--proto", "udp"] };
        let out = sock_summary(&args, || {
            refused_bind(open, 4242);
            refused_bind(closed, 4243);
            // SAFETY: closed is ours and closed once.
            unsafe { libc::close(closed) };
        });
        // SAFETY: open is ours, closed once, after argtrace has ended.
        unsafe { libc::close(open) };
        if json {
            assert!(
                out.contains(
                    "\"counts\": [{\"event\": \"bind\", \"count\": 2, \"errors\": 2}, \
                     {\"event\": \"close\", \"count\": 1, \"errors\": 0}], \"total\": {\"count\": 3, \"errors\": 2}"
                ),
                "{out}"
            );
        } else {
            let rows: Vec<&str> = out.lines().filter(|l| l.ends_with(" bind") || l.ends_with(" total")).collect();
            assert_eq!(rows, ["        2         2 bind", "        3         2 total"], "{out}");
        }
    }
}

/// Issue 17: an accepted socket's creator is the thread that accepted it,
/// under the name it had then, marked accepted; not the thread that made
/// the listener. The acceptor thread renames itself, accepts, and hands the
/// socket back; the main thread closes it.
#[test]
fn an_accepted_socket_is_owned_by_the_thread_that_accepted_it() {
    use std::os::fd::IntoRawFd;
    let me = std::process::id();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut accepted = None;
    let events = json_events(&["sock", "-p", &me.to_string(), "--proto", "tcp"], || {
        let acceptor = std::thread::spawn(move || {
            // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
            unsafe { libc::prctl(libc::PR_SET_NAME, c"acceptor-17".as_ptr()) };
            // SAFETY: gettid has no arguments.
            let tid = unsafe { libc::gettid() };
            let (stream, _) = listener.accept().expect("accept");
            (tid, stream.into_raw_fd())
        });
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let (tid, fd) = acceptor.join().expect("acceptor thread");
        let mut cookie = 0u64;
        let mut len = 8 as libc::socklen_t;
        // SAFETY: cookie and len are live locals of the sizes given; 57 is SO_COOKIE.
        let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, 57, (&mut cookie as *mut u64).cast(), &mut len) };
        assert_eq!(rc, 0);
        // SAFETY: fd is ours (from into_raw_fd) and closed once, by this thread.
        unsafe { libc::close(fd) };
        drop(client);
        accepted = Some((tid, cookie));
    });
    let (tid, cookie) = accepted.expect("the connection was made");
    let closes: Vec<&String> = events
        .iter()
        .filter(|e| e.contains(&format!("\"cookie\": {cookie},")) && e.contains("\"op\": \"close\""))
        .collect();
    assert_eq!(closes.len(), 1, "{events:?}");
    assert!(
        closes[0].ends_with(&format!(
            "\"creator\": {{\"pid\": {me}, \"tid\": {tid}, \"comm\": \"acceptor-17\", \"uid\": 0, \"accepted\": true}}}}"
        )),
        "{closes:?}"
    );
}
