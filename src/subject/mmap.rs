//! `argtrace mmap`: the six arguments of mmap as ksys_mmap_pgoff() gets them
//! (fentry, kprobe) or as the syscall tracepoint records them, and the
//! mapped address or the errno; 32-bit tasks' mmap2 (i386 and AArch32) and
//! old mmap (i386) as strace prints them. BPF side: bpf/mmap.bpf.c.

use std::fmt::Write as _;

use crate::decode::{self, mem};
use crate::event::Header;
use crate::render::{errno_of_ret, Json, Record, Style};

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
pub(crate) mod skel {
    include!(concat!(env!("OUT_DIR"), "/mmap.skel.rs"));
}
use skel::types::argtrace_mmap_call as MmapCall;
use skel::types::mmap_event as MmapEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's mmap_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for MmapEvent {}

/// `argtrace mmap` has no options of its own.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Mmap {}

// The summary's rows are the calls, numbered by enum argtrace_mmap_call.
skeleton_subject!(Mmap, "mmap", skel::MmapSkelBuilder, MmapEvent, calls |call| {
    match call {
        c if c == MmapCall::MMAP_CALL_MMAP.0 => Some("mmap"),
        c if c == MmapCall::MMAP_CALL_MMAP2.0 => Some("mmap2"),
        // i386's old mmap, which strace also names mmap: apart in the summary.
        c if c == MmapCall::MMAP_CALL_OLD_MMAP.0 => Some("old_mmap"),
        _ => None,
    }
});

impl MmapEvent {
    /// The byte offset and page offset, whichever the hook saw.
    fn offsets(&self, page_size: u64) -> (u64, u64) {
        if self.off_is_bytes != 0 {
            (self.off, self.off / page_size)
        } else {
            (self.pgoff.wrapping_mul(page_size), self.pgoff)
        }
    }

    fn compat(&self) -> bool {
        self.abi == skel::types::argtrace_event_abi::EVENT_ABI_COMPAT.0 as u8
    }

    /// i386's old mmap whose struct of arguments could not be read: strace
    /// prints only its address.
    fn unread(&self) -> bool {
        self.call == MmapCall::MMAP_CALL_OLD_MMAP.0 as u8 && self.args_unread != 0
    }
}

impl Record for MmapEvent {
    const EVENT: &'static str = "mmap";

    fn header(&self) -> Header {
        header_of!(self.h, skel::types)
    }

