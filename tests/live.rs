//! Live tests on the running kernel (root required): the end-to-end suite of
//! argtrace-e2e with `--detect`. The suite finds out from the kernel itself,
//! independently of argtrace, which probe modes exist (a trial load and attach
//! of an empty BPF program per mode, e2e/src/detect.rs), runs every case in
//! each of them, expects auto to choose the first in fentry > kprobe >
//! tracepoint order, and the modes the kernel lacks to be refused with the
//! clear error. The same suite runs with the same detection inside the QEMU
//! guests (`cargo xtask vm`), where it is also checked against tests/kernels.txt.

use std::path::PathBuf;
use std::process::Command;

const ALL_MODES: [&str; 3] = ["fentry", "kprobe", "tracepoint"];
/// The cases the suite runs in every mode the kernel has.
const PER_MODE_CASES: [&str; 27] = [
    "mmap",
    "mmap-user",
    "clone",
    "tcp-inet6",
    "tcp-inet",
    "tcp-send",
    "tcp-send-filter",
    "tcp-send-text",
    "tcp-send-timed",
    "sigkill",
    "summary",
    "durations",
    "missed-returns",
    "follow-mmap",
    "killed-mmap",
    "follow-clone",
    "killed-clone",
    "follow-tcp-connect",
    "killed-tcp-connect",
    "follow-tcp-send",
    "killed-tcp-send",
    "follow-pid",
    "follow-tid",
    "cgroup-mmap",
    "cgroup-clone",
    "cgroup-tcp-connect",
    "cgroup-tcp-send",
];
/// The 32-bit static trigger's cases (e2e/src/calls.rs, case_compat), in
/// every mode: on x86_64 the i386 one's (mmap2 and the old mmap, clone,
/// clone3, fork and vfork), on arm64 the AArch32 one's (no old mmap there).
#[cfg(target_arch = "x86_64")]
const COMPAT_CASES: [&str; 2] = ["i386-mmap", "i386-clone"];
#[cfg(not(target_arch = "x86_64"))]
const COMPAT_CASES: [&str; 2] = ["aarch32-mmap", "aarch32-clone"];
/// Once per kernel: auto and the forced modes where the 32-bit entries are missing.
const COMPAT_UNSEEN: &str = if cfg!(target_arch = "x86_64") { "i386-unseen" } else { "aarch32-unseen" };
/// argtrace syscall's cases (e2e/src/syscall.rs): the raw syscall
/// tracepoints, once per kernel, with the mode each runs in.
const SYSCALL_CASES: [(&str, &str); 19] = [
    ("syscall", "tp_btf"),
    ("syscall", "raw_tp"),
    ("syscall-exec", "tp_btf"),
    ("syscall-exec", "raw_tp"),
    ("syscall-structs", "tp_btf"),
    ("syscall-structs", "raw_tp"),
    ("syscall-io", "tp_btf"),
    ("syscall-io", "raw_tp"),
    ("syscall-unfinished", "tp_btf"),
    ("syscall-unfinished", "raw_tp"),
    ("syscall-no-kernel-btf", "raw_tp"),
    ("syscall-regex", "tp_btf"),
    ("syscall-class", "tp_btf"),
    ("syscall-negation", "tp_btf"),
    ("syscall-summary", "tp_btf"),
    ("cgroup-syscall", "tp_btf"),
    ("cgroup-syscall", "raw_tp"),
    ("syscall-compat", "tp_btf"),
    ("syscall-compat", "raw_tp"),
];
/// -f and -- CMD for the subjects of one mode (e2e/src/follow.rs), once per kernel.
const FOLLOW_ONCE: [(&str, &str); 7] = [
    ("follow-sock", "cgroup"),
    ("killed-sock", "cgroup"),
    ("follow-skb", "cgroup"),
    ("killed-skb", "cgroup"),
    ("follow-syscall", "tp_btf"),
    ("killed-syscall", "tp_btf"),
    ("cmd-execve", "tp_btf"),
];

/// The cases of `argtrace sock` (e2e/src/sock.rs), once, in its only mode.
const SOCK_CASES: [&str; 15] = [
    "sock-auto",
    "sock-tcp-listen",
    "sock-udp-sendmsg",
    "sock-tcp6-connect",
    "sock-fork-close",
    "sock-preexisting",
    "sock-seeded-accept",
    "sock-accepted",
    "sock-family",
    "sock-proto",
    "sock-text",
    "sock-cgroup",
    "sock-no-sk-storage",
    "sock-sigkill",
    "sock-summary",
];
/// The cases of `argtrace skb` (e2e/src/skb.rs), once, with their mode.
const SKB_CASES: [(&str, &str); 14] = [
    ("skb-tcp", "cgroup"),
    ("skb-udp", "cgroup"),
    ("skb-ipv6", "cgroup"),
    ("skb-edges", "cgroup"),
    ("skb-relative", "cgroup"),
    ("skb-old-socket", "cgroup"),
    ("skb-old-server", "cgroup"),
    ("skb-pid-filter", "cgroup"),
    ("skb-pcap", "cgroup"),
    ("skb-pcap-user", "cgroup"),
    ("skb-summary", "cgroup"),
    ("skb-iface", "socket"),
    ("skb-iface-refuses-pid", "socket"),
    ("skb-no-cgroup2", "socket"),
];

/// Builds argtrace-e2e (another package of the workspace) and returns its path.
fn e2e_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "argtrace-e2e"])
        .status()
        .expect("run cargo build -p argtrace-e2e");
    assert!(status.success(), "building argtrace-e2e failed");
    let argtrace = PathBuf::from(env!("CARGO_BIN_EXE_argtrace"));
    argtrace.with_file_name("argtrace-e2e")
}

