//! The run: checks, attach, then one reader thread (the ring buffer) feeding
//! one renderer thread through a bounded channel, until a signal, --duration,
//! --count or a closed pipe; then the summary with the lost-event count.
//! With -s, summary.rs runs instead: no ring buffer, the kernel counts.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};
use libbpf_rs::{MapCore, MapFlags, MapHandle, RingBufferBuilder};

use crate::bpf::ProbeMode;
use crate::cli::Config;
use crate::error::{Error, Result};
use crate::render::Style;
use crate::stack::StackReader;
use crate::subject::Subject;
use crate::{probe, sys};

/// Batches in flight between reader and renderer; when full the reader waits
/// and the kernel's ring buffer absorbs (and counts) the excess.
const CHANNEL_DEPTH: usize = 64;

/// A batch is handed to the renderer once it holds this much, even in the
/// middle of a drain of the ring buffer.
const BATCH_BYTES: usize = 1 << 20;

/// Emptied batches the renderer hands back for the reader to refill: their
/// buffers are reused instead of allocated (and, past the allocator's mmap
/// threshold, page-faulted and zeroed) again for every drain of the ring.
const SPARE_BATCHES: usize = 4;

/// How long the reader sleeps without a wakeup before it drains the ring
/// anyway: the BPF side wakes it only for bursts or after a quiet spell.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

pub fn run(cfg: Config) -> Result<()> {
    // Every subject reads the task's name (bpf_get_current_comm: CAP_PERFMON);
    // cgroup socket programs are also network administration (CAP_NET_ADMIN).
    let cgroup = cfg.subject.modes().contains(&ProbeMode::Cgroup);
    let caps = if cgroup { "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" } else { "CAP_BPF and CAP_PERFMON" };
    if !sys::has_bpf_privilege() || (cgroup && !sys::has_net_admin()) {
        return Err(Error::Privilege(format!("missing privilege: run as root, or with {caps} (or CAP_SYS_ADMIN)")));
    }
    if cfg.btf_is_kernels() && !cfg.btf.exists() {
        return Err(Error::Kernel(
            "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing; it needs CONFIG_DEBUG_INFO_BTF=y, \
             or pass --btf FILE)"
                .into(),
        ));
    }
    // `-o -` (and /dev/stdout) is standard output, as for tcpdump -w -.
    let to_file = cfg.output.as_deref().filter(|p| !sys::is_stdout(p));
    let out: Box<dyn Write + Send> = match to_file {
        Some(path) => Box::new(open_output(path)?),
        None => Box::new(io::stdout()),
    };
    let interactive = to_file.is_none() && io::stdout().is_terminal();
    cfg.subject.start(&cfg)?;

    probe::capture_libbpf_log(cfg.verbose);

    let mut storage = probe::new_storage();
    let tracer = probe::attach(&mut storage, &cfg)?;
    let runtime = |what: &str, e: libbpf_rs::Error| Error::Runtime(format!("{what}: {e}"));
    let drops_map = tracer.map("drops").map_err(|e| runtime("drops map", e))?;
    let style = Style {
        json: cfg.json,
        timestamp: cfg.timestamp,
        utc: cfg.utc,
        durations: cfg.durations,
        duration_digits: cfg.duration_digits,
        realtime_offset_ns: sys::monotonic_to_realtime_offset(),
        page_size: sys::page_size(),
        second_cache: Default::default(),
    };
    if cfg.summary {
        return crate::summary::run(&cfg, tracer, out, style, drops_map);
    }
    let events_map = tracer.map("events").map_err(|e| runtime("events map", e))?;
    let stacks_map = if cfg.stack { Some(tracer.map("stacks").map_err(|e| runtime("stacks map", e))?) } else { None };

    sys::install_stop_handlers();
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = bounded::<Batch>(CHANNEL_DEPTH);
    let (spare_tx, spare_rx) = bounded::<Batch>(SPARE_BATCHES);
    let renderer = {
        let done = Arc::clone(&done);
        let count = cfg.count;
        let subject = Arc::clone(&cfg.subject);
        // The symbolizer is not Send: it is made on the renderer's own thread.
        thread::spawn(move || {
            let stacks = stacks_map.map(StackReader::new);
            render_loop(rx, spare_tx, out, &*subject, style, stacks, count, interactive, done)
        })
    };

    // The ring buffer's callback fills a batch, handed to the renderer at the
    // end of each drain, or as soon as it holds BATCH_BYTES: libbpf's drain
    // goes on for as long as the producers keep up (a packet stream can keep
    // it going for seconds), and one batch of all that would hold the
    // renderer back and grow without bound.
    let batch = std::cell::RefCell::new(Batch::default());
    // Hands the batch to the renderer; false once it needs nothing more.
    let flush = || {
        if batch.borrow().is_empty() {
            return true;
        }
        let spare = spare_rx.try_recv().unwrap_or_default();
        let events = std::mem::replace(&mut *batch.borrow_mut(), spare);
        tx.send(events).is_ok()
    };
    let mut builder = RingBufferBuilder::new();
    builder
        .add(&events_map, |data: &[u8]| {
            let full = {
                let mut b = batch.borrow_mut();
                b.push(data);
                b.bytes.len() >= BATCH_BYTES
            };
            // A renderer that needs nothing more ends this drain.
            if full && !flush() {
                -libc::ECANCELED
            } else {
                0
            }
        })
        .map_err(|e| runtime("ring buffer", e))?;
    let ring = builder.build().map_err(|e| runtime("ring buffer", e))?;

    crate::say!("argtrace: tracing {} with {} probes; Ctrl-C to stop", cfg.subject.name(), tracer.mode.name());
    let deadline = cfg.duration.and_then(|d| Instant::now().checked_add(d));
    while !sys::stop_requested() && !done.load(Ordering::Relaxed) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let rc = ring.poll_raw(POLL_INTERVAL);
        // ECANCELED is the callback's own word: the renderer needs nothing more.
        if rc < 0 && rc != -libc::EINTR && rc != -libc::ECANCELED {
            return Err(Error::Runtime(format!(
                "reading the ring buffer failed: {}",
                crate::error::describe_errno(-rc)
            )));
        }
        // Also what arrived without a wakeup.
        let _ = ring.consume_raw();
        if !flush() {
            break;
        }
    }
    // Deliver what is already in the ring buffer, then what the kernel
    // still holds back, before reporting.
    if !done.load(Ordering::Relaxed) {
        let _ = ring.consume_raw();
        for record in cfg.subject.leftovers(&tracer) {
            batch.borrow_mut().push(&record);
        }
        flush();
    }
    drop(ring);
    drop(tx);
    let report = renderer.join().map_err(|_| Error::Runtime("the renderer thread panicked".into()))?;
    let dropped = read_drops(&drops_map) + report.malformed;
    drop(tracer);

    // The counts reach stderr on every ending, a closed pipe included.
    let counts = format!("{} events, {} lost", report.written, dropped);
    if let Some(e) = report.error {
        return Err(Error::Output(format!("writing the output failed: {} ({counts})", sys::io_reason(&e))));
    }
    if let Err(e) = cfg.subject.finish(dropped) {
        return Err(Error::Output(format!("{e} ({counts})")));
    }
    if cfg.json && !report.pipe_closed {
        let mut out = report.out;
        let written = writeln!(out, "{{\"summary\": {{\"events\": {}, \"dropped\": {}}}}}", report.written, dropped)
            .and_then(|_| out.flush());
        match written {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                return Err(Error::Output(format!("writing the summary failed: {} ({counts})", sys::io_reason(&e))));
            }
            _ => {}
        }
    }
    crate::say!("argtrace: {counts}");
    Ok(())
}

