//! argtrace-e2e: the end-to-end checker of argtrace on a real kernel, used by
//! the host tests (tracepoint mode) and inside the QEMU guests (every mode).
//!   argtrace-e2e suite --argtrace PATH --modes m1,m2 --expect-auto MODE [--unavailable m3,m4]
//!   argtrace-e2e trigger mmap|clone|tcp|summary|durations

mod suite;
mod summary;
mod trigger;

use std::path::PathBuf;

fn usage() -> i32 {
    eprintln!("usage: argtrace-e2e suite --argtrace PATH --modes M[,M..] --expect-auto MODE [--unavailable M[,M..]]");
    eprintln!("       argtrace-e2e trigger mmap|clone|tcp|summary|durations");
    2
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("trigger") if args.len() == 2 && summary::TRIGGERS.contains(&args[1].as_str()) => summary::trigger(&args[1]),
        Some("trigger") if args.len() == 2 => trigger::run(&args[1]),
        Some("suite") => {
            let mut opts = suite::Options {
                argtrace: PathBuf::from("argtrace"),
                modes: vec![],
                expect_auto: String::new(),
                unavailable: vec![],
            };
            let list = |s: &str| s.split(',').filter(|m| !m.is_empty()).map(String::from).collect::<Vec<_>>();
            let mut it = args[1..].iter();
            let mut ok = true;
            while let Some(flag) = it.next() {
                let Some(value) = it.next() else {
                    ok = false;
                    break;
                };
                match flag.as_str() {
                    "--argtrace" => opts.argtrace = PathBuf::from(value),
                    "--modes" => opts.modes = list(value),
                    "--expect-auto" => opts.expect_auto = value.clone(),
                    "--unavailable" => opts.unavailable = list(value),
                    _ => ok = false,
                }
            }
            if ok && !opts.modes.is_empty() && !opts.expect_auto.is_empty() {
                suite::run(&opts)
            } else {
                usage()
            }
        }
        _ => usage(),
    };
    std::process::exit(code);
}
