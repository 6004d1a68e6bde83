//! Turning one event into output: a strace-like text line, or one JSON object
//! per line. Decoding of numbers into names lives in decode.rs; this file only
//! decides what is printed where.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Local, SecondsFormat, Utc};

use crate::cli::{AF_INET, AF_INET6};
use crate::decode;
use crate::event::{CloneEvent, Header, MmapEvent, RawEvent, TcpConnectEvent};

/// How to render; fixed for a run.
pub struct Style {
    pub json: bool,
    pub timestamp: bool,
    pub utc: bool,
    /// Added to a CLOCK_MONOTONIC stamp to get wall-clock nanoseconds.
    pub realtime_offset_ns: i128,
    /// The running kernel's page size, to turn page offsets into bytes.
    pub page_size: u64,
    /// The formatted parts of the last second seen: chrono's formatting is
    /// the costliest step of a JSON line, and events come many per second.
    pub second_cache: std::cell::RefCell<SecondCache>,
}

/// One second's date-time text, before and after its fraction.
#[derive(Default)]
pub struct SecondCache {
    second: Option<i64>,
    /// "2026-11-23T23:14:52" and "+00:00" (or "Z" in UTC).
    rfc3339_head: String,
    rfc3339_zone: String,
    /// "23:14:52".
    clock_head: String,
}

/// Symbolized stacks of an event, outermost call last.
#[derive(Default)]
pub struct Stacks {
    pub kernel: Option<Vec<String>>,
    pub user: Option<Vec<String>>,
}

/// A small JSON object writer: keys in insertion order, numbers as numbers.
struct Json<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Json<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Json { out, first: true }
    }
    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        write_json_str(self.out, key);
        self.out.push_str(": ");
        self.out
    }
    fn num(&mut self, key: &str, v: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.key(key), "{v}");
        self
    }
    fn str(&mut self, key: &str, v: &str) -> &mut Self {
        write_json_str(self.key(key), v);
        self
    }
    fn opt_num(&mut self, key: &str, v: Option<impl std::fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.num(key, v),
            None => {
                self.key(key).push_str("null");
                self
            }
        }
    }
    fn close(self) {
        self.out.push('}');
    }
}

pub fn write_json_str(out: &mut String, s: &str) {
    // Runs of plain bytes are copied at once; only what JSON forbids is escaped.
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{write_json_str, Style};

    fn utc_style() -> Style {
        Style {
            json: true,
            timestamp: true,
            utc: true,
            realtime_offset_ns: 1_700_000_000 * 1_000_000_000,
            page_size: 4096,
            second_cache: Default::default(),
        }
    }

    #[test]
    fn times_are_rfc3339_with_nanoseconds_and_follow_the_second() {
        let style = utc_style();
        let mut out = String::new();
        style.rfc3339(5, &mut out);
        assert_eq!(out, "2023-11-14T22:13:20.000000005Z");
        out.clear();
        style.rfc3339(999_999_999, &mut out);
        assert_eq!(out, "2023-11-14T22:13:20.999999999Z");
        out.clear();
        style.rfc3339(1_000_000_001, &mut out);
        assert_eq!(out, "2023-11-14T22:13:21.000000001Z");
        out.clear();
        style.clock(61_123_456_789, &mut out);
        assert_eq!(out, "22:14:21.123456");
    }

    #[test]
    fn json_strings_escape_what_json_forbids() {
        let mut out = String::new();
        write_json_str(&mut out, "a\"b\\c\nd\te\u{1}f\u{e9}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\te\\u0001f\u{e9}\"");
    }
}

/// A kernel error return: -4095..=-1.
fn errno_of_ret(ret: i64) -> Option<u64> {
    (-4095..=-1).contains(&ret).then_some((-ret) as u64)
}

