//! `argtrace tcp-send`: every send on a TCP socket, with the socket's
//! addresses and ports, the size, the kind of the kernel's `struct iov_iter`
//! (and its segments), the first `--peek` bytes of the payload, and the
//! result. The family and port filters run in the kernel. BPF side:
//! bpf/tcp_send.bpf.c; the record is followed by `peek_len` payload bytes.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use libbpf_rs::btf::types::{Composite, Enum, Struct};
use libbpf_rs::btf::{Btf, BtfType};

use crate::config::Config;
use crate::decode::net::{self, AF_INET, AF_INET6};
use crate::decode;
use crate::error::{Error, Result};
use crate::event::Header;
use crate::family::load::{load_skeleton, skeleton_sections, Loaded, Slot};
use crate::family::{ProbeMode, Target};
use crate::render::{self, latin1, Json, Record, Style};
use crate::stack::StackReader;
use crate::subject::options::FamilyArgs;
use crate::subject::Subject;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/tcp_send.skel.rs"));
}
use skel::types::argtrace_iter as Iter;
use skel::types::tcp_send_event as TcpSendEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's tcp_send_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for TcpSendEvent {}

/// The largest `--peek` (bpf/argtrace.h's ARGTRACE_PEEK_MAX).
pub const PEEK_MAX: u32 = skel::types::argtrace_peek::ARGTRACE_PEEK_MAX.0;
/// The most iovec segments a peek is gathered from (ARGTRACE_PEEK_SEGS).
pub const PEEK_SEGS: u32 = skel::types::argtrace_peek::ARGTRACE_PEEK_SEGS.0;
const PEEK_DEFAULT: u32 = 64;

/// `argtrace tcp-send [--peek N] [--family inet|inet6|all] [-4] [-6] [--port P]`.
#[derive(clap::Args, Debug, Clone)]
pub struct TcpSend {
    /// Payload bytes to show per send (0 turns the peek off; at most 4096).
    /// They are the traced programs' data: passwords, cookies, keys.
    #[arg(long, value_name = "N", default_value_t = PEEK_DEFAULT)]
    pub peek: u32,
    #[command(flatten)]
    pub family: FamilyArgs,
    /// Only sockets whose local or remote port is P (filtered in the kernel).
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
}

/// The room a send's record takes in the ring buffer: its 8-byte header, the
/// event and `peek` payload bytes, rounded up to 8 (kernel/bpf/ringbuf.c).
fn ring_record_len(peek: u32) -> u32 {
    (8 + std::mem::size_of::<TcpSendEvent>() as u32 + peek).next_multiple_of(8)
}

/// The largest --peek whose records a ring of `ring` bytes holds: the kernel
/// refuses a record that would fill the whole ring.
pub fn max_peek_for_ring(ring: u32) -> u32 {
    ring.saturating_sub(16 + std::mem::size_of::<TcpSendEvent>() as u32).min(PEEK_MAX)
}

impl Default for TcpSend {
    fn default() -> Self {
        TcpSend { peek: PEEK_DEFAULT, family: FamilyArgs::default(), port: None }
    }
}

