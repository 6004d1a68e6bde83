//! The floor: an empty BPF program (`r0 = 0; exit`; for cgroup hooks
//! `r0 = 1; exit`, see emptycgroup.rs) on exactly the hooks
//! argtrace uses for a subject in a probe mode (read from argtrace's own BPF
//! object for that subject), loaded with raw bpf() calls (the test kit's
//! `bpf`: no libbpf, no object file of its own). What it costs is the hook itself.
//! Run as `argtrace-bench empty-bpf <subject> [--probe tracepoint|kprobe|fentry|cgroup] [--timed]`
//! (--timed: also the hooks argtrace adds with -T and -s, its `*_start` programs):
//! prints `argtrace-bench: empty program attached ...` on stderr once every hook
//! is live, and detaches and exits 0 on SIGINT or SIGTERM.

use std::fs;
use std::io;
use std::os::fd::OwnedFd;

use argtrace::family::ProbeMode;
use argtrace::subject::{self, Hook};
use argtrace_testkit::bpf::{self, Empty};
use argtrace_testkit::btf;

use crate::sys;

/// A probe mode by the name argtrace's --probe gives it.
fn parse_mode(s: &str) -> Option<ProbeMode> {
    ProbeMode::ALL.into_iter().find(|m| m.name() == s)
}

/// argtrace's subjects, as its subcommands name them.
fn subject_names(sep: &str) -> String {
    let names: Vec<&str> = subject::all().iter().map(|s| s.name()).collect();
    names.join(sep)
}

/// The hooks argtrace attaches for `subject` in `mode`, from the product itself
/// (its subject's BPF object), so the floor is measured on the same places;
/// `timed`: those it attaches with -T or -s (its `*_start` programs added,
/// `Subject::timing_sections`).
fn hooks(subject: &str, mode: ProbeMode, timed: bool) -> Result<Vec<Hook>, String> {
    let Some(s) = subject::by_name(subject) else {
        return Err(format!("unknown subject `{subject}` ({})", subject_names(", ")));
    };
    let hooks = if timed { subject::timed_hooks(&*s, mode) } else { subject::hooks(&*s, mode) };
    hooks.map_err(|e| format!("reading the hooks of {subject} from its BPF object: {e}"))
}

pub fn main(args: &[String]) -> ! {
    let mut subject = None;
    let mut mode = ProbeMode::Tracepoint;
    let mut timed = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timed" => timed = true,
            "--probe" => match it.next().and_then(|m| parse_mode(m)) {
                Some(m) => mode = m,
                None => die("--probe needs tracepoint, kprobe, fentry or cgroup"),
            },
            s if subject.is_none() => subject = Some(s.to_string()),
            other => die(&format!("unexpected argument `{other}`")),
        }
    }
    let Some(subject) = subject else {
        die(&format!(
            "usage: argtrace-bench empty-bpf {} [--probe tracepoint|kprobe|fentry|cgroup] [--timed]",
            subject_names("|")
        ))
    };
    // Blocked before attaching: a stop that arrives early still ends us cleanly.
    let stop = sys::block_stop_signals();
    let hooks = hooks(&subject, mode, timed).unwrap_or_else(|e| die(&e));
    let mut live = Vec::new();
    for hook in &hooks {
        match attach(hook) {
            Ok(fds) => live.push(fds),
            Err(e) => die(&format!("attaching the empty program to {hook:?} failed: {e}")),
        }
    }
    eprintln!("argtrace-bench: empty program attached to {} {} hooks of {subject}", live.len(), mode.name());
    sys::wait_signal(&stop);
    drop(live);
    std::process::exit(0);
}

fn die(msg: &str) -> ! {
    eprintln!("argtrace-bench: {msg}");
    std::process::exit(1);
}

/// Its name in bpftool and in the run-time statistics.
const NAME: &str = "bench_empty";

fn read_trimmed(path: &str) -> io::Result<String> {
    Ok(fs::read_to_string(path)?.trim().to_string())
}

