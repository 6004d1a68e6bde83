//! `argtrace syscall`'s struct decoders, live (issue 19): a trigger makes
//! calls whose structs and arrays hold values it chose (sockaddr_in, in6 and
//! un, an iovec array in and out, pollfds in and their revents, an
//! epoll_event in and out, a statx result, a path longer than its entry
//! slot and one longer than PATH_MAX, fcntl's struct flock in and out,
//! recvfrom's source address, execve's argv and envp, rt_sigreturn's
//! frame's signal mask, setgroups' gids up to the end of their page,
//! getresgid's three cells) and the
//! suite finds each one in argtrace's JSON, field by field (`<arg>_value`),
//! beside strace's spelling (`<arg>_str`). Portable syscalls only: arm64 has
//! no poll, epoll_wait or plain accept/open, so ppoll, epoll_pwait and
//! accept4.

use std::ffi::CString;
use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{find_one, traced_run, Outcome, Traced};

/// What the case selects: the trigger's calls, nothing else.
const SELECTION: &str =
    "trace=bind,connect,getsockname,accept4,writev,readv,ppoll,epoll_ctl,epoll_pwait,statx,chdir,fcntl,recvfrom,execve,rt_sigreturn,setgroups,getresgid";

/// SIGUSR1's handler for rt_sigreturn's case: returning is all it does.
extern "C" fn on_usr1(_: libc::c_int) {}

pub(crate) fn expect(pid: u32, syscall: &str, args: Value, ret: Value) -> Value {
    json!({"expect": {"event": "syscall", "syscall": syscall, "pid": pid, "tid": pid, "args": args, "ret": ret}})
}

pub(crate) fn sockaddr_in(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be() },
        sin_zero: [0; 8],
    }
}

/// The local port of socket `fd` (getsockname, traced too).
pub(crate) fn local_port(fd: i32) -> u16 {
    let mut a = sockaddr_in(0);
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a and len are this function's own.
    unsafe { libc::syscall(libc::SYS_getsockname, fd, &mut a as *mut _ as *mut libc::sockaddr, &mut len) };
    u16::from_be(a.sin_port)
}

pub(crate) fn inet(port: u16) -> Value {
    json!({"sa_family": "AF_INET", "sin_port": port, "sin_addr": "127.0.0.1"})
}

pub(crate) fn fail(what: &str) -> Vec<Value> {
    vec![json!({"trigger_error": format!("{what}: {}", std::io::Error::last_os_error())})]
}

