//! A TCP listener on [::1] in a forked process of its own, so that a tracer
//! following the test's (or the workload's) pid never sees the peer's side.
//! The child dies with its parent, however that ends.

use std::io;

use crate::process;

/// What the listening process does with its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Accepts and closes, for ever: the other end of a connect loop.
    AcceptAndClose,
    /// Accepts one connection and reads it to the end: the other end of a
    /// send loop, so that sends never wait for a full window longer than the
    /// reader takes.
    Drain,
}

/// The listening process.
pub struct Listener {
    pub pid: i32,
    pub port: u16,
}

/// [::1]:port.
pub fn loopback6(port: u16) -> libc::sockaddr_in6 {
    // SAFETY: an all-zero sockaddr_in6 is valid; the fields are set below.
    let mut a: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    a.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    a.sin6_port = port.to_be();
    a.sin6_addr.s6_addr[15] = 1;
    a
}

/// The length of a sockaddr_in6, as socket calls take it.
pub const SIN6_LEN: libc::socklen_t = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;

impl Listener {
    /// Listens on [::1] port 0 and forks the process that serves it as
    /// `peer` says, pinned to `cpu` if given. Call it while the caller is
    /// single-threaded: the child runs only async-signal-safe calls.
    pub fn start(peer: Peer, cpu: Option<usize>) -> io::Result<Listener> {
        let err = io::Error::last_os_error;
        // SAFETY: socket calls on a descriptor we own, with live, correctly
        // sized arguments; the forked child runs only async-signal-safe calls
        // (accept, read, close, _exit, sched_setaffinity).
        unsafe {
            let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(err());
            }
            let one: libc::c_int = 1;
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_REUSEADDR,
                &one as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
            let addr = loopback6(0);
            if libc::bind(fd, &addr as *const _ as *const libc::sockaddr, SIN6_LEN) != 0 || libc::listen(fd, 4096) != 0
            {
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
                // Die with the parent, however it ends (a tracer that failed
                // to attach makes the bench kill the workload unannounced).
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() == 1 {
                    libc::_exit(0);
                }
                if let Some(cpu) = cpu {
                    let _ = process::pin_self_to_cpu(cpu);
                }
                match peer {
                    Peer::AcceptAndClose => loop {
                        let c = libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut());
                        if c >= 0 {
                            libc::close(c);
                        }
                    },
                    Peer::Drain => {
                        let c = libc::accept(fd, std::ptr::null_mut(), std::ptr::null_mut());
                        let mut buf = [0u8; 1 << 16];
                        while c >= 0 && libc::read(c, buf.as_mut_ptr().cast(), buf.len()) > 0 {}
                        libc::_exit(0);
                    }
                }
            }
            libc::close(fd);
            Ok(Listener { pid, port })
        }
    }

    /// Kills the listening process and reaps it.
    pub fn stop(self) {
        process::signal(self.pid, libc::SIGKILL);
        let mut status = 0;
        // SAFETY: status is a live local; pid is our child.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    #[test]
    fn the_drain_reads_everything_and_the_other_closes() {
        let drain = Listener::start(Peer::Drain, None).expect("drain");
        let mut s = TcpStream::connect(("::1", drain.port)).expect("connect to the drain");
        s.write_all(&[7u8; 100_000]).expect("100 000 bytes read by the drain");
        drop(s);
        drain.stop();
        let closer = Listener::start(Peer::AcceptAndClose, None).expect("listener");
        for _ in 0..3 {
            let mut s = TcpStream::connect(("::1", closer.port)).expect("connect");
            assert_eq!(s.read(&mut [0u8; 1]).expect("closed by the peer"), 0);
        }
        closer.stop();
    }
}
