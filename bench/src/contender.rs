//! The contenders: how each tracer is started on a workload's pid, how we know
//! it is attached, how it is stopped, and which of its output lines are the
//! workload's calls (so delivered events can be counted exactly).

use std::path::{Path, PathBuf};

use argtrace::family::ProbeMode;

use crate::sockchurn;
use crate::workload::{Workload, MMAP_LEN};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contender {
    /// No tracer at all.
    Baseline,
    /// `r0 = 0; exit` on the hooks argtrace uses: the cost of the hook itself.
    Empty,
    ArgtraceText,
    ArgtraceJson,
    /// `argtrace syscall -e trace=openat` on a loop of another syscall: the
    /// bitmap-miss cost of an unselected call.
    ArgtraceMiss,
    /// `argtrace syscall -s` for the whole machine (no -p).
    ArgtraceSummaryAll,
    /// argtrace (text) with `--cgroup` the workload's own cgroup beside -p:
    /// every call of the workload passes both filters (the cost of --cgroup).
    ArgtraceCgroup,
    Bpftrace,
    Strace,
    PerfTrace,
    /// In a guest: the empty program on one hook family.
    EmptyIn(ProbeMode),
    /// In a guest: argtrace (text to a file) forced to one hook family.
    ArgtraceIn(ProbeMode),
    /// `argtrace -s`: the kernel counts; nothing is streamed.
    ArgtraceSummary,
    /// `argtrace -T`: every event with its duration (text).
    ArgtraceDurations,
    /// The empty program on the hooks argtrace uses with -s or -T (its
    /// `*_start` programs added): their floor.
    EmptyTimed,
    /// `strace -c`.
    StraceSummary,
    /// `perf trace -s`.
    PerfTraceSummary,
    /// In a guest: argtrace -s, argtrace -T and their floor on one hook family.
    ArgtraceSummaryIn(ProbeMode),
    ArgtraceDurationsIn(ProbeMode),
    EmptyTimedIn(ProbeMode),
}

impl Contender {
    pub const ALL: [Contender; 15] = [
        Contender::Baseline,
        Contender::Empty,
        Contender::ArgtraceText,
        Contender::ArgtraceJson,
        Contender::Bpftrace,
        Contender::Strace,
        Contender::PerfTrace,
        Contender::EmptyTimed,
        Contender::ArgtraceSummary,
        Contender::ArgtraceDurations,
        Contender::StraceSummary,
        Contender::PerfTraceSummary,
        Contender::ArgtraceMiss,
        Contender::ArgtraceSummaryAll,
        Contender::ArgtraceCgroup,
    ];

