//! Loading one subject's BPF object in one probe mode, the same way for every
//! subject: the in-kernel filters written between open and load, the programs
//! of the other modes switched off, and the attach. The skeletons themselves
//! live in their subjects' modules (src/subject/).

use libbpf_rs::skel::Skel;
use libbpf_rs::{MapCore, MapFlags, MapHandle, OpenObject};

use crate::cli::{Config, PendingArg};

/// A hook family. A subject that hooks calls (clone, mmap, tcp-connect) has
/// programs for the first three in one object; a socket subject (sock) has
/// cgroup programs only; skb has cgroup programs and a socket filter. Each
/// subject says which it has (`Subject::modes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeMode {
    Fentry,
    Kprobe,
    Tracepoint,
    /// cgroup socket hooks, attached with bpf_links to a cgroup v2 directory.
    Cgroup,
    /// A socket filter on an AF_PACKET socket (skb's fallback): packets of
    /// an interface, without their process.
    Socket,
}

impl ProbeMode {
    pub const ALL: [ProbeMode; 5] =
        [ProbeMode::Fentry, ProbeMode::Kprobe, ProbeMode::Tracepoint, ProbeMode::Cgroup, ProbeMode::Socket];

    /// The modes of a subject that hooks calls, in the order auto tries them.
    pub const CALLS: [ProbeMode; 3] = [ProbeMode::Fentry, ProbeMode::Kprobe, ProbeMode::Tracepoint];

    pub fn name(self) -> &'static str {
        match self {
            ProbeMode::Fentry => "fentry",
            ProbeMode::Kprobe => "kprobe",
            ProbeMode::Tracepoint => "tracepoint",
            ProbeMode::Cgroup => "cgroup",
            ProbeMode::Socket => "socket",
        }
    }

    /// Whether a program's ELF section belongs to this mode.
    pub fn owns_section(self, section: &str) -> bool {
        let prefixes: &[&str] = match self {
            ProbeMode::Fentry => &["fentry/", "fexit/"],
            ProbeMode::Kprobe => &["kprobe/", "kretprobe/"],
            ProbeMode::Tracepoint => &["tracepoint/", "tp/", "tp_btf/", "raw_tp/"],
            ProbeMode::Cgroup => &["cgroup/", "cgroup_skb/"],
            ProbeMode::Socket => return section == "socket" || section.starts_with("socket/"),
        };
        prefixes.iter().any(|p| section.starts_with(p))
    }

    /// Whether programs of this mode may take stacks (bpf_get_stackid is a
    /// tracing helper; cgroup programs and socket filters do not have it).
    pub fn has_stacks(self) -> bool {
        !matches!(self, ProbeMode::Cgroup | ProbeMode::Socket)
    }
}

/// Where a mode failed, for the message that says why it was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Open,
    Load,
    Filters,
    Attach,
    /// A refusal that no other mode may paper over (an occupied cgroup): the
    /// error is the whole line, and auto tries nothing else, so a socket
    /// subject never falls back to tracing more than it was asked for.
    Refused,
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
    /// The cgroup attachments (cgroup mode); the skeleton holds the others.
    pub links: Vec<libbpf_rs::Link>,
    /// Descriptors that keep a program attached, closed with the tracer (the
    /// AF_PACKET socket of a socket filter).
    pub held: Vec<std::os::fd::OwnedFd>,
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
        // Events of cgroup hooks and socket filters have no call in flight.
        ProbeMode::Cgroup | ProbeMode::Socket => return false,
    };
    // SAFETY: the probes take no pointers but the optional (null) options.
    let map = unsafe { sys::libbpf_probe_bpf_map_type(sys::BPF_MAP_TYPE_TASK_STORAGE, std::ptr::null()) };
    // SAFETY: as above.
    let helper = |id| unsafe { sys::libbpf_probe_bpf_helper(prog_type, id, std::ptr::null()) } == 1;
    map == 1 && helper(sys::BPF_FUNC_task_storage_get) && helper(sys::BPF_FUNC_get_current_task_btf)
}

