//! The command line: raw arguments parsed by clap, then checked into a run
//! (subject, forced probe mode, `Config`) before any BPF work starts
//! (ripgrep's habit).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use crate::config::{Config, PendingTable, SYSFS_BTF};
use crate::error::{Error, Result};
use crate::family::ProbeMode;
use crate::subject::{Command, Subject};
use crate::trace::Run;

/// Trace, live and decoded, the arguments the Linux kernel receives.
#[derive(Parser, Debug)]
#[command(
    name = "argtrace",
    version,
    about,
    max_term_width = 100,
    override_usage = "argtrace [OPTIONS] SUBJECT [OPTIONS] [-- CMD [ARGS]...]",
    after_help = "With -- CMD [ARGS]..., argtrace starts CMD, traces it (and with -f its descendants) \
                        from its first call, stops when it exits and exits with its status."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub common: CommonArgs,
    /// What follows `--`: the command to start and trace (empty: none).
    #[arg(skip)]
    pub run: Vec<OsString>,
}

impl Cli {
    /// Parses argtrace's own arguments, the ones before the first `--`;
    /// what follows it is the command to run (clap never sees it, so that
    /// its options stay its own).
    pub fn try_parse_with_command() -> std::result::Result<Cli, clap::Error> {
        let mut args: Vec<OsString> = std::env::args_os().collect();
        let run = match args.iter().position(|a| a == "--") {
            Some(at) => {
                let tail = args.split_off(at);
                tail.into_iter().skip(1).collect()
            }
            None => Vec::new(),
        };
        let mut cli = Cli::try_parse_from(args)?;
        cli.run = run;
        Ok(cli)
    }
}

/// Which hook family to use; auto tries the subject's modes in order (fentry,
/// then kprobe, then tracepoints; cgroup alone for sock; cgroup, then a socket
/// filter for skb).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeArg {
    Auto,
    Fentry,
    Kprobe,
    Tracepoint,
    Cgroup,
    Socket,
    #[value(name = "tp_btf")]
    TpBtf,
    #[value(name = "raw_tp")]
    RawTp,
}

impl ProbeArg {
    /// The forced mode, None for auto.
    pub fn mode(self) -> Option<ProbeMode> {
        match self {
            ProbeArg::Auto => None,
            ProbeArg::Fentry => Some(ProbeMode::Fentry),
            ProbeArg::Kprobe => Some(ProbeMode::Kprobe),
            ProbeArg::Tracepoint => Some(ProbeMode::Tracepoint),
            ProbeArg::Cgroup => Some(ProbeMode::Cgroup),
            ProbeArg::Socket => Some(ProbeMode::Socket),
            ProbeArg::TpBtf => Some(ProbeMode::TpBtf),
            ProbeArg::RawTp => Some(ProbeMode::RawTp),
        }
    }
}

/// strace's `--syscall-times=s|ms|us|ns`: the digits after the point of -T.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePrecision {
    S,
    Ms,
    Us,
    Ns,
}

impl TimePrecision {
    pub fn digits(self) -> u8 {
        match self {
            TimePrecision::S => 0,
            TimePrecision::Ms => 3,
            TimePrecision::Us => 6,
            TimePrecision::Ns => 9,
        }
    }
}

