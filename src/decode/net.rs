//! Network tables, for what sock, skb, tcp-connect and tcp-send share:
//! address families as strace prints them (src/net.c, src/xlat/addrfams.in),
//! socket types and protocols, TCP states, and a packet's protocol and TCP
//! flags as tcpdump spells them.

use super::{hex, print_xval, Xlat};

pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

// ------------------------------------------------------ address families ---

/// src/xlat/addrfams.in: indexed by value, 0..=AF_MCTP (45), no holes.
const ADDRFAMS: [&str; 46] = [
    "AF_UNSPEC",
    "AF_UNIX",
    "AF_INET",
    "AF_AX25",
    "AF_IPX",
    "AF_APPLETALK",
    "AF_NETROM",
    "AF_BRIDGE",
    "AF_ATMPVC",
    "AF_X25",
    "AF_INET6",
    "AF_ROSE",
    "AF_DECnet",
    "AF_NETBEUI",
    "AF_SECURITY",
    "AF_KEY",
    "AF_NETLINK",
    "AF_PACKET",
    "AF_ASH",
    "AF_ECONET",
    "AF_ATMSVC",
    "AF_RDS",
    "AF_SNA",
    "AF_IRDA",
    "AF_PPPOX",
    "AF_WANPIPE",
    "AF_LLC",
    "AF_IB",
    "AF_MPLS",
    "AF_CAN",
    "AF_TIPC",
    "AF_BLUETOOTH",
    "AF_IUCV",
    "AF_RXRPC",
    "AF_ISDN",
    "AF_PHONET",
    "AF_IEEE802154",
    "AF_CAIF",
    "AF_ALG",
    "AF_NFC",
    "AF_VSOCK",
    "AF_KCM",
    "AF_QIPCRTR",
    "AF_SMC",
    "AF_XDP",
    "AF_MCTP",
];

/// An address family as strace prints socket()'s domain or a sockaddr's
/// sa_family: `AF_INET`, or `0x2e /* AF_??? */`.  printxval() takes an
/// unsigned int, so only the low 32 bits count (0x100000002 is `AF_INET`).
pub fn address_family(af: u64) -> String {
    let af = u64::from(af as u32);
    match ADDRFAMS.get(af as usize) {
        Some(name) => name.to_string(),
        None => format!("{} /* AF_??? */", hex(af)),
    }
}

// ------------------------------------------------- sockets (argtrace sock) ---

/// src/xlat/socktypes.in (not mips).
const SOCK_TYPES: Xlat = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
];

/// A socket's type as strace prints socket()'s second argument without
/// flags (the kernel's sk_type has none): `SOCK_STREAM`, `0x7 /* SOCK_??? */`.
pub fn socket_type(t: u64) -> String {
    print_xval(t, SOCK_TYPES, "SOCK_???")
}

/// src/xlat/inet_protocols.in.
const INET_PROTOCOLS: Xlat = &[
    (0, "IPPROTO_IP"),
    (1, "IPPROTO_ICMP"),
    (2, "IPPROTO_IGMP"),
    (4, "IPPROTO_IPIP"),
    (6, "IPPROTO_TCP"),
    (8, "IPPROTO_EGP"),
    (12, "IPPROTO_PUP"),
    (17, "IPPROTO_UDP"),
    (22, "IPPROTO_IDP"),
    (29, "IPPROTO_TP"),
    (33, "IPPROTO_DCCP"),
    (41, "IPPROTO_IPV6"),
    (43, "IPPROTO_ROUTING"),
    (44, "IPPROTO_FRAGMENT"),
    (46, "IPPROTO_RSVP"),
    (47, "IPPROTO_GRE"),
    (50, "IPPROTO_ESP"),
    (51, "IPPROTO_AH"),
    (58, "IPPROTO_ICMPV6"),
    (59, "IPPROTO_NONE"),
    (60, "IPPROTO_DSTOPTS"),
    (92, "IPPROTO_MTP"),
    (94, "IPPROTO_BEETPH"),
    (98, "IPPROTO_ENCAP"),
    (103, "IPPROTO_PIM"),
    (108, "IPPROTO_COMP"),
    (115, "IPPROTO_L2TP"),
    (132, "IPPROTO_SCTP"),
    (135, "IPPROTO_MH"),
    (136, "IPPROTO_UDPLITE"),
    (137, "IPPROTO_MPLS"),
    (143, "IPPROTO_ETHERNET"),
    (144, "IPPROTO_AGGFRAG"),
    (255, "IPPROTO_RAW"),
    (256, "IPPROTO_SMC"),
    (262, "IPPROTO_MPTCP"),
];