impl Style {
    /// Splits a stamp into wall-clock seconds and nanoseconds, refreshing
    /// the cached text when the second changes.
    fn second_of(&self, ts_ns: u64) -> (std::cell::RefMut<'_, SecondCache>, u32) {
        let ns = ts_ns as i128 + self.realtime_offset_ns;
        let (sec, nanos) = (ns.div_euclid(1_000_000_000) as i64, ns.rem_euclid(1_000_000_000) as u32);
        let mut cache = self.second_cache.borrow_mut();
        if cache.second != Some(sec) {
            let t: DateTime<Utc> = DateTime::from_timestamp(sec, 0).unwrap_or_default();
            let (head, zone, clock) = if self.utc {
                (t.format("%Y-%m-%dT%H:%M:%S").to_string(), "Z".to_string(), t.format("%H:%M:%S").to_string())
            } else {
                let l = t.with_timezone(&Local);
                let zone = l.to_rfc3339_opts(SecondsFormat::Secs, false)[19..].to_string();
                (l.format("%Y-%m-%dT%H:%M:%S").to_string(), zone, l.format("%H:%M:%S").to_string())
            };
            *cache = SecondCache { second: Some(sec), rfc3339_head: head, rfc3339_zone: zone, clock_head: clock };
        }
        (cache, nanos)
    }

    /// RFC 3339 with nanoseconds: 2026-11-23T23:14:52.656762493+00:00.
    fn rfc3339(&self, ts_ns: u64, out: &mut String) {
        let (c, nanos) = self.second_of(ts_ns);
        let _ = write!(out, "{}.{nanos:09}{}", c.rfc3339_head, c.rfc3339_zone);
    }

    /// HH:MM:SS.microseconds, as strace -tt prints.
    fn clock(&self, ts_ns: u64, out: &mut String) {
        let (c, nanos) = self.second_of(ts_ns);
        let _ = write!(out, "{}.{:06}", c.clock_head, nanos / 1000);
    }

    /// Appends the event's line (and its stack lines in text) to `out`.
    pub fn render(&self, ev: &RawEvent, stacks: &Stacks, out: &mut String) {
        let h = ev.header();
        if self.json {
            self.render_json(ev, &h, stacks, out);
        } else {
            self.render_text(ev, &h, stacks, out);
        }
    }

    fn render_text(&self, ev: &RawEvent, h: &Header, stacks: &Stacks, out: &mut String) {
        if self.timestamp {
            self.clock(h.ts_ns, out);
            out.push(' ');
        }
        let _ = write!(out, "{} {}/{} ", h.comm(), h.pid, h.tid);
        match ev {
            RawEvent::Clone(e) => clone_text(e, out),
            RawEvent::Mmap(e) => self.mmap_text(e, out),
            RawEvent::TcpConnect(e) => tcp_connect_text(e, out),
        }
        out.push('\n');
        for (label, frames) in [("kernel", &stacks.kernel), ("user", &stacks.user)] {
            if let Some(frames) = frames {
                let _ = writeln!(out, "    {label} stack:");
                for f in frames {
                    let _ = writeln!(out, "        {f}");
                }
            }
        }
    }

    fn render_json(&self, ev: &RawEvent, h: &Header, stacks: &Stacks, out: &mut String) {
        let (event, syscall, ret) = match ev {
            RawEvent::Clone(e) => ("clone", clone_syscall_name(e.syscall), e.ret),
            RawEvent::Mmap(e) => ("mmap", "mmap", e.ret),
            RawEvent::TcpConnect(e) => ("tcp_connect", "connect", e.ret),
        };
        let mut time = String::with_capacity(40);
        self.rfc3339(h.ts_ns, &mut time);
        let mut j = Json::open(out);
        j.str("time", &time)
            .str("event", event)
            .str("syscall", syscall)
            .str("probe", h.probe.map_or("unknown", |p| p.name()))
            .num("pid", h.pid)
            .num("tid", h.tid)
            .num("uid", h.uid)
            .str("comm", &h.comm());
        let args = j.key("args");
        match ev {
            RawEvent::Clone(e) => clone_json(e, args),
            RawEvent::Mmap(e) => self.mmap_json(e, args),
            RawEvent::TcpConnect(e) => tcp_connect_json(e, args),
        }
        j.num("ret", ret);
        if let Some(errno) = errno_of_ret(ret) {
            j.str("error", decode::errno_name(errno).unwrap_or("E?"));
        }
        for (key, frames) in [("kstack", &stacks.kernel), ("ustack", &stacks.user)] {
            if let Some(frames) = frames {
                let o = j.key(key);
                o.push('[');
                for (i, f) in frames.iter().enumerate() {
                    if i > 0 {
                        o.push_str(", ");
                    }
                    write_json_str(o, f);
                }
                o.push(']');
            }
        }
        j.close();
        out.push('\n');
    }

