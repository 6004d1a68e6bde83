//! `argtrace syscall`: any syscall, its arguments typed by the running
//! kernel. One BPF object serves any selection (bpf/syscall.bpf.c: the raw
//! sys_enter/sys_exit tracepoints, a bitmap of wanted numbers checked first);
//! what the kernel calls each syscall and its arguments comes from the kernel
//! itself (kernel.rs); `-e trace=` is strace's syntax (expr.rs); which
//! pointers are read, and when, is a data table (directions.rs). Values are
//! printed by type, in strace's shape: integers in decimal, pointers in hex
//! (`NULL`), strings quoted and escaped with `...` when cut.

mod compat;
pub mod decoders;
pub mod directions;
pub mod expr;
pub mod kernel;
pub mod metadata;
#[rustfmt::skip]
pub mod strace_tables;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use libbpf_rs::{MapCore as _, MapFlags};

use self::directions::Direction;
use self::expr::TraceExpr;
use self::kernel::{Syscall as SyscallInfo, Table, ValueKind};
use crate::config::Config;
use crate::decode;
use crate::error::{Error, Result};
use crate::event::Header;
use crate::family::load::{Loaded, Slot, Tracer};
use crate::family::{LoadError, ProbeMode, Stage};
use crate::render::{errno_of_ret, escape_into, latin1, write_json_str, Json, Record, Style};
use crate::stack::StackReader;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
pub(crate) mod skel {
    include!(concat!(env!("OUT_DIR"), "/syscall.skel.rs"));
}
use skel::types::syscall_event as SyscallEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/syscall.h's syscall_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for SyscallEvent {}
// SAFETY: as above, the mirrors of the pending maps' values.
unsafe impl plain::Plain for skel::types::syscall_pending {}
// SAFETY: as above.
unsafe impl plain::Plain for skel::types::syscall_pending_slots {}
// SAFETY: as above.
unsafe impl plain::Plain for skel::types::syscall_task {}

/// bpf/syscall.h's limits.
const NR_MAX: u32 = 512;
const SLOT_SIZE: usize = 264;
const BUF_MAX: u32 = 4096;

/// `argtrace syscall`'s own options.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct Syscall {
    /// Which syscalls, in strace's syntax: trace=NAME,%CLASS,/REGEX (! inverts the set); `-e EXPR`
    /// is `-e trace=EXPR`. Default: every syscall.
    #[arg(short = 'e', value_name = "EXPR")]
    pub expr: Option<String>,
    /// Print at most N bytes of each string and buffer, as strace's -s (argtrace's -s is the
    /// summary). Strings read at entry are cut at 256 bytes; buffers at 4096.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub string_limit: u32,
    /// The kernel's table, read once at load: rendering needs it.
    #[arg(skip)]
    state: Arc<OnceLock<Table>>,
}

impl Syscall {
    fn trace_expr(&self) -> std::result::Result<TraceExpr, String> {
        match &self.expr {
            Some(e) => TraceExpr::parse(e),
            None => Ok(TraceExpr::default()),
        }
    }

    fn table(&self) -> Option<&Table> {
        self.state.get()
    }
}

/// The shape table's kinds (bpf/syscall.h's enum argtrace_syscall_arg_kind).
const ARG_STR: u8 = 1;
const ARG_IN_BUF: u8 = 2;
const ARG_OUT_BUF: u8 = 3;
const ARG_PATH: u8 = 4;
/// The kinds read at entry or not at all (value, string, input buffer, path,
/// input struct, sized input, iovec, string array, input array): none fills
/// slot 3.
const ENTRY_KINDS: [u8; 9] = [
    0,
    ARG_STR,
    ARG_IN_BUF,
    ARG_PATH,
    decoders::ARG_IN_FIXED,
    decoders::ARG_IN_SIZED,
    decoders::ARG_IN_IOV,
    decoders::ARG_IN_STRV,
    decoders::ARG_IN_ARRAY,
];
/// struct syscall_event's has_out: what slot 3 holds.
const OUT_BUFFER: u8 = 1;
const OUT_LONG_PATH: u8 = 2;

/// How argument `i` of `s` is read, from its C type and the direction table.
fn direction_of(s: &SyscallInfo, i: usize) -> Option<Direction> {
    if let Some(d) = directions::of(decoders::native_name(s.name), i) {
        return Some(d);
    }
    match s.args.as_ref()?.get(i)?.kind {
        ValueKind::CharPtr => None,
        _ => Some(Direction::Address),
    }
}

fn is_string_arg(s: &SyscallInfo, i: usize) -> bool {
    s.args.as_ref().and_then(|a| a.get(i)).is_some_and(|a| a.kind == ValueKind::CharPtr) && direction_of(s, i).is_none()
}

/// The entry slots of a call (ARGTRACE_SYSCALL_ENTRY_SLOTS) and the end of shape.entry_arg.
const ENTRY_SLOTS: usize = 3;
const NO_ENTRY_ARG: u8 = 0xff;

