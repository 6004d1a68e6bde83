//! The run: checks, attach, then one reader thread (the ring buffer) feeding
//! one renderer thread through a bounded channel, until a signal, --duration,
//! --count or a closed pipe; then the summary with the lost-event count.
//! With -s, summary.rs runs instead: no ring buffer, the kernel counts.
//! attach.rs chooses the probe mode, asking each mode's family.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};
use libbpf_rs::{MapHandle, RingBufferBuilder};

use crate::config::Config;
use crate::error::{exit, Error, Result};
use crate::family::explain::capture_libbpf_log;
use crate::family::ProbeMode;
use crate::render::Style;
use crate::stack::StackReader;
use crate::subject::Subject;
use crate::sys;

pub mod attach;
pub mod follow;
pub mod summary;

/// Batches in flight between reader and renderer; when full the reader waits
/// and the kernel's ring buffer absorbs (and counts) the excess. With the
/// reader's pace (`Pace`) a batch is a drain of up to a millisecond, not a
/// few records: 16 of at most BATCH_BYTES bound what a renderer slower than
/// the traced work (JSON at full rate) lets wait in memory to 4 MiB.
const CHANNEL_DEPTH: usize = 16;

/// A batch is handed to the renderer once it holds this much, even in the
/// middle of a drain of the ring buffer.
const BATCH_BYTES: usize = 256 << 10;

/// Emptied batches the renderer hands back for the reader to refill: their
/// buffers are reused instead of allocated (and, past the allocator's mmap
/// threshold, page-faulted and zeroed) again for every drain of the ring.
const SPARE_BATCHES: usize = 4;

/// How long the reader sleeps without a wakeup before it drains the ring
/// anyway: the BPF side wakes it only for bursts or after a quiet spell.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// The longest pause between two drains that found the ring nearly empty
/// (see `Pace`).
const PACE_MAX: Duration = Duration::from_millis(1);

/// What one run traces: the subject with its options, the forced probe mode
/// (None: auto) and the checked common options.
pub struct Run {
    pub subject: Arc<dyn Subject>,
    pub probe: Option<ProbeMode>,
    pub cfg: Config,
}

/// Runs the trace; the exit status argtrace ends with: 0, or with `-- CMD`
/// the command's (128+N for a death by signal N).
pub fn run(mut run: Run) -> Result<i32> {
    attach::check_privileges(&*run.subject)?;
    if run.cfg.btf_is_kernels() && !run.cfg.btf.exists() {
        return Err(Error::Kernel(
            "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing; it needs CONFIG_DEBUG_INFO_BTF=y, \
             or pass --btf FILE)"
                .into(),
        ));
    }
    // `-o -` (and /dev/stdout) is standard output, as for tcpdump -w -.
    let to_file = run.cfg.output.as_deref().filter(|p| !sys::is_stdout(p)).map(|p| p.to_path_buf());
    let out: Box<dyn Write + Send> = match &to_file {
        Some(path) => Box::new(crate::private_file::create(path)?),
        None => Box::new(io::stdout()),
    };
    let interactive = to_file.is_none() && io::stdout().is_terminal();
    // The command, held back until tracing is attached: its pid is a filter.
    let held = match run.cfg.command.is_empty() {
        true => None,
        false => Some(crate::command::Held::spawn(&run.cfg.command)?),
    };
    run.cfg.pids.extend(held.as_ref().map(|h| h.pid()));
    let Run { subject, probe, cfg } = &run;
    subject.start(cfg)?;

    capture_libbpf_log(cfg.verbose);

    let mut storage = attach::new_storage();
    let tracer = attach::attach(&mut storage, &**subject, cfg, *probe)?;
    let mut follow_storage = std::mem::MaybeUninit::uninit();
    let follower = if cfg.follow { Some(follow::attach(&mut follow_storage, &tracer, cfg)?) } else { None };
    let drops = tracer.drops().map_err(|e| runtime("drops map", e))?;
    // Attached, every output open: say what payloads go where, then give up root (-Z).
    if let Some(line) = payload_statement(&**subject, cfg) {
        let _ = writeln!(io::stderr(), "{line}");
    }
    let drops_map = tracer.map("drops").map_err(|e| runtime("drops map", e))?;
    crate::privilege::drop_after_attach(cfg, &drops_map)?;
    sys::install_stop_handlers();
    // The command starts once argtrace is ready to read (stream: its ring
    // mapped, its renderer running), not while argtrace still sets itself up.
    let mut held = held;
    let mut command = None;
    let mut release = || -> Result<()> {
        command = held.take().map(|h| h.release()).transpose()?.map(crate::command::Running::watch);
        Ok(())
    };
    let style = style_of(cfg);
    if cfg.summary {
        release()?;
        summary::run(&**subject, cfg, tracer, out, style, drops)?;
    } else {
        stream(&run, tracer, out, style, interactive, drops, release)?;
    }
    if let Some(missed) = follower.map(|f| f.missed()).filter(|n| *n > 0) {
        crate::say!(
            "argtrace: -f: {missed} new processes or threads were not followed: the follow map was full \
             ({} entries); counted as lost",
            follow::FOLLOW_LIMIT
        );
    }
    // The command's end stopped the run; after --duration, --count or a
    // closed pipe it runs on, untraced.
    Ok(match command {
        Some(status) if sys::stop_requested() => status.join().unwrap_or(exit::RUNTIME),
        _ => exit::OK,
    })
}

