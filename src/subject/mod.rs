//! The subjects argtrace traces, one module each, and their registry.
//!
//! A subject owns everything that is its own: its skeleton (`bpf/<name>.bpf.c`
//! compiled by build.rs) and the `Plain` impl of its record, its options and
//! rodata, its programs per probe mode (read from the object itself), and its
//! text line and JSON `args`. How its programs are picked and attached is its
//! probe family's (src/family/). Adding a subject means adding its module,
//! its `.bpf.c`, its record in `bpf/argtrace.h`, and one line in `subjects!`
//! below (docs/architecture.md).

use std::fmt::Debug;
use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::family::load::{Loaded, Slot, Tracer};
use crate::family::ProbeMode;
use crate::render::Style;
use crate::stack::StackReader;

/// Payload bytes a run writes: what of them (`up to 64 bytes of each send
/// (--peek 64)`), and the file they go to (None: where the events go, -o or
/// standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub what: String,
    pub file: Option<std::path::PathBuf>,
}

/// What the rest of argtrace knows of a subject.
pub trait Subject: Debug + Send + Sync {
    /// The subcommand's name: `tcp-connect`.
    fn name(&self) -> &'static str;

    /// Checks the subject's own options, after clap has parsed them.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// Checks the subject's options against the common ones (a filter the
    /// subject cannot apply), once the configuration is otherwise complete.
    /// `probe` is the forced mode, None for auto.
    fn check_config(&self, _cfg: &Config, _probe: Option<ProbeMode>) -> Result<()> {
        Ok(())
    }

    /// Opens the subject's own outputs (skb's --pcap), after argtrace's output
    /// and before any BPF work.
    fn start(&self, _cfg: &Config) -> Result<()> {
        Ok(())
    }

    /// The payload bytes this run writes, and where (tcp-send's and skb's
    /// --peek, skb's --pcap): said once on stderr as the run starts
    /// (src/private_file.rs).
    fn payloads(&self, _cfg: &Config) -> Vec<Payload> {
        Vec::new()
    }

    /// Ends the subject's own outputs once the last record is rendered;
    /// `lost` is the run's count of lost events. The error is an output error.
    fn finish(&self, _lost: u64) -> std::result::Result<(), String> {
        Ok(())
    }

    /// Whether the subject's own output failed (skb's pcap): the run ends
    /// after the record just rendered, and `finish` says why.
    fn stopped(&self) -> bool {
        false
    }

    /// Whether `render` already stored the record elsewhere (skb's pcap): a
    /// record whose line cannot be written (a closed pipe) still counts as
    /// written then, so that the counts agree with that file.
    fn keeps_records(&self) -> bool {
        false
    }

    /// Records the kernel still holds back when the run ends (sock's bind
    /// requests that never reached post_bind; syscall's calls still in
    /// flight, as `<unfinished ...>`), taken out of `tracer`'s maps to be
    /// rendered like ring-buffer records before the counts.
    fn leftovers(&self, _tracer: &Tracer) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// With -s, the summary row a leftover record (above) counts in, and
    /// whether it counts as a failure (sock: a bind the kernel never
    /// confirmed); None: the summary leaves it out.
    fn leftover_row(&self, _record: &[u8]) -> Option<(u32, bool)> {
        None
    }

