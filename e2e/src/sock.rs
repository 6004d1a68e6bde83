//! The end-to-end cases of `argtrace sock` (cgroup mode, once per kernel) and
//! their triggers. Each trigger is `argtrace-e2e sock-trigger <name> [arg]`:
//! it does its preparation, prints `ready`, waits for a line on stdin, does
//! its socket calls with values it chooses, and prints one JSON object with
//! what it got: pids, tids, the ports the kernel gave, and each socket's
//! cookie (getsockopt SO_COOKIE, the value argtrace reads with
//! bpf_get_socket_cookie). The cases start argtrace between `ready` and the
//! go, and match its events to the triggers' sockets by cookie.

use std::io::{BufRead, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use argtrace_testkit::bpf::{
    self, put_u32, put_u64, u32_at, BPF_LINK_GET_NEXT_ID, BPF_PROG_GET_NEXT_ID, BPF_PROG_QUERY,
};
use argtrace_testkit::process::gettid;
use serde_json::{json, Value};

use crate::harness::{self, has_precise_time, run_ready, subset, Outcome, Output, ReadyTrigger, Report};

/// The mode column of the kernel matrix: sock has no other.
const MODE: &str = "cgroup";
/// The comm of the triggers (and of the suite, which opens no inet socket).
const COMM: &str = "argtrace-e2e";
/// The comm under which the accept-child trigger's child accepts.
const ACCEPTOR: &str = "e2e-acceptor";

/// Runs every sock case, reporting each as it ends.
pub fn run(argtrace: &Path, report: &mut Report) {
    let all = ["tcp-listen", "udp-send", "tcp6-connect", "fork-close", "preexisting", "old-server", "accept-child"];
    match traced(argtrace, &["--json"], &all.map(|t| (t, None))) {
        Ok(t) => {
            report.case("sock-auto", MODE, check_auto(&t));
            report.case("sock-tcp-listen", MODE, check_tcp_listen(&t, &t.facts[0]));
            report.case("sock-udp-sendmsg", MODE, check_udp_send(&t, &t.facts[1]));
            report.case("sock-tcp6-connect", MODE, check_tcp6_connect(&t, &t.facts[2]));
            report.case("sock-fork-close", MODE, check_fork_close(&t, &t.facts[3]));
            report.case("sock-preexisting", MODE, check_preexisting(&t, &t.facts[4]));
            report.case("sock-seeded-accept", MODE, check_old_server(&t, &t.facts[5]));
            report.case("sock-accepted", MODE, check_accepted(&t, &t.facts[6]));
        }
        Err(e) => {
            for case in [
                "sock-auto",
                "sock-tcp-listen",
                "sock-udp-sendmsg",
                "sock-tcp6-connect",
                "sock-fork-close",
                "sock-preexisting",
                "sock-seeded-accept",
                "sock-accepted",
            ] {
                report.case(case, MODE, Err(e.clone()));
            }
        }
    }
    report.case("sock-family", MODE, case_family(argtrace));
    report.case("sock-proto", MODE, case_proto(argtrace));
    report.case("sock-text", MODE, case_text(argtrace));
    report.case("sock-cgroup", MODE, case_cgroup(argtrace));
    report.case("sock-no-sk-storage", MODE, case_no_sk_storage(argtrace));
    report.case("sock-sigkill", MODE, case_sigkill(argtrace));
    report.case("sock-summary", MODE, case_summary(argtrace));
}

/// `argtrace-e2e sock-suite ARGTRACE`: the sock cases alone, for a quick run.
pub fn suite(argtrace: &Path) -> i32 {
    let mut report = Report::default();
    run(argtrace, &mut report);
    report.done()
}

// ---------------------------------------------------------------- runner ---

/// What one argtrace run over some triggers produced.
struct Traced {
    /// JSON events, or text lines (as strings) without --json.
    events: Vec<Value>,
    /// One object per trigger, in order.
    facts: Vec<Value>,
    stderr: String,
}

/// `argtrace sock ARGS` with `env` set.
fn sock_command(argtrace: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(argtrace);
    cmd.envs(env.iter().copied()).arg("sock").args(args);
    cmd
}

/// Starts the triggers (each stops at `ready`), then `argtrace sock -c
/// argtrace-e2e ARGS`, lets the triggers run one after the other, stops
/// argtrace with SIGINT and checks its summary against what it printed.
fn traced(argtrace: &Path, args: &[&str], triggers: &[(&str, Option<&str>)]) -> Result<Traced, String> {
    traced_with(argtrace, &[], args, triggers)
}

fn traced_with(
    argtrace: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    triggers: &[(&str, Option<&str>)],
) -> Result<Traced, String> {
    let (out, facts) = run_triggers(argtrace, env, args, triggers)?;
    let events = if args.contains(&"--json") {
        out.events()?.0
    } else {
        out.stdout.lines().map(|l| Value::String(l.to_string())).collect()
    };
    let counts = format!("argtrace: {} events, 0 lost", events.len());
    if !out.stderr.lines().any(|l| l == counts) {
        return Err(format!("no '{counts}' on stderr: {}", out.stderr));
    }
    Ok(Traced { events, facts, stderr: out.stderr })
}

/// Starts the triggers, then `argtrace sock -c argtrace-e2e ARGS`, lets the
/// triggers run one after the other and stops argtrace with SIGINT; returns
/// what it printed and the triggers' facts, once it ended well.
fn run_triggers(
    argtrace: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    triggers: &[(&str, Option<&str>)],
) -> Result<(Output, Vec<Value>), String> {
    let mut ready = Vec::new();
    for (name, arg) in triggers {
        ready.push(ReadyTrigger::start("sock-trigger", name, arg.as_slice())?);
    }
    let mut full = vec!["-c", COMM];
    full.extend_from_slice(args);
    // Close events of exiting triggers come from their exit: give them a moment.
    run_ready(ready, &mut sock_command(argtrace, env, &full), Duration::from_millis(200))
}

// ----------------------------------------------------------------- checks ---

impl Traced {
    /// The events of one socket, in order.
    fn of(&self, cookie: &Value) -> Vec<&Value> {
        self.events.iter().filter(|e| e["args"]["cookie"] == *cookie).collect()
    }

    /// The one event of a socket with this op.
    fn one(&self, cookie: &Value, op: &str) -> Result<&Value, String> {
        let all: Vec<&Value> = self.of(cookie).into_iter().filter(|e| e["op"] == op).collect();
        match all.as_slice() {
            [one] => {
                if one["probe"] != MODE || one["event"] != "sock" {
                    return Err(format!("not a sock event in cgroup mode: {one}"));
                }
                if !has_precise_time(one) {
                    return Err(format!("time is not RFC 3339 with nanoseconds: {one}"));
                }
                Ok(one)
            }
            _ => Err(format!(
                "{} {op} events for cookie {cookie}, expected one; the socket's: {}",
                all.len(),
                show(&self.of(cookie))
            )),
        }
    }
}

fn show(events: &[&Value]) -> String {
    events.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" ")
}