/// The kinds the dispatcher reads at entry into an entry slot (bpf/syscall.bpf.c read_entry_slots).
fn reads_at_entry(kind: u8) -> bool {
    matches!(kind, ARG_STR | ARG_IN_BUF | ARG_PATH) || decoders::ReadSpec { kind, len_arg: 0, size: 0 }.at_entry()
}

/// Whether the kernel side reads nothing for `s` that holds a pointer or a
/// long (a signal frame): its structs are then the same bytes for a 32-bit
/// task whose entry is the native one's. (argv, envp and iovecs are read at
/// a 32-bit task's width: shape_of; fd sets, their timeout and pselect6's
/// sigmask pair, ppoll's time left and msghdr's header are widened as they
/// are read: bpf/syscall.bpf.c read_fdset, read_time, read_msghdr.)
fn reads_no_pointers(s: &SyscallInfo, compat: bool) -> bool {
    use decoders::ARG_SIGFRAME_MASK;
    const HOLD_POINTERS: [u8; 1] = [ARG_SIGFRAME_MASK];
    // (a 32-bit row reads the 32-bit task's own layouts: rt_sigreturn's frame)
    if compat && decoders::COMPAT_ROWS.iter().any(|r| r.name == s.name) {
        return true;
    }
    shape_of(s, compat).kind.iter().all(|k| !HOLD_POINTERS.contains(k))
}

/// The shape of `s`, a call of a 32-bit task's (`compat`: its decoder row may
/// be the 32-bit ABI's, decoders::COMPAT_ROWS) or a native one.
fn shape_of(s: &SyscallInfo, compat: bool) -> skel::types::syscall_shape {
    let mut shape = skel::types::syscall_shape::default();
    let row = decoders::row_for(s.name, compat);
    let nargs = s.args.as_ref().map_or(0, Vec::len);
    for i in 0..nargs.min(6) {
        if let Some(r) = row.and_then(|row| decoders::read_of(row, i)) {
            shape.kind[i] = r.kind;
            shape.len_arg[i] = r.len_arg;
            // (a 32-bit task's argv and envp: pointers 4 bytes wide; its
            // iovecs: struct compat_iovec)
            if compat && r.kind == decoders::ARG_IN_STRV {
                shape.len_arg[i] = 4;
            }
            shape.size[i] = r.size;
            if compat && matches!(r.kind, decoders::ARG_IN_IOV | decoders::ARG_OUT_IOV) {
                shape.size[i] = 4;
            }
            // (its struct compat_msghdr: recvmsg's msg_namelen read at entry from it)
            if compat && r.kind == decoders::ARG_INOUT_MSGHDR {
                shape.size[i] = decoders::MSGHDR32;
            }
            shape.has_entry_slots |= r.at_entry() as u8;
            continue;
        }
        let kind = match direction_of(s, i) {
            None if is_string_arg(s, i) && row.is_some_and(|row| decoders::is_path(row, i)) => ARG_PATH,
            None if is_string_arg(s, i) => ARG_STR,
            Some(Direction::In { len_arg }) => {
                shape.len_arg[i] = len_arg;
                ARG_IN_BUF
            }
            Some(Direction::Out | Direction::OutStr) => {
                shape.len_arg[i] = i as u8 + 1;
                ARG_OUT_BUF
            }
            _ => 0,
        };
        shape.kind[i] = kind;
        if kind == ARG_STR || kind == ARG_IN_BUF || kind == ARG_PATH {
            shape.has_entry_slots = 1;
        }
    }
    // rt_sigreturn has no argument: its frame's mask is read at the user
    // stack pointer, into an entry slot as if it were argument 0.
    if let Some(r) = row.and_then(|row| decoders::read_of(row, 0)).filter(|r| r.kind == decoders::ARG_SIGFRAME_MASK) {
        shape.kind[0] = r.kind;
        shape.size[0] = r.size;
        shape.has_entry_slots = 1;
    }
    // getcwd and the others the table names have no argument types where
    // the kernel's metadata is missing: the table still says what they are.
    if nargs == 0 {
        for (name, i, d) in directions::DIRECTIONS {
            if *name == decoders::native_name(s.name) {
                shape.kind[*i as usize] = match d {
                    Direction::Out | Direction::OutStr => ARG_OUT_BUF,
                    _ => 0,
                };
                shape.len_arg[*i as usize] = *i + 1;
            }
        }
    }
    // The arguments the dispatcher reads at entry, one per entry slot, in order.
    shape.entry_arg = [NO_ENTRY_ARG; 4];
    let entry = (0..6u8).filter(|&i| reads_at_entry(shape.kind[usize::from(i)]));
    for (slot, i) in entry.take(ENTRY_SLOTS).enumerate() {
        shape.entry_arg[slot] = i;
    }
    shape.no_return = directions::NO_RETURN.contains(&decoders::native_name(s.name)) as u8;
    // Slot 3 is free at return where every argument is read at entry or not
    // at all: a path cut at its entry slot is sent whole there.
    // (the first path argument, its index + 1)
    if shape.kind.iter().all(|k| ENTRY_KINDS.contains(k)) {
        shape.long_path = shape.kind.iter().position(|k| *k == ARG_PATH).map_or(0, |i| i as u8 + 1);
    }
    shape.reread = !directions::REPLACES_IMAGE.contains(&decoders::native_name(s.name)) as u8;
    shape
}

