// Reading a guest's serial console: the suite's `E2E-` lines and the kernel's complaints.
//
// The suite prints `E2E-KERNEL modes=.. auto=.. lacks=.. has=..` first (the probe modes
// it detected on the kernel), `E2E-RESULT <case> <mode> PASS|FAIL <detail...>` per case and
// `E2E-DONE passed=N failed=M` at the end; /init adds `E2E-BOOT <release> <machine>` and
// `E2E-EXIT <status>` (with `cargo xtask vm --run`, the command's output lies between
// `E2E-RUN-BEGIN` and `E2E-EXIT`). Kernel messages may share a console line with them, so a marker
// is looked for anywhere in a line, not only at its start.

/// One `E2E-RESULT` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    pub case: String,
    pub mode: String,
    pub passed: bool,
    pub detail: String,
}

/// What a console log says.
#[derive(Debug, Default)]
pub struct Console {
    /// `uname -r` and `uname -m` from `E2E-BOOT`.
    pub boot: Option<(String, String)>,
    /// The suite's detection of the kernel's probe modes: the `E2E-KERNEL` line without
    /// its marker (`modes=.. auto=.. lacks=.. has=..`).
    pub kernel: Option<String>,
    pub results: Vec<CaseResult>,
    /// `passed` and `failed` from `E2E-DONE`.
    pub done: Option<(u32, u32)>,
    /// The suite's exit status from `E2E-EXIT`.
    pub exit: Option<i32>,
    /// Lines the kernel only prints when something went wrong (warnings, bugs, oopses,
    /// panics), and `E2E-` lines that could not be read.
    pub problems: Vec<String>,
}

/// Kernel console markers that mean the kernel itself is unhappy.
const KERNEL_TROUBLE: [&str; 5] = ["WARNING:", "BUG:", "Call Trace", "Kernel panic", "Oops:"];

pub fn parse(log: &str) -> Console {
    let mut console = Console::default();
    for raw in log.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(at) = line.find("E2E-") {
            parse_marker(&line[at..], &mut console);
            continue;
        }
        if KERNEL_TROUBLE.iter().any(|m| line.contains(m)) {
            console.problems.push(line.trim().to_string());
        }
    }
    console
}

/// The lines a `--run` command printed: those between `E2E-RUN-BEGIN` and `E2E-EXIT` (to
/// the end of the log if the guest never got to `E2E-EXIT`).
pub fn run_output(log: &str) -> Vec<String> {
    let mut lines = log.lines().map(|l| l.trim_end_matches('\r'));
    if !lines.by_ref().any(|l| l.contains("E2E-RUN-BEGIN")) {
        return Vec::new();
    }
    lines.take_while(|l| !l.contains("E2E-EXIT")).map(str::to_string).collect()
}

fn parse_marker(line: &str, console: &mut Console) {
    let mut words = line.split_whitespace();
    let marker = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let bad = |console: &mut Console| console.problems.push(format!("unreadable line: {line}"));
    match marker {
        "E2E-BOOT" => match rest.as_slice() {
            [release, machine, ..] => console.boot = Some((release.to_string(), machine.to_string())),
            _ => bad(console),
        },
        "E2E-KERNEL" => match rest.first() {
            Some(first) if first.starts_with("modes=") => console.kernel = Some(rest.join(" ")),
            _ => bad(console),
        },
        "E2E-RESULT" => match rest.as_slice() {
            [case, mode, verdict @ ("PASS" | "FAIL"), detail @ ..] => console.results.push(CaseResult {
                case: case.to_string(),
                mode: mode.to_string(),
                passed: *verdict == "PASS",
                detail: detail.join(" "),
            }),
            _ => bad(console),
        },
        "E2E-DONE" => {
            let count = |key: &str| rest.iter().find_map(|w| w.strip_prefix(key).and_then(|v| v.parse::<u32>().ok()));
            match (count("passed="), count("failed=")) {
                (Some(p), Some(f)) => console.done = Some((p, f)),
                _ => bad(console),
            }
        }
        "E2E-EXIT" => match rest.first().and_then(|s| s.parse().ok()) {
            Some(status) => console.exit = Some(status),
            None => bad(console),
        },
        // E2E-ARGS, E2E-INIT and anything the suite adds later: informational.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_run_output() {
        let log =
            "boot\r\nE2E-BOOT 6.1.0 x86_64\r\nE2E-RUN-BEGIN\r\nARGTRACE-BENCH-DONE\r\nhello\r\nE2E-EXIT 0\r\nbye\r\n";
        assert_eq!(run_output(log), ["ARGTRACE-BENCH-DONE", "hello"]);
        assert_eq!(parse(log).exit, Some(0));
        assert!(run_output("E2E-BOOT 6.1.0 x86_64\n").is_empty());
    }

    #[test]
    fn reads_markers_and_trouble() {
        let log = "\
[    0.000000] Linux version 6.1.0\r
E2E-BOOT 6.1.0-56-cloud-amd64 x86_64\r
E2E-KERNEL modes=kprobe,tracepoint auto=kprobe lacks=fentry(attach to ksys_mmap_pgoff: ENOTSUPP 524) has=kprobe(x)\r
E2E-RESULT clone fentry PASS flags=CLONE_VM\r
[    3.1] random: crng init done E2E-RESULT mmap kprobe FAIL want len=4096 got len=0\r
[    4.0] WARNING: CPU: 1 PID: 1 at kernel/bpf/x.c:1\r
E2E-RESULT broken\r
E2E-DONE passed=1 failed=1\r
E2E-EXIT 1\r
";
        let c = parse(log);
        assert_eq!(c.boot, Some(("6.1.0-56-cloud-amd64".into(), "x86_64".into())));
        assert_eq!(
            c.kernel.as_deref(),
            Some(
                "modes=kprobe,tracepoint auto=kprobe \
                 lacks=fentry(attach to ksys_mmap_pgoff: ENOTSUPP 524) has=kprobe(x)"
            )
        );
        assert_eq!(c.results.len(), 2);
        assert!(c.results[0].passed);
        assert_eq!(c.results[1].case, "mmap");
        assert_eq!(c.results[1].detail, "want len=4096 got len=0");
        assert_eq!(c.done, Some((1, 1)));
        assert_eq!(c.exit, Some(1));
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].contains("WARNING:"));
        assert!(c.problems[1].contains("unreadable"));
    }
}
