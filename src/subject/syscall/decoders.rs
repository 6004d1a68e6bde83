//! How strace 6.1 prints each argument of the common syscalls: data, one row
//! a syscall, not code per syscall (issue 19). A row names, for each
//! argument in the kernel's order, the printer strace's decoder uses for it
//! (src/open.c, src/fcntl.c, src/access.c, src/mem.c, src/net.c, src/futex.c
//! ... in strace 6.1's source); the printers spell values with the flag and
//! constant tables of decode/xlat_data.rs (strace's src/xlat/*.in, generated).
//! Arguments without a row, and rows' `Typed` arguments, are printed by their
//! C type from the kernel (mod.rs): the floor.
//!
//! Structs the kernel reads or fills (stat, sockaddr, iovec, pollfd ...) are
//! read whole by the kernel side where the row says (`read_of`: the slot
//! kinds of bpf/syscall.h), and print as the address where they could not be
//! read, as strace prints a struct it cannot read.

use std::fmt::Write as _;

use crate::decode::io_structs as io;
use crate::decode::structs::{self, Shown, J};
use crate::decode::xlat_data as x;
use crate::decode::{self, print_flags, print_xval, Xlat};
pub use crate::decode::{octal, symbolic_mode};

/// One argument's printer.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// By the kernel's C type (strings and buffers as read).
    Typed,
    /// A buffer as read, every byte as `\xNN` (printstr_ex with
    /// QUOTE_FORCE_HEX: getrandom's random bytes).
    HexBuf,
    /// A path (printpath): a string printed whole, not cut at
    /// --string-limit (read up to 262 bytes: longer ones end in `...`).
    Path,
    /// A file descriptor: the low 32 bits, signed (`-1`).
    Fd,
    /// A directory file descriptor: `AT_FDCWD` for -100 (print_dirfd).
    AtFd,
    /// An address held in an integer type: `NULL` or hex (printaddr).
    Addr,
    /// A mode: `%#03o` of its low 16 bits (print_numeric_umode_t).
    Octal,
    /// open()'s flags: the access mode, then the other flags
    /// (tprint_open_modes).
    OpenFlags,
    /// open()'s mode, printed only when the flags (argument at this index)
    /// hold O_CREAT or __O_TMPFILE (decode_open).
    ModeIfCreat(u8),
    /// printflags(table, value, dflt) on the low 32 bits.
    Flags(Xlat, &'static str),
    /// printxval(table, value, dflt) on the low 32 bits.
    Xval(Xlat, &'static str),
    /// printxval_d(table, value, NULL): the name, else the int in decimal.
    XvalD(Xlat),
    /// A signal number (printsignal).
    Signal,
    /// A uid or gid: `-1` for (uid_t)-1 (printuid).
    Uid,
    /// mmap's and mprotect's protection bits.
    Prot,
    /// mmap's flags.
    MmapFlags,
    /// An offset or length strace prints in hex (`%#lx`).
    Hex,
    /// A count strace prints unsigned, the whole word (PRINT_VAL_U),
    /// whatever its C type: fadvise64's len, which arm64's kernel types
    /// loff_t (its fadvise64 is fadvise64_64).
    Unsigned,
    /// socket()'s domain.
    Domain,
    /// socket()'s type: the type, then SOCK_CLOEXEC/SOCK_NONBLOCK.
    SockType,
    /// socket()'s protocol, named for the domain at this index (AF_INET,
    /// AF_INET6: IPPROTO_*), else a number.
    SockProto(u8),
    /// fcntl()'s command.
    FcntlCmd,
    /// fcntl()'s third argument, as its command (index 1) wants it; omitted
    /// for the commands that take none.
    FcntlArg,
    /// A 32-bit task's fcntl(): its lock commands' structs in its layouts
    /// (compat_sys_fcntl: struct compat_flock, compat_flock64 for F_OFD_*).
    FcntlArg32,
    /// A struct handed in, read at entry (printed as the address where it
    /// could not be read, `NULL` for 0).
    In(Struct),
    /// A struct the kernel fills, read at return once the call succeeded
    /// (the address otherwise, as strace prints it).
    Out(Struct),
    /// As Out, for a call whose buffer at return is another argument's
    /// (wait4's rusage beside its status): read into a free entry slot.
    OutBeside(Struct),
    /// A struct the kernel fills only when the call is interrupted, to be
    /// restarted (nanosleep's remaining time; strace's is_erestart): read
    /// at return then, the address otherwise.
    OutRestart(Struct),
    /// A struct handed in and filled (sendfile's offset): `[0] => [35499]`,
    /// the value at return where the call succeeded with a result not 0.
    InOut(Struct),
    /// futex()'s operation.
    FutexOp,
    /// A futex() argument after the operation, present only for the
    /// operations that use it (src/futex.c do_futex): the argument index.
    FutexArg(u8),
    /// statx()'s flags: the sync type, then the AT_ flags.
    StatxFlags,
    /// A sockaddr handed in, its length in the argument at this index
    /// (bind, connect, sendto: src/sockaddr.c decode_sockaddr).
    Sockaddr(u8),
    /// A sockaddr the kernel fills, its length in the int the argument at
    /// this index points to (accept, getsockname: src/net.c decode_sockname).
    SockaddrOut(u8),
    /// As SockaddrOut, beside the call's buffer (recvfrom's source address).
    SockaddrBeside(u8),
    /// The `int *` length of the SockaddrOut or SockoptOut at this index:
    /// `[16]`, `[16 => 0]` where the kernel changed it.
    LenPtr(u8),
    /// poll()'s pollfd array, its count in the argument at this index; the
    /// revents go in the result.
    Pollfds(u8),
    /// epoll_wait()'s events, as many as the result.
    EpollEvents,
    /// writev()'s iovec array, its count in the argument at this index.
    Iov(u8),
    /// readv()'s, read at return (the bytes up to the result).
    IovOut(u8),
    /// execve()'s argv: the strings.
    Argv,
    /// execve()'s envp: the address and the count.
    Envp,
    /// ioctl()'s command: strace's name, or `_IOC(...)`.
    IoctlCmd,
    /// ioctl()'s argument, as its command (index 1) wants it.
    IoctlArg,
    /// setsockopt()/getsockopt()'s level.
    SockLevel,
    /// Their option name, for the level at this index.
    SockOpt(u8),
    /// setsockopt()'s value, its length in the argument at this index.
    SockoptIn(u8),
    /// getsockopt()'s value, its length in the int the argument at this
    /// index points to.
    SockoptOut(u8),
    /// futex()'s fourth argument: the timeout (a struct timespec, or a
    /// 32-bit task's old_timespec32, read at entry) for the waiting
    /// operations, else as FutexArg(3).
    FutexTimeout(Struct),
    /// A sigset read in (or written back) as many bytes as the argument
    /// at this index says: a 32-bit task's rt_sigprocmask, whose sets strace reads
    /// at 4 or 8 bytes (print_sigset_addr_len_limit: a multiple of the
    /// word, at most the kernel's 8).
    SigsetIn(u8),
    SigsetOut(u8),
    /// select()'s fd set `k` (0 in, 1 out, 2 except; argument k + 1), each
    /// read at entry; the first one's slot also reads the timeout and
    /// pselect6's sigmask (`true`), and all three sets again at return.
    FdSet(u8, bool),
    /// select()'s timeout: a struct timeval (`true`) or timespec.
    SelTimeout(bool),
    /// pselect6()'s sixth argument: `{sigmask=[...], sigsetsize=8}`.
    PselectSig,
    /// sendmsg()'s (`false`) or recvmsg()'s (`true`) struct msghdr.
    Msghdr(bool),
    /// getdents()'s buffer: `0x... /* N entries */`.
    Dirents,
    /// A 32-bit task's getdents buffer (struct compat_linux_dirent: d_reclen at 8).
    Dirents32,
    /// sched_setaffinity()'s CPU set, its length in the argument at this index.
    CpuSetIn(u8),
    /// sched_getaffinity()'s CPU set, as many bytes as the result.
    CpuSetOut,
    /// ppoll()'s pollfd array, its count in the argument at this index; the
    /// revents and the remaining time go in the result.
    PollfdsLeft(u8),
    /// prctl()'s option.
    PrctlOption,
    /// prctl()'s argument at this index, as its option wants it.
    PrctlArg(u8),
    /// rt_sigreturn()'s signal frame, which no argument names: its
    /// uc.uc_sigmask, found from the user stack pointer at the call:
    /// `{mask=[INT]}` (src/rt_sigreturn.c). Its offset from the user stack
    /// pointer at the call (SIGFRAME_MASK, a 32-bit task's SIGFRAME_MASK32).
    SigframeMask(u16),
    /// A gid_t array handed in, its length argument `k`, its elements of
    /// `w` bytes (4; 2: old_gid_t, the 16-bit calls) (setgroups; src/uid.c
    /// print_groups): `[0, -1, ...]`, its address past NGROUPS_MAX.
    GidsIn(u8, u8),
    /// A gid_t array of `w`-byte elements the call filled, as many as it
    /// returned (getgroups).
    GidsOut(u8),
    /// The id the call wrote through this argument, one of three cells
    /// (getresuid, getresgid: src/uid.c get_print_uid): `[0]`, its address
    /// where the call failed. The first argument's read holds all three
    /// (bpf/syscall.h SYSCALL_ARG_OUT_CELLS).
    IdCell(u8),
    /// As IdCell, a 16-bit id (old_uid_t: the 16-bit getresuid and
    /// getresgid of a 32-bit task, kernel/uid16.c; 0xffff is -1).
    IdCell16(u8),
    /// An extensible struct handed in, its size in the argument at this
    /// index (openat2's open_how: src/open.c print_open_how): the address
    /// below the struct's first size; its fields, then the bytes past them
    /// that are not zero (print_nonzero_bytes: `/* bytes 24..31 */
    /// "\x80..."`, `???` where they could not be read). Read whole or up to
    /// the end of its page.
    Extensible(Struct, u8),
    /// A 64-bit offset from this argument (its low word) and the next (its
    /// high word), signed (print_lld_from_low_high_val: a 64-bit task's is
    /// this argument alone).
    LowHigh,
    /// A 64-bit offset from this argument (its high word) and the next (its
    /// low word), signed (_llseek: src/lseek.c, `offset_high << 32 | offset_low`).
    HighLow,
    /// Left out (the other word LowHigh or HighLow printed).
    Hidden,
}

/// The structs read whole (src/print_struct_stat.c, src/print_timespec.h,
/// src/resource.c, src/pipe.c in strace 6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Struct {
    /// struct stat: `{st_mode=S_IFREG|0644, st_size=1234, ...}`.
    Stat,
    /// struct __kernel_timespec: `{tv_sec=1, tv_nsec=500}`.
    Timespec,
    /// int[2] (pipe2): `[3, 4]`.
    IntPair,
    /// struct rlimit64: `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`.
    Rlimit,
    /// A kernel sigset_t (8 bytes): `[INT TERM]`, `~[KILL STOP]`.
    Sigset,
    /// The kernel's struct sigaction (handler, flags, restorer, mask):
    /// `{sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x...}`.
    Sigaction,
    /// wait4's status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`.
    WaitStatus,
    /// struct new_utsname: `{sysname="Linux", nodename="box", ...}`.
    Utsname,
    /// struct epoll_event: `{events=EPOLLIN, data={u32=3, u64=3}}`.
    EpollEvent,
    /// struct statx: `{stx_mask=STATX_BASIC_STATS, ..., stx_size=1, ...}`.
    Statx,
    /// stack_t (sigaltstack): `{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}`.
    StackT,
    /// struct sysinfo: `{uptime=289, loads=[193568, 83104, 32352], ...}`
    /// (every field: strace prints them all).
    Sysinfo,
    /// siginfo_t as waitid fills it (src/printsiginfo.c, SIGCHLD's fields):
    /// `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7, si_uid=0,
    /// si_status=3, si_utime=0, si_stime=0}`, `{}` where none was filled.
    Siginfo,
    /// struct open_how (openat2): `{flags=O_RDONLY|O_CLOEXEC, resolve=0}`.
    OpenHow,
    /// struct statfs (64-bit: x86_64's and the generic one agree), every
    /// field as strace prints them.
    Statfs,
    /// struct rusage (src/resource.c printrusage, abbreviated):
    /// `{ru_utime={tv_sec=0, tv_usec=180}, ru_stime={tv_sec=0, tv_usec=0}, ...}`.
    Rusage,
    /// A loff_t (splice, copy_file_range: printnum_int64 "%" PRId64): `[-1]`.
    Loff,
    /// An unsigned one (sendfile: "%" PRIu64): `[35499]`.
    LoffU,
    /// 32-bit tasks' layouts, where their compat entry reads its own (COMPAT_ROWS):
    /// struct old_timespec32 (two ints: tv_sec signed, tv_nsec printed
    /// unsigned, as strace's PRINT_FIELD_D and PRINT_FIELD_U print them).
    Timespec32,
    /// struct compat_sigaction: handler, flags, restorer (4 bytes each), mask (8).
    Sigaction32,
    /// struct compat_rusage: two compat_timevals, then 14 compat_longs.
    Rusage32,
    /// struct compat_statfs: every field an int, f_fsid two.
    Statfs32,
    /// A compat_off_t (a 32-bit task's sendfile), printed unsigned as strace does.
    LoffU32,
    /// struct compat_statfs64 (statfs64, fstatfs64): 32-bit f_type and
    /// f_bsize, 64-bit counts, then 32-bit words; 84 bytes on i386 and arm
    /// alike (packed).
    Statfs64x32,
    /// The 32-bit ABI's struct stat64 (arch/x86/include/uapi/asm/stat.h,
    /// packed; arm's aligns st_size to 8), as strace abbreviates it.
    Stat64,
    /// compat_stack_t: ss_sp, ss_flags, ss_size, 4 bytes each.
    StackT32,
    /// struct compat_sysinfo (kernel/sys.c): 32-bit words, procs 16 bits.
    Sysinfo32,
    /// struct compat_siginfo: its union at 12, si_utime and si_stime
    /// compat_clock_t (4 bytes).
    Siginfo32,
}

/// struct stat64's size and the offsets of st_mode, st_rdev and st_size in a
/// 32-bit task (i386's packed, arm's EABI aligned: arch/arm/include/uapi/asm/stat.h,
/// arm64's compat struct stat64).
#[cfg(target_arch = "x86_64")]
const STAT64: (usize, usize, usize, usize) = (96, 16, 32, 44);
#[cfg(not(target_arch = "x86_64"))]
const STAT64: (usize, usize, usize, usize) = (104, 16, 32, 48);

/// The sizes statfs64's and fstatfs64's `sz` may give for their struct to
/// be printed (src/fetch_struct_statfs.c fetch_struct_statfs64: its size,
/// and on arm also the EABI's padded 88, which the kernel takes for 84).
#[cfg(target_arch = "x86_64")]
const STATFS64_SIZES: &[u64] = &[84];
#[cfg(not(target_arch = "x86_64"))]
const STATFS64_SIZES: &[u64] = &[84, 88];

/// struct stat's size and the offsets of st_mode, st_rdev and st_size:
/// x86_64's own layout (arch/x86/include/uapi/asm/stat.h), arm64's the
/// generic one (include/uapi/asm-generic/stat.h).
#[cfg(target_arch = "x86_64")]
const STAT: (usize, usize, usize, usize) = (144, 24, 40, 48);
#[cfg(not(target_arch = "x86_64"))]
const STAT: (usize, usize, usize, usize) = (128, 16, 32, 48);

impl Struct {
    /// Its size in the caller's memory.
    pub fn size(self) -> usize {
        match self {
            Struct::Stat => STAT.0,
            Struct::Timespec | Struct::Rlimit => 16,
            Struct::IntPair | Struct::Sigset => 8,
            Struct::Sigaction => 32,
            Struct::WaitStatus => 4,
            Struct::Utsname => 6 * 65,
            Struct::EpollEvent => structs::EPOLL_EVENT,
            Struct::Statx => 256,
            Struct::StackT => 24,
            Struct::Sysinfo => 112,
            Struct::Siginfo => 128,
            Struct::OpenHow => 24,
            Struct::Statfs => 120,
            Struct::Rusage => 144,
            Struct::Loff | Struct::LoffU => 8,
            Struct::Timespec32 => 8,
            Struct::Sigaction32 => 20,
            Struct::Rusage32 => 72,
            Struct::Statfs32 => 64,
            Struct::LoffU32 => 4,
            Struct::Statfs64x32 => 84,
            Struct::Stat64 => STAT64.0,
            Struct::StackT32 => 12,
            Struct::Sysinfo32 => 64,
            Struct::Siginfo32 => 128,
        }
    }

    /// Its JSON, where the struct has named fields worth more than its text.
    pub fn json(self, b: &[u8]) -> Option<J> {
        match self {
            Struct::EpollEvent => Some(structs::epoll_event(b).json),
            Struct::Statx => Some(structs::statx(b).json),
            _ => None,
        }
    }