impl Subject for TcpSend {
    fn name(&self) -> &'static str {
        "tcp-send"
    }

    fn check(&self) -> Result<()> {
        if self.peek > PEEK_MAX {
            return Err(Error::Usage(format!("--peek {} is more than {PEEK_MAX} bytes", self.peek)));
        }
        Ok(())
    }

    /// A record the ring cannot hold is never sent: every send would be lost
    /// while the ring stays empty. Such a --peek is refused.
    fn check_config(&self, cfg: &Config, _probe: Option<ProbeMode>) -> Result<()> {
        let Some(ring) = cfg.ringbuf_size else { return Ok(()) };
        if self.peek > max_peek_for_ring(ring) {
            return Err(Error::Usage(format!(
                "--peek {} makes records of up to {} bytes, more than a --ringbuf-size of {ring} can hold: \
                 use --peek {} or less, or a larger --ringbuf-size",
                self.peek,
                ring_record_len(self.peek),
                max_peek_for_ring(ring)
            )));
        }
        Ok(())
    }

    fn payloads(&self, cfg: &Config) -> Vec<super::Payload> {
        let what = format!("up to {} bytes of each send (--peek {})", self.peek, self.peek);
        (self.peek > 0 && !cfg.summary).then_some(super::Payload { what, file: None }).into_iter().collect()
    }

    fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
        skeleton_sections!(skel::TcpSendSkelBuilder)
    }

    /// One row: every mode's send is a tcp_sendmsg (in tracepoint mode timed
    /// from the send syscall's entry to its return).
    fn call_name(&self, call: u32) -> Option<&'static str> {
        (call == 0).then_some("tcp_sendmsg")
    }

    fn load<'obj>(&self, storage: &'obj mut Slot, cfg: &Config, mode: ProbeMode) -> Loaded<'obj> {
        if cfg.verbose {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| match iov_iter_layout(&cfg.btf) {
                Ok(layout) => crate::say!("argtrace: tcp-send: {layout}"),
                Err(e) => crate::say!("argtrace: tcp-send: the iov_iter layout is unknown: {e}"),
            });
        }
        let family = self.family.resolve();
        let target = Target { subject: "tcp-send", ..Default::default() };
        load_skeleton!(skel::TcpSendSkelBuilder, storage, cfg, mode, &target, |ro| {
            ro.target_family = family.unwrap_or(0);
            ro.target_port = self.port.unwrap_or(0);
            ro.peek_max = self.peek.min(PEEK_MAX);
        })
    }

    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool {
        match TcpSendRecord::parse(record, self.peek > 0) {
            Some(r) => {
                style.record(&r, stacks, out);
                true
            }
            None => false,
        }
    }
}

/// One send: the fixed record and the payload bytes that follow it.
pub struct TcpSendRecord<'a> {
    ev: TcpSendEvent,
    peek: &'a [u8],
    /// --peek is not 0.
    peek_on: bool,
}

impl<'a> TcpSendRecord<'a> {
    /// None when the record is shorter than its type or its tail is not
    /// `peek_len` bytes long.
    fn parse(data: &'a [u8], peek_on: bool) -> Option<Self> {
        let ev = crate::event::copy::<TcpSendEvent>(data)?;
        let peek = &data[std::mem::size_of::<TcpSendEvent>()..];
        (peek.len() == ev.peek_len as usize && ev.peek_len <= PEEK_MAX).then_some(TcpSendRecord { ev, peek, peek_on })
    }

    /// Source and destination as printed (IPv6 in brackets in text).
    fn addrs(&self) -> (String, String) {
        let e = &self.ev;
        if e.family == AF_INET {
            let s = Ipv4Addr::from(u32::from_be(e.saddr4));
            let d = Ipv4Addr::from(u32::from_be(e.daddr4));
            return (s.to_string(), d.to_string());
        }
        (Ipv6Addr::from(e.saddr6).to_string(), Ipv6Addr::from(e.daddr6).to_string())
    }

    /// The source port, unless the kernel had already released it (a socket
    /// reset by its peer).
    fn sport(&self) -> Option<u16> {
        (self.ev.sport != 0).then_some(self.ev.sport)
    }

    /// The iterator's kind as the kernel names it without `ITER_`; None
    /// where this mode cannot know it.
    fn iter(&self) -> Option<String> {
        let name = match Iter(self.ev.iter as u32) {
            Iter::ARGTRACE_ITER_UNKNOWN => return None,
            Iter::ARGTRACE_ITER_UBUF => "UBUF",
            Iter::ARGTRACE_ITER_IOVEC => "IOVEC",
            Iter::ARGTRACE_ITER_KVEC => "KVEC",
            Iter::ARGTRACE_ITER_BVEC => "BVEC",
            Iter::ARGTRACE_ITER_XARRAY => "XARRAY",
            Iter::ARGTRACE_ITER_DISCARD => "DISCARD",
            Iter::ARGTRACE_ITER_PIPE => "PIPE",
            Iter::ARGTRACE_ITER_FOLIOQ => "FOLIOQ",
            _ => return Some(format!("{}", self.ev.iter_raw)),
        };
        Some(name.to_string())
    }