fn expect(got: &Value, want: Value) -> Result<(), String> {
    if subset(&want, got) {
        Ok(())
    } else {
        Err(format!("expected {want}, got {got}"))
    }
}

fn check_auto(t: &Traced) -> Outcome {
    let line = "argtrace: probe mode cgroup (auto)";
    match t.stderr.lines().any(|l| l == line) {
        true => Ok(line.into()),
        false => Err(format!("auto did not choose cgroup: {}", t.stderr)),
    }
}

fn check_tcp_listen(t: &Traced, f: &Value) -> Outcome {
    let cookie = &f["cookie"];
    let me = json!({"pid": f["pid"], "tid": f["tid"]});
    let ids = json!({"cookie": cookie, "family": "AF_INET", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP"});
    let socket = t.one(cookie, "socket")?;
    expect(socket, json!({"pid": f["pid"], "tid": f["tid"], "args": ids, "creator": me}))?;
    let bind = t.one(cookie, "bind")?;
    let args = json!({"addr": "127.0.0.1", "port": 0, "bound_addr": "127.0.0.1", "bound_port": f["port"]});
    expect(bind, json!({"pid": f["pid"], "args": ids, "creator": me}))?;
    expect(bind, json!({"args": args}))?;
    let close = t.one(cookie, "close")?;
    expect(close, json!({"pid": f["pid"], "args": {"state": "LISTEN"}, "creator": me}))?;
    if !matches!(close["args"]["lifetime_ns"].as_u64(), Some(n) if n > 0) {
        return Err(format!("no lifetime at close: {close}"));
    }
    if t.of(cookie).len() != 3 {
        return Err(format!("expected socket, bind, close only: {}", show(&t.of(cookie))));
    }
    Ok(format!("cookie {cookie}: socket, bind 127.0.0.1:0 = 127.0.0.1:{}, close in LISTEN", f["port"]))
}

fn check_udp_send(t: &Traced, f: &Value) -> Outcome {
    let cookie = &f["cookie"];
    let ids = json!({"cookie": cookie, "family": "AF_INET", "type": "SOCK_DGRAM", "protocol": "IPPROTO_UDP"});
    expect(t.one(cookie, "socket")?, json!({"pid": f["pid"], "args": ids}))?;
    let send = t.one(cookie, "sendmsg")?;
    expect(send, json!({"pid": f["pid"], "tid": f["tid"], "args": {"daddr": "127.0.0.1", "dport": 9}}))?;
    expect(send, json!({"args": ids, "creator": {"pid": f["pid"], "tid": f["tid"]}}))?;
    expect(t.one(cookie, "close")?, json!({"args": {"state": null}}))?;
    Ok(format!("cookie {cookie}: sendmsg to 127.0.0.1:9"))
}

fn check_tcp6_connect(t: &Traced, f: &Value) -> Outcome {
    let cookie = &f["cookie"];
    let connect = t.one(cookie, "connect")?;
    let args = json!({"cookie": cookie, "family": "AF_INET6", "type": "SOCK_STREAM", "protocol": "IPPROTO_TCP",
                      "daddr": "::1", "dport": f["port"]});
    expect(connect, json!({"pid": f["pid"], "tid": f["tid"], "args": args}))?;
    expect(t.one(cookie, "close")?, json!({"args": {"state": "ESTABLISHED"}}))?;
    Ok(format!("cookie {cookie}: connect to [::1]:{}", f["port"]))
}

fn check_fork_close(t: &Traced, f: &Value) -> Outcome {
    let cookie = &f["cookie"];
    let close = t.one(cookie, "close")?;
    expect(close, json!({"pid": f["child"], "tid": f["child"], "creator": {"pid": f["pid"], "tid": f["tid"]}}))?;
    if !matches!(close["args"]["lifetime_ns"].as_u64(), Some(n) if n > 0) {
        return Err(format!("no lifetime at close: {close}"));
    }
    Ok(format!("cookie {cookie}: closed by the child {}, created by {}", f["child"], f["pid"]))
}

/// Whether argtrace seeds the owners of older sockets on this kernel (5.11+),
/// checked against what it said: where it cannot, it says so once.
pub(crate) fn seeds(stderr: &str) -> Result<bool, String> {
    let said = stderr.contains("the sockets older than argtrace get no owner");
    let can = crate::tcp_send::release() >= (5, 11);
    match (can, said) {
        (true, true) => Err(format!("a 5.11+ kernel where seeding the owners failed: {stderr}")),
        (false, false) => Err(format!("no word that seeding is missing on a kernel before 5.11: {stderr}")),
        _ => Ok(can),
    }
}

/// A socket made before argtrace started and neither bound nor connected
/// then: in no TCP or UDP table, the seeding at start-up cannot find it, so
/// its events say the creator is unknown, never a guess.
fn check_preexisting(t: &Traced, f: &Value) -> Outcome {
    let cookie = &f["cookie"];
    if !t.of(cookie).iter().all(|e| e["op"] != "socket") {
        return Err(format!("a socket event for a socket made before argtrace: {}", show(&t.of(cookie))));
    }
    let bind = t.one(cookie, "bind")?;
    expect(bind, json!({"pid": f["pid"], "creator": null, "args": {"bound_port": f["port"]}}))?;
    expect(t.one(cookie, "close")?, json!({"creator": null, "args": {"lifetime_ns": null, "state": "CLOSE"}}))?;
    Ok(format!("cookie {cookie}: creator null and lifetime null at bind and close"))
}

/// A server whose listener is older than argtrace: the listener's close
/// names the server, seeded (before 5.11: unknown); the socket it accepted
/// since names the server as the task that accepted it, on every kernel;
/// the client's socket, new, names the client; so both ends of the
/// connection have a creator.
fn check_old_server(t: &Traced, f: &Value) -> Outcome {
    let seeded = json!({"pid": f["pid"], "tid": f["pid"], "comm": COMM, "seeded": true});
    let server = if seeds(&t.stderr)? { seeded } else { Value::Null };
    let client = json!({"pid": f["pid"], "tid": f["pid"], "comm": COMM});
    expect(
        t.one(&f["listener"], "close")?,
        json!({"creator": server, "args": {"state": "LISTEN", "lifetime_ns": null}}),
    )?;
    let acceptor = json!({"pid": f["pid"], "tid": f["pid"], "comm": COMM, "uid": 0, "accepted": true});
    let a = t.one(&f["accepted"], "close")?;
    if a["creator"] != acceptor || !matches!(a["args"]["lifetime_ns"].as_u64(), Some(n) if n > 0) {
        return Err(format!("expected the accepted socket's creator {acceptor} and a lifetime: {a}"));
    }
    let c = t.one(&f["client"], "close")?;
    expect(c, json!({"creator": client}))?;
    if c["creator"].get("seeded").is_some() || c["args"]["lifetime_ns"].is_null() {
        return Err(format!("the client's socket is new, not seeded: {c}"));
    }
    Ok(format!(
        "listener {}: creator {server}; accepted {}: {acceptor}; client {}: created after the start",
        f["listener"], f["accepted"], f["client"]
    ))
}

/// A listener made by one process, accept() called by its child under
/// another comm (e2e-acceptor), which takes its own name back before it
/// closes the socket: the accepted socket's creator is the child as it was
/// when it accepted, marked accepted, with the lifetime since accept; the
/// listener's and the client's are the parent's.
fn check_accepted(t: &Traced, f: &Value) -> Outcome {
    let parent = json!({"pid": f["pid"], "tid": f["pid"], "comm": COMM, "uid": 0});
    let acceptor = json!({"pid": f["child"], "tid": f["child"], "comm": ACCEPTOR, "uid": 0, "accepted": true});
    let a = t.one(&f["accepted"], "close")?;
    expect(a, json!({"pid": f["child"], "tid": f["child"], "comm": COMM, "args": {"state": "ESTABLISHED"}}))?;
    if a["creator"] != acceptor || !matches!(a["args"]["lifetime_ns"].as_u64(), Some(n) if n > 0) {
        return Err(format!("expected the accepted socket's creator {acceptor} and a lifetime: {a}"));
    }
    for (what, cookie) in [("listener", &f["listener"]), ("client", &f["client"])] {
        let close = t.one(cookie, "close")?;
        if close["creator"] != parent {
            return Err(format!("the {what}'s creator is not {parent}: {close}"));
        }
    }
    Ok(format!("accepted {}: creator {acceptor}; listener and client: {parent}", f["accepted"]))
}

/// `--family inet` hides the IPv6 connect; `-6` shows only it.
fn case_family(argtrace: &Path) -> Outcome {
    let triggers = [("tcp6-connect", None), ("tcp-listen", None)];
    let t = traced(argtrace, &["--json", "--probe", "cgroup", "--family", "inet"], &triggers)?;
    let (v6, v4) = (&t.facts[0], &t.facts[1]);
    if let Some(e) = t.events.iter().find(|e| e["args"]["family"] != "AF_INET") {
        return Err(format!("--family inet let through {e}"));
    }
    if !t.of(&v6["cookie"]).is_empty() || !t.of(&v6["listener_cookie"]).is_empty() {
        return Err(format!("--family inet showed the IPv6 sockets: {}", show(&t.of(&v6["cookie"]))));
    }
    t.one(&v4["cookie"], "bind")?;
    let inet_events = t.events.len();
    let t = traced(argtrace, &["--json", "-6"], &triggers)?;
    let (v6, v4) = (&t.facts[0], &t.facts[1]);
    if let Some(e) = t.events.iter().find(|e| e["args"]["family"] != "AF_INET6") {
        return Err(format!("-6 let through {e}"));
    }
    if !t.of(&v4["cookie"]).is_empty() {
        return Err(format!("-6 showed the IPv4 socket: {}", show(&t.of(&v4["cookie"]))));
    }
    expect(t.one(&v6["cookie"], "connect")?, json!({"args": {"daddr": "::1", "dport": v6["port"]}}))?;
    Ok(format!(
        "--family inet: {inet_events} IPv4 events, no IPv6; -6: the connect to [::1]:{} and no IPv4",
        v6["port"]
    ))
}

/// -s: the kernel counts each op of the triggers' sockets, exactly (tcp-listen:
/// socket, bind, close; udp-send: socket, sendmsg, close), with no errors
/// (every bind confirmed), and the table says nothing of durations, which
/// cgroup hooks do not see.
fn case_summary(argtrace: &Path) -> Outcome {
    let triggers = [("tcp-listen", None), ("udp-send", None)];
    let (out, _) = run_triggers(argtrace, &[], &["-s", "--json"], &triggers)?;
    let (out, stderr) = (out.stdout, out.stderr);
    let table: Value = serde_json::from_str(out.trim()).map_err(|e| format!("not one JSON object ({e}): {out}"))?;
    let t = &table["summary"];
    let mut got = serde_json::Map::new();
    for row in t["counts"].as_array().ok_or_else(|| format!("no counts: {table}"))? {
        let keys: Vec<&String> = row.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        if keys != ["count", "errors", "event"] || row["errors"] != 0 {
            return Err(format!("a row with more than a count and no errors: {row}"));
        }
        got.insert(row["event"].as_str().unwrap_or("?").to_string(), row["count"].clone());
    }
    let want = json!({"socket": 2, "bind": 1, "sendmsg": 1, "close": 2});
    if Value::Object(got) != want || t["total"]["count"] != 6 || t["dropped"] != 0 || t["subject"] != "sock" {
        return Err(format!("expected {want}, 6 in all, none dropped: {table}"));
    }
    let counted = "argtrace: 6 events counted, 0 lost";
    if !stderr.lines().any(|l| l == counted) {
        return Err(format!("no '{counted}' on stderr: {stderr}"));
    }
    Ok(format!("{want} counted in the kernel, exactly"))
}

/// `--proto udp` shows the UDP socket and hides the TCP one.
fn case_proto(argtrace: &Path) -> Outcome {
    let t = traced(argtrace, &["--json", "--proto", "udp"], &[("tcp-listen", None), ("udp-send", None)])?;
    let (tcp, udp) = (&t.facts[0], &t.facts[1]);
    if let Some(e) = t.events.iter().find(|e| e["args"]["protocol"] != "IPPROTO_UDP") {
        return Err(format!("--proto udp let through {e}"));
    }
    if !t.of(&tcp["cookie"]).is_empty() {
        return Err(format!("--proto udp showed the TCP socket: {}", show(&t.of(&tcp["cookie"]))));
    }
    expect(t.one(&udp["cookie"], "sendmsg")?, json!({"args": {"daddr": "127.0.0.1", "dport": 9}}))?;
    Ok(format!("{} UDP events, the TCP socket hidden", t.events.len()))
}

/// The text lines, exactly (but for the lifetime's digits).
fn case_text(argtrace: &Path) -> Outcome {
    let t = traced(argtrace, &[], &[("tcp-listen", None)])?;
    let f = &t.facts[0];
    let (pid, tid, cookie, port) = (&f["pid"], &f["tid"], &f["cookie"], &f["port"]);
    let lines: Vec<&str> =
        t.events.iter().filter_map(Value::as_str).filter(|l| l.contains(&format!("cookie={cookie}"))).collect();
    let want = [
        format!("{COMM} {pid}/{tid} socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) cookie={cookie}"),
        format!("{COMM} {pid}/{tid} bind(cookie={cookie}, 127.0.0.1:0) = 127.0.0.1:{port}"),
    ];
    let close_head = format!("{COMM} {pid}/{tid} close(cookie={cookie}, state=LISTEN, life=");
    let close_tail = format!("s, creator={COMM} {pid}/{tid})");
    let ok = lines.len() == 3
        && lines[0] == want[0]
        && lines[1] == want[1]
        && lines[2].starts_with(&close_head)
        && lines[2].ends_with(&close_tail)
        && lines[2][close_head.len()..lines[2].len() - close_tail.len()]
            .split_once('.')
            .is_some_and(|(s, us)| s.parse::<u64>().is_ok() && us.len() == 6 && us.parse::<u64>().is_ok());
    match ok {
        true => Ok(format!("{} | {} | {}", lines[0], lines[1], lines[2])),
        false => Err(format!("expected {:?} and '{close_head}N.NNNNNN{close_tail}', got {lines:?}", want)),
    }
}

/// As on a kernel without socket-local storage (ARGTRACE_NO_SK_STORAGE=1, since
/// every kernel of the matrix has it): said once on stderr, every creator and
/// lifetime null, everything else as usual.
fn case_no_sk_storage(argtrace: &Path) -> Outcome {
    let env = [("ARGTRACE_NO_SK_STORAGE", "1")];
    let t = traced_with(argtrace, &env, &["--json"], &[("tcp-listen", None), ("fork-close", None)])?;
    let said: Vec<&str> = t.stderr.lines().filter(|l| l.contains("no socket-local storage")).collect();
    if said.len() != 1 {
        return Err(format!("expected one line about socket-local storage on stderr: {}", t.stderr));
    }
    if let Some(e) = t.events.iter().find(|e| !e["creator"].is_null()) {
        return Err(format!("a creator without socket-local storage: {e}"));
    }
    let f = &t.facts[0];
    expect(t.one(&f["cookie"], "bind")?, json!({"args": {"port": 0, "bound_port": f["port"]}}))?;
    expect(t.one(&f["cookie"], "close")?, json!({"args": {"state": "LISTEN", "lifetime_ns": null}}))?;
    let g = &t.facts[1];
    expect(t.one(&g["cookie"], "close")?, json!({"pid": g["child"], "args": {"lifetime_ns": null}}))?;
    Ok(format!("{}; {} events, creator and lifetime null in all", said[0], t.events.len()))
}

/// `--cgroup` a fresh child cgroup: the trigger's process moved into it is
/// seen, its sibling left outside is not.
fn case_cgroup(argtrace: &Path) -> Outcome {
    let root = argtrace::sys::cgroup2_mount().ok_or("no cgroup v2 mounted")?;
    let dir = root.join(format!("argtrace-e2e-{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let outcome = (|| {
        let path = dir.to_str().ok_or("non-UTF-8 cgroup path")?;
        let t = traced(argtrace, &["--json", "--cgroup", path], &[("cgroup", Some(path))])?;
        let f = &t.facts[0];
        let (inside, outside) = (&f["inside"], &f["outside"]);
        expect(t.one(&inside["cookie"], "socket")?, json!({"pid": inside["pid"]}))?;
        t.one(&inside["cookie"], "close")?;
        if let Some(e) =
            t.events.iter().find(|e| e["args"]["cookie"] == outside["cookie"] || e["pid"] == outside["pid"])
        {
            return Err(format!("the process outside {} was seen: {e}", dir.display()));
        }
        Ok(format!(
            "{}: pid {} inside seen (cookie {}), pid {} outside not (cookie {})",
            dir.display(),
            inside["pid"],
            inside["cookie"],
            outside["pid"],
            outside["cookie"]
        ))
    })();
    // The trigger's processes have exited and been reaped: the cgroup is empty.
    let removed = std::fs::remove_dir(&dir).map_err(|e| format!("rmdir {}: {e}", dir.display()));
    let detail = outcome?;
    removed?;
    Ok(detail)
}

// ---------------------------------------------------------------- sigkill ---

/// The attach types of argtrace sock's programs (include/uapi/linux/bpf.h).
const SOCK_ATTACH_TYPES: [u32; 10] = [2, 8, 9, 10, 11, 12, 13, 14, 15, 34];

/// The ids of the programs attached to `cgroup` itself for these attach types.
fn attached(cgroup: &Path) -> Result<Vec<u32>, String> {
    let dir = std::fs::File::open(cgroup).map_err(|e| format!("{}: {e}", cgroup.display()))?;
    let mut all = Vec::new();
    for attach_type in SOCK_ATTACH_TYPES {
        let mut ids = [0u32; 64];
        let mut attr = [0u8; 32];
        put_u32(&mut attr, 0, dir.as_raw_fd() as u32); // target_fd
        put_u32(&mut attr, 4, attach_type);
        put_u64(&mut attr, 16, ids.as_mut_ptr() as u64); // prog_ids
        put_u32(&mut attr, 24, ids.len() as u32); // prog_cnt
                                                  // BPF_PROG_QUERY writes prog_cnt and at most prog_cnt ids into `ids`, both live.
        bpf::call(BPF_PROG_QUERY, &mut attr).map_err(|e| format!("BPF_PROG_QUERY attach type {attach_type}: {e}"))?;
        all.extend_from_slice(&ids[..u32_at(&attr, 24).min(64) as usize]);
    }
    all.sort_unstable();
    Ok(all)
}

/// SIGKILL leaves no program or link attached to the cgroup.
fn case_sigkill(argtrace: &Path) -> Outcome {
    let root = argtrace::sys::cgroup2_mount().ok_or("no cgroup v2 mounted")?;
    let before = attached(&root)?;
    let links_before = bpf::ids(BPF_LINK_GET_NEXT_ID);
    let progs_before = bpf::ids(BPF_PROG_GET_NEXT_ID);
    let at = harness::start(&mut sock_command(argtrace, &[], &[]))?;
    let during = attached(&root)?;
    let links: Vec<u32> = bpf::ids(BPF_LINK_GET_NEXT_ID).into_iter().filter(|l| !links_before.contains(l)).collect();
    let progs: Vec<u32> = during.iter().copied().filter(|p| !before.contains(p) && !progs_before.contains(p)).collect();
    at.kill();
    if progs.len() != SOCK_ATTACH_TYPES.len() || links.len() < progs.len() {
        return Err(format!(
            "while tracing, {} new programs attached to {} and {} new links, expected {} of each",
            progs.len(),
            root.display(),
            links.len(),
            SOCK_ATTACH_TYPES.len()
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = attached(&root)?;
        let left: Vec<u32> = now.iter().copied().filter(|p| progs.contains(p)).collect();
        let links_left: Vec<u32> = bpf::ids(BPF_LINK_GET_NEXT_ID).into_iter().filter(|l| links.contains(l)).collect();
        let progs_left: Vec<u32> = bpf::ids(BPF_PROG_GET_NEXT_ID).into_iter().filter(|p| progs.contains(p)).collect();
        if left.is_empty() && links_left.is_empty() && progs_left.is_empty() {
            return Ok(format!(
                "{} programs attached to {} by {} links while tracing, none after SIGKILL",
                progs.len(),
                root.display(),
                links.len()
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "10 s after SIGKILL: attached {left:?}, links {links_left:?}, programs {progs_left:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// --------------------------------------------------------------- triggers ---

/// `argtrace-e2e sock-trigger <name> [arg]`.
pub fn trigger(args: &[String]) -> i32 {
    let name = args.first().map(String::as_str).unwrap_or("");
    let arg = args.get(1).map(PathBuf::from);
    let result = match name {
        "tcp-listen" => go().and_then(|_| tcp_listen()),
        "udp-send" => go().and_then(|_| udp_send()),
        "tcp6-connect" => go().and_then(|_| tcp6_connect()),
        "fork-close" => go().and_then(|_| fork_close()),
        "preexisting" => preexisting(),
        "old-server" => old_server(),
        "accept-child" => go().and_then(|_| accept_child()),
        "cgroup" => match arg {
            Some(dir) => cgroup(&dir),
            None => Err("the cgroup trigger needs the cgroup directory".into()),
        },
        other => {
            eprintln!("argtrace-e2e: unknown sock trigger {other}");
            return 2;
        }
    };
    let v = result.unwrap_or_else(|e| json!({"trigger_error": e}));
    println!("{v}");
    0
}

/// Says `ready` and waits for the go (a line on stdin).
fn go() -> Result<(), String> {
    println!("ready");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(())
}

fn os_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// The socket's cookie, as bpf_get_socket_cookie() reads it.
fn cookie(fd: i32) -> Result<u64, String> {
    const SO_COOKIE: libc::c_int = 57;
    let mut v = 0u64;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: v and len are live locals of the sizes given.
    let rc =
        unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, SO_COOKIE, &mut v as *mut u64 as *mut libc::c_void, &mut len) };
    if rc != 0 {
        return Err(os_err("getsockopt SO_COOKIE"));
    }
    Ok(v)
}

fn socket(family: i32, ty: i32) -> Result<i32, String> {
    // SAFETY: socket() has no memory arguments.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(os_err("socket"));
    }
    Ok(fd)
}

fn close(fd: i32) {
    // SAFETY: fd is a descriptor this trigger opened and no longer uses.
    unsafe { libc::close(fd) };
}

fn sockaddr4(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    // SAFETY: an all-zero sockaddr_in is valid; the fields are set below.
    let mut a: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    a.sin_family = libc::AF_INET as libc::sa_family_t;
    a.sin_port = port.to_be();
    a.sin_addr.s_addr = u32::from_ne_bytes(ip);
    a
}

/// Binds an AF_INET socket to 127.0.0.1:0 and returns the port it got.
fn bind_loopback_any_port(fd: i32) -> Result<u16, String> {
    let a = sockaddr4([127, 0, 0, 1], 0);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a is a live sockaddr_in of the length given.
    if unsafe { libc::bind(fd, &a as *const _ as *const libc::sockaddr, len) } != 0 {
        return Err(os_err("bind"));
    }
    let mut got = sockaddr4([0; 4], 0);
    let mut glen = len;
    // SAFETY: got and glen are live locals of the sizes given.
    if unsafe { libc::getsockname(fd, &mut got as *mut _ as *mut libc::sockaddr, &mut glen) } != 0 {
        return Err(os_err("getsockname"));
    }
    Ok(u16::from_be(got.sin_port))
}

/// A TCP IPv4 socket bound to 127.0.0.1 port 0, listening, then closed.
fn tcp_listen() -> Result<Value, String> {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let port = bind_loopback_any_port(fd)?;
    // SAFETY: listen on our socket.
    if unsafe { libc::listen(fd, 8) } != 0 {
        return Err(os_err("listen"));
    }
    let c = cookie(fd)?;
    close(fd);
    Ok(json!({"pid": std::process::id(), "tid": gettid(), "cookie": c, "port": port}))
}

/// A UDP IPv4 socket that sends one byte to 127.0.0.1:9 without connecting.
fn udp_send() -> Result<Value, String> {
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM)?;
    let to = sockaddr4([127, 0, 0, 1], 9);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: one byte from a live buffer to a live sockaddr_in.
    let n = unsafe {
        libc::sendto(fd, b"x".as_ptr() as *const libc::c_void, 1, 0, &to as *const _ as *const libc::sockaddr, len)
    };
    if n != 1 {
        return Err(os_err("sendto"));
    }
    let c = cookie(fd)?;
    close(fd);
    Ok(json!({"pid": std::process::id(), "tid": gettid(), "cookie": c}))
}

/// A TCP IPv6 connect to a listener on [::1].
fn tcp6_connect() -> Result<Value, String> {
    use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
    let listener = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).map_err(|e| format!("listen on [::1]: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let stream =
        TcpStream::connect(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).map_err(|e| format!("connect: {e}"))?;
    let (accepted, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    let c = cookie(stream.as_raw_fd())?;
    let l = cookie(listener.as_raw_fd())?;
    drop((stream, accepted, listener));
    Ok(json!({"pid": std::process::id(), "tid": gettid(), "cookie": c, "listener_cookie": l, "port": port}))
}

/// A socket made by this process and closed last in a forked child: the
/// parent closes its descriptor first, then lets the child close its copy.
fn fork_close() -> Result<Value, String> {
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM)?;
    let c = cookie(fd)?;
    let mut pipe = [0i32; 2];
    // SAFETY: pipe writes two descriptors into a live array.
    if unsafe { libc::pipe(pipe.as_mut_ptr()) } != 0 {
        return Err(os_err("pipe"));
    }
    // SAFETY: the child runs only async-signal-safe calls (read, close, _exit).
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(os_err("fork"));
    }
    if child == 0 {
        let mut b = [0u8; 1];
        // SAFETY: in the child: wait for the parent's byte, close the last copy, exit.
        unsafe {
            libc::read(pipe[0], b.as_mut_ptr() as *mut libc::c_void, 1);
            libc::close(fd);
            libc::_exit(0);
        }
    }
    close(fd);
    // SAFETY: one byte from a live buffer to our pipe.
    unsafe { libc::write(pipe[1], b"x".as_ptr() as *const libc::c_void, 1) };
    let mut status = 0;
    // SAFETY: status is a live local; child is our child.
    unsafe { libc::waitpid(child, &mut status, 0) };
    close(pipe[0]);
    close(pipe[1]);
    Ok(json!({"pid": std::process::id(), "tid": gettid(), "child": child, "cookie": c}))
}

/// A socket created before the go (before argtrace starts), bound and closed after.
fn preexisting() -> Result<Value, String> {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    go()?;
    let port = bind_loopback_any_port(fd)?;
    let c = cookie(fd)?;
    close(fd);
    Ok(json!({"pid": std::process::id(), "tid": gettid(), "cookie": c, "port": port}))
}

/// A TCP listener made before the go (before argtrace starts); after it, a
/// client connects, the server accepts, and all three sockets are closed.
fn old_server() -> Result<Value, String> {
    let listener = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let port = bind_loopback_any_port(listener)?;
    // SAFETY: listen on our socket.
    if unsafe { libc::listen(listener, 8) } != 0 {
        return Err(os_err("listen"));
    }
    go()?;
    let client = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let a = sockaddr4([127, 0, 0, 1], port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a is a live sockaddr_in of the length given.
    if unsafe { libc::connect(client, &a as *const _ as *const libc::sockaddr, len) } != 0 {
        return Err(os_err("connect"));
    }
    // SAFETY: accept on our listener, without the peer's address.
    let accepted = unsafe { libc::accept(listener, std::ptr::null_mut(), std::ptr::null_mut()) };
    if accepted < 0 {
        return Err(os_err("accept"));
    }
    let facts = json!({"pid": std::process::id(), "port": port, "listener": cookie(listener)?,
                       "client": cookie(client)?, "accepted": cookie(accepted)?});
    for fd in [client, accepted, listener] {
        close(fd);
    }
    Ok(facts)
}

/// Sets the calling thread's comm.
fn set_comm(name: &std::ffi::CStr) {
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr()) };
}

/// A TCP listener made by this process; a forked child renames itself
/// e2e-acceptor, accepts the connection this process makes, sends back the
/// accepted socket's cookie, takes its name back and closes it.
fn accept_child() -> Result<Value, String> {
    let listener = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let port = bind_loopback_any_port(listener)?;
    // SAFETY: listen on our socket.
    if unsafe { libc::listen(listener, 8) } != 0 {
        return Err(os_err("listen"));
    }
    let mut pipe = [0i32; 2];
    // SAFETY: pipe writes two descriptors into a live array.
    if unsafe { libc::pipe(pipe.as_mut_ptr()) } != 0 {
        return Err(os_err("pipe"));
    }
    // SAFETY: the child runs only syscalls (prctl, accept, getsockopt, write, close) until _exit.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(os_err("fork"));
    }
    if child == 0 {
        set_comm(c"e2e-acceptor");
        // SAFETY: accept on the inherited listener, without the peer's address.
        let fd = unsafe { libc::accept(listener, std::ptr::null_mut(), std::ptr::null_mut()) };
        let c = if fd >= 0 { cookie(fd).unwrap_or(0) } else { 0 };
        set_comm(c"argtrace-e2e");
        // SAFETY: eight bytes from a live local to our pipe; then our descriptor closed; then the end.
        unsafe {
            libc::write(pipe[1], c.to_ne_bytes().as_ptr() as *const libc::c_void, 8);
            libc::close(fd);
            libc::_exit(0);
        }
    }
    let client = socket(libc::AF_INET, libc::SOCK_STREAM)?;
    let a = sockaddr4([127, 0, 0, 1], port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a is a live sockaddr_in of the length given.
    if unsafe { libc::connect(client, &a as *const _ as *const libc::sockaddr, len) } != 0 {
        return Err(os_err("connect"));
    }
    let mut buf = [0u8; 8];
    let mut status = 0;
    // SAFETY: eight bytes into a live buffer from our pipe; status is a live local; child is our child.
    unsafe {
        libc::read(pipe[0], buf.as_mut_ptr() as *mut libc::c_void, 8);
        libc::waitpid(child, &mut status, 0);
    }
    let facts = json!({"pid": std::process::id(), "child": child, "listener": cookie(listener)?,
                       "client": cookie(client)?, "accepted": u64::from_ne_bytes(buf)});
    for fd in [client, listener, pipe[0], pipe[1]] {
        close(fd);
    }
    Ok(facts)
}

/// A sibling process stays outside `dir`; this one moves into it after the go.
/// Each makes a UDP socket.
fn cgroup(dir: &Path) -> Result<Value, String> {
    let mut to_child = [0i32; 2];
    let mut from_child = [0i32; 2];
    // SAFETY: pipe writes two descriptors into live arrays.
    if unsafe { libc::pipe(to_child.as_mut_ptr()) } != 0 || unsafe { libc::pipe(from_child.as_mut_ptr()) } != 0 {
        return Err(os_err("pipe"));
    }
    // SAFETY: the child runs only async-signal-safe calls until _exit.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(os_err("fork"));
    }
    if child == 0 {
        // SAFETY: in the child: wait for the parent, make a socket, send its
        // cookie back, close it, exit.
        unsafe {
            let mut b = [0u8; 1];
            libc::read(to_child[0], b.as_mut_ptr() as *mut libc::c_void, 1);
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            let c = cookie(fd).unwrap_or(0);
            libc::write(from_child[1], c.to_ne_bytes().as_ptr() as *const libc::c_void, 8);
            libc::close(fd);
            libc::_exit(0);
        }
    }
    go()?;
    let me = std::process::id();
    std::fs::write(dir.join("cgroup.procs"), me.to_string())
        .map_err(|e| format!("moving into {}: {e}", dir.display()))?;
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM)?;
    let inside = cookie(fd)?;
    close(fd);
    let mut buf = [0u8; 8];
    // SAFETY: one byte out, eight bytes into a live buffer, on our pipes.
    unsafe {
        libc::write(to_child[1], b"x".as_ptr() as *const libc::c_void, 1);
        libc::read(from_child[0], buf.as_mut_ptr() as *mut libc::c_void, 8);
    }
    let mut status = 0;
    // SAFETY: status is a live local; child is our child.
    unsafe { libc::waitpid(child, &mut status, 0) };
    Ok(json!({
        "inside": {"pid": me, "cookie": inside},
        "outside": {"pid": child, "cookie": u64::from_ne_bytes(buf)},
    }))
}