    /// The short name used on the command line and in the JSON.
    pub fn key(self) -> &'static str {
        match self {
            Contender::Baseline => "baseline",
            Contender::Empty => "empty-bpf",
            Contender::ArgtraceText => "argtrace",
            Contender::ArgtraceJson => "argtrace-json",
            Contender::ArgtraceMiss => "argtrace-miss",
            Contender::ArgtraceSummaryAll => "argtrace-s-all",
            Contender::ArgtraceCgroup => "argtrace-cgroup-filter",
            Contender::Bpftrace => "bpftrace",
            Contender::Strace => "strace",
            Contender::PerfTrace => "perf-trace",
            Contender::EmptyIn(ProbeMode::Fentry) => "empty-fentry",
            Contender::EmptyIn(ProbeMode::Kprobe) => "empty-kprobe",
            Contender::EmptyIn(ProbeMode::Tracepoint) => "empty-tracepoint",
            Contender::EmptyIn(ProbeMode::Cgroup) => "empty-cgroup",
            Contender::ArgtraceIn(ProbeMode::Fentry) => "argtrace-fentry",
            Contender::ArgtraceIn(ProbeMode::Kprobe) => "argtrace-kprobe",
            Contender::ArgtraceIn(ProbeMode::Tracepoint) => "argtrace-tracepoint",
            Contender::ArgtraceIn(ProbeMode::Cgroup) => "argtrace-cgroup",
            Contender::EmptyIn(ProbeMode::Socket) => "empty-socket",
            Contender::EmptyIn(ProbeMode::TpBtf) => "empty-tp_btf",
            Contender::EmptyIn(ProbeMode::RawTp) => "empty-raw_tp",
            Contender::ArgtraceIn(ProbeMode::Socket) => "argtrace-socket",
            Contender::ArgtraceIn(ProbeMode::TpBtf) => "argtrace-tp_btf",
            Contender::ArgtraceIn(ProbeMode::RawTp) => "argtrace-raw_tp",
            Contender::ArgtraceSummary => "argtrace-s",
            Contender::ArgtraceDurations => "argtrace-T",
            Contender::EmptyTimed => "empty-bpf-timed",
            Contender::StraceSummary => "strace-c",
            Contender::PerfTraceSummary => "perf-trace-s",
            Contender::ArgtraceSummaryIn(ProbeMode::Fentry) => "argtrace-s-fentry",
            Contender::ArgtraceSummaryIn(ProbeMode::Kprobe) => "argtrace-s-kprobe",
            Contender::ArgtraceSummaryIn(ProbeMode::Tracepoint) => "argtrace-s-tracepoint",
            Contender::ArgtraceSummaryIn(ProbeMode::Cgroup) => "argtrace-s-cgroup",
            Contender::ArgtraceSummaryIn(ProbeMode::Socket) => "argtrace-s-socket",
            Contender::ArgtraceSummaryIn(ProbeMode::TpBtf) => "argtrace-s-tp_btf",
            Contender::ArgtraceSummaryIn(ProbeMode::RawTp) => "argtrace-s-raw_tp",
            Contender::ArgtraceDurationsIn(ProbeMode::Fentry) => "argtrace-T-fentry",
            Contender::ArgtraceDurationsIn(ProbeMode::Kprobe) => "argtrace-T-kprobe",
            Contender::ArgtraceDurationsIn(ProbeMode::Tracepoint) => "argtrace-T-tracepoint",
            Contender::ArgtraceDurationsIn(ProbeMode::Cgroup) => "argtrace-T-cgroup",
            Contender::ArgtraceDurationsIn(ProbeMode::Socket) => "argtrace-T-socket",
            Contender::ArgtraceDurationsIn(ProbeMode::TpBtf) => "argtrace-T-tp_btf",
            Contender::ArgtraceDurationsIn(ProbeMode::RawTp) => "argtrace-T-raw_tp",
            Contender::EmptyTimedIn(ProbeMode::Fentry) => "empty-timed-fentry",
            Contender::EmptyTimedIn(ProbeMode::Kprobe) => "empty-timed-kprobe",
            Contender::EmptyTimedIn(ProbeMode::Tracepoint) => "empty-timed-tracepoint",
            Contender::EmptyTimedIn(ProbeMode::Cgroup) => "empty-timed-cgroup",
            Contender::EmptyTimedIn(ProbeMode::Socket) => "empty-timed-socket",
            Contender::EmptyTimedIn(ProbeMode::TpBtf) => "empty-timed-tp_btf",
            Contender::EmptyTimedIn(ProbeMode::RawTp) => "empty-timed-raw_tp",
        }
    }

    /// The guest's contenders: the baseline, then each hook family's empty
    /// program and argtrace.
    pub fn guest_set() -> Vec<Contender> {
        let mut v = vec![Contender::Baseline];
        for m in ProbeMode::CALLS {
            v.push(Contender::EmptyIn(m));
            v.push(Contender::ArgtraceIn(m));
        }
        v
    }

    /// In a guest, for the programs' own time only: argtrace -s and -T per
    /// hook family and their floor (the empty program on the same hooks).
    pub fn guest_timed_set() -> Vec<Contender> {
        let mut v = Vec::new();
        for m in ProbeMode::CALLS {
            v.push(Contender::EmptyTimedIn(m));
            v.push(Contender::ArgtraceSummaryIn(m));
            v.push(Contender::ArgtraceDurationsIn(m));
        }
        v
    }

    pub fn parse(s: &str) -> Option<Contender> {
        Contender::ALL
            .into_iter()
            .chain(Contender::guest_set())
            .chain(Contender::guest_timed_set())
            .find(|c| c.key() == s)
    }

    /// How the contender was run, for the table.
    pub fn label(self, w: Workload) -> String {
        match self {
            Contender::Baseline => "no tracer".into(),
            Contender::Empty => "empty BPF program (same hooks)".into(),
            Contender::ArgtraceText => format!("`argtrace {}{} -p PID -o FILE`", w.subject(), select(self, w)),
            Contender::ArgtraceJson => format!("`argtrace {}{} --json -p PID -o FILE`", w.subject(), select(self, w)),
            Contender::ArgtraceMiss => format!("`argtrace {}{} -p PID -o FILE`", w.subject(), select(self, w)),
            Contender::ArgtraceSummaryAll => format!("`argtrace {} -s -o FILE` (the whole machine)", w.subject()),
            Contender::ArgtraceCgroup => {
                format!(
                    "`argtrace {}{} -p PID --cgroup CG -o FILE` (CG: the workload's own cgroup)",
                    w.subject(),
                    select(self, w)
                )
            }
            Contender::Bpftrace if w == Workload::Getppid => {
                "`bpftrace -o FILE` (raw_syscalls sys_enter/sys_exit, args kept by tid, one printf per call)".into()
            }
            Contender::Bpftrace if w == Workload::Sock => {
                "`bpftrace -o FILE` (syscall tracepoints: socket, bind's request and result, close)".into()
            }
            Contender::Bpftrace => "`bpftrace -o FILE` (same tracepoints, same fields)".into(),
            Contender::Strace => format!("`strace -f -e trace={} -p PID -o FILE`", strace_set(w)),
            Contender::PerfTrace if perf_set(w).is_empty() => "`perf trace -p PID -o FILE`".into(),
            Contender::PerfTrace => format!("`perf trace -e {} -p PID -o FILE`", perf_set(w)),
            Contender::EmptyIn(m) => format!("empty BPF program, {} hooks", m.name()),
            Contender::ArgtraceIn(m) => format!("`argtrace {} --probe {} -p PID -o FILE`", w.subject(), m.name()),
            Contender::ArgtraceSummary => format!("`argtrace {} -s -p PID -o FILE`", w.subject()),
            Contender::ArgtraceDurations if w.is_syscall() => {
                format!("`argtrace {}{} -T -p PID -o FILE`", w.subject(), select(self, w))
            }
            Contender::ArgtraceDurations => format!("`argtrace {} -T -p PID -o FILE`", w.subject()),
            Contender::EmptyTimed => "empty BPF program (same hooks as -s, -T)".into(),
            Contender::StraceSummary if w.is_syscall() => "`strace -c -f -p PID -o FILE`".into(),
            Contender::PerfTraceSummary if w.is_syscall() => "`perf trace -s -p PID -o FILE`".into(),
            Contender::StraceSummary => format!("`strace -c -f -e trace={} -p PID -o FILE`", strace_set(w)),
            Contender::PerfTraceSummary => format!("`perf trace -s -e {} -p PID -o FILE`", perf_set(w)),
            Contender::ArgtraceSummaryIn(m) => {
                format!("`argtrace {} -s --probe {} -p PID -o FILE`", w.subject(), m.name())
            }
            Contender::ArgtraceDurationsIn(m) => {
                format!("`argtrace {} -T --probe {} -p PID -o FILE`", w.subject(), m.name())
            }
            Contender::EmptyTimedIn(m) => format!("empty BPF program, {} hooks of -s, -T", m.name()),
        }
    }

    /// The hook family on workload `w`: the workload's host mode
    /// (tracepoints; cgroup for sock) unless the contender names one.
    pub fn mode(self, w: Workload) -> ProbeMode {
        match self {
            Contender::EmptyIn(m)
            | Contender::ArgtraceIn(m)
            | Contender::EmptyTimedIn(m)
            | Contender::ArgtraceSummaryIn(m)
            | Contender::ArgtraceDurationsIn(m) => m,
            _ => w.host_mode(),
        }
    }

    /// Calls for this contender when the workload's are `calls`: strace
    /// stops the mmap loop four times per iteration (about 0.3 ms), so it gets
    /// a tenth of them; overhead is per call, so the figures stay comparable.
    pub fn calls(self, w: Workload, calls: u64) -> u64 {
        match (self, w) {
            (Contender::Strace | Contender::StraceSummary, Workload::Mmap | Workload::Files) => (calls / 10).max(1),
            // getppid costs about 0.1 µs untraced: strace stops twice per
            // call, perf trace formats every one.
            (Contender::Strace | Contender::StraceSummary, Workload::Getppid) => (calls / 100).max(1),
            (Contender::PerfTrace | Contender::PerfTraceSummary, Workload::Getppid) => (calls / 20).max(1),
            _ => calls,
        }
    }

    /// Whether the contender is run on workload `w`. argtrace -T (and so its
    /// guest variants) only where the subject's events are calls with an
    /// entry and a return (`Subject::has_calls`: argtrace refuses -T for sock
    /// and skb); strace -c and perf trace -s on the mmap, fork and tcp loops.
    pub fn runs_on(self, w: Workload) -> bool {
        match self {
            Contender::ArgtraceDurations | Contender::ArgtraceDurationsIn(_) => {
                argtrace::subject::by_name(w.subject()).is_some_and(|s| s.has_calls())
            }
            Contender::StraceSummary | Contender::PerfTraceSummary => {
                matches!(w, Workload::Mmap | Workload::Fork | Workload::Tcp) || w.is_syscall()
            }
            Contender::ArgtraceMiss => w == Workload::Getppid,
            // sock's --cgroup is where its programs attach, not a filter.
            Contender::ArgtraceCgroup => argtrace::subject::by_name(w.subject()).is_some_and(|s| s.has_calls()),
            Contender::ArgtraceSummaryAll => w.is_syscall(),
            // bpftrace's one-liner is the tight loop's; on the file walk the
            // comparison is the issue's: the empty program, strace, perf trace.
            Contender::Bpftrace => w != Workload::Files,
            _ => true,
        }
    }

    pub fn is_argtrace(self) -> bool {
        matches!(
            self,
            Contender::ArgtraceText
                | Contender::ArgtraceJson
                | Contender::ArgtraceMiss
                | Contender::ArgtraceCgroup
                | Contender::ArgtraceSummaryAll
                | Contender::ArgtraceIn(_)
                | Contender::ArgtraceSummary
                | Contender::ArgtraceDurations
                | Contender::ArgtraceSummaryIn(_)
                | Contender::ArgtraceDurationsIn(_)
        )
    }

    /// The empty program on the same hooks: the floor this contender's
    /// program time is measured against.
    pub fn floor(self) -> Option<Contender> {
        match self {
            Contender::ArgtraceText | Contender::ArgtraceJson | Contender::ArgtraceMiss | Contender::ArgtraceCgroup => {
                Some(Contender::Empty)
            }
            Contender::ArgtraceSummary | Contender::ArgtraceDurations | Contender::ArgtraceSummaryAll => {
                Some(Contender::EmptyTimed)
            }
            Contender::ArgtraceIn(m) => Some(Contender::EmptyIn(m)),
            Contender::ArgtraceSummaryIn(m) | Contender::ArgtraceDurationsIn(m) => Some(Contender::EmptyTimedIn(m)),
            _ => None,
        }
    }
}

