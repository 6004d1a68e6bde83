//! tcp-send's end-to-end cases and their trigger. The trigger sends chosen
//! bytes over IPv4 and IPv6 loopback connections with send(), sendmsg() of
//! two segments, write(), writev() of three and of 40 (more than the peek
//! gathers from), 256 bytes 0x00..0xff, 100 000 bytes, 10 bytes from a
//! PROT_NONE page (EFAULT), one send on a second IPv6 connection (the port
//! filter's foil) and one on a connection its peer has reset; it prints what
//! argtrace must show. The cases run argtrace three times per mode: JSON with
//! --peek 256 (every value exact), JSON with `--family inet6 --port P --peek
//! 16 -v` (the IPv4 sends and the other port hidden, 16-byte peeks truncated,
//! the iov_iter layout on stderr), and text with `-4 --peek 256` (strace's
//! escaping).

use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;

use argtrace_testkit::process::gettid;
use serde_json::{json, Value};

use crate::harness::{self, find_one, subset, traced_run, Outcome};
use crate::summary::check_row;

/// The env variable that tells the trigger the port of its first IPv6
/// listener (the suite picks it, so that it can pass `--port`).
const PORT_ENV: &str = "ARGTRACE_E2E_TCP_SEND_PORT";

const PEEK: &[u8] = b"ARGTRACE-PEEK-0123456789";
const BIG: usize = 100_000;

std::thread_local! {
    /// The wall time of this thread's last send, around the libc call alone
    /// (CLOCK_MONOTONIC, as the kernel's own stamps): no duration argtrace
    /// measures for that call can exceed it.
    static LAST_WALL_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs one send and notes its wall time; the result or -errno.
fn timed(f: impl FnOnce() -> isize) -> i64 {
    let start = std::time::Instant::now();
    let r = f();
    let wall = start.elapsed().as_nanos() as u64;
    let r = if r < 0 { -errno() } else { r as i64 };
    LAST_WALL_NS.with(|w| w.set(wall));
    r
}

fn errno() -> i64 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64
}

/// send(2) (the sendto syscall) without SIGPIPE; the result or -errno.
fn send(s: &TcpStream, bytes: &[u8]) -> i64 {
    // SAFETY: a valid socket and a buffer of the given length.
    timed(|| unsafe { libc::send(s.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL) })
}

/// send(2) of `len` bytes from a page mapped PROT_NONE.
fn send_unreadable(s: &TcpStream, len: usize) -> i64 {
    // SAFETY: a fresh private mapping that nothing else uses; unmapped below.
    let page = unsafe {
        libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
    };
    assert!(page != libc::MAP_FAILED, "mmap PROT_NONE");
    // SAFETY: the kernel checks the buffer; it is never dereferenced here.
    let r = timed(|| unsafe { libc::send(s.as_raw_fd(), page.cast_const(), len, libc::MSG_NOSIGNAL) });
    // SAFETY: unmapping exactly what was mapped above.
    unsafe { libc::munmap(page, 4096) };
    r
}

fn iovecs(parts: &[&[u8]]) -> Vec<libc::iovec> {
    parts.iter().map(|p| libc::iovec { iov_base: p.as_ptr() as *mut _, iov_len: p.len() }).collect()
}

