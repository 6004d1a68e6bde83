//! argtrace as a library: everything the binary does, so that the benchmarks
//! (bench/) and the end-to-end suite (e2e/) take the product's facts (its
//! subjects, their hooks per probe mode, the decode tables, tracefs) from the
//! product itself instead of restating them. `src/main.rs` is a thin main.
//!
//! The crate reads top-down (docs/architecture.md): cli -> trace ->
//! family / subject -> render / decode -> sys; each module imports only
//! from the ones below it.

/// Writes one line to standard error and ignores a failure: a closed pipe or
/// a full device there must neither panic (as `eprintln!` does) nor change
/// the exit code the run earned. Every message of argtrace goes through it.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `say!` without the newline (libbpf's own lines end with theirs).
#[macro_export]
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod cli;
pub mod command;
pub mod config;
pub mod container;
pub mod decode;
pub mod error;
pub mod event;
pub mod family;
pub mod private_file;
pub mod privilege;
pub mod render;
pub mod stack;
pub mod subject;
pub mod sys;
pub mod trace;