/// Opens --output. A FIFO or socket is refused: opening a FIFO blocks until
/// a reader comes, which would hang the start-up and ignore --duration.
pub(crate) fn open_output(path: &std::path::Path) -> Result<File> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display();
    if let Ok(meta) = std::fs::metadata(path) {
        let t = meta.file_type();
        if t.is_fifo() || t.is_socket() {
            return Err(Error::Output(format!(
                "cannot write {shown}: it is a {}, which argtrace does not open (for standard output give -: \
                 argtrace ... - | cmd)",
                if t.is_fifo() { "FIFO" } else { "socket" }
            )));
        }
    }
    File::create(path).map_err(|e| Error::Output(format!("cannot write {shown}: {}", sys::io_reason(&e))))
}

/// The sum of the per-CPU drop counters.
pub(crate) fn read_drops(map: &MapHandle) -> u64 {
    match map.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY) {
        Ok(Some(per_cpu)) => {
            per_cpu.iter().filter_map(|v| v.get(..8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))).sum()
        }
        _ => 0,
    }
}

/// Records copied out of the ring buffer, back to back, for the renderer.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Where each record ends in `bytes`.
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.ends.push(self.bytes.len());
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Empties the batch, keeping its buffers for the next one.
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn records(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.bytes[a..b])
    }
}

struct RenderReport {
    written: u64,
    /// Records of the wrong size (a build mismatch, never expected): lost.
    malformed: u64,
    pipe_closed: bool,
    error: Option<io::Error>,
    out: BufWriter<Box<dyn Write + Send>>,
}

/// Renders batches as they come; flushes whenever the channel runs dry, so
/// output is live without a write per event under load.
#[allow(clippy::too_many_arguments)]
fn render_loop(
    rx: Receiver<Batch>,
    spare: Sender<Batch>,
    out: Box<dyn Write + Send>,
    subject: &dyn Subject,
    style: Style,
    stacks: Option<StackReader>,
    count: Option<u64>,
    interactive: bool,
    done: Arc<AtomicBool>,
) -> RenderReport {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    let mut line = String::with_capacity(512);
    let mut written = 0u64;
    let mut malformed = 0u64;
    let mut failure: Option<io::Error> = None;
    let mut finished = false;
    let mut next = rx.recv().ok();
    while let Some(batch) = next {
        for record in batch.records() {
            line.clear();
            if !subject.render(record, &style, stacks.as_ref(), &mut line) {
                malformed += 1;
                continue;
            }
            let res = out.write_all(line.as_bytes()).and_then(|_| if interactive { out.flush() } else { Ok(()) });
            if let Err(e) = res {
                written += u64::from(subject.keeps_records());
                failure = Some(e);
                break;
            }
            written += 1;
            // The subject's own output failed (with this record, counted:
            // its `finish` says which records the output holds).
            if subject.stopped() || count.is_some_and(|n| written >= n) {
                finished = true;
                break;
            }
        }
        if failure.is_some() || finished {
            break;
        }
        let mut batch = batch;
        batch.clear();
        // A full pool (or a reader gone) just frees it.
        let _ = spare.try_send(batch);
        next = match rx.try_recv() {
            Ok(batch) => Some(batch),
            Err(TryRecvError::Empty) => {
                if let Err(e) = out.flush() {
                    failure = Some(e);
                    break;
                }
                rx.recv().ok()
            }
            Err(TryRecvError::Disconnected) => None,
        };
    }
    if failure.is_none() {
        if let Err(e) = out.flush() {
            failure = Some(e);
        }
    }
    done.store(true, Ordering::Relaxed);
    // Let the reader finish: what it still sends is past --count or a closed pipe.
    drop(rx);
    let pipe_closed = failure.as_ref().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe);
    RenderReport { written, malformed, pipe_closed, error: failure.filter(|_| !pipe_closed), out }
}