/// Where calls wait for their return in `mode`: true for task-local storage.
pub fn use_task_storage(cfg: &Config, mode: ProbeMode) -> bool {
    if matches!(mode, ProbeMode::Cgroup | ProbeMode::Socket) {
        return false;
    }
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
/// Two optional parts, for cgroup subjects: `open |open| { ... }` runs on the
/// opened skeleton before load and returns a `libbpf_rs::Result<()>` (e.g. a
/// map the kernel lacks is not created), and `cgroup DIR` (a
/// `&crate::sys::CgroupDir`) attaches every loaded program to that cgroup
/// with a bpf_link, which the skeleton's own attach cannot do.
macro_rules! load_skeleton {
    ($builder:ty, $storage:expr, $cfg:expr, $mode:expr, |$ro:ident| $extra:block) => {
        $crate::bpf::load_skeleton!($builder, $storage, $cfg, $mode, |$ro| $extra, open |_open| { Ok(()) }, cgroup None)
    };
    ($builder:ty, $storage:expr, $cfg:expr, $mode:expr, |$ro:ident| $extra:block,
     open |$open:ident| $open_extra:block, cgroup $cgroup:expr) => {{
        use libbpf_rs::skel::{OpenSkel as _, Skel as _, SkelBuilder as _};
        use $crate::bpf::{at, Stage};
        let cfg: &$crate::cli::Config = $cfg;
        let cgroup: Option<&$crate::sys::CgroupDir> = $cgroup;
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
        {
            let $open = &mut open;
            let done: libbpf_rs::Result<()> = $open_extra;
            done.map_err(at(Stage::Open))?;
        }
        let skel = open.load().map_err(at(Stage::Load))?;
        $crate::bpf::fill_filter_maps(skel.object(), cfg).map_err(at(Stage::Filters))?;
        let mut skel: Box<dyn libbpf_rs::skel::Skel<'_> + '_> = Box::new(skel);
        let links = match cgroup {
            Some(dir) => $crate::bpf::attach_cgroup(skel.object(), dir)?,
            None => {
                skel.attach().map_err(at(Stage::Attach))?;
                Vec::new()
            }
        };
        Ok($crate::bpf::Tracer { links, held: Vec::new(), skel, mode: $mode })
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

/// Whether the running kernel has the hook of a raw tracepoint program
/// (`tp_btf/<name>`, `raw_tp/<name>`); other sections are taken as present.
/// A subject's raw tracepoint programs add to its syscall tracepoints where
/// the kernel has them (tcp-send's tcp:tcp_sendmsg_locked is in 6.18, not in
/// 6.1 or 6.12), so a missing one is left out instead of failing the mode.
fn hook_exists(section: &str) -> bool {
    match section.split_once('/') {
        Some(("tp_btf" | "raw_tp", name)) => crate::sys::tracepoint_exists(name),
        _ => true,
    }
}

/// The suffix of a program that calls bpf_loop() (Linux 5.17): it is loaded
/// where the kernel has the helper, instead of the program of the same name
/// without the suffix (same hook, a bounded loop instead), which is loaded
/// elsewhere. One object cannot serve both: a kernel before 5.13 refuses a
/// program that merely names a bpf_loop() callback, even in dead code
/// (bpf/tcp_send.bpf.c, user_iov_total).
const BPF_LOOP_SUFFIX: &str = "_bpf_loop";

/// Whether programs of `prog_type` may call bpf_loop() on this kernel (a
/// probe load). A probe that cannot tell counts as no: the variant without
/// it loads everywhere, only slower. ARGTRACE_NO_BPF_LOOP=1 makes argtrace
/// behave as on a kernel without it, so that the tests can prove that path
/// on kernels that all have it.
fn have_bpf_loop(prog_type: libbpf_rs::ProgramType) -> bool {
    if std::env::var_os("ARGTRACE_NO_BPF_LOOP").is_some_and(|v| v == "1") {
        return false;
    }
    prog_type.is_helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_loop).unwrap_or(false)
}

/// Switches off the programs of the other modes (and raw tracepoint programs
/// whose tracepoint this kernel lacks, one of each `_bpf_loop` pair, and the
/// `*_start` ones without -T or -s), sizes the maps, and leaves uncreated the
/// maps this run does not use: the ring buffer with -s, the summary's
/// counters without, and whichever of task storage and hash does not hold the
/// pending calls (the verifier drops the code that would use them: it reads
/// the same choices in rodata).
pub fn prepare(obj: &mut OpenObject, cfg: &Config, mode: ProbeMode, task_storage: bool) -> libbpf_rs::Result<()> {
    let names: Vec<String> = obj.progs().map(|p| p.name().to_string_lossy().into_owned()).collect();
    let mut bpf_loop = None;
    for mut prog in obj.progs_mut() {
        let section = prog.section().to_string_lossy().into_owned();
        let name = prog.name().to_string_lossy().into_owned();
        let timing_only = is_timing_program(&name);
        let owned = mode.owns_section(&section) && (cfg.timing() || !timing_only);
        let mut present = owned && hook_exists(&section);
        if owned && !present && cfg.verbose {
            crate::say!("argtrace: leaving out {section}: this kernel has no such tracepoint");
        }
        let needs_loop = name.ends_with(BPF_LOOP_SUFFIX);
        let has_loop_variant = names.iter().any(|n| *n == format!("{name}{BPF_LOOP_SUFFIX}"));
        if present && (needs_loop || has_loop_variant) {
            let have = *bpf_loop.get_or_insert_with(|| have_bpf_loop(prog.prog_type()));
            present = have == needs_loop;
            if needs_loop && !have && cfg.verbose {
                crate::say!("argtrace: {section}: this kernel has no bpf_loop(), a bounded loop is verified instead");
            }
        }
        prog.set_autoload(present);
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

/// Attaches every loaded program of the object to the cgroup `dir`, each
/// with its own bpf_link (BPF_F_ALLOW_MULTI: beside whatever else is attached
/// there). The links end with the process, so a killed argtrace leaves
/// nothing attached.
/// A hook that already holds a program attached without it refuses every
/// other program: that is named (Stage::Refused), never blamed on the kernel.
pub fn attach_cgroup(obj: &libbpf_rs::Object, dir: &crate::sys::CgroupDir) -> Result<Vec<libbpf_rs::Link>, LoadError> {
    let mut links = Vec::new();
    for p in obj.progs_mut().filter(|p| p.autoload()) {
        match p.attach_cgroup(dir.fd()) {
            Ok(link) => links.push(link),
            Err(error) => {
                let section = p.section().to_string_lossy().into_owned();
                return Err(match occupant(dir, p.attach_type() as u32) {
                    Some(flags) => LoadError {
                        stage: Stage::Refused,
                        error: libbpf_rs::Error::from(std::io::Error::other(format!(
                            "the cgroup {} is occupied: its {section} hook holds a program attached without \
                             BPF_F_ALLOW_MULTI ({flags}), which lets no other program beside it (bpftool cgroup \
                             tree shows it); detach it, or trace another cgroup with --cgroup",
                            dir.path().display()
                        ))),
                    },
                    None => LoadError { stage: Stage::Attach, error },
                });
            }
        }
    }
    Ok(links)
}

/// The attach flags of a program attached to `dir` at `attach_type` without
/// BPF_F_ALLOW_MULTI (`flags 0` or `BPF_F_ALLOW_OVERRIDE`), if any.
fn occupant(dir: &crate::sys::CgroupDir, attach_type: u32) -> Option<&'static str> {
    use libbpf_rs::libbpf_sys as sys;
    let (mut flags, mut count) = (0u32, 0u32);
    // SAFETY: flags and count are writable; a null id array asks for the count only.
    let rc = unsafe { sys::bpf_prog_query(dir.fd(), attach_type, 0, &mut flags, std::ptr::null_mut(), &mut count) };
    if rc != 0 || count == 0 || flags & sys::BPF_F_ALLOW_MULTI != 0 {
        return None;
    }
    Some(if flags & sys::BPF_F_ALLOW_OVERRIDE != 0 { "BPF_F_ALLOW_OVERRIDE" } else { "flags 0" })
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
