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

use std::io::{BufRead as _, Write as _};
use std::process::Command;
use std::time::Duration;

use argtrace_testkit::process;

use crate::harness::{find_one, run_ready, subset, traced_run, Outcome, ReadyTrigger, Report};

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
                "prot_str": "PROT_READ", "flags_str": "MAP_PRIVATE", "off_str": format!("{page:#x}")}),
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
        // A buffer longer than --string-limit (32): min(len, 32) bytes handed
        // in, min(ret, 32) bytes read back at return, both marked cut.
        let long = b"0123456789abcdefghijklmnopqrstuvwxyzABCD";
        let n = libc::syscall(libc::SYS_write, w, long.as_ptr(), long.len());
        let cut = std::str::from_utf8(&long[..32]).expect("ASCII");
        out.push(expect(pid, "write", json!({"fd": w, "buf": cut, "buf_cut": true, "count": 40}), json!(n)));
        let got = libc::syscall(libc::SYS_read, r, buf.as_mut_ptr(), 64);
        out.push(expect(pid, "read", json!({"fd": r, "buf": cut, "buf_cut": true, "count": 64}), json!(got)));
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

/// Where argtrace must take its syscall numbers from on this kernel, found
/// independently: the running kernel where /proc/kallsyms shows the address
/// of its syscall metadata (CONFIG_KALLSYMS_ALL), else strace's table. The
/// start-up line must say the same.
fn numbers_source(stderr: &str) -> Result<&str, String> {
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").map_err(|e| format!("/proc/kallsyms: {e}"))?;
    let shown = kallsyms.lines().any(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.len() >= 3 && w[2] == "syscalls_metadata" && !w[0].trim_start_matches('0').is_empty()
    });
    let (source, want) = if shown {
        ("kernel", "argtrace: syscall numbers from the running kernel (syscalls_metadata: ")
    } else {
        ("table", "argtrace: syscall numbers from strace 6.1's table for ")
    };
    match stderr.lines().find(|l| l.starts_with("argtrace: syscall numbers from")) {
        Some(l) if l.starts_with(want) => {
            Ok(if shown { l.trim_start_matches("argtrace: syscall numbers ") } else { source })
        }
        other => Err(format!("the numbers' source should be {source} ({want}...), argtrace said {other:?}")),
    }
}

/// The case with `selection` (which must select SELECTION's syscalls).
pub fn case_with(argtrace: &Path, mode: &str, selection: &str) -> Outcome {
    let t = traced_run(argtrace, "syscall", &["--probe", mode, "-e", selection], "syscall")?;
    let source = numbers_source(&t.stderr)?;
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
    Ok(format!("{n} calls matched exactly, no other syscall; numbers: {source}; {}", t.summary))
}

/// Whether strace 6.1's tables put `name` in the class %file.
fn is_file_call(name: &str) -> bool {
    use argtrace::subject::syscall::{kernel, strace_tables};
    let bit = strace_tables::CLASS_BITS.iter().position(|c| *c == "%file").expect("%file is a class");
    kernel::classes_of(name) & (1 << bit) != 0
}

/// `-e trace=%file` (`file` true) or `-e trace=!%file`: the trigger's calls
/// of that side are found exactly (the openat calls, or the writes, reads,
/// mmap and personality), and no call of the other side appears.
pub fn class_case(argtrace: &Path, expr: &str, file: bool) -> Outcome {
    let t = traced_run(argtrace, "syscall", &["--probe", "tp_btf", "-e", expr], "syscall")?;
    let mut n = 0;
    for want in t.expectations.iter().filter_map(|e| e.get("expect")) {
        if want["syscall"].as_str().is_some_and(is_file_call) == file {
            find_one(&t, want, "tp_btf")?;
            n += 1;
        }
    }
    if let Some(other) = t.events.iter().find(|e| e["syscall"].as_str().is_some_and(is_file_call) != file) {
        return Err(format!("-e {expr} let through {other}"));
    }
    Ok(format!("{n} of the trigger's calls matched exactly, none of the other side among {} events", t.events.len()))
}

/// The modes of the raw syscall dispatcher: every Debian kernel has both.
pub const MODES: [&str; 2] = ["tp_btf", "raw_tp"];