fn strace_set(w: Workload) -> &'static str {
    match w {
        Workload::Mmap => "mmap",
        Workload::Fork => "clone,clone3,fork,vfork",
        Workload::Tcp => "connect",
        Workload::Sock => "socket,bind,close",
        Workload::Stream => crate::stream::SYSCALLS,
        Workload::Getppid => "all",
        Workload::Files => "%file",
    }
}

/// perf trace's -e list; empty: every syscall (no -e).
fn perf_set(w: Workload) -> &'static str {
    match w {
        Workload::Getppid => "",
        // strace's %file of the walk: its openat and statx (newfstatat: find's).
        Workload::Files => "openat,statx,newfstatat",
        _ => strace_set(w),
    }
}

/// argtrace syscall's selection: the file class on the file walk (issue 19's
/// cell), one other syscall for the bitmap miss, else every syscall.
fn select(c: Contender, w: Workload) -> &'static str {
    match (c, w) {
        (Contender::ArgtraceMiss, _) => " -e trace=openat",
        (Contender::ArgtraceText | Contender::ArgtraceJson | Contender::ArgtraceDurations, Workload::Files) => {
            " -e trace=%file"
        }
        _ => "",
    }
}

/// The cgroup v2 directory of process `pid` (its `0::` line of /proc/PID/cgroup).
fn cgroup_of(pid: i32) -> Option<String> {
    let root = argtrace::sys::cgroup2_mount()?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(root.join(path.trim_start_matches('/')).display().to_string())
}

