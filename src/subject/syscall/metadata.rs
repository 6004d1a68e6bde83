//! The running kernel's own syscall table: each number's name, argument
//! names and C types, from the struct syscall_metadata that
//! init_ftrace_syscalls() numbered at boot (the source of the tracefs format
//! files too). The nr-indexed array of them is the static `syscalls_metadata`,
//! whose address /proc/kallsyms shows only with CONFIG_KALLSYMS_ALL (Debian's
//! x86_64 kernels and arm64 from 6.12 have it; arm64 6.1 does not). Its
//! entries are read by bpf/syscall_meta.bpf.c, run once per number through
//! BPF_PROG_TEST_RUN (raw_tp programs: Linux 5.10), never attached.

use libbpf_rs::skel::{OpenSkel as _, SkelBuilder as _};
use libbpf_rs::ProgramInput;

use crate::config::Config;

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod skel {
    include!(concat!(env!("OUT_DIR"), "/syscall_meta.skel.rs"));
}

/// One syscall as the kernel describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub nr: u32,
    /// The kernel's name without `sys_`: `openat`, `newstat`, `arm64_personality`.
    pub name: String,
    /// (name, C type) of each argument.
    pub args: Vec<(String, String)>,
}

/// The numbers the dispatcher covers (bpf/syscall.h's NR_MAX).
const NR_MAX: u32 = 512;

/// The address of `syscalls_metadata` in /proc/kallsyms, or why there is none.
fn metadata_address() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/kallsyms").map_err(|e| format!("/proc/kallsyms: {e}"))?;
    let addr = text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let (addr, kind, name) = (w.next()?, w.next()?, w.next()?);
        (name == "syscalls_metadata" && matches!(kind, "b" | "B" | "d" | "D")).then_some(addr)
    });
    match addr.map(|a| u64::from_str_radix(a, 16)) {
        None => Err("the kernel hides syscalls_metadata from /proc/kallsyms: no CONFIG_KALLSYMS_ALL".into()),
        Some(Ok(0)) => Err("/proc/kallsyms hides kernel addresses from this user (kernel.kptr_restrict)".into()),
        Some(Ok(a)) => Ok(a),
        Some(Err(e)) => Err(format!("/proc/kallsyms: {e}")),
    }
}

fn text(bytes: &[i8]) -> String {
    let bytes: Vec<u8> = bytes.iter().take_while(|b| **b != 0).map(|b| *b as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The kernel's syscalls by number, or why they cannot be read.
/// ARGTRACE_NO_SYSCALL_METADATA=1 behaves as on a kernel that hides them.
pub fn read(cfg: &Config) -> Result<Vec<Entry>, String> {
    if crate::family::pretend_missing("SYSCALL_METADATA") {
        return Err("ARGTRACE_NO_SYSCALL_METADATA=1".into());
    }
    let addr = metadata_address()?;
    let failed = |e: libbpf_rs::Error| format!("reading syscalls_metadata with BPF failed: {e}");
    let mut builder = skel::SyscallMetaSkelBuilder::default();
    if !cfg.btf_is_kernels() {
        builder.obj_builder.btf_custom_path(&cfg.btf).map_err(failed)?;
    }
    let mut storage = std::mem::MaybeUninit::uninit();
    let mut open = builder.open(&mut storage).map_err(failed)?;
    open.maps.rodata_data.as_deref_mut().expect("rodata is memory-mapped").metadata_addr = addr;
    let skel = open.load().map_err(failed)?;
    let mut entries = Vec::new();
    for nr in 0..NR_MAX {
        let mut ctx = u64::from(nr).to_ne_bytes();
        let input = ProgramInput { context_in: Some(&mut ctx), ..Default::default() };
        let out = skel.progs.read_syscall_meta.test_run(input).map_err(failed)?;
        if out.return_value == 2 {
            return Err("syscalls_metadata is empty (the kernel has not numbered its syscalls)".into());
        }
        let m = &skel.maps.bss_data.as_deref().expect("bss is memory-mapped").out;
        let name = text(&m.name);
        // An entry is the kernel's only if it names itself with this number.
        let Some(name) = name.strip_prefix("sys_").filter(|_| m.nr == nr as i32) else { continue };
        let n = (m.nb_args as usize).min(6);
        let args = (0..n).map(|i| (text(&m.args[i]), text(&m.types[i]))).collect();
        entries.push(Entry { nr, name: name.to_string(), args });
    }
    if entries.is_empty() {
        return Err("syscalls_metadata has no entries".into());
    }
    Ok(entries)
}
