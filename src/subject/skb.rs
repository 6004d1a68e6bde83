//! `argtrace skb`: every packet in and out of a cgroup (the whole cgroup v2
//! hierarchy, or `--cgroup PATH`), with its IP and TCP/UDP headers, payload
//! bytes and the process that owns its socket, as tcpdump-like lines, JSON,
//! or a pcap file (`--pcap`) that holds only the packets of the processes
//! asked for. BPF side: bpf/skb.bpf.c.
//!
//! Two probe modes. cgroup: cgroup_skb/egress and ingress attached with
//! bpf_links to the cgroup, and the owner of each socket recorded in
//! socket-local storage by cgroup socket hooks in the task's own context
//! (bpf/creator.bpf.h, shared with sock); -p/-c/-u filter on that owner, in
//! the kernel. socket (the fallback, or `--iface IF`): a socket filter on an
//! AF_PACKET socket, which sees an interface's packets in both directions
//! (pkt_type) but no process, so the task filters are refused there.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use libbpf_rs::{libbpf_sys, OpenObject, ProgramType};

use crate::bpf::{load_skeleton, skeleton_sections, LoadError, ProbeMode, Stage, Tracer};
use crate::cgroup::{self, task_of};
use crate::cli::{Config, ProbeArg};
use crate::decode;
use crate::error::{Error, Result};
use crate::event::{header_of, Header};
use crate::pcap;
use crate::render::{escape_into, latin1, write_json_str, Json, Record, Style};
use crate::stack::StackReader;
use crate::subject::sock::Proto;
use crate::subject::Subject;
use crate::sys;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/skb.skel.rs"));
}
use skel::types::skb_event as SkbEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's skb_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for SkbEvent {}

const DEFAULT_PEEK: u32 = 64;
const MAX_PEEK: u32 = 65535;

/// `argtrace skb [--cgroup PATH] [--ingress|--egress] [--proto tcp|udp|all]
/// [--port P] [--host ADDR] [-4] [-6] [--peek N] [--pcap FILE] [--snaplen N]`.
#[derive(clap::Args, Debug, Clone)]
pub struct Skb {
    /// Trace the packets of the sockets of this cgroup v2 directory and its
    /// descendants (default: the whole cgroup v2 hierarchy, found in /proc/mounts).
    #[arg(long, value_name = "PATH", conflicts_with = "iface")]
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
    /// The initial sequence number of each TCP flow whose SYN was seen, so
    /// that text shows sequence numbers relative to it, as tcpdump does.
    isn: Mutex<HashMap<Flow, u32>>,
    /// Interface names by index (socket mode), looked up once.
    ifnames: Mutex<HashMap<u32, String>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State")
    }
}

/// The pcap being written. Records are buffered and written whole, at least
/// every FLUSH_EVERY, so that a failed write (a full disk, /dev/full) ends
/// the run at once, and the file is cut back to its last whole record: it
/// holds exactly the `packets` said, and tcpdump reads it to the end.
struct PcapOut {
    /// As messages name it: the path, or "standard output" for `-`.
    shown: String,
    file: std::fs::File,
    to_stdout: bool,
    buf: Vec<u8>,
    /// Where each buffered record ends in `buf`.
    ends: Vec<usize>,
    /// Bytes and whole packets the file holds (the header included in bytes).
    bytes: u64,
    packets: u64,
    last_flush: Instant,
    error: Option<std::io::Error>,
    /// Buffered packets a failed write lost.
    unwritten: u64,
}

/// A pcap is written at least this often, and whenever this much is buffered.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_BYTES: usize = 256 * 1024;