    /// strace's text of the struct in `b` (its whole size).
    pub fn text(self, b: &[u8]) -> String {
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        match self {
            Struct::Stat => stat(u32_at(STAT.1), u64_at(STAT.2), u64_at(STAT.3)),
            Struct::Stat64 => stat(u32_at(STAT64.1), u64_at(STAT64.2), u64_at(STAT64.3)),
            Struct::Timespec => format!("{{tv_sec={}, tv_nsec={}}}", u64_at(0) as i64, u64_at(8)),
            Struct::IntPair => format!("[{}, {}]", u32_at(0) as i32, u32_at(4) as i32),
            Struct::Rlimit => format!("{{rlim_cur={}, rlim_max={}}}", rlim(u64_at(0)), rlim(u64_at(8))),
            Struct::Sigset => sigset(u64_at(0)),
            Struct::Sigaction => sigaction(u64_at(0), u64_at(8), u64_at(16), u64_at(24)),
            // (SIG_ERR is the 32-bit all-ones there)
            Struct::Sigaction32 => match u32_at(0) {
                u32::MAX => sigaction(u64::MAX, u32_at(4).into(), u32_at(8).into(), u64_at(12)),
                h => sigaction(h.into(), u32_at(4).into(), u32_at(8).into(), u64_at(12)),
            },
            Struct::Timespec32 => format!("{{tv_sec={}, tv_nsec={}}}", u32_at(0) as i32, u32_at(4)),
            Struct::Rusage32 => {
                // (print_timeval32_t: tv_usec zero-extended, PRINT_FIELD_U)
                let tv = |o: usize| format!("{{tv_sec={}, tv_usec={}}}", u32_at(o) as i32, u32_at(o + 4));
                format!("{{ru_utime={}, ru_stime={}, ...}}", tv(0), tv(8))
            }
            Struct::LoffU32 => format!("[{}]", u32_at(0)),
            Struct::WaitStatus => format!("[{}]", wait_status(u32_at(0))),
            Struct::Utsname => {
                let field = |k: usize| {
                    let f = &b[k * 65..(k + 1) * 65];
                    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                    let mut q = String::from("\"");
                    crate::render::escape_into(&mut q, &f[..end]);
                    q + "\""
                };
                format!("{{sysname={}, nodename={}, ...}}", field(0), field(1))
            }
            Struct::EpollEvent => structs::epoll_event(b).text,
            Struct::Statx => structs::statx(b).text,
            Struct::Rusage => {
                // (print_timeval_t: tv_usec zero-extended, PRINT_FIELD_U)
                let tv = |o: usize| format!("{{tv_sec={}, tv_usec={}}}", u64_at(o) as i64, u64_at(o + 8));
                format!("{{ru_utime={}, ru_stime={}, ...}}", tv(0), tv(16))
            }
            Struct::Loff => format!("[{}]", u64_at(0) as i64),
            Struct::LoffU => format!("[{}]", u64_at(0)),
            Struct::StackT => format!(
                "{{ss_sp={}, ss_flags={}, ss_size={}}}",
                decode::ptr(u64_at(0)),
                print_flags(u64::from(u32_at(8)), &[x::SIGALTSTACK_FLAGS], Some("SS_???")),
                u64_at(16)
            ),
            Struct::Siginfo => siginfo(u32_at(0), u32_at(8) as i32, b, false),
            Struct::Siginfo32 => siginfo(u32_at(0), u32_at(8) as i32, b, true),
            Struct::StackT32 => format!(
                "{{ss_sp={}, ss_flags={}, ss_size={}}}",
                decode::ptr(u64::from(u32_at(0))),
                print_flags(u64::from(u32_at(4)), &[x::SIGALTSTACK_FLAGS], Some("SS_???")),
                u32_at(8)
            ),
            Struct::Sysinfo32 => sysinfo(b, 4),
            Struct::OpenHow => {
                let (flags, mode) = (u64_at(0), u64_at(8));
                let mode = if flags & (O_CREAT | TMPFILE_BIT) != 0 || mode != 0 {
                    format!(", mode={}", octal(mode))
                } else {
                    String::new()
                };
                let resolve = print_flags(u64_at(16), &[x::OPEN_RESOLVE_FLAGS], Some("RESOLVE_???"));
                format!("{{flags={}{mode}, resolve={resolve}}}", open_flags64(flags))
            }
            Struct::Statfs => statfs(b, 8),
            Struct::Statfs32 => statfs(b, 4),
            Struct::Statfs64x32 => {
                let f = [u32_at(0).into(), u32_at(4).into(), u64_at(8), u64_at(16), u64_at(24), u64_at(32), u64_at(40)];
                statfs_fields(f, (u32_at(48), u32_at(52)), [u32_at(56).into(), u32_at(60).into(), u32_at(64).into()])
            }
            Struct::Sysinfo => sysinfo(b, 8),
        }
    }
}

const SA_RESTORER: u64 = 0x0400_0000;
/// statfs's f_flags hold ST_VALID where the other flags are set.
const ST_VALID: u64 = 0x20;

/// strace 6.1's src/xlat/sigchld_codes.in (#value_indexed), transcribed.
const SIGCHLD_CODES: Xlat =
    &[(1, "CLD_EXITED"), (2, "CLD_KILLED"), (3, "CLD_DUMPED"), (4, "CLD_TRAPPED"), (5, "CLD_STOPPED"), (6, "CLD_CONTINUED")];

/// printsiginfo for what waitid returns: SIGCHLD's fields; `{}` for none.
fn siginfo(signo: u32, code: i32, b: &[u8], compat: bool) -> String {
    const SIGCHLD: u32 = 17;
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    // (the union at 16, or a 32-bit task's at 12 with 4-byte clock_ts)
    let (pid, utime, stime) = if compat {
        (12, u64::from(u32_at(24)), u64::from(u32_at(28)))
    } else {
        (16, u64_at(32), u64_at(40))
    };
    if signo == 0 {
        return "{}".into();
    }
    let sig = decode::process::signal_name(u64::from(signo));
    if signo != SIGCHLD || !(1..=6).contains(&code) {
        return format!("{{si_signo={sig}, si_code={code}, ...}}");
    }
    let status = u32_at(pid + 8) as i32;
    let status = if code == 1 { status.to_string() } else { decode::process::signal_name(status as u64) };
    format!(
        "{{si_signo={sig}, si_code={}, si_pid={}, si_uid={}, si_status={status}, si_utime={}, si_stime={}}}",
        print_xval(code as u64, SIGCHLD_CODES, "CLD_???"),
        u32_at(pid) as i32,
        u32_at(pid + 4),
        clock_t(utime),
        clock_t(stime)
    )
}

/// struct sysinfo of `w`-byte longs (8, or a 32-bit task's struct
/// compat_sysinfo's 4), every field as strace prints them.
fn sysinfo(b: &[u8], w: usize) -> String {
    let word = |k: usize| match w {
        8 => u64::from_ne_bytes(b[k * 8..k * 8 + 8].try_into().expect("8 bytes")),
        _ => u64::from(u32::from_ne_bytes(b[k * 4..k * 4 + 4].try_into().expect("4 bytes"))),
    };
    let uptime = if w == 8 { word(0) as i64 } else { i64::from(word(0) as u32 as i32) };
    let (procs, unit) = (10 * w, 13 * w);
    format!(
        "{{uptime={uptime}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, totalswap={}, \
         freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
        word(1),
        word(2),
        word(3),
        word(4),
        word(5),
        word(6),
        word(7),
        word(8),
        word(9),
        u16::from_ne_bytes([b[procs], b[procs + 1]]),
        word(11),
        word(12),
        u32::from_ne_bytes(b[unit..unit + 4].try_into().expect("4 bytes"))
    )
}

/// print_clock_t: ticks, with their seconds beside where not 0 (USER_HZ, 100
/// on Linux: `9 /* 0.09 s */`).
fn clock_t(v: u64) -> String {
    if v == 0 {
        return "0".into();
    }
    format!("{v} /* {}.{:02} s */", v / 100, v % 100)
}

/// A signal's name without `SIG` (sprintsigmask_n): `INT`, `RTMIN`, `RT_1`.
fn short_signal(sig: u64) -> String {
    let n = decode::process::signal_name(sig);
    n.strip_prefix("SIG").map_or(n.clone(), str::to_string)
}

/// sprintsigmask_n for a 64-bit mask: the set, or `~` and the signals not
/// in it when two thirds or more are.
pub fn sigset(mask: u64) -> String {
    sigset_n(mask, 64)
}

/// A set of `bits` signals (sprintsigmask_n: inverted from two thirds set).
fn sigset_n(mask: u64, bits: u32) -> String {
    let all = if bits == 64 { u64::MAX } else { (1 << bits) - 1 };
    let mask = mask & all;
    let (prefix, mask) = if mask.count_ones() >= bits * 2 / 3 { ("~", !mask & all) } else { ("", mask) };
    let names: Vec<String> = (0..bits).filter(|b| mask & (1 << b) != 0).map(|b| short_signal(u64::from(b) + 1)).collect();
    format!("{prefix}[{}]", names.join(" "))
}

/// struct sigaction's text from its fields (the kernel's or a 32-bit task's layout).
fn sigaction(handler: u64, flags: u64, restorer: u64, mask: u64) -> String {
    let mut s = format!(
        "{{sa_handler={}, sa_mask={}, sa_flags={}",
        sa_handler(handler),
        sigset(mask),
        print_flags(flags & 0xffff_ffff, &[x::SIGACT_FLAGS], Some("SA_???"))
    );
    if flags & SA_RESTORER != 0 {
        s += &format!(", sa_restorer={}", decode::ptr(restorer));
    }
    s + "}"
}

/// struct statfs's text, its fields `w` bytes wide (8: the 64-bit
/// layout; 4: the 32-bit compat_statfs), f_fsid two ints after the seventh.
fn statfs(b: &[u8], w: usize) -> String {
    let f = |k: usize| if w == 8 { structs::u64_at(b, k * 8) } else { u64::from(structs::u32_at(b, k * 4)) };
    // (the fields after f_fsid, by index)
    let t = 7 + 8 / w;
    statfs_fields([f(0), f(1), f(2), f(3), f(4), f(5), f(6)], (structs::u32_at(b, 7 * w), structs::u32_at(b, 7 * w + 4)), [f(t), f(t + 1), f(t + 2)])
}

/// A struct statfs's text (src/print_statfs.c) from its fields: f_type to
/// f_ffree, f_fsid's two words, f_namelen, f_frsize and f_flags.
fn statfs_fields(f: [u64; 7], fsid: (u32, u32), tail: [u64; 3]) -> String {
    let fstype = x::FSMAGIC.iter().find(|(v, _)| *v == f[0]).map_or_else(|| decode::hex(f[0]), |(_, n)| n.to_string());
    let hex = |v: u32| match v {
        0 => "0".to_string(),
        v => format!("{v:#x}"),
    };
    let [namelen, frsize, flags] = tail;
    let flags = if flags & ST_VALID != 0 {
        format!(", f_flags={}", print_flags(flags, &[x::STATFS_FLAGS], Some("ST_???")))
    } else {
        String::new()
    };
    format!(
        "{{f_type={fstype}, f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, \
         f_fsid={{val=[{}, {}]}}, f_namelen={namelen}, f_frsize={frsize}{flags}}}",
        f[1],
        f[2],
        f[3],
        f[4],
        f[5],
        f[6],
        hex(fsid.0),
        hex(fsid.1),
    )
}

/// struct stat as strace abbreviates it (src/print_struct_stat.c without
/// -v): the mode, then the device of a device file or else the size.
fn stat(mode: u32, rdev: u64, size: u64) -> String {
    let tail = match mode & 0o170000 {
        0o020000 | 0o060000 => format!("st_rdev={}", makedev(rdev)),
        _ => format!("st_size={size}"),
    };
    format!("{{st_mode={}, {tail}, ...}}", symbolic_mode(mode))
}

/// print_sa_handler: `SIG_DFL`, `SIG_IGN`, `SIG_ERR`, or the address.
fn sa_handler(h: u64) -> String {
    match h {
        0 => "SIG_DFL".into(),
        1 => "SIG_IGN".into(),
        u64::MAX => "SIG_ERR".into(),
        _ => decode::ptr(h),
    }
}

/// printstatus: `{WIFEXITED(s) && WEXITSTATUS(s) == 0}`,
/// `{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}` ...
pub fn wait_status(st: u32) -> String {
    let sig = |n: u32| decode::process::signal_name(u64::from(n));
    let (text, rest) = if st & 0xff == 0x7f {
        let s = (st >> 8) & 0xff;
        let extra = if s & 0x80 != 0 { " | 0x80" } else { "" };
        (format!("{{WIFSTOPPED(s) && WSTOPSIG(s) == {}{extra}}}", sig(s & 0x7f)), st & !((s << 8) | 0x7f))
    } else if st & 0x7f != 0 && st & 0x7f != 0x7f {
        let core = if st & 0x80 != 0 { " && WCOREDUMP(s)" } else { "" };
        (format!("{{WIFSIGNALED(s) && WTERMSIG(s) == {}{core}}}", sig(st & 0x7f)), st & !0xff)
    } else if st & 0x7f == 0 && st != 0xffff {
        (format!("{{WIFEXITED(s) && WEXITSTATUS(s) == {}}}", (st >> 8) & 0xff), st & !0xff00)
    } else if st == 0xffff {
        ("{WIFCONTINUED(s)}".into(), 0)
    } else {
        return format!("{st:#x}");
    };
    if rest != 0 {
        return format!("{text} | {:#x}", rest);
    }
    text
}

/// print_dev_t: `makedev(0x88, 0)` (glibc's major()/minor()).
fn makedev(dev: u64) -> String {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let x = |v: u64| if v == 0 { "0".to_string() } else { format!("{v:#x}") };
    format!("makedev({}, {})", x(major as u32 as u64), x(minor as u32 as u64))
}

/// print_rlim64_t: `RLIM64_INFINITY`, `8192*1024`, else decimal.
fn rlim(v: u64) -> String {
    if v == u64::MAX {
        "RLIM64_INFINITY".into()
    } else if v > 1024 && v % 1024 == 0 {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}

/// How the result is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Decimal, or `-1 ERRNO (text)`.
    Plain,
    /// `%#o` (umask: RVAL_OCTAL).
    Octal,
    /// fcntl's F_GETFL and F_GETFD: `0x8002 (flags O_RDWR|O_LARGEFILE)`.
    Fcntl,
    /// poll's: `1 ([{fd=3, revents=POLLIN}])`, `0 (Timeout)`.
    Poll,
    /// ppoll's: poll's and the time left, `1 ([...], left {tv_sec=0, ...})`.
    PollLeft,
    /// select's (`true`: a timeval) and pselect6's: `1 (in [3], left {...})`.
    Select(bool),
    /// prctl's, for the options strace names the result of.
    Prctl,
}

/// One syscall's row: its printers, and how its result is printed.
pub struct Row {
    pub name: &'static str,
    pub args: &'static [Arg],
    pub ret: Ret,
}

const fn row(name: &'static str, args: &'static [Arg]) -> Row {
    Row { name, args, ret: Ret::Plain }
}

use Arg::*;

const AT: Arg = Flags(x::AT_FLAGS, "AT_???");
const OPEN_MODES: Arg = Flags(x::OPEN_MODE_FLAGS, "O_???");
const ACCESS: Arg = Flags(x::ACCESS_MODES, "?_OK");
const MSG: Arg = Flags(x::MSG_FLAGS, "MSG_???");