/// select() as arguments.
fn select_args(c: Contender, w: Workload) -> Vec<String> {
    select(c, w).split_whitespace().map(str::to_string).collect()
}

/// strace's or perf trace's `-e` arguments; none for perf on every syscall.
fn trace_args(perf: bool, w: Workload) -> Vec<String> {
    if !perf {
        vec![s("-e"), format!("trace={}", strace_set(w))]
    } else if perf_set(w).is_empty() {
        vec![]
    } else {
        vec![s("-e"), s(perf_set(w))]
    }
}

/// How we learn that a tracer is attached.
#[derive(Clone, Debug)]
pub enum Ready {
    /// A stderr line starting with this text.
    StderrPrefix(String),
    /// bpftrace: start-up ends at its attach message in the output file
    /// (`Attaching N probes...`, printed just before it attaches); it is live
    /// once this many of its perf events carry a BPF program. (Its BEGIN
    /// output cannot tell: bpftrace buffers the -o file.)
    BpfTracepoints(String, usize),
    /// perf trace says nothing: its perf_event descriptors are open and
    /// their number has settled.
    PerfEventFds,
}

/// How a tracer is stopped once the workload is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT at once: the tool drains what is buffered before it exits.
    Now,
    /// Wait until the tool is idle and its output stops growing, then SIGINT
    /// (if it has not exited on its own when the traced process did).
    WhenQuiet,
}

