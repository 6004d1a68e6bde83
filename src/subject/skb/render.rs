//! skb's lines and JSON, as tcpdump spells a packet: `egress python3 812/812
//! 127.0.0.1.50312 > 127.0.0.1.8080: tcp [P.] seq 1:15 len 14 "HELLO"`, the
//! owner (cgroup mode) or the interface (socket mode) first; TCP sequence
//! numbers relative to the flow's SYN, as tcpdump shows them.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::collections::HashMap;
use std::sync::Mutex;

use super::skel::{self, SkbEvent};
use crate::decode::{self, net};
use crate::event::Header;
use crate::family::cgroup::{self, task_of};
use crate::render::{escape_into, latin1, write_json_str, Json, Record, Style};
use crate::sys;

/// One direction of a TCP connection: source and destination address and port.
type Flow = ([u8; 16], u16, [u8; 16], u16);

/// At most this many flows are remembered; then the table starts anew.
const MAX_FLOWS: usize = 65536;

/// What the lines remember across packets, for the whole run.
#[derive(Default)]
pub(super) struct Memory {
    /// The initial sequence number of each TCP flow whose SYN was seen, so
    /// that text shows sequence numbers relative to it, as tcpdump does.
    isn: Mutex<HashMap<Flow, u32>>,
    /// Interface names by index (socket mode), looked up once.
    ifnames: Mutex<HashMap<u32, String>>,
}

/// One packet as output sees it: the record and the bytes that followed it.
pub(super) struct Packet<'a> {
    pub ev: SkbEvent,
    pub data: &'a [u8],
    /// --peek.
    pub peek: u32,
    /// --compare-relative.
    pub compare_relative: bool,
    pub memory: &'a Memory,
}

impl Packet<'_> {
    fn is_socket_mode(&self) -> bool {
        u32::from(self.ev.h.probe) == skel::types::argtrace_probe::PROBE_SOCKET.0
    }

    fn egress(&self) -> bool {
        u32::from(self.ev.dir) == skel::types::argtrace_skb_dir::SKB_EGRESS.0
    }

    fn addr(&self, bytes: &[u8; 16]) -> IpAddr {
        if self.ev.version == 6 {
            IpAddr::V6(Ipv6Addr::from(*bytes))
        } else {
            IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
        }
    }

    fn has_ports(&self) -> bool {
        self.ev.l4_hdr_len != 0 && (self.is_tcp() || self.is_udp())
    }

    fn is_tcp(&self) -> bool {
        u64::from(self.ev.proto) == net::IPPROTO_TCP && self.ev.l4_hdr_len != 0
    }

    fn is_udp(&self) -> bool {
        u64::from(self.ev.proto) == net::IPPROTO_UDP && self.ev.l4_hdr_len != 0
    }

    /// tcpdump's words for a TCP header that is none (`bad hdr length 4 -
    /// too short, < 20`), from the length the header claims and the TCP
    /// segment's.
    fn malformed(&self) -> Option<String> {
        let e = &self.ev;
        (e.malformed != 0 && self.is_tcp()).then(|| {
            let segment = e.len.saturating_sub(u32::from(e.ip_hdr_len));
            match e.l4_hdr_len {
                n if n < 20 => format!("bad hdr length {n} - too short, < 20"),
                n => format!("bad hdr length {n} - too long, > {segment}"),
            }
        })
    }

    /// The first payload bytes carried (at most --peek of them).
    fn peek(&self) -> &[u8] {
        let payload_off = u32::from(self.ev.ip_hdr_len) + u32::from(self.ev.l4_hdr_len);
        if self.ev.payload_len == 0 || self.ev.data_off > payload_off {
            return &[];
        }
        let start = ((payload_off - self.ev.data_off) as usize).min(self.data.len());
        let n = (self.ev.payload_len.min(self.peek) as usize).min(self.data.len() - start);
        &self.data[start..start + n]
    }

    /// `127.0.0.1.8080`, `::1.8080` (tcpdump's spelling), or the address alone.
    fn endpoint(&self, addr: &[u8; 16], port: u16, out: &mut String) {
        let _ = write!(out, "{}", self.addr(addr));
        if self.has_ports() {
            let _ = write!(out, ".{port}");
        }
    }

    fn owner(&self) -> Option<cgroup::Task> {
        (self.ev.has_owner != 0).then(|| task_of!(self.ev.owner))
    }

    fn iface(&self) -> String {
        let index = self.ev.ifindex;
        let mut names = self.memory.ifnames.lock().expect("ifnames lock");
        names.entry(index).or_insert_with(|| sys::interface_name(index)).clone()
    }

    /// The sequence number as text shows it: relative to the flow's SYN when
    /// that was seen (the SYN itself absolute), as tcpdump prints them.
    fn text_seq(&self) -> u32 {
        let e = &self.ev;
        let flow: Flow = (e.saddr, e.sport, e.daddr, e.dport);
        let mut isn = self.memory.isn.lock().expect("isn lock");
        if e.tcp_flags & 0x02 != 0 {
            if isn.len() >= MAX_FLOWS {
                isn.clear();
            }
            isn.insert(flow, e.seq);
            return e.seq;
        }
        match isn.get(&flow) {
            Some(base) => e.seq.wrapping_sub(*base),
            None => e.seq,
        }
    }
}

