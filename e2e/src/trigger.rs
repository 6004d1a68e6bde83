//! Trigger programs: each makes system calls with values it chooses, then
//! prints, one JSON object per line, the events argtrace must show (`expect`)
//! or must not show (`absent`), with the exact values and results it got.
//! Run as `argtrace-e2e trigger <case>`; it waits for a line on stdin first,
//! so argtrace can attach to its pid before anything happens.

use std::io::{BufRead, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use argtrace_testkit::process::gettid;
use serde_json::{json, Value};

use argtrace::decode::process::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SETTLS,
    CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
};

const SIGCHLD: u64 = libc::SIGCHLD as u64;

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as u64 }
}

pub fn run(case: &str) -> i32 {
    if case == "compat" {
        return run_compat();
    }
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let pid = std::process::id();
    let expectations = match case {
        "mmap" => mmap(pid),
        "clone" => clone(pid),
        "tcp" => tcp(pid),
        "tcp-send" => crate::tcp_send::trigger(),
        "syscall" => crate::syscall::trigger(),
        "syscall-structs" => crate::syscall_structs::trigger(),
        "syscall-io" => crate::syscall_io::trigger(),
        other => {
            eprintln!("argtrace-e2e: unknown trigger {other}");
            return 2;
        }
    };
    let mut out = std::io::stdout().lock();
    for e in expectations {
        let _ = writeln!(out, "{e}");
    }
    0
}

/// The 32-bit ABI of this architecture as argtrace names it (JSON `"abi"`),
/// and as the suite names its cases (`i386-mmap`, `aarch32-mmap`).
pub fn compat_abi() -> (&'static str, &'static str) {
    if cfg!(target_arch = "x86_64") {
        ("i386", "i386")
    } else {
        ("arm", "aarch32")
    }
}

/// The 32-bit trigger (e2e/compat/trigger.c, built by e2e/build.rs: i386 or
/// AArch32), written to a fresh executable file whose path is returned.
fn write_compat() -> Result<std::path::PathBuf, String> {
    const COMPAT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/argtrace-compat"));
    if COMPAT.is_empty() {
        return Err("no 32-bit trigger in this build (built by e2e/build.rs with gcc -m32 -static on x86_64, \
             arm-linux-gnueabihf-gcc -static on arm64: scripts/deps.sh's deps_vm installs them)"
            .into());
    }
    let path = std::env::temp_dir().join(format!("argtrace-compat-{}", std::process::id()));
    std::fs::write(&path, COMPAT)
        .and_then(|()| std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700)))
        .map_err(|e| format!("cannot write the 32-bit trigger to {}: {e}", path.display()))?;
    Ok(path)
}

/// Whether this kernel runs the 32-bit trigger at all: Ok(false) when exec
/// says ENOEXEC (a kernel without CONFIG_IA32_EMULATION or CONFIG_COMPAT, or
/// a CPU without AArch32 at EL0).
pub fn compat_runs() -> Result<bool, String> {
    let path = write_compat()?;
    let status = std::process::Command::new(&path).arg("--check").status();
    let _ = std::fs::remove_file(&path);
    match status {
        Ok(s) if s.success() => Ok(true),
        Ok(s) => Err(format!("the 32-bit trigger's --check ended with {s}")),
        Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => Ok(false),
        Err(e) => Err(format!("cannot run the 32-bit trigger: {e}")),
    }
}

/// The 32-bit trigger, run in this process's place (exec: the same pid,
/// which argtrace is told to trace, and the same stdin and stdout). It waits
/// for "go" and prints its own expectations.
fn run_compat() -> i32 {
    let path = match write_compat() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("argtrace-e2e: {e}");
            return 2;
        }
    };
    let e = std::os::unix::process::CommandExt::exec(std::process::Command::new(&path).arg("--remove-self"));
    eprintln!("argtrace-e2e: cannot run the 32-bit trigger: {e}");
    let _ = std::fs::remove_file(&path);
    2
}

fn expect(pid: u32, tid: u32, event: &str, syscall: &str, args: Value, ret: i64) -> Value {
    json!({"expect": {"event": event, "syscall": syscall, "pid": pid, "tid": tid, "args": args, "ret": ret}})
}

