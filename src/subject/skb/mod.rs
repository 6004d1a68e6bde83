//! `argtrace skb`: every packet in and out of a cgroup (the whole cgroup v2
//! hierarchy, or `--cgroup PATH`), with its IP and TCP/UDP headers, payload
//! bytes and the process that owns its socket, as tcpdump-like lines, JSON,
//! or a pcap file (`--pcap`) that holds only the packets of the processes
//! asked for. BPF side: bpf/skb.bpf.c.
//!
//! Two probe modes. cgroup: cgroup_skb/egress and ingress attached with
//! bpf_links to the cgroup, and the owner of each socket recorded in
//! socket-local storage by cgroup socket hooks in the task's own context
//! (bpf/cgroup.bpf.h, shared with sock); -p/-c/-u filter on that owner, in
//! the kernel. socket (the fallback, or `--iface IF`): a socket filter on an
//! AF_PACKET socket, which sees an interface's packets in both directions
//! (pkt_type) but no process, so the task filters are refused there.
//!
//! Here: the options, the run's state and the `Subject` impl; attach.rs
//! loads the object in each mode, pcap.rs writes --pcap, render.rs the lines.

mod attach;
mod pcap;
mod render;
mod skel;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};


use crate::config::Config;
use crate::error::{Error, Result};
use crate::family::cgroup;
use crate::family::load::{skeleton_sections, Loaded, Slot};
use crate::family::{ProbeMode, Target};
use crate::render::Style;
use crate::stack::StackReader;
use crate::subject::options::Proto;
use crate::subject::Subject;
use crate::sys;
use pcap::PcapOut;
use render::{Memory, Packet};

use skel::SkbEvent;

const DEFAULT_PEEK: u32 = 64;
const MAX_PEEK: u32 = 65535;

/// `argtrace skb [--cgroup PATH] [--ingress|--egress] [--proto tcp|udp|all]
/// [--port P] [--host ADDR] [-4] [-6] [--peek N] [--pcap FILE] [--snaplen N]`.
#[derive(clap::Args, Debug, Clone)]
pub struct Skb {
    /// The cgroup v2 directory to attach to (the common --cgroup or --container; default: the
    /// whole cgroup v2 hierarchy, found in /proc/mounts).
    #[arg(skip)]
    pub cgroup: Option<PathBuf>,
    /// Incoming packets only.
    #[arg(long, conflicts_with = "egress")]
    pub ingress: bool,
    /// Outgoing packets only.
    #[arg(long)]
    pub egress: bool,
    /// Transport protocol (filtered in the kernel).
    #[arg(long, value_enum)]
    pub proto: Option<Proto>,
    /// Packets with this source or destination port (filtered in the kernel).
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Packets from or to this IPv4 or IPv6 address (filtered in the kernel).
    #[arg(long, value_name = "ADDR")]
    pub host: Option<IpAddr>,
    /// IPv4 packets only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 packets only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Show this many payload bytes of each packet (0 to 65535).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PEEK,
          value_parser = clap::value_parser!(u32).range(0..=MAX_PEEK as i64))]
    pub peek: u32,
    /// Write the packets to FILE as a pcap (LINKTYPE_RAW, nanosecond times);
    /// no lines are printed then unless --print, --json or --output asks for them.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// With --pcap: capture each packet up to this many bytes (1 to 262144).
    #[arg(long, value_name = "N", requires = "pcap", default_value_t = pcap::MAX_SNAPLEN,
          value_parser = clap::value_parser!(u32).range(1..=pcap::MAX_SNAPLEN as i64))]
    pub snaplen: u32,
    /// With --pcap: print the lines too.
    #[arg(long, requires = "pcap")]
    pub print: bool,
    /// With -p/--tid/-c/-u: also show packets of sockets without an owner
    /// record (older than argtrace and not placed at start-up: in no TCP or
    /// UDP table then, or any on a kernel before 5.11).
    #[arg(long, conflicts_with = "iface")]
    pub unowned: bool,
    /// Use the fallback on this interface: a socket filter on an AF_PACKET
    /// socket, both directions, no process (-p/--tid/-c/-u are refused).
    #[arg(long, value_name = "IF")]
    pub iface: Option<String>,
    /// Also read each payload's first byte with bpf_skb_load_bytes_relative
    /// and show its result and the skb's linear length (JSON relative_ret,
    /// linear_len): why that helper fails where bpf_skb_load_bytes works.
    #[arg(long, conflicts_with = "iface")]
    pub compare_relative: bool,
    /// What the renderer keeps across records (pcap file, TCP sequence bases).
    #[arg(skip)]
    state: Arc<State>,
}

