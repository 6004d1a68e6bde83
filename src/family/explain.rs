//! Why a probe mode failed, in one line: what libbpf and the verifier said
//! during the attempt, read back from libbpf's log (never guessed from an
//! errno alone), with the kernel feature behind it named: the generic
//! readings here (a missing helper, a function or tracepoint the kernel
//! lacks, a verifier's refusal), the family's own through `Family::reason`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use libbpf_rs::PrintLevel;

use super::{LoadError, ProbeMode, Stage};

/// What libbpf said during the current attempt: its warnings and, for a
/// refused program, the verifier's log. The reason a mode fails is read from
/// here, from what the kernel and the verifier answered, never guessed from
/// an errno alone (libbpf-rs keeps the errno to itself, all but its kind).
static LIBBPF_LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
static ECHO_LIBBPF: AtomicBool = AtomicBool::new(false);

fn on_libbpf_message(level: PrintLevel, msg: String) {
    if ECHO_LIBBPF.load(Ordering::Relaxed) {
        crate::say_raw!("{msg}");
    }
    if level != PrintLevel::Debug {
        if let Ok(mut log) = LIBBPF_LOG.lock() {
            log.extend(msg.lines().map(str::to_string));
        }
    }
}

/// Sends libbpf's messages to the attempt log (and to stderr with -v).
pub fn capture_libbpf_log(verbose: bool) {
    ECHO_LIBBPF.store(verbose, Ordering::Relaxed);
    libbpf_rs::set_print(Some((PrintLevel::Debug, on_libbpf_message)));
}

/// Empties the attempt log: called before each attempt.
pub fn take_libbpf_log() -> Vec<String> {
    LIBBPF_LOG.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default()
}

/// The `-EPERM` that ends a libbpf warning line, as strace spells it.
fn errno_in(line: &str) -> Option<String> {
    let code = line.rsplit(' ').next()?.strip_prefix("-E")?;
    code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()).then(|| {
        let name = format!("E{code}");
        let desc = crate::decode::errno_by_name(&name).and_then(crate::decode::errno_desc);
        match desc {
            Some(d) => format!("{name} ({d})"),
            None => name,
        }
    })
}

/// The text after `marker` up to the next quote or `#`: a name in a log line.
fn name_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &line[line.find(marker)? + marker.len()..];
    rest.split(['\'', '#', ' ']).next().filter(|n| !n.is_empty())
}

/// The BPF helper the verifier did not know, from its log: newer kernels
/// name it (`unknown func bpf_task_pt_regs#175`), older ones only number it
/// (`invalid func unknown#158`), and then the source line the verifier quotes
/// just before the call names it.
fn missing_helper(log: &[String]) -> Option<String> {
    let at = log.iter().position(|l| l.contains("unknown func ") || l.contains("invalid func unknown#"))?;
    if let Some(name) = name_after(&log[at], "unknown func ").filter(|n| *n != "unknown") {
        return Some(format!("{name}()"));
    }
    let number = log[at].rsplit('#').next().unwrap_or("?").trim().to_string();
    let quoted = log[..at].iter().rev().take(4).find(|l| l.starts_with(';')).and_then(|l| {
        let start = l.find("bpf_")?;
        let name: String = l[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        Some(name)
    });
    Some(match quoted {
        Some(name) => format!("{name}() (helper #{number})"),
        None => format!("#{number}"),
    })
}

/// One line saying why a mode failed, naming the kernel feature behind it.
pub fn explain(mode: ProbeMode, err: &LoadError) -> String {
    let log = take_libbpf_log();
    let stage = match err.stage {
        Stage::Open => "opening the BPF object",
        Stage::Load => "loading",
        Stage::Filters => "writing the filters",
        Stage::Attach | Stage::Refused => "attaching",
    };
    // The libbpf warning that ended the attempt, and the errno it names.
    let failure = log.iter().rev().find(|l| l.starts_with("libbpf: ") && l.contains("failed"));
    let what = failure.and_then(|l| errno_in(l)).unwrap_or_else(|| match err.error.kind() {
        libbpf_rs::ErrorKind::PermissionDenied => "permission denied".into(),
        libbpf_rs::ErrorKind::NotFound => "not found".into(),
        _ => err.error.to_string(),
    });
    let line_with = |needle: &str| log.iter().find(|l| l.contains(needle));
    let hint = if let Some(helper) = missing_helper(&log) {
        format!("the kernel lacks the BPF helper {helper}, which {} mode needs here", mode.name())
    } else if let Some(f) = line_with("failed to find kernel BTF type ID of '")
        .and_then(|l| name_after(l, "failed to find kernel BTF type ID of '"))
    {
        format!("the kernel's BTF has no function {f} to attach to")
    } else if let Some(tp) =
        line_with("failed to attach to tracepoint '").and_then(|l| name_after(l, "failed to attach to tracepoint '"))
    {
        format!("the kernel has no tracepoint {tp} (syscall tracepoints need CONFIG_FTRACE_SYSCALLS)")
    } else if log.iter().any(|l| l.contains("-- BEGIN PROG LOAD LOG --")) {
        // The verifier refused a program: its last words say why (before
        // its statistics).
        let last = log
            .iter()
            .take_while(|l| !l.contains("-- END PROG LOAD LOG --"))
            .filter(|l| !l.trim().is_empty() && !l.starts_with("libbpf: "))
            .filter(|l| !l.starts_with("processed ") && !l.starts_with("verification time"))
            .last()
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        format!("the verifier refused a program: {last}")
    } else {
        let generic = (err.stage == Stage::Load && err.error.kind() == libbpf_rs::ErrorKind::PermissionDenied)
            .then(|| "the kernel refused to load the programs".to_string());
        failure.and_then(|l| mode.family().reason(mode, err.stage, l)).or(generic).unwrap_or_default()
    };
    if hint.is_empty() {
        format!("{stage} failed: {what}")
    } else {
        format!("{stage} failed: {what}: {hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::missing_helper;

    fn log(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_named_unknown_helper() {
        let l = log(&["0: (85) call bpf_task_pt_regs#175", "unknown func bpf_task_pt_regs#175"]);
        assert_eq!(missing_helper(&l).as_deref(), Some("bpf_task_pt_regs()"));
    }

    #[test]
    fn a_numbered_unknown_helper_named_from_the_quoted_source() {
        // Debian 11's 5.10 verifier, as the kernel matrix saw it.
        let l = log(&[
            "; struct task_struct *task = bpf_get_current_task_btf();",
            "2: (85) call unknown#158",
            "invalid func unknown#158",
            "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
        ]);
        assert_eq!(missing_helper(&l).as_deref(), Some("bpf_get_current_task_btf() (helper #158)"));
        assert_eq!(missing_helper(&log(&["invalid func unknown#158"])).as_deref(), Some("#158"));
        assert_eq!(missing_helper(&log(&["R1 type=ctx expected=fp"])), None);
    }
}
