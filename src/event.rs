//! One event as user space sees it: the ring buffer's bytes turned into the
//! subject's generated type with `plain` (never a hand-written mirror), and
//! the few facts every subject shares (bpf/argtrace.h's `event_header`)
//! pulled into one `Header`.

/// What every event carries, whatever its subject.
#[derive(Clone, Debug)]
pub struct Header {
    pub ts_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub uid: u32,
    pub kstack_id: i32,
    pub ustack_id: i32,
    /// The probe mode that saw it, by name (`fentry` ... `socket`), `unknown`
    /// for a number this build does not know.
    pub probe: &'static str,
    pub comm: [u8; 16],
    pub comm_len: usize,
    /// From the call's entry to its return, where measured (-T).
    pub duration_ns: Option<u64>,
    /// The task's cgroup v2 id (skb: the socket's); 0 where the hook cannot tell.
    pub cgroup_id: u64,
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
