//! argtrace-bench: argtrace's per-event cost, loss, CPU, start-up and memory,
//! measured against no tracer, an empty BPF program on the same hooks,
//! bpftrace, strace and perf trace, on workloads of its own (see docs/benchmarks.md).
//!
//! One binary plays every part: the benchmark itself (the default), the
//! workloads (`workload`), the empty program's loader (`empty-bpf`) and the
//! in-guest runner (`guest-run`), so a tracer can follow a workload by pid.
//!
//! The modules depend on each other in one direction only; each imports only
//! modules of the layers below it (and argtrace's library for its facts:
//! subjects, their hooks per probe mode, tracefs; and argtrace-testkit, shared
//! with the e2e suite: raw bpf(2), BTF, the loopback listener, CPU pinning):
//!
//! 1. `sys`, `stats`, `json`, `stream`, `sockchurn`: leaves (libc, numbers, JSON
//!    text, the stream's and the socket churn's loops and marks)
//! 2. `workload`, `bpfinfo`, `emptycgroup` (sys; workload also stream and sockchurn)
//! 3. `emptyprog` (emptycgroup; argtrace's hooks) and `contender` (workload,
//!    stream, sockchurn; argtrace's probe modes, and which of its subjects have calls to time)
//! 4. `runner`: one measured run (bpfinfo, contender, sys, workload)
//! 5. `results`: the data a benchmark produces and the figures drawn from it
//!    (contender, runner, stats, workload)
//! 6. `cells`: running every (workload, contender) cell (contender, results, runner, workload)
//! 7. `report`: markdown and JSON, the guest's tables and the stream's throughput
//!    too (contender, json, results, runner, stats, stream, workload)
//! 8. `guest`: the QEMU guest part (bpfinfo, cells, contender, report, results, runner, sys, workload)
//! 9. `bench`: the benchmark command (bpfinfo, cells, contender, guest, report, results, runner, sys, workload)
//!
//! `followcost` (-f's cost per call and per fork, standalone on layer 2:
//! bpfinfo) and `seedstart` stand apart too.
//!
//! `skbstream` (argtrace skb on a loopback TCP stream: throughput and CPU, against
//! an empty cgroup_skb program and tcpdump) stands apart, on layers 1-2 only
//! (emptycgroup, json, stats, sys), with its own runs and table.
//!
//! and this file dispatches to the entry points.

mod bench;
mod bpfinfo;
mod cells;
mod contender;
mod emptycgroup;
mod emptyprog;
mod followcost;
mod guest;
mod json;
mod report;
mod results;
mod runner;
mod seedstart;
mod skbstream;
mod sockchurn;
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
        Some("skb-stream") => skbstream::main(&args[1..]),
        Some("seed-startup") => seedstart::main(&args[1..]),
        Some("follow-cost") => followcost::main(&args[1..]),
        Some("follow-cost-workload") => followcost::workload_main(&args[1..]),
        Some("skb-stream-workload") => skbstream::workload_main(&args[1..]),
        _ => bench::main(&args),
    }
}
