//! The cases of the call subjects (mmap, clone, tcp-connect) in one probe
//! mode, and of the probe modes themselves: auto's choice, a mode the kernel
//! lacks, a subject a kernel refuses in a mode it has, a kernel without BTF,
//! and SIGKILL leaving nothing behind. The triggers are trigger.rs's.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use argtrace_testkit::bpf::{self, BPF_LINK_GET_NEXT_ID, BPF_PROG_GET_NEXT_ID};
use argtrace_testkit::process;

use crate::harness::{self, case_user_refused, find_one, subset, traced_run, unprivileged_map_reads, Outcome, Traced};

/// A subject the kernel cannot run in `mode` although it has the mode: the
/// forced mode ends with exit 5 and one line naming the missing BPF helper, and
/// auto passes over it with the same reason and takes the next mode.
pub fn case_refused(argtrace: &Path, subject: &str, mode: &str, modes: &[String]) -> Outcome {
    let forced = Command::new(argtrace)
        .args([subject, "--probe", mode, "-d", "1"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run argtrace: {e}"))?;
    let stderr = String::from_utf8_lossy(&forced.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = format!("argtrace: probe mode {mode} is not available on this kernel: ");
    if forced.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(&expected) {
        return Err(format!("forced {mode}: exit {:?}, stderr: {stderr}", forced.status.code()));
    }
    if !lines[0].contains("the kernel lacks the BPF helper bpf_") {
        return Err(format!("forced {mode}: the reason names no missing helper: {}", lines[0]));
    }
    let next = modes.iter().skip_while(|m| *m != mode).nth(1).ok_or("no mode after the refused one")?;
    let auto = Command::new(argtrace)
        .args([subject, "-d", "1"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run argtrace: {e}"))?;
    let stderr = String::from_utf8_lossy(&auto.stderr);
    let passed_over = format!("argtrace: probe mode {mode} passed over: ");
    let over = stderr.lines().find(|l| l.starts_with(&passed_over)).unwrap_or_default();
    let chose = stderr.lines().any(|l| l == format!("argtrace: probe mode {next} (auto)"));
    if !auto.status.success() || !over.contains("the kernel lacks the BPF helper bpf_") || !chose {
        return Err(format!("auto: exit {:?}, stderr: {stderr}", auto.status.code()));
    }
    let helper = lines[0].split("BPF helper ").nth(1).unwrap_or("").split(['(', ',']).next().unwrap_or("");
    Ok(format!("{subject} refused in {mode} (lacks {helper}), auto chose {next}"))
}

fn check_expectations(t: &Traced, mode: &str) -> Outcome {
    let mut n = 0;
    for e in &t.expectations {
        if let Some(want) = e.get("expect") {
            find_one(t, want, mode)?;
            n += 1;
        }
    }
    if n == 0 {
        return Err("the trigger expected nothing".into());
    }
    Ok(format!("{n} calls matched exactly; {}", t.summary))
}

/// With `forced` None, auto must choose `expected_mode`.
pub fn case_mmap(argtrace: &Path, forced: Option<&str>, expected_mode: &str) -> Outcome {
    let extra: Vec<&str> = match forced {
        Some(m) => vec!["--probe", m],
        None => vec![],
    };
    let t = traced_run(argtrace, "mmap", &extra, "mmap")?;
    if forced.is_none() {
        let line = format!("argtrace: probe mode {expected_mode} (auto)");
        if !t.stderr.lines().any(|l| l == line) {
            return Err(format!("auto did not choose {expected_mode}: {}", t.stderr));
        }
    }
    check_expectations(&t, expected_mode)
}

/// mmap with `-Z nobody`: argtrace gives up root once attached in this mode
/// and still shows exactly the trigger's mmaps; on a kernel that would no
/// longer let it read its maps (probed), -Z is refused with exit 5.
pub fn case_mmap_user(argtrace: &Path, mode: &str) -> Outcome {
    if !unprivileged_map_reads()? {
        return case_user_refused(argtrace, &["mmap", "--probe", mode, "-d", "5"]);
    }
    let t = traced_run(argtrace, "mmap", &["--probe", mode, "-Z", "nobody"], "mmap")?;
    let said = "argtrace: dropped root: running as nobody (uid 65534, gid 65534) with no capabilities";
    if !t.stderr.lines().any(|l| l == said) {
        return Err(format!("no line {said:?} in: {}", t.stderr));
    }
    check_expectations(&t, mode).map(|detail| format!("as nobody: {detail}"))
}

pub fn case_clone(argtrace: &Path, mode: &str) -> Outcome {
    let t = traced_run(argtrace, "clone", &["--probe", mode], "clone")?;
    check_expectations(&t, mode)
}

/// A 32-bit static program's calls of `subject` (mmap: mmap2, and i386's old
/// mmap; clone: clone, clone3, fork, vfork), each with the values and result
/// it chose, that ABI's argument order and `"abi": "i386"` or `"arm"`, in
/// `mode`; and no start-up line saying 32-bit processes are unseen. On a
/// kernel that does not run 32-bit programs (exec: ENOEXEC), argtrace must
/// not claim to miss them either.
pub fn case_compat(argtrace: &Path, subject: &str, mode: &str) -> Outcome {
    let (abi, _) = crate::trigger::compat_abi();
    if !crate::trigger::compat_runs()? {
        let t = Command::new(argtrace)
            .args([subject, "--probe", mode, "-d", "1"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run argtrace: {e}"))?;
        let stderr = String::from_utf8_lossy(&t.stderr);
        if !t.status.success() || stderr.contains("32-bit") {
            return Err(format!("exit {:?}, stderr: {stderr}", t.status.code()));
        }
        return Ok(format!("this kernel does not run {abi} programs (exec: ENOEXEC); argtrace says nothing of them"));
    }
    let t = traced_run(argtrace, subject, &["--probe", mode], "compat")?;
    if let Some(line) = t.stderr.lines().find(|l| l.contains("32-bit")) {
        return Err(format!("argtrace says it does not see them: {line}"));
    }
    let mut n = 0;
    for e in t.expectations.iter().filter_map(|e| e.get("expect")).filter(|w| w["event"] == subject) {
        find_one(&t, e, mode)?;
        n += 1;
    }
    if n == 0 {
        return Err(format!("the {abi} trigger expected no {subject} event"));
    }
    Ok(format!("{n} {abi} calls matched exactly; {}", t.summary))
}

/// `argtrace syscall` and the 32-bit trigger, in `mode` (tp_btf, raw_tp): its
/// mmap2 and clone calls with that ABI's numbers (192, 120 in both i386's and
/// arm's tables), names from strace's table for it (mmap2 is no 64-bit
/// syscall), `"abi"`, the raw arguments as the trigger passed them (mmap2's
/// offset in 4096-byte units; clone's tls fourth) and their results; and its
/// exit_group (i386 252, arm 248) as a call that does not return. Also the
/// 32-bit calls argtrace types (their kernel entry is the native one's:
/// src/subject/syscall/compat.rs): unlinkat's escaped path and ENOENT,
/// umask's octal mode, pipe's (arm: pipe2's) two descriptors, read's buffer
/// read at return, exit_group's error_code; lseek's 32-bit signed offset (a
/// compat entry with the native arguments), chown's (arm: fchown's) 16-bit
/// ids, widened, and clock_gettime's old_timespec32 (a row of
/// decoders::COMPAT_ROWS); fchown32, sys_fchown under another name (its ids
/// 32 bits wide), and fcntl64's F_SETLK64, whose struct compat_flock64 is
/// read in the ABI's own layout (packed on i386, aligned on arm); pread64's
/// offset and fadvise64_64's offset and length, 64 bits in two registers
/// each (compat.rs COMPAT_PAIRS: arm's pairs start at an even register, and
/// its fadvise64_64 takes the advice second); getresgid32's three cells;
/// execve's argv and envp, their pointers 32 bits wide (compat.rs
/// COMPAT_POINTER_ARRAYS), ten strings, past the entry slot's seven; writev,
/// readv and a failed preadv, their struct compat_iovec arrays (the failed
/// call's with its buffer's address) and preadv's offset from two words;
/// pselect6's and ppoll's time32 timeouts and fd set, widened as read;
/// _llseek's offset from two words and its result past 32 bits, fstat64's
/// struct stat64 and fstatfs64's struct compat_statfs64 (calls the native ABI
/// has none of: compat.rs COMPAT_DEFINED); the 16-bit getresgid's three
/// 2-byte cells, and the 16-bit getgid's result; rt_sigreturn's mask, read
/// in the 32-bit frame (arm's from r13); i386's sync_file_range and arm's
/// sync_file_range2 (its flags second), their offset and length joined;
/// sendmsg and recvmsg, their struct compat_msghdr, compat_iovec and a
/// descriptor passed under a struct compat_cmsghdr (cmsg_len 16, where a
/// 64-bit task's is 20); send and shutdown, i386's through socketcall (the
/// subcall's name and words, socketcall's number 102 and the subcall's); a
/// select with a zero timeout through i386's old select's struct (its five
/// words, made as 82; arm's EABI has no such call).
pub fn case_syscall_compat(argtrace: &Path, mode: &str) -> Outcome {
    let (abi, _) = crate::trigger::compat_abi();
    if !crate::trigger::compat_runs()? {
        return Ok(format!("this kernel does not run {abi} programs (exec: ENOEXEC)"));
    }
    // (i386's sync_file_range, arm's sync_file_range2: the names each ABI has)
    let sync = if abi == "i386" { "sync_file_range" } else { "sync_file_range2" };
    // (i386's old select of one struct pointer: arm's EABI has none)
    let select = if abi == "i386" { ",select" } else { "" };
    let set = format!("trace=mmap2,clone,exit_group,unlinkat,umask,pipe,pipe2,read,lseek,chown,fchown,clock_gettime,fchown32,fcntl64,pread64,fadvise64_64,getresgid32,execve,writev,readv,preadv,pselect6,ppoll,_llseek,fstat64,fstatfs64,getresgid,getgid,rt_sigreturn,sendmsg,recvmsg,send,shutdown,{sync}{select}");
    let extra = ["--probe", mode, "-e", &set];
    let t = traced_run(argtrace, "syscall", &extra, "compat")?;
    let mut n = 0;
    let mut pid = None;
    // The 32-bit calls typed from the native call of their name: the
    // kernel's argument names, exact values.
    let mut typed = 0;
    for w in t.expectations.iter().filter_map(|e| e.get("expect")).filter(|w| w["event"] == "syscall") {
        let mut want = serde_json::json!({"event": "syscall", "syscall": w["syscall"], "abi": abi,
            "pid": w["pid"], "tid": w["tid"], "args": w["args"], "ret": w["ret"]});
        // i386's send and shutdown are socketcall's subcalls SYS_SEND and SYS_SHUTDOWN
        let sub = match w["syscall"].as_str() {
            Some("send") => 9,
            _ => 13,
        };
        if abi == "i386" && matches!(w["syscall"].as_str(), Some("send" | "shutdown")) {
            want["nr"] = 102.into();
            want["socketcall"] = sub.into();
        }
        // i386's select is the old select's, its struct read: made as 82
        if abi == "i386" && w["syscall"] == "select" {
            want["nr"] = 82.into();
        }
        find_one(&t, &want, mode)?;
        typed += 1;
    }
    let calls = if abi == "i386" { 30 } else { 29 };
    if typed != calls {
        return Err(format!("the {abi} trigger expected {typed} typed calls, not {calls}"));
    }
    for w in t.expectations.iter().filter_map(|e| e.get("expect")) {
        let a = &w["args"];
        let (nr, raw) = match w["syscall"].as_str() {
            Some("mmap2") => {
                let units = a["offset"].as_u64().map(|o| o / 4096);
                (192, serde_json::json!([a["addr"], a["len"], a["prot"], a["flags"], a["fd"], units]))
            }
            Some("clone") => {
                (120, serde_json::json!([a["flags"], a["newsp"], a["parent_tid"], a["tls"], a["child_tid"]]))
            }
            _ => continue,
        };
        let mut args = serde_json::Map::new();
        for (i, v) in raw.as_array().into_iter().flatten().enumerate() {
            args.insert(format!("arg{i}"), v.clone());
        }
        let want = serde_json::json!({"event": "syscall", "syscall": w["syscall"], "nr": nr, "abi": abi,
            "pid": w["pid"], "tid": w["tid"], "args": args, "ret": w["ret"]});
        find_one(&t, &want, mode)?;
        pid = Some(w["pid"].clone());
        n += 1;
    }
    let exit_group = if cfg!(target_arch = "x86_64") { 252 } else { 248 };
    // exit_group's entry is the native one's on both (typed).
    let args = serde_json::json!({"error_code": 0});
    let want = serde_json::json!({"syscall": "exit_group", "nr": exit_group, "abi": abi, "pid": pid, "ret": null,
        "args": args});
    find_one(&t, &want, mode)?;
    Ok(format!("{n} {abi} calls raw and exit_group matched with {abi} numbers, {typed} typed; {}", t.summary))
}

/// A kernel without the 32-bit entries (ARGTRACE_NO_IA32_ENTRIES=1, or
/// ARGTRACE_NO_AARCH32_ENTRIES=1 on arm64, pretends it): auto passes over the
/// modes that would not see 32-bit processes and takes tracepoint (the raw
/// sys_enter); a forced such mode runs and says in one start-up line what it
/// does not see. On a kernel that does not run 32-bit programs there is
/// nothing to miss: no such line, and auto takes the first mode.
pub fn case_compat_unseen(argtrace: &Path, modes: &[String]) -> Outcome {
    let (abi, switch, said) = if cfg!(target_arch = "x86_64") {
        (
            "i386",
            "ARGTRACE_NO_IA32_ENTRIES",
            "mmap2 and mmap calls are not seen in probe mode {m} \
             (this kernel has no __ia32_sys_mmap_pgoff, __ia32_compat_sys_ia32_mmap)",
        )
    } else {
        (
            "arm",
            "ARGTRACE_NO_AARCH32_ENTRIES",
            "mmap2 calls are not seen in probe mode {m} (this kernel has no __arm64_compat_sys_aarch32_mmap2)",
        )
    };
    let run = |extra: &[&str]| -> Result<String, String> {
        let out = Command::new(argtrace)
            .args(["mmap", "-d", "1"])
            .args(extra)
            .env(switch, "1")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run argtrace: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(format!("argtrace mmap {extra:?}: exit {:?}, stderr: {stderr}", out.status.code()));
        }
        Ok(stderr)
    };
    let auto = run(&[])?;
    let has = |text: &str, line: &str| text.lines().any(|l| l == line);
    if !crate::trigger::compat_runs()? {
        let first = &modes[0];
        if !has(&auto, &format!("argtrace: probe mode {first} (auto)")) || auto.contains("32-bit") {
            return Err(format!("this kernel runs no {abi} programs, yet: {auto}"));
        }
        return Ok(format!("this kernel does not run {abi} programs (exec: ENOEXEC): auto chose {first}, no claim"));
    }
    let before: Vec<&String> = modes.iter().take_while(|m| *m != "tracepoint").collect();
    let passed = before
        .iter()
        .all(|m| has(&auto, &format!("argtrace: probe mode {m} does not see 32-bit processes: trying the next")));
    if !has(&auto, "argtrace: probe mode tracepoint (auto)") || !passed || auto.contains("are not seen") {
        return Err(format!("auto did not prefer tracepoint for 32-bit processes: {auto}"));
    }
    for m in &before {
        let forced = run(&["--probe", m])?;
        let line = format!("argtrace: 32-bit ({abi}) processes' {}", said.replace("{m}", m));
        if !has(&forced, &line) {
            return Err(format!("forced {m} did not say what it does not see ({line:?}): {forced}"));
        }
    }
    Ok(format!("auto passed over {} and chose tracepoint; forced modes said so", before.len()))
}

/// `family` is what argtrace is told to show: the trigger's connects of the
/// other family must be absent.
pub fn case_tcp(argtrace: &Path, mode: &str, family: &str) -> Outcome {
    let flag = if family == "inet" { "-4" } else { "--family=inet6" };
    let t = traced_run(argtrace, "tcp-connect", &["--probe", mode, flag], "tcp")?;
    let mut shown = 0;
    for e in &t.expectations {
        let want = &e["event"];
        if e["family"] == family {
            let got = find_one(&t, want, mode)?;
            if e.get("refused").is_some() {
                // Only tracepoint mode reads the port after the kernel released it.
                let sport = &got["args"]["sport"];
                let ok = if mode == "tracepoint" { sport.is_null() } else { sport.as_u64().is_some_and(|p| p > 0) };
                if !ok || got["error"] != "ECONNREFUSED" {
                    return Err(format!("refused connect shown wrongly: {got}"));
                }
            }
            shown += 1;
        } else {
            let key = serde_json::json!({"args": {"daddr": want["args"]["daddr"], "dport": want["args"]["dport"]}});
            if let Some(leak) = t.events.iter().find(|ev| subset(&key, ev)) {
                return Err(format!("a {} connect passed the {family} filter: {leak}", want["args"]["family"]));
            }
        }
    }
    Ok(format!("{shown} connects matched exactly, the other family filtered out; {}", t.summary))
}

/// No mode works: auto must end with exit 5 and one line saying so.
pub fn case_no_mode(argtrace: &Path) -> Outcome {
    let out = Command::new(argtrace).args(["mmap"]).stdin(Stdio::null()).output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = "argtrace: no probe mode works on this kernel (";
    let last = stderr.lines().last().unwrap_or_default();
    if out.status.code() != Some(5) || !last.starts_with(want) {
        return Err(format!("expected exit 5 and a last line '{want}...', got {} and: {stderr}", out.status));
    }
    Ok(last.to_string())
}

pub fn case_unavailable(argtrace: &Path, mode: &str) -> Outcome {
    let out = Command::new(argtrace)
        .args(["mmap", "--probe", mode])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("argtrace: probe mode {mode} is not available on this kernel: ");
    let lines: Vec<&str> = stderr.lines().collect();
    if out.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(&prefix) {
        return Err(format!("expected exit 5 and one line '{prefix}...', got {} and: {stderr}", out.status));
    }
    Ok(lines[0].to_string())
}

/// A kernel without BTF, as argtrace sees it: /sys/kernel/btf hidden under an
/// empty tmpfs in a private mount namespace of the argtrace process only.
pub fn case_no_btf(argtrace: &Path) -> Outcome {
    let mut cmd = Command::new(argtrace);
    cmd.args(["mmap"]).stdin(Stdio::null());
    process::in_private_mounts(&mut cmd, &["/sys/kernel/btf"], &[]).map_err(|e| e.to_string())?;
    let out = cmd.output().map_err(|e| format!("cannot hide /sys/kernel/btf: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let want = "argtrace: the kernel has no BTF (/sys/kernel/btf/vmlinux is missing";
    if out.status.code() != Some(5) || lines.len() != 1 || !lines[0].starts_with(want) {
        return Err(format!("expected exit 5 and one line '{want}...', got {} and: {stderr}", out.status));
    }
    Ok(lines[0].to_string())
}

fn pinned(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// SIGKILL leaves no program, link or pinned object behind.
pub fn case_sigkill(argtrace: &Path, mode: &str, subject: &str) -> Outcome {
    let ids = |cmd| bpf::ids(cmd).into_iter().collect::<BTreeSet<u32>>();
    let progs_before = ids(BPF_PROG_GET_NEXT_ID);
    let links_before = ids(BPF_LINK_GET_NEXT_ID);
    let pins_before = pinned(Path::new("/sys/fs/bpf"));
    let at = harness::start(Command::new(argtrace).args([subject, "--probe", mode]))?;
    let progs: BTreeSet<u32> = ids(BPF_PROG_GET_NEXT_ID).difference(&progs_before).copied().collect();
    let links: BTreeSet<u32> = ids(BPF_LINK_GET_NEXT_ID).difference(&links_before).copied().collect();
    at.kill();
    if progs.is_empty() {
        return Err("argtrace had no BPF program loaded while tracing".into());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p_left: Vec<u32> = progs.intersection(&ids(BPF_PROG_GET_NEXT_ID)).copied().collect();
        let l_left: Vec<u32> = links.intersection(&ids(BPF_LINK_GET_NEXT_ID)).copied().collect();
        let pins_now = pinned(Path::new("/sys/fs/bpf"));
        if p_left.is_empty() && l_left.is_empty() && pins_now == pins_before {
            return Ok(format!(
                "{} programs and {} links gone after SIGKILL, nothing pinned",
                progs.len(),
                links.len()
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "left behind 10 s after SIGKILL: programs {p_left:?}, links {l_left:?}, pins {:?}",
                pins_now.difference(&pins_before).collect::<Vec<_>>()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