    /// The byte offset and page offset of an mmap, whichever the hook saw.
    fn mmap_offsets(&self, e: &MmapEvent) -> (u64, u64) {
        if e.off_is_bytes != 0 {
            (e.off, e.off / self.page_size)
        } else {
            (e.pgoff.wrapping_mul(self.page_size), e.pgoff)
        }
    }

    fn mmap_text(&self, e: &MmapEvent, out: &mut String) {
        let (offset, _) = self.mmap_offsets(e);
        let _ = write!(
            out,
            "mmap({}, {}, {}, {}, {}, {:#x}) = ",
            decode::ptr(e.addr),
            e.len,
            decode::prot(e.prot),
            decode::mmap_flags(e.flags),
            e.fd as u32 as i32,
            offset
        );
        match errno_of_ret(e.ret) {
            Some(_) => out.push_str(&decode::syscall_result(e.ret)),
            None => {
                let _ = write!(out, "{:#x}", e.ret as u64);
            }
        }
    }

    fn mmap_json(&self, e: &MmapEvent, out: &mut String) {
        let (offset, pgoff) = self.mmap_offsets(e);
        let mut a = Json::open(out);
        a.num("addr", e.addr)
            .num("len", e.len)
            .num("prot", e.prot)
            .str("prot_str", &decode::prot(e.prot))
            .num("flags", e.flags)
            .str("flags_str", &decode::mmap_flags(e.flags))
            .num("fd", e.fd as u32 as i32)
            .num("offset", offset)
            .num("pgoff", pgoff);
        a.close();
    }
}

fn clone_syscall_name(which: u32) -> &'static str {
    match which {
        0 => "clone",
        1 => "clone3",
        2 => "fork",
        3 => "vfork",
        _ => "clone?",
    }
}

const CLONE_PIDFD: u64 = 0x1000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// strace's clone/clone3 line: pointers printed only where a flag uses them.
fn clone_text(e: &CloneEvent, out: &mut String) {
    let name = clone_syscall_name(e.syscall);
    match e.syscall {
        0 => {
            let _ = write!(
                out,
                "clone(child_stack={}, flags={}",
                decode::ptr(e.newsp),
                decode::clone_flags(e.flags)
            );
            if e.flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
                let _ = write!(out, ", parent_tid={}", decode::ptr(e.parent_tid));
            }
            if e.flags & CLONE_SETTLS != 0 {
                let _ = write!(out, ", tls={}", decode::ptr(e.tls));
            }
            if e.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
                let _ = write!(out, ", child_tidptr={}", decode::ptr(e.child_tid));
            }
            out.push(')');
        }
        1 if e.clone3_read_err != 0 => {
            let _ = write!(out, "clone3({}, {})", decode::ptr(e.args_ptr), e.clone3_size);
        }
        1 => {
            let _ = write!(out, "clone3({{flags={}", decode::clone3_flags(e.flags));
            if e.flags & CLONE_PIDFD != 0 {
                let _ = write!(out, ", pidfd={}", decode::ptr(e.pidfd));
            }
            if e.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
                let _ = write!(out, ", child_tid={}", decode::ptr(e.child_tid));
            }
            if e.flags & CLONE_PARENT_SETTID != 0 {
                let _ = write!(out, ", parent_tid={}", decode::ptr(e.parent_tid));
            }
            let exit_signal =
                if e.exit_signal == 0 { "0".to_string() } else { decode::signal_name(e.exit_signal) };
            let _ = write!(
                out,
                ", exit_signal={exit_signal}, stack={}, stack_size={:#x}",
                decode::ptr(e.stack),
                e.stack_size
            );
            if e.flags & CLONE_SETTLS != 0 {
                let _ = write!(out, ", tls={}", decode::ptr(e.tls));
            }
            let _ = write!(out, "}}, {})", e.clone3_size);
        }
        _ => {
            let _ = write!(out, "{name}()");
        }
    }
    out.push_str(" = ");
    out.push_str(&decode::syscall_result(e.ret));
}