/// The syscall cases, once per kernel: the raw syscall tracepoints, in each
/// of the dispatcher's modes.
pub fn cases(argtrace: &Path, report: &mut Report) {
    for mode in MODES {
        report.case_run("syscall", mode, || case(argtrace, mode));
        report.case_run("syscall-exec", mode, || exec_case(argtrace, mode));
        report.case_run("syscall-structs", mode, || crate::syscall_structs::case(argtrace, mode));
        report.case_run("syscall-io", mode, || crate::syscall_io::case(argtrace, mode));
        report.case_run("syscall-unfinished", mode, || unfinished_case(argtrace, mode));
    }
    report.case_run("syscall-no-kernel-btf", "raw_tp", || no_kernel_btf_case(argtrace));
    report.case_run("syscall-regex", "tp_btf", || case_with(argtrace, "tp_btf", SELECTION_REGEX));
    report.case_run("syscall-class", "tp_btf", || class_case(argtrace, "trace=%file", true));
    report.case_run("syscall-negation", "tp_btf", || class_case(argtrace, "trace=!%file", false));
    report.case_run("syscall-summary", "tp_btf", || summary_case(argtrace));
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

// ------------------------------------------ `syscall-trigger NAME` runs ---

/// `argtrace-e2e syscall-trigger exec|blocked|exec-image`: the triggers of
/// the cases that need a process of their own (they say `ready`, then wait
/// for the go on stdin, and print one JSON object).
pub fn own_trigger(args: &[String]) -> i32 {
    let result = match args.first().map(String::as_str) {
        Some("exec") => exec_trigger(),
        Some("blocked") => blocked_trigger(),
        // The new image of `exec`: it ends at once, with a status it chose.
        Some("exec-image") => {
            // SAFETY: exit_group never returns.
            unsafe { libc::syscall(libc::SYS_exit_group, 3) };
            return 3;
        }
        other => {
            eprintln!("argtrace-e2e: unknown syscall trigger {other:?}");
            return 2;
        }
    };
    let v = result.unwrap_or_else(|e| json!({"trigger_error": e}));
    println!("{v}");
    let _ = std::io::stdout().flush();
    0
}

fn say_ready(what: Value) -> Result<(), String> {
    println!("ready {what}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(())
}

/// A child, held back until argtrace traces it, executes this program again
/// under another name (a link whose name becomes its comm), which ends with
/// exit_group(3) at once.
fn exec_trigger() -> Result<Value, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let link = std::env::temp_dir().join(format!("e2e-ex-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&me, &link).map_err(|e| format!("symlink {}: {e}", link.display()))?;
    let path = link.to_string_lossy().into_owned();
    let cpath = CString::new(path.clone()).expect("no NUL");
    let argv_s = [cpath.clone(), CString::new("syscall-trigger").unwrap(), CString::new("exec-image").unwrap()];
    let argv: Vec<*const libc::c_char> = argv_s.iter().map(|a| a.as_ptr()).chain([std::ptr::null()]).collect();
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let mut fds = [0i32; 2];
    // SAFETY: the child runs only async-signal-safe calls (read, execve, _exit)
    // on memory prepared before the fork.
    let child = unsafe {
        libc::pipe(fds.as_mut_ptr());
        let child = libc::fork();
        if child == 0 {
            let mut b = [0u8; 1];
            libc::read(fds[0], b.as_mut_ptr().cast(), 1);
            libc::execve(cpath.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
        child
    };
    if child < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    say_ready(json!({"child": child}))?;
    let mut status = 0;
    // SAFETY: plain syscalls on this function's own descriptors and child.
    unsafe {
        libc::write(fds[1], b"x".as_ptr().cast(), 1);
        libc::waitpid(child, &mut status, 0);
    }
    let _ = std::fs::remove_file(&link);
    let comm: String = link.file_name().map(|n| n.to_string_lossy().chars().take(15).collect()).unwrap_or_default();
    Ok(json!({"child": child, "path": path, "comm": comm, "status": libc::WEXITSTATUS(status)}))
}

/// One thread blocks in a read of a pipe that nobody writes while the main
/// thread makes 3 getppid calls; the process outlives argtrace's -d, so the
/// read is still in flight when argtrace stops.
fn blocked_trigger() -> Result<Value, String> {
    // Asked before argtrace traces: only the 3 calls below count.
    let ppid = std::os::unix::process::parent_id();
    say_ready(json!({"pid": std::process::id()}))?;
    let mut fds = [0i32; 2];
    // SAFETY: a pipe into this function's own array.
    unsafe { libc::pipe(fds.as_mut_ptr()) };
    let r = fds[0];
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // SAFETY: gettid and a read into this thread's own buffer.
        unsafe {
            let _ = tx.send(libc::syscall(libc::SYS_gettid) as u32);
            let mut buf = [0u8; 64];
            libc::syscall(libc::SYS_read, r, buf.as_mut_ptr(), 64);
        }
    });
    let reader = rx.recv().map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: a plain syscall without arguments.
    let main = unsafe { libc::syscall(libc::SYS_gettid) as u32 };
    for _ in 0..3 {
        // SAFETY: as above.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    // argtrace's -d 2 ends meanwhile; the reader is still blocked then.
    std::thread::sleep(Duration::from_secs(4));
    Ok(json!({"pid": std::process::id(), "reader": reader, "main": main, "fd": r, "ppid": ppid}))
}

/// A successful execve in a child, printed at its return with the new
/// image's name (strace's line is the new image's too), and exit_group from
/// the new image as a call that does not return (`ret` null).
pub fn exec_case(argtrace: &Path, mode: &str) -> Outcome {
    let t = ReadyTrigger::start("syscall-trigger", "exec", &[])?;
    let child = t.ready["child"].as_u64().ok_or("the exec trigger named no child")?.to_string();
    let mut cmd = Command::new(argtrace);
    cmd.args(["syscall", "--json", "--probe", mode, "-e", "trace=execve,exit_group", "-p", &child]);
    let (out, facts) = run_ready(vec![t], &mut cmd, Duration::from_millis(300))?;
    let f = &facts[0];
    if f["status"] != 3 {
        return Err(format!("the new image did not end with 3: {f}"));
    }
    let (events, _) = out.events()?;
    let pid = f["child"].clone();
    let want = [
        json!({"syscall": "execve", "pid": pid, "tid": pid, "comm": f["comm"], "probe": mode,
               "args": {"filename": f["path"]}, "ret": 0}),
        json!({"syscall": "exit_group", "pid": pid, "tid": pid, "comm": f["comm"], "probe": mode,
               "args": {"error_code": 3}, "ret": null}),
    ];
    match events.as_slice() {
        [a, b] if subset(&want[0], a) && subset(&want[1], b) => {
            Ok(format!("execve({}) = 0 as {}, then exit_group(3) = ?", f["path"], f["comm"]))
        }
        _ => Err(format!("expected exactly {} and {}, got {events:?}", want[0], want[1])),
    }
}

/// A read blocked in one thread while the main thread runs (3 getppid
/// calls), still blocked when `-d 2` ends the run: reported as unfinished
/// with its arguments (`ret` null, `unfinished` true), after the calls that
/// ended, and the main thread's calls exactly.
pub fn unfinished_case(argtrace: &Path, mode: &str) -> Outcome {
    let t = ReadyTrigger::start("syscall-trigger", "blocked", &[])?;
    let pid = t.ready["pid"].as_u64().ok_or("the blocked trigger named no pid")?.to_string();
    let mut cmd = Command::new(argtrace);
    cmd.args(["syscall", "--json", "--probe", mode, "-e", "trace=read,getppid", "-d", "2", "-p", &pid]);
    let (out, facts) = run_ready(vec![t], &mut cmd, Duration::ZERO)?;
    let f = &facts[0];
    let (events, _) = out.events()?;
    let read = json!({"syscall": "read", "pid": f["pid"], "tid": f["reader"], "probe": mode,
                      "args": {"fd": f["fd"], "count": 64}, "ret": null, "unfinished": true});
    let getppid = json!({"syscall": "getppid", "pid": f["pid"], "tid": f["main"], "probe": mode, "ret": f["ppid"]});
    let n_getppid = events.iter().filter(|e| subset(&getppid, e)).count();
    let last = events.last().ok_or("no events")?;
    if !subset(&read, last) || n_getppid != 3 || events.len() != 4 {
        return Err(format!("expected 3 × {getppid} then {read}, got {events:?}"));
    }
    if events[..3].iter().any(|e| e["time"].as_str() <= last["time"].as_str()) {
        return Err(format!("the getppid calls did not run while the read was blocked: {events:?}"));
    }
    Ok(format!(
        "read(fd {}, count 64) unfinished in thread {} while thread {} made 3 getppid",
        f["fd"], f["reader"], f["main"]
    ))
}

/// A kernel without BTF of its own (/sys/kernel/btf hidden in a mount
/// namespace of argtrace's, its BTF given with --btf): a forced tp_btf is
/// refused in one line (exit 5), and auto passes it over for raw_tp, which
/// traces.
pub fn no_kernel_btf_case(argtrace: &Path) -> Outcome {
    let copy = std::env::temp_dir().join(format!("e2e-vmlinux-{}", std::process::id()));
    std::fs::copy("/sys/kernel/btf/vmlinux", &copy).map_err(|e| format!("copy the kernel's BTF: {e}"))?;
    let run = |args: &[&str]| -> Result<std::process::Output, String> {
        let mut cmd = Command::new(argtrace);
        cmd.arg("syscall").args(args).arg("--btf").arg(&copy).stdin(std::process::Stdio::null());
        process::in_private_mounts(&mut cmd, &["/sys/kernel/btf"], &[]).map_err(|e| e.to_string())?;
        cmd.output().map_err(|e| format!("cannot run argtrace: {e}"))
    };
    let forced = run(&["--probe", "tp_btf", "-d", "0.2"]);
    let auto = run(&["-e", "trace=getppid", "-p", "1", "-d", "0.2"]);
    let _ = std::fs::remove_file(&copy);
    let (forced, auto) = (forced?, auto?);
    let stderr = String::from_utf8_lossy(&forced.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("argtrace: syscall numbers from")).collect();
    let want = "argtrace: probe mode tp_btf is not available on this kernel: tp_btf programs need the kernel's own BTF";
    if forced.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(want) {
        return Err(format!(
            "--probe tp_btf: expected exit 5 and one line '{want}...', got {}: {stderr}",
            forced.status
        ));
    }
    let auto_err = String::from_utf8_lossy(&auto.stderr);
    if !auto.status.success() || !auto_err.lines().any(|l| l == "argtrace: probe mode raw_tp (auto)") {
        return Err(format!("auto should fall back to raw_tp, got {}: {auto_err}", auto.status));
    }
    Ok(format!("{}; auto chose raw_tp", lines[0]))
}
