//! Loading one subject's BPF object in one probe mode, the same way for every
//! subject and family: the in-kernel filters written between open and load,
//! only the programs of the mode (as its family picks them), the maps this
//! run uses, and the attach by the mode's family. The skeletons themselves
//! live in their subjects' modules (src/subject/).

use libbpf_rs::skel::Skel;
use libbpf_rs::{MapCore, MapFlags, MapHandle, OpenObject};

use super::ProbeMode;
use crate::config::Config;

/// Where one attempt's object lives; the winner's tracer borrows it.
pub type Slot = std::mem::MaybeUninit<OpenObject>;

/// The outcome of loading and attaching a subject in one mode.
pub type Loaded<'obj> = Result<Tracer<'obj>, super::LoadError>;

/// A loaded, attached subject. Dropping it detaches every program.
pub struct Tracer<'obj> {
    /// What its family attached (links, held descriptors); dropped first.
    pub attachment: super::Attachment,
    pub skel: Box<dyn Skel<'obj> + 'obj>,
    pub mode: ProbeMode,
}

impl Tracer<'_> {
    /// A map of the object by name, as an owned handle other threads may use.
    pub fn map(&self, name: &str) -> libbpf_rs::Result<MapHandle> {
        let map = self
            .skel
            .object()
            .maps()
            .find(|m| m.name() == name)
            .ok_or_else(|| libbpf_rs::Error::from(std::io::Error::other(format!("no map {name}"))))?;
        MapHandle::try_from(&map)
    }

    /// The per-CPU count of events lost in the kernel (bpf/argtrace.bpf.h's `drops`).
    pub fn drops(&self) -> libbpf_rs::Result<Drops> {
        self.map("drops").map(Drops)
    }

    /// How many times the kernel skipped one of the object's programs
    /// (bpf_prog_info's recursion_misses, 5.12+; 0 before): a trampoline
    /// (fentry, fexit) or raw tracepoint that fired while a BPF program
    /// already ran on that CPU is not run at all, so whatever it would have
    /// seen is lost without the program knowing. On a preemptible kernel
    /// (Debian's 7.x boot with lazy preemption) the unfinished run may be
    /// another task's, preempted inside the same program: a child just out of
    /// fork in the raw sys_exit program makes the kernel skip it for its
    /// parent on that CPU (a return so missed leaves its call in the thread's
    /// slot, and the thread's next call counts it as lost).
    pub fn skipped_runs(&self) -> u64 {
        use std::os::fd::{AsFd as _, AsRawFd as _};
        self.skel
            .object()
            .progs()
            .map(|prog| {
                let mut info = libbpf_rs::libbpf_sys::bpf_prog_info::default();
                let mut len = std::mem::size_of_val(&info) as u32;
                // SAFETY: the kernel writes at most `len` bytes into `info`, a
                // bpf_prog_info it owns for the call; the fd is the program's.
                let r = unsafe {
                    libbpf_rs::libbpf_sys::bpf_prog_get_info_by_fd(prog.as_fd().as_raw_fd(), &mut info, &mut len)
                };
                if r == 0 {
                    info.recursion_misses
                } else {
                    0
                }
            })
            .sum()
    }
}

/// The line that says the kernel skipped runs of argtrace's programs, if it did.
pub fn skipped_line(skipped: u64) -> Option<String> {
    (skipped > 0).then(|| {
        format!(
            "argtrace: the kernel skipped {skipped} runs of argtrace's programs (on that CPU another BPF program, \
             or a preempted run of the same one, was unfinished): events of traced tasks may be among them, not \
             counted as lost"
        )
    })
}

/// The `drops` map of a loaded object.
pub struct Drops(MapHandle);

impl Drops {
    /// The sum of the per-CPU drop counters.
    pub fn read(&self) -> u64 {
        match self.0.lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY) {
            Ok(Some(per_cpu)) => per_cpu
                .iter()
                .filter_map(|v| v.get(..8).map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes"))))
                .sum(),
            _ => 0,
        }
    }
}

