//! Loading one subject's BPF object in one probe mode, the same way for every
//! subject: the in-kernel filters written between open and load, the programs
//! of the other modes switched off, and the attach. The skeletons themselves
//! live in their subjects' modules (src/subject/).


use libbpf_rs::skel::Skel;
use libbpf_rs::{MapCore, MapFlags, MapHandle, OpenObject};

use crate::cli::{Config, PendingArg};

/// A hook family. Every subject has programs for all three in one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeMode {
    Fentry,
    Kprobe,
    Tracepoint,
}

impl ProbeMode {
    pub const ALL: [ProbeMode; 3] = [ProbeMode::Fentry, ProbeMode::Kprobe, ProbeMode::Tracepoint];

    pub fn name(self) -> &'static str {
        match self {
            ProbeMode::Fentry => "fentry",
            ProbeMode::Kprobe => "kprobe",
            ProbeMode::Tracepoint => "tracepoint",
        }
    }

    /// Whether a program's ELF section belongs to this mode.
    pub fn owns_section(self, section: &str) -> bool {
        let prefixes: &[&str] = match self {
            ProbeMode::Fentry => &["fentry/", "fexit/"],
            ProbeMode::Kprobe => &["kprobe/", "kretprobe/"],
            ProbeMode::Tracepoint => &["tracepoint/", "tp/"],
        };
        prefixes.iter().any(|p| section.starts_with(p))
    }
}

/// Where a mode failed, for the message that says why it was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Open,
    Load,
    Filters,
    Attach,
}

#[derive(Debug)]
pub struct LoadError {
    pub stage: Stage,
    pub error: libbpf_rs::Error,
}

pub fn at(stage: Stage) -> impl FnOnce(libbpf_rs::Error) -> LoadError {
    move |error| LoadError { stage, error }
}

/// A loaded, attached subject. Dropping it detaches every program.
pub struct Tracer<'obj> {
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
}

/// Programs named `*_start` (bpf/common.bpf.h) stamp the start of a call for
/// -T and -s, where no other program of the mode sees it (fentry mode; the
/// connect syscall's entry for tcp-connect). They load only then.
pub fn is_timing_program(name: &str) -> bool {
    name.ends_with("_start")
}

/// Whether the programs of `mode` may keep a call's entry in task-local
/// storage (BPF_MAP_TYPE_TASK_STORAGE, Linux 5.11+, and the helpers in this
/// program type), asked of the kernel with libbpf's probes. fentry programs
/// share the tracing helpers of tracepoint programs: these stand in for them
/// (libbpf cannot probe a tracing program without a function to attach to).
pub fn task_storage_usable(mode: ProbeMode) -> bool {
    use libbpf_rs::libbpf_sys as sys;
    let prog_type = match mode {
        ProbeMode::Kprobe => sys::BPF_PROG_TYPE_KPROBE,
        ProbeMode::Fentry | ProbeMode::Tracepoint => sys::BPF_PROG_TYPE_TRACEPOINT,
    };
    // SAFETY: the probes take no pointers but the optional (null) options.
    let map = unsafe { sys::libbpf_probe_bpf_map_type(sys::BPF_MAP_TYPE_TASK_STORAGE, std::ptr::null()) };
    // SAFETY: as above.
    let helper = |id| unsafe { sys::libbpf_probe_bpf_helper(prog_type, id, std::ptr::null()) } == 1;
    map == 1 && helper(sys::BPF_FUNC_task_storage_get) && helper(sys::BPF_FUNC_get_current_task_btf)
}

/// Where calls wait for their return in `mode`: true for task-local storage.
pub fn use_task_storage(cfg: &Config, mode: ProbeMode) -> bool {
    match cfg.pending_table {
        PendingArg::Task => true,
        PendingArg::Hash => false,
        PendingArg::Auto => task_storage_usable(mode),
    }
}

