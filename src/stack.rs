//! --stack: the kernel and user stacks captured in BPF (a stack-trace map,
//! ids in each event), read back and symbolized with blazesym.

use blazesym::symbolize::source::{Kernel, Process, Source};
use blazesym::symbolize::{Input, Symbolized, Symbolizer};
use blazesym::Pid;
use libbpf_rs::{MapCore, MapFlags, MapHandle};

use crate::event::Header;

const MAX_FRAMES: usize = 127;

/// Symbolized stacks of an event, outermost call last.
#[derive(Default)]
pub struct Stacks {
    pub kernel: Option<Vec<String>>,
    pub user: Option<Vec<String>>,
}

pub struct StackReader {
    map: MapHandle,
    symbolizer: Symbolizer,
}

impl StackReader {
    pub fn new(map: MapHandle) -> Self {
        StackReader { map, symbolizer: Symbolizer::new() }
    }

    /// Both stacks of an event; a lost stack (map full) is said, not hidden.
    pub fn stacks(&self, h: &Header) -> Stacks {
        Stacks {
            kernel: Some(self.one(h.kstack_id, &Source::Kernel(Kernel::default()))),
            user: Some(self.one(h.ustack_id, &Source::Process(Process::new(Pid::from(h.pid))))),
        }
    }

    fn one(&self, id: i32, src: &Source) -> Vec<String> {
        if id < 0 {
            return vec![format!("[stack not captured: {}]", crate::error::describe_errno(-id))];
        }
        let ips = match self.map.lookup(&id.to_ne_bytes(), MapFlags::ANY) {
            Ok(Some(bytes)) => bytes
                .chunks_exact(8)
                .take(MAX_FRAMES)
                .map(|c| u64::from_ne_bytes(c.try_into().expect("8-byte chunk")))
                .take_while(|ip| *ip != 0)
                .collect::<Vec<_>>(),
            _ => return vec!["[stack no longer in the map]".into()],
        };
        let syms = self.symbolizer.symbolize(src, Input::AbsAddr(&ips)).unwrap_or_default();
        ips.iter()
            .enumerate()
            .map(|(i, ip)| match syms.get(i) {
                Some(Symbolized::Sym(s)) => format!("{ip:#018x} {}+{:#x}", s.name, s.offset),
                _ => format!("{ip:#018x} [unknown]"),
            })
            .collect()
    }
}