impl Default for Skb {
    fn default() -> Self {
        Skb {
            cgroup: None,
            ingress: false,
            egress: false,
            proto: None,
            port: None,
            host: None,
            ipv4: false,
            ipv6: false,
            peek: DEFAULT_PEEK,
            pcap: None,
            snaplen: pcap::MAX_SNAPLEN,
            print: false,
            unowned: false,
            iface: None,
            compare_relative: false,
            state: Arc::default(),
        }
    }
}

/// The run's mutable side, shared by the clones of the options.
#[derive(Default)]
struct State {
    /// Whether lines are written (not with --pcap alone).
    print: AtomicBool,
    pcap: Mutex<Option<PcapOut>>,
    /// A pcap write failed: the run ends.
    pcap_failed: AtomicBool,
    /// What the lines remember across packets.
    memory: Memory,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State")
    }
}

impl Skb {
    /// Whether the fallback is asked for outright.
    fn socket_only(&self) -> bool {
        self.iface.is_some()
    }

    /// --host as the packets carry it: an IPv4-mapped IPv6 address (the form
    /// argtrace's own output prints for one) is the IPv4 address it maps.
    fn host(&self) -> Option<IpAddr> {
        self.host.map(|h| match h {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(h, IpAddr::V4),
            v4 => v4,
        })
    }

    /// The IP version the packet filters keep: 0 for both.
    fn version(&self) -> u8 {
        match (self.ipv4, self.ipv6) {
            (true, _) => 4,
            (_, true) => 6,
            _ => 0,
        }
    }

    /// Writes the packet filters and capture sizes shared by both modes.
    fn packet_rodata(&self, ro: &mut skel::types::rodata) {
        ro.target_version = self.version();
        ro.target_proto = Proto::number(self.proto) as u8;
        ro.target_port = self.port.unwrap_or(0);
        match self.host() {
            Some(IpAddr::V4(a)) => {
                ro.host_version = 4;
                ro.target_host[..4].copy_from_slice(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                ro.host_version = 6;
                ro.target_host = a.octets();
            }
            None => ro.host_version = 0,
        }
        ro.socket_dirs = match (self.egress, self.ingress) {
            (true, false) => 1,
            (false, true) => 2,
            _ => 3,
        };
        ro.peek_len = self.peek;
        ro.pcap_snaplen = if self.pcap.is_some() { self.snaplen } else { 0 };
        ro.want_unowned = self.unowned;
        ro.compare_relative = self.compare_relative;
    }
}

impl Subject for Skb {
    fn name(&self) -> &'static str {
        "skb"
    }

    fn check(&self) -> Result<()> {
        if let Some(host) = self.host() {
            let v = if host.is_ipv4() { 4 } else { 6 };
            if self.version() != 0 && self.version() != v {
                return Err(Error::Usage(format!("--host {host} is an IPv{v} address, but -{} keeps only IPv{}", self.version(), self.version())));
            }
        }
        if let Some(name) = &self.iface {
            if self.cgroup.is_some() {
                return Err(Error::Usage(format!(
                    "skb --iface {name} is a socket filter on an interface, which sees no cgroup: drop \
                     --cgroup/--container, or drop --iface for the cgroup hooks"
                )));
            }
            if sys::interface_index(name).is_none() {
                return Err(Error::Usage(format!("--iface {name}: no such network interface")));
            }
        } else if let Some(path) = &self.cgroup {
            cgroup::attach_dir(Some(path), "skb")?;
        }
        Ok(())
    }