/// Sets the filters and switches every object shares (bpf/argtrace.bpf.h) in
/// its rodata.
macro_rules! set_common_rodata {
    ($ro:expr, $cfg:expr, $task_storage:expr) => {{
        let ro = $ro;
        let cfg: &$crate::config::Config = $cfg;
        // One pid is compared in the program; several are looked up in pid_filter.
        // With -f the follow map holds the pids and tids instead.
        ro.follow_forks = cfg.follow;
        ro.only_pid = if cfg.pids.len() == 1 && !cfg.follow { cfg.pids[0] } else { 0 };
        ro.filter_pid = cfg.pids.len() > 1 && !cfg.follow;
        ro.filter_tid = !cfg.tids.is_empty();
        ro.filter_uid = cfg.uid.is_some();
        ro.target_uid = cfg.uid.unwrap_or(0);
        if let Some(comm) = cfg.comm {
            ro.filter_comm = true;
            for (dst, src) in ro.target_comm.iter_mut().zip(comm) {
                *dst = src as _;
            }
        }
        ro.want_stacks = cfg.stack;
        ro.self_pid = std::process::id();
        ro.summary_mode = cfg.summary;
        ro.timing = cfg.timing();
        ro.want_clock = cfg.timestamp || cfg.json || cfg.timing();
        ro.want_cgroup_id = cfg.json || cfg.container_info;
        ro.use_task_storage = $task_storage;
        // A quarter of the ring, at most 64 KiB: a burst is read in batches
        // long before the ring fills.
        let ring = cfg.ringbuf_size.unwrap_or(4 << 20) as u64;
        ro.wakeup_bytes = (ring / 4).min(64 * 1024);
        // Past a quarter of the ring, every record wakes the reader (and so
        // slows the traced task) until it catches up.
        ro.lag_bytes = ring / 4;
    }};
}

/// Opens, configures, loads and attaches one skeleton in one mode; `$extra`
/// writes the subject's own rodata, and `$target` (a `&family::Target`) says
/// where the mode's family attaches. Used by every subject's `load`. An
/// optional `open |open| { ... }` runs on the opened skeleton before load
/// and returns a `libbpf_rs::Result<()>` (e.g. a map the kernel lacks is not
/// created, a program the options leave out is not loaded).
macro_rules! load_skeleton {
    ($builder:ty, $storage:expr, $cfg:expr, $mode:expr, $target:expr, |$ro:ident| $extra:block) => {
        $crate::family::load::load_skeleton!(
            $builder,
            $storage,
            $cfg,
            $mode,
            $target,
            |$ro| $extra,
            open | _open | { Ok(()) }
        )
    };
    ($builder:ty, $storage:expr, $cfg:expr, $mode:expr, $target:expr, |$ro:ident| $extra:block,
     open |$open:ident| $open_extra:block) => {{
        use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};
        use $crate::family::{at, Stage};
        let cfg: &$crate::config::Config = $cfg;
        let mode: $crate::family::ProbeMode = $mode;
        let mut builder = <$builder>::default();
        if !cfg.btf_is_kernels() {
            builder.obj_builder.btf_custom_path(&cfg.btf).map_err(at(Stage::Open))?;
        }
        let mut open = builder.open($storage).map_err(at(Stage::Open))?;
        let task_storage = mode.family().task_storage(cfg, mode);
        {
            let $ro = open.maps.rodata_data.as_deref_mut().expect("rodata is memory-mapped");
            $crate::family::load::set_common_rodata!(&mut *$ro, cfg, task_storage);
            // The cgroup family attaches to the cgroup instead (its program
            // types may not call bpf_current_task_under_cgroup).
            $ro.filter_cgroup = cfg.cgroup.is_some() && mode.family().name() != "cgroup";
            $extra
        }
        $crate::family::load::prepare(open.open_object_mut(), cfg, mode).map_err(at(Stage::Open))?;
        {
            let $open = &mut open;
            let done: libbpf_rs::Result<()> = $open_extra;
            done.map_err(at(Stage::Open))?;
        }
        let skel = open.load().map_err(at(Stage::Load))?;
        $crate::family::load::fill_filter_maps(skel.object(), cfg).map_err(at(Stage::Filters))?;
        let attachment = mode.family().attach(skel.object(), mode, $target)?;
        Ok($crate::family::load::Tracer { attachment, skel: Box::new(skel), mode })
    }};
}

