//! argtrace's errors: each one is a single line for the user and a documented
//! exit code (man/argtrace.1, EXIT STATUS).

use std::fmt;

/// Exit codes, as documented in the man page and the README.
pub mod exit {
    /// Tracing ran and ended normally (Ctrl-C, SIGTERM, --duration, --count, closed pipe).
    pub const OK: i32 = 0;
    /// A failure while tracing (a map could not be read, the output failed).
    pub const RUNTIME: i32 = 1;
    /// Bad command line: unknown option, subcommand, family or probe mode.
    pub const USAGE: i32 = 2;
    /// Not root and missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN).
    pub const PRIVILEGE: i32 = 3;
    /// A --pid or --tid that does not exist.
    pub const NO_SUCH_PROCESS: i32 = 4;
    /// The kernel lacks what is needed: BTF, or the forced probe mode.
    pub const KERNEL: i32 = 5;
    /// The --output file cannot be created or written.
    pub const OUTPUT: i32 = 6;
    /// The --btf file is not a BTF file (missing, not a regular file, or not BTF).
    pub const BTF_FILE: i32 = 7;
    /// The command after `--` could not be executed (found, but not executable), as shells say.
    pub const CANNOT_EXECUTE: i32 = 126;
    /// The command after `--` was not found, as shells say.
    pub const NOT_FOUND: i32 = 127;
}

#[derive(Debug)]
pub enum Error {
    Usage(String),
    Privilege(String),
    NoSuchProcess(String),
    Kernel(String),
    Output(String),
    BtfFile(String),
    Runtime(String),
    /// The command after `--` could not be started, and the code to exit with (126, 127).
    Command(String, i32),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Privilege(_) => exit::PRIVILEGE,
            Error::NoSuchProcess(_) => exit::NO_SUCH_PROCESS,
            Error::Kernel(_) => exit::KERNEL,
            Error::Output(_) => exit::OUTPUT,
            Error::BtfFile(_) => exit::BTF_FILE,
            Error::Runtime(_) => exit::RUNTIME,
            Error::Command(_, code) => *code,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Error::Usage(m)
        | Error::Privilege(m)
        | Error::NoSuchProcess(m)
        | Error::Kernel(m)
        | Error::Output(m)
        | Error::BtfFile(m)
        | Error::Runtime(m)
        | Error::Command(m, _)) = self;
        // One line, whatever a lower layer put in the message.
        f.write_str(&m.replace('\n', " "))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// "EPERM (Operation not permitted)": strace's spelling of an errno.
pub fn describe_errno(code: i32) -> String {
    let code = code as u64;
    match (crate::decode::errno_name(code), crate::decode::errno_desc(code)) {
        (Some(name), Some(desc)) => format!("{name} ({desc})"),
        (Some(name), None) => name.to_string(),
        _ => format!("errno {code}"),
    }
}