/// strace 6.1's printers, by syscall (strace's names). The source of each
/// row is the decoder of that name in strace's src/.
pub const ROWS: &[Row] = &[
    // files (src/open.c, src/close_range.c, src/lseek.c, src/dup.c, src/fcntl.c, src/access.c)
    row("open", &[Path, OpenFlags, ModeIfCreat(1)]),
    row("openat", &[AtFd, Path, OpenFlags, ModeIfCreat(2)]),
    row("creat", &[Path, Octal]),
    row("close", &[Fd]),
    // src/io.c: the buffers by the direction table (directions.rs)
    row("read", &[Fd, Typed, Typed]),
    row("write", &[Fd, Typed, Typed]),
    row("pread64", &[Fd, Typed, Typed, Typed]),
    row("pwrite64", &[Fd, Typed, Typed, Typed]),
    // src/fallocate.c, src/fadvise.c, src/readahead.c, src/sync_file_range.c:
    // their offsets and lengths 64 bits wide, signed (print_arg_lld)
    row("fallocate", &[Fd, Flags(x::FALLOC_FLAGS, "FALLOC_FL_???"), Typed, Typed]),
    row("fadvise64", &[Fd, Typed, Unsigned, Xval(x::ADVISE, "POSIX_FADV_???")]),
    row("readahead", &[Fd, Typed, Unsigned]),
    row("sync_file_range", &[Fd, Typed, Typed, Flags(x::SYNC_FILE_RANGE_FLAGS, "SYNC_FILE_RANGE_???")]),
    row("close_range", &[Typed, Typed, Flags(x::CLOSE_RANGE_FLAGS, "CLOSE_RANGE_???")]),
    row("lseek", &[Fd, Typed, Xval(x::WHENCE_CODES, "SEEK_???")]),
    row("dup", &[Fd]),
    row("dup2", &[Fd, Fd]),
    row("dup3", &[Fd, Fd, OPEN_MODES]),
    Row { name: "fcntl", args: &[Fd, FcntlCmd, FcntlArg], ret: Ret::Fcntl },
    row("pipe2", &[Out(Struct::IntPair), OPEN_MODES]),
    row("access", &[Path, ACCESS]),
    row("faccessat", &[AtFd, Path, ACCESS]),
    row("faccessat2", &[AtFd, Path, ACCESS, Flags(x::FACCESSAT_FLAGS, "AT_???")]),
    // metadata (src/stat.c, src/readlink.c)
    row("newfstatat", &[AtFd, Path, Out(Struct::Stat), AT]),
    row("readlinkat", &[AtFd, Path, Typed, Typed]),
    // names (src/unlink.c, src/renameat.c, src/mkdir.c, src/chmod.c, src/chown.c, src/umask.c)
    row("unlinkat", &[AtFd, Path, AT]),
    row("renameat", &[AtFd, Path, AtFd, Path]),
    row("renameat2", &[AtFd, Path, AtFd, Path, Flags(x::RENAME_FLAGS, "RENAME_???")]),
    row("mkdir", &[Path, Octal]),
    row("mkdirat", &[AtFd, Path, Octal]),
    row("fchdir", &[Fd]),
    row("chdir", &[Path]),
    row("rmdir", &[Path]),
    row("unlink", &[Path]),
    row("rename", &[Path, Path]),
    row("readlink", &[Path, Typed, Typed]),
    row("stat", &[Path, Out(Struct::Stat)]),
    row("lstat", &[Path, Out(Struct::Stat)]),
    row("statfs", &[Path, Out(Struct::Statfs)]),
    row("fstatfs", &[Fd, Out(Struct::Statfs)]),
    row("openat2", &[AtFd, Path, Extensible(Struct::OpenHow, 3), Typed]),
    row("statx", &[AtFd, Path, StatxFlags, Flags(x::STATX_MASKS, "STATX_???"), Out(Struct::Statx)]),
    row("execve", &[Path, Argv, Envp]),
    row("execveat", &[AtFd, Path, Argv, Envp, AT]),
    row("truncate", &[Path, Typed]),
    row("chmod", &[Path, Octal]),
    row("fchmod", &[Fd, Octal]),
    row("fchmodat", &[AtFd, Path, Octal]),
    row("chown", &[Path, Uid, Uid]),
    row("lchown", &[Path, Uid, Uid]),
    row("fchown", &[Fd, Uid, Uid]),
    // src/uid.c: printuid for each id (`-1` for (uid_t)-1)
    row("setuid", &[Uid]),
    row("setgid", &[Uid]),
    row("setfsuid", &[Uid]),
    row("setfsgid", &[Uid]),
    row("setreuid", &[Uid, Uid]),
    row("setregid", &[Uid, Uid]),
    row("setresuid", &[Uid, Uid, Uid]),
    row("setresgid", &[Uid, Uid, Uid]),
    row("getgroups", &[Typed, GidsOut(4)]),
    row("setgroups", &[Typed, GidsIn(0, 4)]),
    // src/uid.c: no argument, the id a number (as a row, the calls strace's
    // tests of them compare)
    row("getuid", &[]),
    row("geteuid", &[]),
    row("getgid", &[]),
    row("getegid", &[]),
    row("getresuid", &[IdCell(0), IdCell(1), IdCell(2)]),
    row("getresgid", &[IdCell(0), IdCell(1), IdCell(2)]),
    row("fchownat", &[AtFd, Path, Uid, Uid, AT]),
    Row { name: "umask", args: &[Octal], ret: Ret::Octal },
    // I/O (src/flock.c, src/fsync.c, src/eventfd.c, src/splice.c)
    row("flock", &[Fd, Flags(x::FLOCKCMDS, "LOCK_???")]),
    row("fstat", &[Fd, Out(Struct::Stat)]),
    row("pipe", &[Out(Struct::IntPair)]),
    row("nanosleep", &[In(Struct::Timespec), OutRestart(Struct::Timespec)]),
    row("fsync", &[Fd]),
    row("fdatasync", &[Fd]),
    row("ftruncate", &[Fd, Typed]),
    row("eventfd2", &[Typed, Flags(x::EFD_FLAGS, "EFD_???")]),
    row("splice", &[Fd, In(Struct::Loff), Fd, In(Struct::Loff), Typed, Flags(x::SPLICE_FLAGS, "SPLICE_F_???")]),
    row("copy_file_range", &[Fd, In(Struct::Loff), Fd, In(Struct::Loff), Typed, Typed]),
    row("sendfile", &[Fd, Fd, InOut(Struct::LoffU), Typed]),
    // polling (src/epoll.c)
    row("epoll_create1", &[Flags(x::EPOLLFLAGS, "EPOLL_???")]),
    row("epoll_ctl", &[Fd, Xval(x::EPOLLCTLS, "EPOLL_CTL_???"), Fd, In(Struct::EpollEvent)]),
    row("epoll_wait", &[Fd, EpollEvents, Typed, Typed]),
    row("epoll_pwait", &[Fd, EpollEvents, Typed, Typed, In(Struct::Sigset), Typed]),
    Row { name: "poll", args: &[Pollfds(1), Typed, Typed], ret: Ret::Poll },
    Row { name: "ppoll", args: &[PollfdsLeft(1), Typed, In(Struct::Timespec), In(Struct::Sigset), Typed], ret: Ret::PollLeft },
    // src/desc.c
    Row {
        name: "select",
        args: &[Typed, FdSet(0, false), FdSet(1, false), FdSet(2, false), SelTimeout(true)],
        ret: Ret::Select(true),
    },
    Row {
        name: "pselect6",
        args: &[Typed, FdSet(0, true), FdSet(1, true), FdSet(2, true), SelTimeout(false), PselectSig],
        ret: Ret::Select(false),
    },
    // src/dirent64.c, src/dirent.c (strace's abbreviation: the records counted)
    row("getdents64", &[Fd, Dirents, Typed]),
    row("getdents", &[Fd, Dirents, Typed]),
    // I/O vectors (src/io.c)
    row("writev", &[Fd, Iov(2), Typed]),
    row("readv", &[Fd, IovOut(2), Typed]),
    // (do_pwritev, do_preadv: the count unsigned, the offset from its low
    // and high words, print_lld_from_low_high_val)
    row("pwritev", &[Fd, Iov(2), Unsigned, LowHigh, Hidden]),
    row("preadv", &[Fd, IovOut(2), Unsigned, LowHigh, Hidden]),
    // ioctl (src/ioctl.c, src/term.c)
    row("ioctl", &[Fd, IoctlCmd, IoctlArg]),
    // processes (src/signal.c, src/wait.c, src/process.c)
    row("kill", &[Typed, Signal]),
    row("rt_sigaction", &[Signal, In(Struct::Sigaction), Out(Struct::Sigaction), Typed]),
    row("rt_sigreturn", &[SigframeMask(SIGFRAME_MASK)]),
    row("rt_sigprocmask", &[Xval(x::SIGPROCMASKCMDS, "SIG_???"), In(Struct::Sigset), Out(Struct::Sigset), Typed]),
    row("uname", &[Out(Struct::Utsname)]),
    row("sysinfo", &[Out(Struct::Sysinfo)]),
    row("sigaltstack", &[In(Struct::StackT), Out(Struct::StackT)]),
    // src/rseq.c: the address, the length and signature in hex.
    row("rseq", &[Addr, Hex, Typed, Hex]),
    row("tkill", &[Typed, Signal]),
    row("tgkill", &[Typed, Typed, Signal]),
    row("waitid", &[Xval(x::WAITID_TYPES, "P_???"), Typed, Out(Struct::Siginfo), Flags(x::WAIT4_OPTIONS, "W???"), OutBeside(Struct::Rusage)]),
    row("wait4", &[Typed, Out(Struct::WaitStatus), Flags(x::WAIT4_OPTIONS, "W???"), OutBeside(Struct::Rusage)]),
    row("set_tid_address", &[Addr]),
    row("arch_prctl", &[Xval(x::ARCHVALS, "ARCH_???"), Addr]),
    row("prlimit64", &[Typed, Xval(x::RESOURCES, "RLIMIT_???"), In(Struct::Rlimit), Out(Struct::Rlimit)]),
    // memory (src/mem.c)
    row("mmap", &[Addr, Typed, Prot, MmapFlags, Fd, Hex]),
    row("mprotect", &[Addr, Typed, Prot]),
    row("munmap", &[Addr, Typed]),
    row("mremap", &[Addr, Typed, Typed, Flags(x::MREMAP_FLAGS, "MREMAP_???"), Addr]),
    row("madvise", &[Addr, Typed, Xval(x::MADVISE_CMDS, "MADV_???")]),
    row("brk", &[Addr]),
    // network (src/net.c, src/sockaddr.c)
    row("socket", &[Domain, SockType, SockProto(0)]),
    row("socketpair", &[Domain, SockType, SockProto(0), Out(Struct::IntPair)]),
    row("listen", &[Fd, Typed]),
    row("shutdown", &[Fd, Xval(x::SHUTDOWN_MODES, "SHUT_???")]),
    row("accept", &[Fd, SockaddrOut(2), LenPtr(1)]),
    row("accept4", &[Fd, SockaddrOut(2), LenPtr(1), Flags(x::SOCK_TYPE_FLAGS, "SOCK_???")]),
    row("getsockname", &[Fd, SockaddrOut(2), LenPtr(1)]),
    row("getpeername", &[Fd, SockaddrOut(2), LenPtr(1)]),
    row("bind", &[Fd, Sockaddr(2), Typed]),
    row("connect", &[Fd, Sockaddr(2), Typed]),
    row("setsockopt", &[Fd, SockLevel, SockOpt(1), SockoptIn(4), Typed]),
    row("getsockopt", &[Fd, SockLevel, SockOpt(1), SockoptOut(4), LenPtr(3)]),
    row("sendto", &[Fd, Typed, Typed, MSG, Sockaddr(5), Typed]),
    row("recvfrom", &[Fd, Typed, Typed, MSG, SockaddrBeside(5), LenPtr(4)]),
    // src/msghdr.c
    row("sendmsg", &[Fd, Msghdr(false), MSG]),
    row("recvmsg", &[Fd, Msghdr(true), MSG]),
    // src/prctl.c
    Row { name: "prctl", args: &[PrctlOption, PrctlArg(1), PrctlArg(2), PrctlArg(3), PrctlArg(4)], ret: Ret::Prctl },
    // signals (src/signal.c)
    // time and misc (src/futex.c, src/time.c, src/getrandom.c, src/affinity.c)
    row("futex", &[Addr, FutexOp, FutexArg(2), FutexTimeout(Struct::Timespec), FutexArg(4), FutexArg(5)]),
    row("clock_gettime", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Out(Struct::Timespec)]),
    row("clock_getres", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Out(Struct::Timespec)]),
    row("clock_nanosleep", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Flags(x::CLOCKFLAGS, "TIMER_???"), In(Struct::Timespec), OutRestart(Struct::Timespec)]),
    row("getrandom", &[HexBuf, Typed, Flags(x::GETRANDOM_FLAGS, "GRND_???")]),
    row("set_robust_list", &[Addr, Typed]),
    row("sched_getaffinity", &[Typed, Typed, CpuSetOut]),
    row("sched_setaffinity", &[Typed, Typed, CpuSetIn(1)]),
];

/// The rows of 32-bit calls whose kernel entry reads the 32-bit ABI's own
/// layouts, where they are transcribed (compat.rs types these calls; the
/// entry of each, the same in Linux v6.1's arch/x86/entry/syscalls/
/// syscall_32.tbl and arch/arm64/include/asm/unistd32.h, beside it; the
/// layouts are i386's and arm's alike but for compat_flock64, which i386
/// packs). strace 6.1 prints them as the native call of the name, the structs
/// in the 32-bit task's layout.
pub const COMPAT_ROWS: &[Row] = &[
    // sys_nanosleep_time32, sys_clock_gettime32, sys_clock_getres_time32, sys_clock_nanosleep_time32
    row("nanosleep", &[In(Struct::Timespec32), OutRestart(Struct::Timespec32)]),
    row("clock_gettime", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Out(Struct::Timespec32)]),
    row("clock_getres", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Out(Struct::Timespec32)]),
    row("clock_nanosleep", &[Xval(x::CLOCKNAMES, "CLOCK_???"), Flags(x::CLOCKFLAGS, "TIMER_???"), In(Struct::Timespec32), OutRestart(Struct::Timespec32)]),
    // compat_sys_wait4, compat_sys_statfs, compat_sys_fstatfs, compat_sys_sendfile, compat_sys_rt_sigaction
    row("wait4", &[Typed, Out(Struct::WaitStatus), Flags(x::WAIT4_OPTIONS, "W???"), OutBeside(Struct::Rusage32)]),
    row("statfs", &[Path, Out(Struct::Statfs32)]),
    row("fstatfs", &[Fd, Out(Struct::Statfs32)]),
    row("sendfile", &[Fd, Fd, InOut(Struct::LoffU32), Typed]),
    row("rt_sigaction", &[Signal, In(Struct::Sigaction32), Out(Struct::Sigaction32), Typed]),
    // compat_sys_rt_sigprocmask: compat_sigset_t, the same 8 bytes; strace reads 4 too
    row("rt_sigprocmask", &[Xval(x::SIGPROCMASKCMDS, "SIG_???"), SigsetIn(3), SigsetOut(3), Typed]),
    // sys_futex_time32
    row("futex", &[Addr, FutexOp, FutexArg(2), FutexTimeout(Struct::Timespec32), FutexArg(4), FutexArg(5)]),
    // compat_sys_fcntl
    Row { name: "fcntl", args: &[Fd, FcntlCmd, FcntlArg32], ret: Ret::Fcntl },
    // compat_sys_fcntl64: the same, and F_GETLK64, F_SETLK64, F_SETLKW64
    // (fs/fcntl.c, struct compat_flock64).
    Row { name: "fcntl64", args: &[Fd, FcntlCmd, FcntlArg32], ret: Ret::Fcntl },
    // compat_sys_getdents (struct compat_linux_dirent)
    row("getdents", &[Fd, Dirents32, Typed]),
    // compat_sys_ppoll_time32: an old_timespec32 handed in (the time left
    // and pselect6's and _newselect's time32 and sigmask pair the kernel
    // side widens as it reads them: bpf/syscall.bpf.c read_time, read_fdset)
    Row {
        name: "ppoll",
        args: &[PollfdsLeft(1), Typed, In(Struct::Timespec32), In(Struct::Sigset), Typed],
        ret: Ret::PollLeft,
    },
    // i386's and arm's own (x86_64 has fadvise64 only; arm64's fadvise64 is
    // fadvise64_64): its length signed and 64 bits wide, in two registers
    // (compat.rs COMPAT_PAIRS), printed after the offset on both.
    row("fadvise64_64", &[Fd, Typed, Typed, Xval(x::ADVISE, "POSIX_FADV_???")]),
    // sys_getresuid16, sys_getresgid16 (i386 165 and 171, arm the same):
    // three old_uid_t cells, 2 bytes each (getresuid32 is the native call's).
    row("getresuid", &[IdCell16(0), IdCell16(1), IdCell16(2)]),
    row("getresgid", &[IdCell16(0), IdCell16(1), IdCell16(2)]),
    // sys_rt_sigreturn's 32-bit entries (__ia32_compat_sys_rt_sigreturn,
    // __arm64_compat_sys_rt_sigreturn): the 32-bit frame's mask
    row("rt_sigreturn", &[SigframeMask(SIGFRAME_MASK32)]),
    // The calls the native ABI has none of (compat.rs COMPAT_DEFINED):
    // sys_llseek (src/lseek.c: the offset from two words, the result read
    // once the call succeeded, unsigned), compat_sys_statfs64 and
    // compat_sys_fstatfs64 (src/statfs64.c: the size, unsigned; the struct
    // only for its own sizes), and the stat64 family (src/stat64.c, abbreviated).
    row("_llseek", &[Fd, HighLow, Hidden, Out(Struct::LoffU), Xval(x::WHENCE_CODES, "SEEK_???")]),
    row("statfs64", &[Path, Unsigned, Out(Struct::Statfs64x32)]),
    row("fstatfs64", &[Fd, Unsigned, Out(Struct::Statfs64x32)]),
    row("stat64", &[Path, Out(Struct::Stat64)]),
    row("lstat64", &[Path, Out(Struct::Stat64)]),
    row("fstat64", &[Fd, Out(Struct::Stat64)]),
    row("fstatat64", &[AtFd, Path, Out(Struct::Stat64), AT]),
    // src/net.c: send and recv, sendto's and recvfrom's first four (arm's
    // calls, i386's socketcall subcalls); their buffers are directions.rs'
    row("send", &[Fd, Typed, Typed, MSG]),
    row("recv", &[Fd, Typed, Typed, MSG]),
    // sys_getgroups16, sys_setgroups16 (kernel/uid16.c: old_gid_t arrays;
    // getgroups32 and setgroups32 are the native calls)
    row("getgroups", &[Typed, GidsOut(2)]),
    row("setgroups", &[Typed, GidsIn(0, 2)]),
    // compat_sys_sigaltstack, compat_sys_sysinfo, compat_sys_waitid
    row("sigaltstack", &[In(Struct::StackT32), Out(Struct::StackT32)]),
    row("sysinfo", &[Out(Struct::Sysinfo32)]),
    row(
        "waitid",
        &[Xval(x::WAITID_TYPES, "P_???"), Typed, Out(Struct::Siginfo32), Flags(x::WAIT4_OPTIONS, "W???"), OutBeside(Struct::Rusage32)],
    ),
    // i386's socketcall whose subcall is not read (src/socketcall.c; the
    // others are printed as their subcall: kernel.rs SOCKET_SUBCALL)
    row("socketcall", &[XvalD(x::SOCKETCALLS), Addr]),
    // arm's (src/sync_file_range2.c): the flags second, the offset and length
    // from register pairs (compat.rs COMPAT_PAIRS)
    row("sync_file_range2", &[Fd, Flags(x::SYNC_FILE_RANGE_FLAGS, "SYNC_FILE_RANGE_???"), Typed, Typed]),
];