/// The 32-bit numbers to select, with socketcall's subcalls (kernel.rs
/// SOCKET_SUBCALL): socketcall's own number where any subcall is asked (the
/// kernel side reads which it is), and SOCKET_SUBCALL + 0 where socketcall
/// itself is (one whose subcall cannot be read; as in strace, a subcall that
/// is read is selected by its own name).
fn with_socketcall(mut compat: BTreeSet<u32>) -> BTreeSet<u32> {
    let Some(nr) = kernel::socketcall_nr() else { return compat };
    if compat.contains(&nr) {
        compat.insert(kernel::SOCKET_SUBCALL);
    }
    if compat.iter().any(|&n| kernel::socket_subcall(n).is_some()) {
        compat.insert(nr);
    }
    compat
}

fn bitmap(set: &BTreeSet<u32>) -> [u64; 8] {
    let mut words = [0u64; 8];
    for &nr in set.iter().filter(|n| **n < NR_MAX) {
        words[nr as usize / 64] |= 1 << (nr % 64);
    }
    words
}

impl crate::subject::Subject for Syscall {
    fn name(&self) -> &'static str {
        "syscall"
    }

    fn check(&self) -> Result<()> {
        // Names, classes and regexes are checked here, before any BPF work:
        // a bad one is a usage error.
        self.trace_expr().and_then(|e| e.select(&kernel::names_only())).map_err(Error::Usage)?;
        if self.string_limit > BUF_MAX {
            return Err(Error::Usage(format!("--string-limit {} is more than {BUF_MAX}", self.string_limit)));
        }
        Ok(())
    }

    fn modes(&self) -> &'static [ProbeMode] {
        &ProbeMode::RAW_SYSCALLS
    }

    fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
        crate::family::load::skeleton_sections!(skel::SyscallSkelBuilder)
    }

    fn call_name(&self, call: u32) -> Option<&'static str> {
        // Rows of -s: the native numbers, then 32-bit tasks' from NR_MAX.
        match self.table() {
            Some(t) if call < NR_MAX => t.native.get(&call).map(|s| s.name),
            Some(t) => t.compat_labels.get(&(call - NR_MAX)).copied(),
            None => (call == 0).then_some("syscall"),
        }
    }

    fn load<'obj>(&self, storage: &'obj mut Slot, cfg: &Config, mode: ProbeMode) -> Loaded<'obj> {
        let table = self.state.get_or_init(|| {
            // The format files are the first source of argument types: mount
            // tracefs where it is not (a failure leaves the other sources).
            if !crate::family::pretend_missing("TRACEFS") {
                let _ = crate::sys::ensure_tracefs();
            }
            let mut table =
                kernel::load(metadata::read(cfg), kernel::tracefs_root(), &kernel::BtfTypes::open(&cfg.btf));
            compat::type_calls(&mut table, |s| reads_no_pointers(s, true));
            crate::say!("{}", table.source.statement());
            if cfg.verbose && !table.renamed.is_empty() {
                crate::say!("argtrace: the kernel names syscalls otherwise: {}", table.renamed.join(", "));
            }
            table
        });
        let (native, compat) =
            self.trace_expr().and_then(|e| e.select(table)).map_err(|m| LoadError::said(Stage::Open, m))?;
        let target = crate::family::Target { subject: "syscall", ..Default::default() };
        crate::family::load::load_skeleton!(skel::SyscallSkelBuilder, storage, cfg, mode, &target, |ro| {
            ro.wanted = bitmap(&native);
            ro.wanted_compat = bitmap(&with_socketcall(compat));
            if let Some(nr) = kernel::old_select_nr() {
                ro.old_select_nr = nr;
            }
            if let Some(nr) = kernel::socketcall_nr() {
                ro.socketcall_nr = nr;
                for &(n, _, nargs, _) in strace_tables::SOCKET_SUBCALLS {
                    ro.subcall_nargs[n as usize & 31] = nargs;
                }
            }
            for s in table.native.values().filter(|s| s.nr < NR_MAX) {
                ro.shapes[s.nr as usize] = shape_of(s, false);
            }
            // The 32-bit calls compat.rs types (the others' rows stay zero: raw).
            for s in table.compat.values().filter(|s| s.nr < NR_MAX && s.args.is_some()) {
                ro.shapes[(NR_MAX + s.nr) as usize] = shape_of(s, true);
            }
            let compat_exits = table.compat.values().filter(|s| directions::NO_RETURN.contains(&s.name));
            for (slot, s) in ro.compat_no_return.iter_mut().zip(compat_exits) {
                *slot = s.nr;
            }
            ro.string_limit = self.string_limit;
        })
    }

    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool {
        SCRATCH.with_borrow_mut(|scratch| {
            let Some(e) = scratch.fill(record) else { return false };
            let view = View::new(e, self.table(), self.string_limit);
            style.record(&view, stacks, out);
            true
        })
    }

    fn leftovers(&self, tracer: &Tracer) -> Vec<Vec<u8>> {
        unfinished(tracer)
    }
}