/// A shared file mapping at a non-zero offset (so the sixth argument is
/// proven), an anonymous one, and one that fails with EBADF.
fn mmap(pid: u32) -> Vec<Value> {
    let page = page_size();
    let tid = gettid();
    let path = std::env::temp_dir().join(format!("argtrace-e2e-{pid}"));
    let file = std::fs::File::create(&path).expect("create the mapped file");
    file.set_len(4 * page).expect("size the mapped file");
    let file = std::fs::File::open(&path).expect("reopen read-only");
    let _ = std::fs::remove_file(&path);
    let fd = file.as_raw_fd();

    let len1 = 2 * page + 123; // a length no library would choose
    let off1 = 2 * page;
    // SAFETY: a fresh mapping at an address the kernel picks; unmapped below.
    let a1 =
        unsafe { libc::mmap(std::ptr::null_mut(), len1 as usize, libc::PROT_READ, libc::MAP_SHARED, fd, off1 as i64) };
    let len2 = 7 * page;
    let flags2 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    // SAFETY: as above.
    let a2 =
        unsafe { libc::mmap(std::ptr::null_mut(), len2 as usize, libc::PROT_READ | libc::PROT_WRITE, flags2, -1, 0) };
    // SAFETY: fd 1000 is not open in this process, so this fails with EBADF.
    let a3 = unsafe { libc::mmap(std::ptr::null_mut(), 3 * page as usize, libc::PROT_READ, libc::MAP_SHARED, 1000, 0) };
    let errno3 = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    assert!(a1 != libc::MAP_FAILED && a2 != libc::MAP_FAILED && a3 == libc::MAP_FAILED);
    // SAFETY: unmapping exactly what was mapped above.
    unsafe {
        libc::munmap(a1, len1 as usize);
        libc::munmap(a2, len2 as usize);
    }
    vec![
        expect(
            pid,
            tid,
            "mmap",
            "mmap",
            json!({
                "addr": 0, "len": len1, "prot": 1, "prot_str": "PROT_READ",
                "flags": 1, "flags_str": "MAP_SHARED", "fd": fd, "offset": off1, "pgoff": 2
            }),
            a1 as i64,
        ),
        expect(
            pid,
            tid,
            "mmap",
            "mmap",
            json!({
                "addr": 0, "len": len2, "prot": 3, "prot_str": "PROT_READ|PROT_WRITE",
                "flags": flags2, "flags_str": "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE", "fd": -1, "offset": 0, "pgoff": 0
            }),
            a2 as i64,
        ),
        json!({"expect": {"event": "mmap", "pid": pid, "tid": tid,
            "args": {"len": 3 * page, "fd": 1000, "flags_str": "MAP_SHARED"},
            "ret": -(errno3 as i64), "error": "EBADF"}}),
    ]
}

static mut PARENT_TID: u32 = 0;
static mut CHILD_TID: u32 = 0;
static mut PIDFD: i32 = -1;
static mut TLS_AREA: [u64; 32] = [0; 32];

/// The child of the raw clone: proves where the kernel put child_tid and tls
/// (the architectures order them differently) and exits with 0 if right.
/// Touches no thread-local storage: its TLS register points at TLS_AREA.
fn raw_clone_child(expect_tls: u64) -> ! {
    // SAFETY: raw syscalls and reads of this process's own statics.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as u32;
        let tls_now: u64;
        #[cfg(target_arch = "x86_64")]
        {
            let mut fs: u64 = 0;
            libc::syscall(libc::SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &mut fs as *mut u64);
            tls_now = fs;
        }
        #[cfg(target_arch = "aarch64")]
        {
            let v: u64;
            std::arch::asm!("mrs {}, tpidr_el0", out(reg) v);
            tls_now = v;
        }
        let child_tid_ok = std::ptr::read_volatile(std::ptr::addr_of!(CHILD_TID)) == tid;
        let code = if child_tid_ok && tls_now == expect_tls { 0 } else { 1 };
        libc::syscall(libc::SYS_exit_group, code);
    }
    unreachable!()
}