/// The ELF sections of the programs in a skeleton's object, opened but not
/// loaded (no privilege or BTF needed): those every run loads, or with
/// `timing` those only -T and -s load (`*_start`). Used by every subject's
/// `sections` (and `timing_sections`).
macro_rules! skeleton_sections {
    ($builder:ty) => {
        $crate::family::load::skeleton_sections!($builder, false)
    };
    ($builder:ty, timing) => {
        $crate::family::load::skeleton_sections!($builder, true)
    };
    ($builder:ty, $timing:expr) => {{
        use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
        let mut storage = std::mem::MaybeUninit::uninit();
        let open = <$builder>::default().open(&mut storage)?;
        let sections: Vec<String> = open
            .open_object()
            .progs()
            .filter(|p| $crate::family::calls::is_timing_program(&p.name().to_string_lossy()) == $timing)
            .map(|p| p.section().to_string_lossy().into_owned())
            .collect();
        Ok(sections)
    }};
}

pub(crate) use {load_skeleton, set_common_rodata, skeleton_sections};

/// Switches off the programs of the other modes (the mode's family then
/// picks among its own), sizes the maps, and leaves uncreated the shared
/// maps this run does not use: the ring buffer with -s, the summary's
/// counters without.
pub fn prepare(obj: &mut OpenObject, cfg: &Config, mode: ProbeMode) -> libbpf_rs::Result<()> {
    for mut prog in obj.progs_mut() {
        let owned = mode.owns_section(&prog.section().to_string_lossy());
        prog.set_autoload(owned);
        if owned && std::env::var_os("ARGTRACE_VERIFIER_STATS").is_some() {
            prog.set_log_level(4);
        }
    }
    for mut map in obj.maps_mut() {
        match map.name().to_str() {
            Some("events") => {
                if let Some(size) = cfg.ringbuf_size {
                    map.set_max_entries(size)?;
                }
                map.set_autocreate(!cfg.summary)?;
            }
            Some("stacks") if cfg.stack => map.set_max_entries(16384)?,
            Some("call_stats" | "call_errors" | "summary_gen") => map.set_autocreate(cfg.summary)?,
            Some("follow") if !cfg.follow => map.set_max_entries(1)?,
            _ => {}
        }
    }
    mode.family().prepare(obj, cfg, mode)
}

/// What an entry of the follow map stands for (enum argtrace_follow in bpf/argtrace.h).
const FOLLOW_PROCESS: u8 = 1;
const FOLLOW_THREAD: u8 = 2;

/// Writes the pid and tid filters (with -f, the follow map's first entries),
/// after load and before attach.
pub fn fill_filter_maps(obj: &libbpf_rs::Object, cfg: &Config) -> libbpf_rs::Result<()> {
    for map in obj.maps() {
        if map.name().to_str() == Some("cgroup_filter") {
            if let Some(dir) = &cfg.cgroup_dir {
                // Opened when the command line was checked (a cgroup removed
                // since is still this one: nothing in it any more).
                map.update(&0u32.to_ne_bytes(), &(dir.fd() as u32).to_ne_bytes(), MapFlags::ANY)?;
            }
            continue;
        }
        if cfg.follow && map.name().to_str() == Some("follow") {
            let seeds = cfg.pids.iter().map(|p| (p, FOLLOW_PROCESS)).chain(cfg.tids.iter().map(|t| (t, FOLLOW_THREAD)));
            for (id, how) in seeds {
                map.update(&id.to_ne_bytes(), &[how], MapFlags::ANY)?;
            }
            continue;
        }
        let ids = match map.name().to_str() {
            Some("pid_filter") => &cfg.pids,
            Some("tid_filter") => &cfg.tids,
            _ => continue,
        };
        for id in ids {
            map.update(&id.to_ne_bytes(), &[1u8], MapFlags::ANY)?;
        }
    }
    Ok(())
}