/// Whether a record as sent (cut after its last byte used) fits a whole event.
fn is_event(record: &[u8]) -> bool {
    (std::mem::offset_of!(SyscallEvent, data)..=std::mem::size_of::<SyscallEvent>()).contains(&record.len())
}

/// A record in a whole event.
fn event_of(record: &[u8]) -> Option<Box<SyscallEvent>> {
    let mut scratch = Scratch::default();
    scratch.fill(record)?;
    Some(scratch.e)
}

thread_local! {
    /// The renderer's event, reused from one record to the next.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// A whole event that records are copied into. Reused, it costs no zeroed
/// 5 KiB allocation per record (a quarter of the renderer's time in a tight
/// loop): only what the previous record wrote past this one's end is cleared.
#[derive(Default)]
struct Scratch {
    e: Box<SyscallEvent>,
    /// How many leading bytes of `e` may be non-zero.
    dirty: usize,
}

impl Scratch {
    fn fill(&mut self, record: &[u8]) -> Option<&SyscallEvent> {
        if !is_event(record) {
            return None;
        }
        // SAFETY: SyscallEvent is Plain; the slice is within its size.
        let bytes = unsafe { plain::as_mut_bytes(&mut *self.e) };
        bytes[..record.len()].copy_from_slice(record);
        if self.dirty > record.len() {
            bytes[record.len()..self.dirty].fill(0);
        }
        self.dirty = record.len();
        Some(&self.e)
    }
}

/// The calls still in flight when argtrace stops, as records of their own
/// (`<unfinished ...>`), after everything the ring buffer held: from the
/// threads' task-local storage through the object's iterator, else from the
/// hashes keyed by thread id.
fn unfinished(tracer: &Tracer) -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    // The iterator is loaded where the calls wait in task storage.
    let object = tracer.skel.object();
    if let Some(iterator) = object.progs_mut().find(|p| p.name() == "syscall_unfinished" && p.autoload()) {
        for (tid, t) in in_task_storage(&iterator) {
            records.extend(unfinished_record(tid, &t.p, Some(&t.s)));
        }
    } else if let (Ok(pending), Ok(slots)) = (tracer.map("syscall_pending"), tracer.map("syscall_pending_slots")) {
        for key in pending.keys() {
            let Ok(Some(value)) = pending.lookup(&key, MapFlags::ANY) else { continue };
            let mut p = skel::types::syscall_pending::default();
            if plain::copy_from_bytes(&mut p, &value).is_err() || key.len() != 4 {
                continue;
            }
            let tid = u32::from_ne_bytes([key[0], key[1], key[2], key[3]]);
            let mut s = None;
            if p.nslots > 0 {
                if let Ok(Some(v)) = slots.lookup(&key, MapFlags::ANY) {
                    let mut value = skel::types::syscall_pending_slots::default();
                    s = plain::copy_from_bytes(&mut value, &v).is_ok().then_some(value);
                }
            }
            records.extend(unfinished_record(tid, &p, s.as_ref()));
        }
    }
    records.sort_by_key(|r| event_of(r).map_or(0, |e| e.h.ts_ns));
    records
}

/// The calls in flight in task-local storage, by thread id, as the object's
/// iter/task program lists them (none where it cannot run).
fn in_task_storage(iterator: &libbpf_rs::ProgramMut) -> Vec<(u32, Box<skel::types::syscall_task>)> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let read = iterator
        .attach().and_then(|link| libbpf_rs::Iter::new(&link)).map(|mut it| it.read_to_end(&mut bytes));
    if !matches!(read, Ok(Ok(_))) {
        return Vec::new();
    }
    let head = std::mem::size_of::<skel::types::syscall_inflight>();
    let size = head + std::mem::size_of::<skel::types::syscall_task>();
    bytes
        .chunks_exact(size)
        .filter_map(|chunk| {
            let tid = u32::from_ne_bytes(chunk[..4].try_into().ok()?);
            let mut t = Box::<skel::types::syscall_task>::default();
            plain::copy_from_bytes(&mut *t, &chunk[head..]).ok()?;
            Some((tid, t))
        })
        .collect()
}

