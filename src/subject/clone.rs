//! `argtrace clone`: process and thread creation through clone, clone3, fork
//! and vfork, printed as strace prints them, with the arguments in the
//! architecture's own order and clone3's struct clone_args read from user
//! memory; a 32-bit (i386, AArch32) task's calls with that ABI's order, JSON
//! `"abi"` saying so. BPF side: bpf/clone.bpf.c.

use std::fmt::Write as _;

use crate::decode::process::{CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SETTLS};
use crate::decode::{self, process};
use crate::event::Header;
use crate::render::{Json, Record, Style};

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/clone.skel.rs"));
}
use skel::types::clone_event as CloneEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's clone_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for CloneEvent {}

/// `argtrace clone` has no options of its own.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Clone {}

// The summary's rows are the entries, numbered by enum argtrace_clone_syscall.
skeleton_subject!(Clone, "clone", skel::CloneSkelBuilder, CloneEvent, calls |call| {
    match Entry::of(call) {
        Entry::Unknown => None,
        entry => Some(entry.name()),
    }
});

/// Which entry the call came through (bpf/argtrace.h, enum argtrace_clone_syscall).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Clone,
    Clone3,
    Fork,
    Vfork,
    Unknown,
}

impl Entry {
    fn of(syscall: u32) -> Entry {
        use skel::types::argtrace_clone_syscall as sys;
        match syscall {
            s if s == sys::CLONE_SYS_CLONE.0 => Entry::Clone,
            s if s == sys::CLONE_SYS_CLONE3.0 => Entry::Clone3,
            s if s == sys::CLONE_SYS_FORK.0 => Entry::Fork,
            s if s == sys::CLONE_SYS_VFORK.0 => Entry::Vfork,
            _ => Entry::Unknown,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Entry::Clone => "clone",
            Entry::Clone3 => "clone3",
            Entry::Fork => "fork",
            Entry::Vfork => "vfork",
            Entry::Unknown => "clone?",
        }
    }
}

impl CloneEvent {
    fn entry(&self) -> Entry {
        Entry::of(self.syscall)
    }

    /// What the kernel wrote at parent_tid for the parent, if the flags made
    /// it write there (clone: the tid, or the pidfd with CLONE_PIDFD) and
    /// argtrace read it.
    fn parent_tid_value(&self) -> Option<i32> {
        let wrote = match self.entry() {
            Entry::Clone => CLONE_PARENT_SETTID | CLONE_PIDFD,
            _ => CLONE_PARENT_SETTID,
        };
        (self.flags & wrote != 0 && self.parent_tid_err == 0).then_some(self.parent_tid_value)
    }

    /// clone3's pidfd as the kernel wrote it, if argtrace read it.
    fn pidfd_value(&self) -> Option<i32> {
        (self.flags & CLONE_PIDFD != 0 && self.pidfd_err == 0).then_some(self.pidfd_value)
    }

    /// strace's printnum_pid/printnum_fd at return: `[N]`, or the address
    /// (NULL, 0x...) when the call failed or the memory could not be read.
    fn written_back(addr: u64, value: Option<i32>, ret: i64) -> String {
        match value {
            Some(v) if ret >= 0 && addr != 0 => format!("[{v}]"),
            _ => decode::ptr(addr),
        }
    }

    fn compat(&self) -> bool {
        self.abi == skel::types::argtrace_event_abi::EVENT_ABI_COMPAT.0 as u8
    }

    /// tls as strace prints it: a 32-bit (i386) task's struct user_desc
    /// (strace's print_user_desc; bpf/clone.bpf.c reads it on x86_64 only,
    /// an arm task's tls is a plain address), else the address.
    fn tls_text(&self) -> String {
        if !self.compat() || self.tls_desc_err != 0 {
            return decode::ptr(self.tls);
        }
        let [entry, base, limit, bits] = self.tls_desc;
        let bit = |shift: u32, width: u32| (bits >> shift) & ((1 << width) - 1);
        format!(
            "{{entry_number={entry}, base_addr={}, limit={}, seg_32bit={}, contents={}, read_exec_only={}, \
             limit_in_pages={}, seg_not_present={}, useable={}}}",
            decode::hex(base.into()),
            decode::hex(limit.into()),
            bit(0, 1),
            bit(1, 2),
            bit(3, 1),
            bit(4, 1),
            bit(5, 1),
            bit(6, 1)
        )
    }