/// Loads and attaches one empty program; the descriptors keep it attached.
fn attach(hook: &Hook) -> io::Result<Vec<OwnedFd>> {
    match hook {
        Hook::Tracepoint { category, name } => {
            let tracefs = argtrace::sys::ensure_tracefs().map_err(io::Error::other)?;
            let id: u64 =
                read_trimmed(&format!("{tracefs}/events/{category}/{name}/id"))?.parse().map_err(io::Error::other)?;
            let prog = Empty::new(bpf::BPF_PROG_TYPE_TRACEPOINT, NAME).load_logged()?;
            let event = bpf::tracepoint_event(id)?;
            bpf::set_bpf(&event, &prog, true)?;
            Ok(vec![prog, event])
        }
        Hook::Kprobe { function: func, ret } => {
            let pmu = bpf::KPROBE_PMU;
            let ty: u32 = read_trimmed(&format!("{pmu}/type"))?.parse().map_err(io::Error::other)?;
            let mut config = 0u64;
            if *ret {
                // "config:0" on every kernel so far; read it rather than assume.
                let bit: u64 = read_trimmed(&format!("{pmu}/format/retprobe"))?
                    .trim_start_matches("config:")
                    .parse()
                    .map_err(io::Error::other)?;
                config = 1 << bit;
            }
            let name = std::ffi::CString::new(func.as_str()).map_err(io::Error::other)?;
            let prog = Empty::new(bpf::BPF_PROG_TYPE_KPROBE, NAME).load_logged()?;
            let event = bpf::kprobe_event(ty, &name, config)?;
            bpf::set_bpf(&event, &prog, true)?;
            Ok(vec![prog, event])
        }
        Hook::Fentry { function: func, exit } => {
            let attach_btf_id = btf::vmlinux_func_id(func)?;
            let expected_attach_type = if *exit { bpf::BPF_TRACE_FEXIT } else { bpf::BPF_TRACE_FENTRY };
            let empty = Empty { expected_attach_type, attach_btf_id, ..Empty::new(bpf::BPF_PROG_TYPE_TRACING, NAME) };
            let prog = empty.load_logged()?;
            let link = bpf::raw_tracepoint_open(&prog, None)?;
            Ok(vec![prog, link])
        }
        Hook::Cgroup { attach } => crate::emptycgroup::attach(attach),
        Hook::SocketFilter => Err(io::Error::other("no empty program for a socket filter")),
        // tcp-send's tp_btf program is left out where the kernel lacks its
        // tracepoint, as argtrace leaves it out.
        // (tracefs mounted first: whether it exists is read there.)
        Hook::RawTracepoint { name, .. }
            if argtrace::sys::ensure_tracefs().is_ok() && !argtrace::sys::tracepoint_exists(name) =>
        {
            Ok(vec![])
        }
        Hook::RawTracepoint { name, .. } => {
            let name = std::ffi::CString::new(name.as_str()).map_err(io::Error::other)?;
            let prog = Empty::new(bpf::BPF_PROG_TYPE_RAW_TRACEPOINT, NAME).load_logged()?;
            let link = bpf::raw_tracepoint_open(&prog, Some(&name))?;
            Ok(vec![prog, link])
        }
        Hook::Other(section) => Err(io::Error::other(format!("no empty program for section `{section}`"))),
    }
}

#[cfg(test)]
mod tests {
    use argtrace::family::ProbeMode;
    use argtrace::subject::{self, Hook};

    #[test]
    fn timed_hooks_are_the_plain_ones_and_the_start_programs() {
        for s in subject::all() {
            for &mode in s.modes() {
                let plain = super::hooks(s.name(), mode, false).expect("plain hooks");
                let timed = super::hooks(s.name(), mode, true).expect("timed hooks");
                assert!(timed.starts_with(&plain), "{} {}", s.name(), mode.name());
                assert!(timed.iter().all(|h| !matches!(h, Hook::Other(_))), "{} {}: {timed:?}", s.name(), mode.name());
            }
        }
        // mmap's fexit in fentry mode gets its fentry with -T and -s.
        let timed = super::hooks("mmap", ProbeMode::Fentry, true).unwrap();
        assert!(timed.contains(&Hook::Fentry { function: "ksys_mmap_pgoff".into(), exit: false }));
    }
}
