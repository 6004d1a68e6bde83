//! `argtrace sock`: the life of every inet socket (socket, bind with the
//! address the kernel granted, connect, UDP destinations, close with the last
//! TCP state and the lifetime) from cgroup hooks, each event tied to its
//! socket by the socket cookie and to the task that created it, kept in
//! socket-local storage. The only probe mode is cgroup: the programs are
//! attached with bpf_links to a cgroup v2 directory (the hierarchy's root, or
//! `--cgroup PATH`), always allow, and only read. BPF side: bpf/sock.bpf.c.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Once;

use libbpf_rs::{MapCore, MapFlags, ProgramType};

use crate::config::Config;
use crate::decode::net;
use crate::error::Result;
use crate::event::Header;
use crate::family::cgroup::{self, task_of};
use crate::family::load::{load_skeleton, skeleton_sections, Loaded, Slot, Tracer};
use crate::family::{ProbeMode, Target};
use crate::render::{self, write_json_str, Json, Record, Style};
use crate::stack::StackReader;
use crate::subject::options::{FamilyArgs, Proto};
use crate::subject::Subject;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/sock.skel.rs"));
}
use skel::types::sock_creator as SockCreator;
use skel::types::sock_event as SockEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's sock_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for SockEvent {}

/// `argtrace sock [--cgroup PATH] [--family inet|inet6|all] [-4] [-6] [--proto tcp|udp|all]`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Sock {
    /// The cgroup v2 directory to attach to (the common --cgroup or --container; default: the
    /// whole cgroup v2 hierarchy, found in /proc/mounts).
    #[arg(skip)]
    pub cgroup: Option<PathBuf>,
    #[command(flatten)]
    pub family: FamilyArgs,
    /// Transport protocol (filtered in the kernel).
    #[arg(long, value_enum)]
    pub proto: Option<Proto>,
}

impl Sock {
    /// Where the cgroup family attaches sock's programs.
    fn target(&self) -> Target<'_> {
        Target { subject: "sock", cgroup: self.cgroup.as_deref(), iface: None }
    }
}

impl Subject for Sock {
    fn name(&self) -> &'static str {
        "sock"
    }

    fn check(&self) -> Result<()> {
        cgroup::attach_dir(self.cgroup.as_deref(), "sock").map(drop)
    }

    fn modes(&self) -> &'static [ProbeMode] {
        &[ProbeMode::Cgroup]
    }

    /// The summary's rows: the ops (enum argtrace_sock_op).
    fn call_name(&self, call: u32) -> Option<&'static str> {
        Some(op_name(u8::try_from(call).ok()?)).filter(|n| *n != "unknown")
    }

    fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
        skeleton_sections!(skel::SockSkelBuilder)
    }

    fn load<'obj>(&self, storage: &'obj mut Slot, cfg: &Config, mode: ProbeMode) -> Loaded<'obj> {
        // Both program types record a creator (ARGTRACE_NO_SK_STORAGE=1 says no).
        let sk_storage = cgroup::have_sk_storage(&[ProgramType::CgroupSock, ProgramType::CgroupSockAddr]);
        if !sk_storage {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                crate::say!(
                    "argtrace: this kernel has no socket-local storage for cgroup programs \
                     (BPF_MAP_TYPE_SK_STORAGE, bpf_sk_storage_get): creator and lifetime are shown as unknown"
                )
            });
        }
        let family = self.family.resolve().unwrap_or(0);
        let protocol = Proto::number(self.proto) as u16;
        let loaded: Loaded<'obj> = load_skeleton!(skel::SockSkelBuilder, storage, cfg, mode, &self.target(), |ro| {
            ro.target_family = family;
            ro.target_protocol = protocol;
            ro.have_sk_storage = sk_storage;
        }, open |open| {
            if sk_storage {
                // An accepted socket's creator is the task that accepted it
                // (bpf/sock.bpf.c), never its listener's: no BPF_F_CLONE.
                Ok(())
            } else {
                // Without socket-local storage, nobody to tell of an acceptor.
                open.progs.accept_exit.set_autoload(false);
                open.progs.accept4_exit.set_autoload(false);
                [&mut open.maps.creators, &mut open.maps.acceptors, &mut open.maps.sock_key]
                    .into_iter()
                    .try_for_each(|map| map.set_autocreate(false))
            }
        });
        let tracer = loaded?;
        if sk_storage {
            cgroup::seed_and_say(tracer.skel.object(), cfg, "sock");
        }
        Ok(tracer)
    }

    /// The bind requests still parked when the run ends (a bind that failed
    /// before post_bind, on a socket still open): sent as the requests alone,
    /// in the order they came, as the man page promises.
    fn leftovers(&self, tracer: &Tracer) -> Vec<Vec<u8>> {
        let Ok(map) = tracer.map("pending_binds") else { return Vec::new() };
        let mut records: Vec<(u64, Vec<u8>)> = map
            .keys()
            .filter_map(|key| map.lookup(&key, MapFlags::ANY).ok().flatten())
            .filter_map(|value| Some((crate::event::copy::<SockEvent>(&value)?.h.ts_ns, value)))
            .collect();
        records.sort_by_key(|(ts, _)| *ts);
        records.into_iter().map(|(_, value)| value).collect()
    }

    /// A parked bind counts as a bind that failed: post_bind never
    /// confirmed it.
    fn leftover_row(&self, record: &[u8]) -> Option<(u32, bool)> {
        let e = crate::event::copy::<SockEvent>(record)?;
        Some((e.op.into(), e.bound_known == 0))
    }

    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool {
        render::record::<SockEvent>(record, style, stacks, out)
    }
}