    fn check_config(&self, cfg: &Config, probe: Option<ProbeMode>) -> Result<()> {
        if cfg.summary && self.pcap.is_some() {
            return Err(Error::Usage(
                "--pcap writes the packets, and -s/--summary only counts them: use one or the other".into(),
            ));
        }
        if let Some(pcap) = &self.pcap {
            let lines = self.print || cfg.json || cfg.output.is_some();
            let lines_to_stdout = lines && cfg.output.as_deref().map_or(true, sys::is_stdout);
            if sys::is_stdout(pcap) && lines_to_stdout {
                return Err(Error::Usage(
                    "--pcap - writes the pcap to standard output, and the lines would go there too: \
                     give them a file with -o FILE, or drop --print and --json"
                        .into(),
                ));
            }
            if let Some(out) = cfg.output.as_deref().filter(|o| sys::same_file(pcap, o)) {
                return Err(Error::Usage(format!(
                    "--pcap {} and -o {} are the same file, and each would corrupt the other: give two files",
                    pcap.display(),
                    out.display()
                )));
            }
        }
        if !cfg.filters_tasks() {
            return Ok(());
        }
        let why = "a socket filter on an AF_PACKET socket sees an interface's packets, not the process \
                   that owns them, so -p, --tid, -c and -u cannot apply";
        if self.socket_only() || probe == Some(ProbeMode::Socket) {
            return Err(Error::Usage(format!(
                "skb {}: {why} (the cgroup hooks can: drop --iface)",
                if self.socket_only() { "--iface" } else { "--probe socket" }
            )));
        }
        if probe.is_none() && self.cgroup.is_none() && sys::cgroup2_mount().is_none() {
            return Err(Error::Kernel(
                "no cgroup v2 hierarchy is mounted, so skb would fall back to a socket filter, which sees an \
                 interface's packets but not the process that owns them: -p, --tid, -c and -u cannot apply; \
                 mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup) or drop them"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The summary's rows: the directions (enum argtrace_skb_dir).
    fn call_name(&self, call: u32) -> Option<&'static str> {
        match call {
            c if c == skel::types::argtrace_skb_dir::SKB_EGRESS.0 => Some("egress"),
            c if c == skel::types::argtrace_skb_dir::SKB_INGRESS.0 => Some("ingress"),
            _ => None,
        }
    }

    /// --iface is socket mode alone, and --cgroup cgroup mode alone: a
    /// socket filter sees interfaces, never a cgroup, so falling back to one
    /// would trace the whole machine where one cgroup was asked for.
    fn modes(&self) -> &'static [ProbeMode] {
        if self.socket_only() {
            &[ProbeMode::Socket]
        } else if self.cgroup.is_some() {
            &[ProbeMode::Cgroup]
        } else {
            &[ProbeMode::Cgroup, ProbeMode::Socket]
        }
    }

    fn why_no_mode(&self, mode: ProbeMode) -> Option<String> {
        match mode {
            ProbeMode::Cgroup if self.socket_only() => Some(
                "skb --iface needs socket mode (a socket filter on that interface), not --probe cgroup: \
                 drop --iface for the cgroup hooks"
                    .into(),
            ),
            ProbeMode::Socket if self.cgroup.is_some() => Some(
                "skb --cgroup needs cgroup mode: a socket filter sees an interface's packets, not a cgroup's, \
                 and would trace the whole machine; drop --probe socket, or drop --cgroup"
                    .into(),
            ),
            _ => None,
        }
    }

    fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
        skeleton_sections!(skel::SkbSkelBuilder)
    }
    fn load<'obj>(&self, storage: &'obj mut Slot, cfg: &Config, mode: ProbeMode) -> Loaded<'obj> {
        let target = Target { subject: "skb", cgroup: self.cgroup.as_deref(), iface: self.iface.as_deref() };
        let rodata = |ro: &mut skel::types::rodata| self.packet_rodata(ro);
        match mode {
            ProbeMode::Socket => {
                // Auto's fallback after a failed cgroup mode: a socket filter
                // cannot keep to the processes asked for.
                if cfg.filters_tasks() {
                    return Err(crate::family::LoadError::said(
                        crate::family::Stage::Open,
                        "a socket filter sees no process, so -p, --tid, -c and -u cannot apply".into(),
                    ));
                }
                attach::load_socket(storage, cfg, mode, &target, rodata)
            }
            _ => {
                let (ingress, egress) = (!self.egress || self.ingress, !self.ingress || self.egress);
                attach::load_cgroup(storage, cfg, mode, &target, (ingress, egress), rodata)
            }
        }
    }

    fn start(&self, cfg: &Config) -> Result<()> {
        let print = self.pcap.is_none() || self.print || cfg.json || cfg.output.is_some();
        self.state.print.store(print, Ordering::Relaxed);
        if let Some(path) = &self.pcap {
            *self.state.pcap.lock().expect("pcap lock") = Some(PcapOut::create(path, self.snaplen)?);
        }
        Ok(())
    }

    fn payloads(&self, cfg: &Config) -> Vec<crate::subject::Payload> {
        use crate::subject::Payload;
        let mut all = Vec::new();
        let lines = self.pcap.is_none() || self.print || cfg.json || cfg.output.is_some();
        if !cfg.summary && lines && self.peek > 0 {
            all.push(Payload {
                what: format!("up to {} bytes of each packet's payload (--peek {})", self.peek, self.peek),
                file: None,
            });
        }
        if let Some(path) = self.pcap.as_ref().filter(|_| !cfg.summary) {
            let what = format!("each packet, up to {} bytes (--pcap, --snaplen)", self.snaplen);
            all.push(Payload { what, file: Some(path.clone()) });
        }
        all
    }

    fn finish(&self, lost: u64) -> std::result::Result<(), String> {
        let mut guard = self.state.pcap.lock().map_err(|_| "the pcap writer panicked".to_string())?;
        guard.as_mut().map_or(Ok(()), |p| p.finish(lost))
    }

    /// A failed pcap write ends the run at once.
    fn stopped(&self) -> bool {
        self.state.pcap_failed.load(Ordering::Relaxed)
    }

    /// A packet in the pcap counts as written, whatever became of its line
    /// (`--pcap f --print | head`): the counts agree with the file.
    fn keeps_records(&self) -> bool {
        self.pcap.is_some() && !self.stopped()
    }

    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool {
        let Some(ev) = crate::event::copy::<SkbEvent>(record) else {
            return false;
        };
        let rest = &record[std::mem::size_of::<SkbEvent>()..];
        let data = &rest[..(ev.cap_len as usize).min(rest.len())];
        if let Some(p) = self.state.pcap.lock().ok().as_mut().and_then(|g| g.as_mut()) {
            // The packet from its IP header (data_off 0 with --pcap).
            let captured = if ev.data_off == 0 { data } else { &[][..] };
            if !p.packet(ev.h.ts_ns as i128 + style.realtime_offset_ns, captured, ev.len) {
                self.state.pcap_failed.store(true, Ordering::Relaxed);
                return true;
            }
        }
        if self.state.print.load(Ordering::Relaxed) {
            let packet =
                Packet { ev, data, peek: self.peek, compare_relative: self.compare_relative, memory: &self.state.memory };
            style.record(&packet, stacks, out);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn style(json: bool) -> Style {
        crate::render::test_style(json)
    }

    fn bytes_of(e: &SkbEvent) -> Vec<u8> {
        // SAFETY: SkbEvent is a #[repr(C)] struct of integers and arrays whose
        // every byte is a field (bpf/argtrace.h spells out its padding).
        unsafe { plain::as_bytes(e) }.to_vec()
    }

    /// A TCP packet of 127.0.0.1.50312 > 127.0.0.1.8080 owned by python3 812.
    fn tcp_packet(flags: u8, seq: u32, payload: &[u8]) -> (SkbEvent, Vec<u8>) {
        let mut e = SkbEvent::default();
        e.h.ts_ns = 2_204_000_000;
        e.h.probe = skel::types::argtrace_probe::PROBE_CGROUP.0 as u8;
        e.version = 4;
        e.proto = 6;
        e.saddr[..4].copy_from_slice(&[127, 0, 0, 1]);
        e.daddr[..4].copy_from_slice(&[127, 0, 0, 1]);
        e.sport = 50312;
        e.dport = 8080;
        e.ip_hdr_len = 20;
        e.l4_hdr_len = 32;
        e.tcp_flags = flags;
        e.seq = seq;
        e.ack = 77;
        e.len = 52 + payload.len() as u32;
        e.payload_len = payload.len() as u32;
        e.data_off = 52;
        e.cap_len = payload.len().min(64) as u32;
        e.cookie = 4097;
        e.has_owner = 1;
        e.owner.pid = 812;
        e.owner.tid = 812;
        for (d, s) in e.owner.comm.iter_mut().zip(b"python3") {
            *d = *s as i8;
        }
        let mut record = bytes_of(&e);
        record.extend_from_slice(&payload[..e.cap_len as usize]);
        (e, record)
    }

    fn line(skb: &Skb, record: &[u8], json: bool) -> String {
        skb.state.print.store(true, Ordering::Relaxed);
        let mut out = String::new();
        assert!(skb.render(record, &style(json), None, &mut out));
        out
    }

    #[test]
    fn text_is_tcpdump_like_with_the_owner() {
        let skb = Skb::default();
        let (_, syn) = tcp_packet(0x02, 1000, b"");
        assert_eq!(line(&skb, &syn, false), "egress python3 812/812 127.0.0.1.50312 > 127.0.0.1.8080: tcp [S] seq 1000 len 0\n");
        let (_, data) = tcp_packet(0x18, 1001, b"HELLO-ARGTRACE");
        assert_eq!(
            line(&skb, &data, false),
            "egress python3 812/812 127.0.0.1.50312 > 127.0.0.1.8080: tcp [P.] seq 1:15 len 14 \"HELLO-ARGTRACE\"\n"
        );
        let (mut e, _) = tcp_packet(0x10, 5, b"");
        e.has_owner = 0;
        e.dir = 1;
        let record = bytes_of(&e);
        assert_eq!(line(&skb, &record, false), "ingress owner=? 127.0.0.1.50312 > 127.0.0.1.8080: tcp [.] len 0\n");
        // Escaped, cut at --peek, with strace's "..." after a short peek.
        let short = Skb { peek: 3, ..Skb::default() };
        let (_, data) = tcp_packet(0x18, 7, b"a\n\x1b\"z");
        assert_eq!(
            line(&short, &data, false),
            "egress python3 812/812 127.0.0.1.50312 > 127.0.0.1.8080: tcp [P.] seq 7:12 len 5 \"a\\n\\33\"...\n"
        );
    }

    #[test]
    fn a_malformed_tcp_header_is_said_as_tcpdump_says_it() {
        let skb = Skb::default();
        for (hdr, len, why) in [(4, 40, "4 - too short, < 20"), (60, 40, "60 - too long, > 20")] {
            let (mut e, _) = tcp_packet(0x02, 1000, b"");
            (e.malformed, e.l4_hdr_len, e.len, e.cap_len) = (1, hdr, len, 0);
            assert_eq!(
                line(&skb, &bytes_of(&e), false),
                format!("egress python3 812/812 127.0.0.1.50312 > 127.0.0.1.8080: tcp [S] [bad hdr length {why}]\n")
            );
        }
    }

    #[test]
    fn json_has_every_field_and_a_latin1_peek() {
        let skb = Skb::default();
        let (_, data) = tcp_packet(0x18, 1001, b"hi\xff");
        let text = line(&skb, &data, true);
        assert_eq!(
            text,
            "{\"time\": \"2023-11-14T22:13:22.204000000Z\", \"event\": \"skb\", \"probe\": \"cgroup\", \
             \"pid\": 0, \"tid\": 0, \"uid\": 0, \"comm\": \"\", \"cgroup_id\": null, \"container_id\": null, \"pod_uid\": null, \
             \"args\": {\"dir\": \"egress\", \
             \"family\": \"AF_INET\", \"saddr\": \"127.0.0.1\", \"sport\": 50312, \"daddr\": \"127.0.0.1\", \
             \"dport\": 8080, \"proto\": \"tcp\", \"len\": 55, \"ip_hdr_len\": 20, \"l4_hdr_len\": 32, \
             \"payload_len\": 3, \"tcp_flags\": \"P.\", \"seq\": 1001, \"ack\": 77, \"cookie\": 4097, \
             \"owner\": {\"pid\": 812, \"tid\": 812, \"comm\": \"python3\", \"uid\": 0}, \
             \"peek\": \"hi\u{ff}\", \"peek_len\": 3}}\n"
        );
    }

    #[test]
    fn udp_and_ipv6_endpoints() {
        let skb = Skb::default();
        let (mut e, _) = tcp_packet(0, 0, b"");
        e.proto = 17;
        e.version = 6;
        e.saddr = Ipv6Addr::LOCALHOST.octets();
        e.daddr = Ipv6Addr::LOCALHOST.octets();
        e.dport = 9;
        e.ip_hdr_len = 40;
        e.l4_hdr_len = 8;
        e.len = 53;
        e.payload_len = 5;
        e.data_off = 48;
        e.cap_len = 5;
        let mut record = bytes_of(&e);
        record.extend_from_slice(b"hello");
        assert_eq!(line(&skb, &record, false), "egress python3 812/812 ::1.50312 > ::1.9: udp len 5 \"hello\"\n");
    }

    #[test]
    fn pcap_records_follow_the_header() {
        let dir = std::env::temp_dir().join(format!("argtrace-skb-unit-{}", std::process::id()));
        let skb = Skb { pcap: Some(dir.clone()), snaplen: 96, ..Skb::default() };
        let file = std::fs::File::create(&dir).unwrap();
        *skb.state.pcap.lock().unwrap() = Some(PcapOut::over(dir.display().to_string(), file, false, 0));
        let (mut e, _) = tcp_packet(0x18, 1, b"xyz");
        e.data_off = 0;
        e.cap_len = 55;
        let mut record = bytes_of(&e);
        record.extend_from_slice(&[0x45; 52]);
        record.extend_from_slice(b"xyz");
        let mut out = String::new();
        assert!(skb.render(&record, &style(false), None, &mut out));
        assert!(out.is_empty(), "--pcap alone prints nothing: {out}");
        skb.finish(0).unwrap();
        let bytes = std::fs::read(&dir).unwrap();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(bytes.len(), 16 + 55);
        assert_eq!(u32::from_ne_bytes(bytes[8..12].try_into().unwrap()), 55);
        assert_eq!(&bytes[16 + 52..], b"xyz");
    }
}
