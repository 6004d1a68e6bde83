//! argtrace-testkit: the pieces argtrace's e2e suite (e2e/), its benchmark
//! (bench/) and its CLI tests (tests/) share, one copy each. It knows nothing
//! of argtrace itself (no dependency on the product), so that what it finds
//! out about the kernel is found independently of argtrace's own choices.
//!
//! - `bpf`: raw bpf(2) and perf_event_open(2) calls: an empty program of any
//!   type loaded and attached to a tracepoint, kprobe, fentry/fexit, raw
//!   tracepoint or cgroup, and the ids of the programs and links the kernel has;
//! - `btf`: a function's BTF type id in a raw BTF blob (/sys/kernel/btf/vmlinux);
//! - `tracing`: starting argtrace and waiting for its `argtrace: tracing` line,
//!   reading its stderr as it comes, stopping it within a time limit;
//! - `loopback`: a TCP listener on [::1] in a forked process of its own;
//! - `process`: the small libc calls around processes (gettid, signals, CPU pinning).
//!
//! Its modules depend on each other in one direction only: `loopback` uses
//! `process`; `bpf`, `btf`, `tracing` and `process` are leaves.

pub mod bpf;
pub mod btf;
pub mod loopback;
pub mod process;
pub mod tracing;