/// vfork(2) by hand: the child shares our memory and stack, so it must not
/// return into Rust at all; it exits inside the same asm block.
#[cfg(target_arch = "x86_64")]
fn raw_vfork() -> i64 {
    let ret: i64;
    // SAFETY: the child only runs the exit_group syscall, touching registers only;
    // the parent resumes after the child has exited, with the child's pid in rax.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov eax, 231",
            "xor edi, edi",
            "syscall",
            "2:",
            inlateout("rax") libc::SYS_vfork => ret,
            out("rdi") _, out("rcx") _, out("r11") _,
        );
    }
    ret
}

static mut THREAD_PARENT_TID: u32 = 0;
static mut THREAD_CHILD_TID: u32 = 0;

/// clone3(CLONE_VM|CLONE_THREAD...) by hand. The new thread runs on a stack of
/// our own and must not run Rust at all: it exits inside the asm block.
fn raw_clone3_thread(args: &[u64; 11]) -> i64 {
    let ret: i64;
    // SAFETY: the child thread only executes the exit syscall on its own stack,
    // touching registers only; the parent continues with the new tid.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "mov eax, 60",
            "xor edi, edi",
            "syscall",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 => ret,
            in("rdi") args.as_ptr(),
            in("rsi") 88usize,
            out("rcx") _, out("r11") _,
        );
    }
    // SAFETY: as above.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!(
            "svc 0",
            "cbnz x0, 2f",
            "mov x8, 93",
            "mov x0, 0",
            "svc 0",
            "brk 0",
            "2:",
            inlateout("x0") args.as_ptr() as i64 => ret,
            in("x1") 88usize,
            inout("x8") libc::SYS_clone3 => _,
        );
    }
    ret
}

fn clone3_thread(pid: u32, tid: u32) -> Value {
    const FLAGS: u64 = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SYSVSEM
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID;
    let stack = vec![0u8; 64 * 1024];
    let stack_size = (stack.len() as u64) & !15;
    let ptid = std::ptr::addr_of_mut!(THREAD_PARENT_TID) as u64;
    let ctid = std::ptr::addr_of_mut!(THREAD_CHILD_TID) as u64;
    // The kernel clears child_tid when the thread exits (CLONE_CHILD_CLEARTID).
    // SAFETY: our own static; no thread runs yet.
    unsafe { std::ptr::write_volatile(ctid as *mut u32, 1) };
    let mut args = [0u64; 11];
    args[0] = FLAGS;
    args[2] = ctid;
    args[3] = ptid;
    args[5] = stack.as_ptr() as u64;
    args[6] = stack_size;
    let new_tid = raw_clone3_thread(&args);
    if new_tid <= 0 {
        return json!({"trigger_error": format!("raw clone3 thread failed: {new_tid}")});
    }
    // SAFETY: reading our own static, which the kernel clears at thread exit.
    while unsafe { std::ptr::read_volatile(ctid as *const u32) } != 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(stack);
    // SAFETY: the kernel wrote the new tid here (CLONE_PARENT_SETTID).
    let written = unsafe { std::ptr::read_volatile(ptid as *const u32) } as i64;
    if written != new_tid {
        return json!({"trigger_error": format!("clone3 thread: parent_tid {written} != {new_tid}")});
    }
    json!({"expect": {"event": "clone", "syscall": "clone3", "pid": pid, "tid": tid,
        "args": {"flags": FLAGS,
                 "flags_str": "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID",
                 "exit_signal": 0, "pidfd": 0, "pidfd_value": null, "child_tid": ctid, "parent_tid": ptid,
                 "parent_tid_value": new_tid,
                 "stack": args[5], "stack_size": stack_size, "tls": 0, "size": 88},
        "ret": new_tid}})
}

fn wait_child(pid: i64) -> i32 {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    }
}