    /// strace's names: i386's old mmap is `mmap` too.
    fn syscall(&self) -> &'static str {
        if self.call == MmapCall::MMAP_CALL_MMAP2.0 as u8 {
            "mmap2"
        } else {
            "mmap"
        }
    }

    fn ret(&self) -> i64 {
        self.ret
    }

    fn json_call(&self, j: &mut Json) {
        j.str("syscall", self.syscall());
        if self.compat() {
            j.str("abi", decode::compat_abi());
        }
    }

    fn text(&self, style: &Style, out: &mut String) {
        let (offset, _) = self.offsets(style.page_size);
        if self.unread() {
            let _ = write!(out, "mmap({}) = ", decode::ptr(self.args_ptr));
        } else {
            let _ = write!(
                out,
                "{}({}, {}, {}, {}, {}, {}) = ",
                self.syscall(),
                decode::ptr(self.addr),
                self.len,
                mem::prot(self.prot),
                mem::mmap_flags(self.flags),
                self.fd as u32 as i32,
                decode::hex(offset)
            );
        }
        match errno_of_ret(self.ret) {
            Some(_) => out.push_str(&decode::syscall_result(self.ret)),
            None => {
                let _ = write!(out, "{:#x}", self.ret as u64);
            }
        }
    }

    fn json_args(&self, style: &Style, out: &mut String) {
        let (offset, pgoff) = self.offsets(style.page_size);
        let mut a = Json::open(out);
        if self.call == MmapCall::MMAP_CALL_OLD_MMAP.0 as u8 {
            a.num("args_ptr", self.args_ptr);
        }
        if !self.unread() {
            a.num("addr", self.addr)
                .num("len", self.len)
                .num("prot", self.prot)
                .str("prot_str", &mem::prot(self.prot))
                .num("flags", self.flags)
                .str("flags_str", &mem::mmap_flags(self.flags))
                .num("fd", self.fd as u32 as i32)
                .num("offset", offset)
                .num("pgoff", pgoff);
        }
        a.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: &MmapEvent) -> String {
        let mut out = String::new();
        e.text(&crate::render::test_style(false), &mut out);
        out
    }

    #[test]
    fn container_info_and_json_name_the_events_container() {
        use crate::container::{Names, Resolver};
        let id = "4c1b3e5f2a6d7c8b9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
        let pod = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        let names = Names { container_id: Some(id.into()), pod_uid: Some(pod.into()) };
        let mut e = MmapEvent { len: 4096, prot: 1, flags: 0x22, fd: u64::MAX, ret: 0x7f00_0000_0000, ..Default::default() };
        e.h.pid = 7;
        e.h.tid = 7;
        e.h.cgroup_id = 4242;
        for (dst, src) in e.h.comm.iter_mut().zip(b"cat") {
            *dst = *src as _;
        }
        let mut style = crate::render::test_style(false);
        style.container_info = true;
        style.containers = Some(Resolver::fixed(&[(4242, names)]));
        let mut out = String::new();
        style.record(&e, None, &mut out);
        assert!(out.starts_with(&format!("container=4c1b3e5f2a6d pod={pod} cat 7/7 mmap(NULL, 4096, PROT_READ, ")), "{out}");
        // Another cgroup: no container.
        e.h.cgroup_id = 1;
        out.clear();
        style.record(&e, None, &mut out);
        assert!(out.starts_with("container=- cat 7/7 mmap("), "{out}");
        let mut style = crate::render::test_style(true);
        style.containers = Some(Resolver::fixed(&[(4242, Names { container_id: Some(id.into()), pod_uid: None })]));
        e.h.cgroup_id = 4242;
        out.clear();
        style.record(&e, None, &mut out);
        assert!(out.contains(&format!("\"cgroup_id\": 4242, \"container_id\": \"{id}\", \"pod_uid\": null, ")), "{out}");
    }

    // The expected lines are strace 6.1's, from tests/old_mmap.c and tests/mmap.c
    // of its test suite, built with -m32.
    #[test]
    fn i386_old_mmap_and_mmap2() {
        let old = MmapCall::MMAP_CALL_OLD_MMAP.0 as u8;
        let e = MmapEvent { call: old, abi: 1, args_unread: 1, ret: -14, ..Default::default() };
        assert_eq!(text(&e), "mmap(NULL) = -1 EFAULT (Bad address)");
        let e = MmapEvent {
            call: old,
            abi: 1,
            args_ptr: 0xf7f0_0fe8,
            addr: 0xdeadbeef,
            len: 0xfacefeed,
            prot: 5,
            flags: 0x10,
            fd: 0xffff_fffe,
            off: 0xbadc0ded,
            off_is_bytes: 1,
            ret: -9,
            ..Default::default()
        };
        assert_eq!(
            text(&e),
            "mmap(0xdeadbeef, 4207869677, PROT_READ|PROT_EXEC, MAP_FILE|MAP_FIXED, -2, 0xbadc0ded) = -1 EBADF (Bad file descriptor)"
        );
        let e = MmapEvent {
            call: MmapCall::MMAP_CALL_MMAP2.0 as u8,
            abi: 1,
            len: 4096,
            prot: 3,
            flags: 0x22,
            fd: 0xffff_ffff,
            off: 0xbeef000,
            off_is_bytes: 1,
            ret: 0xf7f0_0000,
            ..Default::default()
        };
        assert_eq!(
            text(&e),
            "mmap2(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0xbeef000) = 0xf7f00000"
        );
        let mut json = String::new();
        let mut j = Json::open(&mut json);
        e.json_call(&mut j);
        j.close();
        assert_eq!(json, r#"{"syscall": "mmap2", "abi": "i386"}"#);
    }
}