    /// The segment count, for the kinds that have segments.
    fn nr_segs(&self) -> Option<u64> {
        matches!(Iter(self.ev.iter as u32), Iter::ARGTRACE_ITER_IOVEC | Iter::ARGTRACE_ITER_KVEC | Iter::ARGTRACE_ITER_BVEC)
            .then_some(self.ev.nr_segs)
    }

    /// Whether bytes were read: the payload is in user memory (not KVEC,
    /// BVEC ...), --peek is on, and the read worked.
    fn has_peek(&self) -> bool {
        self.has_user_source() && self.peek_on && self.ev.peek_err == 0
    }

    /// The payload is in user memory, where a peek reads it.
    fn has_user_source(&self) -> bool {
        self.ev.src_kind != 0
    }

    /// The failed read's errno name.
    fn peek_error(&self) -> Option<&'static str> {
        (self.ev.peek_err != 0).then(|| decode::errno_name(-(self.ev.peek_err as i64) as u64).unwrap_or("E?"))
    }

    /// Fewer bytes shown than the payload has.
    fn truncated(&self) -> bool {
        (self.ev.peek_len as u64) < self.ev.size
    }
}

impl Record for TcpSendRecord<'_> {
    const EVENT: &'static str = "tcp_send";

    fn header(&self) -> Header {
        header_of!(self.ev.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        "tcp_sendmsg"
    }

    fn ret(&self) -> i64 {
        self.ev.ret
    }

    fn text(&self, _style: &Style, out: &mut String) {
        let (s, d) = self.addrs();
        let (s, d) = if self.ev.family == AF_INET6 { (format!("[{s}]"), format!("[{d}]")) } else { (s, d) };
        let sport = self.sport().map_or("?".to_string(), |p| p.to_string());
        let _ = write!(out, "tcp_sendmsg({s}:{sport} -> {d}:{}, ", self.ev.dport);
        if self.ev.peek_err != 0 {
            // As strace shows a buffer it cannot read: its address.
            out.push_str(&decode::ptr(self.ev.src));
        } else if self.has_user_source() {
            // strace's default string style: quoted, escaped, and `...` when
            // the payload goes on past what is shown (`""...` with --peek 0,
            // as strace -s 0 prints).
            out.push('"');
            render::escape_into(out, self.peek);
            out.push('"');
            if self.truncated() {
                out.push_str("...");
            }
        } else {
            // Kernel memory (KVEC, BVEC ...): no bytes read.
            out.push_str("...");
        }
        let _ = write!(out, ", {}, iter={}", self.ev.size, self.iter().unwrap_or_else(|| "?".into()));
        if let Some(n) = self.nr_segs() {
            let _ = write!(out, ", nr_segs={n}");
        }
        let _ = write!(out, ") = {}", decode::syscall_result(self.ev.ret));
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let (s, d) = self.addrs();
        let iter = self.iter();
        let mut a = Json::open(out);
        a.str("family", &net::address_family(self.ev.family as u64))
            .str("saddr", &s)
            .opt_num("sport", self.sport())
            .str("daddr", &d)
            .num("dport", self.ev.dport)
            .num("size", self.ev.size);
        match &iter {
            Some(i) => a.str("iter", i),
            None => a.opt_num("iter", None::<u8>),
        };
        a.opt_num("nr_segs", self.nr_segs());
        if self.has_peek() {
            a.str("peek", &latin1(self.peek));
        } else {
            a.opt_num("peek", None::<u8>);
        }
        a.num("peek_len", self.ev.peek_len).num("truncated", self.truncated());
        match self.peek_error() {
            Some(e) => a.str("peek_error", e),
            None => a.opt_num("peek_error", None::<u8>),
        };
        a.close();
    }
}