impl PcapOut {
    fn push(&mut self, realtime_ns: i128, captured: &[u8], orig_len: u32) {
        // Into a Vec: cannot fail.
        let _ = pcap::write_packet(&mut self.buf, realtime_ns, captured, orig_len);
        self.ends.push(self.buf.len());
        if self.buf.len() >= FLUSH_BYTES || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// Writes what is buffered; after a failure the file ends on the last
    /// whole record written (a pipe cannot be cut back: nothing reads it then).
    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.error.is_some() || self.buf.is_empty() {
            return;
        }
        let mut done = 0;
        while done < self.buf.len() {
            match self.file.write(&self.buf[done..]) {
                Ok(0) => {
                    self.error = Some(std::io::ErrorKind::WriteZero.into());
                    break;
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
        }
        let whole = self.ends.iter().take_while(|end| **end <= done).count();
        let kept = if whole == 0 { 0 } else { self.ends[whole - 1] };
        if done > kept && !self.to_stdout {
            let _ = self.file.set_len(self.bytes + kept as u64);
        }
        self.bytes += kept as u64;
        self.packets += whole as u64;
        self.unwritten += (self.ends.len() - whole) as u64;
        self.buf.clear();
        self.ends.clear();
    }

    /// A reader of standard output that went away (`| tshark -c 10`): an
    /// ending like a closed pipe for lines, not a failure.
    fn reader_gone(&self) -> bool {
        self.to_stdout && self.error.as_ref().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}


/// One direction of a TCP connection: source and destination address and port.
type Flow = ([u8; 16], u16, [u8; 16], u16);

/// At most this many flows are remembered; then the table starts anew.
const MAX_FLOWS: usize = 65536;

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
        ro.target_proto = match self.proto {
            Some(Proto::Tcp) => decode::IPPROTO_TCP as u8,
            Some(Proto::Udp) => decode::IPPROTO_UDP as u8,
            Some(Proto::All) | None => 0,
        };
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

/// Whether the kernel lets cgroup_skb programs name the current task
/// (bpf_get_current_pid_tgid/uid_gid/comm there: 6.18 has them, Debian's
/// 6.1 and 6.12 do not), asked of the kernel itself.
fn have_current_in_cgroup_skb() -> bool {
    let t = ProgramType::CgroupSkb;
    [
        libbpf_sys::BPF_FUNC_get_current_pid_tgid,
        libbpf_sys::BPF_FUNC_get_current_uid_gid,
        libbpf_sys::BPF_FUNC_get_current_comm,
    ]
    .into_iter()
    .all(|h| t.is_helper_supported(h).unwrap_or(false))
}

fn open_error(msg: String) -> LoadError {
    LoadError { stage: Stage::Open, error: libbpf_rs::Error::from(std::io::Error::other(msg)) }
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
            if sys::interface_index(name).is_none() {
                return Err(Error::Usage(format!("--iface {name}: no such network interface")));
            }
        } else if let Some(path) = &self.cgroup {
            cgroup::attach_dir(Some(path), "skb")?;
        }
        Ok(())
    }

    fn check_config(&self, cfg: &Config) -> Result<()> {
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
        let filtered = !cfg.pids.is_empty() || !cfg.tids.is_empty() || cfg.comm.is_some() || cfg.uid.is_some();
        if !filtered {
            return Ok(());
        }
        let why = "a socket filter on an AF_PACKET socket sees an interface's packets, not the process \
                   that owns them, so -p, --tid, -c and -u cannot apply";
        if self.socket_only() || cfg.probe == ProbeArg::Socket {
            return Err(Error::Usage(format!(
                "skb {}: {why} (the cgroup hooks can: drop --iface)",
                if self.socket_only() { "--iface" } else { "--probe socket" }
            )));
        }
        if cfg.probe == ProbeArg::Auto && self.cgroup.is_none() && sys::cgroup2_mount().is_none() {
            return Err(Error::Kernel(
                "no cgroup v2 hierarchy is mounted, so skb would fall back to a socket filter, which sees an \
                 interface's packets but not the process that owns them: -p, --tid, -c and -u cannot apply; \
                 mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup) or drop them"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Packets, not calls: -T is refused, -s counts them per direction.
    fn has_calls(&self) -> bool {
        false
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

    fn load<'obj>(
        &self,
        storage: &'obj mut MaybeUninit<OpenObject>,
        cfg: &Config,
        mode: ProbeMode,
    ) -> std::result::Result<Tracer<'obj>, LoadError> {
        match mode {
            ProbeMode::Socket => {
                // Auto's fallback after a failed cgroup mode: a socket filter
                // cannot keep to the processes asked for.
                if !cfg.pids.is_empty() || !cfg.tids.is_empty() || cfg.comm.is_some() || cfg.uid.is_some() {
                    return Err(open_error(
                        "a socket filter sees no process, so -p, --tid, -c and -u cannot apply".into(),
                    ));
                }
                let ifindex = match &self.iface {
                    Some(name) => sys::interface_index(name)
                        .ok_or_else(|| open_error(format!("no network interface {name}")))?,
                    None => 0,
                };
                let mut tracer = load_skeleton!(skel::SkbSkelBuilder, storage, cfg, mode, |ro| {
                    self.packet_rodata(ro);
                }, open |open| {
                    // No socket filter code uses it.
                    open.maps.creators.set_autocreate(false)
                }, cgroup None)?;
                let prog = tracer
                    .skel
                    .object()
                    .progs()
                    .find(|p| p.name() == "skb_socket")
                    .map(|p| p.as_fd().as_raw_fd())
                    .ok_or_else(|| open_error("the object has no skb_socket program".into()))?;
                let sock = sys::packet_socket(ifindex, prog).map_err(|e| LoadError {
                    stage: Stage::Attach,
                    error: libbpf_rs::Error::from(e),
                })?;
                tracer.held.push(sock);
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    crate::say!(
                        "argtrace: skb in socket mode: a socket filter on {}, both directions; \
                         it sees no process, so no owner is shown",
                        self.iface.as_deref().map_or("every interface".to_string(), |i| format!("interface {i}"))
                    )
                });
                Ok(tracer)
            }
            _ => {
                let dir = cgroup::attach_dir(self.cgroup.as_deref(), "skb").map_err(|e| open_error(e.to_string()))?;
                let sk_storage = cgroup::have_sk_storage(&[
                    ProgramType::CgroupSkb,
                    ProgramType::CgroupSock,
                    ProgramType::CgroupSockAddr,
                ]);
                if !sk_storage {
                    static SAID: Once = Once::new();
                    SAID.call_once(|| {
                        crate::say!(
                            "argtrace: this kernel has no socket-local storage for cgroup programs \
                             (BPF_MAP_TYPE_SK_STORAGE, bpf_sk_storage_get): every packet's owner is unknown (owner=?)"
                        )
                    });
                }
                let current = have_current_in_cgroup_skb();
                let (ingress, egress) = (!self.egress || self.ingress, !self.ingress || self.egress);
                let tracer = load_skeleton!(skel::SkbSkelBuilder, storage, cfg, mode, |ro| {
                    self.packet_rodata(ro);
                    ro.have_sk_storage = sk_storage;
                    ro.have_current = current;
                }, open |open| {
                    open.progs.skb_ingress.set_autoload(ingress);
                    open.progs.skb_egress.set_autoload(egress);
                    if sk_storage {
                        Ok(())
                    } else {
                        // Nothing records an owner then: no sock hook at all.
                        for p in [
                            &mut open.progs.skb_sock_create,
                            &mut open.progs.skb_connect4,
                            &mut open.progs.skb_connect6,
                            &mut open.progs.skb_sendmsg4,
                            &mut open.progs.skb_sendmsg6,
                        ] {
                            p.set_autoload(false);
                        }
                        open.maps.creators.set_autocreate(false)
                    }
                }, cgroup Some(&dir))?;
                if sk_storage {
                    cgroup::seed_and_say(&tracer, cfg, "skb");
                }
                Ok(tracer)
            }
        }
    }

    fn start(&self, cfg: &Config) -> Result<()> {
        let print = self.pcap.is_none() || self.print || cfg.json || cfg.output.is_some();
        self.state.print.store(print, Ordering::Relaxed);
        if let Some(path) = &self.pcap {
            let to_stdout = sys::is_stdout(path);
            let (shown, mut file) = if to_stdout {
                let fd = std::io::stdout().as_fd().try_clone_to_owned();
                let fd = fd.map_err(|e| Error::Output(format!("cannot write standard output: {}", sys::io_reason(&e))))?;
                ("standard output".to_string(), std::fs::File::from(fd))
            } else {
                (path.display().to_string(), crate::trace::open_output(path)?)
            };
            let mut header = Vec::new();
            let _ = pcap::write_header(&mut header, self.snaplen);
            file.write_all(&header).map_err(|e| Error::Output(format!("cannot write {shown}: {}", sys::io_reason(&e))))?;
            *self.state.pcap.lock().expect("pcap lock") = Some(PcapOut {
                shown,
                file,
                to_stdout,
                buf: Vec::with_capacity(FLUSH_BYTES + 64 * 1024),
                ends: Vec::new(),
                bytes: header.len() as u64,
                packets: 0,
                last_flush: Instant::now(),
                error: None,
                unwritten: 0,
            });
        }
        Ok(())
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

    fn finish(&self, lost: u64) -> std::result::Result<(), String> {
        let mut guard = self.state.pcap.lock().map_err(|_| "the pcap writer panicked".to_string())?;
        let Some(p) = guard.as_mut() else { return Ok(()) };
        p.flush();
        let shown = &p.shown;
        if p.reader_gone() {
            return Ok(());
        }
        if let Some(e) = &p.error {
            let lost = match p.unwritten {
                0 => String::new(),
                n => format!(", and the {n} after them were not written"),
            };
            return Err(format!(
                "writing {shown} failed: {}; it holds the first {} packets, whole{lost}",
                sys::io_reason(e),
                p.packets
            ));
        }
        if lost > 0 {
            crate::say!(
                "argtrace: {shown} lacks {lost} packets: the ring buffer was full (a larger --ringbuf-size helps)"
            );
        }
        Ok(())
    }

    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool {
        let Some(ev) = crate::event::copy::<SkbEvent>(record) else {
            return false;
        };
        let rest = &record[std::mem::size_of::<SkbEvent>()..];
        let data = &rest[..(ev.cap_len as usize).min(rest.len())];
        if let Ok(mut guard) = self.state.pcap.lock() {
            if let Some(p) = guard.as_mut().filter(|p| p.error.is_none()) {
                // The packet from its IP header (data_off 0 with --pcap).
                let captured = if ev.data_off == 0 { data } else { &[][..] };
                p.push(ev.h.ts_ns as i128 + style.realtime_offset_ns, captured, ev.len);
                if p.error.is_some() {
                    self.state.pcap_failed.store(true, Ordering::Relaxed);
                    return true;
                }
            }
        }
        if self.state.print.load(Ordering::Relaxed) {
            let packet = Packet { ev, data, opts: self };
            style.record(&packet, stacks, out);
        }
        true
    }
}

/// One packet as output sees it: the record and the bytes that followed it.
struct Packet<'a> {
    ev: SkbEvent,
    data: &'a [u8],
    opts: &'a Skb,
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
        u64::from(self.ev.proto) == decode::IPPROTO_TCP && self.ev.l4_hdr_len != 0
    }

    fn is_udp(&self) -> bool {
        u64::from(self.ev.proto) == decode::IPPROTO_UDP && self.ev.l4_hdr_len != 0
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
        let n = (self.ev.payload_len.min(self.opts.peek) as usize).min(self.data.len() - start);
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
        let mut names = self.opts.state.ifnames.lock().expect("ifnames lock");
        names.entry(index).or_insert_with(|| sys::interface_name(index)).clone()
    }

    /// The sequence number as text shows it: relative to the flow's SYN when
    /// that was seen (the SYN itself absolute), as tcpdump prints them.
    fn text_seq(&self) -> u32 {
        let e = &self.ev;
        let flow: Flow = (e.saddr, e.sport, e.daddr, e.dport);
        let mut isn = self.opts.state.isn.lock().expect("isn lock");
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
        let _ = write!(out, ": {}", decode::packet_protocol(e.proto));
        if let Some(why) = self.malformed() {
            let _ = write!(out, " [{}] [{why}]", decode::tcp_flags(e.tcp_flags));
            return;
        }
        if self.is_tcp() {
            let _ = write!(out, " [{}]", decode::tcp_flags(e.tcp_flags));
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
            .str("family", &decode::address_family(if e.version == 6 { 10 } else { 2 }))
            .str("saddr", &self.addr(&e.saddr).to_string())
            .opt_num("sport", ports.then_some(e.sport))
            .str("daddr", &self.addr(&e.daddr).to_string())
            .opt_num("dport", ports.then_some(e.dport))
            .str("proto", &decode::packet_protocol(e.proto))
            .num("len", e.len)
            .num("ip_hdr_len", e.ip_hdr_len)
            .num("l4_hdr_len", e.l4_hdr_len)
            .num("payload_len", e.payload_len);
        match tcp {
            true => {
                a.str("tcp_flags", &decode::tcp_flags(e.tcp_flags));
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
        if self.opts.compare_relative {
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

#[cfg(test)]
mod tests {
    use super::*;

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
             \"pid\": 0, \"tid\": 0, \"uid\": 0, \"comm\": \"\", \"args\": {\"dir\": \"egress\", \
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
        *skb.state.pcap.lock().unwrap() = Some(PcapOut {
            shown: dir.display().to_string(),
            file,
            to_stdout: false,
            buf: Vec::new(),
            ends: Vec::new(),
            bytes: 0,
            packets: 0,
            last_flush: Instant::now(),
            error: None,
            unwritten: 0,
        });
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