    /// The probe modes the subject has programs for, in the order auto tries
    /// them: the call-hook modes, or cgroup alone for a socket subject.
    fn modes(&self) -> &'static [ProbeMode] {
        &ProbeMode::CALLS
    }

    /// Why the subject, as its options stand, has no `mode` (skb's --iface
    /// needs socket mode, its --cgroup cgroup mode); None: it never has it.
    fn why_no_mode(&self, _mode: ProbeMode) -> Option<String> {
        None
    }

    /// Whether the subject's events are calls, with an entry and a return
    /// (clone, mmap, tcp-connect, tcp-send): then -T times them and -s shows
    /// their durations, errors and histograms. The events of cgroup hooks
    /// (sock, skb) are instants: -T is refused and -s counts them only. The
    /// families of its modes say.
    fn has_calls(&self) -> bool {
        self.modes().iter().all(|m| m.family().has_calls())
    }

    /// The ELF section of every program in the subject's object that a run
    /// loads in its mode (`kprobe/ksys_mmap_pgoff`,
    /// `tracepoint/syscalls/sys_exit_mmap` ...): the one source of what
    /// argtrace attaches, for the benchmarks too.
    fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error>;

    /// The sections of the programs that only -T and -s load (`*_start`:
    /// where the call starts, when no other program of the mode sees it).
    fn timing_sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
        Ok(Vec::new())
    }

    /// The name of the subject's call numbered `call` by its BPF side
    /// (summary_row() in bpf/<name>.bpf.c): a row of the summary (-s).
    fn call_name(&self, call: u32) -> Option<&'static str>;

    /// Opens, configures (rodata, filters), loads and attaches the object in `mode`.
    fn load<'obj>(&self, storage: &'obj mut Slot, cfg: &Config, mode: ProbeMode) -> Loaded<'obj>;

    /// Appends one ring-buffer record as a text line or JSON object (and its
    /// stacks); false when the record is malformed.
    fn render(&self, record: &[u8], style: &Style, stacks: Option<&StackReader>, out: &mut String) -> bool;
}

/// The `Subject` impl of a subject whose programs live in one libbpf-rs
/// skeleton: its name, the sections of its object, the names of its calls
/// (`calls |call| { ... }`, the summary's rows), the load (with the subject's
/// own rodata, written by `rodata |this, ro| { ... }` where `this` is the
/// subject and `ro` the skeleton's rodata) and the rendering of its record
/// type. `check` keeps the trait's default.
macro_rules! skeleton_subject {
    ($ty:ty, $name:literal, $builder:path, $record:ty, calls |$call:ident| $calls:block) => {
        $crate::subject::skeleton_subject!(
            $ty,
            $name,
            $builder,
            $record,
            calls | $call | $calls,
            rodata | _this,
            _ro | {}
        );
    };
    ($ty:ty, $name:literal, $builder:path, $record:ty, calls |$call:ident| $calls:block,
     rodata |$this:ident, $ro:ident| $extra:block) => {
        impl $crate::subject::Subject for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
                $crate::family::load::skeleton_sections!($builder)
            }

            fn timing_sections(&self) -> std::result::Result<Vec<String>, libbpf_rs::Error> {
                $crate::family::load::skeleton_sections!($builder, timing)
            }

            fn call_name(&self, $call: u32) -> Option<&'static str> {
                $calls
            }

            fn load<'obj>(
                &self,
                storage: &'obj mut $crate::family::load::Slot,
                cfg: &$crate::config::Config,
                mode: $crate::family::ProbeMode,
            ) -> $crate::family::load::Loaded<'obj> {
                let $this = self;
                let target = $crate::family::Target { subject: $name, ..Default::default() };
                $crate::family::load::load_skeleton!($builder, storage, cfg, mode, &target, |$ro| $extra)
            }

            fn render(
                &self,
                record: &[u8],
                style: &$crate::render::Style,
                stacks: Option<&$crate::stack::StackReader>,
                out: &mut String,
            ) -> bool {
                $crate::render::record::<$record>(record, style, stacks, out)
            }
        }
    };
}
pub(crate) use skeleton_subject;

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
                k if k == types::argtrace_probe::PROBE_FENTRY.0 => $crate::family::ProbeMode::Fentry.name(),
                k if k == types::argtrace_probe::PROBE_KPROBE.0 => $crate::family::ProbeMode::Kprobe.name(),
                k if k == types::argtrace_probe::PROBE_TRACEPOINT.0 => $crate::family::ProbeMode::Tracepoint.name(),
                k if k == types::argtrace_probe::PROBE_CGROUP.0 => $crate::family::ProbeMode::Cgroup.name(),
                k if k == types::argtrace_probe::PROBE_SOCKET.0 => $crate::family::ProbeMode::Socket.name(),
                k if k == types::argtrace_probe::PROBE_TP_BTF.0 => $crate::family::ProbeMode::TpBtf.name(),
                k if k == types::argtrace_probe::PROBE_RAW_TP.0 => $crate::family::ProbeMode::RawTp.name(),
                _ => "unknown",
            },
            comm_len: comm.iter().position(|c| *c == 0).unwrap_or(comm.len()),
            comm,
            duration_ns: (h.timed != 0).then_some(h.duration_ns),
            cgroup_id: h.cgroup_id,
        }
    }};
}

