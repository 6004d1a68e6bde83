//! prctl() as strace 6.1 prints it (src/prctl.c, SYS_FUNC(prctl)): the
//! option by name (src/xlat/prctl_options.in, in xlat_data.rs), then each
//! option's arguments in strace's shape for it. Options strace decodes that
//! are not transcribed here (PR_SET_VMA's name, PR_SET_SECCOMP's filter, the
//! arm64 and speculation controls) print their arguments in hex, strace's
//! default for the options it does not know.

use super::structs::{quoted, u32_at, u64_at};
use super::xlat_data as x;
use super::{hex, print_flags, print_xval, ptr};

/// The option's name, `PR_???` style as strace's printxval.
pub fn option(v: u64) -> String {
    print_xval(v & 0xffff_ffff, x::PRCTL_OPTIONS, "PR_???")
}

fn name_of(v: u64) -> &'static str {
    x::PRCTL_OPTIONS.iter().find(|(k, _)| *k == v & 0xffff_ffff).map_or("", |(_, n)| n)
}

/// A NUL-terminated string of at most `max` bytes read in `b`
/// (printstr_ex with QUOTE_0_TERMINATED): `...` where `max` bytes hold no
/// NUL (a 15-byte name then prints cut, as strace prints it); None where
/// fewer were read and none ends them (the rest of the name could not be
/// read: strace prints the address).
fn comm(b: &[u8], max: usize) -> Option<String> {
    match b.iter().take(max).position(|&c| c == 0) {
        Some(end) => Some(quoted(&b[..end], false)),
        None if b.len() >= max => Some(quoted(&b[..max], true)),
        None => None,
    }
}

/// prctl's argument `k` (1: arg2 ... 4: arg5), or None where strace prints
/// none. `args`: the five words; `entry`/`out`: arg2's 16 bytes read at entry
/// and, when the call succeeded, at return.
pub fn arg(args: &[u64; 6], k: usize, entry: Option<&[u8]>, out: Option<&[u8]>) -> Option<String> {
    let v = args[k];
    let (a2, name) = (args[1], name_of(args[0]));
    let rest_hex = |from: usize| (k >= from).then(|| hex(v));
    let only_arg2 = |s: String| (k == 1).then_some(s);
    // The value the kernel wrote through arg2, or its address (umove_or_printaddr).
    let indirect = |f: &dyn Fn(&[u8]) -> String| {
        only_arg2(out.filter(|b| b.len() >= 4).map_or_else(|| ptr(a2), |b| format!("[{}]", f(b))))
    };
    match name {
        "PR_GET_KEEPCAPS"
        | "PR_GET_SECCOMP"
        | "PR_GET_TIMERSLACK"
        | "PR_GET_TIMING"
        | "PR_GET_DUMPABLE"
        | "PR_GET_SECUREBITS"
        | "PR_TASK_PERF_EVENTS_DISABLE"
        | "PR_TASK_PERF_EVENTS_ENABLE" => None,
        "PR_GET_CHILD_SUBREAPER" | "PR_GET_ENDIAN" | "PR_GET_FPEMU" | "PR_GET_FPEXC" => {
            indirect(&|b| u32_at(b, 0).to_string())
        }
        "PR_GET_PDEATHSIG" => indirect(&|b| super::process::signal_name(u64::from(u32_at(b, 0)))),
        "PR_GET_TSC" => indirect(&|b| print_xval(u64::from(u32_at(b, 0)), x::PR_TSC, "PR_TSC_???")),
        "PR_GET_UNALIGN" => {
            indirect(&|b| print_flags(u64::from(u32_at(b, 0)), &[x::PR_UNALIGN_FLAGS], Some("PR_UNALIGN_???")))
        }
        "PR_GET_TID_ADDRESS" => {
            only_arg2(out.filter(|b| b.len() >= 8).map_or_else(|| ptr(a2), |b| format!("[{}]", ptr(u64_at(b, 0)))))
        }
        "PR_GET_NAME" => only_arg2(out.and_then(|b| comm(b, 16)).unwrap_or_else(|| ptr(a2))),
        "PR_SET_NAME" => only_arg2(entry.and_then(|b| comm(b, 15)).unwrap_or_else(|| ptr(a2))),
        "PR_SET_CHILD_SUBREAPER"
        | "PR_SET_ENDIAN"
        | "PR_SET_FPEMU"
        | "PR_SET_FPEXC"
        | "PR_SET_KEEPCAPS"
        | "PR_SET_TIMING" => only_arg2(a2.to_string()),
        "PR_SET_DUMPABLE" => only_arg2(print_xval(a2, x::PR_DUMPABLE, "SUID_DUMP_???")),
        "PR_CAPBSET_DROP" | "PR_CAPBSET_READ" => only_arg2(print_xval(a2, x::CAP, "CAP_???")),
        "PR_CAP_AMBIENT" => match k {
            1 => Some(print_xval(a2, x::PR_CAP_AMBIENT, "PR_CAP_AMBIENT_???")),
            // PR_CAP_AMBIENT_IS_SET 1, RAISE 2, LOWER 3 take a capability.
            2 if (1..=3).contains(&a2) => Some(print_xval(v, x::CAP, "CAP_???")),
            _ => Some(hex(v)),
        },
        "PR_MCE_KILL" => match k {
            1 => Some(print_xval(a2, x::PR_MCE_KILL, "PR_MCE_KILL_???")),
            // PR_MCE_KILL_SET: the policy.
            2 if a2 == 1 => Some(print_xval(v, x::PR_MCE_KILL_POLICY, "PR_MCE_KILL_???")),
            _ => Some(hex(v)),
        },
        "PR_SET_MM" => match k {
            1 => Some(print_xval(a2 & 0xffff_ffff, x::PR_SET_MM, "PR_SET_MM_???")),
            _ => Some(hex(v)),
        },
        "PR_SET_PDEATHSIG" => only_arg2(if a2 > 128 { a2.to_string() } else { super::process::signal_name(a2) }),
        "PR_SET_PTRACER" if a2 as i32 == -1 => only_arg2("PR_SET_PTRACER_ANY".into()),
        "PR_SET_PTRACER" => only_arg2((a2 as i32).to_string()),
        "PR_SET_SECCOMP" => match (k, a2) {
            (1, _) => Some(print_xval(a2, x::SECCOMP_MODE, "SECCOMP_MODE_???")),
            // SECCOMP_MODE_STRICT: no more; FILTER: the program (not read: its address).
            (_, 1) => None,
            (2, 2) => Some(ptr(v)),
            (_, 2) => None,
            _ => Some(hex(v)),
        },
        "PR_SET_SECUREBITS" => only_arg2(print_flags(a2, &[x::SECBITS], Some("SECBIT_???"))),
        "PR_SET_TIMERSLACK" => only_arg2((a2 as i64).to_string()),
        "PR_SET_TSC" => only_arg2(print_xval(a2 & 0xffff_ffff, x::PR_TSC, "PR_TSC_???")),
        "PR_SET_UNALIGN" => only_arg2(print_flags(a2 & 0xffff_ffff, &[x::PR_UNALIGN_FLAGS], Some("PR_UNALIGN_???"))),
        "PR_SET_NO_NEW_PRIVS" | "PR_SET_THP_DISABLE" | "PR_SET_IO_FLUSHER" if k == 1 => Some(a2.to_string()),
        _ => rest_hex(1),
    }
}

