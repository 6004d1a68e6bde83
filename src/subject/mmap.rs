//! `argtrace mmap`: the six arguments of mmap as ksys_mmap_pgoff() gets them
//! (fentry, kprobe) or as the syscall tracepoint records them, and the
//! mapped address or the errno. BPF side: bpf/mmap.bpf.c.

use std::fmt::Write as _;

use crate::decode::{self, mem};
use crate::event::Header;
use crate::render::{errno_of_ret, Json, Record, Style};

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
pub(crate) mod skel {
    include!(concat!(env!("OUT_DIR"), "/mmap.skel.rs"));
}
use skel::types::mmap_event as MmapEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's mmap_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for MmapEvent {}

/// `argtrace mmap` has no options of its own.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Mmap {}

skeleton_subject!(Mmap, "mmap", skel::MmapSkelBuilder, MmapEvent, calls |call| { (call == 0).then_some("mmap") });

impl MmapEvent {
    /// The byte offset and page offset, whichever the hook saw.
    fn offsets(&self, page_size: u64) -> (u64, u64) {
        if self.off_is_bytes != 0 {
            (self.off, self.off / page_size)
        } else {
            (self.pgoff.wrapping_mul(page_size), self.pgoff)
        }
    }
}

impl Record for MmapEvent {
    const EVENT: &'static str = "mmap";

    fn header(&self) -> Header {
        header_of!(self.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        "mmap"
    }

    fn ret(&self) -> i64 {
        self.ret
    }

    fn text(&self, style: &Style, out: &mut String) {
        let (offset, _) = self.offsets(style.page_size);
        let _ = write!(
            out,
            "mmap({}, {}, {}, {}, {}, {}) = ",
            decode::ptr(self.addr),
            self.len,
            mem::prot(self.prot),
            mem::mmap_flags(self.flags),
            self.fd as u32 as i32,
            decode::hex(offset)
        );
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
        a.num("addr", self.addr)
            .num("len", self.len)
            .num("prot", self.prot)
            .str("prot_str", &mem::prot(self.prot))
            .num("flags", self.flags)
            .str("flags_str", &mem::mmap_flags(self.flags))
            .num("fd", self.fd as u32 as i32)
            .num("offset", offset)
            .num("pgoff", pgoff);
        a.close();
    }
}