/// The registry: each line names a subcommand, its module and its type (a
/// clap `Args` struct holding the subject's own options, which implements
/// `Subject`). It makes the `Command` enum clap parses and the lookup by name.
pub mod options;

macro_rules! subjects {
    ($( $(#[$doc:meta])* $variant:ident => $module:ident::$ty:ident, )*) => {
        $(pub mod $module;)*

        #[derive(clap::Subcommand, Debug)]
        pub enum Command {
            $( $(#[$doc])* $variant($module::$ty), )*
        }

        impl Command {
            pub fn into_subject(self) -> Arc<dyn Subject> {
                match self {
                    $( Command::$variant(s) => Arc::new(s), )*
                }
            }
        }

        /// Every subject with its default options, in the registry's order.
        pub fn all() -> Vec<Arc<dyn Subject>> {
            vec![$( Arc::new(<$module::$ty>::default()), )*]
        }
    };
}

/// The examples that end each subject's `--help`, as bcc's tools end theirs;
/// the man page's EXAMPLES section holds them too (tests/docs.rs checks it).
mod examples {
    pub const CLONE: &str = "\
Examples:
  argtrace clone                        # every process and thread creation of the machine
  argtrace clone -f -- make -j2         # make and all it starts, from their first call
  argtrace clone -s --interval 1 --json # each second, the creations counted in the kernel";
    pub const MMAP: &str = "\
Examples:
  argtrace mmap -p 1234 -t              # process 1234's mmap calls, with times
  argtrace mmap -- cat /etc/hostname    # cat's mappings, from its first call
  argtrace mmap -s -p 1234 -d 10        # ten seconds counted in the kernel, as strace -c";
    pub const TCP_CONNECT: &str = "\
Examples:
  argtrace tcp-connect -T                   # every TCP connect, with the time it took
  argtrace tcp-connect --family inet6 --json -o connects.json -d 1m # one minute of IPv6 connects as JSON";
    pub const SOCK: &str = "\
Examples:
  argtrace sock --proto udp --json          # where every UDP socket sends, and who made it
  argtrace sock --cgroup /sys/fs/cgroup/system.slice/nginx.service # one service's sockets
  argtrace sock -s -d 10                    # ten seconds of socket events counted in the kernel";
    pub const TCP_SEND: &str = "\
Examples:
  argtrace tcp-send --port 80 --peek 200 # the first 200 bytes of each send on port 80
  argtrace tcp-send --peek 0 -c curl    # curl's sends: addresses and sizes, no payload";
    pub const SKB: &str = "\
Examples:
  argtrace skb -p 1234 --pcap out.pcap  # process 1234's packets, both ways, for Wireshark
  argtrace skb --port 8080 --peek 32    # packets on port 8080, with the process that owns them
  argtrace skb --iface lo --port 8080   # the fallback: lo's packets, without processes";
    pub const SYSCALL: &str = "\
Examples:
  argtrace syscall -- ls /tmp            # every call of ls, as strace prints it
  argtrace syscall -e trace=%file -p 1234 # process 1234's calls that take a file name
  argtrace syscall -s -f -- make         # make's calls and its children's, counted";
}

subjects! {
    /// Process and thread creation: clone, clone3, fork, vfork.
    #[command(after_help = examples::CLONE)]
    Clone => clone::Clone,
    /// Memory mappings: the six arguments of mmap and the mapped address.
    #[command(after_help = examples::MMAP)]
    Mmap => mmap::Mmap,
    /// Active TCP opens: family, addresses, ports and connect's result.
    #[command(after_help = examples::TCP_CONNECT)]
    TcpConnect => tcp_connect::TcpConnect,
    /// Every inet socket's life from cgroup hooks: socket, bind, connect, UDP destinations, close.
    #[command(after_help = examples::SOCK)]
    Sock => sock::Sock,
    /// Sends on TCP sockets: addresses, size, iterator kind, the first bytes.
    #[command(after_help = examples::TCP_SEND)]
    TcpSend => tcp_send::TcpSend,
    /// Packets in and out of a cgroup: headers, payload bytes, the owning process; a pcap file.
    #[command(after_help = examples::SKB)]
    Skb => skb::Skb,
    /// Any syscall, its arguments typed by the running kernel (strace's -e trace= syntax).
    #[command(after_help = examples::SYSCALL)]
    Syscall => syscall::Syscall,
}

/// A subject with its default options, by subcommand name (`tcp-connect`).
pub fn by_name(name: &str) -> Option<Arc<dyn Subject>> {
    all().into_iter().find(|s| s.name() == name)
}

/// Where one of a subject's programs runs, parsed from its ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hook {
    /// `tracepoint/<category>/<name>`
    Tracepoint { category: String, name: String },
    /// `kprobe/<function>` or `kretprobe/<function>`
    Kprobe { function: String, ret: bool },
    /// `fentry/<function>` or `fexit/<function>`
    Fentry { function: String, exit: bool },
    /// `cgroup/<attach>`: a cgroup socket hook (`sock_create`, `connect4` ...);
    /// `cgroup_skb/ingress` and `cgroup_skb/egress` as `skb/ingress`, `skb/egress`.
    Cgroup { attach: String },
    /// `tp_btf/<tracepoint>` (btf) or `raw_tp/<tracepoint>`: a tracepoint
    /// by name alone, attached without tracefs's record format.
    RawTracepoint { name: String, btf: bool },
    /// `socket`: a socket filter, on an AF_PACKET socket (skb's fallback).
    SocketFilter,
    /// Any other section, as written.
    Other(String),
}

impl Hook {
    pub fn from_section(section: &str) -> Hook {
        let (kind, rest) = section.split_once('/').unwrap_or((section, ""));
        let function = rest.to_string();
        match kind {
            "tracepoint" | "tp" => match rest.split_once('/') {
                Some((category, name)) => Hook::Tracepoint { category: category.into(), name: name.into() },
                None => Hook::Other(section.into()),
            },
            "kprobe" => Hook::Kprobe { function, ret: false },
            "kretprobe" => Hook::Kprobe { function, ret: true },
            "fentry" => Hook::Fentry { function, exit: false },
            "fexit" => Hook::Fentry { function, exit: true },
            "cgroup" if !rest.is_empty() => Hook::Cgroup { attach: function },
            "tp_btf" => Hook::RawTracepoint { name: function, btf: true },
            "raw_tp" => Hook::RawTracepoint { name: function, btf: false },
            "cgroup_skb" if rest == "ingress" || rest == "egress" => Hook::Cgroup { attach: format!("skb/{rest}") },
            "socket" => Hook::SocketFilter,
            _ => Hook::Other(section.into()),
        }
    }
}

/// The hooks `subject` attaches in `mode`, read from its BPF object, each
/// once: a hook may have two programs of which one is loaded (tcp-send's
/// `_bpf_loop` variants, see `bpf::prepare`).
pub fn hooks(subject: &dyn Subject, mode: ProbeMode) -> std::result::Result<Vec<Hook>, libbpf_rs::Error> {
    let mut hooks = Vec::new();
    for hook in subject.sections()?.iter().filter(|s| mode.owns_section(s)).map(|s| Hook::from_section(s)) {
        if !hooks.contains(&hook) {
            hooks.push(hook);
        }
    }
    Ok(hooks)
}

/// The hooks `subject` attaches in `mode` with -T or -s: those of `hooks`
/// and the `*_start` ones.
pub fn timed_hooks(subject: &dyn Subject, mode: ProbeMode) -> std::result::Result<Vec<Hook>, libbpf_rs::Error> {
    let mut all = hooks(subject, mode)?;
    all.extend(subject.timing_sections()?.iter().filter(|s| mode.owns_section(s)).map(|s| Hook::from_section(s)));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subject_has_programs_in_each_of_its_modes() {
        for s in all() {
            for &mode in s.modes() {
                let hooks = hooks(&*s, mode).expect("open the object");
                assert!(!hooks.is_empty(), "{} has no {} programs", s.name(), mode.name());
                assert!(hooks.iter().all(|h| !matches!(h, Hook::Other(_))), "{hooks:?}");
            }
            // No program that only a mode the subject lacks would load (sock's
            // accept tracepoints are its cgroup mode's, though tracepoint
            // mode would claim them too).
            let sections = s.sections().expect("open the object");
            for mode in ProbeMode::ALL.into_iter().filter(|m| !s.modes().contains(m)) {
                let stray: Vec<&String> = sections
                    .iter()
                    .filter(|sec| mode.owns_section(sec) && !s.modes().iter().any(|m| m.owns_section(sec)))
                    .collect();
                assert!(stray.is_empty(), "{} has {} programs: {stray:?}", s.name(), mode.name());
            }
        }
    }

    #[test]
    fn mmap_hooks_are_what_the_object_says() {
        let mmap = by_name("mmap").expect("mmap is registered");
        // x86_64 also hooks the i386 entries of mmap2 and the old mmap,
        // arm64 the AArch32 one of mmap2.
        let functions: &[&str] = if cfg!(target_arch = "x86_64") {
            &["ksys_mmap_pgoff", "__ia32_sys_mmap_pgoff", "__ia32_compat_sys_ia32_mmap"]
        } else {
            &["ksys_mmap_pgoff", "__arm64_compat_sys_aarch32_mmap2"]
        };
        let kprobes: Vec<Hook> = functions
            .iter()
            .flat_map(|f| [false, true].map(|ret| Hook::Kprobe { function: f.to_string(), ret }))
            .collect();
        assert_eq!(hooks(&*mmap, ProbeMode::Kprobe).unwrap(), kprobes);
        let fexits: Vec<Hook> =
            functions.iter().map(|f| Hook::Fentry { function: f.to_string(), exit: true }).collect();
        assert_eq!(hooks(&*mmap, ProbeMode::Fentry).unwrap(), fexits);
        // -T and -s pair each fexit with an fentry on the same function.
        let mut timed = timed_hooks(&*mmap, ProbeMode::Fentry).unwrap();
        timed.sort_by_key(|h| format!("{h:?}"));
        let mut want: Vec<Hook> = functions
            .iter()
            .flat_map(|f| [true, false].map(|exit| Hook::Fentry { function: f.to_string(), exit }))
            .collect();
        want.sort_by_key(|h| format!("{h:?}"));
        assert_eq!(timed, want);
        assert_eq!(timed_hooks(&*mmap, ProbeMode::Tracepoint).unwrap(), hooks(&*mmap, ProbeMode::Tracepoint).unwrap());
    }

    #[test]
    fn timed_fentry_mode_has_a_start_for_every_exit() {
        // Every function whose fexit reports a call in fentry mode has an
        // fentry program stamping the call's start with -T and -s, so a
        // duration is always measured, never guessed.
        for s in all() {
            let timed = timed_hooks(&*s, ProbeMode::Fentry).unwrap();
            for h in &timed {
                if let Hook::Fentry { function, exit: true } = h {
                    let start = Hook::Fentry { function: function.clone(), exit: false };
                    assert!(timed.contains(&start), "{}: no fentry start for fexit {function}", s.name());
                }
            }
        }
    }

    #[test]
    fn every_subject_names_its_first_call() {
        for s in all() {
            assert!(s.call_name(0).is_some(), "{} names no call 0", s.name());
        }
    }
}
