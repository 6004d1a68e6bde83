//! Options that several subjects share, flattened into their own clap
//! structs: the address family (tcp-connect, sock, tcp-send) and the
//! transport protocol (sock, skb), both filtered in the kernel.

use clap::ValueEnum;

use crate::decode::net::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressFamily {
    Inet,
    Inet6,
    All,
}

/// `--family`, `-4` and `-6`, flattened into each subject that filters on the
/// address family in the kernel (tcp-connect, sock, tcp-send).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct FamilyArgs {
    /// Address family to trace (filtered in the kernel).
    #[arg(long, value_enum, conflicts_with_all = ["ipv4", "ipv6"])]
    pub family: Option<AddressFamily>,
    /// IPv4 only (same as --family inet).
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only (same as --family inet6).
    #[arg(short = '6')]
    pub ipv6: bool,
}

impl FamilyArgs {
    /// The options (clap keeps them exclusive) as the kernel's AF_INET or
    /// AF_INET6; None for both.
    pub fn resolve(&self) -> Option<u16> {
        match (self.family, self.ipv4, self.ipv6) {
            (Some(AddressFamily::Inet), ..) | (None, true, false) => Some(AF_INET),
            (Some(AddressFamily::Inet6), ..) | (None, false, true) => Some(AF_INET6),
            _ => None,
        }
    }
}

/// `--proto`: the transport protocol, filtered in the kernel.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    All,
}

impl Proto {
    /// The IPPROTO_* number the kernel filters on; 0 for every protocol.
    pub fn number(proto: Option<Proto>) -> u64 {
        match proto {
            Some(Proto::Tcp) => IPPROTO_TCP,
            Some(Proto::Udp) => IPPROTO_UDP,
            Some(Proto::All) | None => 0,
        }
    }
}
