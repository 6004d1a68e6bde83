//! The loopback stream workload, tcp-send's: send() of 1 KiB, again and
//! again, on one connected IPv6 loopback socket whose peer (a forked,
//! untraced process: the test kit's loopback listener, `Peer::Drain`) reads
//! everything; and what the contenders need to know of it: the lines that
//! are its sends and bpftrace's script printing the same fields (the empty
//! program's hooks come from argtrace's own object, as for every subject;
//! the throughput table is report.rs's).

use argtrace_testkit::loopback::{loopback6, SIN6_LEN};

/// Bytes per send.
pub const SEND_LEN: usize = 1024;

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
