//! `argtrace syscall` and 32-bit processes on x86_64: an i386 static program
//! (built here with `gcc -m32 -static`: the test command installs gcc-12-multilib
//! and libc6-dev-i386) makes calls whose values it chose, and
//! argtrace shows them with the i386 numbers and names (personality is 136,
//! getppid 64, exit_group 252 there; 135, 110 and 231 on x86_64), JSON
//! `"abi": "i386"`, and exit_group as a call that does not return. The three
//! are i386 calls whose kernel entry is x86_64's (src/subject/syscall/compat.rs),
//! so their arguments are typed as x86_64's: the kernel's names, i386's widths.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;
use common::ARGTRACE;

const TRIGGER: &str = r#"
#include <unistd.h>
long syscall(long, ...);
int main(void) {
    char line[8];
    read(0, line, sizeof line); /* wait for "go": argtrace is tracing */
    syscall(136, 0xffffffffUL);  /* personality */
    syscall(64);                 /* getppid */
    return 3;
}
"#;

#[test]
fn i386_processes_are_traced_with_their_own_numbers() {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("argtrace-i386-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join("t.c");
    let bin = dir.join("argtrace-i386");
    std::fs::write(&src, TRIGGER).expect("write the trigger");
    let built = Command::new("gcc").args(["-m32", "-static", "-O1", "-o"]).arg(&bin).arg(&src).output();
    match built {
        Ok(o) if o.status.success() => {}
        // The test command installs the i386 toolchain (scripts/deps.sh: gcc-12-multilib,
        // libc6-dev-i386); without it this proof is missing, which is a failure, not a skip.
        other => panic!(
            "gcc -m32 -static cannot build the i386 trigger (run scripts/deps.sh's deps_strace_source): {other:?}"
        ),
    }
    let mut at = Command::new(ARGTRACE)
        .args(["syscall", "-j", "-c", "argtrace-i386", "-e", "trace=personality,getppid,exit_group"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start argtrace");
    let mut err = BufReader::new(at.stderr.take().expect("piped"));
    let mut line = String::new();
    while !line.contains("argtrace: tracing") {
        line.clear();
        assert!(err.read_line(&mut line).expect("argtrace's stderr") > 0, "argtrace ended before tracing");
    }
    let mut trig = Command::new(&bin).stdin(Stdio::piped()).spawn().expect("start the i386 trigger");
    use std::io::Write as _;
    trig.stdin.take().expect("piped").write_all(b"go\n").expect("go");
    let status = trig.wait().expect("the trigger ends");
    assert_eq!(status.code(), Some(3));
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: kill with a valid pid.
    unsafe { libc::kill(at.id() as i32, libc::SIGINT) };
    let out = at.wait_with_output().expect("argtrace ends");
    let _ = std::fs::remove_dir_all(&dir);
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|v: &serde_json::Value| v.get("event").is_some())
        .collect();
    let pid = trig.id();
    let me = std::process::id() as i64;
    let want = [
        ("personality", 136, serde_json::json!(0)),
        ("getppid", 64, serde_json::json!(me)),
        ("exit_group", 252, serde_json::Value::Null),
    ];
    assert_eq!(events.len(), want.len(), "{events:?}");
    for (e, (name, nr, ret)) in events.iter().zip(want) {
        assert_eq!((e["syscall"].as_str(), e["nr"].as_u64(), e["abi"].as_str()), (Some(name), Some(nr), Some("i386")));
        assert_eq!((e["pid"].as_u64(), &e["ret"]), (Some(pid as u64), &ret), "{e}");
    }
    assert_eq!(events[0]["args"], serde_json::json!({"personality": 4294967295u64}), "{}", events[0]);
    assert_eq!(events[2]["args"], serde_json::json!({"error_code": 3}), "{}", events[2]);
}