/// Which output lines are the workload's calls: a line counts if it starts
/// with `prefix` and contains every string of `all`.
#[derive(Clone, Debug, Default)]
pub struct Signature {
    pub prefix: String,
    pub all: Vec<String>,
}

impl Signature {
    pub fn matches(&self, line: &str) -> bool {
        line.starts_with(&self.prefix) && self.all.iter().all(|s| line.contains(s.as_str()))
    }
}

/// Everything needed to run one tracer on one workload process.
#[derive(Clone, Debug)]
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub ready: Ready,
    pub stop: Stop,
    pub output: Option<PathBuf>,
    pub signature: Signature,
}

pub struct Tools<'a> {
    pub argtrace: &'a Path,
    pub bench: &'a Path,
}

fn s(v: &str) -> String {
    v.to_string()
}

/// How to run `c` on workload `w` whose process is `pid` (and whose
/// listener, for the TCP workload, is on `port`), writing to `output`.
pub fn launch(c: Contender, w: Workload, tools: &Tools, pid: i32, port: u16, output: &Path) -> Option<Launch> {
    let out = output.display().to_string();
    let l = match c {
        Contender::Baseline => return None,
        Contender::Empty | Contender::EmptyIn(_) | Contender::EmptyTimed | Contender::EmptyTimedIn(_) => Launch {
            program: tools.bench.to_path_buf(),
            args: {
                let mut a = vec![s("empty-bpf"), s(w.subject()), s("--probe"), s(c.mode(w).name())];
                if matches!(c, Contender::EmptyTimed | Contender::EmptyTimedIn(_)) {
                    a.push(s("--timed"));
                }
                a
            },
            ready: Ready::StderrPrefix(s("argtrace-bench: empty program attached")),
            stop: Stop::Now,
            output: None,
            signature: Signature::default(),
        },
        Contender::ArgtraceSummary | Contender::ArgtraceSummaryIn(_) | Contender::ArgtraceSummaryAll => Launch {
            program: tools.argtrace.to_path_buf(),
            args: {
                let mut a = vec![s(w.subject()), s("-s"), s("--probe"), s(c.mode(w).name()), s("-o"), out];
                if c != Contender::ArgtraceSummaryAll {
                    a.extend([s("-p"), pid.to_string()]);
                }
                a
            },
            ready: Ready::StderrPrefix(s("argtrace: tracing")),
            stop: Stop::Now,
            // A table, not events: its count is the stderr line's.
            output: None,
            signature: Signature::default(),
        },
        Contender::ArgtraceText
        | Contender::ArgtraceJson
        | Contender::ArgtraceMiss
        | Contender::ArgtraceCgroup
        | Contender::ArgtraceIn(_)
        | Contender::ArgtraceDurations
        | Contender::ArgtraceDurationsIn(_) => {
            let json = c == Contender::ArgtraceJson;
            let mut args =
                vec![s(w.subject()), s("--probe"), s(c.mode(w).name()), s("-p"), pid.to_string(), s("-o"), out];
            args.extend(select_args(c, w));
            if json {
                args.push(s("--json"));
            }
            if c == Contender::ArgtraceCgroup {
                args.push(s("--cgroup"));
                // No cgroup v2: argtrace refuses the path, and the cell says so.
                args.push(cgroup_of(pid).unwrap_or_else(|| s("/no-cgroup2-mounted")));
            }
            if matches!(c, Contender::ArgtraceDurations | Contender::ArgtraceDurationsIn(_)) {
                args.push(s("-T"));
            }
            let signature = signature(c, w, pid, port);
            Launch {
                program: tools.argtrace.to_path_buf(),
                args,
                ready: Ready::StderrPrefix(s("argtrace: tracing")),
                stop: Stop::Now,
                // The miss cell selects none of the loop's calls: its count is the stderr line's.
                output: (c != Contender::ArgtraceMiss).then(|| output.to_path_buf()),
                signature,
            }
        }
        Contender::Bpftrace => Launch {
            program: PathBuf::from("bpftrace"),
            args: vec![s("-o"), out, s("-e"), bpftrace_script(w, pid)],
            ready: Ready::BpfTracepoints(s("Attaching "), 2),
            stop: Stop::WhenQuiet,
            output: Some(output.to_path_buf()),
            signature: signature(c, w, pid, port),
        },
        Contender::Strace => Launch {
            program: PathBuf::from("strace"),
            args: [vec![s("-f")], trace_args(false, w), vec![s("-p"), pid.to_string(), s("-o"), out]].concat(),
            ready: Ready::StderrPrefix(format!("strace: Process {pid} attached")),
            stop: Stop::WhenQuiet,
            output: Some(output.to_path_buf()),
            signature: signature(c, w, pid, port),
        },
        Contender::StraceSummary => Launch {
            program: PathBuf::from("strace"),
            args: {
                let mut a = vec![s("-c"), s("-f")];
                if !w.is_syscall() {
                    a.extend(trace_args(false, w));
                }
                a.extend([s("-p"), pid.to_string(), s("-o"), out]);
                a
            },
            ready: Ready::StderrPrefix(format!("strace: Process {pid} attached")),
            stop: Stop::WhenQuiet,
            output: None,
            signature: Signature::default(),
        },
        Contender::PerfTraceSummary => Launch {
            program: PathBuf::from("perf"),
            args: {
                let mut a = vec![s("trace"), s("-s")];
                if !w.is_syscall() {
                    a.extend(trace_args(true, w));
                }
                a.extend([s("-p"), pid.to_string(), s("-o"), out]);
                a
            },
            ready: Ready::PerfEventFds,
            stop: Stop::WhenQuiet,
            output: None,
            signature: Signature::default(),
        },
        Contender::PerfTrace => Launch {
            program: PathBuf::from("perf"),
            args: [vec![s("trace")], trace_args(true, w), vec![s("-p"), pid.to_string(), s("-o"), out]].concat(),
            ready: Ready::PerfEventFds,
            stop: Stop::WhenQuiet,
            output: Some(output.to_path_buf()),
            signature: signature(c, w, pid, port),
        },
    };
    Some(l)
}