#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Probe mode: auto, fentry, kprobe or tracepoint (clone, mmap, tcp-connect); auto or cgroup (sock);
    /// auto, cgroup or socket (skb); auto, tp_btf or raw_tp (syscall).
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub probe: ProbeArg,
    /// Trace only this process id (repeat or separate with commas for several).
    #[arg(short = 'p', long = "pid", value_delimiter = ',', global = true)]
    pub pids: Vec<u32>,
    /// Trace only this thread id (repeat or separate with commas for several).
    #[arg(long = "tid", value_delimiter = ',', global = true)]
    pub tids: Vec<u32>,
    /// Follow forks: trace the processes and threads the -p and --tid targets and CMD create, and
    /// theirs, from their first call (the kernel adds each child as it creates it).
    #[arg(short = 'f', long = "follow-forks", global = true)]
    pub follow: bool,
    /// Trace only tasks with this command name (the kernel's 15-character comm).
    #[arg(short = 'c', long, global = true)]
    pub comm: Option<String>,
    /// Trace only this user id.
    #[arg(short = 'u', long, global = true)]
    pub uid: Option<u32>,
    /// Trace only tasks in this cgroup v2 directory and its descendants, a task moved in later too
    /// (filtered in the kernel; sock and skb attach their programs there).
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "container")]
    pub cgroup: Option<PathBuf>,
    /// Trace only this container: its id, or a prefix of it that no other container shares (its
    /// cgroup under the cgroup v2 hierarchy, as docker, containerd, CRI-O, podman and Kubernetes
    /// name them).
    #[arg(long, value_name = "ID", global = true)]
    pub container: Option<String>,
    /// Start each text line with the event's container id (12 digits, `-` for none) and pod uid,
    /// where its cgroup names them (JSON always has cgroup_id, container_id and pod_uid).
    #[arg(long, global = true)]
    pub container_info: bool,
    /// One JSON object per line instead of text.
    #[arg(short = 'j', long, global = true)]
    pub json: bool,
    /// Write events to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// Prefix each text line with the wall-clock time.
    #[arg(short = 't', long, global = true)]
    pub timestamp: bool,
    /// Print times in UTC instead of local time.
    #[arg(long, global = true)]
    pub utc: bool,
    /// Stop after this long: 10, 10s, 500ms, 2m, 1h.
    #[arg(short = 'd', long, value_parser = parse_duration, global = true)]
    pub duration: Option<Duration>,
    /// Stop after this many events (not with -s, which streams none).
    #[arg(short = 'n', long, global = true)]
    pub count: Option<u64>,
    /// Count calls, errors and durations in the kernel; print a table at exit
    /// (strace -c's), errors per errno and histograms; stream no events.
    #[arg(short = 's', long, global = true)]
    pub summary: bool,
    /// With -s: print the summary every TIME and count anew (1, 10s, 500ms).
    #[arg(long, value_parser = parse_duration, value_name = "TIME", global = true)]
    pub interval: Option<Duration>,
    /// Show the time each call took: ' <seconds>' after the result, as strace
    /// -T does (microsecond digits), and duration_ns in JSON.
    #[arg(short = 'T', long, global = true)]
    pub durations: bool,
    /// -T with strace's precision: s, ms, us (the default) or ns digits.
    #[arg(long, value_enum, value_name = "PRECISION", global = true, num_args = 0..=1,
          require_equals = true, default_missing_value = "us")]
    pub syscall_times: Option<TimePrecision>,
    #[arg(long, value_enum, default_value = "auto", hide = true, global = true)]
    pub pending_table: PendingTable,
    /// Print the kernel and user stack of each event, symbolized.
    #[arg(long, global = true)]
    pub stack: bool,
    /// Ring buffer size in bytes: a power of two, at least a page (4096, 256K, 16M).
    #[arg(long, value_parser = parse_size, value_name = "BYTES", global = true)]
    pub ringbuf_size: Option<u32>,
    /// Use this BTF file instead of /sys/kernel/btf/vmlinux.
    #[arg(long, value_name = "FILE", global = true)]
    pub btf: Option<PathBuf>,
    /// Show libbpf's own log and the verifier's messages.
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
    /// Once tracing is attached and the outputs are open, run as USER (its
    /// uid and group, no capabilities), as tcpdump -Z; `root` stays root.
    /// Without it, root drops to a user named argtrace if one exists.
    #[arg(short = 'Z', long = "user", value_name = "USER", global = true)]
    pub user: Option<String>,
}

fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = num.parse().map_err(|_| format!("'{s}' is not a duration (10, 10s, 500ms, 2m, 1h)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("'{s}' has an unknown unit (use ms, s, m or h)")),
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("'{s}' must be longer than zero"));
    }
    // Past u32::MAX seconds (136 years) a deadline means nothing, and
    // Duration and Instant arithmetic would overflow.
    if secs > u32::MAX as f64 {
        return Err(format!("'{s}' is too long (at most {}s)", u32::MAX));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("'{s}' is not a duration (10, 10s, 500ms, 2m, 1h)"))
}

fn parse_size(s: &str) -> std::result::Result<u32, String> {
    let upper = s.to_ascii_uppercase();
    let (num, mult) = match upper.strip_suffix(['K', 'M', 'G']) {
        Some(n) if upper.ends_with('K') => (n, 1u64 << 10),
        Some(n) if upper.ends_with('M') => (n, 1 << 20),
        Some(n) => (n, 1 << 30),
        None => (upper.as_str(), 1),
    };
    let bytes = num
        .parse::<u64>()
        .map_err(|_| format!("'{s}' is not a size (4096, 256K, 16M)"))?
        .checked_mul(mult)
        .filter(|b| *b <= 1 << 30)
        .ok_or_else(|| format!("'{s}' is larger than 1G"))?;
    let page = crate::sys::page_size();
    if !bytes.is_power_of_two() || bytes < page {
        return Err(format!("'{s}' must be a power of two of at least the page size ({page})"));
    }
    Ok(bytes as u32)
}