    /// clone's line up to its `)`: pointers printed only where a flag uses them.
    fn text_clone(&self, out: &mut String) {
        let e = self;
        let _ = write!(
            out,
            "clone(child_stack={}, flags={}",
            decode::ptr(e.newsp),
            process::clone_flags(e.flags)
        );
        if e.flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
            let shown = CloneEvent::written_back(e.parent_tid, e.parent_tid_value(), e.ret);
            let _ = write!(out, ", parent_tid={shown}");
        }
        if e.flags & CLONE_SETTLS != 0 {
            let _ = write!(out, ", tls={}", e.tls_text());
        }
        if e.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
            let _ = write!(out, ", child_tidptr={}", decode::ptr(e.child_tid));
        }
        out.push(')');
    }

    /// clone3's struct clone_args, and what the kernel wrote back once it returned.
    fn text_clone3(&self, out: &mut String) {
        let e = self;
        let _ = write!(out, "clone3({{flags={}", process::clone3_flags(e.flags));
        if e.flags & CLONE_PIDFD != 0 {
            let _ = write!(out, ", pidfd={}", decode::ptr(e.pidfd));
        }
        if e.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 {
            let _ = write!(out, ", child_tid={}", decode::ptr(e.child_tid));
        }
        if e.flags & CLONE_PARENT_SETTID != 0 {
            let _ = write!(out, ", parent_tid={}", decode::ptr(e.parent_tid));
        }
        // strace prints a signal below INT_MAX, and the plain u64 above it.
        let exit_signal = if e.exit_signal < i32::MAX as u64 {
            process::signal_name(e.exit_signal)
        } else {
            e.exit_signal.to_string()
        };
        let _ = write!(
            out,
            ", exit_signal={exit_signal}, stack={}, stack_size={}",
            decode::ptr(e.stack),
            decode::hex(e.stack_size)
        );
        if e.flags & CLONE_SETTLS != 0 {
            let _ = write!(out, ", tls={}", e.tls_text());
        }
        if e.set_tid != 0 || e.set_tid_size != 0 {
            let _ = write!(out, ", set_tid={}, set_tid_size={}", e.set_tid_text(), e.set_tid_size);
        }
        // The cgroup field exists only in a struct that reaches it.
        if e.clone3_size > CLONE3_CGROUP_OFFSET && (e.cgroup != 0 || e.flags & CLONE_INTO_CGROUP != 0) {
            let _ = write!(out, ", cgroup={}", e.cgroup);
        }
        let tail = e.tail_text();
        if let Some(tail) = &tail {
            let _ = write!(out, ", {tail}");
        }
        out.push('}');
        // Once the call has returned, what the kernel wrote back, and
        // (strace prints it twice) the bytes past the known fields.
        let wrote_pidfd = e.flags & CLONE_PIDFD != 0;
        let wrote_tid = e.flags & CLONE_PARENT_SETTID != 0;
        let mut back = Vec::new();
        if e.ret > 0 {
            if wrote_pidfd {
                back.push(format!("pidfd={}", CloneEvent::written_back(e.pidfd, e.pidfd_value(), e.ret)));
            }
            if wrote_tid {
                let shown = CloneEvent::written_back(e.parent_tid, e.parent_tid_value(), e.ret);
                back.push(format!("parent_tid={shown}"));
            }
        }
        if e.ret >= 0 {
            back.extend(tail);
        }
        if !back.is_empty() {
            let _ = write!(out, " => {{{}}}", back.join(", "));
        }
        let _ = write!(out, ", {})", e.clone3_size);
    }
}

/// struct clone_args (include/uapi/linux/sched.h): the size of its first
/// version, below which strace prints only the address, and where cgroup is.
const CLONE_ARGS_SIZE_VER0: u32 = 64;
const CLONE3_CGROUP_OFFSET: u32 = 80;
/// bpf/argtrace.h: what clone3_beyond() found in the bytes past the struct.
const CLONE3_TAIL_NONZERO: i32 = 1;
const CLONE3_TAIL_UNREADABLE: i32 = 2;
const CLONE3_KNOWN_SIZE: u32 = 88;
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

impl CloneEvent {
    /// strace decodes the struct only when it holds at least the first
    /// version's fields and could be read.
    fn clone3_decoded(&self) -> bool {
        self.clone3_size >= CLONE_ARGS_SIZE_VER0 && self.clone3_read_err == 0
    }

    /// set_tid as strace prints it: the address when the size is 0 or above
    /// 32, else the array (`...` and the address where a read stopped).
    fn set_tid_text(&self) -> String {
        let n = self.set_tid_size;
        if self.set_tid == 0 || n == 0 || n > self.set_tid_values.len() as u64 || self.set_tid_read == 0 {
            return decode::ptr(self.set_tid);
        }
        let read = self.set_tid_read as usize;
        let mut items: Vec<String> = self.set_tid_values[..read].iter().map(|v| v.to_string()).collect();
        if (read as u64) < n {
            items.push(format!("... /* {} */", decode::ptr(self.set_tid + 4 * read as u64)));
        }
        format!("[{}]", items.join(", "))
    }