pub fn trigger() -> Vec<Value> {
    let pid = std::process::id();
    let sin_len = std::mem::size_of::<libc::sockaddr_in>() as u32;
    let mut out = Vec::new();
    // SAFETY: plain syscalls on memory this function owns.
    unsafe {
        // sockaddr_in: a listener bound to 127.0.0.1 port 0, the port the
        // kernel chose read back, a client connected to it, accepted.
        let ls = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let any = sockaddr_in(0);
        if libc::syscall(libc::SYS_bind, ls, &any as *const _ as *const libc::sockaddr, sin_len) != 0 {
            return fail("bind");
        }
        out.push(expect(pid, "bind", json!({"fd": ls, "umyaddr_value": inet(0), "addrlen": 16}), json!(0)));
        libc::listen(ls, 4);
        let port = local_port(ls);
        out.push(expect(
            pid,
            "getsockname",
            json!({"fd": ls, "usockaddr_value": inet(port), "usockaddr_len_str": "[16]"}),
            json!(0),
        ));
        let cs = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let to = sockaddr_in(port);
        if libc::syscall(libc::SYS_connect, cs, &to as *const _ as *const libc::sockaddr, sin_len) != 0 {
            return fail("connect");
        }
        out.push(expect(pid, "connect", json!({"fd": cs, "uservaddr_value": inet(port), "addrlen": 16}), json!(0)));
        let client_port = local_port(cs);
        // A buffer longer than the peer's address: the kernel writes 16 back.
        let mut peer = [0u8; 28];
        let mut plen: libc::socklen_t = 28;
        let fd = libc::syscall(libc::SYS_accept4, ls, peer.as_mut_ptr(), &mut plen, libc::SOCK_CLOEXEC) as i32;
        if fd < 0 {
            return fail("accept4");
        }
        out.push(expect(
            pid,
            "accept4",
            json!({"fd": ls, "upeer_sockaddr_value": inet(client_port), "upeer_addrlen_str": "[28 => 16]",
                "flags_str": "SOCK_CLOEXEC"}),
            json!(fd),
        ));
        // sockaddr_in6: a UDP socket connected to [::1] on a port chosen here.
        let port6 = 20000 + (pid % 10000) as u16;
        let mut s6: libc::sockaddr_in6 = std::mem::zeroed();
        s6.sin6_family = libc::AF_INET6 as u16;
        s6.sin6_port = port6.to_be();
        s6.sin6_addr.s6_addr[15] = 1;
        let u6 = libc::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0);
        let r = libc::syscall(libc::SYS_connect, u6, &s6 as *const _ as *const libc::sockaddr, 28);
        out.push(expect(
            pid,
            "connect",
            json!({"fd": u6, "uservaddr_value": {"sa_family": "AF_INET6", "sin6_port": port6, "sin6_flowinfo": 0,
                "sin6_addr": "::1", "sin6_scope_id": 0}, "addrlen": 28}),
            json!(r),
        ));
        // sockaddr_un: a path that does not exist (ENOENT), its exact length.
        let path = format!("/tmp/argtrace-e2e-{pid}.sock");
        let mut un: libc::sockaddr_un = std::mem::zeroed();
        un.sun_family = libc::AF_UNIX as u16;
        for (d, s) in un.sun_path.iter_mut().zip(path.bytes()) {
            *d = s as libc::c_char;
        }
        let un_len = 2 + path.len() + 1;
        let us = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        let r = libc::syscall(libc::SYS_connect, us, &un as *const _ as *const libc::sockaddr, un_len);
        out.push(expect(
            pid,
            "connect",
            json!({"fd": us, "uservaddr_value": {"sa_family": "AF_UNIX", "sun_path": path}, "addrlen": un_len}),
            json!(if r < 0 { -(*libc::__errno_location()) as i64 } else { r }),
        ));
        // A sockaddr that cannot be read: its address, as strace prints it.
        let r = libc::syscall(libc::SYS_connect, us, 16usize, 16);
        out.push(expect(
            pid,
            "connect",
            json!({"fd": us, "uservaddr": 16, "uservaddr_str": "0x10", "addrlen": 16}),
            json!(if r < 0 { -(*libc::__errno_location()) as i64 } else { r }),
        ));
        // iovec: two buffers written, read back into a short and a long one.
        let mut p = [0i32; 2];
        libc::pipe(p.as_mut_ptr());
        let (a, b) = (b"hello ".to_vec(), format!("vectors {pid}").into_bytes());
        let wv = [
            libc::iovec { iov_base: a.as_ptr() as *mut _, iov_len: a.len() },
            libc::iovec { iov_base: b.as_ptr() as *mut _, iov_len: b.len() },
        ];
        let n = libc::syscall(libc::SYS_writev, p[1], wv.as_ptr(), 2);
        let text = |v: &[u8]| String::from_utf8(v.to_vec()).expect("ASCII");
        out.push(expect(
            pid,
            "writev",
            json!({"fd": p[1], "vec_value": [{"iov_base": text(&a), "iov_len": a.len()},
                {"iov_base": text(&b), "iov_len": b.len()}], "vlen": 2}),
            json!(n),
        ));
        let (mut r1, mut r2) = ([0u8; 4], [0u8; 64]);
        let rv = [
            libc::iovec { iov_base: r1.as_mut_ptr() as *mut _, iov_len: 4 },
            libc::iovec { iov_base: r2.as_mut_ptr() as *mut _, iov_len: 64 },
        ];
        let n = libc::syscall(libc::SYS_readv, p[0], rv.as_ptr(), 2);
        let all = [a.clone(), b.clone()].concat();
        out.push(expect(
            pid,
            "readv",
            json!({"fd": p[0], "vec_value": [{"iov_base": text(&all[..4]), "iov_len": 4},
                {"iov_base": text(&all[4..]), "iov_len": 64}], "vlen": 2}),
            json!(n),
        ));
        // pollfd: data waiting in the pipe, so both ends are ready.
        libc::write(p[1], b"x".as_ptr() as *const _, 1);
        let mut pfd = [
            libc::pollfd { fd: p[0], events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: p[1], events: libc::POLLOUT, revents: 0 },
        ];
        let ts = libc::timespec { tv_sec: 1, tv_nsec: 500 };
        let n = libc::syscall(libc::SYS_ppoll, pfd.as_mut_ptr(), 2, &ts, 0usize, 8);
        out.push(expect(
            pid,
            "ppoll",
            json!({"ufds_value": [{"fd": p[0], "events": "POLLIN", "revents": "POLLIN"},
                {"fd": p[1], "events": "POLLOUT", "revents": "POLLOUT"}], "nfds": 2,
                "tsp_str": "{tv_sec=1, tv_nsec=500}"}),
            json!(n),
        ));
        // epoll_event: registered with data chosen here, returned with it.
        let ep = libc::epoll_create1(0);
        let data = 0x1234_5678_0000u64 + u64::from(pid);
        let mut ev = libc::epoll_event { events: libc::EPOLLOUT as u32, u64: data };
        let r = libc::syscall(libc::SYS_epoll_ctl, ep, libc::EPOLL_CTL_ADD, p[1], &mut ev);
        out.push(expect(
            pid,
            "epoll_ctl",
            json!({"epfd": ep, "op_str": "EPOLL_CTL_ADD", "fd": p[1], "event_value": {"events": "EPOLLOUT", "data": data}}),
            json!(r),
        ));
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 4];
        let n = libc::syscall(libc::SYS_epoll_pwait, ep, evs.as_mut_ptr(), 4, 1000, 0usize, 8);
        out.push(expect(
            pid,
            "epoll_pwait",
            json!({"epfd": ep, "events_value": [{"events": "EPOLLOUT", "data": data}], "maxevents": 4}),
            json!(n),
        ));
        // setgroups: three gids of which the page holds two, the next page
        // unmapped: the two read and the address of the third (the kernel
        // refuses the gid -1 before it gets there: EINVAL, the process's
        // groups unchanged).
        let page = 4096usize;
        let two = libc::mmap(
            std::ptr::null_mut(),
            2 * page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if two == libc::MAP_FAILED {
            return fail("mmap");
        }
        libc::munmap((two as *mut u8).add(page).cast(), page);
        let gids = (two as *mut u8).add(page - 8).cast::<u32>();
        gids.write(7);
        gids.add(1).write(u32::MAX);
        let r = libc::syscall(libc::SYS_setgroups, 3, gids);
        let r = if r < 0 { -(*libc::__errno_location()) as i64 } else { r };
        let third = gids as usize + 8;
        out.push(expect(
            pid,
            "setgroups",
            json!({"gidsetsize": 3, "grouplist_str": format!("[7, -1, ... /* {third:#x} */]")}),
            json!(r),
        ));
        libc::munmap(two, page);
        // statx: a file of a size and mode chosen here.
        let file = format!("/tmp/argtrace-e2e-statx-{pid}");
        let size = 1000 + u64::from(pid % 1000);
        if std::fs::write(&file, vec![b'x'; size as usize]).is_err() {
            return fail("write the statx file");
        }
        let cfile = CString::new(file.clone()).expect("no NUL");
        libc::chmod(cfile.as_ptr(), 0o640);
        let mut stx = [0u8; 256];
        let r = libc::syscall(libc::SYS_statx, libc::AT_FDCWD, cfile.as_ptr(), 0, 0x7ff, stx.as_mut_ptr());
        let _ = std::fs::remove_file(&file);
        out.push(expect(
            pid,
            "statx",
            json!({"filename": file, "flags_str": "AT_STATX_SYNC_AS_STAT", "mask_str": "STATX_BASIC_STATS",
                "buffer_value": {"stx_mode": "S_IFREG|0640", "stx_size": size}}),
            json!(r),
        ));
        // A path longer than its 264-byte entry slot, whole: the working
        // directory again, through as many `/.` as this process chooses.
        let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "/".into());
        let long = format!("{}{}", cwd.trim_end_matches('/'), "/.".repeat(300 + (pid % 100) as usize));
        let clong = CString::new(long.clone()).expect("no NUL");
        let r = libc::syscall(libc::SYS_chdir, clong.as_ptr());
        out.push(expect(pid, "chdir", json!({"filename": long}), json!(r)));
        // One longer than PATH_MAX: its first 4095 bytes, cut as strace cuts it.
        let too_long = "/".repeat(5000 + (pid % 100) as usize);
        let ctoo = CString::new(too_long.clone()).expect("no NUL");
        let r = libc::syscall(libc::SYS_chdir, ctoo.as_ptr());
        out.push(expect(
            pid,
            "chdir",
            json!({"filename": &too_long[..4095], "filename_cut": true}),
            json!(if r < 0 { -(*libc::__errno_location()) as i64 } else { r }),
        ));
        // struct flock: a write lock on a range chosen here, then the lock
        // another would meet there (none: the process's own).
        let lock_file = format!("/tmp/argtrace-e2e-lock-{pid}");
        let clock = CString::new(lock_file.clone()).expect("no NUL");
        let lf = libc::open(clock.as_ptr(), libc::O_RDWR | libc::O_CREAT, 0o600);
        let start = i64::from(pid % 1000);
        let mut fl: libc::flock = std::mem::zeroed();
        fl.l_type = libc::F_WRLCK as i16;
        fl.l_whence = libc::SEEK_SET as i16;
        fl.l_start = start;
        fl.l_len = 4096;
        let r = libc::syscall(libc::SYS_fcntl, lf, libc::F_SETLK, &fl);
        out.push(expect(
            pid,
            "fcntl",
            json!({"fd": lf, "cmd_str": "F_SETLK", "arg_value": {"l_type": "F_WRLCK", "l_whence": "SEEK_SET",
                "l_start": start, "l_len": 4096}}),
            json!(r),
        ));
        fl.l_type = libc::F_RDLCK as i16;
        let r = libc::syscall(libc::SYS_fcntl, lf, libc::F_GETLK, &mut fl);
        out.push(expect(
            pid,
            "fcntl",
            json!({"fd": lf, "cmd_str": "F_GETLK", "arg_value": {"l_type": "F_UNLCK", "l_whence": "SEEK_SET",
                "l_start": start, "l_len": 4096, "l_pid": 0}}),
            json!(r),
        ));
        libc::close(lf);
        let _ = std::fs::remove_file(&lock_file);
        // recvfrom's source address beside the bytes: a datagram from a
        // socket bound to a path chosen here.
        let bind_un = |path: &str| {
            let mut un: libc::sockaddr_un = std::mem::zeroed();
            un.sun_family = libc::AF_UNIX as u16;
            for (d, s) in un.sun_path.iter_mut().zip(path.bytes()) {
                *d = s as libc::c_char;
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            libc::bind(fd, &un as *const _ as *const libc::sockaddr, (2 + path.len() + 1) as u32);
            (fd, un)
        };
        let (rpath, spath) = (format!("/tmp/argtrace-e2e-r-{pid}.sock"), format!("/tmp/argtrace-e2e-s-{pid}.sock"));
        let ((rfd, run), (sfd, _)) = (bind_un(&rpath), bind_un(&spath));
        let msg = format!("from {pid}");
        libc::sendto(
            sfd,
            msg.as_ptr() as *const _,
            msg.len(),
            0,
            &run as *const _ as *const libc::sockaddr,
            (2 + rpath.len() + 1) as u32,
        );
        let (mut buf, mut from) = ([0u8; 64], [0u8; 110]);
        let mut flen: libc::socklen_t = 110;
        let n = libc::syscall(libc::SYS_recvfrom, rfd, buf.as_mut_ptr(), 64, 0, from.as_mut_ptr(), &mut flen);
        out.push(expect(
            pid,
            "recvfrom",
            json!({"fd": rfd, "ubuf": msg, "addr_value": {"sa_family": "AF_UNIX", "sun_path": spath},
                "addr_len_str": format!("[110 => {}]", 2 + spath.len() + 1)}),
            json!(n),
        ));
        libc::close(rfd);
        libc::close(sfd);
        let _ = std::fs::remove_file(&rpath);
        let _ = std::fs::remove_file(&spath);
        // A handled signal with HUP and USR2 blocked: rt_sigreturn's frame
        // holds that mask (read at the user stack pointer).
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut());
        let (mut block, mut old): (libc::sigset_t, libc::sigset_t) = (std::mem::zeroed(), std::mem::zeroed());
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGHUP);
        libc::sigaddset(&mut block, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        let r = libc::syscall(libc::SYS_tgkill, pid, pid, libc::SIGUSR1);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if r != 0 {
            return fail("tgkill");
        }
        out.push(expect(
            pid,
            "rt_sigreturn",
            json!({"frame_str": "{mask=[HUP USR2]}", "frame_value": {"mask": "[HUP USR2]"}}),
            json!(0),
        ));
        // execve of a program that does not exist: argv's strings (40: strace
        // shows 32, -s, the last 25 past the entry slot's 7), envp's count.
        let prog = format!("/nonexistent/argtrace-e2e-{pid}");
        let argv_s: Vec<String> = [prog.clone(), "-x".into(), format!("arg {pid}")]
            .into_iter()
            .chain((3..40).map(|k| format!("a{k}")))
            .collect();
        let c: Vec<CString> = argv_s.iter().map(|s| CString::new(s.as_str()).expect("no NUL")).collect();
        let argv: Vec<*const libc::c_char> = c.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();
        let e: Vec<CString> = ["A=1", "B=2"].iter().map(|s| CString::new(*s).expect("no NUL")).collect();
        let envp: Vec<*const libc::c_char> = e.iter().map(|s| s.as_ptr()).chain([std::ptr::null()]).collect();
        let r = libc::syscall(libc::SYS_execve, c[0].as_ptr(), argv.as_ptr(), envp.as_ptr());
        out.push(expect(
            pid,
            "execve",
            json!({"filename": prog, "argv_value": {"count": 40, "strings": argv_s[..32]},
                "argv_str": format!("[{}, ...]", argv_s[..32].iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")),
                "envp_value": {"count": 2}}),
            json!(if r < 0 { -(*libc::__errno_location()) as i64 } else { r }),
        ));
        for fd in [ls, cs, fd, u6, us, p[0], p[1], ep] {
            libc::close(fd);
        }
        // getresgid's three cells (one read through each argument), after
        // setresgid (not traced) gave this trigger gids of its own; last,
        // as nothing after it creates a file.
        let gid = 7000 + pid % 1000;
        if libc::setresgid(gid, gid + 1, gid + 2) != 0 {
            return fail("setresgid");
        }
        let (mut rg, mut eg, mut sg) = (0u32, 0u32, 0u32);
        let r = libc::syscall(libc::SYS_getresgid, &mut rg, &mut eg, &mut sg);
        out.push(expect(
            pid,
            "getresgid",
            json!({"rgidp_str": format!("[{gid}]"), "egidp_str": format!("[{}]", gid + 1),
                "sgidp_str": format!("[{}]", gid + 2)}),
            json!(r),
        ));
    }
    out
}

/// The trigger's `expect` lines, each found exactly once in the mode asked
/// (its failure first, if it said one): how many.
pub(crate) fn expectations_found(t: &Traced, mode: &str) -> Result<usize, String> {
    if let Some(e) = t.expectations.iter().find_map(|e| e.get("trigger_error")) {
        return Err(format!("the trigger failed: {e}"));
    }
    let mut n = 0;
    for want in t.expectations.iter().filter_map(|e| e.get("expect")) {
        find_one(t, want, mode)?;
        n += 1;
    }
    Ok(n)
}

/// The case: every expectation found exactly once, in the mode asked.
pub fn case(argtrace: &Path, mode: &str) -> Outcome {
    let t = traced_run(argtrace, "syscall", &["--probe", mode, "-e", SELECTION], "syscall-structs")?;
    let n = expectations_found(&t, mode)?;
    Ok(format!("{n} calls' structs matched field by field; {}", t.summary))
}
