//! `argtrace syscall`'s last struct decoders of issue 19, live: a trigger
//! makes calls whose structs hold values it chose (pselect6's fd sets and
//! sigmask, sendmsg's and recvmsg's msghdr with a sockaddr_in name and its
//! iovecs, getdents64's record count, CPU sets, prctl's name and signal,
//! termios on a pty, ppoll's time left) and the suite finds each one in
//! argtrace's JSON, field by field (`<arg>_value`) and in strace's spelling
//! (`<arg>_str`, `ret_str`). Portable syscalls only (arm64 has no select or
//! getdents).

use std::ffi::CString;
use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{find_one, traced_run, Outcome, Traced};
use crate::syscall_structs::{expect, expectations_found, fail, inet, local_port as port_of, sockaddr_in};

/// What the case selects: the trigger's calls, nothing else.
const SELECTION: &str =
    "trace=pselect6,ppoll,sendmsg,recvmsg,getdents64,sched_getaffinity,sched_setaffinity,prctl,ioctl";

fn errno_ret(r: i64) -> i64 {
    // SAFETY: reads this thread's errno.
    if r < 0 {
        -(unsafe { *libc::__errno_location() }) as i64
    } else {
        r
    }
}

pub fn trigger() -> Vec<Value> {
    let pid = std::process::id();
    let mut out = Vec::new();
    // SAFETY: plain syscalls on memory this function owns.
    unsafe {
        // pselect6: a pipe with a byte in it, both ends ready; a sigmask of SIGUSR1.
        let mut p = [0i32; 2];
        libc::pipe(p.as_mut_ptr());
        libc::write(p[1], b"x".as_ptr() as *const _, 1);
        let nfds = p[0].max(p[1]) + 1;
        let (mut rd, mut wr): (libc::fd_set, libc::fd_set) = (std::mem::zeroed(), std::mem::zeroed());
        libc::FD_SET(p[0], &mut rd);
        libc::FD_SET(p[1], &mut wr);
        let mask: u64 = 1 << (libc::SIGUSR1 - 1);
        let sig = [&mask as *const u64 as usize, 8usize];
        let r = libc::syscall(libc::SYS_pselect6, nfds, &mut rd, &mut wr, 0usize, 0usize, sig.as_ptr());
        let (a, b) = (p[0], p[1]);
        out.push(expect(
            pid,
            "pselect6",
            json!({"n": nfds, "inp_value": [a], "outp_value": [b], "inp_str": format!("[{a}]"), "exp": null,
                "tsp": null, "sig_str": "{sigmask=[USR1], sigsetsize=8}"}),
            json!(r),
        ));
        out.push(json!({"ret_str": {"syscall": "pselect6", "nfds": nfds,
            "text": format!("2 (in [{a}], out [{b}])")}}));
        // A timeout of zero on nothing ready: strace's `Timeout`.
        let mut none: libc::fd_set = std::mem::zeroed();
        libc::FD_SET(p[1], &mut none);
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        let r = libc::syscall(libc::SYS_pselect6, nfds, &mut none, 0usize, 0usize, &zero, 0usize);
        out.push(expect(
            pid,
            "pselect6",
            json!({"n": nfds, "inp_value": [b], "tsp_str": "{tv_sec=0, tv_nsec=0}", "sig": null}),
            json!(r),
        ));
        // ppoll with a long timeout on a ready pipe: the time left.
        let mut pfd = [libc::pollfd { fd: p[0], events: libc::POLLIN, revents: 0 }];
        let ts = libc::timespec { tv_sec: 100, tv_nsec: 0 };
        let r = libc::syscall(libc::SYS_ppoll, pfd.as_mut_ptr(), 1, &ts, 0usize, 8);
        out.push(json!({"ppoll_left": {"fd": a, "ret": r}}));

        // msghdr: a UDP datagram with a name and two iovecs, received with
        // a name buffer longer than the sender's address.
        let rs = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        let any = sockaddr_in(0);
        let sin_len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        if libc::bind(rs, &any as *const _ as *const libc::sockaddr, sin_len) != 0 {
            return fail("bind");
        }
        let port = port_of(rs);
        let ss = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        if libc::bind(ss, &any as *const _ as *const libc::sockaddr, sin_len) != 0 {
            return fail("bind the sender");
        }
        let sport = port_of(ss);
        let (h, t) = (b"hello ".to_vec(), format!("msg {pid}").into_bytes());
        let mut iov = [
            libc::iovec { iov_base: h.as_ptr() as *mut _, iov_len: h.len() },
            libc::iovec { iov_base: t.as_ptr() as *mut _, iov_len: t.len() },
        ];
        let mut to = sockaddr_in(port);
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_name = &mut to as *mut _ as *mut _;
        msg.msg_namelen = sin_len;
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = 2;
        let n = libc::syscall(libc::SYS_sendmsg, ss, &msg, 0);
        let text = |v: &[u8]| String::from_utf8(v.to_vec()).expect("ASCII");
        out.push(expect(
            pid,
            "sendmsg",
            json!({"fd": ss, "msg_value": {"msg_name": inet(port), "msg_namelen": 16,
                "msg_iov": [{"iov_base": text(&h), "iov_len": h.len()}, {"iov_base": text(&t), "iov_len": t.len()}],
                "msg_iovlen": 2, "msg_controllen": 0, "msg_flags": "0"}, "flags": 0}),
            json!(n),
        ));
        let mut buf = [0u8; 64];
        let mut from = [0u8; 28];
        let mut riov = [libc::iovec { iov_base: buf.as_mut_ptr() as *mut _, iov_len: 64 }];
        let mut rmsg: libc::msghdr = std::mem::zeroed();
        rmsg.msg_name = from.as_mut_ptr() as *mut _;
        rmsg.msg_namelen = 28;
        rmsg.msg_iov = riov.as_mut_ptr();
        rmsg.msg_iovlen = 1;
        let n = libc::syscall(libc::SYS_recvmsg, rs, &mut rmsg, libc::MSG_DONTWAIT);
        let all = text(&[h.clone(), t.clone()].concat());
        out.push(expect(
            pid,
            "recvmsg",
            json!({"fd": rs, "msg_value": {"msg_name": inet(sport), "msg_namelen": 16,
                "msg_iov": [{"iov_base": all, "iov_len": 64}], "msg_iovlen": 1, "msg_controllen": 0, "msg_flags": "0"},
                "msg_str": format!("{{msg_name={{sa_family=AF_INET, sin_port=htons({sport}), sin_addr=inet_addr(\"127.0.0.1\")}}, \
                    msg_namelen=28 => 16, msg_iov=[{{iov_base=\"{all}\", iov_len=64}}], msg_iovlen=1, msg_controllen=0, \
                    msg_flags=0}}"),
                "flags_str": "MSG_DONTWAIT"}),
            json!(n),
        ));
        // A recvmsg that fails (nothing waiting): the msg_namelen it was given.
        rmsg.msg_namelen = 20;
        let r = libc::syscall(libc::SYS_recvmsg, rs, &mut rmsg, libc::MSG_DONTWAIT);
        out.push(expect(pid, "recvmsg", json!({"fd": rs, "msg_str": "{msg_namelen=20}"}), json!(errno_ret(r))));

        // Control messages on a UNIX datagram pair: two descriptors and the
        // sender's credentials out; in, the credentials (SO_PASSCRED) and
        // the descriptors the kernel installed, read back here.
        let mut up = [0i32; 2];
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0, up.as_mut_ptr()) != 0 {
            return fail("socketpair");
        }
        let on: i32 = 1;
        libc::setsockopt(up[1], libc::SOL_SOCKET, libc::SO_PASSCRED, &on as *const _ as *const _, 4);
        let (cpid, cuid, cgid) = (pid as i32, libc::getuid(), libc::getgid());
        let mut cbuf = [0u64; 7]; // CMSG_SPACE(8) + CMSG_SPACE(12): 56 bytes, aligned
        let c = cbuf.as_mut_ptr() as *mut u8;
        let put = |at: usize, v: &[u8]| std::ptr::copy_nonoverlapping(v.as_ptr(), c.add(at), v.len());
        put(0, &24u64.to_ne_bytes());
        put(8, &libc::SOL_SOCKET.to_ne_bytes());
        put(12, &libc::SCM_RIGHTS.to_ne_bytes());
        put(16, &[up[0].to_ne_bytes(), up[1].to_ne_bytes()].concat());
        put(24, &28u64.to_ne_bytes());
        put(32, &libc::SOL_SOCKET.to_ne_bytes());
        put(36, &libc::SCM_CREDENTIALS.to_ne_bytes());
        put(40, &[cpid.to_ne_bytes(), cuid.to_ne_bytes(), cgid.to_ne_bytes()].concat());
        let mut one = [libc::iovec { iov_base: h.as_ptr() as *mut _, iov_len: 1 }];
        let mut cmsg: libc::msghdr = std::mem::zeroed();
        cmsg.msg_iov = one.as_mut_ptr();
        cmsg.msg_iovlen = 1;
        cmsg.msg_control = c as *mut _;
        cmsg.msg_controllen = 56;
        let n = libc::syscall(libc::SYS_sendmsg, up[0], &cmsg, 0);
        let rights = json!({"cmsg_len": 24, "cmsg_level": "SOL_SOCKET", "cmsg_type": "SCM_RIGHTS", "cmsg_data": up});
        let creds = json!({"cmsg_len": 28, "cmsg_level": "SOL_SOCKET", "cmsg_type": "SCM_CREDENTIALS",
            "cmsg_data": {"pid": cpid, "uid": cuid, "gid": cgid}});
        out.push(expect(
            pid,
            "sendmsg",
            json!({"fd": up[0], "msg_value": {"msg_control": [rights, creds], "msg_controllen": 56},
                "msg_str": format!("{{msg_name=NULL, msg_namelen=0, msg_iov=[{{iov_base=\"h\", iov_len=1}}], msg_iovlen=1, \
                    msg_control=[{{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[{}, {}]}}, \
                    {{cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={{pid={cpid}, uid={cuid}, \
                    gid={cgid}}}}}], msg_controllen=56, msg_flags=0}}", up[0], up[1])}),
            json!(n),
        ));
        let mut rbuf = [0u64; 32];
        let mut rone = [libc::iovec { iov_base: buf.as_mut_ptr() as *mut _, iov_len: 8 }];
        let mut rcmsg: libc::msghdr = std::mem::zeroed();
        rcmsg.msg_iov = rone.as_mut_ptr();
        rcmsg.msg_iovlen = 1;
        rcmsg.msg_control = rbuf.as_mut_ptr() as *mut _;
        rcmsg.msg_controllen = 256;
        let n = libc::syscall(libc::SYS_recvmsg, up[1], &mut rcmsg, 0);
        // (the kernel puts the credentials first, then the descriptors it installed)
        let rb = rbuf.as_ptr() as *const u8;
        let got =
            |at: usize| i32::from_ne_bytes(std::slice::from_raw_parts(rb.add(at), 4).try_into().expect("4 bytes"));
        if n != 1 || rcmsg.msg_controllen != 56 || got(12) != libc::SCM_CREDENTIALS || got(44) != libc::SCM_RIGHTS {
            return fail("recvmsg's control messages");
        }
        let (fa, fb) = (got(48), got(52));
        out.push(expect(
            pid,
            "recvmsg",
            json!({"fd": up[1], "msg_value": {"msg_control": [creds, {"cmsg_len": 24, "cmsg_level": "SOL_SOCKET",
                "cmsg_type": "SCM_RIGHTS", "cmsg_data": [fa, fb]}], "msg_controllen": 56}}),
            json!(n),
        ));
        for fd in [up[0], up[1], fa, fb] {
            libc::close(fd);
        }

        // getdents64: a directory of a number of files chosen here.
        let dir = format!("/tmp/argtrace-e2e-dents-{pid}");
        let files = 3 + (pid % 5) as usize;
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::create_dir(&dir).is_err() {
            return fail("create the getdents directory");
        }
        for k in 0..files {
            let _ = std::fs::write(format!("{dir}/f{k}"), b"");
        }
        let cdir = CString::new(dir.clone()).expect("no NUL");
        let dfd = libc::open(cdir.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        // (a size of its own: the C library's readdir, which removes the
        // directory after, asks for 32768)
        let mut dbuf = vec![0u8; 24576];
        let n1 = libc::syscall(libc::SYS_getdents64, dfd, dbuf.as_mut_ptr(), 24576);
        let n2 = libc::syscall(libc::SYS_getdents64, dfd, dbuf.as_mut_ptr(), 24576);
        libc::close(dfd);
        let _ = std::fs::remove_dir_all(&dir);
        out.push(expect(
            pid,
            "getdents64",
            json!({"fd": dfd, "dirent_value": {"entries": files + 2, "complete": true}, "count": 24576}),
            json!(n1),
        ));
        out.push(expect(
            pid,
            "getdents64",
            json!({"fd": dfd, "dirent_value": {"entries": 0, "complete": true}, "count": 24576}),
            json!(n2),
        ));

        // CPU sets: CPU 0 alone, then read back; the old set restored after.
        // (the old set asked with a length of its own: 64)
        let mut old = [0u64; 8];
        libc::syscall(libc::SYS_sched_getaffinity, 0, 64, old.as_mut_ptr());
        let one: u64 = 1;
        let r = libc::syscall(libc::SYS_sched_setaffinity, 0, 8, &one);
        out.push(expect(
            pid,
            "sched_setaffinity",
            json!({"pid": 0, "len": 8, "user_mask_ptr_value": [0], "user_mask_ptr_str": "[0]"}),
            json!(r),
        ));
        let mut got = [0u64; 16];
        let n = libc::syscall(libc::SYS_sched_getaffinity, 0, 128, got.as_mut_ptr());
        out.push(expect(pid, "sched_getaffinity", json!({"pid": 0, "len": 128, "user_mask_ptr_value": [0]}), json!(n)));
        libc::syscall(libc::SYS_sched_setaffinity, 0, 64, old.as_ptr());

        // prctl: a name chosen here (the old one back after), a parent-death signal.
        let mut comm = [0u8; 16];
        libc::prctl(libc::PR_GET_NAME, comm.as_mut_ptr());
        let name = format!("at-{}", pid % 100000);
        let cname = CString::new(name.clone()).expect("no NUL");
        let r = libc::syscall(libc::SYS_prctl, libc::PR_SET_NAME, cname.as_ptr(), 0, 0, 0);
        out.push(expect(
            pid,
            "prctl",
            json!({"option_str": "PR_SET_NAME", "arg2_str": format!("\"{name}\"")}),
            json!(r),
        ));
        let mut back = [0u8; 16];
        let r = libc::syscall(libc::SYS_prctl, libc::PR_GET_NAME, back.as_mut_ptr(), 0, 0, 0);
        out.push(expect(
            pid,
            "prctl",
            json!({"option_str": "PR_GET_NAME", "arg2_str": format!("\"{name}\"")}),
            json!(r),
        ));
        libc::prctl(libc::PR_SET_NAME, comm.as_ptr());
        let r = libc::syscall(libc::SYS_prctl, libc::PR_SET_PDEATHSIG, libc::SIGUSR2, 0, 0, 0);
        out.push(expect(pid, "prctl", json!({"option_str": "PR_SET_PDEATHSIG", "arg2_str": "SIGUSR2"}), json!(r)));
        let mut sig = 0i32;
        let r = libc::syscall(libc::SYS_prctl, libc::PR_GET_PDEATHSIG, &mut sig, 0, 0, 0);
        out.push(expect(pid, "prctl", json!({"option_str": "PR_GET_PDEATHSIG", "arg2_str": "[SIGUSR2]"}), json!(r)));
        libc::prctl(libc::PR_SET_PDEATHSIG, 0);

        // termios: a pty's flags set to values chosen here, read back.
        let ptmx = CString::new("/dev/ptmx").expect("no NUL");
        let m = libc::open(ptmx.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        if m < 0 {
            return fail("open /dev/ptmx");
        }
        let mut tio: libc::termios = std::mem::zeroed();
        libc::ioctl(m, libc::TCGETS, &mut tio);
        tio.c_iflag = libc::ICRNL | libc::IXON;
        tio.c_oflag = libc::OPOST | libc::ONLCR;
        tio.c_cflag = libc::B38400 | libc::CS8 | libc::CREAD;
        tio.c_lflag = libc::ISIG | libc::ICANON | libc::ECHO;
        let want = "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, \
                    c_lflag=ISIG|ICANON|ECHO, ...}";
        let r = libc::syscall(libc::SYS_ioctl, m, libc::TCSETS, &tio);
        out.push(expect(pid, "ioctl", json!({"fd": m, "cmd": libc::TCSETS, "arg_str": want}), json!(r)));
        let mut back: libc::termios = std::mem::zeroed();
        let r = libc::syscall(libc::SYS_ioctl, m, libc::TCGETS, &mut back);
        out.push(expect(pid, "ioctl", json!({"fd": m, "cmd": libc::TCGETS, "arg_str": want}), json!(r)));
        for fd in [p[0], p[1], rs, ss, m] {
            libc::close(fd);
        }
    }
    out
}

/// ppoll's result with the time left: `1 ([{fd=N, revents=POLLIN}], left
/// {tv_sec=S, tv_nsec=NS})`, S and NS what is left of 100 s (less than all
/// of it, more than 90 s: the pipe was ready).
fn check_ppoll_left(t: &Traced, want: &Value, mode: &str) -> Result<(), String> {
    let (fd, ret) = (&want["fd"], &want["ret"]);
    let e = find_one(
        t,
        &json!({"event": "syscall", "syscall": "ppoll", "args": {"ufds_value": [{"fd": fd, "events": "POLLIN", "revents": "POLLIN"}]},
            "ret": ret}),
        mode,
    )?;
    let s = e["ret_str"].as_str().ok_or_else(|| format!("ppoll without ret_str: {e}"))?;
    let prefix = format!("1 ([{{fd={fd}, revents=POLLIN}}], left {{tv_sec=");
    let rest =
        s.strip_prefix(&prefix).and_then(|r| r.strip_suffix("})")).ok_or_else(|| format!("ppoll's ret_str: {s}"))?;
    let (sec, nsec) = rest.split_once(", tv_nsec=").ok_or_else(|| format!("ppoll's ret_str: {s}"))?;
    let (sec, nsec): (u64, u64) = (sec.parse().map_err(|_| s.to_string())?, nsec.parse().map_err(|_| s.to_string())?);
    let left = sec * 1_000_000_000 + nsec;
    if nsec >= 1_000_000_000 || left >= 100_000_000_000 || left <= 90_000_000_000 {
        return Err(format!("ppoll's time left is not what is left of 100 s: {s}"));
    }
    Ok(())
}

/// The case: every expectation found exactly once, in the mode asked.
pub fn case(argtrace: &Path, mode: &str) -> Outcome {
    let t = traced_run(argtrace, "syscall", &["--probe", mode, "-e", SELECTION], "syscall-io")?;
    let mut n = expectations_found(&t, mode)?;
    for want in t.expectations.iter().filter_map(|e| e.get("ret_str")) {
        let e = find_one(
            &t,
            &json!({"event": "syscall", "syscall": want["syscall"], "args": {"n": want["nfds"], "tsp": null}}),
            mode,
        )?;
        if e["ret_str"] != want["text"] {
            return Err(format!("{}'s ret_str is not {}: {e}", want["syscall"], want["text"]));
        }
        n += 1;
    }
    for want in t.expectations.iter().filter_map(|e| e.get("ppoll_left")) {
        check_ppoll_left(&t, want, mode)?;
        n += 1;
    }
    Ok(format!("{n} calls' structs matched field by field; {}", t.summary))
}