    fn set_tid_json(&self) -> String {
        let vals: Vec<String> = self.set_tid_values[..self.set_tid_read as usize].iter().map(|v| v.to_string()).collect();
        format!("[{}]", vals.join(", "))
    }

    fn tail_state_name(&self) -> &'static str {
        match self.tail_state {
            CLONE3_TAIL_NONZERO => "nonzero",
            CLONE3_TAIL_UNREADABLE => "unreadable",
            _ => "zero",
        }
    }

    /// strace's print_nonzero_bytes for a struct longer than the known one:
    /// `???` when unreadable, nothing when all zero, else the first 32
    /// bytes in hex (`...` when there are more).
    fn tail_text(&self) -> Option<String> {
        if self.tail_len == 0 {
            return None;
        }
        match self.tail_state {
            CLONE3_TAIL_UNREADABLE => Some("???".to_string()),
            CLONE3_TAIL_NONZERO => {
                let shown = (self.tail_len as usize).min(self.tail.len());
                let mut s = format!("/* bytes {}..{} */ \"", CLONE3_KNOWN_SIZE, CLONE3_KNOWN_SIZE + self.tail_len - 1);
                for b in &self.tail[..shown] {
                    let _ = write!(s, "\\x{b:02x}");
                }
                s.push('"');
                if shown < self.tail_len as usize {
                    s.push_str("...");
                }
                Some(s)
            }
            _ => None,
        }
    }
}

impl Record for CloneEvent {
    const EVENT: &'static str = "clone";

