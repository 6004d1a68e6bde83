//! The socket-churn workload (`argtrace-bench workload sock N`), traced by
//! `argtrace sock`: N times socket(AF_INET, SOCK_STREAM) + bind to
//! 127.0.0.1 port 0 (the kernel picks a port) + close. Each iteration is one
//! socket's whole life, three events for argtrace sock (socket, bind with the
//! granted port, close); its bind line is the one counted. Here too: the
//! bpftrace contender, which has no cgroup hooks and no kprobes on this
//! machine, so it follows the same calls on syscall tracepoints.

/// One iteration; true when a call failed.
fn churn_once(addr: &libc::sockaddr_in) -> bool {
    // SAFETY: plain socket calls on a descriptor this loop owns; addr is a
    // live sockaddr_in of the length given.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return true;
        }
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let failed = libc::bind(fd, addr as *const _ as *const libc::sockaddr, len) != 0;
        libc::close(fd);
        failed
    }
}

/// The loop; returns the number of failed iterations.
pub fn churn_loop(calls: u64) -> u64 {
    // SAFETY: an all-zero sockaddr_in is valid; the fields are set below.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
    (0..calls).filter(|_| churn_once(&addr)).count() as u64
}

/// What argtrace prints for one iteration's bind: text, then JSON.
pub const ARGTRACE_TEXT: &str = ", 127.0.0.1:0) = 127.0.0.1:";
pub const ARGTRACE_JSON: &str = "\"op\": \"bind\"";

/// bpftrace on the syscall tracepoints of the same three calls: the socket's
/// fd, the bind's requested address (read from user memory) and result, and
/// the close, per thread of `pid`. It cannot see the granted port, the cookie
/// or the creator: those need the socket itself.
pub fn bpftrace_body(pid: i32) -> String {
    format!(
        r#"
tracepoint:syscalls:sys_exit_socket /pid == {pid}/ {{
  printf("%s %d/%d socket() = %d\n", comm, pid, tid, args->ret);
}}
tracepoint:syscalls:sys_enter_bind /pid == {pid}/ {{
  $sa = (struct sockaddr_in *)args->umyaddr;
  $port = $sa->sin_port;
  @call[tid] = (1, args->fd, ntop(2, $sa->sin_addr.s_addr), (($port & 0xff) << 8) | ($port >> 8));
}}
tracepoint:syscalls:sys_exit_bind /@call[tid].0/ {{
  $c = @call[tid];
  printf("%s %d/%d bind(%d, %s:%d) = %d\n", comm, pid, tid, $c.1, $c.2, $c.3, args->ret);
  delete(@call[tid]);
}}
tracepoint:syscalls:sys_enter_close /pid == {pid}/ {{
  printf("%s %d/%d close(%d)\n", comm, pid, tid, args->fd);
}}"#
    )
}

/// bpftrace's line for one iteration's bind.
pub const BPFTRACE_BIND: &str = ", 127.0.0.1:0) = 0";