pub const IPPROTO_TCP: u64 = 6;
pub const IPPROTO_UDP: u64 = 17;

/// An inet socket's protocol as strace prints socket()'s third argument for
/// AF_INET and AF_INET6: `IPPROTO_TCP`, `0x63 /* IPPROTO_??? */`.
pub fn inet_protocol(p: u64) -> String {
    print_xval(p, INET_PROTOCOLS, "IPPROTO_???")
}

/// A packet's transport protocol as tcpdump names it in its lines (`tcp`,
/// `udp`, `icmp`, `icmp6`); others by number.
pub fn packet_protocol(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmp6".into(),
        n => n.to_string(),
    }
}

/// The TCP header's flags byte as tcpdump spells it between brackets: `S`,
/// `S.`, `P.`, `F.`, `R`, `.`, `SEW` (FIN, SYN, RST, PSH, ACK as `.`, URG,
/// ECE, CWR, in tcpdump's order), `none` for none.
pub fn tcp_flags(flags: u8) -> String {
    const LETTERS: [(u8, char); 8] =
        [(0x01, 'F'), (0x02, 'S'), (0x04, 'R'), (0x08, 'P'), (0x10, '.'), (0x20, 'U'), (0x40, 'E'), (0x80, 'W')];
    let s: String = LETTERS.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, c)| *c).collect();
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// A TCP socket's state by the kernel's own names (include/net/tcp_states.h,
/// the BPF_TCP_* values of struct bpf_sock's state), without the TCP_ prefix.
pub fn tcp_state(state: u64) -> String {
    const STATES: [&str; 14] = [
        "",
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
        "NEW_SYN_RECV",
        "BOUND_INACTIVE",
    ];
    match STATES.get(state as usize) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => format!("STATE_{state}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- sockets (src/net.c SYS_FUNC(socket), tests/net.c) ----

    #[test]
    fn socket_types_protocols_and_tcp_states() {
        assert_eq!(socket_type(1), "SOCK_STREAM");
        assert_eq!(socket_type(2), "SOCK_DGRAM");
        assert_eq!(socket_type(10), "SOCK_PACKET");
        assert_eq!(socket_type(7), "0x7 /* SOCK_??? */");
        assert_eq!(inet_protocol(IPPROTO_TCP), "IPPROTO_TCP");
        assert_eq!(inet_protocol(IPPROTO_UDP), "IPPROTO_UDP");
        assert_eq!(inet_protocol(0), "IPPROTO_IP");
        assert_eq!(inet_protocol(262), "IPPROTO_MPTCP");
        assert_eq!(inet_protocol(99), "0x63 /* IPPROTO_??? */");
        assert_eq!(tcp_state(1), "ESTABLISHED");
        assert_eq!(tcp_state(10), "LISTEN");
        assert_eq!(tcp_state(7), "CLOSE");
        assert_eq!(tcp_state(0), "STATE_0");
        assert_eq!(tcp_state(99), "STATE_99");
    }

    // ---- address families (src/xlat/addrfams.in, tests/net-sockaddr.c) ----

    #[test]
    fn address_family_known() {
        assert_eq!(address_family(0), "AF_UNSPEC");
        assert_eq!(address_family(1), "AF_UNIX");
        assert_eq!(address_family(2), "AF_INET");
        assert_eq!(address_family(10), "AF_INET6");
        assert_eq!(address_family(12), "AF_DECnet");
        assert_eq!(address_family(16), "AF_NETLINK");
        assert_eq!(address_family(17), "AF_PACKET");
        assert_eq!(address_family(40), "AF_VSOCK");
        assert_eq!(address_family(44), "AF_XDP");
        assert_eq!(address_family(45), "AF_MCTP");
    }

    #[test]
    fn address_family_unknown() {
        assert_eq!(address_family(46), "0x2e /* AF_??? */");
        assert_eq!(address_family(0xff), "0xff /* AF_??? */");
        assert_eq!(address_family(1000), "0x3e8 /* AF_??? */");
        // An unsigned int argument: the high half is not looked at.
        assert_eq!(address_family(0x1_0000_0002), "AF_INET");
        assert_eq!(address_family(0xffff_ffff), "0xffffffff /* AF_??? */");
    }
}
