//! `argtrace syscall`'s live cases: a trigger makes calls whose every value
//! it chose, and the suite finds each one, typed, in argtrace's JSON: a path
//! with escapes, a fd, flags, an input buffer, a buffer read at return, a
//! 6-argument call, a failing call with its errno, a string cut at
//! --string-limit, a syscall no decoder knows (personality(0xffffffff), typed
//! from the kernel's format file), and exit_group (`ret` null: it never
//! returns). The -e selection is proven too: no other syscall appears.

use std::ffi::CString;

use serde_json::{json, Value};

use std::path::Path;

use crate::harness::{find_one, traced_run, Outcome, Report};

/// What the case selects: every call the trigger expects, nothing else.
const SELECTION: &str = "trace=openat,read,write,pread64,mmap,personality,memfd_create,exit_group";
/// The same set as a regular expression.
pub const SELECTION_REGEX: &str = "trace=/^(openat|read|write|pread64|mmap|personality|memfd_create|exit_group)$";

fn expect(pid: u32, syscall: &str, args: Value, ret: Value) -> Value {
    json!({"expect": {"event": "syscall", "syscall": syscall, "pid": pid, "tid": pid, "args": args, "ret": ret}})
}

pub fn trigger() -> Vec<Value> {
    let pid = std::process::id();
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    let path = format!("/tmp/e2e \"q\"\t{pid}");
    let cpath = CString::new(path.clone()).expect("no NUL");
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC;
    let mut out = Vec::new();
    // SAFETY: plain syscalls on memory this function owns.
    unsafe {
        let fd = libc::syscall(libc::SYS_openat, libc::AT_FDCWD, cpath.as_ptr(), flags, 0o640) as i32;
        if fd < 0 {
            return vec![json!({"trigger_error": format!("openat {path}: {}", std::io::Error::last_os_error())})];
        }
        out.push(expect(
            pid,
            "openat",
            json!({"dfd": -100, "filename": path, "flags": flags, "mode": 0o640,
                // strace's spelling (issue 19's decoders: src/subject/syscall/decoders.rs).
                "dfd_str": "AT_FDCWD", "flags_str": "O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC", "mode_str": "0640"}),
            json!(fd),
        ));
        let text = b"hello\targtrace\n";
        let n = libc::syscall(libc::SYS_write, fd, text.as_ptr(), text.len());
        out.push(expect(pid, "write", json!({"fd": fd, "buf": "hello\targtrace\n", "count": 15}), json!(n)));
        let mut buf = [0u8; 64];
        let n = libc::syscall(libc::SYS_pread64, fd, buf.as_mut_ptr(), 64, 6);
        out.push(expect(pid, "pread64", json!({"fd": fd, "buf": "argtrace\n", "count": 64, "pos": 6}), json!(n)));
        let addr = libc::syscall(libc::SYS_mmap, 0, 2 * page, libc::PROT_READ, libc::MAP_PRIVATE, fd, page);
        out.push(expect(
            pid,
            "mmap",
            json!({"addr": 0, "len": 2 * page, "prot": libc::PROT_READ, "flags": libc::MAP_PRIVATE, "fd": fd, "off": page,
                "addr_str": "NULL", "prot_str": "PROT_READ", "flags_str": "MAP_PRIVATE", "off_str": format!("{page:#x}")}),
            json!(addr),
        ));
        libc::munmap(addr as *mut libc::c_void, 2 * page as usize);
        libc::close(fd);
        libc::unlink(cpath.as_ptr());
        // A failing call, and a path longer than the default limit of 32:
        // printed whole, as strace prints paths.
        let long = format!("/nonexistent/argtrace-e2e-{pid}-0123456789abcdef");
        let clong = CString::new(long.clone()).expect("no NUL");
        let r = libc::syscall(libc::SYS_openat, libc::AT_FDCWD, clong.as_ptr(), libc::O_RDONLY, 0);
        let err = *libc::__errno_location();
        if r != -1 || err != libc::ENOENT {
            return vec![json!({"trigger_error": format!("openat {long} gave {r}, errno {err}")})];
        }
        out.push(json!({"expect": {"syscall": "openat", "pid": pid, "args": {"filename": long, "dfd_str": "AT_FDCWD"},
            "ret": -2, "error": "ENOENT"}}));
        // A string that is not a path is cut at --string-limit (32 here):
        // memfd_create's name, typed `const char *uname` by the kernel.
        let name = format!("argtrace-e2e-{pid}-0123456789abcdefghij");
        let cname = CString::new(name.clone()).expect("no NUL");
        let mfd = libc::syscall(libc::SYS_memfd_create, cname.as_ptr(), libc::MFD_CLOEXEC);
        if mfd < 0 {
            return vec![json!({"trigger_error": format!("memfd_create: {}", std::io::Error::last_os_error())})];
        }
        libc::close(mfd as i32);
        out.push(expect(
            pid,
            "memfd_create",
            json!({"uname": name[..32], "uname_cut": true, "flags": libc::MFD_CLOEXEC}),
            json!(mfd),
        ));
        // No decoder knows personality: its argument is typed by the kernel
        // (unsigned int); 0xffffffff only asks for the current persona.
        let persona = libc::syscall(libc::SYS_personality, 0xffff_ffffu32 as libc::c_ulong);
        out.push(expect(pid, "personality", json!({"personality": 4294967295u64}), json!(persona)));
        // A call blocked in one thread while another runs: a thread's read
        // of a pipe waits until the main thread writes to it.
        let mut fds = [0i32; 2];
        libc::pipe(fds.as_mut_ptr());
        let (r, w) = (fds[0], fds[1]);
        let reader = std::thread::spawn(move || {
            let tid = libc::syscall(libc::SYS_gettid) as u32;
            let mut buf = [0u8; 64];
            let n = libc::syscall(libc::SYS_read, r, buf.as_mut_ptr(), 64);
            (tid, n)
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        let n = libc::syscall(libc::SYS_write, w, b"ping\n".as_ptr(), 5);
        let (reader_tid, got) = reader.join().expect("the reader thread");
        let mut read = expect(pid, "read", json!({"fd": r, "buf": "ping\n", "count": 64}), json!(got));
        read["expect"]["tid"] = json!(reader_tid);
        read["blocked_before"] = json!("write_ping");
        out.push(read);
        out.push(expect(pid, "write", json!({"fd": w, "buf": "ping\n", "count": 5}), json!(n)));
        libc::close(r);
        libc::close(w);
    }
    // Printed by the suite's own process at exit: exit_group(0) never returns.
    out.push(expect(pid, "exit_group", json!({"error_code": 0}), Value::Null));
    out
}

pub fn case(argtrace: &Path, mode: &str) -> Outcome {
    case_with(argtrace, mode, SELECTION)
}

/// The case with `selection` (which must select SELECTION's syscalls).
pub fn case_with(argtrace: &Path, mode: &str, selection: &str) -> Outcome {
    let t = traced_run(argtrace, "syscall", &["-e", selection], "syscall")?;
    let mut n = 0;
    for e in &t.expectations {
        if let Some(want) = e.get("expect") {
            find_one(&t, want, mode)?;
            n += 1;
        }
    }
    // The blocked read started before the write that ended it.
    if let Some(e) = t.expectations.iter().find(|e| e.get("blocked_before").is_some()) {
        let read = find_one(&t, &e["expect"], mode)?;
        let write = t
            .events
            .iter()
            .find(|w| w["syscall"] == "write" && w["args"]["buf"] == "ping\n")
            .ok_or("no write of ping")?;
        if read["time"].as_str() >= write["time"].as_str() || read["tid"] == write["tid"] {
            return Err(format!("the blocked read does not start before the write in another thread: {read} {write}"));
        }
    }
    let wanted: Vec<&str> = SELECTION.trim_start_matches("trace=").split(',').collect();
    if let Some(other) = t.events.iter().find(|e| !e["syscall"].as_str().is_some_and(|s| wanted.contains(&s))) {
        return Err(format!("-e {selection} let through {other}"));
    }
    Ok(format!("{n} calls matched exactly, no other syscall; {}", t.summary))
}

/// The syscall cases, once per kernel: the raw syscall tracepoints.
pub fn cases(argtrace: &Path, report: &mut Report) {
    report.case("syscall", "tracepoint", case(argtrace, "tracepoint"));
    report.case("syscall-regex", "tracepoint", case_with(argtrace, "tracepoint", SELECTION_REGEX));
    report.case("syscall-summary", "tracepoint", summary_case(argtrace));
}

/// `argtrace-e2e syscall-suite ARGTRACE`: the syscall cases alone.
pub fn suite(argtrace: &Path) -> i32 {
    let mut report = Report::default();
    cases(argtrace, &mut report);
    report.done()
}

/// `-s`: the summary trigger's 1015 mmaps (1000 ok, 10 EINVAL, 5 EBADF) and
/// 7 forks (the clone syscall: glibc's fork), counted in the kernel by two
/// `argtrace syscall -s` instances, one selection each: each table has one
/// row with exactly those counts and errnos.
pub fn summary_case(argtrace: &Path) -> Outcome {
    use crate::harness::run;
    use crate::summary::{check_row, FORKS, MMAPS_EBADF, MMAPS_EINVAL, MMAPS_OK};
    let instances =
        [vec!["syscall", "-s", "--json", "-e", "trace=mmap"], vec!["syscall", "-s", "--json", "-e", "trace=clone"]];
    let (out, _) = run(argtrace, &instances, "summary")?;
    let table = |i: usize| -> Result<Value, String> {
        match out[i].json_lines()?.as_slice() {
            [t] if t.get("summary").is_some() => Ok(t["summary"].clone()),
            _ => Err(format!("argtrace {}: expected one summary object, got {}", out[i].args, out[i].stdout)),
        }
    };
    let errnos = json!({"EBADF": MMAPS_EBADF, "EINVAL": MMAPS_EINVAL});
    check_row(&table(0)?, "mmap", MMAPS_OK + MMAPS_EINVAL + MMAPS_EBADF, &errnos)?;
    check_row(&table(1)?, "clone", FORKS, &json!({}))?;
    Ok(format!("{} mmaps and {FORKS} clones counted exactly", MMAPS_OK + MMAPS_EINVAL + MMAPS_EBADF))
}