/// Which output lines of contender `c` are the calls of workload `w`
/// (process `pid`, listener `port`); none for the others.
fn signature(c: Contender, w: Workload, pid: i32, port: u16) -> Signature {
    let len = MMAP_LEN;
    let sig = |prefix: String, all: &[String]| Signature { prefix, all: all.to_vec() };
    match c {
        Contender::ArgtraceText
        | Contender::ArgtraceJson
        | Contender::ArgtraceMiss
        | Contender::ArgtraceCgroup
        | Contender::ArgtraceIn(_)
        | Contender::ArgtraceDurations
        | Contender::ArgtraceDurationsIn(_) => match (w, c == Contender::ArgtraceJson) {
            (Workload::Mmap, false) => sig(s(""), &[format!("mmap(NULL, {len},")]),
            (Workload::Mmap, true) => sig(s(""), &[format!("\"len\": {len},")]),
            (Workload::Fork, false) => sig(format!("argtrace-bench {pid}/"), &[s(" clone(")]),
            (Workload::Fork, true) => sig(s(""), &[format!("\"pid\": {pid},"), s("\"syscall\": \"clone\"")]),
            (Workload::Tcp, false) => sig(s(""), &[format!("dst=[::1]:{port})")]),
            (Workload::Tcp, true) => sig(s(""), &[format!("\"dport\": {port}}}")]),
            (Workload::Sock, false) => sig(s(""), &[s(sockchurn::ARGTRACE_TEXT)]),
            (Workload::Sock, true) => sig(s(""), &[s(sockchurn::ARGTRACE_JSON)]),
            (Workload::Stream, json) => sig(s(""), &crate::stream::argtrace_marks(json, port)),
            (Workload::Getppid, false) => sig(format!("argtrace-bench {pid}/"), &[s(" getppid() = ")]),
            (Workload::Getppid, true) => sig(s(""), &[s("\"syscall\": \"getppid\"")]),
            (Workload::Files, false) => sig(format!("argtrace-bench {pid}/"), &[s(" statx(")]),
            (Workload::Files, true) => sig(s(""), &[s("\"syscall\": \"statx\"")]),
        },
        Contender::Bpftrace => match w {
            Workload::Mmap => sig(s(""), &[format!("mmap(0x0, {len},")]),
            Workload::Fork => sig(format!("argtrace-bench {pid}/"), &[s(" clone(")]),
            Workload::Tcp => sig(s(""), &[format!("-> [::1]:{port})")]),
            Workload::Sock => sig(s(""), &[s(sockchurn::BPFTRACE_BIND)]),
            Workload::Stream => sig(s(""), &crate::stream::bpftrace_marks(port)),
            Workload::Getppid => sig(format!("argtrace-bench {pid}/"), &[format!(" sc{}(", libc::SYS_getppid)]),
            Workload::Files => sig(s(""), &[s("statx(")]),
        },
        Contender::Strace => match w {
            Workload::Mmap => sig(format!("{pid} "), &[format!("mmap(NULL, {len},")]),
            Workload::Fork => sig(format!("{pid} "), &[s("clone(")]),
            Workload::Tcp => sig(format!("{pid} "), &[format!("sin6_port=htons({port})")]),
            Workload::Sock => sig(format!("{pid} "), &[s("bind("), s("sin_port=htons(0)")]),
            Workload::Stream => sig(format!("{pid} "), &crate::stream::strace_marks()),
            Workload::Getppid => sig(format!("{pid} "), &[s("getppid()")]),
            Workload::Files => sig(format!("{pid} "), &[s("statx(")]),
        },
        Contender::PerfTrace => match w {
            Workload::Mmap => sig(s(""), &[format!("mmap(len: {len},")]),
            Workload::Fork => sig(s(""), &[s("clone(clone_flags:")]),
            // perf trace (without its BPF augmentation) prints the sockaddr as a pointer.
            Workload::Tcp => sig(s(""), &[s("connect(fd:")]),
            Workload::Sock => sig(s(""), &[s("bind(fd:")]),
            Workload::Stream => sig(s(""), &crate::stream::perf_marks()),
            Workload::Getppid => sig(s(""), &[s("getppid()")]),
            Workload::Files => sig(s(""), &[s("statx(")]),
        },
        _ => Signature::default(),
    }
}