/// 32-bit calls whose entry is a native function under another name: the
/// 32-bit id calls, added beside the 16-bit ones of the same numbers' era,
/// and sendfile64, each with its row of Linux v6.1's
/// arch/x86/entry/syscalls/syscall_32.tbl (arm64's unistd32.h has the same
/// `__SYSCALL(__NR_<name>, sys_<native>)` pairs); and fcntl64, whose compat
/// entry is fcntl's (`compat_sys_fcntl64`: the commands of struct
/// compat_flock64, which fcntl's 32-bit row decodes). Each is typed and decoded
/// as the native call it maps to, and printed under its own name, as strace
/// prints it. The third field: the entry is a compat function (the mapped
/// call's 32-bit decoder row applies), not the native one.
pub const COMPAT_NAMES: &[(&str, &str, bool, &str)] = &[
    ("lchown32", "lchown", false, "198 i386 lchown32 sys_lchown"),
    ("getuid32", "getuid", false, "199 i386 getuid32 sys_getuid"),
    ("getgid32", "getgid", false, "200 i386 getgid32 sys_getgid"),
    ("geteuid32", "geteuid", false, "201 i386 geteuid32 sys_geteuid"),
    ("getegid32", "getegid", false, "202 i386 getegid32 sys_getegid"),
    ("setreuid32", "setreuid", false, "203 i386 setreuid32 sys_setreuid"),
    ("setregid32", "setregid", false, "204 i386 setregid32 sys_setregid"),
    ("getgroups32", "getgroups", false, "205 i386 getgroups32 sys_getgroups"),
    ("setgroups32", "setgroups", false, "206 i386 setgroups32 sys_setgroups"),
    ("fchown32", "fchown", false, "207 i386 fchown32 sys_fchown"),
    ("setresuid32", "setresuid", false, "208 i386 setresuid32 sys_setresuid"),
    ("getresuid32", "getresuid", false, "209 i386 getresuid32 sys_getresuid"),
    ("setresgid32", "setresgid", false, "210 i386 setresgid32 sys_setresgid"),
    ("getresgid32", "getresgid", false, "211 i386 getresgid32 sys_getresgid"),
    ("chown32", "chown", false, "212 i386 chown32 sys_chown"),
    ("setuid32", "setuid", false, "213 i386 setuid32 sys_setuid"),
    ("setgid32", "setgid", false, "214 i386 setgid32 sys_setgid"),
    ("setfsuid32", "setfsuid", false, "215 i386 setfsuid32 sys_setfsuid"),
    ("setfsgid32", "setfsgid", false, "216 i386 setfsgid32 sys_setfsgid"),
    ("fcntl64", "fcntl", true, "221 i386 fcntl64 sys_fcntl64 compat_sys_fcntl64"),
    ("sendfile64", "sendfile", false, "239 i386 sendfile64 sys_sendfile64 (x86_64: 40 common sendfile sys_sendfile64)"),
    // Their lengths 64 bits wide, in two registers (compat.rs COMPAT_PAIRS).
    ("truncate64", "truncate", true, "193 i386 truncate64 sys_ia32_truncate64 (arm: compat_sys_aarch32_truncate64)"),
    ("ftruncate64", "ftruncate", true, "194 i386 ftruncate64 sys_ia32_ftruncate64 (arm: compat_sys_aarch32_ftruncate64)"),
    ("fadvise64_64", "fadvise64", true, "272 i386 fadvise64_64 sys_ia32_fadvise64_64 (arm: 270, compat_sys_aarch32_fadvise64_64)"),
    // select's fd sets and its old_timeval32 (read widened: bpf/syscall.bpf.c read_fdset)
    ("_newselect", "select", true, "142 i386 _newselect sys_select compat_sys_select (arm: 142, compat_sys_select)"),
];

/// The native call a 32-bit call of this name is typed and decoded as: its
/// COMPAT_NAMES pair, else the same name.
pub fn native_name(name: &str) -> &str {
    COMPAT_NAMES.iter().find(|(n, ..)| *n == name).map_or(name, |(_, native, ..)| native)
}

/// Whether a 32-bit call renamed by COMPAT_NAMES enters the native function
/// (sendfile64: the native sendfile's loff_t, not compat sendfile's compat_off_t).
pub fn enters_native(name: &str) -> bool {
    COMPAT_NAMES.iter().any(|(n, _, compat_entry, _)| *n == name && !compat_entry)
}

/// The row of `syscall` for a call of a 32-bit task (`compat`) or a native one.
pub fn row_for(syscall: &str, compat: bool) -> Option<&'static Row> {
    // (a native call, nearly every record, goes straight to the map)
    if compat {
        // chown32, fcntl64 ...: the row of the native call they map to, the
        // native row where they enter the native function.
        if enters_native(syscall) {
            return row_of(native_name(syscall));
        }
        if let Some(r) = COMPAT_ROWS.iter().find(|r| r.name == syscall) {
            return Some(r);
        }
        let syscall = native_name(syscall);
        if let Some(r) = COMPAT_ROWS.iter().find(|r| r.name == syscall) {
            return Some(r);
        }
        return row_of(syscall);
    }
    row_of(syscall)
}

/// Whether argument `i` of `row`'s call is a path (strace's printpath).
pub fn is_path(row: &Row, i: usize) -> bool {
    row.args.get(i).is_some_and(|a| matches!(a, Path))
}

/// Whether argument `i` of `row`'s call is a buffer strace prints in hex.
pub fn is_hex(row: &Row, i: usize) -> bool {
    row.args.get(i).is_some_and(|a| matches!(a, HexBuf))
}

/// The row of `syscall`, if strace's decoder for it is transcribed.
pub fn row_of(syscall: &str) -> Option<&'static Row> {
    // Looked up for every record the renderer prints: by name, not by a scan
    // of the table (the first row of a name wins, as the scan's did).
    static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, &Row>> = std::sync::OnceLock::new();
    BY_NAME.get_or_init(|| ROWS.iter().rev().map(|r| (r.name, r)).collect()).get(syscall).copied()
}

const AT_FDCWD: i32 = -100;
const O_CREAT: u64 = 0o100;
const TMPFILE_BIT: u64 = 0o20000000; // __O_TMPFILE, the kernel's
const AF_INET: u64 = 2;
/// epoll_ctl's operation that takes no event.
const EPOLL_CTL_DEL: u64 = 2;
const AF_INET6: u64 = 10;

/// open()'s flags as strace's tprint_open_modes() spells them.
pub fn open_flags(flags: u64) -> String {
    open_flags64(flags & 0xffff_ffff)
}

/// open_how's 64-bit flags (tprint_open_modes64): the low 32 bits as
/// open()'s, the high ones in hex after.
fn open_flags64(flags: u64) -> String {
    // (sprint_open_modes64: the access mode, then the other flags, the
    // unknown ones as one number, all 64 bits)
    let access = print_xval(flags & 3, x::OPEN_ACCESS_MODES, "O_???");
    let rest = flags & !3;
    if rest == 0 {
        return access;
    }
    format!("{access}|{}", print_flags(rest, &[x::OPEN_MODE_FLAGS], None))
}

/// socket()'s type: the base type, then its flags (src/net.c tprint_sock_type).
fn sock_type(v: u64) -> String {
    let v = v & 0xffff_ffff;
    let base = print_xval(v & 0xf, x::SOCKTYPES, "SOCK_???");
    let flags = v & !0xf;
    if flags == 0 {
        return base;
    }
    format!("{base}|{}", print_flags(flags, &[x::SOCK_TYPE_FLAGS], None))
}

/// The futex operation's argument at `index`, or None where strace prints
/// none for that operation (src/futex.c do_futex).
fn futex_arg(op: u64, index: u8, v: u64) -> Option<String> {
    let cmd = op & 127;
    let u = |v: u64| (v as u32).to_string();
    // FUTEX_WAIT 0, WAKE 1, FD 2, REQUEUE 3, CMP_REQUEUE 4, WAKE_OP 5,
    // LOCK_PI 6, UNLOCK_PI 7, TRYLOCK_PI 8, WAIT_BITSET 9, WAKE_BITSET 10,
    // WAIT_REQUEUE_PI 11, CMP_REQUEUE_PI 12, LOCK_PI2 13.
    match (cmd, index) {
        (0 | 9 | 10 | 1 | 2 | 3 | 4 | 5 | 11 | 12, 2) => Some(u(v)),
        (0 | 9 | 6 | 13 | 11, 3) => Some(decode::ptr(v)),
        (3 | 4 | 5 | 12, 3) => Some(u(v)),
        (3 | 4 | 5 | 11 | 12, 4) => Some(decode::ptr(v)),
        (4 | 12, 5) => Some(u(v)),
        // C's %#x: 0 without the 0x.
        (9 | 10, 5) => Some(if v as u32 == u32::MAX { "FUTEX_BITSET_MATCH_ANY".into() } else { decode::hex(v & 0xffff_ffff) }),
        (5, 5) => Some(futex_wake_op(v as u32)),
        // An operation strace does not know: every argument (do_futex's default).
        (14.., 2) => Some(u(v)),
        (14.., 3 | 4) => Some(decode::ptr(v)),
        (14.., 5) => Some(decode::hex(v & 0xffff_ffff)),
        _ => None,
    }
}

/// FUTEX_WAKE_OP's encoded operation (src/futex.c):
/// `FUTEX_OP_SET<<28|0xfff<<12|FUTEX_OP_CMP_EQ<<24|0`.
fn futex_wake_op(val3: u32) -> String {
    let mut s = String::new();
    if (val3 >> 28) & 8 != 0 {
        s.push_str("FUTEX_OP_OPARG_SHIFT<<28|");
    }
    let named = |t: Xlat, v: u32, unknown: &str| match t.iter().find(|(k, _)| *k == u64::from(v)) {
        Some((_, n)) => (n.to_string(), String::new()),
        None => (decode::hex(u64::from(v)), format!(" /* {unknown} */")),
    };
    let (op, op_c) = named(x::FUTEXWAKEOPS, (val3 >> 28) & 7, "FUTEX_OP_???");
    let (cmp, cmp_c) = named(x::FUTEXWAKECMPS, (val3 >> 24) & 0xf, "FUTEX_OP_CMP_???");
    let _ = write!(
        s,
        "{op}<<28{op_c}|{}<<12|{cmp}<<24{cmp_c}|{}",
        decode::hex(u64::from((val3 >> 12) & 0xfff)),
        decode::hex(u64::from(val3 & 0xfff))
    );
    s
}

/// `n` gid_t values of `w` bytes at `addr`, of which `b` holds those read (src/uid.c
/// print_groups, print_array): None, to print the address, past NGROUPS_MAX
/// (65536), at NULL or where none could be read; `[]` for none; values that
/// could not be read as `... /* address */` at the first of them; at most
/// `limit` values and then `...`.
fn gids(b: Option<&[u8]>, addr: u64, n: u64, w: u8, limit: usize, cut: bool) -> Option<Shown> {
    let w = usize::from(w);
    if n > 65536 || addr == 0 {
        return None;
    }
    if n == 0 {
        return Some(Shown { text: "[]".into(), json: J::Arr(Vec::new()) });
    }
    let b = b.filter(|b| b.len() >= w)?;
    let (mut text, mut json) = (String::from("["), Vec::new());
    for j in 0..n as usize {
        if j > 0 {
            text.push_str(", ");
        }
        // (print_array fetches an element before it asks whether to print it)
        let Some(e) = b.get(j * w..j * w + w) else {
            // past the slot (an entry slot holds 64 gids): not read, not unreadable
            if cut {
                text.push_str("...");
            } else {
                let _ = write!(text, "... /* {:#x} */", addr + (w * j) as u64);
            }
            break;
        };
        if j >= limit {
            text.push_str("...");
            break;
        }
        // ((uid_t) -1 at the element's width: old_gid_t's 0xffff too)
        let (g, all) = match *e {
            [a, b] => (u32::from(u16::from_ne_bytes([a, b])), u32::from(u16::MAX)),
            _ => (u32::from_ne_bytes(e.try_into().expect("4 bytes")), u32::MAX),
        };
        let shown = if g == all { "-1".to_string() } else { g.to_string() };
        json.push(J::num(&shown));
        text.push_str(&shown);
    }
    text.push(']');
    Some(Shown { text, json: J::Arr(json) })
}

/// fcntl()'s struct argument for the command `cmd` (src/fcntl.c): a struct
/// flock or f_owner_ex, handed in (read at entry) or filled (read at return,
/// when the call succeeded); None for the other commands or a failed read.
fn fcntl_struct(cmd: u64, reads: &Reads, i: usize, ok: bool, compat: bool, fcntl64: bool) -> Option<Shown> {
    let name = x::FCNTLCMDS.iter().find(|(c, _)| *c == cmd & 0xffff_ffff).map(|(_, n)| *n)?;
    let out = || reads.out_of(i).filter(|_| ok);
    // A 32-bit task's fcntl takes struct compat_flock, but compat_flock64 for
    // the OFD locks and fcntl64's F_*LK64 commands (strace's printflock64; it
    // leaves them undecoded for fcntl, which the kernel refuses them).
    let lk64 = fcntl64 && name.ends_with("64");
    let layout = match (compat, name.starts_with("F_OFD_") || lk64) {
        (false, _) => &structs::FLOCK_64,
        (true, false) => &structs::FLOCK_COMPAT,
        (true, true) => &structs::FLOCK64_COMPAT,
    };
    let flock = |b: &[u8], getlk| (b.len() >= layout.size).then(|| structs::flock_in(b, getlk, layout));
    match name {
        "F_SETLK" | "F_SETLKW" | "F_OFD_SETLK" | "F_OFD_SETLKW" => reads.entry[i].and_then(|b| flock(b, false)),
        "F_SETLK64" | "F_SETLKW64" if lk64 => reads.entry[i].and_then(|b| flock(b, false)),
        "F_GETLK" | "F_OFD_GETLK" => out().and_then(|b| flock(b, true)),
        "F_GETLK64" if lk64 => out().and_then(|b| flock(b, true)),
        "F_SETOWN_EX" => reads.entry[i].filter(|b| b.len() >= 8).map(structs::f_owner_ex),
        "F_GETOWN_EX" => out().filter(|b| b.len() >= 8).map(structs::f_owner_ex),
        _ => None,
    }
}

/// fcntl()'s third argument for the command `cmd`, or None where strace
/// prints none (src/fcntl.c print_fcntl): a struct's address where it could
/// not be read, any other command's argument in hex (PRINT_VAL_X).
fn fcntl_arg(cmd: u64, v: u64, reads: &Reads, i: usize, ok: bool, compat: bool, fcntl64: bool) -> Option<String> {
    let name = x::FCNTLCMDS.iter().find(|(c, _)| *c == cmd & 0xffff_ffff).map(|(_, n)| *n)?;
    if let Some(s) = fcntl_struct(cmd, reads, i, ok, compat, fcntl64) {
        return Some(s.text);
    }
    match name {
        "F_SETFD" => Some(print_flags(v & 0xffff_ffff, &[x::FDFLAGS], Some("FD_???"))),
        "F_SETFL" => Some(open_flags(v)),
        "F_SETOWN" | "F_SETPIPE_SZ" | "F_DUPFD" | "F_DUPFD_CLOEXEC" => Some((v as i32).to_string()),
        "F_SETSIG" => Some(decode::process::signal_name(v)),
        "F_ADD_SEALS" => Some(print_flags(v, &[x::F_SEALS], Some("F_SEAL_???"))),
        "F_SETLEASE" => Some(print_xval(v, x::LOCKFCMDS, "F_???")),
        "F_NOTIFY" => Some(print_flags(v, &[x::NOTIFYFLAGS], Some("DN_???"))),
        "F_GETFD" | "F_GETFL" | "F_GETOWN" | "F_GETSIG" | "F_GETLEASE" | "F_GETPIPE_SZ" | "F_GET_SEALS" => None,
        "F_SETLK" | "F_SETLKW" | "F_OFD_SETLK" | "F_OFD_SETLKW" | "F_GETLK" | "F_OFD_GETLK" | "F_SETOWN_EX"
        | "F_GETOWN_EX" => Some(decode::ptr(v)),
        _ => Some(decode::hex(v)),
    }
}

