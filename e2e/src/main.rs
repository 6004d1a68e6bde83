//! argtrace-e2e: the end-to-end checker of argtrace on a real kernel, used by
//! the host tests (tests/live.rs, tests/cli.rs) and inside the QEMU guests.
//!   argtrace-e2e suite --argtrace PATH --detect [--expect-modes M,..] [--expect-auto MODE]
//!                      [--expect-unavailable M,..]
//!   argtrace-e2e suite --argtrace PATH --modes M,.. --expect-auto MODE [--unavailable M,..]
//!   argtrace-e2e detect
//!   argtrace-e2e trigger mmap|clone|tcp|tcp-send|summary|durations|compat
//!   argtrace-e2e sock-trigger NAME [ARG]   (the sock cases' triggers, sock.rs)
//!   argtrace-e2e skb-trigger NAME   (the skb cases' triggers, skb.rs)
//!   argtrace-e2e follow-trigger SUBJECT FILE FIFO|-   (-f and -- CMD, follow.rs)
//!   argtrace-e2e follow-suite ARGTRACE [MODE..]   (the follow cases alone, in these modes)
//!   argtrace-e2e syscall-trigger exec|blocked   (the syscall cases' own processes, syscall.rs)
//!   argtrace-e2e skb-suite ARGTRACE  (the skb cases alone)
//! With --detect the suite asks the kernel which probe modes it has (detect.rs)
//! and runs every case in each of them, expects auto to choose the first, and
//! the others to be refused; the --expect-* options are a reviewed list
//! (tests/kernels.txt) the detection must agree with (the `detect` case).
//! `detect` only prints the detection line (`E2E-KERNEL modes=..`).

mod calls;
mod cgroup;
mod detect;
mod follow;
mod harness;
mod skb;
mod sock;
mod suite;
mod summary;
mod syscall;
mod syscall_io;
mod syscall_structs;
mod tcp_send;
mod trigger;

use std::path::PathBuf;

fn usage() -> i32 {
    eprintln!(
        "usage: argtrace-e2e suite --argtrace PATH --detect [--expect-modes M[,M..]] [--expect-auto MODE] \
         [--expect-unavailable M[,M..]] [--refuse SUBJECT:MODE[,..]]"
    );
    eprintln!("       argtrace-e2e suite --argtrace PATH --modes M[,M..] --expect-auto MODE [--unavailable M[,M..]]");
    eprintln!("       argtrace-e2e detect");
    eprintln!("       argtrace-e2e trigger mmap|clone|tcp|tcp-send|summary|durations|compat");
    2
}

fn parse_suite(args: &[String]) -> Option<suite::Options> {
    let mut opts = suite::Options::with_argtrace(PathBuf::from("argtrace"));
    // `none` is the empty list (a kernel command line cannot carry an empty value well).
    let list = |s: &str| s.split(',').filter(|m| !m.is_empty() && *m != "none").map(String::from).collect::<Vec<_>>();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--detect" {
            opts.detect = true;
            continue;
        }
        let value = it.next()?;
        match flag.as_str() {
            "--argtrace" => opts.argtrace = PathBuf::from(value),
            "--modes" => opts.modes = list(value),
            "--expect-auto" => opts.expect_auto = Some(value.clone()),
            "--unavailable" => opts.unavailable = list(value),
            "--expect-modes" => opts.expect_modes = Some(list(value)),
            "--expect-unavailable" => opts.expect_unavailable = Some(list(value)),
            // subject:mode pairs argtrace must refuse although the kernel has the mode.
            "--refuse" => opts.refuse = list(value),
            _ => return None,
        }
    }
    let known = |v: &[String]| v.iter().all(|m| detect::ALL_MODES.contains(&m.as_str()));
    let lists = [&opts.modes, &opts.unavailable];
    let expected = [opts.expect_modes.as_ref(), opts.expect_unavailable.as_ref()];
    if !lists.iter().all(|v| known(v)) || !expected.iter().flatten().all(|v| known(v)) {
        return None;
    }
    if opts.detect {
        // The modes come from the kernel; only expectations may be given.
        (opts.modes.is_empty() && opts.unavailable.is_empty()).then_some(opts)
    } else {
        let plain = opts.expect_modes.is_none() && opts.expect_unavailable.is_none();
        (plain && !opts.modes.is_empty() && opts.expect_auto.is_some()).then_some(opts)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("trigger") if args.len() == 2 && summary::TRIGGERS.contains(&args[1].as_str()) => {
            summary::trigger(&args[1])
        }
        Some("trigger") if args.len() == 2 => trigger::run(&args[1]),
        Some("sock-trigger") => sock::trigger(&args[1..]),
        Some("follow-trigger") => follow::trigger(&args[1..]),
        Some("cgroup-trigger") => cgroup::trigger(&args[1..]),
        Some("follow-suite") if args.len() >= 2 => follow::suite(std::path::Path::new(&args[1]), &args[2..]),
        Some("skb-trigger") => skb::trigger(&args[1..]),
        Some("syscall-trigger") => syscall::own_trigger(&args[1..]),
        Some("skb-suite") if args.len() == 2 => skb::suite(std::path::Path::new(&args[1])),
        Some("sock-suite") if args.len() == 2 => sock::suite(std::path::Path::new(&args[1])),
        Some("syscall-suite") if args.len() == 2 => syscall::suite(std::path::Path::new(&args[1])),
        Some("cgroup-suite") if args.len() >= 2 => cgroup::suite(std::path::Path::new(&args[1]), &args[2..]),
        Some("detect") if args.len() == 1 => {
            println!("{}", detect::detect().line());
            0
        }
        Some("suite") => match parse_suite(&args[1..]) {
            Some(opts) => suite::run(&opts),
            None => usage(),
        },
        _ => usage(),
    };
    std::process::exit(code);
}
