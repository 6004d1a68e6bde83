//! The command line of -s/--summary, --interval and -T/--durations: the
//! combinations that make no sense are refused with one `argtrace: ...` line
//! and exit status 2 before any BPF work; a summary ends on SIGINT and
//! --duration with its table and its count on stderr. (The exact counts, the
//! errors per errno and the durations are proven by the e2e suite, in every
//! probe mode: e2e/src/summary.rs.)

mod common;
use common::{assert_one_line_error, run};

fn assert_usage_error(args: &[&str], needle: &str) {
    assert_one_line_error(&run(args), 2, needle);
}

#[test]
fn count_does_not_apply_to_a_summary() {
    assert_usage_error(&["mmap", "-s", "-n", "5"], "-s/--summary streams none");
}

#[test]
fn stacks_do_not_apply_to_a_summary() {
    assert_usage_error(&["clone", "-s", "--stack"], "-s/--summary streams none");
}

#[test]
fn interval_needs_a_summary_and_a_sane_period() {
    assert_usage_error(&["mmap", "--interval", "1"], "add -s");
    assert_usage_error(&["mmap", "-s", "--interval", "10ms"], "at least 100 ms");
    assert_usage_error(&["mmap", "-s", "--interval", "soon"], "is not a duration");
}

#[test]
fn the_options_are_in_the_help() {
    let out = run(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["-s, --summary", "--interval <TIME>", "-T, --durations"] {
        assert!(help.contains(needle), "'{needle}' not in --help:\n{help}");
    }
    // The switch for tests stays out of the help.
    assert!(!help.contains("pending-table"), "{help}");
}

/// -T times calls: sock and skb see events of cgroup hooks, which have none.
/// skb's --pcap writes packets, which -s does not stream.
#[test]
fn durations_need_calls_and_a_pcap_needs_packets() {
    for subject in ["sock", "skb"] {
        assert_usage_error(&[subject, "-T"], &format!("{subject} sees events of cgroup hooks, which have no duration"));
    }
    assert_usage_error(&["skb", "-s", "--pcap", "/tmp/argtrace-never.pcap"], "-s/--summary only counts them");
}

/// A summary of a second with nothing to count is strace -c's empty table,
/// with its count on stderr (as root, as every live test).
#[test]
fn an_empty_summary_is_an_empty_table() {
    // A comm nothing on the machine has: the table stays empty.
    let out = run(&["mmap", "-s", "-c", "argtrace-nobody", "-d", "300ms"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "% time     seconds  usecs/call     calls    errors syscall\n\
         ------ ----------- ----------- --------- --------- ----------------\n\
         ------ ----------- ----------- --------- --------- ----------------\n\
         100.00    0.000000           0         0           total\n"
    );
    assert!(stderr.lines().any(|l| l == "argtrace: 0 calls counted, 0 lost"), "{stderr}");
}