/// What the kernel side read for a call: each argument's bytes at entry
/// (a string, buffer or struct; None where nothing was read or the read
/// failed), and the one argument read at return with its bytes.
#[derive(Clone, Copy, Default)]
pub struct Reads<'a> {
    pub entry: [Option<&'a [u8]>; 6],
    pub out: Option<(usize, &'a [u8])>,
    /// The outputs read at return into free entry slots (OutBeside,
    /// SockaddrBeside), by argument.
    pub beside: [Option<&'a [u8]>; 6],
    /// --string-limit.
    pub limit: usize,
    /// argv's strings past its entry slot's (struct syscall_strv_tail).
    pub strv_tail: Option<&'a [u8]>,
    /// By argument: its bytes end where argtrace's slot does, not where
    /// the memory or the length did (what follows was not read).
    pub cut: [bool; 6],
    /// A 32-bit task's call: the pointers in its arrays are 4 bytes wide.
    pub compat: bool,
}

impl<'a> Reads<'a> {
    /// The bytes read at return for argument `i`.
    pub fn out_of(&self, i: usize) -> Option<&'a [u8]> {
        self.out.filter(|(k, _)| *k == i).map(|(_, b)| b).or(self.beside[i])
    }

    /// The bytes read for argument `i`, at entry or else at return.
    pub fn any(&self, i: usize) -> Option<&'a [u8]> {
        self.entry[i].or_else(|| self.out_of(i))
    }
}

/// The slot kinds of bpf/syscall.h's enum argtrace_syscall_arg_kind that
/// the rows ask for.
pub const ARG_IN_FIXED: u8 = 5;
pub const ARG_OUT_FIXED: u8 = 6;
pub const ARG_IN_SIZED: u8 = 7;
pub const ARG_OUT_SIZED: u8 = 8;
pub const ARG_OUT_LENPTR: u8 = 9;
pub const ARG_INOUT_SIZED: u8 = 10;
pub const ARG_INOUT_FIXED: u8 = 11;
pub const ARG_IN_IOV: u8 = 12;
pub const ARG_OUT_IOV: u8 = 13;
pub const ARG_IN_STRV: u8 = 14;
pub const ARG_OUT_DIRENTS: u8 = 15;
pub const ARG_INOUT_FDSETS: u8 = 16;
pub const ARG_INOUT_MSGHDR: u8 = 17;
pub const ARG_INOUT_POLL: u8 = 18;
pub const ARG_IN_FDSET: u8 = 19;
/// struct msghdr's size (the header recvmsg's msg_namelen is read from at
/// entry), and a 32-bit task's struct compat_msghdr's (seven 32-bit words).
const MSGHDR: u16 = 56;
pub const MSGHDR32: u16 = 28;
/// prctl's arg2 read at entry and return: a task's name (TASK_COMM_LEN) at most.
const PRCTL_ARG2: u16 = 16;
pub const ARG_OUT_FIXED_SLOT: u8 = 20;
pub const ARG_OUT_LENPTR_SLOT: u8 = 21;
pub const ARG_OUT_RESTART: u8 = 22;
pub const ARG_SIGFRAME_MASK: u8 = 23;
pub const ARG_IN_ARRAY: u8 = 24;
pub const ARG_OUT_CELLS: u8 = 25;
/// Where rt_sigreturn's frame keeps the signal mask, from the user stack
/// pointer at the call (strace 6.1's get_rt_sigframe_addr plus
/// offsetof(struct_rt_sigframe, uc.uc_sigmask)): x86_64's frame starts a
/// word below it (linux/x86_64/arch_rt_sigframe.c, via i386's: sp - 8) and
/// holds pretcode (8) then a ucontext_t whose uc_sigmask follows uc_flags,
/// uc_link, uc_stack and the 256-byte uc_mcontext (8 + 296 - 8); arm64's
/// starts at it (linux/generic/arch_rt_sigframe.c) with a 128-byte siginfo,
/// then the ucontext_t, uc_sigmask after uc_flags, uc_link and uc_stack
/// (128 + 40). Data, per architecture: the kernel's rt_sigframe is the same.
#[cfg(target_arch = "x86_64")]
const SIGFRAME_MASK: u16 = 296;
#[cfg(not(target_arch = "x86_64"))]
const SIGFRAME_MASK: u16 = 168;
/// ... and a 32-bit task's (strace's i386 and arm struct_rt_sigframe, the
/// kernel's rt_sigframe_ia32 and compat_rt_sigframe): i386's frame starts a
/// word below the stack pointer (pretcode, sig, pinfo, puc, a 128-byte
/// siginfo, then the ucontext, whose uc_sigmask follows uc_flags, uc_link,
/// a 12-byte uc_stack and the 88-byte uc_mcontext: -4 + 16 + 128 + 108);
/// arm's starts at it (r13, the kernel's compat_sp: the kernel side reads
/// that register for an AArch32 task) with the siginfo, then the ucontext,
/// its uc_mcontext 84 bytes (128 + 104). compat_sigset_t's two words are the
/// bytes of the native 8.
#[cfg(target_arch = "x86_64")]
const SIGFRAME_MASK32: u16 = 248;
#[cfg(not(target_arch = "x86_64"))]
const SIGFRAME_MASK32: u16 = 232;
/// bpf/syscall.h's SYSCALL_LEN_RET: the count is the result.
const LEN_RET: u8 = 6;
/// ioctl's argument: as much as the commands decoded here use (struct
/// termios is 60 bytes, struct winsize 8).
const IOCTL_ARG: u16 = 64;
/// The sockaddr bytes read (sizeof(struct sockaddr_storage)).
const SOCKADDR_MAX: u16 = 128;
/// argv's strings read (bpf/syscall.h's ARGTRACE_SYSCALL_STRV_MAX: strace's
/// printargv shows -s of them, 32 by default).
const ARGV_SHOWN: u16 = 32;

/// How the kernel side reads one argument: a slot kind, the argument that
/// holds its length or count, and a size (bpf/syscall.h's struct
/// syscall_shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadSpec {
    pub kind: u8,
    pub len_arg: u8,
    pub size: u16,
}

impl ReadSpec {
    /// Whether it is read at entry (into one of the three entry slots).
    pub fn at_entry(self) -> bool {
        matches!(
            self.kind,
            ARG_IN_FIXED
                | ARG_IN_SIZED
                | ARG_INOUT_SIZED
                | ARG_INOUT_FIXED
                | ARG_IN_IOV
                | ARG_IN_STRV
                | ARG_INOUT_FDSETS
                | ARG_INOUT_MSGHDR
                | ARG_INOUT_POLL
                | ARG_IN_FDSET
                | ARG_SIGFRAME_MASK
                | ARG_IN_ARRAY
        )
    }
}

/// How argument `i` of `row`'s call is read, where the row's printer reads it.
pub fn read_of(row: &Row, i: usize) -> Option<ReadSpec> {
    let spec = |kind, len_arg, size| Some(ReadSpec { kind, len_arg, size });
    match *row.args.get(i)? {
        In(s) => spec(ARG_IN_FIXED, 0, s.size() as u16),
        Out(s) => spec(ARG_OUT_FIXED, 0, s.size() as u16),
        OutBeside(s) => spec(ARG_OUT_FIXED_SLOT, 0, s.size() as u16),
        OutRestart(s) => spec(ARG_OUT_RESTART, 0, s.size() as u16),
        InOut(s) => spec(ARG_INOUT_FIXED, 0, s.size() as u16),
        SockaddrBeside(k) => spec(ARG_OUT_LENPTR_SLOT, k, SOCKADDR_MAX),
        FutexTimeout(t) => spec(ARG_IN_FIXED, 0, t.size() as u16),
        SigsetIn(k) => spec(ARG_IN_SIZED, k, 1),
        SigsetOut(k) => spec(ARG_OUT_SIZED, k, 1),
        Sockaddr(k) | SockoptIn(k) => spec(ARG_IN_SIZED, k, 1),
        SockaddrOut(k) => spec(ARG_OUT_LENPTR, k, SOCKADDR_MAX),
        SockoptOut(k) => spec(ARG_OUT_LENPTR, k, 64),
        LenPtr(_) => spec(ARG_IN_FIXED, 0, 4),
        Pollfds(k) => spec(ARG_INOUT_SIZED, k, 8),
        EpollEvents => spec(ARG_OUT_SIZED, LEN_RET, structs::EPOLL_EVENT as u16),
        Iov(k) => spec(ARG_IN_IOV, k, 0),
        IovOut(k) => spec(ARG_OUT_IOV, k, 0),
        Argv => spec(ARG_IN_STRV, 0, ARGV_SHOWN),
        Envp => spec(ARG_IN_STRV, 0, 0),
        IoctlArg => spec(ARG_INOUT_FIXED, 0, IOCTL_ARG),
        FdSet(0, sig) => spec(ARG_INOUT_FDSETS, 0, sig as u16),
        FdSet(..) => spec(ARG_IN_FDSET, 0, 0),
        Msghdr(recv) => spec(ARG_INOUT_MSGHDR, if recv { LEN_RET } else { 0 }, MSGHDR),
        // (size: the offset of d_reclen in each record)
        Dirents => spec(ARG_OUT_DIRENTS, 0, 16),
        Dirents32 => spec(ARG_OUT_DIRENTS, 0, 8),
        CpuSetIn(k) => spec(ARG_IN_SIZED, k, 1),
        CpuSetOut => spec(ARG_OUT_SIZED, LEN_RET, 1),
        PollfdsLeft(k) => spec(ARG_INOUT_POLL, k, 8),
        PrctlArg(1) => spec(ARG_INOUT_FIXED, 0, PRCTL_ARG2),
        SigframeMask(offset) => spec(ARG_SIGFRAME_MASK, 0, offset),
        GidsIn(k, w) => spec(ARG_IN_ARRAY, k, u16::from(w)),
        GidsOut(w) => spec(ARG_OUT_SIZED, LEN_RET, u16::from(w)),
        IdCell(0) => spec(ARG_OUT_CELLS, 0, 4),
        IdCell16(0) => spec(ARG_OUT_CELLS, 0, 2),
        Extensible(_, k) => spec(ARG_IN_ARRAY, k, 1),
        // struct flock or f_owner_ex, as the command wants (fcntl_struct).
        FcntlArg => spec(ARG_INOUT_FIXED, 0, structs::FLOCK as u16),
        // (the larger layout: read_sized_arg stops at the page's end)
        FcntlArg32 => spec(ARG_INOUT_FIXED, 0, structs::FLOCK64_COMPAT.size as u16),
        _ => None,
    }
}

/// Whether argument `i` of `row`'s call is read at return into a free entry
/// slot (beside the call's buffer in slot 3).
pub fn read_beside(row: &Row, i: usize) -> bool {
    read_of(row, i).is_some_and(|r| matches!(r.kind, ARG_OUT_FIXED_SLOT | ARG_OUT_LENPTR_SLOT))
}

/// A sockaddr the kernel wrote back with its length first (bpf/syscall.h's
/// SYSCALL_ARG_OUT_LENPTR): the length and the bytes.
fn lenptr(b: &[u8]) -> Option<(i32, &[u8])> {
    (b.len() >= 4).then(|| (structs::u32_at(b, 0) as i32, &b[4..]))
}

/// The length handed in through an `int *` (read at entry).
fn ulen(reads: &Reads, i: usize) -> Option<i32> {
    reads.entry[i].filter(|b| b.len() >= 4).map(|b| structs::u32_at(b, 0) as i32)
}

/// Argument `i` decoded whole: strace's text and, for the structs and
/// arrays, its JSON; None where the row's printer is not a struct's or the
/// bytes were not read (the caller prints the address).
pub fn shown(row: &Row, i: usize, args: &[u64; 6], reads: &Reads, ret: i64) -> Option<Shown> {
    let v = args[i];
    if v == 0 {
        return None;
    }
    let p = *row.args.get(i)?;
    let ok = ret >= 0 || ret <= -4096;
    match p {
        GidsIn(k, w) => gids(reads.entry[i], args[i], args[k as usize] & 0xffff_ffff, w, reads.limit, reads.cut[i]),
        // (a failed call's -1 is past NGROUPS_MAX: the address)
        GidsOut(w) => gids(reads.out_of(i), args[i], if ok { ret as u64 } else { u64::MAX }, w, reads.limit, reads.cut[i]),
        SigframeMask(_) => {
            let mask = sigset(structs::u64_at(reads.entry[i].filter(|b| b.len() >= 8)?, 0));
            Some(Shown { text: format!("{{mask={mask}}}"), json: J::Obj(vec![("mask", J::str(mask))]) })
        }
        In(st) | Out(st) | OutBeside(st) | OutRestart(st) => {
            let b = reads.any(i).filter(|b| b.len() >= st.size())?;
            Some(Shown { text: st.text(b), json: st.json(b)? })
        }
        Extensible(st, k) => {
            let b = reads.entry[i].filter(|b| b.len() >= st.size() && args[k as usize] >= st.size() as u64)?;
            Some(Shown { text: extensible(st, k, args, reads, i)?, json: st.json(b)? })
        }
        Sockaddr(k) => {
            let b = reads.entry[i]?;
            let len = (args[k as usize] as u32 as usize).min(b.len());
            (len >= 2).then(|| structs::sockaddr(&b[..len]))
        }
        SockaddrOut(k) | SockaddrBeside(k) => {
            let (rlen, b) = lenptr(reads.out_of(i).filter(|_| ok)?)?;
            let u = ulen(reads, k as usize)?;
            let len = (rlen.min(u).max(0) as usize).min(b.len());
            (len >= 2).then(|| structs::sockaddr(&b[..len]))
        }
        Pollfds(k) => {
            let b = reads.entry[i]?;
            // (read whole or up to the end of its page: where it stopped short, not cut at the slot)
            let count = args[k as usize] as u32 as u64;
            let unread = (!reads.cut[i] && (b.len() as u64) < count * 8).then(|| v + (b.len() as u64 / 8) * 8);
            let mut s = structs::pollfds_in(b, count, unread);
            s.json = structs::pollfds_json(b, args[k as usize] as u32 as u64, reads.out_of(i).filter(|_| ok && ret > 0));
            Some(s)
        }
        EpollEvents => Some(structs::epoll_events(reads.out_of(i).filter(|_| ok)?)),
        FcntlArg => fcntl_struct(args[1], reads, i, ok, false, false),
        FcntlArg32 => fcntl_struct(args[1], reads, i, ok, true, row.name == "fcntl64"),
        Iov(_) => Some(structs::iovec(reads.entry[i]?, u64::MAX, reads.limit, iov_array(v, reads, false))),
        // (a failed call's iovecs with their buffers' addresses)
        IovOut(_) => {
            Some(structs::iovec(reads.out_of(i)?, if ok { ret as u64 } else { 0 }, reads.limit, iov_array(v, reads, !ok)))
        }
        Argv => {
            let b = reads.entry[i]?;
            let step = if reads.compat { 4 } else { 8 };
            let s = structs::argv(b, reads.strv_tail, reads.limit, v, step);
            let mut json = vec![("count", J::num(structs::strv_count(b))), ("strings", s.json)];
            json.extend(structs::unterminated(b).then_some(("unterminated", J::Bool(true))));
            Some(Shown { text: s.text, json: J::Obj(json) })
        }
        Envp => {
            let b = reads.entry[i]?;
            let mut json = vec![("count", J::num(structs::strv_count(b)))];
            json.extend(structs::unterminated(b).then_some(("unterminated", J::Bool(true))));
            Some(Shown { text: structs::envp(v, b), json: J::Obj(json) })
        }
        PollfdsLeft(k) => {
            let b = reads.entry[i]?;
            let out = reads.out_of(i).filter(|_| ok && ret > 0).map(|b| io::split_left(b).0);
            // (print_array: -s elements at most)
            let b = &b[..b.len().min(reads.limit.saturating_mul(8))];
            let mut s = structs::pollfds_in(b, args[k as usize] as u32 as u64, None);
            s.json = structs::pollfds_json(b, args[k as usize] as u32 as u64, out);
            Some(s)
        }
        // (nfds 0: strace reads no set and prints the addresses)
        FdSet(k, _) if args[0] as i32 > 0 => io::fdset(reads.entry[k as usize + 1]?, args[0]),
        Msghdr(false) => io::msghdr(reads.out_of(i)?, None, u64::MAX, reads.limit, reads.compat),
        Msghdr(true) if ok => io::msghdr(reads.out_of(i)?, user_namelen(reads, i), ret as u64, reads.limit, reads.compat),
        Dirents | Dirents32 if ok && ret as u64 <= u64::from(args[2] as u32) => io::dirents(v, reads.out_of(i)?),
        CpuSetIn(k) => io::cpuset(reads.entry[i]?, u64::from(args[k as usize] as u32), io::cpuset_size()),
        CpuSetOut if ok => io::cpuset(reads.out_of(i).unwrap_or(&[]), ret as u64, io::cpuset_size()),
        _ => None,
    }
}

