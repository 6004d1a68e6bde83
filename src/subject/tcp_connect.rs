//! `argtrace tcp-connect`: every active TCP open, with family, addresses,
//! ports and the connect syscall's result; the family filter runs in the
//! kernel. BPF side: bpf/tcp_connect.bpf.c.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::decode::net::{self, AF_INET, AF_INET6};
use crate::decode;
use crate::event::Header;
use crate::render::{Json, Record, Style};
use crate::subject::options::FamilyArgs;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/tcp_connect.skel.rs"));
}
use skel::types::tcp_connect_event as TcpConnectEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's
// tcp_connect_event, made of integers and arrays only: every byte pattern is
// a valid value.
unsafe impl plain::Plain for TcpConnectEvent {}

/// `argtrace tcp-connect [--family inet|inet6|all] [-4] [-6]`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct TcpConnect {
    #[command(flatten)]
    pub family: FamilyArgs,
}

skeleton_subject!(TcpConnect, "tcp-connect", skel::TcpConnectSkelBuilder, TcpConnectEvent,
    calls |call| { (call == 0).then_some("connect") },
    rodata |this, ro| {
        ro.target_family = this.family.resolve().unwrap_or(0);
    });

impl TcpConnectEvent {
    /// Source and destination as printed, v4-mapped IPv6 kept as such. At
    /// tcp_connect() time a v4-mapped socket may not have its IPv6 source yet:
    /// then it is built from the IPv4 source the kernel already chose.
    fn addrs(&self) -> (String, String) {
        if self.family == AF_INET {
            let s = Ipv4Addr::from(u32::from_be(self.saddr4));
            let d = Ipv4Addr::from(u32::from_be(self.daddr4));
            return (s.to_string(), d.to_string());
        }
        let d = Ipv6Addr::from(self.daddr6);
        let mut s = Ipv6Addr::from(self.saddr6);
        if d.to_ipv4_mapped().is_some() && s.is_unspecified() {
            s = Ipv4Addr::from(u32::from_be(self.saddr4)).to_ipv6_mapped();
        }
        (s.to_string(), d.to_string())
    }
}

impl Record for TcpConnectEvent {
    const EVENT: &'static str = "tcp_connect";

    fn header(&self) -> Header {
        header_of!(self.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        "connect"
    }

    fn ret(&self) -> i64 {
        self.ret
    }

    fn text(&self, _style: &Style, out: &mut String) {
        let (s, d) = self.addrs();
        let sport = if self.sport_known != 0 { self.sport.to_string() } else { "?".into() };
        let (s, d) = if self.family == AF_INET6 { (format!("[{s}]"), format!("[{d}]")) } else { (s, d) };
        let _ = write!(
            out,
            "connect({}, src={s}:{sport}, dst={d}:{}) = {}",
            net::address_family(self.family as u64),
            self.dport,
            decode::syscall_result(self.ret)
        );
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let (s, d) = self.addrs();
        let mut a = Json::open(out);
        a.str("family", &net::address_family(self.family as u64))
            .str("saddr", &s)
            .opt_num("sport", (self.sport_known != 0).then_some(self.sport))
            .str("daddr", &d)
            .num("dport", self.dport);
        a.close();
    }
}