fn style_of(cfg: &Config) -> Style {
    Style {
        json: cfg.json,
        timestamp: cfg.timestamp,
        utc: cfg.utc,
        durations: cfg.durations,
        duration_digits: cfg.duration_digits,
        realtime_offset_ns: sys::monotonic_to_realtime_offset(),
        page_size: sys::page_size(),
        second_cache: Default::default(),
        container_info: cfg.container_info,
        containers: (cfg.json || cfg.container_info).then(crate::container::Resolver::new),
    }
}

/// The streamed run: the reader and renderer threads until the end, then the
/// counts. `release` starts the command (`-- CMD`), once argtrace is ready.
fn stream(
    run: &Run,
    tracer: crate::family::load::Tracer,
    out: Box<dyn Write + Send>,
    style: Style,
    interactive: bool,
    drops: crate::family::load::Drops,
    release: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let Run { subject, cfg, .. } = run;
    let events_map = tracer.map("events").map_err(|e| runtime("events map", e))?;
    let stacks_map = if cfg.stack { Some(tracer.map("stacks").map_err(|e| runtime("stacks map", e))?) } else { None };

    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = bounded::<Batch>(CHANNEL_DEPTH);
    let (spare_tx, spare_rx) = bounded::<Batch>(SPARE_BATCHES);
    let (started_tx, started_rx) = bounded::<()>(1);
    let renderer = {
        let done = Arc::clone(&done);
        let count = cfg.count;
        let subject = Arc::clone(subject);
        // The symbolizer is not Send: it is made on the renderer's own thread.
        thread::spawn(move || {
            let stacks = stacks_map.map(StackReader::new);
            // Its memory (the thread's first allocation maps its own heap)
            // before the reader says argtrace is tracing.
            let out = BufWriter::with_capacity(64 * 1024, out);
            let _ = started_tx.send(());
            render_loop(rx, spare_tx, out, &*subject, style, stacks, count, interactive, done)
        })
    };
    // A renderer that died at its start is reported when it is joined.
    let _ = started_rx.recv();
    // Said only once the ring is mapped and the renderer runs: argtrace's own
    // set-up (mmap calls among them) is over before the traced work starts.
    // In kprobe mode that matters beyond tidiness: a kretprobe catches only
    // so many calls in flight at once, whoever makes them (maxactive, 2 on a
    // two-CPU kernel without CONFIG_PREEMPTION), and a call it misses leaves
    // no record and no count.
    // The command is released first: a stop signal that follows the line
    // is passed on to it.
    let ready = || {
        release()?;
        crate::say!("argtrace: tracing {} with {} probes; Ctrl-C to stop", subject.name(), tracer.mode.name());
        Ok(())
    };
    read_ring(&events_map, cfg, &done, tx, spare_rx, ready, || subject.leftovers(&tracer))?;
    let report = renderer.join().map_err(|_| Error::Runtime("the renderer thread panicked".into()))?;
    let dropped = drops.read() + report.malformed;
    let skipped = tracer.skipped_runs();
    drop(tracer);
    let r = finish(run, report, dropped);
    if let Some(line) = crate::family::load::skipped_line(skipped) {
        crate::say!("{line}");
    }
    r
}

fn runtime(what: &str, e: libbpf_rs::Error) -> Error {
    Error::Runtime(format!("{what}: {e}"))
}