/// One call in flight as its record, with its strings when `s` holds them;
/// None when its thread has gone since (killed inside its call).
fn unfinished_record(
    tid: u32,
    p: &skel::types::syscall_pending,
    s: Option<&skel::types::syscall_pending_slots>,
) -> Option<Vec<u8>> {
    let comm = std::fs::read(format!("/proc/{}/task/{tid}/comm", p.pid)).ok()?;
    let mut e = Box::<SyscallEvent>::default();
    e.h.ts_ns = p.start_ns;
    e.h.pid = p.pid;
    e.h.tid = tid;
    e.h.uid = std::fs::metadata(format!("/proc/{}", p.pid)).map_or(0, |m| std::os::unix::fs::MetadataExt::uid(&m));
    e.h.probe = p.probe;
    e.h.kstack_id = -1;
    e.h.ustack_id = -1;
    for (dst, src) in e.h.comm.iter_mut().zip(comm.iter().take_while(|c| **c != b'\n').take(15)) {
        *dst = *src as _;
    }
    e.nr = p.nr;
    e.abi = p.abi;
    e.end = 2; // SYSCALL_END_UNFINISHED
    e.args = p.args;
    let mut size = std::mem::offset_of!(SyscallEvent, data);
    if let Some(s) = s.filter(|_| p.nslots > 0) {
        let n = (p.nslots as usize).min(3);
        e.nslots = n as u8;
        e.slot[..n].copy_from_slice(&s.slot[..n]);
        e.data[..n * SLOT_SIZE].copy_from_slice(&s.data[..n * SLOT_SIZE]);
        size += n * SLOT_SIZE;
    }
    // SAFETY: SyscallEvent is Plain.
    let bytes = unsafe { plain::as_bytes(&*e) };
    Some(bytes[..size].to_vec())
}

/// One record with what renders it.
struct View<'a> {
    e: &'a SyscallEvent,
    /// The call's entry in the running kernel's table, looked up once.
    info: Option<&'a SyscallInfo>,
    /// The argument words as the kernel's entry takes them: a typed 32-bit
    /// call's widened (compat.rs `widened`), its 64-bit ones joined from
    /// their two registers (compat.rs `gathered`), the others' as read.
    args: [u64; 6],
    string_limit: u32,
}

/// A string or buffer argument as read by the kernel side.
struct Bytes<'a> {
    data: &'a [u8],
    cut: bool,
    err: i32,
}

impl<'a> View<'a> {
    fn compat(&self) -> bool {
        self.e.abi == 1
    }

    fn new(e: &'a SyscallEvent, table: Option<&'a Table>, string_limit: u32) -> Self {
        let info = table.and_then(|t| if e.abi == 1 { t.compat.get(&e.nr) } else { t.native.get(&e.nr) });
        let mut args = e.args;
        if let Some((s, typed)) = info.and_then(|s| Some((s, s.args.as_ref()?))).filter(|_| e.abi == 1) {
            match compat::pairs_of(s.name) {
                // (a 64-bit argument in two registers, joined)
                Some(regs) => args = compat::gathered(&e.args, regs, typed),
                None => {
                    for (v, a) in args.iter_mut().zip(typed) {
                        *v = compat::widened(*v, a.kind);
                    }
                }
            }
        }
        View { e, info, args, string_limit }
    }