/// Which `struct iov_iter` the kernel (its BTF at `btf_path`) has: the name
/// of the iovec pointer (`iov` before 6.4, `__iov` since), whether `ubuf`
/// exists (ITER_UBUF, 6.0+), where the kind is (`iter_type` since 5.14,
/// `type` before), and the values of `enum iter_type`.
pub fn iov_iter_layout(btf_path: &Path) -> std::result::Result<String, String> {
    let btf = Btf::from_path(btf_path).map_err(|e| format!("reading {}: {e}", btf_path.display()))?;
    let iter: Struct<'_> = btf.type_by_name("iov_iter").ok_or("the BTF has no struct iov_iter")?;
    let mut names = Vec::new();
    member_names(&btf, Composite::from(iter), &mut names, 0);
    let has = |n: &str| names.iter().any(|m| m == n);
    let pointer = if has("__iov") {
        "__iov (the 6.4+ layout: ubuf and count overlay a struct iovec)"
    } else if has("iov") {
        "iov (the layout before 6.4)"
    } else {
        "neither iov nor __iov (IOVEC payloads cannot be read)"
    };
    let ubuf = if has("ubuf") { "ubuf (ITER_UBUF)" } else { "no ubuf (no ITER_UBUF)" };
    let kind = if has("iter_type") {
        "iter_type"
    } else if has("type") {
        "type (the layout before 5.14: the kind's bit beside the direction)"
    } else {
        "neither iter_type nor type (kinds are unknown)"
    };
    let kinds = match btf.type_by_name::<Enum<'_>>("iter_type") {
        Some(e) => e
            .iter()
            .map(|m| format!("{}={}", m.name.and_then(OsStr::to_str).unwrap_or("?"), m.value))
            .collect::<Vec<_>>()
            .join(" "),
        None => "none (kinds are unknown)".into(),
    };
    Ok(format!("this kernel's struct iov_iter has {pointer} and {ubuf}, the kind in {kind}; enum iter_type: {kinds}"))
}