/// The shortest --interval: each table costs a short wait for the programs
/// still counting into the previous one (src/trace/summary.rs).
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Checks what can be checked without the kernel's BPF (the subject's modes
/// and options, the comm length, that every pid and tid exists, the options
/// that exclude each other) into the run: subject, forced mode, configuration.
pub fn check(cli: Cli) -> Result<Run> {
    let c = cli.common;
    let cgroup = cgroup_of(c.cgroup.as_deref(), c.container.as_deref())?;
    let cgroup_dir = match &cgroup {
        Some(path) => Some(std::sync::Arc::new(
            crate::sys::CgroupDir::open(path).map_err(|e| Error::Usage(format!("--cgroup {e}")))?,
        )),
        None => None,
    };
    let mut command = cli.command;
    // The cgroup subjects attach their programs to the cgroup asked for.
    match &mut command {
        Command::Sock(s) => s.cgroup = cgroup.clone(),
        Command::Skb(s) => s.cgroup = cgroup.clone(),
        _ => {}
    }
    let subject = command.into_subject();
    let run = cli.run;
    let probe = c.probe.mode();
    check_modes(&*subject, probe, c.stack)?;
    subject.check()?;
    let comm = comm_of(c.comm.as_deref())?;
    check_ids(&c.pids, &c.tids)?;
    if let Some(btf) = &c.btf {
        crate::sys::check_btf_file(btf).map_err(Error::BtfFile)?;
    }
    check_combinations(&c)?;
    check_command(&c, &run)?;
    let durations = c.durations || c.syscall_times.is_some();
    if durations && !subject.has_calls() {
        return Err(Error::Usage(format!(
            "-T/--durations times calls, and {} sees events of cgroup hooks, which have no duration",
            subject.name()
        )));
    }
    let user = crate::privilege::resolve(c.user.as_deref(), c.stack)?;
    let cfg = Config {
        pids: c.pids,
        tids: c.tids,
        follow: c.follow,
        command: run,
        comm,
        uid: c.uid,
        cgroup,
        cgroup_dir,
        container_info: c.container_info,
        json: c.json,
        output: c.output,
        timestamp: c.timestamp,
        utc: c.utc,
        duration: c.duration,
        count: c.count,
        summary: c.summary,
        interval: c.interval,
        durations,
        duration_digits: c.syscall_times.unwrap_or(TimePrecision::Us).digits(),
        pending_table: c.pending_table,
        stack: c.stack,
        ringbuf_size: c.ringbuf_size,
        btf: c.btf.unwrap_or_else(|| PathBuf::from(SYSFS_BTF)),
        verbose: c.verbose,
        user,
    };
    subject.check_config(&cfg, probe)?;
    Ok(Run { subject, probe, cfg })
}

/// The cgroup of --cgroup or of --container (found under the cgroup v2
/// hierarchy), or None; the caller opens it (a cgroup v2 directory or an error).
fn cgroup_of(path: Option<&std::path::Path>, container: Option<&str>) -> Result<Option<PathBuf>> {
    if let Some(path) = path {
        return Ok(Some(path.to_path_buf()));
    }
    let Some(prefix) = container else { return Ok(None) };
    let root = crate::sys::cgroup2_mount().ok_or_else(|| {
        Error::Kernel(format!(
            "--container {prefix}: no cgroup v2 hierarchy is mounted (no cgroup2 line in /proc/mounts), where \
             containers' cgroups are found; mount it, e.g. mount -t cgroup2 none /sys/fs/cgroup"
        ))
    })?;
    crate::container::find(&root, prefix).map(Some).map_err(Error::NoSuchProcess)
}