/// A fork, a thread (clone3 from the C library), a raw clone with distinct
/// parent_tid, child_tid and tls, a raw clone3, and (x86_64) fork and vfork.
fn clone(pid: u32) -> Vec<Value> {
    let tid = gettid();
    let mut out = Vec::new();

    // fork(): the C library's clone with SIGCHLD.
    // SAFETY: the child only calls _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        // SAFETY: leaving the child at once.
        unsafe { libc::_exit(0) };
    }
    wait_child(child as i64);
    out.push(json!({"expect": {"event": "clone", "syscall": "clone", "pid": pid, "tid": tid,
        "args": {"exit_signal": SIGCHLD}, "ret": child}}));

    // A thread from the C library: glibc 2.36 uses clone3 on x86_64 and clone on
    // arm64 (it has no clone3 wrapper there); the result is the thread's tid.
    let handle = std::thread::spawn(gettid);
    let thread_tid = handle.join().expect("thread");
    let lib_syscall = if cfg!(target_arch = "x86_64") { "clone3" } else { "clone" };
    out.push(json!({"expect": {"event": "clone", "syscall": lib_syscall, "pid": pid, "tid": tid,
        "args": {"exit_signal": 0}, "flags_has": ["CLONE_VM", "CLONE_THREAD"], "ret": thread_tid}}));

    // A thread by a raw clone3 with a stack, stack size and tid pointers of our
    // own, on both architectures.
    out.push(clone3_thread(pid, tid));

    // A raw clone whose parent_tid, child_tid and tls are distinct addresses the
    // kernel really uses (SETTID and SETTLS): the child checks them, the parent
    // checks parent_tid.
    let flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_SETTLS | SIGCHLD;
    let (ptid, ctid, tls) = (
        std::ptr::addr_of_mut!(PARENT_TID) as u64,
        std::ptr::addr_of_mut!(CHILD_TID) as u64,
        std::ptr::addr_of_mut!(TLS_AREA) as u64 + 64,
    );
    // The architectures' own argument orders, from their syscall tables.
    #[cfg(target_arch = "x86_64")]
    let (arg4, arg5) = (ctid, tls);
    #[cfg(target_arch = "aarch64")]
    let (arg4, arg5) = (tls, ctid);
    // SAFETY: no CLONE_VM: the child runs on a copy of this stack and exits
    // through raw syscalls only.
    let child = unsafe { libc::syscall(libc::SYS_clone, flags, 0u64, ptid, arg4, arg5) };
    if child == 0 {
        raw_clone_child(tls);
    }
    let child_ok = wait_child(child) == 0;
    // SAFETY: reading our own static, written by the kernel.
    let ptid_ok = unsafe { std::ptr::read_volatile(std::ptr::addr_of!(PARENT_TID)) } as i64 == child;
    if child_ok && ptid_ok {
        out.push(json!({"expect": {"event": "clone", "syscall": "clone", "pid": pid, "tid": tid,
            "args": {"flags": flags, "flags_str": "CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_SETTID|SIGCHLD",
                     "exit_signal": SIGCHLD, "newsp": 0, "parent_tid": ptid, "parent_tid_value": child,
                     "child_tid": ctid, "tls": tls},
            "ret": child}}));
    } else {
        out.push(json!({"trigger_error": format!(
            "raw clone: the kernel did not use the arguments as this architecture's order says (child ok {child_ok}, parent_tid ok {ptid_ok})")}));
    }

    // A raw clone3 of a process, with pidfd and parent_tid.
    let mut args = [0u64; 11];
    let c3flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    let (pidfd_ptr, ptid_ptr) = (std::ptr::addr_of_mut!(PIDFD) as u64, std::ptr::addr_of_mut!(PARENT_TID) as u64);
    args[0] = c3flags;
    args[1] = pidfd_ptr;
    args[3] = ptid_ptr;
    args[4] = SIGCHLD;
    // SAFETY: no CLONE_VM and no stack: the child is a fork-like copy that exits at once.
    let child = unsafe { libc::syscall(libc::SYS_clone3, args.as_ptr(), 88usize) };
    if child == 0 {
        // SAFETY: leaving the child at once.
        unsafe { libc::syscall(libc::SYS_exit_group, 0) };
    }
    wait_child(child);
    // SAFETY: reading our own statics, written by the kernel (CLONE_PIDFD, CLONE_PARENT_SETTID).
    let (pidfd, written_tid) = unsafe {
        (std::ptr::read_volatile(std::ptr::addr_of!(PIDFD)), std::ptr::read_volatile(std::ptr::addr_of!(PARENT_TID)))
    };
    out.push(json!({"expect": {"event": "clone", "syscall": "clone3", "pid": pid, "tid": tid,
        "args": {"flags": c3flags, "flags_str": "CLONE_PIDFD|CLONE_PARENT_SETTID", "exit_signal": SIGCHLD,
                 "pidfd": pidfd_ptr, "pidfd_value": pidfd, "parent_tid": ptid_ptr, "parent_tid_value": written_tid,
                 "child_tid": 0, "stack": 0, "stack_size": 0,
                 "tls": 0, "size": 88},
        "ret": child}}));

    // A clone that fails: CLONE_SIGHAND without CLONE_VM is EINVAL.
    // SAFETY: the kernel rejects the flags before creating anything.
    let r = unsafe { libc::syscall(libc::SYS_clone, CLONE_SIGHAND | SIGCHLD, 0u64, 0u64, 0u64, 0u64) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    if r == -1 {
        out.push(json!({"expect": {"event": "clone", "syscall": "clone", "pid": pid, "tid": tid,
            "args": {"flags": CLONE_SIGHAND | SIGCHLD, "flags_str": "CLONE_SIGHAND|SIGCHLD"},
            "ret": -(errno as i64), "error": "EINVAL"}}));
    }

    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: fork semantics: the child has its own copy and exits at once.
        let child = unsafe { libc::syscall(libc::SYS_fork) };
        if child == 0 {
            // SAFETY: leaving the child at once.
            unsafe { libc::syscall(libc::SYS_exit_group, 0) };
        }
        wait_child(child);
        out.push(json!({"expect": {"event": "clone", "syscall": "fork", "pid": pid, "tid": tid,
            "args": {}, "ret": child}}));
        let child = raw_vfork();
        wait_child(child);
        out.push(json!({"expect": {"event": "clone", "syscall": "vfork", "pid": pid, "tid": tid,
            "args": {}, "ret": child}}));
    }
    out
}

