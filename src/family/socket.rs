//! The socket family: a socket filter on an AF_PACKET socket (skb's
//! fallback, or `skb --iface`). It sees an interface's packets in both
//! directions, from their network header on, but no process. Its needs:
//! CAP_NET_RAW for the socket, BPF socket filters in the kernel.

use std::os::fd::{AsFd, AsRawFd};

use libbpf_rs::ProgramType;

use super::mode::{has_program, Attachment, Family, LoadError, ProbeMode, Stage, Target};

pub struct Socket;

/// The family of socket filters.
pub static SOCKET: Socket = Socket;

impl Family for Socket {
    fn name(&self) -> &'static str {
        "socket"
    }

    fn owns_section(&self, _mode: ProbeMode, section: &str) -> bool {
        section == "socket" || section.starts_with("socket/")
    }

    fn has_stacks(&self) -> bool {
        false
    }

    fn permission(&self, _mode: ProbeMode) -> Result<(), String> {
        match crate::sys::has_net_raw() {
            true => Ok(()),
            false => Err("a socket filter needs an AF_PACKET socket: CAP_NET_RAW (run as root, or add it)".into()),
        }
    }

    fn precheck(&self, _mode: ProbeMode) -> Result<(), String> {
        match has_program(ProgramType::SocketFilter, true) {
            false => Err("the kernel has no BPF socket filters".into()),
            true => Ok(()),
        }
    }

    /// The object's socket filter on a new AF_PACKET socket of the interface
    /// (every interface without one), held open as long as the tracer.
    fn attach(&self, obj: &libbpf_rs::Object, mode: ProbeMode, target: &Target<'_>) -> Result<Attachment, LoadError> {
        let ifindex = match target.iface {
            Some(name) => crate::sys::interface_index(name)
                .ok_or_else(|| LoadError::said(Stage::Open, format!("no network interface {name}")))?,
            None => 0,
        };
        let prog = obj
            .progs()
            .find(|p| p.autoload() && self.owns_section(mode, &p.section().to_string_lossy()))
            .map(|p| p.as_fd().as_raw_fd())
            .ok_or_else(|| LoadError::said(Stage::Open, "the object has no socket filter".into()))?;
        let sock = crate::sys::packet_socket(ifindex, prog)
            .map_err(|e| LoadError { stage: Stage::Attach, error: libbpf_rs::Error::from(e) })?;
        Ok(Attachment { links: Vec::new(), held: vec![sock] })
    }
}