/// recvmsg's msg_namelen as it was handed in (read at entry): at 8 in a
/// struct msghdr, at 4 in a 32-bit task's struct compat_msghdr.
fn user_namelen(reads: &Reads, i: usize) -> Option<i32> {
    let at = if reads.compat { 4 } else { 8 };
    reads.entry[i].filter(|b| b.len() >= at + 4).map(|b| structs::u32_at(b, at) as i32)
}

/// statx()'s flags (src/statx.c): the sync type, then the AT_ flags.
fn statx_flags(v: u64) -> String {
    const SYNC_TYPE: u64 = 0x6000;
    let v = v & 0xffff_ffff;
    let sync = print_flags(v & SYNC_TYPE, &[x::AT_STATX_SYNC_TYPES], None);
    match v & !SYNC_TYPE {
        0 => sync,
        rest => format!("{sync}|{}", print_flags(rest, &[x::AT_FLAGS], None)),
    }
}

/// The socket option levels and their option tables (src/net.c
/// print_sockopt_fd_level_name).
fn sockopt_name(level: u64, name: u64) -> String {
    const SOL_SOCKET: u64 = 1;
    let name = name & 0xffff_ffff;
    match level & 0xffff_ffff {
        SOL_SOCKET => print_xval(name, x::SOCK_OPTIONS, "SO_???"),
        0 => print_xval(name, x::SOCK_IP_OPTIONS, "IP_???"),
        41 => print_xval(name, x::SOCK_IPV6_OPTIONS, "IPV6_???"),
        6 => print_xval(name, x::SOCK_TCP_OPTIONS, "TCP_???"),
        _ => name.to_string(),
    }
}

/// A socket option's value of `len` bytes (the default of src/net.c's
/// print_setsockopt / print_getsockopt): `[1]` for an int, else the bytes.
fn sockopt_value(b: &[u8], len: i32, limit: usize) -> String {
    if len == 4 && b.len() >= 4 {
        return format!("[{}]", structs::u32_at(b, 0) as i32);
    }
    let n = (len.max(0) as usize).min(b.len()).min(limit);
    structs::quoted(&b[..n], len as usize > limit)
}

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TCGETA: u64 = 0x5405;
const TCSETA: u64 = 0x5406;
const TCSETAW: u64 = 0x5407;
const TCSETAF: u64 = 0x5408;
const TIOCGLCKTRMIOS: u64 = 0x5456;
const TIOCSLCKTRMIOS: u64 = 0x5457;
/// _IOR/_IOW('T', 0x2a..0x2d, struct termios2): the same on x86_64 and arm64.
const TCGETS2: u64 = 0x802c_542a;
const TCSETS2: u64 = 0x402c_542b;
const TCSETSW2: u64 = 0x402c_542c;
const TCSETSF2: u64 = 0x402c_542d;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;
const FIONBIO: u64 = 0x5421;
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
/// _IOW(0x94, 9, int): the source file descriptor (strace's file_ioctl).
const FICLONE: u64 = 0x4004_9409;

/// ioctl()'s argument for the commands decoded here (src/term.c), None
/// for the others (printed in hex as strace's PRINT_VAL_X).
fn ioctl_arg(cmd: u64, v: u64, reads: &Reads, i: usize, ok: bool) -> Option<String> {
    let int = |b: &[u8]| format!("[{}]", structs::u32_at(b, 0) as i32);
    let winsize = |b: &[u8]| {
        let f = |k: usize| u16::from_ne_bytes([b[k * 2], b[k * 2 + 1]]);
        format!("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", f(0), f(1), f(2), f(3))
    };
    let out = reads.out_of(i).filter(|b| ok && b.len() >= 4);
    Some(match cmd & 0xffff_ffff {
        FIONBIO => reads.entry[i].filter(|b| b.len() >= 4).map_or_else(|| decode::ptr(v), int),
        FIONREAD => out.map_or_else(|| decode::ptr(v), int),
        TIOCGWINSZ => out.filter(|b| b.len() >= 8).map_or_else(|| decode::ptr(v), winsize),
        TIOCSWINSZ => reads.entry[i].filter(|b| b.len() >= 8).map_or_else(|| decode::ptr(v), winsize),
        // struct termios, termios2 (the same flags first), termio (src/term.c)
        // (termios2: 44 bytes, read whole or not at all, as strace reads it)
        TCGETS2 => out.filter(|b| b.len() >= 44).and_then(io::termios).map_or_else(|| decode::ptr(v), |s| s.text),
        TCSETS2 | TCSETSW2 | TCSETSF2 => {
            reads.entry[i].filter(|b| b.len() >= 44).and_then(io::termios).map_or_else(|| decode::ptr(v), |s| s.text)
        }
        TCGETS | TIOCGLCKTRMIOS => out.and_then(io::termios).map_or_else(|| decode::ptr(v), |s| s.text),
        TCSETS | TCSETSW | TCSETSF | TIOCSLCKTRMIOS => {
            reads.entry[i].and_then(io::termios).map_or_else(|| decode::ptr(v), |s| s.text)
        }
        TCGETA => out.and_then(io::termio).map_or_else(|| decode::ptr(v), |s| s.text),
        TCSETA | TCSETAW | TCSETAF => reads.entry[i].and_then(io::termio).map_or_else(|| decode::ptr(v), |s| s.text),
        FICLONE => (v as i32).to_string(),
        _ => return None,
    })
}

/// Argument `i` printed as `row` says, given all six argument words, what
/// the kernel side read (`reads`) and the result: None where the C type
/// decides, Some(None) where strace leaves the argument out.
pub fn text(row: &Row, i: usize, args: &[u64; 6], reads: &Reads, ret: i64) -> Option<Option<String>> {
    let p = *row.args.get(i)?;
    let v = args[i];
    let ok = ret >= 0 || ret <= -4096;
    let s = match p {
        // (print_sigset_addr: the address where the mask cannot be read)
        SigframeMask(_) => shown(row, i, args, reads, ret).map_or_else(|| format!("{{mask={}}}", decode::ptr(v)), |s| s.text),
        GidsIn(..) | GidsOut(_) => shown(row, i, args, reads, ret).map_or_else(|| decode::ptr(v), |s| s.text),
        Extensible(st, k) => extensible(st, k, args, reads, i).unwrap_or_else(|| decode::ptr(v)),
        // (the cells 8 bytes apart, read through the first argument)
        IdCell(k) => match reads.out_of(0).and_then(|b| b.get(usize::from(k) * 8..usize::from(k) * 8 + 4)) {
            Some(c) if ok && v != 0 => match u32::from_ne_bytes(c.try_into().expect("4 bytes")) {
                u32::MAX => "[-1]".into(),
                id => format!("[{id}]"),
            },
            _ => decode::ptr(v),
        },
        IdCell16(k) => match reads.out_of(0).and_then(|b| b.get(usize::from(k) * 8..usize::from(k) * 8 + 2)) {
            Some(c) if ok && v != 0 => match u16::from_ne_bytes(c.try_into().expect("2 bytes")) {
                u16::MAX => "[-1]".into(),
                id => format!("[{id}]"),
            },
            _ => decode::ptr(v),
        },
        In(_) | Out(_) | OutBeside(_) | OutRestart(_) | InOut(_) | SigsetIn(_) | SigsetOut(_) if v == 0 => "NULL".into(),
        SigsetIn(k) | SigsetOut(k) => {
            let len = (args[k as usize] & 0xffff_ffff) as usize;
            match reads.any(i) {
                Some(b) if (len == 4 || len == 8) && b.len() >= len => {
                    let mut w = [0u8; 8];
                    w[..len].copy_from_slice(&b[..len]);
                    sigset_n(u64::from_ne_bytes(w), len as u32 * 8)
                }
                _ => decode::ptr(v),
            }
        }
        // EPOLL_CTL_DEL ignores the event: strace prints its address (src/epoll.c).
        In(Struct::EpollEvent) if args[1] & 0xffff_ffff == EPOLL_CTL_DEL => decode::ptr(v),
        // clock_nanosleep with TIMER_ABSTIME leaves the remaining time alone
        // (src/time.c do_clock_nanosleep).
        OutRestart(_) if row.name == "clock_nanosleep" && args[1] != 0 => decode::ptr(v),
        // wait4 found no child to report (WNOHANG): nothing was written.
        Out(Struct::WaitStatus) if ret == 0 => decode::ptr(v),
        // ... nor its rusage: strace prints that only for a result above 0
        // (src/wait.c printwaitn; waitid's, whose success is 0, whenever
        // the call succeeded).
        OutBeside(Struct::Rusage | Struct::Rusage32) if ret <= 0 && row.name == "wait4" => decode::ptr(v),
        // rt_sigprocmask's sigset of a size (its fourth argument) other than
        // the kernel's 8 bytes: the address (print_sigset_addr_len_limit).
        // (the size is each row's last argument: rt_sigprocmask's, ppoll's, epoll_pwait's)
        In(Struct::Sigset) | Out(Struct::Sigset) if args[row.args.len() - 1] != 8 => decode::ptr(v),
        // statfs64 of a size not its struct's: the address (fetch_struct_statfs64).
        Out(Struct::Statfs64x32) if !STATFS64_SIZES.contains(&args[1]) => decode::ptr(v),
        In(st) | Out(st) | OutBeside(st) | OutRestart(st) => match reads.any(i) {
            Some(b) if b.len() >= st.size() => st.text(b),
            _ => decode::ptr(v),
        },
        // src/sendfile.c: the offset at entry, ` => ` the one at return
        // where the call succeeded and moved bytes.
        InOut(st) => match (reads.entry[i], reads.out_of(i)) {
            (Some(b), Some(o)) if b.len() >= st.size() && o.len() >= st.size() && ok && ret != 0 => {
                format!("{} => {}", st.text(b), st.text(o))
            }
            (Some(b), _) if b.len() >= st.size() => st.text(b),
            _ => decode::ptr(v),
        },
        Sockaddr(_) | SockaddrOut(_) | SockaddrBeside(_) | Pollfds(_) | EpollEvents | Iov(_) | IovOut(_) | Argv | Envp | PollfdsLeft(_) | FdSet(..)
        | Msghdr(false) | Dirents | Dirents32 | CpuSetIn(_) | CpuSetOut => shown(row, i, args, reads, ret).map_or_else(|| decode::ptr(v), |s| s.text),
        // recvmsg that failed: the msg_namelen it was given (read at entry).
        Msghdr(true) if !ok => match user_namelen(reads, i) {
            Some(n) => format!("{{msg_namelen={n}}}"),
            None => decode::ptr(v),
        },
        Msghdr(true) => shown(row, i, args, reads, ret).map_or_else(|| decode::ptr(v), |s| s.text),
        SelTimeout(_) | PselectSig if v == 0 => "NULL".into(),
        SelTimeout(usec) => reads.entry[1].and_then(|b| io::fdsets_timeout(b, usec)).unwrap_or_else(|| decode::ptr(v)),
        PselectSig => reads.entry[1].and_then(|b| io::pselect_sigmask(b, sigset)).unwrap_or_else(|| decode::ptr(v)),
        PrctlOption => decode::prctl::option(v),
        PrctlArg(k) => {
            return Some(decode::prctl::arg(args, k as usize, reads.entry[1], reads.out_of(1).filter(|_| ok)));
        }
        LenPtr(k) => {
            let addr = args[k as usize];
            match (ulen(reads, i), reads.out_of(k as usize).filter(|_| ok).and_then(lenptr)) {
                _ if v == 0 || addr == 0 => decode::ptr(v),
                (None, _) => decode::ptr(v),
                (Some(u), Some((r, _))) if u != r => format!("[{u} => {r}]"),
                (Some(u), _) => format!("[{u}]"),
            }
        }
        SockLevel => print_xval(v & 0xffff_ffff, x::SOCKETLAYERS, "SOL_??"),
        SockOpt(k) => sockopt_name(args[k as usize], v),
        SockoptIn(k) => match reads.entry[i] {
            Some(b) if v != 0 => sockopt_value(b, args[k as usize] as i32, reads.limit),
            _ => decode::ptr(v),
        },
        SockoptOut(k) => match (ulen(reads, k as usize), reads.out_of(i).filter(|_| ok).and_then(lenptr)) {
            (Some(u), Some((r, b))) if u > 0 && r > 0 => sockopt_value(b, r, reads.limit),
            _ => decode::ptr(v),
        },
        IoctlCmd => ioctl_cmd(v),
        // FIOCLEX and FIONCLEX take no argument: strace prints none (src/ioctl.c).
        IoctlArg if matches!(args[1] & 0xffff_ffff, FIOCLEX | FIONCLEX) => return Some(None),
        IoctlArg => ioctl_arg(args[1], v, reads, i, ok).unwrap_or_else(|| decode::hex(v)),
        StatxFlags => statx_flags(v),
        Typed | Path | HexBuf => return None,
        Fd => (v as i32).to_string(),
        AtFd if v as i32 == AT_FDCWD => "AT_FDCWD".into(),
        AtFd => (v as i32).to_string(),
        Addr => decode::ptr(v),
        // print_numeric_umode_t takes an unsigned short.
        Octal => octal(v & 0xffff),
        OpenFlags => open_flags(v),
        ModeIfCreat(f) if args[f as usize] & (O_CREAT | TMPFILE_BIT) == 0 => return Some(None),
        ModeIfCreat(_) => octal(v & 0xffff),
        Flags(t, d) => print_flags(v & 0xffff_ffff, &[t], Some(d)),
        Xval(t, d) => print_xval(v & 0xffff_ffff, t, d),
        XvalD(t) => t.iter().find(|(x, _)| *x == v & 0xffff_ffff).map_or_else(|| (v as i32).to_string(), |(_, n)| (*n).to_string()),
        Signal => decode::process::signal_name(v),
        Uid if v as u32 == u32::MAX => "-1".into(),
        Uid => (v as u32).to_string(),
        Prot => decode::mem::prot(v),
        MmapFlags => decode::mem::mmap_flags(v),
        Hex => decode::hex(v),
        Unsigned => v.to_string(),
        LowHigh if reads.compat => (((v & 0xffff_ffff) | args.get(i + 1).map_or(0, |h| h << 32)) as i64).to_string(),
        LowHigh => (v as i64).to_string(),
        HighLow => ((v << 32 | args.get(i + 1).map_or(0, |l| l & 0xffff_ffff)) as i64).to_string(),
        Hidden => return Some(None),
        Domain => decode::net::address_family(v),
        SockType => sock_type(v),
        SockProto(d) if matches!(args[d as usize] & 0xffff_ffff, AF_INET | AF_INET6) => decode::net::inet_protocol(v),
        SockProto(_) => (v as i32).to_string(),
        FcntlCmd => print_xval(v & 0xffff_ffff, x::FCNTLCMDS, "F_???"),
        FcntlArg => return Some(fcntl_arg(args[1], v, reads, i, ok, false, false)),
        FcntlArg32 => return Some(fcntl_arg(args[1], v, reads, i, ok, true, row.name == "fcntl64")),
        FutexOp => print_xval(v & 0xffff_ffff, x::FUTEXOPS, "FUTEX_???"),
        FutexArg(k) => return Some(futex_arg(args[1], k, v)),
        // FUTEX_WAIT, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI, LOCK_PI2: print_timespec.
        FutexTimeout(t) if matches!(args[1] & 127, 0 | 9 | 11 | 6 | 13) => match reads.any(i) {
            _ if v == 0 => "NULL".into(),
            Some(b) if b.len() >= t.size() => t.text(b),
            _ => decode::ptr(v),
        },
        FutexTimeout(_) => return Some(futex_arg(args[1], 3, v)),
    };
    Some(Some(s))
}

/// Where an iovec array argument is (structs::iovec).
fn iov_array(addr: u64, reads: &Reads, addrs: bool) -> structs::IovArray {
    structs::IovArray { addr, step: if reads.compat { 8 } else { 16 }, addrs }
}

/// An extensible struct as strace prints it (Arg::Extensible): None for the
/// address.
fn extensible(st: Struct, k: u8, args: &[u64; 6], reads: &Reads, i: usize) -> Option<String> {
    let size = args[k as usize];
    let b = reads.entry[i].filter(|b| b.len() >= st.size() && size >= st.size() as u64 && args[i] != 0)?;
    let mut text = st.text(b);
    if let Some(tail) = nonzero_tail(b, st.size(), size.min(4096) as usize, reads.limit, reads.cut[i]) {
        text.pop();
        let _ = write!(text, ", {tail}}}");
    }
    Some(text)
}

/// strace's print_nonzero_bytes past a struct's known `known` bytes, of the
/// `size` it was handed in with (at most a page): None where they are all
/// zero, `???` where they could not all be read, else their offsets and the
/// first `limit` of them in hex. `b`: what was read (whole, up to the end of
/// its page, or cut at the slot: `cut`, then what follows counts as zero).
fn nonzero_tail(b: &[u8], known: usize, size: usize, limit: usize, cut: bool) -> Option<String> {
    let size = size.min(4096);
    if size <= known {
        return None;
    }
    if b.len() < size && !cut {
        return Some("???".into());
    }
    let tail = &b[known..b.len().min(size)];
    if tail.iter().all(|&c| c == 0) {
        return None;
    }
    let mut s = format!("/* bytes {known}..{} */ \"", size - 1);
    for c in tail.iter().take(limit) {
        let _ = write!(s, "\\x{c:02x}");
    }
    s.push('"');
    if limit < size - known {
        s.push_str("...");
    }
    Some(s)
}