/// bpftrace on the tracepoints argtrace uses, pairing entry and return per
/// thread as argtrace does and printing the same fields (undecoded).
fn bpftrace_script(w: Workload, pid: i32) -> String {
    let body = match w {
        Workload::Mmap => format!(
            r#"
tracepoint:syscalls:sys_enter_mmap /pid == {pid}/ {{
  @call[tid] = (1, args->addr, args->len, args->prot, args->flags, args->fd, args->off);
}}
tracepoint:syscalls:sys_exit_mmap /@call[tid].0/ {{
  $c = @call[tid];
  printf("%s %d/%d mmap(0x%lx, %lu, 0x%lx, 0x%lx, %d, 0x%lx) = 0x%lx\n",
         comm, pid, tid, $c.1, $c.2, $c.3, $c.4, (int32)$c.5, $c.6, args->ret);
  delete(@call[tid]);
}}"#
        ),
        Workload::Fork => format!(
            r#"
tracepoint:syscalls:sys_enter_clone /pid == {pid}/ {{
  @call[tid] = (1, args->clone_flags, args->newsp, args->parent_tidptr, args->child_tidptr, args->tls);
}}
tracepoint:syscalls:sys_exit_clone /@call[tid].0/ {{
  $c = @call[tid];
  printf("%s %d/%d clone(flags=0x%lx, newsp=0x%lx, parent_tid=%p, child_tid=%p, tls=0x%lx) = %ld\n",
         comm, pid, tid, $c.1, $c.2, $c.3, $c.4, $c.5, args->ret);
  delete(@call[tid]);
}}"#
        ),
        Workload::Stream => return crate::stream::bpftrace_script(pid),
        Workload::Tcp => format!(
            r#"
tracepoint:sock:inet_sock_set_state /pid == {pid} && args->protocol == 6 && args->oldstate == 7 && args->newstate == 2/ {{
  @call[tid] = (1, args->family, args->dport, ntop(args->saddr_v6), ntop(args->daddr_v6), args->skaddr);
}}
tracepoint:syscalls:sys_exit_connect /@call[tid].0/ {{
  $c = @call[tid];
  $sk = (struct sock *)$c.5;
  printf("%s %d/%d connect(family=%d, [%s]:%d -> [%s]:%d) = %d\n",
         comm, pid, tid, $c.1, $c.3, $sk->__sk_common.skc_num, $c.4, $c.2, args->ret);
  delete(@call[tid]);
}}"#
        ),
        Workload::Sock => sockchurn::bpftrace_body(pid),
        // The printing form, as argtrace prints every call: the arguments
        // kept by thread at entry, one line per call at return. (The counting
        // form, @[args->id] = count(), is argtrace -s's peer, not this.)
        Workload::Getppid | Workload::Files => format!(
            r#"
tracepoint:raw_syscalls:sys_enter /pid == {pid}/ {{
  @call[tid] = (1, args->id, args->args[0], args->args[1], args->args[2], args->args[3], args->args[4], args->args[5]);
}}
tracepoint:raw_syscalls:sys_exit /@call[tid].0/ {{
  $c = @call[tid];
  printf("%s %d/%d sc%d(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx) = %ld\n",
         comm, pid, tid, $c.1, $c.2, $c.3, $c.4, $c.5, $c.6, $c.7, args->ret);
  delete(@call[tid]);
}}"#
        ),
    };
    format!("{}\nEND {{ clear(@call); }}\n", body.trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_parses_back() {
        let mut all: Vec<Contender> = Vec::new();
        for c in Contender::ALL.into_iter().chain(Contender::guest_set()).chain(Contender::guest_timed_set()) {
            // The baseline is in both sets.
            if !all.contains(&c) {
                all.push(c);
            }
        }
        for c in &all {
            assert_eq!(Contender::parse(c.key()), Some(*c), "{}", c.key());
        }
        let mut keys: Vec<&str> = all.iter().map(|c| c.key()).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is used twice");
    }

    #[test]
    fn durations_and_summaries_run_where_the_product_has_them() {
        // argtrace refuses -T for sock (its events are instants); -s works everywhere.
        assert!(!Contender::ArgtraceDurations.runs_on(Workload::Sock));
        assert!(Contender::ArgtraceSummary.runs_on(Workload::Sock));
        assert!(Contender::EmptyTimed.runs_on(Workload::Sock));
        for w in Workload::CALLS {
            assert!(Contender::ArgtraceDurations.runs_on(w), "{}", w.name());
            for m in ProbeMode::CALLS {
                assert!(Contender::ArgtraceDurationsIn(m).runs_on(w));
            }
        }
        for c in [Contender::StraceSummary, Contender::PerfTraceSummary] {
            for w in Workload::ALL {
                let expected =
                    matches!(w, Workload::Mmap | Workload::Fork | Workload::Tcp | Workload::Getppid | Workload::Files);
                assert_eq!(c.runs_on(w), expected, "{} on {}", c.key(), w.name());
            }
        }
    }

    #[test]
    fn every_argtrace_contender_has_its_floor() {
        for c in Contender::ALL.into_iter().chain(Contender::guest_set()).chain(Contender::guest_timed_set()) {
            if c.is_argtrace() {
                let f = c.floor().expect("a floor");
                assert_eq!(f.mode(Workload::Mmap), c.mode(Workload::Mmap), "{}", c.key());
            }
        }
    }
}