    fn header(&self) -> Header {
        header_of!(self.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        self.entry().name()
    }

    fn ret(&self) -> i64 {
        self.ret
    }

    /// A 32-bit task's call says its ABI.
    fn json_call(&self, j: &mut Json) {
        j.str("syscall", self.syscall());
        if self.compat() {
            j.str("abi", decode::compat_abi());
        }
    }

    /// strace's clone/clone3 line: pointers printed only where a flag uses them.
    fn text(&self, _style: &Style, out: &mut String) {
        let e = self;
        match e.entry() {
            Entry::Clone => {
                e.text_clone(out);
            }
            Entry::Clone3 if !e.clone3_decoded() => {
                let _ = write!(out, "clone3({}, {})", decode::ptr(e.args_ptr), e.clone3_size);
            }
            Entry::Clone3 => {
                e.text_clone3(out);
            }
            _ => {
                let _ = write!(out, "{}()", self.syscall());
            }
        }
        out.push_str(" = ");
        out.push_str(&decode::syscall_result(e.ret));
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let e = self;
        let mut a = Json::open(out);
        match e.entry() {
            Entry::Clone => {
                a.num("flags", e.flags)
                    .str("flags_str", &process::clone_flags(e.flags))
                    .num("exit_signal", e.flags & 0xff)
                    .num("newsp", e.newsp)
                    .num("parent_tid", e.parent_tid)
                    .opt_num("parent_tid_value", e.parent_tid_value())
                    .num("child_tid", e.child_tid)
                    .num("tls", e.tls);
            }
            Entry::Clone3 if !e.clone3_decoded() => {
                a.num("args_ptr", e.args_ptr).num("size", e.clone3_size);
                if e.clone3_read_err != 0 {
                    a.num("read_error", e.clone3_read_err);
                }
            }
            Entry::Clone3 => {
                a.num("flags", e.flags)
                    .str("flags_str", &process::clone3_flags(e.flags))
                    .num("exit_signal", e.exit_signal)
                    .num("pidfd", e.pidfd)
                    .opt_num("pidfd_value", e.pidfd_value())
                    .num("parent_tid", e.parent_tid)
                    .opt_num("parent_tid_value", e.parent_tid_value())
                    .num("child_tid", e.child_tid)
                    .num("stack", e.stack)
                    .num("stack_size", e.stack_size)
                    .num("tls", e.tls)
                    .num("set_tid", e.set_tid)
                    .num("set_tid_size", e.set_tid_size)
                    .num("cgroup", e.cgroup)
                    .num("size", e.clone3_size);
                if e.set_tid_read > 0 {
                    a.num("set_tid_values", e.set_tid_json());
                }
                if e.tail_len > 0 {
                    a.str("tail_state", e.tail_state_name());
                }
            }
            _ => {}
        }
        a.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clone3 event of `size` bytes whose struct was read, failing with `ret`.
    fn clone3(size: u32, ret: i64) -> CloneEvent {
        let mut e = CloneEvent {
            syscall: skel::types::argtrace_clone_syscall::CLONE_SYS_CLONE3.0,
            clone3_size: size,
            args_ptr: 0x7f00_0000_1000,
            ret,
            ..Default::default()
        };
        e.parent_tid_err = 1;
        e.pidfd_err = 1;
        e
    }

    fn text(e: &CloneEvent) -> String {
        let mut out = String::new();
        e.text(&crate::render::test_style(false), &mut out);
        out
    }

    // The expected lines are strace 6.1's, from tests/clone3.c of its test suite.
    #[test]
    fn clone3_below_the_first_version_is_an_address() {
        let mut e = clone3(0, -22);
        e.args_ptr = 0;
        assert_eq!(text(&e), "clone3(NULL, 0) = -1 EINVAL (Invalid argument)");
        let e = clone3(56, -22);
        assert_eq!(text(&e), "clone3(0x7f0000001000, 56) = -1 EINVAL (Invalid argument)");
    }

    #[test]
    fn clone3_set_tid_cgroup_and_a_wide_exit_signal() {
        let mut e = clone3(88, -22);
        e.set_tid = 0xface_feed_cafe_babe;
        e.set_tid_size = 33;
        assert_eq!(
            text(&e),
            "clone3({flags=0, exit_signal=0, stack=NULL, stack_size=0, set_tid=0xfacefeedcafebabe, \
             set_tid_size=33}, 88) = -1 EINVAL (Invalid argument)"
        );
        let mut e = clone3(88, -22);
        e.set_tid = 0x1000;
        e.set_tid_size = 2;
        e.set_tid_values[..2].copy_from_slice(&[-1, 7]);
        e.set_tid_read = 2;
        assert!(text(&e).contains("set_tid=[-1, 7], set_tid_size=2}"), "{}", text(&e));
        let mut e = clone3(88, -9);
        e.flags = CLONE_INTO_CGROUP;
        assert!(text(&e).contains("stack_size=0, cgroup=0}, 88)"), "{}", text(&e));
        let mut e = clone3(104, -7);
        e.exit_signal = 0xdead_c0de;
        e.tail_len = 16;
        e.tail_state = CLONE3_TAIL_UNREADABLE;
        assert_eq!(
            text(&e),
            "clone3({flags=0, exit_signal=3735929054, stack=NULL, stack_size=0, ???}, 104) = -1 E2BIG (Argument list too long)"
        );
    }

    // strace 6.1's line for an i386 build of tests/clone3.c.
    #[test]
    fn i386_tls_is_a_user_desc() {
        let mut e = clone3(64, -22);
        e.abi = 1;
        e.flags = CLONE_SETTLS | 0xbad0_0000_0000_0001;
        e.exit_signal = 17;
        e.stack = 0xface_1e55_beef_f00d;
        e.stack_size = 0xcaff_eede_face_dca7;
        e.tls = 0xf7d0_aff0;
        e.tls_desc = [2206368128, 0x8786_8584, 0x8b8a_8988, 0b1100];
        e.tls_desc_err = 0;
        assert_eq!(
            text(&e),
            "clone3({flags=CLONE_SETTLS|0xbad0000000000001, exit_signal=SIGCHLD, stack=0xface1e55beeff00d, \
             stack_size=0xcaffeedefacedca7, tls={entry_number=2206368128, base_addr=0x87868584, limit=0x8b8a8988, \
             seg_32bit=0, contents=2, read_exec_only=1, limit_in_pages=0, seg_not_present=0, useable=0}}, 64) \
             = -1 EINVAL (Invalid argument)"
        );
        e.tls_desc_err = -14;
        assert!(text(&e).contains("tls=0xf7d0aff0}"));
    }

    #[test]
    fn clone3_bytes_past_the_known_struct() {
        let mut e = clone3(96, -7);
        e.exit_signal = 0xdead_face_0000_0011;
        e.tail_len = 8;
        e.tail_state = CLONE3_TAIL_NONZERO;
        e.tail[..8].copy_from_slice(&[0xde, 0xc0, 0xad, 0xde, 0xed, 0xfe, 0xce, 0xfa]);
        assert_eq!(
            text(&e),
            "clone3({flags=0, exit_signal=16045756810061152273, stack=NULL, stack_size=0, \
             /* bytes 88..95 */ \"\\xde\\xc0\\xad\\xde\\xed\\xfe\\xce\\xfa\"}, 96) = -1 E2BIG (Argument list too long)"
        );
        // Zero bytes print nothing; a successful call shows them again after =>.
        e.tail_state = 0;
        assert!(text(&e).contains("stack_size=0}, 96)"));
        e.tail_state = CLONE3_TAIL_NONZERO;
        e.tail_len = 40;
        e.ret = 42;
        let line = text(&e);
        assert!(line.contains("/* bytes 88..127 */ \"\\xde"), "{line}");
        assert!(line.contains("\"...} => {/* bytes 88..127 */"), "{line}");
    }
}