/// The names of a struct's members, those of its anonymous unions and
/// structs included.
fn member_names(btf: &Btf<'_>, c: Composite<'_>, out: &mut Vec<String>, depth: u32) {
    for m in c.iter() {
        match m.name.and_then(OsStr::to_str).filter(|n| !n.is_empty()) {
            Some(n) => out.push(n.to_string()),
            None if depth < 4 => {
                let inner = btf.type_by_id::<BtfType<'_>>(m.ty).map(|t| t.skip_mods_and_typedefs());
                if let Some(Ok(inner)) = inner.map(Composite::try_from) {
                    member_names(btf, inner, out, depth + 1);
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(json: bool) -> Style {
        crate::render::test_style(json)
    }

    fn record(peek: &[u8], size: u64, iter: Iter, nr_segs: u64, ret: i64) -> Vec<u8> {
        let mut ev = TcpSendEvent::default();
        ev.h.pid = 7;
        ev.h.tid = 7;
        ev.h.comm[..4].copy_from_slice(&[b'c' as _, b'u' as _, b'r' as _, b'l' as _]);
        ev.family = AF_INET;
        ev.saddr4 = u32::from(Ipv4Addr::new(127, 0, 0, 1)).to_be();
        ev.daddr4 = ev.saddr4;
        ev.sport = 50312;
        ev.dport = 8080;
        ev.size = size;
        ev.iter = iter.0 as u8;
        ev.nr_segs = nr_segs;
        ev.src_kind = 1;
        ev.peek_len = peek.len() as u32;
        ev.ret = ret;
        // SAFETY: TcpSendEvent is Plain (integers and arrays only).
        let mut out = unsafe { plain::as_bytes(&ev) }.to_vec();
        out.extend_from_slice(peek);
        out
    }

    fn line(rec: &[u8], json: bool) -> String {
        let mut out = String::new();
        assert!(TcpSend::default().render(rec, &style(json), None, &mut out));
        out
    }

    #[test]
    fn text_is_the_issues_example() {
        let rec = record(b"GET / HTTP/1.1\r\nHost: a\r\n", 77, Iter::ARGTRACE_ITER_UBUF, 0, 77);
        assert_eq!(
            line(&rec, false),
            "curl 7/7 tcp_sendmsg(127.0.0.1:50312 -> 127.0.0.1:8080, \"GET / HTTP/1.1\\r\\nHost: a\\r\\n\"..., 77, iter=UBUF) = 77\n"
        );
    }

    #[test]
    fn every_byte_survives_json_and_is_escaped_in_text() {
        let bytes: Vec<u8> = (0..=255).collect();
        let rec = record(&bytes, 256, Iter::ARGTRACE_ITER_IOVEC, 2, -32);
        let json = line(&rec, true);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        let peek: Vec<u32> = v["args"]["peek"].as_str().expect("peek").chars().map(|c| c as u32).collect();
        assert_eq!(peek, (0..=255).collect::<Vec<u32>>());
        assert!(json.contains("\"peek_len\": 256, \"truncated\": false"), "{json}");
        assert!(json.contains("\"iter\": \"IOVEC\", \"nr_segs\": 2"), "{json}");
        let text = line(&rec, false);
        let want = concat!(
            "\\0\\1\\2\\3\\4\\5\\6\\7\\10\\t\\n\\v\\f\\r\\16\\17\\20\\21\\22\\23\\24\\25\\26\\27",
            "\\30\\31\\32\\33\\34\\35\\36\\37 !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\177"
        );
        assert!(text.contains(&format!("127.0.0.1:8080, \"{want}\\200\\201")), "{text}");
        assert!(text.ends_with("\\376\\377\", 256, iter=IOVEC, nr_segs=2) = -1 EPIPE (Broken pipe)\n"), "{text}");
    }

    #[test]
    fn a_failed_read_shows_no_bytes() {
        let mut rec = record(b"", 24, Iter::ARGTRACE_ITER_UNKNOWN, 0, 24);
        let mut ev: TcpSendEvent = crate::event::copy(&rec).unwrap();
        ev.peek_err = -14;
        ev.src = 0x1000;
        // SAFETY: TcpSendEvent is Plain.
        rec = unsafe { plain::as_bytes(&ev) }.to_vec();
        assert_eq!(line(&rec, false), "curl 7/7 tcp_sendmsg(127.0.0.1:50312 -> 127.0.0.1:8080, 0x1000, 24, iter=?) = 24\n");
        let json = line(&rec, true);
        assert!(json.contains("\"iter\": null, \"nr_segs\": null, \"peek\": null, \"peek_len\": 0, \"truncated\": true, \"peek_error\": \"EFAULT\""), "{json}");
    }

    #[test]
    fn peek_0_shows_no_bytes_as_strace_s_0_does() {
        let rec = record(b"", 5, Iter::ARGTRACE_ITER_UBUF, 0, 5);
        let off = TcpSend { peek: 0, ..TcpSend::default() };
        let mut text = String::new();
        assert!(off.render(&rec, &style(false), None, &mut text));
        assert!(text.contains("8080, \"\"..., 5, iter=UBUF) = 5"), "{text}");
        let mut json = String::new();
        assert!(off.render(&rec, &style(true), None, &mut json));
        assert!(json.contains("\"peek\": null, \"peek_len\": 0, \"truncated\": true"), "{json}");
    }

    #[test]
    fn a_tail_of_the_wrong_length_is_malformed() {
        let mut rec = record(b"abcd", 4, Iter::ARGTRACE_ITER_UBUF, 0, 4);
        rec.pop();
        let mut out = String::new();
        assert!(!TcpSend::default().render(&rec, &style(false), None, &mut out));
    }
}
