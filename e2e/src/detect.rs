//! Which probe modes this kernel really has, found out by the tests themselves
//! and independently of argtrace's own choice (src/probe.rs): for each mode, an
//! empty BPF program (`r0 = 0; exit`) of the mode's program type is loaded with
//! raw bpf(2) calls and attached to the hook argtrace's mmap subject uses in
//! that mode, then everything is closed at once. A mode counts only if both the
//! load and the attach work: arm64 6.1 loads fentry programs but refuses to
//! attach them (524, ENOTSUPP).
//!
//!   fentry      BPF_PROG_TYPE_TRACING / BPF_TRACE_FENTRY on the BTF id of the
//!               FUNC `ksys_mmap_pgoff` in /sys/kernel/btf/vmlinux, attached with
//!               BPF_RAW_TRACEPOINT_OPEN
//!   kprobe      the kprobe PMU (/sys/bus/event_source/devices/kprobe/type):
//!               perf_event_open of a kprobe on `ksys_mmap_pgoff` and a
//!               BPF_PROG_TYPE_KPROBE program set on it (without the PMU, a
//!               probe written to and removed from tracefs' kprobe_events)
//!   tracepoint  tracefs (mounted on /sys/kernel/tracing if it is not, as
//!               argtrace does): events/syscalls/sys_enter_mmap, perf_event_open
//!               of its id and a BPF_PROG_TYPE_TRACEPOINT program set on it
//!
//! The raw bpf()/perf_event_open calls and the BTF walk are argtrace-testkit's,
//! which the benchmark's empty program (bench/src/emptyprog.rs) loads with too.

use std::fs;
use std::io;
use std::path::Path;

use argtrace_testkit::bpf::{self, Empty};
use argtrace_testkit::btf;

/// The modes in the order argtrace's auto tries them.
pub const ALL_MODES: [&str; 3] = ["fentry", "kprobe", "tracepoint"];

/// The function every trial attaches to (argtrace's mmap hook in fentry and kprobe mode).
const FUNC: &str = "ksys_mmap_pgoff";
/// The tracepoint the tracepoint trial attaches to (argtrace's mmap hook in that mode).
const TRACEPOINT: &str = "syscalls/sys_enter_mmap";
/// The trial programs' name, as bpftool shows them.
const NAME: &str = "e2e_detect";

/// What the kernel said to each mode's trial, in `ALL_MODES` order.
pub struct Detection {
    /// (mode, Ok(evidence) if the mode works, Err(why not) if it does not).
    pub trials: Vec<(&'static str, Result<String, String>)>,
}

impl Detection {
    pub fn modes(&self) -> Vec<String> {
        self.trials.iter().filter(|(_, r)| r.is_ok()).map(|(m, _)| m.to_string()).collect()
    }

    pub fn lacks(&self) -> Vec<String> {
        self.trials.iter().filter(|(_, r)| r.is_err()).map(|(m, _)| m.to_string()).collect()
    }

    /// The mode argtrace's auto must choose: the first that works in fentry >
    /// kprobe > tracepoint order, or None when no mode works.
    pub fn auto(&self) -> Option<String> {
        self.modes().into_iter().next()
    }

    /// One line: `E2E-KERNEL modes=M,.. auto=M lacks=M(why),.. has=M(evidence),..`
    /// (`none` for an empty list). `modes=` and `auto=` come first and have no
    /// spaces, so a reader can split on whitespace for them.
    pub fn line(&self) -> String {
        let list = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(",") };
        let with = |ok: bool| {
            list(
                self.trials
                    .iter()
                    .filter(|(_, r)| r.is_ok() == ok)
                    .map(|(m, r)| format!("{m}({})", r.as_ref().unwrap_or_else(|e| e)))
                    .collect(),
            )
        };
        format!(
            "E2E-KERNEL modes={} auto={} lacks={} has={}",
            list(self.modes()),
            self.auto().unwrap_or_else(|| "none".into()),
            with(false),
            with(true)
        )
    }
}

pub fn detect() -> Detection {
    Detection { trials: vec![("fentry", try_fentry()), ("kprobe", try_kprobe()), ("tracepoint", try_tracepoint())] }
}

/// `EPERM`, `ENOTSUPP 524`... from an io::Error.
fn errno(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => match argtrace::decode::errno_name(n as u64) {
            Some(name) if n >= 512 => format!("{name} {n}"),
            Some(name) => name.to_string(),
            None => format!("errno {n}"),
        },
        None => e.to_string(),
    }
}

fn try_fentry() -> Result<String, String> {
    let path = btf::VMLINUX;
    let btf = fs::read(path).map_err(|e| format!("no BTF: {path}: {}", errno(&e)))?;
    let id = btf::func_id(&btf, FUNC).ok_or(format!("no BTF FUNC {FUNC} in {path}"))?;
    let empty = Empty {
        expected_attach_type: bpf::BPF_TRACE_FENTRY,
        attach_btf_id: id,
        ..Empty::new(bpf::BPF_PROG_TYPE_TRACING, NAME)
    };
    let prog = empty.load().map_err(|e| format!("load: {}", errno(&e)))?;
    let link = bpf::raw_tracepoint_open(&prog, None).map_err(|e| format!("attach to {FUNC}: {}", errno(&e)))?;
    drop((link, prog));
    Ok(format!("{FUNC} BTF id {id} loaded and attached"))
}

