//! `argtrace clone`: process and thread creation through clone, clone3, fork
//! and vfork, printed as strace prints them, with the arguments in the
//! architecture's own order and clone3's struct clone_args read from user
//! memory. BPF side: bpf/clone.bpf.c.

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
            let _ = write!(out, ", tls={}", decode::ptr(e.tls));
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
        let exit_signal =
            if e.exit_signal == 0 { "0".to_string() } else { process::signal_name(e.exit_signal) };
        let _ = write!(
            out,
            ", exit_signal={exit_signal}, stack={}, stack_size={}",
            decode::ptr(e.stack),
            decode::hex(e.stack_size)
        );
        if e.flags & CLONE_SETTLS != 0 {
            let _ = write!(out, ", tls={}", decode::ptr(e.tls));
        }
        out.push('}');
        // Once the call has returned, what the kernel wrote back.
        let wrote_pidfd = e.flags & CLONE_PIDFD != 0;
        let wrote_tid = e.flags & CLONE_PARENT_SETTID != 0;
        if e.ret > 0 && (wrote_pidfd || wrote_tid) {
            out.push_str(" => {");
            if wrote_pidfd {
                let _ = write!(out, "pidfd={}", CloneEvent::written_back(e.pidfd, e.pidfd_value(), e.ret));
            }
            if wrote_tid {
                let shown = CloneEvent::written_back(e.parent_tid, e.parent_tid_value(), e.ret);
                let _ = write!(out, "{}parent_tid={shown}", if wrote_pidfd { ", " } else { "" });
            }
            out.push('}');
        }
        let _ = write!(out, ", {})", e.clone3_size);
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

    /// strace's clone/clone3 line: pointers printed only where a flag uses them.
    fn text(&self, _style: &Style, out: &mut String) {
        let e = self;
        match e.entry() {
            Entry::Clone => {
                e.text_clone(out);
            }
            Entry::Clone3 if e.clone3_read_err != 0 => {
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
            Entry::Clone3 if e.clone3_read_err != 0 => {
                a.num("args_ptr", e.args_ptr)
                    .num("size", e.clone3_size)
                    .num("read_error", e.clone3_read_err);
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
                    .num("size", e.clone3_size);
            }
            _ => {}
        }
        a.close();
    }
}