fn clone_json(e: &CloneEvent, out: &mut String) {
    let mut a = Json::open(out);
    match e.syscall {
        0 => {
            a.num("flags", e.flags)
                .str("flags_str", &decode::clone_flags(e.flags))
                .num("exit_signal", e.flags & 0xff)
                .num("newsp", e.newsp)
                .num("parent_tid", e.parent_tid)
                .num("child_tid", e.child_tid)
                .num("tls", e.tls);
        }
        1 if e.clone3_read_err != 0 => {
            a.num("args_ptr", e.args_ptr)
                .num("size", e.clone3_size)
                .num("read_error", e.clone3_read_err);
        }
        1 => {
            a.num("flags", e.flags)
                .str("flags_str", &decode::clone3_flags(e.flags))
                .num("exit_signal", e.exit_signal)
                .num("pidfd", e.pidfd)
                .num("parent_tid", e.parent_tid)
                .num("child_tid", e.child_tid)
                .num("stack", e.stack)
                .num("stack_size", e.stack_size)
                .num("tls", e.tls)
                .num("size", e.clone3_size);
        }
        _ => {}
    }
    a.close();
}

/// Source and destination as printed, v4-mapped IPv6 kept as such. At
/// tcp_connect() time a v4-mapped socket may not have its IPv6 source yet:
/// then it is built from the IPv4 source the kernel already chose.
fn tcp_addrs(e: &TcpConnectEvent) -> (String, String) {
    if e.family == AF_INET {
        let s = Ipv4Addr::from(u32::from_be(e.saddr4));
        let d = Ipv4Addr::from(u32::from_be(e.daddr4));
        return (s.to_string(), d.to_string());
    }
    let d = Ipv6Addr::from(e.daddr6);
    let mut s = Ipv6Addr::from(e.saddr6);
    if d.to_ipv4_mapped().is_some() && s.is_unspecified() {
        s = Ipv4Addr::from(u32::from_be(e.saddr4)).to_ipv6_mapped();
    }
    (s.to_string(), d.to_string())
}

fn tcp_connect_text(e: &TcpConnectEvent, out: &mut String) {
    let (s, d) = tcp_addrs(e);
    let sport = if e.sport_known != 0 { e.sport.to_string() } else { "?".into() };
    let (s, d) = if e.family == AF_INET6 { (format!("[{s}]"), format!("[{d}]")) } else { (s, d) };
    let _ = write!(
        out,
        "connect({}, src={s}:{sport}, dst={d}:{}) = {}",
        decode::address_family(e.family as u64),
        e.dport,
        decode::syscall_result(e.ret)
    );
}

fn tcp_connect_json(e: &TcpConnectEvent, out: &mut String) {
    let (s, d) = tcp_addrs(e);
    let mut a = Json::open(out);
    a.str("family", &decode::address_family(e.family as u64))
        .str("saddr", &s)
        .opt_num("sport", (e.sport_known != 0).then_some(e.sport))
        .str("daddr", &d)
        .num("dport", e.dport);
    a.close();
}
