//! argtrace-bench: argtrace's per-event cost, loss, CPU, start-up and memory,
//! measured against no tracer, an empty BPF program on the same hooks,
//! bpftrace, strace and perf trace, on workloads of its own (see docs/benchmarks.md).
//!
//! One binary plays every part: the benchmark itself (the default), the
//! workloads (`workload`), the empty program's loader (`empty-bpf`) and the
//! in-guest runner (`guest-run`), so a tracer can follow a workload by pid.

mod bench;
mod bpfinfo;
mod contender;
mod emptyprog;
mod guest;
mod json;
mod report;
mod runner;
mod stats;
mod stream;
mod sys;
mod workload;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("workload") => workload::main(&args[1..]),
        Some("empty-bpf") => emptyprog::main(&args[1..]),
        Some("guest-run") => guest::main(&args[1..]),
        Some("guest-report") => guest::report_main(&args[1..]),
        _ => bench::main(&args),
    }
}