fn try_kprobe() -> Result<String, String> {
    let pmu = bpf::KPROBE_PMU;
    if Path::new(pmu).join("type").exists() {
        let ty: u32 = read_trimmed(&format!("{pmu}/type"))
            .map_err(|e| format!("{pmu}/type: {}", errno(&e)))?
            .parse()
            .map_err(|e| format!("{pmu}/type: {e}"))?;
        let prog = Empty::new(bpf::BPF_PROG_TYPE_KPROBE, NAME).load().map_err(|e| format!("load: {}", errno(&e)))?;
        let name = std::ffi::CString::new(FUNC).expect("no NUL");
        let event = bpf::kprobe_event(ty, &name, 0).map_err(|e| format!("kprobe PMU on {FUNC}: {}", errno(&e)))?;
        // Left disabled: it never runs.
        bpf::set_bpf(&event, &prog, false).map_err(|e| format!("attach to {FUNC}: {}", errno(&e)))?;
        drop((event, prog));
        return Ok(format!("kprobe PMU type {ty} on {FUNC} opened and attached"));
    }
    // Kernels before 4.17 have kprobe_events but no PMU; libbpf falls back to it.
    let tracefs = ensure_tracefs().ok();
    let Some(events) = tracefs.map(|t| format!("{t}/kprobe_events")).filter(|p| Path::new(p).exists()) else {
        return Err("no kprobe PMU and no kprobe_events".into());
    };
    let probe = format!("argtrace_e2e/detect_{}", std::process::id());
    append(&events, &format!("p:{probe} {FUNC}"))
        .map_err(|e| format!("no kprobe PMU; kprobe_events on {FUNC}: {}", errno(&e)))?;
    let removed = append(&events, &format!("-:{probe}"));
    removed.map_err(|e| format!("removing the trial kprobe {probe}: {}", errno(&e)))?;
    Ok(format!("no kprobe PMU but kprobe_events took a probe on {FUNC}"))
}

fn try_tracepoint() -> Result<String, String> {
    let tracefs = ensure_tracefs()?;
    let id_path = format!("{tracefs}/events/{TRACEPOINT}/id");
    let id: u64 = read_trimmed(&id_path)
        .map_err(|e| format!("{id_path}: {}", errno(&e)))?
        .parse()
        .map_err(|e| format!("{id_path}: {e}"))?;
    let prog = Empty::new(bpf::BPF_PROG_TYPE_TRACEPOINT, NAME).load().map_err(|e| format!("load: {}", errno(&e)))?;
    let event = bpf::tracepoint_event(id).map_err(|e| format!("{TRACEPOINT} id {id}: {}", errno(&e)))?;
    bpf::set_bpf(&event, &prog, false).map_err(|e| format!("attach to {TRACEPOINT}: {}", errno(&e)))?;
    drop((event, prog));
    Ok(format!("{TRACEPOINT} id {id} opened and attached"))
}

fn read_trimmed(path: &str) -> io::Result<String> {
    Ok(fs::read_to_string(path)?.trim().to_string())
}

fn append(path: &str, line: &str) -> io::Result<()> {
    use std::io::Write;
    fs::OpenOptions::new().append(true).open(path)?.write_all(format!("{line}\n").as_bytes())
}

/// Mounts tracefs on /sys/kernel/tracing if neither usual place has it (what
/// argtrace and perf do); returns the directory that has `events/`.
fn ensure_tracefs() -> Result<&'static str, String> {
    for dir in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        if Path::new(dir).join("events").exists() {
            return Ok(dir);
        }
    }
    // SAFETY: all arguments are valid NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(c"tracefs".as_ptr(), c"/sys/kernel/tracing".as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null())
    };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(format!("no tracefs: mounting it on /sys/kernel/tracing failed: {}", errno(&e)));
    }
    if !Path::new("/sys/kernel/tracing/events").exists() {
        return Err("tracefs has no events/ directory".into());
    }
    Ok("/sys/kernel/tracing")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_puts_modes_and_auto_first() {
        let d = Detection {
            trials: vec![
                ("fentry", Err("load: EPERM".into())),
                ("kprobe", Err("no kprobe PMU and no kprobe_events".into())),
                ("tracepoint", Ok("syscalls/sys_enter_mmap id 7 opened and attached".into())),
            ],
        };
        assert_eq!(
            d.line(),
            "E2E-KERNEL modes=tracepoint auto=tracepoint \
             lacks=fentry(load: EPERM),kprobe(no kprobe PMU and no kprobe_events) \
             has=tracepoint(syscalls/sys_enter_mmap id 7 opened and attached)"
        );
        assert_eq!(d.lacks(), ["fentry", "kprobe"]);
        let none = Detection { trials: vec![("fentry", Err("x".into()))] };
        assert!(none.line().starts_with("E2E-KERNEL modes=none auto=none lacks=fentry(x) has=none"));
    }
}