/// Maps the ring buffer, calls `ready`, then reads the ring until a stop
/// signal, --duration, or a renderer
/// that needs nothing more (--count, a closed pipe), handing the records to
/// the renderer in batches; then delivers what is left in the ring, and
/// the records the kernel still holds back or the subject still has in
/// flight (`leftovers`: sock's parked binds, syscall's unfinished calls).
fn read_ring(
    events_map: &MapHandle,
    cfg: &Config,
    done: &AtomicBool,
    tx: Sender<Batch>,
    spare_rx: Receiver<Batch>,
    ready: impl FnOnce() -> Result<()>,
    leftovers: impl FnOnce() -> Vec<Vec<u8>>,
) -> Result<()> {
    // The ring buffer's callback fills a batch, handed to the renderer at the
    // end of each drain, or as soon as it holds BATCH_BYTES: libbpf's drain
    // goes on for as long as the producers keep up (a packet stream can keep
    // it going for seconds), and one batch of all that would hold the
    // renderer back and grow without bound.
    let batch = std::cell::RefCell::new(Batch::default());
    let drained = std::cell::Cell::new(0usize);
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
        .add(events_map, |data: &[u8]| {
            let full = {
                let mut b = batch.borrow_mut();
                b.push(data);
                drained.set(drained.get() + data.len());
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
    ready()?;

    let deadline = cfg.duration.and_then(|d| Instant::now().checked_add(d));
    let mut pace = Pace::new(cfg.ringbuf_size.unwrap_or(4 << 20) as usize);
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
        if let Some(pause) = pace.after_drain(drained.replace(0)) {
            thread::sleep(pause);
        }
    }
    // Deliver what is already in the ring buffer, then what the kernel
    // still holds back, before reporting.
    if !done.load(Ordering::Relaxed) {
        let _ = ring.consume_raw();
        for record in leftovers() {
            batch.borrow_mut().push(&record);
        }
        flush();
    }
    Ok(())
}

/// The end of a streamed run: the subject's own outputs closed, the JSON
/// summary line, and the counts, which reach stderr on every ending, a
/// closed pipe included.
fn finish(run: &Run, report: RenderReport, dropped: u64) -> Result<()> {
    let counts = format!("{} events, {} lost", report.written, dropped);
    if let Some(e) = report.error {
        return Err(Error::Output(format!("writing the output failed: {} ({counts})", sys::io_reason(&e))));
    }
    if let Err(e) = run.subject.finish(dropped) {
        return Err(Error::Output(format!("{e} ({counts})")));
    }
    if run.cfg.json && !report.pipe_closed {
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

/// The reader's pace. The ring buffer's poll reports data whenever any
/// waits, whatever the programs' wakeup flags say, so a reader faster than
/// the traced work would drain a few records at a time, each drain one
/// epoll_wait: a syscall (two program runs of `argtrace syscall`'s own, for
/// nothing) and a round of cache-line transfers of the ring's positions and
/// records between the two CPUs, paid by the traced task. After a drain that
/// found the ring nearly empty, the reader pauses instead, at most PACE_MAX
/// (nothing a reader of the output can see) and never longer than the ring
/// takes to fill an eighth at the rate just measured, so a pause cannot
/// cost a record: a burst that fills the ring faster has a drain of more than
/// an eighth behind it, and no pause follows that.
struct Pace {
    eighth: usize,
    last: Instant,
}

impl Pace {
    fn new(ring_bytes: usize) -> Self {
        Self { eighth: (ring_bytes / 8).max(1), last: Instant::now() }
    }

    /// The pause after a drain of `bytes`, if any.
    fn after_drain(&mut self, bytes: usize) -> Option<Duration> {
        self.after_drain_at(bytes, Instant::now())
    }

    fn after_drain_at(&mut self, bytes: usize, now: Instant) -> Option<Duration> {
        let since = now.saturating_duration_since(self.last);
        self.last = now;
        if bytes == 0 || bytes >= self.eighth {
            return None;
        }
        // The time an eighth of the ring takes to fill at `bytes` per `since`.
        let fill_ns = (self.eighth as u128).saturating_mul(since.as_nanos()) / bytes as u128;
        // (The next drain's bytes come from the pause and the poll together:
        // `last` stays this drain's end.)
        Some(Duration::from_nanos(fill_ns.min(PACE_MAX.as_nanos()) as u64))
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
    mut out: BufWriter<Box<dyn Write + Send>>,
    subject: &dyn Subject,
    style: Style,
    stacks: Option<StackReader>,
    count: Option<u64>,
    interactive: bool,
    done: Arc<AtomicBool>,
) -> RenderReport {
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

/// The statement a run that writes payload bytes makes once on stderr as it
/// starts: which bytes, and where they go (None when the subject writes none).
pub fn payload_statement(subject: &dyn Subject, cfg: &Config) -> Option<String> {
    let payloads = subject.payloads(cfg);
    if payloads.is_empty() {
        return None;
    }
    let events = match &cfg.output {
        Some(path) => path.display().to_string(),
        None => "standard output".to_string(),
    };
    let parts: Vec<String> = payloads
        .iter()
        .map(|p| format!("{} to {}", p.what, p.file.as_ref().map_or(events.clone(), |f| f.display().to_string())))
        .collect();
    Some(format!(
        "argtrace: this run writes payload bytes, which may hold passwords, cookies and keys: {}",
        parts.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_pauses_only_while_the_ring_fills_slowly() {
        let start = Instant::now();
        // A 4 MiB ring: an eighth is 512 KiB.
        let mut pace = Pace { eighth: 512 << 10, last: start };
        // 64 KiB in 1 ms: an eighth fills in 8 ms, so the pause is PACE_MAX.
        assert_eq!(pace.after_drain_at(64 << 10, start + Duration::from_millis(1)), Some(PACE_MAX));
        // 256 KiB in 125 µs: an eighth fills in 250 µs, the pause's bound.
        let t = start + Duration::from_millis(1) + Duration::from_micros(125);
        assert_eq!(pace.after_drain_at(256 << 10, t), Some(Duration::from_micros(250)));
        // An eighth or more behind: no pause; nothing drained: no pause (the
        // poll itself waits).
        assert_eq!(pace.after_drain_at(512 << 10, t + Duration::from_millis(1)), None);
        assert_eq!(pace.after_drain_at(0, t + Duration::from_millis(2)), None);
    }
}