/// A forced mode the subject has, and --stack only where its programs may take stacks.
fn check_modes(subject: &dyn Subject, probe: Option<ProbeMode>, stack: bool) -> Result<()> {
    if let Some(mode) = probe.filter(|m| !subject.modes().contains(m)) {
        if let Some(why) = subject.why_no_mode(mode) {
            return Err(Error::Usage(why));
        }
        let mut modes: Vec<&str> = vec!["auto"];
        modes.extend(subject.modes().iter().map(|m| m.name()));
        let last = modes.pop().unwrap_or_default();
        return Err(Error::Usage(format!(
            "{} has no {} probe mode: use --probe {} or {last}",
            subject.name(),
            mode.name(),
            modes.join(", ")
        )));
    }
    if stack && !subject.modes().iter().any(|m| m.has_stacks()) {
        return Err(Error::Usage(format!(
            "{} cannot show stacks (--stack): its {} programs may not take them",
            subject.name(),
            subject.modes().iter().map(|m| m.name()).collect::<Vec<_>>().join("/")
        )));
    }
    Ok(())
}

/// --comm as the kernel stores a task's name: at most 15 bytes, NUL-padded.
fn comm_of(name: Option<&str>) -> Result<Option<[u8; 16]>> {
    let Some(name) = name else { return Ok(None) };
    if name.is_empty() || name.len() > 15 {
        return Err(Error::Usage(format!("--comm '{name}' must be 1 to 15 bytes long, as the kernel's task name is")));
    }
    let mut buf = [0u8; 16];
    buf[..name.len()].copy_from_slice(name.as_bytes());
    Ok(Some(buf))
}

/// Every pid and tid exists, and every pid is a process's.
fn check_ids(pids: &[u32], tids: &[u32]) -> Result<()> {
    for (what, ids) in [("pid", pids), ("tid", tids)] {
        for id in ids {
            if !crate::sys::process_exists(*id) {
                return Err(Error::NoSuchProcess(format!("no such {what}: {id}")));
            }
        }
    }
    // /proc/<tid> exists for every thread, so a thread id given to -p
    // would be accepted and match nothing: say which option it needs.
    for pid in pids {
        if let Some(tgid) = crate::sys::thread_group_of(*pid).filter(|t| t != pid) {
            return Err(Error::Usage(format!(
                "{pid} is a thread of process {tgid}, not a process id: use --tid {pid}, or -p {tgid}"
            )));
        }
    }
    Ok(())
}

/// -f needs something to follow; a command is a process of its own, so
/// --tid (threads of running processes) does not combine with it; -f takes
/// -p or --tid, whose children it follows whole, not both.
fn check_command(c: &CommonArgs, run: &[OsString]) -> Result<()> {
    if run.is_empty() && c.pids.is_empty() && c.tids.is_empty() {
        if c.follow {
            return Err(Error::Usage("-f follows the children of -p or --tid targets or of -- CMD: give one".into()));
        }
        return Ok(());
    }
    if run.first().is_some_and(|p| p.is_empty()) {
        return Err(Error::Usage("the command after -- is empty".into()));
    }
    if let Some(program) = run.first() {
        crate::command::check_runnable(program)?;
    }
    if !run.is_empty() && !c.tids.is_empty() {
        return Err(Error::Usage("--tid names threads of running processes: with -- CMD, use -p for others".into()));
    }
    if c.follow && !c.pids.is_empty() && !c.tids.is_empty() {
        return Err(Error::Usage(
            "with -f, give -p or --tid, not both (-f follows a thread's children or a process's)".into(),
        ));
    }
    Ok(())
}

/// The limits and the options that exclude or need each other.
fn check_combinations(c: &CommonArgs) -> Result<()> {
    if c.pids.len() > 64 || c.tids.len() > 64 {
        return Err(Error::Usage("at most 64 pids and 64 tids can be traced".into()));
    }
    if c.count == Some(0) {
        return Err(Error::Usage("--count must be at least 1".into()));
    }
    if c.summary && c.count.is_some() {
        return Err(Error::Usage(
            "--count stops after N streamed events, and -s/--summary streams none: \
             end a summary with --duration, Ctrl-C or SIGTERM"
                .into(),
        ));
    }
    if c.summary && c.stack {
        return Err(Error::Usage("--stack prints the stacks of streamed events, and -s/--summary streams none".into()));
    }
    match c.interval {
        Some(_) if !c.summary => Err(Error::Usage("--interval prints the summary of -s/--summary: add -s".into())),
        Some(i) if i < MIN_INTERVAL => {
            Err(Error::Usage(format!("--interval must be at least {} ms", MIN_INTERVAL.as_millis())))
        }
        _ => Ok(()),
    }
}