    fn info(&self) -> Option<&'a SyscallInfo> {
        self.info
    }

    fn name(&self) -> &'static str {
        match self.info() {
            Some(s) => s.name,
            None => "syscall",
        }
    }

    fn slot_bytes(&self, index: usize) -> Bytes<'_> {
        // A path cut at its entry slot, whole in slot 3.
        let long = index < 3 && self.e.has_out == OUT_LONG_PATH && self.e.slot[3].arg == self.e.slot[index].arg;
        let index = if long { 3 } else { index };
        let s = &self.e.slot[index];
        let start = index * SLOT_SIZE;
        let len = (s.len as usize).min(if index < 3 { SLOT_SIZE } else { BUF_MAX as usize });
        // SAFETY: i8 and u8 have the same layout.
        let data: &[u8] = unsafe { &*(&self.e.data[start..start + len] as *const [i8] as *const [u8]) };
        Bytes { data, cut: s.cut != 0, err: s.err }
    }

    /// The bytes read for argument `i`, at entry or at return.
    fn bytes_of(&self, i: usize) -> Option<Bytes<'_>> {
        let n = (self.e.nslots as usize).min(3);
        if let Some(k) = (0..n).find(|k| self.e.slot[*k].arg as usize == i) {
            return Some(self.slot_bytes(k));
        }
        (self.e.has_out == OUT_BUFFER && self.e.slot[3].arg as usize == i && self.e.end == 0 && self.e.ret >= 0)
            .then(|| self.slot_bytes(3))
    }

    fn nargs(&self) -> usize {
        if self.sigframe() {
            return 1;
        }
        match self.info().and_then(|s| s.args.as_ref()) {
            Some(a) => a.len().min(6),
            None => 6,
        }
    }

    /// rt_sigreturn, whose one thing shown is its frame's mask.
    fn sigframe(&self) -> bool {
        self.row().and_then(|r| decoders::read_of(r, 0)).is_some_and(|r| r.kind == decoders::ARG_SIGFRAME_MASK)
    }

    fn arg_name(&self, i: usize) -> String {
        if self.sigframe() {
            return "frame".into();
        }
        match self.info().and_then(|s| s.args.as_ref()).and_then(|a| a.get(i)) {
            Some(a) if !a.name.is_empty() => a.name.clone(),
            _ => format!("arg{i}"),
        }
    }

    fn kind(&self, i: usize) -> ValueKind {
        self.info().and_then(|s| s.args.as_ref()).and_then(|a| a.get(i)).map_or(ValueKind::Raw, |a| a.kind)
    }

    fn is_getcwd(&self) -> bool {
        self.info().is_some_and(|s| directions::of(decoders::native_name(s.name), 0) == Some(Direction::OutStr))
    }

    /// strace's decoder row for this call (decoders.rs), if transcribed.
    fn row(&self) -> Option<&'static decoders::Row> {
        // A 32-bit call that compat.rs does not type is six raw values: its
        // kernel entry may give the same name other meanings and layouts.
        if self.compat() && self.info().is_some_and(|s| s.args.is_none()) {
            return None;
        }
        self.info().and_then(|s| decoders::row_for(s.name, self.compat()))
    }

    /// What the kernel side read for this call, for the decoders.
    fn reads(&self) -> decoders::Reads<'_> {
        let mut r = decoders::Reads { limit: self.string_limit as usize, compat: self.compat(), ..Default::default() };
        for k in 0..(self.e.nslots as usize).min(3) {
            let b = self.slot_bytes(k);
            let arg = self.e.slot[k].arg as usize;
            if b.err == 0 && arg < 6 {
                // (an output beside slot 3's, read at return)
                if self.row().is_some_and(|r| decoders::read_beside(r, arg)) {
                    r.beside[arg] = Some(b.data);
                } else {
                    r.entry[arg] = Some(b.data);
                    r.cut[arg] = b.cut;
                }
            }
        }
        let arg = self.e.slot[3].arg as usize;
        if self.e.has_out == OUT_BUFFER && self.e.end == 0 && arg < 6 {
            let b = self.slot_bytes(3);
            if b.err == 0 {
                r.out = Some((arg, b.data));
                r.cut[arg] |= b.cut;
            }
        }
        r.strv_tail = self.strv_tail();
        r
    }

    /// argv's strings past its entry slot (bpf/syscall.h's struct
    /// syscall_strv_tail), where its slot says they follow: after slot 3's
    /// long path, or in its place.
    fn strv_tail(&self) -> Option<&[u8]> {
        let n = (self.e.nslots as usize).min(3);
        let marked = (0..n).any(|k| {
            let arg = self.e.slot[k].arg as usize;
            let strv = self.row().and_then(|r| decoders::read_of(r, arg)).is_some_and(|r| r.kind == decoders::ARG_IN_STRV);
            strv && self.e.data.get(k * SLOT_SIZE + 7) == Some(&1)
        });
        let start = 3 * SLOT_SIZE + if self.e.has_out == OUT_LONG_PATH { BUF_MAX as usize } else { 0 };
        let t = self.e.data.get(start..start + decode::structs::STRV_TAIL).filter(|_| marked)?;
        // SAFETY: i8 and u8 have the same layout.
        Some(unsafe { &*(t as *const [i8] as *const [u8]) })
    }

    /// Argument `i` as strace's decoder prints it: Some(None) where strace
    /// leaves it out, None where the C type decides (text_arg).
    fn decoded(&self, i: usize) -> Option<Option<String>> {
        decoders::text(self.row()?, i, &self.args, &self.reads(), self.e.ret)
    }

    /// Argument `i` in strace's shape.
    fn text_arg(&self, i: usize, out: &mut String) {
        let v = self.args[i];
        if let Some(Some(s)) = self.decoded(i) {
            out.push_str(&s);
            return;
        }
        if let Some(b) = self.bytes_of(i) {
            if v == 0 {
                out.push_str("NULL");
            } else if b.err != 0 {
                let _ = write!(out, "{v:#x}");
            } else {
                let mut data = b.data;
                if self.is_getcwd() && i == 0 {
                    data = data.strip_suffix(&[0]).unwrap_or(data);
                }
                out.push('"');
                if self.row().is_some_and(|r| decoders::is_hex(r, i)) {
                    data.iter().for_each(|c| {
                        let _ = write!(out, "\\x{c:02x}");
                    });
                } else {
                    escape_into(out, data);
                }
                out.push('"');
                if b.cut {
                    out.push_str("...");
                }
            }
            return;
        }
        match self.kind(i) {
            ValueKind::Int { bytes, signed } => {
                let _ = write!(out, "{}", int_value(v, bytes, signed));
            }
            ValueKind::Pointer | ValueKind::CharPtr => out.push_str(&decode::ptr(v)),
            ValueKind::Raw => {
                let _ = write!(out, "{v:#x}");
            }
        }
    }

    fn json_arg(&self, i: usize, j: &mut Json) {
        let key = self.arg_name(i);
        let v = self.args[i];
        // Left out of the text line (open's mode without O_CREAT): the
        // kernel still received it, so JSON keeps it.
        // (Not where it says no more than the value: a plain number, NULL.)
        let plain = |s: &String| {
            *s == v.to_string() || *s == (v as i64).to_string() || *s == (v as i32).to_string() || (v == 0 && s == "NULL")
        };
        if let Some(Some(s)) = self.decoded(i).filter(|d| !d.as_ref().is_some_and(plain)) {
            // The value as the kernel's C type holds it, and strace's
            // spelling of it beside (`<arg>_str`, as the other subjects' flags_str).
            self.json_typed(&key, v, i, j);
            j.str(&format!("{key}_str"), &s);
            // A struct or array read whole: its fields, named and typed.
            if let Some(shown) = self.row().and_then(|r| decoders::shown(r, i, &self.args, &self.reads(), self.e.ret)) {
                shown.json.write(j.key(&format!("{key}_value")));
            }
            return;
        }
        if let Some(b) = self.bytes_of(i).filter(|b| b.err == 0 && v != 0) {
            write_json_str(j.key(&key), &latin1(b.data));
            if b.cut {
                j.num(&format!("{key}_cut"), "true");
            }
            return;
        }
        self.json_typed(&key, v, i, j);
    }

    /// Argument `i`'s value in JSON as its C type holds it.
    fn json_typed(&self, key: &str, v: u64, i: usize, j: &mut Json) {
        match self.kind(i) {
            ValueKind::Int { bytes, signed } => {
                j.num(key, int_value(v, bytes, signed));
            }
            ValueKind::Pointer | ValueKind::CharPtr if v == 0 => {
                j.key(key).push_str("null");
            }
            _ => {
                j.num(key, v);
            }
        }
    }
}

