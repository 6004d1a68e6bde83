//! What every subject's output shares: the style of a run, times, the JSON
//! writer, the frame of a line (prefix, stacks) and of a JSON object (time,
//! event, process, ret, error, stacks). Each subject writes only its own part,
//! through `Record` (src/subject/). Decoding numbers into names is decode.rs.

use std::fmt::Write as _;

use chrono::{DateTime, Local, SecondsFormat, Utc};

use crate::decode;
use crate::event::Header;
use crate::stack::{StackReader, Stacks};

/// How to render; fixed for a run.
pub struct Style {
    pub json: bool,
    pub timestamp: bool,
    pub utc: bool,
    /// -T: each line ends with the call's duration,
    pub durations: bool,
    /// with this many digits after the point (strace's --syscall-times).
    pub duration_digits: u8,
    /// Added to a CLOCK_MONOTONIC stamp to get wall-clock nanoseconds.
    pub realtime_offset_ns: i128,
    /// The running kernel's page size, to turn page offsets into bytes.
    pub page_size: u64,
    /// The formatted parts of the last second seen: chrono's formatting is
    /// the costliest step of a JSON line, and events come many per second.
    pub second_cache: std::cell::RefCell<SecondCache>,
    /// --container-info: text lines start with the container and pod.
    pub container_info: bool,
    /// Names each event's cgroup id (JSON, --container-info); None in tests.
    pub containers: Option<crate::container::Resolver>,
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

/// A small JSON object writer: keys in insertion order, numbers as numbers.
pub struct Json<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Json<'a> {
    pub fn open(out: &'a mut String) -> Self {
        out.push('{');
        Json { out, first: true }
    }
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        write_json_str(self.out, key);
        self.out.push_str(": ");
        self.out
    }
    pub fn num(&mut self, key: &str, v: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.key(key), "{v}");
        self
    }
    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        write_json_str(self.key(key), v);
        self
    }
    pub fn opt_num(&mut self, key: &str, v: Option<impl std::fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.num(key, v),
            None => {
                self.key(key).push_str("null");
                self
            }
        }
    }
    pub fn opt_str(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(key, v),
            None => {
                self.key(key).push_str("null");
                self
            }
        }
    }
    pub fn close(self) {
        self.out.push('}');
    }
}

/// Appends `bytes` as strace's string_quote prints a string's inside (no
/// quotes): `\"`, `\\`, `\f \n \r \t \v`, printable ASCII as itself, and every
/// other byte in octal, with three digits only where the next byte is an
/// octal digit (`\33`, `\0331`, `\377`). No byte reaches the terminal raw.
pub fn escape_into(out: &mut String, bytes: &[u8]) {
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            b' '..=b'~' => out.push(c as char),
            _ => {
                let next_is_octal = bytes.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                if next_is_octal {
                    let _ = write!(out, "\\{c:03o}");
                } else {
                    let _ = write!(out, "\\{c:o}");
                }
            }
        }
    }
}

/// Bytes as a JSON string of Latin-1 code points (U+0000..U+00FF): every
/// byte survives, and each character's code point is the byte (the payload
/// peeks of tcp-send and skb).
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
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

/// A fixed style for the renderers' unit tests: UTC, no timestamps, the
/// clock offset of 2023-11-14T22:13:20Z, 4 KiB pages.
#[cfg(test)]
pub fn test_style(json: bool) -> Style {
    Style {
        json,
        timestamp: false,
        utc: true,
        durations: false,
        duration_digits: 6,
        realtime_offset_ns: 1_700_000_000 * 1_000_000_000,
        page_size: 4096,
        second_cache: Default::default(),
        container_info: false,
        containers: None,
    }
}