/// Sets the filters and switches every object shares (bpf/common.bpf.h) in
/// its rodata.
macro_rules! set_common_rodata {
    ($ro:expr, $cfg:expr, $task_storage:expr) => {{
        let ro = $ro;
        let cfg: &$crate::cli::Config = $cfg;
        // One pid is compared in the program; several are looked up in pid_filter.
        ro.only_pid = if cfg.pids.len() == 1 { cfg.pids[0] } else { 0 };
        ro.filter_pid = cfg.pids.len() > 1;
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
        ro.use_task_storage = $task_storage;
        // A quarter of the ring, at most 64 KiB: a burst is read in batches
        // long before the ring fills.
        ro.wakeup_bytes = (cfg.ringbuf_size.unwrap_or(4 << 20) as u64 / 4).min(64 * 1024);
    }};
}

/// Opens, configures, loads and attaches one skeleton in one mode; `$extra`
/// writes the subject's own rodata. Used by every subject's `load`.
macro_rules! load_skeleton {
    ($builder:ty, $storage:expr, $cfg:expr, $mode:expr, |$ro:ident| $extra:block) => {{
        use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};
        use $crate::bpf::{at, Stage};
        let cfg: &$crate::cli::Config = $cfg;
        let mut builder = <$builder>::default();
        if !cfg.btf_is_kernels() {
            builder.obj_builder.btf_custom_path(&cfg.btf).map_err(at(Stage::Open))?;
        }
        let mut open = builder.open($storage).map_err(at(Stage::Open))?;
        let task_storage = $crate::bpf::use_task_storage(cfg, $mode);
        {
            let $ro = open.maps.rodata_data.as_deref_mut().expect("rodata is memory-mapped");
            $crate::bpf::set_common_rodata!(&mut *$ro, cfg, task_storage);
            $extra
        }
        $crate::bpf::prepare(open.open_object_mut(), cfg, $mode, task_storage).map_err(at(Stage::Open))?;
        let skel = open.load().map_err(at(Stage::Load))?;
        $crate::bpf::fill_filter_maps(skel.object(), cfg).map_err(at(Stage::Filters))?;
        let mut skel: Box<dyn libbpf_rs::skel::Skel<'_> + '_> = Box::new(skel);
        skel.attach().map_err(at(Stage::Attach))?;
        Ok($crate::bpf::Tracer { skel, mode: $mode })
    }};
}

/// The ELF sections of the programs in a skeleton's object, opened but not
/// loaded (no privilege or BTF needed): those every run loads, or with
/// `timing` those only -T and -s load (`*_start`). Used by every subject's
/// `sections` (and `timing_sections`).
macro_rules! skeleton_sections {
    ($builder:ty) => {
        $crate::bpf::skeleton_sections!($builder, false)
    };
    ($builder:ty, timing) => {
        $crate::bpf::skeleton_sections!($builder, true)
    };
    ($builder:ty, $timing:expr) => {{
        use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
        let mut storage = std::mem::MaybeUninit::uninit();
        let open = <$builder>::default().open(&mut storage)?;
        let sections: Vec<String> = open
            .open_object()
            .progs()
            .filter(|p| $crate::bpf::is_timing_program(&p.name().to_string_lossy()) == $timing)
            .map(|p| p.section().to_string_lossy().into_owned())
            .collect();
        Ok(sections)
    }};
}

pub(crate) use {load_skeleton, set_common_rodata, skeleton_sections};

/// Switches off the programs of the other modes (and the `*_start` ones
/// without -T or -s), sizes the maps, and leaves uncreated the maps this run
/// does not use: the ring buffer with -s, the summary's counters without, and
/// whichever of task storage and hash does not hold the pending calls (the
/// verifier drops the code that would use them: it reads the same choices in
/// rodata).
pub fn prepare(obj: &mut OpenObject, cfg: &Config, mode: ProbeMode, task_storage: bool) -> libbpf_rs::Result<()> {
    for mut prog in obj.progs_mut() {
        let section = prog.section().to_string_lossy().into_owned();
        let timing_only = is_timing_program(&prog.name().to_string_lossy());
        prog.set_autoload(mode.owns_section(&section) && (cfg.timing() || !timing_only));
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
            Some("pending_tasks") => map.set_autocreate(task_storage)?,
            Some("pending") => map.set_autocreate(!task_storage)?,
            _ => {}
        }
    }
    Ok(())
}

/// Writes the pid and tid filters, after load and before attach.
pub fn fill_filter_maps(obj: &libbpf_rs::Object, cfg: &Config) -> libbpf_rs::Result<()> {
    for map in obj.maps() {
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