/// What happened (bpf/argtrace.h, enum argtrace_sock_op), as JSON's `op` and
/// the text line's call name.
fn op_name(op: u8) -> &'static str {
    match op as u32 {
        o if o == skel::types::argtrace_sock_op::SOCK_OP_SOCKET.0 => "socket",
        o if o == skel::types::argtrace_sock_op::SOCK_OP_BIND.0 => "bind",
        o if o == skel::types::argtrace_sock_op::SOCK_OP_CONNECT.0 => "connect",
        o if o == skel::types::argtrace_sock_op::SOCK_OP_SENDMSG.0 => "sendmsg",
        o if o == skel::types::argtrace_sock_op::SOCK_OP_CLOSE.0 => "close",
        _ => "unknown",
    }
}

fn ip(bytes: &[u8; 16], v6: u8) -> IpAddr {
    if v6 != 0 {
        IpAddr::V6(Ipv6Addr::from(*bytes))
    } else {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    }
}

/// `127.0.0.1:80`, `[::1]:80`, `[::ffff:127.0.0.1]:80`.
fn sockaddr(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

impl SockEvent {
    fn creator(&self) -> Option<&SockCreator> {
        (self.has_creator != 0).then_some(&self.creator)
    }

    /// The request (bind) or the destination (connect, sendmsg).
    fn addr(&self) -> Option<(IpAddr, u16)> {
        (self.addr_known != 0).then(|| (ip(&self.addr, self.addr_v6), self.port))
    }

    /// What post_bind saw the kernel grant.
    fn bound(&self) -> Option<(IpAddr, u16)> {
        (self.bound_known != 0).then(|| (ip(&self.bound_addr, self.bound_v6), self.bound_port))
    }

    fn is_tcp(&self) -> bool {
        u64::from(self.protocol) == net::IPPROTO_TCP
    }

    /// From creation (an accepted socket: its accept) to this event, when
    /// that was seen.
    fn lifetime_ns(&self) -> Option<u64> {
        self.creator().filter(|c| c.flags & cgroup::SEEDED == 0).map(|c| self.h.ts_ns.saturating_sub(c.ts_ns))
    }

    /// `, creator=python3 812/812` (`creator=?` when unknown), or for an
    /// accepted socket `, accepted_by=nginx 813/813`, the task that accepted
    /// it; on bind, connect and sendmsg only when that is not the current
    /// thread.
    fn text_creator(&self, always: bool, out: &mut String) {
        match self.creator() {
            Some(c) if always || c.pid != self.h.pid || c.tid != self.h.tid => {
                let task = task_of!(c);
                out.push_str(if task.accepted { ", accepted_by=" } else { ", creator=" });
                task.text(out);
            }
            Some(_) => {}
            None => out.push_str(", creator=?"),
        }
    }
}

impl Record for SockEvent {
    const EVENT: &'static str = "sock";

    fn header(&self) -> Header {
        header_of!(self.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        op_name(self.op)
    }

    /// Not a call's result: the events come from hooks inside the calls,
    /// before they return (`json_result` writes the creator instead).
    fn ret(&self) -> i64 {
        0
    }

    fn json_call(&self, j: &mut Json) {
        j.str("op", op_name(self.op));
    }

    fn json_result(&self, _style: &Style, j: &mut Json) {
        match self.creator() {
            Some(c) => task_of!(c).json(j.key("creator")),
            None => j.key("creator").push_str("null"),
        }
    }

    fn text(&self, _style: &Style, out: &mut String) {
        let op = op_name(self.op);
        if op == "socket" {
            let _ = write!(
                out,
                "socket({}, {}, {}) cookie={}",
                net::address_family(self.family.into()),
                net::socket_type(self.r#type.into()),
                net::inet_protocol(self.protocol.into()),
                self.cookie
            );
            return;
        }
        let _ = write!(out, "{op}(cookie={}", self.cookie);
        match op {
            "bind" | "connect" | "sendmsg" => {
                match self.addr() {
                    Some((a, p)) => {
                        let _ = write!(out, ", {}", sockaddr(a, p));
                    }
                    None => out.push_str(", ?"),
                }
                self.text_creator(false, out);
                out.push(')');
                if let Some((a, p)) = self.bound() {
                    let _ = write!(out, " = {}", sockaddr(a, p));
                }
            }
            _ => {
                if self.is_tcp() {
                    let _ = write!(out, ", state={}", net::tcp_state(self.state.into()));
                }
                match self.lifetime_ns() {
                    Some(ns) => {
                        let _ = write!(out, ", life={}.{:06}s", ns / 1_000_000_000, ns % 1_000_000_000 / 1000);
                    }
                    None => out.push_str(", life=?"),
                }
                self.text_creator(true, out);
                out.push(')');
            }
        }
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let op = op_name(self.op);
        let mut a = Json::open(out);
        a.num("cookie", self.cookie)
            .str("family", &net::address_family(self.family.into()))
            .str("type", &net::socket_type(self.r#type.into()))
            .str("protocol", &net::inet_protocol(self.protocol.into()));
        let addr = |a: &mut Json, key: &str, port_key: &str, v: Option<(IpAddr, u16)>| {
            match v {
                Some((ip, _)) => write_json_str(a.key(key), &ip.to_string()),
                None => a.key(key).push_str("null"),
            }
            a.opt_num(port_key, v.map(|(_, p)| p));
        };
        match op {
            "bind" => {
                addr(&mut a, "addr", "port", self.addr());
                addr(&mut a, "bound_addr", "bound_port", self.bound());
            }
            "connect" | "sendmsg" => addr(&mut a, "daddr", "dport", self.addr()),
            "close" => {
                match self.is_tcp() {
                    true => {
                        a.str("state", &net::tcp_state(self.state.into()));
                    }
                    false => a.key("state").push_str("null"),
                }
                a.opt_num("lifetime_ns", self.lifetime_ns());
            }
            _ => {}
        }
        a.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(json: bool) -> Style {
        crate::render::test_style(json)
    }

    fn event(op: skel::types::argtrace_sock_op) -> SockEvent {
        let mut e = SockEvent::default();
        e.h.ts_ns = 2_204_000_000;
        e.h.pid = 812;
        e.h.tid = 812;
        e.h.probe = skel::types::argtrace_probe::PROBE_CGROUP.0 as u8;
        for (d, s) in e.h.comm.iter_mut().zip(b"python3") {
            *d = *s as i8;
        }
        e.op = op.0 as u8;
        e.cookie = 4097;
        e.family = 10;
        e.r#type = 1;
        e.protocol = 6;
        e
    }

    fn with_creator(mut e: SockEvent, pid: u32, comm: &[u8]) -> SockEvent {
        e.has_creator = 1;
        e.creator.pid = pid;
        e.creator.tid = pid;
        e.creator.ts_ns = 1_000_000_000;
        for (d, s) in e.creator.comm.iter_mut().zip(comm) {
            *d = *s as i8;
        }
        e
    }

    fn line(e: &SockEvent, json: bool) -> String {
        let mut out = String::new();
        style(json).record(e, None, &mut out);
        out
    }

    #[test]
    fn text_lines() {
        use skel::types::argtrace_sock_op as Op;
        assert_eq!(
            line(&with_creator(event(Op::SOCK_OP_SOCKET), 812, b"python3"), false),
            "python3 812/812 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) cookie=4097\n"
        );
        let mut bind = with_creator(event(Op::SOCK_OP_BIND), 812, b"python3");
        bind.addr_known = 1;
        bind.addr_v6 = 1;
        bind.addr[15] = 1;
        bind.bound_known = 1;
        bind.bound_v6 = 1;
        bind.bound_addr[15] = 1;
        bind.bound_port = 47001;
        assert_eq!(line(&bind, false), "python3 812/812 bind(cookie=4097, [::1]:0) = [::1]:47001\n");
        // Refused before post_bind: the request alone.
        bind.bound_known = 0;
        assert_eq!(line(&bind, false), "python3 812/812 bind(cookie=4097, [::1]:0)\n");
        let mut connect = event(Op::SOCK_OP_CONNECT);
        connect.family = 2;
        connect.addr_known = 1;
        connect.addr[..4].copy_from_slice(&[127, 0, 0, 1]);
        connect.port = 8080;
        assert_eq!(line(&connect, false), "python3 812/812 connect(cookie=4097, 127.0.0.1:8080, creator=?)\n");
        let mut close = with_creator(event(Op::SOCK_OP_CLOSE), 811, b"a\nb");
        close.state = 1;
        assert_eq!(
            line(&close, false),
            "python3 812/812 close(cookie=4097, state=ESTABLISHED, life=1.204000s, creator=a\\nb 811/811)\n"
        );
        // An accepted socket: its creator is the task that accepted it, since then.
        let mut accepted = with_creator(event(Op::SOCK_OP_CLOSE), 900, b"worker");
        accepted.creator.tid = 901;
        accepted.creator.flags = cgroup::ACCEPTED;
        accepted.state = 8;
        assert_eq!(
            line(&accepted, false),
            "python3 812/812 close(cookie=4097, state=CLOSE_WAIT, life=1.204000s, accepted_by=worker 900/901)\n"
        );
        assert!(
            line(&accepted, true).ends_with(
                "\"lifetime_ns\": 1204000000}, \"creator\": {\"pid\": 900, \"tid\": 901, \"comm\": \"worker\", \"uid\": 0, \
                 \"accepted\": true}}\n"
            ),
            "{}",
            line(&accepted, true)
        );
        let mut udp = event(Op::SOCK_OP_CLOSE);
        udp.protocol = 17;
        udp.r#type = 2;
        assert_eq!(line(&udp, false), "python3 812/812 close(cookie=4097, life=?, creator=?)\n");
    }

    #[test]
    fn json_objects() {
        use skel::types::argtrace_sock_op as Op;
        let mut send = with_creator(event(Op::SOCK_OP_SENDMSG), 700, b"resolver");
        send.family = 2;
        send.r#type = 2;
        send.protocol = 17;
        send.addr_known = 1;
        send.addr[..4].copy_from_slice(&[127, 0, 0, 53]);
        send.port = 53;
        assert_eq!(
            line(&send, true),
            "{\"time\": \"2023-11-14T22:13:22.204000000Z\", \"event\": \"sock\", \"op\": \"sendmsg\", \
             \"probe\": \"cgroup\", \"pid\": 812, \"tid\": 812, \"uid\": 0, \"comm\": \"python3\", \
             \"cgroup_id\": null, \"container_id\": null, \"pod_uid\": null, \"args\": {\"cookie\": 4097, \"family\": \"AF_INET\", \"type\": \"SOCK_DGRAM\", \
             \"protocol\": \"IPPROTO_UDP\", \"daddr\": \"127.0.0.53\", \"dport\": 53}, \
             \"creator\": {\"pid\": 700, \"tid\": 700, \"comm\": \"resolver\", \"uid\": 0}}\n"
        );
        let close = event(Op::SOCK_OP_CLOSE);
        let text = line(&close, true);
        assert!(text.contains("\"op\": \"close\""), "{text}");
        assert!(text.ends_with("\"state\": \"STATE_0\", \"lifetime_ns\": null}, \"creator\": null}\n"), "{text}");
        let mut bind = event(Op::SOCK_OP_BIND);
        bind.bound_known = 1;
        bind.bound_v6 = 1;
        bind.bound_addr = Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped().octets();
        bind.bound_port = 5000;
        let text = line(&bind, true);
        assert!(
            text.contains(
                "\"addr\": null, \"port\": null, \"bound_addr\": \"::ffff:127.0.0.1\", \"bound_port\": 5000}"
            ),
            "{text}"
        );
        assert!(!text.contains("\"ret\""), "{text}");
    }
}
