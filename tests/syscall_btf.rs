//! `argtrace syscall` on a kernel that shows neither tracefs nor its syscall
//! metadata (ARGTRACE_NO_TRACEFS=1 and ARGTRACE_NO_SYSCALL_METADATA=1 make
//! argtrace behave so here): the arguments of a syscall whose typed body
//! `__do_sys_<name>` is in the kernel's BTF are named and typed from it
//! (`const char *` read as a string, a NULL pointer, signed ints); the others
//! are printed by position (`arg0`..`arg5`, raw). Which syscalls have one is
//! read from the kernel's BTF here, independently of argtrace (its names are
//! in the BTF string table), so the test holds on any kernel.

use std::ffi::CString;
use std::process::{Command, Stdio};
use std::time::Duration;

use argtrace_testkit::tracing::spawn_tracing;
use serde_json::{json, Value};

mod common;
use common::ARGTRACE;

/// Whether the kernel's BTF names a function `__do_sys_<name>`.
fn btf_has_do_sys(btf: &[u8], name: &str) -> bool {
    let needle = format!("\0__do_sys_{name}\0").into_bytes();
    btf.windows(needle.len()).any(|w| w == needle.as_slice())
}

#[test]
fn without_tracefs_arguments_are_typed_from_btf() {
    let btf = std::fs::read("/sys/kernel/btf/vmlinux").expect("the kernel's BTF");
    // SAFETY: gettid has no arguments.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) }.to_string();
    let t = spawn_tracing(
        Command::new(ARGTRACE)
            .args(["syscall", "-j", "--tid", &tid, "-e", "trace=ioprio_get,memfd_create,prlimit64,dup"])
            .env("ARGTRACE_NO_TRACEFS", "1")
            .env("ARGTRACE_NO_SYSCALL_METADATA", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
        Duration::from_secs(60),
    )
    .expect("argtrace traces");
    let name = "argtrace-btf \"q\"\t";
    let cname = CString::new(name).expect("no NUL");
    let mut old = [0u64; 2];
    // SAFETY: plain syscalls on memory this test owns.
    let (prio, fd, lim, dup) = unsafe {
        let prio = libc::syscall(libc::SYS_ioprio_get, 1, 0);
        let fd = libc::syscall(libc::SYS_memfd_create, cname.as_ptr(), libc::MFD_CLOEXEC);
        let lim = libc::syscall(libc::SYS_prlimit64, 0, libc::RLIMIT_NOFILE, std::ptr::null::<u8>(), old.as_mut_ptr());
        let dup = libc::syscall(libc::SYS_dup, fd);
        (prio, fd, lim, dup)
    };
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill with argtrace's pid.
    unsafe { libc::kill(t.child.id() as i32, libc::SIGINT) };
    let said = t.seen.join("\n");
    let out = t.child.wait_with_output().expect("argtrace ends");
    // SAFETY: closing descriptors this test opened.
    unsafe {
        libc::close(dup as i32);
        libc::close(fd as i32);
    }
    assert!(
        said.contains("argtrace: syscall numbers from strace 6.1's table for ") && said.contains("NO_SYSCALL_METADATA"),
        "{said}"
    );
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|v: &Value| v.get("event").is_some())
        .collect();
    let old_addr = old.as_ptr() as u64;
    let typed = [
        ("ioprio_get", json!({"which": 1, "who": 0}), json!([1, 0]), prio),
        ("memfd_create", json!({"uname": name, "flags": 1}), json!([cname.as_ptr() as u64, 1]), fd),
        (
            "prlimit64",
            json!({"pid": 0, "resource": 7, "new_rlim": null, "old_rlim": old_addr,
                // strace's spellings (src/subject/syscall/decoders.rs).
                "resource_str": "RLIMIT_NOFILE",
                "old_rlim_str": format!("{{rlim_cur={}, rlim_max={}}}", rlim(old[0]), rlim(old[1]))}),
            json!([0, 7, 0, old_addr]),
            lim,
        ),
        ("dup", json!({"fildes": fd}), json!([fd]), dup),
    ];
    assert_eq!(events.len(), typed.len(), "{events:?}");
    let mut seen_typed = 0;
    for (e, (syscall, args, raw, ret)) in events.iter().zip(typed) {
        assert_eq!((e["syscall"].as_str(), &e["ret"]), (Some(syscall), &json!(ret)), "{e}");
        if btf_has_do_sys(&btf, syscall) {
            assert_eq!(e["args"], args, "{syscall} typed from __do_sys_{syscall}: {e}");
            seen_typed += 1;
        } else {
            // By position: six raw words, the first ones the call's.
            let got = e["args"].as_object().expect("args");
            assert_eq!(got.keys().filter(|k| !k.ends_with("_str")).count(), 6, "{e}");
            for (i, v) in raw.as_array().expect("raw").iter().enumerate() {
                assert_eq!(&got[&format!("arg{i}")], v, "{syscall} arg{i}: {e}");
            }
        }
    }
    // Some of them must be typed for the test to prove anything.
    assert!(seen_typed >= 2, "fewer than two of the syscalls have __do_sys_ in this kernel's BTF");
}

/// A limit as strace prints it (src/resource.c print_rlim64_t).
fn rlim(v: u64) -> String {
    if v == u64::MAX {
        "RLIM64_INFINITY".into()
    } else if v > 1024 && v % 1024 == 0 {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}