/// An argument word as the C type of `bytes` bytes and sign holds it.
fn int_value(v: u64, bytes: u8, signed: bool) -> i128 {
    match (bytes, signed) {
        (1, true) => v as i8 as i128,
        (1, false) => v as u8 as i128,
        (2, true) => v as i16 as i128,
        (2, false) => v as u16 as i128,
        (4, true) => v as i32 as i128,
        (4, false) => v as u32 as i128,
        (_, true) => v as i64 as i128,
        _ => v as i128,
    }
}

impl Record for View<'_> {
    const EVENT: &'static str = "syscall";

    fn header(&self) -> Header {
        header_of!(self.e.h, skel::types)
    }

    fn syscall(&self) -> &'static str {
        self.name()
    }

    fn ret(&self) -> i64 {
        self.e.ret
    }

    fn json_call(&self, j: &mut Json) {
        // (a socketcall subcall: socketcall's number, and the subcall's; the
        // old select's call: its number)
        let nr = if self.compat() { kernel::made_as(self.e.nr) } else { self.e.nr };
        j.str("syscall", self.name()).num("nr", nr);
        if let Some(sub) = kernel::socket_subcall(self.e.nr).filter(|_| self.compat()) {
            j.num("socketcall", sub);
        }
        if self.compat() {
            j.str("abi", if cfg!(target_arch = "x86_64") { "i386" } else { "arm" });
        }
    }

    fn json_result(&self, _style: &Style, j: &mut Json) {
        match self.e.end {
            0 => {
                j.num("ret", self.e.ret);
                // strace's spelling where it says more (`1 (in [3], left {...})`).
                if let Some(r) = self.row().and_then(|r| decoders::result(r, &self.args, &self.reads(), self.e.ret)) {
                    j.str("ret_str", &r);
                }
                if let Some(errno) = errno_of_ret(self.e.ret) {
                    j.str("error", decode::errno_name(errno).unwrap_or("E?")).num("errno", errno);
                }
            }
            1 => {
                j.key("ret").push_str("null");
            }
            _ => {
                j.key("ret").push_str("null");
                j.key("unfinished").push_str("true");
            }
        }
    }

    fn text(&self, _style: &Style, out: &mut String) {
        if self.compat() {
            out.push_str(if cfg!(target_arch = "x86_64") { "[i386] " } else { "[arm] " });
        }
        match self.info() {
            Some(s) => out.push_str(s.name),
            None => {
                let _ = write!(out, "syscall_{}", self.e.nr);
            }
        }
        out.push('(');
        let mut first = true;
        for i in 0..self.nargs() {
            if let Some(None) = self.decoded(i) {
                continue;
            }
            if !first {
                out.push_str(", ");
            }
            first = false;
            self.text_arg(i, out);
        }
        match self.e.end {
            0 => {
                out.push_str(") = ");
                let hex = self.info().is_some_and(|s| directions::HEX_RESULT.contains(&decoders::native_name(s.name)));
                if let Some(r) = self.row().and_then(|r| decoders::result(r, &self.args, &self.reads(), self.e.ret)) {
                    out.push_str(&r);
                } else if hex && errno_of_ret(self.e.ret).is_none() {
                    let _ = write!(out, "{:#x}", self.e.ret as u64);
                } else {
                    out.push_str(&decode::syscall_result(self.e.ret));
                }
            }
            1 => out.push_str(") = ?"),
            _ => out.push_str(" <unfinished ...>)"),
        }
    }

    fn json_args(&self, _style: &Style, out: &mut String) {
        let _ = self.string_limit;
        let mut j = Json::open(out);
        for i in 0..self.nargs() {
            self.json_arg(i, &mut j);
        }
        j.close();
    }
}