fn sendmsg(s: &TcpStream, parts: &[&[u8]]) -> i64 {
    let mut iov = iovecs(parts);
    // SAFETY: a zeroed msghdr is valid; iov outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = iov.len() as _;
    // SAFETY: msg points at live iovecs.
    timed(|| unsafe { libc::sendmsg(s.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
}

fn write(s: &TcpStream, bytes: &[u8]) -> i64 {
    // SAFETY: a valid descriptor and a buffer of the given length.
    timed(|| unsafe { libc::write(s.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) })
}

fn writev(s: &TcpStream, parts: &[&[u8]]) -> i64 {
    let iov = iovecs(parts);
    // SAFETY: live iovecs.
    timed(|| unsafe { libc::writev(s.as_raw_fd(), iov.as_ptr(), iov.len() as i32) })
}

/// Segments of the long writev: more than argtrace gathers a peek from.
const MANY: usize = 40;

/// writev() of MANY 3-byte segments (`s00s01s02...`): the peek stops after
/// argtrace's ARGTRACE_PEEK_SEGS segments.
fn many_segments(family: &str, s: &TcpStream) -> Value {
    let parts: Vec<Vec<u8>> = (0..MANY).map(|i| format!("s{i:02}").into_bytes()).collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let payload = parts.concat();
    let mut c = call(family, "writev", s, &payload, writev(s, &refs));
    c["segments"] = json!(MANY);
    c
}

/// A listener whose connections are read to the end on a thread of their own.
struct Sink {
    addr: SocketAddr,
    reader: std::thread::JoinHandle<u64>,
}

fn sink(bind: &str) -> Sink {
    let l = TcpListener::bind(bind).unwrap_or_else(|e| panic!("listen on {bind}: {e}"));
    let addr = l.local_addr().expect("local address");
    let reader = std::thread::spawn(move || {
        let (mut c, _) = l.accept().expect("accept");
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0;
        while let Ok(n) = c.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    });
    Sink { addr, reader }
}

/// One call the trigger made, as the suite needs it.
fn call(family: &str, call: &str, s: &TcpStream, payload: &[u8], ret: i64) -> Value {
    let local = s.local_addr().expect("local address");
    let peer = s.peer_addr().expect("peer address");
    json!({
        "call": call,
        "family": family,
        "pid": std::process::id(),
        "tid": gettid(),
        "saddr": local.ip().to_string(), "sport": local.port(),
        "daddr": peer.ip().to_string(), "dport": peer.port(),
        "size": payload.len(),
        // The first bytes only: no peek is longer.
        "payload": payload[..payload.len().min(4096)].iter().map(|&b| b as char).collect::<String>(),
        "ret": ret,
        "wall_ns": LAST_WALL_NS.with(|w| w.get()),
    })
}

/// The trigger (`argtrace-e2e trigger tcp-send`).
pub fn trigger() -> Vec<Value> {
    let mut out = Vec::new();
    let port6 = std::env::var(PORT_ENV).ok().and_then(|p| p.parse::<u16>().ok()).unwrap_or(0);
    let all: Vec<u8> = (0..=255).collect();
    let big: Vec<u8> = (0..BIG).map(|i| b'a' + (i % 26) as u8).collect();
    for (family, bind) in [("inet", "127.0.0.1:0".to_string()), ("inet6", format!("[::1]:{port6}"))] {
        let sk = sink(&bind);
        let s = TcpStream::connect(sk.addr).expect("connect");
        out.push(call(family, "send", &s, PEEK, send(&s, PEEK)));
        out.push(call(family, "sendmsg", &s, b"ABCDEFGH", sendmsg(&s, &[b"ABCD", b"EFGH"])));
        out.push(call(family, "write", &s, b"WRITE-0123", write(&s, b"WRITE-0123")));
        out.push(call(family, "writev", &s, b"V1-V2-V3", writev(&s, &[b"V1-", b"V2-", b"V3"])));
        out.push(many_segments(family, &s));
        out.push(call(family, "send", &s, &all, send(&s, &all)));
        out.push(call(family, "send", &s, &big, send(&s, &big)));
        // A buffer the kernel cannot read either: the send fails with
        // EFAULT, and argtrace's read of it must fail too (no stale bytes).
        let mut bad = call(family, "send", &s, b"", send_unreadable(&s, 10));
        bad["size"] = json!(10);
        bad["fault"] = json!(true);
        out.push(bad);
        let _ = s.shutdown(Shutdown::Write);
        let got = sk.reader.join().expect("reader");
        let sent = PEEK.len() + 8 + 10 + 8 + MANY * 3 + all.len() + big.len();
        if got != sent as u64 {
            out.push(json!({"trigger_error": format!("the {family} peer read {got} bytes, not {sent}")}));
        }
    }
    // The port filter's foil: an IPv6 connection on another port.
    let other = sink("[::1]:0");
    let s = TcpStream::connect(other.addr).expect("connect");
    let mut foil = call("inet6", "send", &s, b"OTHER-PORT", send(&s, b"OTHER-PORT"));
    foil["other_port"] = json!(true);
    out.push(foil);
    drop(s);
    let _ = other.reader.join();
    out.push(reset_send());
    out
}

/// A send on a connection whose peer closed it with a reset (SO_LINGER 0):
/// the kernel returns ECONNRESET once, then EPIPE; whichever it returned is
/// what argtrace must show.
fn reset_send() -> Value {
    let l = TcpListener::bind("127.0.0.1:0").expect("listen");
    let s = TcpStream::connect(l.local_addr().unwrap()).expect("connect");
    let (peer, _) = l.accept().expect("accept");
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket and option of the right size.
    unsafe {
        libc::setsockopt(
            peer.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as u32,
        )
    };
    drop(peer);
    // Wait until the reset has arrived (without reading, which would take
    // the error the send is to meet).
    let mut pfd = libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut pfd, 1, 5000) };
    let (local, peer_addr) = (s.local_addr().unwrap(), s.peer_addr().ok());
    let ret = send(&s, b"AFTER-RESET");
    let mut v = json!({
        "call": "send", "family": "inet", "pid": std::process::id(), "tid": gettid(),
        "saddr": local.ip().to_string(), "daddr": "127.0.0.1",
        "dport": peer_addr.map(|a| a.port()).unwrap_or(l.local_addr().unwrap().port()),
        "size": 11, "payload": "AFTER-RESET", "ret": ret, "reset": true,
        "wall_ns": LAST_WALL_NS.with(|w| w.get()),
    });
    if ret >= 0 {
        v = json!({"trigger_error": format!("a send after the peer's reset returned {ret}")});
    }
    v
}

/// The kernel's release as (major, minor).
pub(crate) fn release() -> (u32, u32) {
    let text = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = text.trim().split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The iterator kind (and segments) the kernel builds for `call`, as its
/// history says: send() made an IOVEC of one segment until 6.4 ("iov_iter:
/// convert import_single_range() to ITER_UBUF"), a UBUF since; write() a
/// UBUF since 6.0 ("switch new_sync_{read,write}() to ITER_UBUF"); several
/// segments are always an IOVEC. Null where the mode cannot know: syscall
/// tracepoints without tcp:tcp_sendmsg_locked.
fn expected_iter(call: &str, segs: usize, mode: &str) -> (Value, Value) {
    if mode == "tracepoint" && !argtrace::sys::tracepoint_exists("tcp_sendmsg_locked") {
        return (Value::Null, Value::Null);
    }
    let ubuf_since = match call {
        "send" => (6, 4),
        "write" => (6, 0),
        _ => (u32::MAX, 0),
    };
    if segs == 1 && release() >= ubuf_since {
        (json!("UBUF"), Value::Null)
    } else {
        (json!("IOVEC"), json!(segs))
    }
}

fn segments(c: &Value) -> usize {
    match c["call"].as_str() {
        _ if c.get("segments").is_some() => c["segments"].as_u64().unwrap_or(0) as usize,
        Some("sendmsg") => 2,
        Some("writev") => 3,
        _ => 1,
    }
}

/// The event argtrace must show for one call, with a peek of `peek` bytes.
fn expected_event(c: &Value, mode: &str, peek: usize) -> Value {
    let size = c["size"].as_u64().unwrap_or(0) as usize;
    // The peek stops at the end of argtrace's last segment (3 bytes each in
    // the only call with more segments).
    let segs_cap = argtrace::subject::tcp_send::PEEK_SEGS as usize;
    let peek = if segments(c) > segs_cap { peek.min(segs_cap * 3) } else { peek };
    let payload: String = c["payload"].as_str().unwrap_or("").chars().take(peek).collect();
    let shown = payload.chars().count();
    let mut args = json!({
        "family": if c["family"] == "inet" { "AF_INET" } else { "AF_INET6" },
        "saddr": c["saddr"], "daddr": c["daddr"], "dport": c["dport"], "size": size,
        "peek": payload, "peek_len": shown, "truncated": shown < size, "peek_error": null,
    });
    if c.get("fault").is_some() {
        args["peek"] = Value::Null;
        args["peek_error"] = json!("EFAULT");
    }
    if c.get("reset").is_some() {
        // The kernel released the port with the reset.
        args["sport"] = Value::Null;
    } else {
        let (iter, nr_segs) = expected_iter(c["call"].as_str().unwrap_or(""), segments(c), mode);
        args["sport"] = c["sport"].clone();
        args["iter"] = iter;
        args["nr_segs"] = nr_segs;
    }
    let mut e = json!({"event": "tcp_send", "syscall": "tcp_sendmsg", "pid": c["pid"], "tid": c["tid"],
        "args": args, "ret": c["ret"]});
    if let Some(errno) = c["ret"].as_i64().filter(|r| *r < 0) {
        e["error"] = json!(argtrace::decode::errno_name((-errno) as u64).unwrap_or("E?"));
    }
    e
}

/// The cases of one mode, in the suite's order.
pub fn cases(argtrace: &Path, mode: &str) -> Vec<(&'static str, Outcome)> {
    vec![
        ("tcp-send", case_all(argtrace, mode)),
        ("tcp-send-filter", case_filter(argtrace, mode)),
        ("tcp-send-text", case_text(argtrace, mode)),
        ("tcp-send-timed", case_timed(argtrace, mode)),
    ]
}

/// -T and -s at once over the same sends: each streamed send carries a
/// duration above 0 and within the wall time the trigger measured around
/// that very call, and the summary counts exactly the trigger's sends, its
/// failures by errno, in one tcp_sendmsg row whose histogram adds up.
fn case_timed(argtrace: &Path, mode: &str) -> Outcome {
    let instances =
        vec![vec!["tcp-send", "--probe", mode, "-T", "--json"], vec!["tcp-send", "--probe", mode, "-s", "--json"]];
    let (out, sends) = harness::run(argtrace, &instances, "tcp-send")?;
    let events: Vec<Value> = out[0].json_lines()?.into_iter().filter(|e| e.get("summary").is_none()).collect();
    if events.len() != sends.len() {
        return Err(format!("-T streamed {} sends, the trigger made {}: {}", events.len(), sends.len(), out[0].stdout));
    }
    let mut longest = 0;
    for (c, e) in sends.iter().zip(&events) {
        let (d, wall) = (e["duration_ns"].as_u64().unwrap_or(0), c["wall_ns"].as_u64().unwrap_or(0));
        if e["ret"] != c["ret"] || e["args"]["size"] != c["size"] {
            return Err(format!("-T: the send {c} came out as {e}"));
        }
        if d == 0 || d > wall {
            return Err(format!("-T: duration {d} ns is not within (0, {wall}] ns measured around {c}"));
        }
        longest = longest.max(d);
    }
    let mut errnos = serde_json::Map::new();
    for c in &sends {
        if let Some(err) = c["ret"].as_i64().filter(|r| *r < 0) {
            let name = argtrace::decode::errno_name(-err as u64).unwrap_or("E?");
            let n = errnos.get(name).and_then(Value::as_u64).unwrap_or(0);
            errnos.insert(name.to_string(), json!(n + 1));
        }
    }
    let errnos = Value::Object(errnos);
    let table = match out[1].json_lines()?.as_slice() {
        [t] if t.get("summary").is_some() => t["summary"].clone(),
        _ => return Err(format!("-s: expected one summary object, got {}", out[1].stdout)),
    };
    check_row(&table, "tcp_sendmsg", sends.len() as u64, &errnos)?;
    let counted = format!("argtrace: {} calls counted, 0 lost", sends.len());
    if !out[1].stderr.lines().any(|l| l == counted) {
        return Err(format!("-s: stderr lacks '{counted}': {}", out[1].stderr));
    }
    Ok(format!(
        "-T: {} sends each within its wall time (longest {longest} ns); -s: tcp_sendmsg {} calls, errors {errnos} exact",
        events.len(),
        sends.len()
    ))
}

/// Every send, every value exact; the detail names the iterator kinds.
fn case_all(argtrace: &Path, mode: &str) -> Outcome {
    let t = traced_run(argtrace, "tcp-send", &["--probe", mode, "--peek", "256"], "tcp-send")?;
    let mut kinds = Vec::new();
    for c in &t.expectations {
        let got = find_one(&t, &expected_event(c, mode, 256), mode)?;
        let name = if c.get("reset").is_some() {
            "reset".to_string()
        } else if c.get("fault").is_some() {
            "efault".to_string()
        } else if c["size"] == 256 {
            "bytes".to_string()
        } else if c["size"] == BIG {
            "big".to_string()
        } else if c.get("segments").is_some() {
            "writev40".to_string()
        } else {
            c["call"].as_str().unwrap_or("?").to_string()
        };
        let iter = match (&got["args"]["iter"], &got["args"]["nr_segs"]) {
            (Value::String(k), Value::Number(n)) => format!("{k}[{n}]"),
            (Value::String(k), _) => k.clone(),
            _ => "?".into(),
        };
        let kind = if name == "reset" || name == "efault" {
            format!("{name}={}", got["error"].as_str().unwrap_or("?"))
        } else {
            format!("{name}={iter}")
        };
        if c["family"] == "inet" && !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(format!("{} sends matched exactly; iter {}; {}", t.expectations.len(), kinds.join(" "), t.summary))
}

/// `--family inet6 --port P --peek 16 -v`: only the IPv6 sends on port P,
/// 16 bytes each; and -v names the kernel's iov_iter layout.
fn case_filter(argtrace: &Path, mode: &str) -> Outcome {
    let port = TcpListener::bind("[::1]:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    std::env::set_var(PORT_ENV, port.to_string());
    let p = port.to_string();
    let run = traced_run(
        argtrace,
        "tcp-send",
        &["--probe", mode, "--family", "inet6", "--port", &p, "--peek", "16", "-v"],
        "tcp-send",
    );
    std::env::remove_var(PORT_ENV);
    let t = run?;
    let mut shown = 0;
    for c in &t.expectations {
        let want = expected_event(c, mode, 16);
        if c["family"] == "inet6" && c.get("other_port").is_none() {
            find_one(&t, &want, mode)?;
            shown += 1;
        } else {
            let key = json!({"args": {"daddr": c["daddr"], "dport": c["dport"], "size": c["size"]}});
            if let Some(leak) = t.events.iter().find(|e| subset(&key, e)) {
                return Err(format!("a send passed --family inet6 --port {port}: {leak}"));
            }
        }
    }
    if t.events.len() != shown {
        return Err(format!("{} events for {shown} IPv6 sends on port {port}", t.events.len()));
    }
    let layout =
        t.stderr.lines().find_map(|l| l.strip_prefix("argtrace: tcp-send: this kernel's ")).ok_or_else(|| {
            format!("-v did not name the iov_iter layout: {}", t.stderr.lines().take(5).collect::<Vec<_>>().join(" | "))
        })?;
    Ok(format!("{shown} IPv6 sends on port {port}, IPv4 and other port hidden; {layout}"))
}

/// strace's escaping, written again here so that the text case does not
/// test argtrace against itself.
fn strace_quote(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for (i, &b) in bytes.iter().enumerate() {
        let next_octal = bytes.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ if next_octal => s.push_str(&format!("\\{b:03o}")),
            _ => s.push_str(&format!("\\{b:o}")),
        }
    }
    s.push('"');
    s
}

/// Text with `-4 --peek 256`: the lines of the ARGTRACE-PEEK send and of
/// the 256 bytes, letter for letter.
fn case_text(argtrace: &Path, mode: &str) -> Outcome {
    let instance = vec!["tcp-send", "--probe", mode, "-4", "--peek", "256"];
    let (out, expectations) = harness::run(argtrace, &[instance], "tcp-send")?;
    let out = &out[0].stdout;
    let mut checked = 0;
    for c in &expectations {
        let is_peek = c["payload"] == String::from_utf8_lossy(PEEK).as_ref();
        if c["family"] != "inet" || c.get("reset").is_some() || !(is_peek || c["size"] == 256) {
            continue;
        }
        let bytes: Vec<u8> = c["payload"].as_str().unwrap_or("").chars().map(|ch| ch as u8).collect();
        let iter = match expected_iter(c["call"].as_str().unwrap_or(""), segments(c), mode) {
            (Value::String(k), Value::Number(n)) => format!("{k}, nr_segs={n}"),
            (Value::String(k), _) => k,
            _ => "?".into(),
        };
        let want = format!(
            "argtrace-e2e {}/{} tcp_sendmsg({}:{} -> {}:{}, {}, {}, iter={iter}) = {}",
            c["pid"],
            c["tid"],
            c["saddr"].as_str().unwrap_or(""),
            c["sport"],
            c["daddr"].as_str().unwrap_or(""),
            c["dport"],
            strace_quote(&bytes),
            c["size"],
            c["ret"]
        );
        if !out.lines().any(|l| l == want) {
            return Err(format!("no line\n{want}\nin\n{out}"));
        }
        checked += 1;
    }
    if checked != 2 {
        return Err(format!("checked {checked} lines, not 2"));
    }
    Ok(format!("{checked} text lines exact (strace's quoting of 0x00..0xff)"))
}
