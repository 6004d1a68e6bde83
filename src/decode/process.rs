//! Process tables, as strace prints them: clone's and clone3's flags
//! (src/clone.c, src/xlat/clone_flags.in, src/xlat/clone3_flags.in) and
//! signal names (src/signal.c, src/linux/generic/signalent.h).

use super::{print_flags, Xlat};

// ---------------------------------------------------------------- clone ---

/// The CLONE_* bits: the one place argtrace (and its tests) spell them.
pub const CLONE_VM: u64 = 0x0000_0100;
pub const CLONE_FS: u64 = 0x0000_0200;
pub const CLONE_FILES: u64 = 0x0000_0400;
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
pub const CLONE_PIDFD: u64 = 0x0000_1000;
pub const CLONE_PTRACE: u64 = 0x0000_2000;
pub const CLONE_VFORK: u64 = 0x0000_4000;
pub const CLONE_PARENT: u64 = 0x0000_8000;
pub const CLONE_THREAD: u64 = 0x0001_0000;
pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
pub const CLONE_SETTLS: u64 = 0x0008_0000;
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
pub const CLONE_IO: u64 = 0x8000_0000;
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// src/xlat/clone_flags.in, in its order (CLONE_PIDFD sits after
/// CLONE_SIGHAND; CLONE_DETACHED is left out because the kernel ignores it,
/// so 0x400000 is printed as an unknown bit).
pub(crate) const CLONE_FLAGS: Xlat = &[
    (CLONE_VM, "CLONE_VM"),
    (CLONE_FS, "CLONE_FS"),
    (CLONE_FILES, "CLONE_FILES"),
    (CLONE_SIGHAND, "CLONE_SIGHAND"),
    (CLONE_PIDFD, "CLONE_PIDFD"),
    (CLONE_PTRACE, "CLONE_PTRACE"),
    (CLONE_VFORK, "CLONE_VFORK"),
    (CLONE_PARENT, "CLONE_PARENT"),
    (CLONE_THREAD, "CLONE_THREAD"),
    (CLONE_NEWNS, "CLONE_NEWNS"),
    (CLONE_SYSVSEM, "CLONE_SYSVSEM"),
    (CLONE_SETTLS, "CLONE_SETTLS"),
    (CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"),
    (CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
    (CLONE_UNTRACED, "CLONE_UNTRACED"),
    (CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"),
    (CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
    (CLONE_NEWUTS, "CLONE_NEWUTS"),
    (CLONE_NEWIPC, "CLONE_NEWIPC"),
    (CLONE_NEWUSER, "CLONE_NEWUSER"),
    (CLONE_NEWPID, "CLONE_NEWPID"),
    (CLONE_NEWNET, "CLONE_NEWNET"),
    (CLONE_IO, "CLONE_IO"),
];

/// src/xlat/clone3_flags.in: printed after all of CLONE_FLAGS.
/// CLONE_NEWTIME lives in clone's signal byte, so only clone3 can name it.
const CLONE3_FLAGS: Xlat = &[
    (CLONE_NEWTIME, "CLONE_NEWTIME"),
    (CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"),
    (CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"),
];

/// The low byte of clone's flags is the exit signal, not a flag.
const CSIGNAL: u64 = 0xff;

/// clone's `flags` argument as strace's SYS_FUNC(clone) prints it:
/// the CLONE_* names, then `|` and the exit signal; a lone signal (or `0`)
/// when no flag bit is set.  e.g. `CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD`.
pub fn clone_flags(flags: u64) -> String {
    let sig = flags & CSIGNAL;
    let rest = flags & !CSIGNAL;
    if rest == 0 {
        return signal_name(sig);
    }
    let mut out = print_flags(rest, &[CLONE_FLAGS], Some("CLONE_???"));
    if sig != 0 {
        out.push('|');
        out.push_str(&signal_name(sig));
    }
    out
}

/// clone3's `clone_args.flags` (64-bit, no signal byte): strace runs
/// clone_flags then clone3_flags through printflags_ex with "CLONE_???".
pub fn clone3_flags(flags: u64) -> String {
    print_flags(flags, &[CLONE_FLAGS, CLONE3_FLAGS], Some("CLONE_???"))
}

// -------------------------------------------------------------- signals ---

/// src/linux/generic/signalent.h (used by both x86_64 and aarch64):
/// index = signal number; 0 has no name (signame() only names sig > 0).
const SIGNALS: [&str; 33] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIGRTMIN",
];

/// ASM_SIGRTMIN / __SIGRTMAX on x86_64 and aarch64.
const SIGRTMIN: i32 = 32;
const SIGRTMAX: i32 = 64;

/// A signal number as strace's printsignal() prints it: `SIGCHLD`,
/// `SIGRTMIN` for 32, `SIGRT_1`..`SIGRT_32` for 33..=64, otherwise the
/// plain decimal number (`0`, `65`, `-1`).
///
/// printsignal() takes a C `int`, so like strace only the low 32 bits count
/// (`kill(pid, 0x100000011)` shows `SIGCHLD`, 0xffffffff shows `-1`).
/// For clone3's 64-bit `exit_signal` strace calls this only when the value
/// is below INT_MAX and prints the plain u64 otherwise; that check is the
/// caller's.
pub fn signal_name(sig: u64) -> String {
    let s = sig as u32 as i32;
    if s > 0 && (s as usize) < SIGNALS.len() {
        SIGNALS[s as usize].to_string()
    } else if (SIGRTMIN..=SIGRTMAX).contains(&s) {
        format!("SIGRT_{}", s - SIGRTMIN)
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- clone (src/clone.c SYS_FUNC(clone), tests/clone-flags.c) ----

    #[test]
    fn clone_flags_known_with_signal() {
        // glibc's fork(): clone(..., flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, ...)
        assert_eq!(clone_flags(0x0120_0011), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
        assert_eq!(clone_flags(0x200 | 17), "CLONE_FS|SIGCHLD");
        assert_eq!(clone_flags(0x0010_0000 | 17), "CLONE_PARENT_SETTID|SIGCHLD");
        // CLONE_PIDFD is listed right after CLONE_SIGHAND, not in bit order.
        assert_eq!(clone_flags(0x1000 | 17), "CLONE_PIDFD|SIGCHLD");
    }

    #[test]
    fn clone_flags_thread_create() {
        // pthread_create's flags, as strace prints them.
        assert_eq!(
            clone_flags(0x003d_0f00),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM\
             |CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID"
        );
    }

    #[test]
    fn clone_flags_zero_and_signal_only() {
        assert_eq!(clone_flags(0), "0");
        assert_eq!(clone_flags(17), "SIGCHLD");
        assert_eq!(clone_flags(0x200), "CLONE_FS");
        assert_eq!(clone_flags(0x8000_0000), "CLONE_IO");
    }

    #[test]
    fn clone_flags_signal_byte_variants() {
        // 0x80 is CLONE_NEWTIME for clone3 but a signal number for clone.
        assert_eq!(clone_flags(0x80), "128");
        assert_eq!(clone_flags(40), "SIGRT_8");
        assert_eq!(clone_flags(64), "SIGRT_32");
        assert_eq!(clone_flags(65), "65");
        assert_eq!(clone_flags(255), "255");
        assert_eq!(clone_flags(32), "SIGRTMIN");
    }

    #[test]
    fn clone_flags_unknown_bits() {
        // CLONE_DETACHED is not in strace's table.
        assert_eq!(clone_flags(0x0040_0011), "0x400000 /* CLONE_??? */|SIGCHLD");
        assert_eq!(clone_flags(0x0040_0000), "0x400000 /* CLONE_??? */");
        assert_eq!(clone_flags(0x1_0000_0011), "0x100000000 /* CLONE_??? */|SIGCHLD");
        assert_eq!(
            clone_flags(0x7fff_ff00),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_PIDFD|CLONE_PTRACE|CLONE_VFORK\
             |CLONE_PARENT|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|CLONE_SETTLS\
             |CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|CLONE_UNTRACED|CLONE_CHILD_SETTID\
             |CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID\
             |CLONE_NEWNET|0x400000"
        );
        assert_eq!(
            clone_flags(u64::MAX),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_PIDFD|CLONE_PTRACE|CLONE_VFORK\
             |CLONE_PARENT|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|CLONE_SETTLS\
             |CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID|CLONE_UNTRACED|CLONE_CHILD_SETTID\
             |CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID\
             |CLONE_NEWNET|CLONE_IO|0xffffffff00400000|255"
        );
    }

    // ---- clone3 (src/clone.c SYS_FUNC(clone3), tests/clone3.c) ----

    #[test]
    fn clone3_flags_known() {
        assert_eq!(clone3_flags(0x0010_0000), "CLONE_PARENT_SETTID");
        assert_eq!(clone3_flags(0x0010_0000 | 0x1_0000_0000), "CLONE_PARENT_SETTID|CLONE_CLEAR_SIGHAND");
        assert_eq!(clone3_flags(0x2_0000_0000), "CLONE_INTO_CGROUP");
        assert_eq!(clone3_flags(0x80), "CLONE_NEWTIME");
        // clone3_flags entries come after every clone_flags entry.
        assert_eq!(clone3_flags(0x2_0000_0100), "CLONE_VM|CLONE_INTO_CGROUP");
    }

    #[test]
    fn clone3_flags_zero() {
        assert_eq!(clone3_flags(0), "0");
    }

    #[test]
    fn clone3_flags_from_strace_test_suite() {
        // tests/clone3.c, XLAT_KNOWN(0xface3eefbeefc0de, ...)
        assert_eq!(
            clone3_flags(0xface_3eef_beef_c0de),
            "CLONE_VFORK|CLONE_PARENT|CLONE_THREAD|CLONE_NEWNS|CLONE_SYSVSEM|CLONE_SETTLS\
             |CLONE_CHILD_CLEARTID|CLONE_UNTRACED|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC\
             |CLONE_NEWUSER|CLONE_NEWPID|CLONE_IO|CLONE_NEWTIME|CLONE_CLEAR_SIGHAND\
             |CLONE_INTO_CGROUP|0xface3eec0040005e"
        );
        // tests/clone3.c, XLAT_UNKNOWN(0xdec0deac0040007f, "CLONE_???")
        assert_eq!(clone3_flags(0xdec0_deac_0040_007f), "0xdec0deac0040007f /* CLONE_??? */");
        // tests/clone3.c, "CLONE_SETTLS|0xbad0000000000001"
        assert_eq!(clone3_flags(0xbad0_0000_0008_0001), "CLONE_SETTLS|0xbad0000000000001");
        assert_eq!(clone3_flags(0x40_0000), "0x400000 /* CLONE_??? */");
    }

    // ---- signals (src/signal.c signame()/printsignal()) ----

    #[test]
    fn signal_name_known() {
        assert_eq!(signal_name(1), "SIGHUP");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(16), "SIGSTKFLT");
        assert_eq!(signal_name(17), "SIGCHLD");
        assert_eq!(signal_name(29), "SIGIO");
        assert_eq!(signal_name(30), "SIGPWR");
        assert_eq!(signal_name(31), "SIGSYS");
        assert_eq!(signal_name(32), "SIGRTMIN");
    }

    #[test]
    fn signal_name_realtime() {
        assert_eq!(signal_name(33), "SIGRT_1");
        assert_eq!(signal_name(40), "SIGRT_8");
        assert_eq!(signal_name(64), "SIGRT_32");
    }

    #[test]
    fn signal_name_zero_and_unknown() {
        assert_eq!(signal_name(0), "0");
        assert_eq!(signal_name(65), "65");
        assert_eq!(signal_name(100), "100");
        // An int argument: only the low 32 bits, signed.
        assert_eq!(signal_name(0xffff_ffff), "-1");
        assert_eq!(signal_name(u64::MAX), "-1");
        assert_eq!(signal_name(0x1_0000_0011), "SIGCHLD");
    }
}
