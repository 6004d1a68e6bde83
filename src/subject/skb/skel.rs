//! skb's skeleton (bpf/skb.bpf.c, compiled by build.rs) and its record.

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types, non_upper_case_globals)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/skb.skel.rs"));
}
pub use generated::*;
pub use generated::types::skb_event as SkbEvent;

// SAFETY: the generated #[repr(C)] mirror of bpf/argtrace.h's skb_event,
// made of integers and arrays only: every byte pattern is a valid value.
unsafe impl plain::Plain for SkbEvent {}