#[cfg(test)]
mod tests {
    use super::kernel::{Arg, BtfTypes};
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn socketcall_is_selected_with_its_subcalls() {
        use kernel::SOCKET_SUBCALL;
        let set = |nrs: &[u32]| with_socketcall(nrs.iter().copied().collect()).into_iter().collect::<Vec<_>>();
        // a subcall asked: socketcall's number too, so its words are read
        assert_eq!(set(&[373, SOCKET_SUBCALL + 13]), [102, 373, SOCKET_SUBCALL + 13]);
        // socketcall asked: the one whose subcall is not read, none of the subcalls
        assert_eq!(set(&[102]), [102, SOCKET_SUBCALL]);
        assert_eq!(set(&[5]), [5]);
    }

    fn table() -> Table {
        let b = BtfTypes::none();
        let arg = |name: &str, ctype: &str| Arg { name: name.into(), kind: b.kind_of(ctype), ctype: ctype.into() };
        let mut t = kernel::names_only();
        let openat = t.native.values_mut().find(|s| s.name == "openat").expect("openat");
        openat.args = Some(vec![
            arg("dfd", "int"),
            arg("filename", "const char *"),
            arg("flags", "int"),
            arg("mode", "unsigned short"),
        ]);
        let exit_group = t.native.values_mut().find(|s| s.name == "exit_group").expect("exit_group");
        exit_group.args = Some(vec![arg("error_code", "int")]);
        t
    }

    fn render(t: &Table, e: &SyscallEvent, json: bool) -> String {
        let mut out = String::new();
        let view = View::new(e, Some(t), 32);
        crate::render::test_style(json).record(&view, None, &mut out);
        out
    }

    fn event(t: &Table, name: &str, args: [u64; 6], ret: i64, end: u8) -> Box<SyscallEvent> {
        let mut e = Box::<SyscallEvent>::default();
        e.h.pid = 7;
        e.h.tid = 8;
        e.h.comm[..3].copy_from_slice(&[b'a' as _, b'b' as _, b'c' as _]);
        e.nr = t.native.values().find(|s| s.name == name).expect("in the table").nr;
        e.args = args;
        e.ret = ret;
        e.end = end;
        e
    }

    fn with_string(e: &mut SyscallEvent, arg: u8, bytes: &[u8], cut: bool) {
        e.nslots = 1;
        e.slot[0].arg = arg;
        e.slot[0].len = bytes.len() as u16;
        e.slot[0].cut = cut as u8;
        for (d, s) in e.data.iter_mut().zip(bytes) {
            *d = *s as _;
        }
    }

    #[test]
    fn calls_print_by_type_in_strace_shape() {
        let t = table();
        let mut e = event(&t, "openat", [(-100i64) as u64, 0x1000, 0o2000000, 0o640, 0, 0], -2, 0);
        with_string(&mut e, 1, b"/tmp/a \"q\"\n", false);
        assert_eq!(
            render(&t, &e, false),
            "abc 7/8 openat(AT_FDCWD, \"/tmp/a \\\"q\\\"\\n\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)\n"
        );
        let mut e = event(&t, "openat", [(-100i64) as u64, 0x1000, 0, 0, 0, 0], 3, 0);
        with_string(&mut e, 1, b"/0123456789abcdef0123456789abcde", true);
        assert_eq!(render(&t, &e, false), "abc 7/8 openat(AT_FDCWD, \"/0123456789abcdef0123456789abcde\"..., O_RDONLY) = 3\n");
        let e = event(&t, "openat", [5, 0, 0, 0, 0, 0], 3, 2);
        assert_eq!(render(&t, &e, false), "abc 7/8 openat(5, NULL, O_RDONLY <unfinished ...>)\n");
        let e = event(&t, "exit_group", [3, 0, 0, 0, 0, 0], 0, 1);
        assert_eq!(render(&t, &e, false), "abc 7/8 exit_group(3) = ?\n");
    }

    #[test]
    fn json_keys_arguments_by_the_kernels_names() {
        let t = table();
        let mut e = event(&t, "openat", [(-100i64) as u64, 0x1000, 2, 0o640, 0, 0], -13, 0);
        with_string(&mut e, 1, b"/x", false);
        let v: serde_json::Value = serde_json::from_str(&render(&t, &e, true)).expect("JSON");
        assert_eq!(v["event"], "syscall");
        assert_eq!(v["syscall"], "openat");
        assert_eq!(v["args"], serde_json::json!({"dfd": -100, "dfd_str": "AT_FDCWD", "filename": "/x", "flags": 2, "flags_str": "O_RDWR", "mode": 416}));
        assert_eq!((v["ret"].clone(), v["error"].clone(), v["errno"].clone()), (serde_json::json!(-13), "EACCES".into(), 13.into()));
        let e = event(&t, "exit_group", [0; 6], 0, 1);
        let v: serde_json::Value = serde_json::from_str(&render(&t, &e, true)).expect("JSON");
        assert!(v["ret"].is_null());
    }
}