/// ppoll's result (decode_poll_exiting): the pollfds with revents, then the
/// time left where its timeout was given: `1 ([{fd=3, revents=POLLIN}],
/// left {tv_sec=0, tv_nsec=999})`, `0 (Timeout)`.
fn ppoll_result(args: &[u64; 6], reads: &Reads, ret: i64) -> String {
    let (fds, left) = io::split_left(reads.out_of(0).unwrap_or(&[]));
    let base = structs::poll_result(ret, fds);
    if ret == 0 || args[2] == 0 || reads.out_of(0).is_none() {
        return base;
    }
    let left = left.unwrap_or_else(|| decode::ptr(args[2]));
    match base.strip_suffix(')') {
        Some(b) => format!("{b}, left {left})"),
        None => format!("{base} (left {left})"),
    }
}

/// ioctl()'s command as strace names it (src/ioctl.c): every name of its
/// table for the code (` or ` between), else `_IOC(dir, type, nr, size)`.
pub fn ioctl_cmd(v: u64) -> String {
    let code = (v & 0xffff_ffff) as u32;
    let t = decode::ioctl_data::IOCTLS;
    let first = t.partition_point(|(c, _)| *c < code);
    let names: Vec<&str> = t[first..].iter().take_while(|(c, _)| *c == code).map(|(_, n)| *n).collect();
    if !names.is_empty() {
        return names.join(" or ");
    }
    let dir = match code >> 30 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    let x = |v: u32| if v == 0 { "0".to_string() } else { format!("{v:#x}") };
    format!("_IOC({dir}, {}, {}, {})", x((code >> 8) & 0xff), x(code & 0xff), x((code >> 16) & 0x3fff))
}