/// Connects over IPv6, IPv4 and v4-mapped IPv6 to local listeners, and once to
/// a closed port. Which of them argtrace must show depends on its --family;
/// the suite picks from these by family.
fn tcp(pid: u32) -> Vec<Value> {
    let tid = gettid();
    let l6 = TcpListener::bind("[::1]:0").expect("IPv6 listener on ::1");
    let l4 = TcpListener::bind("127.0.0.1:0").expect("IPv4 listener on 127.0.0.1");
    let lany = TcpListener::bind("[::]:0").expect("dual-stack listener");
    let p6 = l6.local_addr().unwrap().port();
    let p4 = l4.local_addr().unwrap().port();
    let pany = lany.local_addr().unwrap().port();
    // A port nobody listens on: bind and drop.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();

    let s6 = TcpStream::connect(("::1", p6)).expect("IPv6 connect");
    let sp6 = s6.local_addr().unwrap().port();
    let s4 = TcpStream::connect(("127.0.0.1", p4)).expect("IPv4 connect");
    let sp4 = s4.local_addr().unwrap().port();
    let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
    let sm = TcpStream::connect(SocketAddr::from((mapped, pany))).expect("v4-mapped connect");
    let spm = sm.local_addr().unwrap().port();
    let refused = TcpStream::connect(("127.0.0.1", closed));
    let refused_errno = refused.err().and_then(|e| e.raw_os_error()).unwrap_or(0);

    let ev = |family: &str, saddr: &str, sport: Option<u16>, daddr: &str, dport: u16, ret: i64| {
        let mut args = json!({"family": family, "saddr": saddr, "daddr": daddr, "dport": dport});
        if let Some(p) = sport {
            args["sport"] = json!(p);
        }
        json!({"event": "tcp_connect", "syscall": "connect", "pid": pid, "tid": tid, "args": args, "ret": ret})
    };
    vec![
        json!({"family": "inet6", "event": ev("AF_INET6", "::1", Some(sp6), "::1", p6, 0)}),
        json!({"family": "inet", "event": ev("AF_INET", "127.0.0.1", Some(sp4), "127.0.0.1", p4, 0)}),
        json!({"family": "inet6", "event": ev("AF_INET6", "::ffff:127.0.0.1", Some(spm), "::ffff:127.0.0.1", pany, 0)}),
        // The kernel released the refused socket's port: the trigger cannot know it.
        json!({"family": "inet", "refused": true,
               "event": ev("AF_INET", "127.0.0.1", None, "127.0.0.1", closed, -(refused_errno as i64))}),
    ]
}