/// `PACKET_HOST` ...: linux/if_packet.h's names of a socket filter's pkt_type.
fn pkt_type_name(t: u8) -> String {
    match t {
        0 => "PACKET_HOST".into(),
        1 => "PACKET_BROADCAST".into(),
        2 => "PACKET_MULTICAST".into(),
        3 => "PACKET_OTHERHOST".into(),
        4 => "PACKET_OUTGOING".into(),
        5 => "PACKET_LOOPBACK".into(),
        n => n.to_string(),
    }
}

impl Record for Packet<'_> {
    const EVENT: &'static str = "skb";

    fn header(&self) -> Header {
        header_of!(self.ev.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        if self.egress() {
            "egress"
        } else {
            "ingress"
        }
    }

    fn ret(&self) -> i64 {
        0
    }

    /// A packet is not a call: no `syscall` key (`dir` is in args).
    fn json_call(&self, _j: &mut Json) {}

    /// Nor has it a result.
    fn json_result(&self, _style: &Style, _j: &mut Json) {}

    /// `egress python3 812/812 `: the direction and the socket's owner (not
    /// the task the hook ran in), `owner=?` without a record, the interface
    /// in socket mode.
    fn text_prefix(&self, _h: &Header, out: &mut String) {
        out.push_str(self.syscall());
        out.push(' ');
        if self.is_socket_mode() {
            let _ = write!(out, "iface={}", self.iface());
        } else {
            match self.owner() {
                Some(t) => t.text(out),
                None => out.push_str("owner=?"),
            }
        }
        out.push(' ');
    }

    /// `127.0.0.1.50312 > 127.0.0.1.8080: tcp [P.] seq 1:15 len 14 "HELLO-ARGTRACE"`.
    fn text(&self, _style: &Style, out: &mut String) {
        let e = &self.ev;
        self.endpoint(&e.saddr, e.sport, out);
        out.push_str(" > ");
        self.endpoint(&e.daddr, e.dport, out);
        let _ = write!(out, ": {}", net::packet_protocol(e.proto));
        if let Some(why) = self.malformed() {
            let _ = write!(out, " [{}] [{why}]", net::tcp_flags(e.tcp_flags));
            return;
        }
        if self.is_tcp() {
            let _ = write!(out, " [{}]", net::tcp_flags(e.tcp_flags));
            let seq = self.text_seq();
            if e.payload_len > 0 {
                let _ = write!(out, " seq {seq}:{}", seq.wrapping_add(e.payload_len));
            } else if e.tcp_flags & 0x07 != 0 {
                let _ = write!(out, " seq {seq}");
            }
        }
        let _ = write!(out, " len {}", e.payload_len);
        let peek = self.peek();
        if !peek.is_empty() {
            out.push_str(" \"");
            escape_into(out, peek);
            out.push('"');
            if (peek.len() as u32) < e.payload_len {
                out.push_str("...");
            }
        }
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let e = &self.ev;
        let tcp = self.is_tcp();
        let ports = self.has_ports();
        let mut a = Json::open(out);
        a.str("dir", self.syscall())
            .str("family", &net::address_family(if e.version == 6 { 10 } else { 2 }))
            .str("saddr", &self.addr(&e.saddr).to_string())
            .opt_num("sport", ports.then_some(e.sport))
            .str("daddr", &self.addr(&e.daddr).to_string())
            .opt_num("dport", ports.then_some(e.dport))
            .str("proto", &net::packet_protocol(e.proto))
            .num("len", e.len)
            .num("ip_hdr_len", e.ip_hdr_len)
            .num("l4_hdr_len", e.l4_hdr_len)
            .num("payload_len", e.payload_len);
        match tcp {
            true => {
                a.str("tcp_flags", &net::tcp_flags(e.tcp_flags));
            }
            false => a.key("tcp_flags").push_str("null"),
        }
        a.opt_num("seq", tcp.then_some(e.seq)).opt_num("ack", tcp.then_some(e.ack)).num("cookie", e.cookie);
        match self.owner() {
            Some(t) => t.json(a.key("owner")),
            None => a.key("owner").push_str("null"),
        }
        let peek = self.peek();
        write_json_str(a.key("peek"), &latin1(peek));
        a.num("peek_len", peek.len());
        if e.load_err != 0 {
            a.str("peek_error", decode::errno_name((-e.load_err) as u64).unwrap_or("E?"));
        }
        if let Some(why) = self.malformed() {
            a.str("malformed", &why);
        }
        if self.is_socket_mode() {
            a.str("iface", &self.iface()).str("pkt_type", &pkt_type_name(e.pkt_type));
        }
        if self.compare_relative {
            a.num("linear_len", e.linear_len);
            match e.relative_ret {
                1 => a.key("relative_ret").push_str("null"),
                r => {
                    a.num("relative_ret", r);
                }
            }
        }
        a.close();
    }
}