/// The result as `row` says, when it is not an error; None for the plain
/// decimal result.
pub fn result(row: &Row, args: &[u64; 6], reads: &Reads, ret: i64) -> Option<String> {
    if ret < 0 && ret > -4096 {
        return None;
    }
    match row.ret {
        Ret::Plain => None,
        Ret::Octal => Some(octal(ret as u64)),
        Ret::Poll => Some(structs::poll_result(ret, reads.out_of(0).unwrap_or(&[]))),
        Ret::PollLeft => Some(ppoll_result(args, reads, ret)),
        Ret::Select(usec) => Some(io::select_result(ret, args, reads.out_of(1), usec)),
        Ret::Prctl => decode::prctl::result(args, ret),
        Ret::Fcntl => {
            let cmd = print_xval(args[1] & 0xffff_ffff, x::FCNTLCMDS, "");
            match cmd.as_str() {
                "F_GETFL" => Some(format!("{:#x} (flags {})", ret, open_flags(ret as u64))),
                "F_GETFD" if ret != 0 => {
                    let mut s = String::new();
                    let _ = write!(s, "{:#x} (flags {})", ret, print_flags(ret as u64, &[x::FDFLAGS], None));
                    Some(s)
                }
                // src/fcntl.c: the lease's name beside it in hex where it has one.
                "F_GETLEASE" => Some(match x::LOCKFCMDS.iter().find(|(v, _)| *v == ret as u64) {
                    Some((_, name)) => format!("{ret:#x} ({name})"),
                    None => format!("{ret:#x}"),
                }),
                "F_GETSIG" if ret != 0 => Some(format!("{ret} ({})", decode::process::signal_name(ret as u64))),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, args: [u64; 6]) -> Vec<Option<String>> {
        let r = row_of(name).unwrap();
        (0..r.args.len()).map(|i| text(r, i, &args, &Reads::default(), 0).unwrap_or(Some("typed".into()))).collect()
    }

    fn shown(v: Vec<Option<String>>) -> String {
        v.into_iter().flatten().collect::<Vec<_>>().join(", ")
    }

    // Each expectation is strace 6.1's line for the same call (x86_64).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn file_calls_as_strace_prints_them() {
        assert_eq!(shown(line("openat", [-100i64 as u64, 0, 0o2001101, 0o640, 0, 0])), "AT_FDCWD, typed, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0640");
        assert_eq!(shown(line("openat", [-100i64 as u64, 0, 0o400000 | 0o200000, 0, 0, 0])), "AT_FDCWD, typed, O_RDONLY|O_NOFOLLOW|O_DIRECTORY");
        assert_eq!(shown(line("lseek", [3, 5, 2, 0, 0, 0])), "3, typed, SEEK_END");
        assert_eq!(shown(line("access", [0, 6, 0, 0, 0, 0])), "typed, R_OK|W_OK");
        assert_eq!(shown(line("access", [0, 0, 0, 0, 0, 0])), "typed, F_OK");
        assert_eq!(shown(line("faccessat2", [4, 0, 1, 0x300, 0, 0])), "4, typed, X_OK, AT_SYMLINK_NOFOLLOW|AT_EACCESS");
        assert_eq!(shown(line("mkdir", [0, 0o755, 0, 0, 0, 0])), "typed, 0755");
        assert_eq!(shown(line("dup3", [3, 20, 0o2000000, 0, 0, 0])), "3, 20, O_CLOEXEC");
        assert_eq!(shown(line("unlinkat", [4, 0, 0x200, 0, 0, 0])), "4, typed, AT_REMOVEDIR");
        assert_eq!(shown(line("fchownat", [4, 0, 0, u32::MAX as u64, 0x100, 0])), "4, typed, 0, -1, AT_SYMLINK_NOFOLLOW");
        assert_eq!(shown(line("flock", [3, 6, 0, 0, 0, 0])), "3, LOCK_EX|LOCK_NB");
        assert_eq!(shown(line("eventfd2", [3, 0o2004000, 0, 0, 0, 0])), "typed, EFD_CLOEXEC|EFD_NONBLOCK");
        assert_eq!(shown(line("close_range", [30, u32::MAX as u64, 4, 0, 0, 0])), "typed, typed, CLOSE_RANGE_CLOEXEC");
        assert_eq!(shown(line("renameat2", [4, 0, 4, 0, 1, 0])), "4, typed, 4, typed, RENAME_NOREPLACE");
        assert_eq!(octal(0), "000");
        assert_eq!(octal(0o22), "022");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn fcntl_prints_by_command_and_its_result() {
        let r = row_of("fcntl").unwrap();
        assert_eq!(shown(line("fcntl", [3, 2, 1, 0, 0, 0])), "3, F_SETFD, FD_CLOEXEC");
        assert_eq!(shown(line("fcntl", [3, 3, 0, 0, 0, 0])), "3, F_GETFL");
        assert_eq!(shown(line("fcntl", [3, 1030, 40, 0, 0, 0])), "3, F_DUPFD_CLOEXEC, 40");
        assert_eq!(result(r, &[3, 3, 0, 0, 0, 0], &Reads::default(), 0x8001).as_deref(), Some("0x8001 (flags O_WRONLY|O_LARGEFILE)"));
        assert_eq!(result(r, &[3, 1, 0, 0, 0, 0], &Reads::default(), 1).as_deref(), Some("0x1 (flags FD_CLOEXEC)"));
        assert_eq!(result(r, &[3, 1, 0, 0, 0, 0], &Reads::default(), 0), None);
        assert_eq!(result(row_of("umask").unwrap(), &[0o22, 0, 0, 0, 0, 0], &Reads::default(), 0o22).as_deref(), Some("022"));
        // strace's fcntl test: F_NOTIFY's flags, the leases, F_GETSIG's signal.
        assert_eq!(shown(line("fcntl", [0, 1026, 1, 0, 0, 0])), "0, F_NOTIFY, DN_ACCESS");
        assert_eq!(shown(line("fcntl", [1, 1024, 0, 0, 0, 0])), "1, F_SETLEASE, F_RDLCK");
        // F_SETLK64 through fcntl (not fcntl64): PRINT_VAL_X; an unread lock, its address.
        assert_eq!(shown(line("fcntl", [0, 13, 0, 0, 0, 0])), "0, F_SETLK64, 0");
        assert_eq!(shown(line("fcntl", [0, 6, 0, 0, 0, 0])), "0, F_SETLK, NULL");
        assert_eq!(result(r, &[1, 1025, 0, 0, 0, 0], &Reads::default(), 2).as_deref(), Some("0x2 (F_UNLCK)"));
        assert_eq!(result(r, &[1, 11, 0, 0, 0, 0], &Reads::default(), 1).as_deref(), Some("1 (SIGHUP)"));
        // F_SETLK's struct read at entry, F_GETLK's at return; the address
        // where it was not read.
        let mut fl = [0u8; structs::FLOCK];
        fl[16..24].copy_from_slice(&4096u64.to_ne_bytes());
        let at_entry = Reads { entry: [None, None, Some(&fl), None, None, None], ..Default::default() };
        assert_eq!(
            text(r, 2, &[0, 6, 0x7000, 0, 0, 0], &at_entry, 0),
            Some(Some("{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=0, l_len=4096}".into()))
        );
        let at_return = Reads { out: Some((2, &fl)), ..Default::default() };
        assert_eq!(
            text(r, 2, &[0, 5, 0x7000, 0, 0, 0], &at_return, 0),
            Some(Some("{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=0, l_len=4096, l_pid=0}".into()))
        );
        assert_eq!(text(r, 2, &[0, 5, 0x7000, 0, 0, 0], &at_entry, -22), Some(Some("0x7000".into())));
    }

    #[test]
    fn outputs_beside_the_buffer_and_on_restart() {
        // wait4's rusage for a result above 0 only.
        let w = row_of("wait4").unwrap();
        let mut ru = [0u8; 144];
        ru[8..16].copy_from_slice(&180u64.to_ne_bytes());
        let rusage = Reads { beside: [None, None, None, Some(&ru), None, None], ..Default::default() };
        assert_eq!(
            text(w, 3, &[7, 0, 0, 0x7000, 0, 0], &rusage, 7),
            Some(Some("{ru_utime={tv_sec=0, tv_usec=180}, ru_stime={tv_sec=0, tv_usec=0}, ...}".into()))
        );
        assert_eq!(text(w, 3, &[7, 0, 1, 0x7000, 0, 0], &rusage, 0), Some(Some("0x7000".into())));
        // nanosleep's remaining time, read when the sleep was interrupted.
        let n = row_of("nanosleep").unwrap();
        let mut ts = [0u8; 16];
        ts[8..].copy_from_slice(&888898125u64.to_ne_bytes());
        // rt_sigreturn: the mask read at the frame's address.
        let r = row_of("rt_sigreturn").unwrap();
        let mask = (1u64 << 0 | 1 << 11).to_ne_bytes();
        let at = Reads { entry: [Some(&mask), None, None, None, None, None], ..Default::default() };
        assert_eq!(text(r, 0, &[0x7ff0, 0, 0, 0, 0, 0], &at, 0), Some(Some("{mask=[HUP USR2]}".into())));
        assert_eq!(text(r, 0, &[0x7ff0, 0, 0, 0, 0, 0], &Reads::default(), 0), Some(Some("{mask=0x7ff0}".into())));
        let rem = Reads { out: Some((1, &ts)), ..Default::default() };
        assert_eq!(text(n, 1, &[0x6000, 0x7000, 0, 0, 0, 0], &rem, -516), Some(Some("{tv_sec=0, tv_nsec=888898125}".into())));
        assert_eq!(text(n, 1, &[0x6000, 0x7000, 0, 0, 0, 0], &Reads::default(), 0), Some(Some("0x7000".into())));
        // sendfile's offset in and out; splice's in only.
        let s = row_of("sendfile").unwrap();
        let (o_in, o_out) = (0u64.to_ne_bytes(), 35499u64.to_ne_bytes());
        let off = Reads { entry: [None, None, Some(&o_in), None, None, None], out: Some((2, &o_out)), ..Default::default() };
        assert_eq!(text(s, 2, &[4, 5, 0x7000, 35499, 0, 0], &off, 35499), Some(Some("[0] => [35499]".into())));
        assert_eq!(text(s, 2, &[4, 5, 0x7000, 35499, 0, 0], &off, 0), Some(Some("[0]".into())));
        // epoll_ctl's EPOLL_CTL_DEL: the event's address.
        let e = row_of("epoll_ctl").unwrap();
        assert_eq!(text(e, 3, &[3, 2, 4, 0x7000, 0, 0], &Reads::default(), 0), Some(Some("0x7000".into())));
    }

    #[test]
    fn structs_as_strace_prints_them() {
        let mut st = vec![0u8; Struct::Stat.size()];
        st[STAT.1..STAT.1 + 4].copy_from_slice(&0o100644u32.to_ne_bytes());
        st[STAT.3..STAT.3 + 8].copy_from_slice(&1234u64.to_ne_bytes());
        assert_eq!(Struct::Stat.text(&st), "{st_mode=S_IFREG|0644, st_size=1234, ...}");
        st[STAT.1..STAT.1 + 4].copy_from_slice(&0o020620u32.to_ne_bytes());
        st[STAT.2..STAT.2 + 8].copy_from_slice(&((0x88u64 << 8) | 3).to_ne_bytes());
        assert_eq!(Struct::Stat.text(&st), "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x3), ...}");
        assert_eq!(symbolic_mode(0o41777), "S_IFDIR|S_ISVTX|0777");
        let mut r = [0u8; 16];
        r[..8].copy_from_slice(&(8192u64 * 1024).to_ne_bytes());
        r[8..].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert_eq!(Struct::Rlimit.text(&r), "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
        let row = row_of("pipe2").unwrap();
        let fds = [3i32.to_ne_bytes(), 4i32.to_ne_bytes()].concat();
        assert_eq!(text(row, 0, &[0x7ff0, 0, 0, 0, 0, 0], &Reads { out: Some((0, &fds)), limit: 32, ..Default::default() }, 0), Some(Some("[3, 4]".into())));
        assert_eq!(text(row, 0, &[0x7ff0, 0, 0, 0, 0, 0], &Reads::default(), 0), Some(Some("0x7ff0".into())));
        assert_eq!(text(row_of("prlimit64").unwrap(), 2, &[0; 6], &Reads::default(), 0), Some(Some("NULL".into())));
        assert_eq!(sigset(0), "[]");
        assert_eq!(sigset((1 << 1) | (1 << 14)), "[INT TERM]");
        assert_eq!(sigset(!((1 << 8) | (1 << 18))), "~[KILL STOP]");
        assert_eq!(sigset(1 << 32), "[RT_1]");
        assert_eq!(wait_status(0), "{WIFEXITED(s) && WEXITSTATUS(s) == 0}");
        assert_eq!(wait_status(7 << 8), "{WIFEXITED(s) && WEXITSTATUS(s) == 7}");
        assert_eq!(wait_status(9), "{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}");
        assert_eq!(wait_status(0x8b), "{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}");
        let mut sa = [0u8; 32];
        sa[..8].copy_from_slice(&1u64.to_ne_bytes());
        sa[8..16].copy_from_slice(&(SA_RESTORER | 0x1000_0000).to_ne_bytes());
        sa[16..24].copy_from_slice(&0x7f00u64.to_ne_bytes());
        assert_eq!(Struct::Sigaction.text(&sa), "{sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f00}");
    }

    #[test]
    fn i386_layouts_as_strace_prints_them() {
        let words = |w: &[u32]| -> Vec<u8> { w.iter().flat_map(|v| v.to_ne_bytes()).collect() };
        // strace's i386 nanosleep test: tv_sec signed, tv_nsec unsigned.
        assert_eq!(Struct::Timespec32.text(&words(&[u32::MAX, u32::MAX])), "{tv_sec=-1, tv_nsec=4294967295}");
        assert_eq!(Struct::Timespec32.text(&words(&[0xdead_beef, 0xface_feed])), "{tv_sec=-559038737, tv_nsec=4207869677}");
        // compat_sigaction: SIG_ERR is the 32-bit all-ones; the mask's 8 bytes at 12.
        let sa = words(&[u32::MAX, (SA_RESTORER as u32) | 0x1000_0000, 0x7f00, 3, 0]);
        assert_eq!(Struct::Sigaction32.text(&sa), "{sa_handler=SIG_ERR, sa_mask=[HUP INT], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f00}");
        assert_eq!(Struct::Rusage32.text(&words(&[0, 133, 1, 2])), "{ru_utime={tv_sec=0, tv_usec=133}, ru_stime={tv_sec=1, tv_usec=2}, ...}");
        assert_eq!(Struct::LoffU32.text(&words(&[0xface_feed])), "[4207869677]");
        // compat_statfs: every field 4 bytes, f_fsid two ints after the seventh.
        let st = words(&[0x9fa0, 4096, 1, 2, 3, 4, 5, 0x15, 0, 255, 4096, 0x20 | 0x1000, 0, 0, 0, 0]);
        let want = "{f_type=PROC_SUPER_MAGIC, f_bsize=4096, f_blocks=1, f_bfree=2, f_bavail=3, f_files=4, f_ffree=5, \
                    f_fsid={val=[0x15, 0]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}";
        assert_eq!(Struct::Statfs32.text(&st), want);
        // ... and the 64-bit layout the same text from the same values.
        let wide: Vec<u8> = [0x9fa0u64, 4096, 1, 2, 3, 4, 5, 0x15, 255, 4096, 0x20 | 0x1000, 0, 0, 0, 0]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        assert_eq!(Struct::Statfs.text(&wide), want);
        // strace's i386 rt_sigprocmask test: a set of 4 bytes is read and shown.
        assert_eq!(sigset_n(u64::from(u32::MAX), 32), "~[]");
        assert_eq!(sigset_n(1, 32), "[HUP]");
        let row = row_for("rt_sigprocmask", true).expect("i386 row");
        let ones = [0xffu8; 4];
        let reads = Reads { entry: [None, Some(&ones[..]), None, None, None, None], ..Default::default() };
        assert_eq!(text(row, 1, &[1, 0xfff0, 0xfff8, 4, 0, 0], &reads, -22), Some(Some("~[]".into())));
        assert_eq!(text(row, 1, &[1, 0xfff0, 0xfff8, 2, 0, 0], &reads, -22), Some(Some("0xfff0".into())));
        assert!(row_for("rt_sigprocmask", false).is_some_and(|r| matches!(r.args[1], In(Struct::Sigset))));
        // i386's fcntl: struct compat_flock, but compat_flock64 (packed) for the OFD locks
        // (tests run on x86_64 only: arm's compat_flock64 is the 64-bit layout).
        let fcntl = row_for("fcntl", true).expect("i386 row");
        let mut fl = vec![0u8, 0, 0, 0];
        fl.extend(words(&[0xface_feed, 0xcafe_f00d, 7, 0, 0]));
        let reads = Reads { entry: [None, None, Some(&fl[..16]), None, None, None], ..Default::default() };
        let want = "{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=-87097619, l_len=-889262067}";
        assert_eq!(text(fcntl, 2, &[0, 6, 0xfff0, 0, 0, 0], &reads, -22), Some(Some(want.into())));
        let reads = Reads { entry: [None, None, Some(&fl[..24]), None, None, None], ..Default::default() };
        let want = "{l_type=F_RDLCK, l_whence=SEEK_SET, l_start=-3819351491130491155, l_len=7}";
        assert_eq!(text(fcntl, 2, &[0, 37, 0xfff0, 0, 0, 0], &reads, -22), Some(Some(want.into())));
        // fcntl64 is decoded by that row: F_SETLK64 (13) and F_SETLKW64 (14) take
        // compat_flock64 too; sendfile64 enters the native sendfile (loff_t).
        let fcntl64 = row_for("fcntl64", true).expect("i386 row");
        assert_eq!(text(fcntl64, 2, &[0, 13, 0xfff0, 0, 0, 0], &reads, -22), Some(Some(want.into())));
        assert_eq!(text(fcntl64, 2, &[0, 14, 0xfff0, 0, 0, 0], &reads, -22), Some(Some(want.into())));
        // ... which fcntl leaves undecoded, as strace does (the kernel refuses them).
        assert_eq!(text(fcntl, 2, &[0, 13, 0xfff0, 0, 0, 0], &reads, -22), Some(Some("0xfff0".into())));
        assert!(row_for("sendfile64", true).is_some_and(|r| matches!(r.args[2], InOut(Struct::LoffU))));
        assert!(row_for("sendfile", true).is_some_and(|r| matches!(r.args[2], InOut(Struct::LoffU32))));
        assert!(row_for("chown32", true).is_some_and(|r| r.name == "chown"));
        assert!(row_for("chown32", false).is_none());
    }

    #[test]
    fn calls_only_32_bit_tasks_make_as_strace_prints_them() {
        // strace's llseek test: the offset from the high word, then the low one.
        let llseek = row_for("_llseek", true).expect("_llseek");
        let args = [u64::from(u32::MAX), 0xface_feed, 0xdead_beef, 0xfff0, 0, 0];
        let shown: Vec<_> = (0..5).map(|i| text(llseek, i, &args, &Reads::default(), -9).expect("a row's argument")).collect();
        assert_eq!(shown, [Some("-1".into()), Some("-374081421428539665".into()), None, Some("0xfff0".into()), Some("SEEK_SET".into())]);
        // ... its result once the call succeeded, unsigned.
        let res = u64::MAX.to_ne_bytes();
        let reads = Reads { out: Some((3, &res[..])), ..Default::default() };
        assert_eq!(text(llseek, 3, &[3, 1, 5, 0xfff0, 1, 0], &reads, 0), Some(Some("[18446744073709551615]".into())));
        // struct compat_statfs64: 32-bit f_type and f_bsize, 64-bit counts (packed: f_fsid at 48).
        let mut sf: Vec<u8> = [0x9fa0u32, 4096].iter().flat_map(|v| v.to_ne_bytes()).collect();
        sf.extend([1u64 << 33, 2, 3, 4, 5].iter().flat_map(|v| v.to_ne_bytes()));
        sf.extend([0x15u32, 0, 255, 4096, 0x20 | 0x1000, 0, 0, 0, 0].iter().flat_map(|v| v.to_ne_bytes()));
        assert_eq!(sf.len(), Struct::Statfs64x32.size());
        let want = "{f_type=PROC_SUPER_MAGIC, f_bsize=4096, f_blocks=8589934592, f_bfree=2, f_bavail=3, f_files=4, \
                    f_ffree=5, f_fsid={val=[0x15, 0]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}";
        assert_eq!(Struct::Statfs64x32.text(&sf), want);
        // ... printed only for its own size (strace's statfs64 test: the address for 85).
        let statfs64 = row_for("statfs64", true).expect("statfs64");
        let reads = Reads { out: Some((2, &sf[..])), ..Default::default() };
        assert_eq!(text(statfs64, 2, &[0x1000, 84, 0xfff0, 0, 0, 0], &reads, 0), Some(Some(want.into())));
        assert_eq!(text(statfs64, 2, &[0x1000, 85, 0xfff0, 0, 0, 0], &reads, -22), Some(Some("0xfff0".into())));
        assert_eq!(text(statfs64, 2, &[0x1000, 84, 0, 0, 0, 0], &reads, -2), Some(Some("NULL".into())));
        // struct stat64: st_mode at 16, st_rdev at 32, st_size at 44 (i386, packed) or 48 (arm).
        let mut st = vec![0u8; Struct::Stat64.size()];
        st[16..20].copy_from_slice(&0o100600u32.to_ne_bytes());
        st[STAT64.3..STAT64.3 + 8].copy_from_slice(&4_294_967_302u64.to_ne_bytes());
        assert_eq!(Struct::Stat64.text(&st), "{st_mode=S_IFREG|0600, st_size=4294967302, ...}");
        st[16..20].copy_from_slice(&0o020666u32.to_ne_bytes());
        st[32..40].copy_from_slice(&0x0103u64.to_ne_bytes());
        assert_eq!(Struct::Stat64.text(&st), "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
        for name in ["stat64", "lstat64", "fstat64", "fstatat64", "fstatfs64"] {
            assert!(row_for(name, true).is_some(), "{name}");
            assert!(row_for(name, false).is_none(), "{name}");
        }
    }

    #[test]
    fn group_lists_as_strace_prints_them() {
        let set = row_of("setgroups").unwrap();
        let gids: Vec<u8> = [u32::MAX, 0xffff_fffe, 7].iter().flat_map(|g| g.to_ne_bytes()).collect();
        let reads = |n: usize, limit| Reads { entry: [None, Some(&gids[..n]), None, None, None, None], limit, ..Default::default() };
        assert_eq!(text(set, 1, &[3, 0x7000, 0, 0, 0, 0], &reads(12, 32), 0), Some(Some("[-1, 4294967294, 7]".into())));
        // -s2, and what the page held: print_array's `...`, and the address of the first unread
        assert_eq!(text(set, 1, &[3, 0x7000, 0, 0, 0, 0], &reads(12, 2), -22), Some(Some("[-1, 4294967294, ...]".into())));
        assert_eq!(text(set, 1, &[2, 0x7ffc, 0, 0, 0, 0], &reads(4, 32), -22), Some(Some("[-1, ... /* 0x8000 */]".into())));
        assert_eq!(text(set, 1, &[0, 0x7000, 0, 0, 0, 0], &reads(0, 32), 0), Some(Some("[]".into())));
        // past the slot, a -s above what it holds: what follows was not read, not unreadable
        let past = Reads { entry: [None, Some(&gids[..8]), None, None, None, None], limit: 100, cut: [false, true, false, false, false, false], ..Default::default() };
        assert_eq!(text(set, 1, &[3, 0x7000, 0, 0, 0, 0], &past, 0), Some(Some("[-1, 4294967294, ...]".into())));
        assert_eq!(text(set, 1, &[1, 0, 0, 0, 0, 0], &Reads::default(), -14), Some(Some("NULL".into())));
        // past NGROUPS_MAX, or nothing read: the address
        assert_eq!(text(set, 1, &[65537, 0x7000, 0, 0, 0, 0], &reads(12, 32), -22), Some(Some("0x7000".into())));
        assert_eq!(text(set, 1, &[1, 0x7000, 0, 0, 0, 0], &Reads::default(), -14), Some(Some("0x7000".into())));
        // getgroups: as many as it returned; a failure's -1 is past NGROUPS_MAX
        let get = row_of("getgroups").unwrap();
        let out = |n: usize| Reads { out: Some((1, &gids[..n])), limit: 32, ..Default::default() };
        assert_eq!(text(get, 1, &[8, 0x7000, 0, 0, 0, 0], &out(8), 2), Some(Some("[-1, 4294967294]".into())));
        assert_eq!(text(get, 1, &[1, 0x7000, 0, 0, 0, 0], &out(0), 0), Some(Some("[]".into())));
        assert_eq!(text(get, 1, &[u64::MAX, 0x7000, 0, 0, 0, 0], &out(0), -22), Some(Some("0x7000".into())));
    }

    #[test]
    fn extensible_structs_print_their_nonzero_tail() {
        let row = row_of("openat2").unwrap();
        let at = |how: &[u8], size: u64| {
            let reads = Reads { entry: [None, None, Some(how), None, None, None], limit: 32, ..Default::default() };
            text(row, 2, &[u64::MAX, 0x6000, 0x7000, size, 0, 0], &reads, -7)
        };
        let mut how = [0u8; 32];
        how[..8].copy_from_slice(&0o200u64.to_ne_bytes()); // O_EXCL
        assert_eq!(at(&how[..24], 24), Some(Some("{flags=O_RDONLY|O_EXCL, resolve=0}".into())));
        // below the first size: the address; a tail of zeros: nothing
        assert_eq!(at(&how[..11], 11), Some(Some("0x7000".into())));
        assert_eq!(at(&how, 32), Some(Some("{flags=O_RDONLY|O_EXCL, resolve=0}".into())));
        // the tail not all readable: ???; not zero: its bytes
        assert_eq!(at(&how[..24], 32), Some(Some("{flags=O_RDONLY|O_EXCL, resolve=0, ???}".into())));
        how[24] = 0x80;
        assert_eq!(
            at(&how, 32),
            Some(Some("{flags=O_RDONLY|O_EXCL, resolve=0, /* bytes 24..31 */ \"\\x80\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"}".into()))
        );
        // 64-bit flags: the unknown bits as one number (sprint_open_modes64)
        assert_eq!(open_flags64(0xdead_face_8000_0000), "O_RDONLY|0xdeadface80000000");
    }

    #[test]
    fn getresuid_prints_the_three_cells() {
        let row = row_of("getresuid").unwrap();
        let mut cells = [0u8; 24];
        cells[..4].copy_from_slice(&1000u32.to_ne_bytes());
        cells[8..12].copy_from_slice(&u32::MAX.to_ne_bytes());
        cells[16..20].copy_from_slice(&7u32.to_ne_bytes());
        let reads = Reads { out: Some((0, &cells)), ..Default::default() };
        let args = [0x7000, 0x7008, 0x7010, 0, 0, 0];
        let all: Vec<_> = (0..3).map(|i| text(row, i, &args, &reads, 0)).collect();
        assert_eq!(all, [Some(Some("[1000]".into())), Some(Some("[-1]".into())), Some(Some("[7]".into()))]);
        // failed (EFAULT): the addresses, NULL for 0, nothing read
        let failed = [0, 0x7008, 0x7010, 0, 0, 0];
        let none = Reads::default();
        let all: Vec<_> = (0..3).map(|i| text(row, i, &failed, &none, -14)).collect();
        assert_eq!(all, [Some(Some("NULL".into())), Some(Some("0x7008".into())), Some(Some("0x7010".into()))]);
        assert_eq!(read_of(row, 0), Some(ReadSpec { kind: ARG_OUT_CELLS, len_arg: 0, size: 4 }));
        assert_eq!(read_of(row, 1), None);
        // a 32-bit task's 16-bit getresuid: old_uid_t cells, 2 bytes each, 0xffff for -1
        let row16 = row_for("getresuid", true).unwrap();
        let mut cells = [0u8; 24];
        cells[..2].copy_from_slice(&1000u16.to_ne_bytes());
        cells[8..10].copy_from_slice(&u16::MAX.to_ne_bytes());
        cells[16..18].copy_from_slice(&7u16.to_ne_bytes());
        cells[18..20].copy_from_slice(&0xeeeeu16.to_ne_bytes());
        let reads = Reads { out: Some((0, &cells)), ..Default::default() };
        let all: Vec<_> = (0..3).map(|i| text(row16, i, &args, &reads, 0)).collect();
        assert_eq!(all, [Some(Some("[1000]".into())), Some(Some("[-1]".into())), Some(Some("[7]".into()))]);
        assert_eq!(read_of(row16, 0), Some(ReadSpec { kind: ARG_OUT_CELLS, len_arg: 0, size: 2 }));
    }

    #[test]
    fn memory_network_and_futex_calls_as_strace_prints_them() {
        assert_eq!(shown(line("madvise", [0x7f00, 8192, 4, 0, 0, 0])), "0x7f00, typed, MADV_DONTNEED");
        assert_eq!(shown(line("socket", [2, 0o2000001, 0, 0, 0, 0])), "AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP");
        assert_eq!(shown(line("socket", [1, 5 | 0o4000, 0, 0, 0, 0])), "AF_UNIX, SOCK_SEQPACKET|SOCK_NONBLOCK, 0");
        assert_eq!(shown(line("shutdown", [8, 2, 0, 0, 0, 0])), "8, SHUT_RDWR");
        assert_eq!(shown(line("futex", [0x7f00, 128, 2, 0, 0, 0])), "0x7f00, FUTEX_WAIT_PRIVATE, 2, NULL");
        assert_eq!(shown(line("futex", [0x7f00, 129, 1, 0, 0, 0])), "0x7f00, FUTEX_WAKE_PRIVATE, 1");
        assert_eq!(
            shown(line("futex", [0x7f00, 5, 1, 2, 0x7f08, 0xdead_bee4])),
            "0x7f00, FUTEX_WAKE_OP, 1, 2, 0x7f08, FUTEX_OP_OPARG_SHIFT<<28|0x5<<28 /* FUTEX_OP_??? */|0xadb<<12|0xe<<24 /* FUTEX_OP_CMP_??? */|0xee4"
        );
        assert_eq!(shown(line("futex", [0x7f00, 14, 1, 0x7f10, 0x7f08, 0x9caf])), "0x7f00, 0xe /* FUTEX_??? */, 1, 0x7f10, 0x7f08, 0x9caf");
        // strace's futex test: a zero bitset is C's %#x of 0.
        assert_eq!(shown(line("futex", [0x7f00, 9, 7, 0, 0, 0])), "0x7f00, FUTEX_WAIT_BITSET, 7, NULL, 0");
        // strace's umask, mkdir and creat tests: modes are unsigned short.
        assert_eq!(shown(line("umask", [0xffff_0000, 0, 0, 0, 0, 0])), "000");
        // strace's rt_sigprocmask test: a sigset size other than 8 prints the addresses.
        assert_eq!(shown(line("rt_sigprocmask", [2, 0x7ff0, 0x7ff8, 16, 0, 0])), "SIG_SETMASK, 0x7ff0, 0x7ff8, typed");
        // A timeout that could not be read is its address; REQUEUE's fourth argument is a count.
        assert_eq!(shown(line("futex", [0x7f00, 128, 2, 0x7ff0, 0, 0])), "0x7f00, FUTEX_WAIT_PRIVATE, 2, 0x7ff0");
        assert_eq!(shown(line("futex", [0x7f00, 131, 1, 5, 0x7f08, 0])), "0x7f00, FUTEX_REQUEUE_PRIVATE, 1, 5, 0x7f08");
        // futexops.in's or-ed names (glibc's pthread_cond_timedwait on CLOCK_REALTIME).
        assert_eq!(
            shown(line("futex", [0x7f00, 0x189, 0, 0, 0, 0xffff_ffff])),
            "0x7f00, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY"
        );
        assert_eq!(shown(line("kill", [5, 15, 0, 0, 0, 0])), "typed, SIGTERM");
    }
}
