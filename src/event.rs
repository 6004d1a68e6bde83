//! One event as user space sees it: the ring buffer's bytes turned into the
//! subject's generated type with `plain` (never a hand-written mirror), and
//! the few facts every subject shares (bpf/argtrace.h's `event_header`)
//! pulled into one `Header`.

use crate::bpf::ProbeMode;

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
    pub comm: [u8; 16],
    pub comm_len: usize,
    /// From the call's entry to its return, where measured (-T).
    pub duration_ns: Option<u64>,
}

impl Header {
    /// The task's command name as the kernel stores it (any bytes but NUL).
    pub fn comm_bytes(&self) -> &[u8] {
        &self.comm[..self.comm_len]
    }
}

/// Copies a ring-buffer record into its generated type; None if the size is
/// wrong (a build mismatch, never expected).
pub fn copy<T: plain::Plain + Default>(data: &[u8]) -> Option<T> {
    let mut value = T::default();
    plain::copy_from_bytes(&mut value, data).ok()?;
    Some(value)
}

/// Builds a `Header` from a skeleton's generated `event_header` (each
/// skeleton has its own Rust type for the one C struct); `$types` is that
/// skeleton's `types` module, whose `argtrace_probe` (bpf/argtrace.h's enum,
/// through BTF) names the probe kinds.
macro_rules! header_of {
    ($h:expr, $types:path) => {{
        use $types as types;
        let h = &$h;
        let mut comm = [0u8; 16];
        for (dst, src) in comm.iter_mut().zip(h.comm.iter()) {
            *dst = *src as u8;
        }
        $crate::event::Header {
            ts_ns: h.ts_ns,
            pid: h.pid,
            tid: h.tid,
            uid: h.uid,
            kstack_id: h.kstack_id,
            ustack_id: h.ustack_id,
            probe: match h.probe as u32 {
                k if k == types::argtrace_probe::PROBE_FENTRY.0 => Some($crate::bpf::ProbeMode::Fentry),
                k if k == types::argtrace_probe::PROBE_KPROBE.0 => Some($crate::bpf::ProbeMode::Kprobe),
                k if k == types::argtrace_probe::PROBE_TRACEPOINT.0 => Some($crate::bpf::ProbeMode::Tracepoint),
                k if k == types::argtrace_probe::PROBE_CGROUP.0 => Some($crate::bpf::ProbeMode::Cgroup),
                k if k == types::argtrace_probe::PROBE_SOCKET.0 => Some($crate::bpf::ProbeMode::Socket),
                _ => None,
            },
            comm_len: comm.iter().position(|c| *c == 0).unwrap_or(comm.len()),
            comm,
            duration_ns: (h.timed != 0).then_some(h.duration_ns),
        }
    }};
}
pub(crate) use header_of;