/// A call's duration as strace -T prints it: seconds with `digits` digits
/// after the point, cut (not rounded) as strace cuts them: `<0.000012>` by
/// default, `<0.000012345>` with `--syscall-times=ns`, `<0.000>` with ms,
/// `<0>` with s. `<?>` where it was not measured (never expected: a call
/// argtrace did not see start is not shown).
pub fn write_duration(out: &mut String, ns: Option<u64>, digits: u8) {
    let Some(ns) = ns else {
        out.push_str("<?>");
        return;
    };
    let (secs, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
    let _ = match digits.min(9) {
        0 => write!(out, "<{secs}>"),
        d => write!(out, "<{secs}.{:0w$}>", frac / 10u64.pow(9 - u32::from(d)), w = usize::from(d)),
    };
}

/// A kernel error return: -4095..=-1.
pub fn errno_of_ret(ret: i64) -> Option<u64> {
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
    pub fn rfc3339(&self, ts_ns: u64, out: &mut String) {
        let (c, nanos) = self.second_of(ts_ns);
        let _ = write!(out, "{}.{nanos:09}{}", c.rfc3339_head, c.rfc3339_zone);
    }

    /// HH:MM:SS.microseconds, as strace -tt prints.
    pub fn clock(&self, ts_ns: u64, out: &mut String) {
        let (c, nanos) = self.second_of(ts_ns);
        let _ = write!(out, "{}.{:06}", c.clock_head, nanos / 1000);
    }

    /// The container and pod a cgroup id's path names (none without a resolver).
    fn names(&self, cgroup_id: u64) -> crate::container::Names {
        self.containers.as_ref().map(|r| r.names(cgroup_id)).unwrap_or_default()
    }

    /// Appends one record's text line or JSON object, with its stacks.
    pub fn record<R: Record>(&self, r: &R, stacks: Option<&StackReader>, out: &mut String) {
        let h = r.header();
        let stacks = stacks.map(|s| s.stacks(&h)).unwrap_or_default();
        if self.json {
            self.json_line(r, &h, &stacks, out);
        } else {
            self.text_line(r, &h, &stacks, out);
        }
    }

    fn text_line<R: Record>(&self, r: &R, h: &Header, stacks: &Stacks, out: &mut String) {
        if self.timestamp {
            self.clock(h.ts_ns, out);
            out.push(' ');
        }
        if self.container_info {
            let names = self.names(h.cgroup_id);
            let id = names.container_id.as_deref().map_or("-", |id| &id[..12]);
            let _ = write!(out, "container={id} ");
            if let Some(pod) = &names.pod_uid {
                let _ = write!(out, "pod={pod} ");
            }
        }
        r.text_prefix(h, out);
        r.text(self, out);
        if self.durations {
            out.push(' ');
            write_duration(out, h.duration_ns, self.duration_digits);
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

    fn json_line<R: Record>(&self, r: &R, h: &Header, stacks: &Stacks, out: &mut String) {
        let mut time = String::with_capacity(40);
        self.rfc3339(h.ts_ns, &mut time);
        let mut j = Json::open(out);
        j.str("time", &time).str("event", R::EVENT);
        r.json_call(&mut j);
        j.str("probe", h.probe)
            .num("pid", h.pid)
            .num("tid", h.tid)
            .num("uid", h.uid)
            .str("comm", &String::from_utf8_lossy(h.comm_bytes()));
        // A name that is not UTF-8 is also given byte for byte, so that two
        // such names never look the same.
        if std::str::from_utf8(h.comm_bytes()).is_err() {
            let o = j.key("comm_bytes");
            o.push('[');
            for (i, b) in h.comm_bytes().iter().enumerate() {
                let _ = write!(o, "{}{b}", if i > 0 { ", " } else { "" });
            }
            o.push(']');
        }
        let names = self.names(h.cgroup_id);
        j.opt_num("cgroup_id", (h.cgroup_id != 0).then_some(h.cgroup_id))
            .opt_str("container_id", names.container_id.as_deref())
            .opt_str("pod_uid", names.pod_uid.as_deref());
        r.json_args(self, j.key("args"));
        r.json_result(self, &mut j);
        if self.durations {
            j.opt_num("duration_ns", h.duration_ns);
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
}

/// One subject's ring-buffer record (its generated type, or a view of it with
/// what follows it in the ring), as output sees it.
pub trait Record {
    /// JSON's `event`: `tcp_connect`.
    const EVENT: &'static str;
    fn header(&self) -> Header;
    /// JSON's `syscall`: the call as strace names it.
    fn syscall(&self) -> &'static str;
    /// The call's result, or -errno.
    fn ret(&self) -> i64;
    /// The JSON keys between `event` and `probe` that name what happened:
    /// `syscall` (a subject whose events are not calls names them otherwise).
    fn json_call(&self, j: &mut Json) {
        j.str("syscall", self.syscall());
    }
    /// The JSON keys after `args`: the call's `ret`, and its `error` name
    /// when it failed.
    fn json_result(&self, _style: &Style, j: &mut Json) {
        let ret = self.ret();
        j.num("ret", ret);
        if let Some(errno) = errno_of_ret(ret) {
            j.str("error", decode::errno_name(errno).unwrap_or("E?"));
        }
    }
    /// The start of a text line, after the time: `comm pid/tid ` (the task
    /// the event happened in). A subject whose events belong to another task
    /// (skb: the socket's owner) writes its own.
    fn text_prefix(&self, h: &Header, out: &mut String) {
        escape_into(out, h.comm_bytes());
        let _ = write!(out, " {}/{} ", h.pid, h.tid);
    }
    /// The text line after the prefix: `mmap(...) = ...`.
    fn text(&self, style: &Style, out: &mut String);
    /// The JSON object under `args`.
    fn json_args(&self, style: &Style, out: &mut String);
}

/// Renders one ring-buffer record of type `R`; false when it is malformed.
pub fn record<R: Record + plain::Plain + Default>(
    data: &[u8],
    style: &Style,
    stacks: Option<&StackReader>,
    out: &mut String,
) -> bool {
    match crate::event::copy::<R>(data) {
        Some(r) => {
            style.record(&r, stacks, out);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{write_json_str, Style};

    fn utc_style() -> Style {
        Style { timestamp: true, ..super::test_style(true) }
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
    fn durations_are_seconds_cut_to_strace_s_digits() {
        let cases: [(u64, u8, &str); 7] = [
            (812, 9, "<0.000000812>"),
            (3_000_054_723, 9, "<3.000054723>"),
            (251_999, 6, "<0.000251>"),
            (812, 6, "<0.000000>"),
            (3_000_054_723, 6, "<3.000054>"),
            (3_999_054_723, 3, "<3.999>"),
            (3_999_054_723, 0, "<3>"),
        ];
        for (ns, digits, want) in cases {
            let mut out = String::new();
            super::write_duration(&mut out, Some(ns), digits);
            assert_eq!(out, want, "{ns} ns with {digits} digits");
        }
        let mut out = String::new();
        super::write_duration(&mut out, None, 6);
        assert_eq!(out, "<?>");
    }

    #[test]
    fn text_escapes_as_strace_does() {
        let mut out = String::new();
        super::escape_into(&mut out, b"a\nb\x1b[2J\"q\\\x7f\xff\x001\t");
        assert_eq!(out, "a\\nb\\33[2J\\\"q\\\\\\177\\377\\0001\\t");
    }

    #[test]
    fn json_strings_escape_what_json_forbids() {
        let mut out = String::new();
        write_json_str(&mut out, "a\"b\\c\nd\te\u{1}f\u{e9}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\te\\u0001f\u{e9}\"");
    }
}