/// The value of `key=` in the `E2E-KERNEL` line, split on commas (`none` is empty).
fn field(kernel: &str, key: &str) -> Vec<String> {
    let value = kernel
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {kernel}"));
    value.split(',').filter(|m| *m != "none").map(String::from).collect()
}

/// Every JSON line the suite's argtrace runs printed validates against the
/// JSON Schema (schema/argtrace.schema.json, draft 2020-12) by a real
/// validator, Debian's python3-jsonschema; each event kind and summary object
/// is among them.
fn check_schema(dump: &std::path::Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dump)
        .expect("the JSON dump directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the suite's argtrace runs printed no JSON into {}", dump.display());
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("/usr/bin/python3")
        .arg(format!("{root}/scripts/validate-json.py"))
        .arg(format!("{root}/schema/argtrace.schema.json"))
        .args(["--require", "clone,mmap,tcp_connect,tcp_send,sock,skb,syscall,summary,calls,counts"])
        .args(&files)
        .output()
        .expect("run /usr/bin/python3 scripts/validate-json.py (scripts/test.sh installs python3-jsonschema)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    print!("{text}");
    assert!(out.status.success(), "argtrace's JSON does not match schema/argtrace.schema.json:\n{text}");
}

#[test]
fn every_mode_the_kernel_has_shows_exactly_what_the_triggers_did() {
    let dump = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("live-json");
    let _ = std::fs::remove_dir_all(&dump);
    std::fs::create_dir_all(&dump).expect("the JSON dump directory");
    let out = Command::new(e2e_binary())
        .args(["suite", "--argtrace", env!("CARGO_BIN_EXE_argtrace"), "--detect"])
        .env("ARGTRACE_E2E_JSON_DUMP", &dump)
        .output()
        .expect("run argtrace-e2e");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));

    let kernel = stdout.lines().find(|l| l.starts_with("E2E-KERNEL ")).expect("an E2E-KERNEL line");
    let modes = field(kernel, "modes");
    let auto = field(kernel, "auto");
    let lacks: Vec<&str> = ALL_MODES.into_iter().filter(|m| !modes.iter().any(|x| x == m)).collect();
    assert!(modes.iter().all(|m| ALL_MODES.contains(&m.as_str())), "{kernel}");
    // auto must be the first detected mode in fentry > kprobe > tracepoint order.
    assert_eq!(auto.first(), modes.first(), "{kernel}");
    // Every missing mode comes with the kernel's reason.
    let reasons = kernel.split(" lacks=").nth(1).and_then(|r| r.split(" has=").next()).expect("lacks= and has=");
    if lacks.is_empty() {
        assert_eq!(reasons, "none", "{kernel}");
    }
    for mode in &lacks {
        assert!(reasons.contains(&format!("{mode}(")), "no reason for {mode}: {kernel}");
    }

    let results: Vec<&str> = stdout.lines().filter(|l| l.starts_with("E2E-RESULT ")).collect();
    let failures: Vec<&&str> = results.iter().filter(|l| l.contains(" FAIL ")).collect();
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n")
    );
    let has = |case: &str, mode: &str| results.iter().any(|l| l.starts_with(&format!("E2E-RESULT {case} {mode} PASS")));
    for mode in &modes {
        for case in PER_MODE_CASES {
            assert!(has(case, mode), "no passing {case} case in {mode} mode:\n{stdout}");
        }
        for case in COMPAT_CASES {
            assert!(has(case, mode), "no passing {case} case in {mode} mode:\n{stdout}");
        }
    }
    let auto_mode = auto.first().map_or("none", String::as_str);
    assert!(has("auto", auto_mode), "auto did not pass as {auto_mode}:\n{stdout}");
    for mode in &lacks {
        assert!(has("unavailable", mode), "{mode} is missing but was not refused cleanly:\n{stdout}");
    }
    assert!(has("no-btf", "auto"), "{stdout}");
    let unseen = modes.iter().any(|m| m == "tracepoint");
    if unseen {
        assert!(has(COMPAT_UNSEEN, "auto"), "{stdout}");
    }
    for case in SOCK_CASES {
        assert!(has(case, "cgroup"), "no passing {case} case in cgroup mode:\n{stdout}");
    }
    for (case, mode) in SKB_CASES {
        assert!(has(case, mode), "no passing {case} case in {mode} mode:\n{stdout}");
    }
    // On this machine the pcap is also read back by tcpdump (scripts/test.sh
    // installs it; the QEMU guests have none).
    assert!(
        results.iter().any(|l| l.starts_with("E2E-RESULT skb-pcap cgroup PASS") && l.contains("tcpdump -r agrees")),
        "skb-pcap did not read the pcap back with tcpdump (install tcpdump: scripts/test.sh does):\n{stdout}"
    );
    for (case, mode) in FOLLOW_ONCE {
        assert!(has(case, mode), "no passing {case} case in {mode} mode:\n{stdout}");
    }
    for (case, mode) in SYSCALL_CASES {
        assert!(has(case, mode), "no passing {case} case in {mode} mode:\n{stdout}");
    }
    // The cases of each detected mode, auto, one refusal per missing mode, no
    // BTF, syscall's, sock's and skb's.
    let expected = (PER_MODE_CASES.len() + COMPAT_CASES.len()) * modes.len()
        + usize::from(unseen)
        + 1
        + lacks.len()
        + 1
        + SYSCALL_CASES.len()
        + FOLLOW_ONCE.len()
        + SOCK_CASES.len()
        + SKB_CASES.len();
    assert_eq!(results.len(), expected, "expected {expected} case results:\n{stdout}");
    assert!(stdout.contains(&format!("E2E-DONE passed={expected} failed=0")), "{stdout}");
    assert!(out.status.success());
    check_schema(&dump);
}
