//! The loopback stream workload, tcp-send's: send() of 1 KiB, again and
//! again, on one connected IPv6 loopback socket whose peer (a forked,
//! untraced process) reads everything; and what the contenders need to know
//! of it: the lines that are its sends, bpftrace's script printing the same
//! fields, and the throughput figures (the empty program's hooks come from argtrace's
//! own object, as for every subject).

use crate::workload::Listener;

/// Bytes per send.
pub const SEND_LEN: usize = 1024;

fn loopback6(port: u16) -> libc::sockaddr_in6 {
    // SAFETY: an all-zero sockaddr_in6 is valid; the fields are set below.
    let mut a: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    a.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    a.sin6_port = port.to_be();
    a.sin6_addr.s6_addr[15] = 1;
    a
}

const SIN6_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;

/// The reading side: a forked process that accepts one connection on [::1]
/// and reads it to the end, so that sends never wait for a full window
/// longer than the reader takes.
pub fn drain(cpu: Option<usize>) -> std::io::Result<Listener> {
    let err = std::io::Error::last_os_error;
    // SAFETY: socket calls on descriptors we own with live, correctly sized
    // arguments; the forked child (the workload is single-threaded) runs only
    // async-signal-safe calls.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(err());
        }
        let addr = loopback6(0);
        if libc::bind(fd, &addr as *const _ as *const libc::sockaddr, SIN6_LEN) != 0 || libc::listen(fd, 1) != 0 {
            return Err(err());
        }
        let mut bound: libc::sockaddr_in6 = std::mem::zeroed();
        let mut blen = SIN6_LEN;
        if libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut blen) != 0 {
            return Err(err());
        }
        let port = u16::from_be(bound.sin6_port);
        let pid = libc::fork();
        if pid < 0 {
            return Err(err());
        }
        if pid == 0 {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() == 1 {
                libc::_exit(0);
            }
            if let Some(cpu) = cpu {
                let _ = crate::sys::pin_self_to_cpu(cpu);
            }
            let c = libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut());
            let mut buf = [0u8; 1 << 16];
            while c >= 0 && libc::read(c, buf.as_mut_ptr().cast(), buf.len()) > 0 {}
            libc::_exit(0);
        }
        libc::close(fd);
        Ok(Listener { pid, port })
    }
}

/// `calls` sends of SEND_LEN bytes to the drain on `port`; returns the
/// number that failed or sent less.
pub fn send_loop(calls: u64, port: u16) -> u64 {
    let addr = loopback6(port);
    // Printable bytes, so every contender's peek is plain text.
    let buf: Vec<u8> = (0..SEND_LEN).map(|i| b'a' + (i % 26) as u8).collect();
    // SAFETY: a socket this loop owns; pointers to live locals with their sizes.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 || libc::connect(fd, &addr as *const _ as *const libc::sockaddr, SIN6_LEN) != 0 {
            return calls;
        }
        let mut failures = 0;
        for _ in 0..calls {
            if libc::send(fd, buf.as_ptr().cast(), SEND_LEN, 0) != SEND_LEN as isize {
                failures += 1;
            }
        }
        libc::close(fd);
        failures
    }
}

/// The system calls strace and perf trace follow: glibc's send() is sendto.
pub const SYSCALLS: &str = "sendto";

/// What in argtrace's line marks one of the workload's sends (text, JSON).
pub fn argtrace_marks(json: bool, port: u16) -> Vec<String> {
    if json {
        vec![format!("\"dport\": {port}, \"size\": {SEND_LEN},")]
    } else {
        vec![format!("-> [::1]:{port}, "), format!(", {SEND_LEN}, iter=")]
    }
}

/// bpftrace on the syscall tracepoints argtrace uses, printing what it can of
/// the same fields: addresses and ports from the socket behind the file
/// descriptor (checked to be TCP in the kernel, as argtrace does), the first
/// 64 bytes read at return, the size and the result. Not the iterator kind:
/// a syscall cannot know it, and bpftrace 0.17 has no tp_btf.
pub fn bpftrace_script(pid: i32) -> String {
    format!(
        r#"
tracepoint:syscalls:sys_enter_sendto /pid == {pid}/ {{
  $f = *(((struct task_struct *)curtask)->files->fdt->fd + args->fd);
  $sk = ((struct socket *)$f->private_data)->sk;
  if ($sk->sk_protocol == 6) {{
    @call[tid] = (1, args->buff, args->len, $sk);
  }}
}}
tracepoint:syscalls:sys_exit_sendto /@call[tid].0/ {{
  $c = @call[tid];
  $sk = (struct sock *)$c.3;
  printf("%s %d/%d tcp_sendmsg([%s]:%d -> [%s]:%d, %r, %d) = %d\n", comm, pid, tid,
    ntop(10, $sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8), $sk->__sk_common.skc_num,
    ntop(10, $sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8), bswap($sk->__sk_common.skc_dport),
    buf($c.1, 64), $c.2, args->ret);
  delete(@call[tid]);
}}
END {{ clear(@call); }}
"#
    )
    .trim_start()
    .to_string()
}

/// What in bpftrace's line marks one of the workload's sends.
pub fn bpftrace_marks(port: u16) -> Vec<String> {
    vec![format!("-> [::1]:{port}, "), format!(", {SEND_LEN}) = ")]
}

/// strace's and perf trace's marks.
pub fn strace_marks() -> Vec<String> {
    vec![s("sendto("), format!(", {SEND_LEN}, ")]
}
pub fn perf_marks() -> Vec<String> {
    vec![s("sendto(fd:"), format!("len: {SEND_LEN}")]
}

fn s(v: &str) -> String {
    v.to_string()
}

/// The stream's throughput under each contender (median loop time) and
/// its loss against no tracer, as a markdown table.
pub fn throughput_table(cells: &[&crate::results::Cell]) -> String {
    use std::fmt::Write as _;
    let median = |c: &crate::results::Cell| {
        crate::stats::Stat::of(c.runs.iter().map(|r| r.elapsed_ns as f64)).map(|s| (s.median, c.calls))
    };
    let mib_s = |(ns, calls): (f64, u64)| calls as f64 * SEND_LEN as f64 / (ns / 1e9) / (1024.0 * 1024.0);
    let base =
        cells.iter().find(|c| c.contender == crate::contender::Contender::Baseline).and_then(|c| median(c)).map(mib_s);
    let mut md = String::from("| contender | throughput, MiB/s | throughput loss |\n|---|--:|--:|\n");
    for c in cells {
        let Some(t) = median(c).map(mib_s) else { continue };
        let loss = match base {
            Some(b) if c.contender != crate::contender::Contender::Baseline => {
                format!("{:.1} %", (1.0 - t / b) * 100.0)
            }
            _ => "—".into(),
        };
        let _ = writeln!(md, "| {} | {t:.0} | {loss} |", c.contender.label(crate::workload::Workload::Stream));
    }
    md.push('\n');
    md
}
