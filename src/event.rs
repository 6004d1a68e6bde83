//! One event as user space sees it: the ring buffer's bytes turned into the
//! skeleton's generated types with `plain` (never a hand-written mirror), and
//! the few facts every subject shares pulled into one header.

use crate::bpf::{clone, mmap, tcp_connect, ProbeMode};
use crate::cli::Subject;

pub type CloneEvent = clone::types::clone_event;
pub type MmapEvent = mmap::types::mmap_event;
pub type TcpConnectEvent = tcp_connect::types::tcp_connect_event;

/// A record straight from the ring buffer, copied out of it.
#[derive(Clone, Copy, Debug)]
pub enum RawEvent {
    Clone(CloneEvent),
    Mmap(MmapEvent),
    TcpConnect(TcpConnectEvent),
}

/// What every event carries, whatever its subject.
#[derive(Clone, Debug)]
pub struct Header {
    pub ts_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub kstack_id: i32,
    pub ustack_id: i32,
    pub probe: Option<ProbeMode>,
    comm: [u8; 16],
    comm_len: usize,
}

impl Header {
    /// The task's command name; borrowed unless it is not valid UTF-8.
    pub fn comm(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.comm[..self.comm_len])
    }
}

/// Copies a ring-buffer record into the subject's type; None if the size is
/// wrong (a build mismatch, never expected).
pub fn parse(subject: Subject, data: &[u8]) -> Option<RawEvent> {
    fn copy<T: plain::Plain + Default>(data: &[u8]) -> Option<T> {
        let mut value = T::default();
        plain::copy_from_bytes(&mut value, data).ok()?;
        Some(value)
    }
    match subject {
        Subject::Clone => copy(data).map(RawEvent::Clone),
        Subject::Mmap => copy(data).map(RawEvent::Mmap),
        Subject::TcpConnect => copy(data).map(RawEvent::TcpConnect),
    }
}

macro_rules! header_of {
    ($h:expr) => {{
        let h = &$h;
        let mut comm = [0u8; 16];
        for (dst, src) in comm.iter_mut().zip(h.comm.iter()) {
            *dst = *src as u8;
        }
        Header {
            ts_ns: h.ts_ns,
            pid: h.pid,
            tid: h.tid,
            uid: h.uid,
            kstack_id: h.kstack_id,
            ustack_id: h.ustack_id,
            probe: match h.probe {
                1 => Some(ProbeMode::Fentry),
                2 => Some(ProbeMode::Kprobe),
                3 => Some(ProbeMode::Tracepoint),
                _ => None,
            },
            comm_len: comm.iter().position(|c| *c == 0).unwrap_or(comm.len()),
            comm,
        }
    }};
}

impl RawEvent {
    pub fn header(&self) -> Header {
        match self {
            RawEvent::Clone(e) => header_of!(e.h),
            RawEvent::Mmap(e) => header_of!(e.h),
            RawEvent::TcpConnect(e) => header_of!(e.h),
        }
    }
}