/// prctl's result where strace adds to it (RVAL_STR): `1 (SUID_DUMP_USER)`,
/// `0x2 (SECBIT_NOROOT_LOCKED)`.
pub fn result(args: &[u64; 6], ret: i64) -> Option<String> {
    let found = |t: super::Xlat| t.iter().find(|(k, _)| *k == ret as u64).map(|(_, n)| *n);
    match name_of(args[0]) {
        "PR_GET_DUMPABLE" => found(x::PR_DUMPABLE).map(|n| format!("{ret} ({n})")),
        "PR_MCE_KILL_GET" => found(x::PR_MCE_KILL_POLICY).map(|n| format!("{ret} ({n})")),
        "PR_GET_SECUREBITS" if ret != 0 => {
            Some(format!("{:#x} ({})", ret, print_flags(ret as u64, &[x::SECBITS], None)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: [u64; 6], entry: Option<&[u8]>, out: Option<&[u8]>) -> String {
        let mut v = vec![option(args[0])];
        v.extend((1..5).filter_map(|k| arg(&args, k, entry, out)));
        v.join(", ")
    }

    // strace 6.1's lines for the same calls (its tests/prctl-*.c).
    #[test]
    fn prctl_as_strace_prints_it() {
        let name = *b"argtrace\0\0\0\0\0\0\0\0";
        assert_eq!(line([15, 0x7f00, 0, 0, 0, 0], Some(&name), None), "PR_SET_NAME, \"argtrace\"");
        assert_eq!(line([16, 0x7f00, 0, 0, 0, 0], None, Some(&name)), "PR_GET_NAME, \"argtrace\"");
        assert_eq!(line([16, 0x7f00, 0, 0, 0, 0], None, None), "PR_GET_NAME, 0x7f00");
        assert_eq!(line([1, 15, 0, 0, 0, 0], None, None), "PR_SET_PDEATHSIG, SIGTERM");
        let sig = [9u8, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(line([2, 0x7f00, 0, 0, 0, 0], None, Some(&sig)), "PR_GET_PDEATHSIG, [SIGKILL]");
        assert_eq!(line([38, 1, 0, 0, 0, 0], None, None), "PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0");
        assert_eq!(line([39, 0, 0, 0, 0, 0], None, None), "PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0");
        assert_eq!(line([4, 1, 0, 0, 0, 0], None, None), "PR_SET_DUMPABLE, SUID_DUMP_USER");
        assert_eq!(line([3, 0, 0, 0, 0, 0], None, None), "PR_GET_DUMPABLE");
        assert_eq!(line([23, 21, 0, 0, 0, 0], None, None), "PR_CAPBSET_READ, CAP_SYS_ADMIN");
        assert_eq!(line([0x59616d61, u64::MAX, 0, 0, 0, 0], None, None), "PR_SET_PTRACER, PR_SET_PTRACER_ANY");
        assert_eq!(result(&[3, 0, 0, 0, 0, 0], 1).as_deref(), Some("1 (SUID_DUMP_USER)"));
        assert_eq!(result(&[15, 0, 0, 0, 0, 0], 0), None);
    }
}
