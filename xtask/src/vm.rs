// `cargo xtask vm`: the kernel matrix. For every kernel of tests/kernels.txt: resolve its
// Debian meta package to today's exact kernel package (or take ARGTRACE_KERNEL's pin),
// fetch it (cached), build argtrace and argtrace-e2e statically for the kernel's
// architecture, pack an initramfs, boot the kernel in QEMU, and read the e2e suite's
// verdicts from the serial console. Ends with a table and `vm: N passed, M failed`.
// With `--run '<command>'` the guests run that shell command instead of the suite (and
// `--with <package>` packs more static binaries for it): the harness then copies the
// command's output to stdout and checks its exit status and the console's health.

use crate::console::{self, CaseResult, Console};
use crate::initramfs;
use crate::kernels::{
    fetch_kernel, line_of_pin, pins_from_env, read_list, resolve, Arch, Kernel, Resolved, PROBE_MODES,
};
use crate::qemu;
use crate::util::{self, run, workspace_root, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HELP: &str = "\
cargo xtask vm [options]

Runs the e2e suite (argtrace-e2e) inside QEMU on every kernel of tests/kernels.txt:
resolves each line's Debian meta package (e.g. linux-image-cloud-amd64) to today's
exact kernel package through its suites' own package lists, fetches it into
${XDG_CACHE_HOME:-$HOME/.cache}/argtrace/, builds static binaries in target/vm/, boots
each kernel with TCG (two at a time) and checks its console. Installs missing tools
through scripts/deps.sh.

Options:
  --kernel <substring>   only kernels whose line name (<series>-<arch>, e.g. 6.1-arm64,
                         newest-x86_64), meta package, suite or resolved package
                         contains it (repeatable)
  --arch x86_64|arm64    only kernels of this architecture
  --list                 resolve the kernels, print them and stop (no build, no boot)
  --keep-going           boot every kernel even after one failed (default: start no
                         new guest after a failure)
  --timeout <seconds>    time limit per guest (default 900; `15m` works too)
  --jobs <n>             guests booted at once (default 2)
  --binaries <dir>       skip the build: use <dir>/<rust target>/argtrace and
                         <dir>/<rust target>/argtrace-e2e (and the --with binaries)
  --run '<command>'      run this shell command in the guest's /init instead of the
                         e2e suite (same mounts, lo up, cwd /tmp); its output lines
                         are copied to stdout, and the exit status is 0 only if the
                         command exited 0 and the console is healthy
  --with <package>       also build this workspace package statically and pack its
                         binary as /bin/<package> (repeatable; for --run)
  -h, --help             this text

Environment:
  ARGTRACE_KERNEL=<package>[,<package>...]
                         boot these exact packages (e.g. linux-image-6.1.0-57-cloud-amd64)
                         instead of what the meta packages resolve to, and only them:
                         each replaces the line of its architecture and series (or the
                         `newest` line), to reproduce an earlier run; the report names
                         every booted package this way

Console logs: target/vm/logs/<series>-<arch>.log. Exit status 1 when anything failed.
";

struct Options {
    kernel_filters: Vec<String>,
    arch: Option<Arch>,
    keep_going: bool,
    /// `--list`: resolve and print the kernels only.
    list: bool,
    timeout: Duration,
    jobs: usize,
    binaries: Option<PathBuf>,
    /// `--run`: the shell command the guests run instead of the e2e suite.
    run: Option<String>,
    /// `--with`: more workspace packages to build and pack as /bin/<package>.
    with: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Option<Options>> {
        let mut opts = Options {
            kernel_filters: Vec::new(),
            arch: None,
            keep_going: false,
            list: false,
            timeout: Duration::from_secs(900),
            jobs: 2,
            binaries: None,
            run: None,
            with: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            // Both `--opt value` and `--opt=value`.
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
            match name {
                "-h" | "--help" => {
                    print!("{HELP}");
                    return Ok(None);
                }
                "--kernel" => opts.kernel_filters.push(value()?),
                "--arch" => {
                    let v = value()?;
                    opts.arch = Some(Arch::parse(&v).ok_or(format!("unknown architecture `{v}`"))?);
                }
                "--keep-going" => opts.keep_going = true,
                "--list" => opts.list = true,
                "--timeout" => opts.timeout = parse_duration(&value()?)?,
                "--jobs" => {
                    let v = value()?;
                    opts.jobs = v.parse().ok().filter(|&n| n > 0).ok_or(format!("bad --jobs `{v}`"))?;
                }
                "--binaries" => opts.binaries = Some(PathBuf::from(value()?)),
                "--run" => opts.run = Some(value()?),
                "--with" => {
                    let v = value()?;
                    if v.is_empty() || v.contains(['/', ' ']) || ["argtrace", "argtrace-e2e"].contains(&v.as_str()) {
                        return Err(format!(
                            "bad --with `{v}` (a workspace package other than argtrace and argtrace-e2e)"
                        ));
                    }
                    if !opts.with.contains(&v) {
                        opts.with.push(v);
                    }
                }
                other => return Err(format!("vm: unexpected argument `{other}`\n\n{HELP}")),
            }
        }
        Ok(Some(opts))
    }
}

fn parse_duration(s: &str) -> Result<Duration> {
    let (number, unit) = match s.strip_suffix('m') {
        Some(n) => (n, 60),
        None => (s.strip_suffix('s').unwrap_or(s), 1),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n * unit)),
        _ => Err(format!("bad --timeout `{s}` (seconds, or minutes with an `m`)")),
    }
}

/// Everything known about one kernel's guest run.
struct GuestRun {
    kernel: Resolved,
    log: PathBuf,
    elapsed: Duration,
    console: Console,
    /// Why the boot/console health check failed; empty when it passed.
    health: Vec<String>,
    /// With `--run`: the lines the command printed.
    output: Vec<String>,
}

impl GuestRun {
    fn failed(&self) -> bool {
        !self.health.is_empty() || self.console.results.iter().any(|r| !r.passed)
    }
}

pub fn main(args: &[String]) -> Result<()> {
    let Some(opts) = Options::parse(args)? else { return Ok(()) };
    let list = read_list()?;
    // ARGTRACE_KERNEL: exact packages, each for its line; only those lines run.
    let mut pins = BTreeMap::new();
    for pin in pins_from_env() {
        let line = line_of_pin(&pin, &list)?;
        if let Some(other) = pins.insert(line.name(), pin.clone()) {
            return Err(format!("ARGTRACE_KERNEL: {other} and {pin} both pin the line {}", line.name()));
        }
    }
    let static_match =
        |k: &Kernel, f: &str| k.name().contains(f) || k.meta.contains(f) || k.suites.iter().any(|s| s.contains(f));
    let candidates: Vec<Kernel> = list
        .into_iter()
        .filter(|k| opts.arch.is_none_or(|a| a == k.arch))
        .filter(|k| pins.is_empty() || pins.contains_key(&k.name()))
        .collect();
    // Resolve only what the filters name, unless one of them names nothing but a resolved
    // package could match it (e.g. `--kernel 6.1.0-57`).
    let named = |f: &String| candidates.iter().any(|k| static_match(k, f));
    let to_resolve: Vec<Kernel> = candidates
        .iter()
        .filter(|k| {
            opts.kernel_filters.is_empty()
                || !opts.kernel_filters.iter().all(named)
                || opts.kernel_filters.iter().any(|f| static_match(k, f))
        })
        .cloned()
        .collect();
    if !opts.list {
        let arches: BTreeSet<&str> = to_resolve.iter().map(|k| k.arch.name()).collect();
        util::deps("deps_vm", &arches.into_iter().collect::<Vec<_>>())?;
    }
    let kernels: Vec<Resolved> = resolve(&to_resolve, &pins)?
        .into_iter()
        .filter(|r| {
            opts.kernel_filters.is_empty()
                || opts.kernel_filters.iter().any(|f| {
                    static_match(&r.kernel, f) || r.package.contains(f.as_str()) || r.image_package.contains(f.as_str())
                })
        })
        .collect();
    if kernels.is_empty() {
        return Err("no kernel of tests/kernels.txt matches the --kernel/--arch filters".into());
    }
    if opts.list {
        for k in &kernels {
            println!("{} {} {} {}", k.kernel.name(), k.package, k.version, k.image_package);
        }
        return Ok(());
    }
    for k in &kernels {
        eprintln!(
            "vm: {}: {} {} ({}{})",
            k.kernel.name(),
            k.package,
            k.version,
            if k.pinned { "pinned by ARGTRACE_KERNEL".to_string() } else { format!("{} in ", k.kernel.meta) },
            if k.pinned { String::new() } else { k.kernel.suites.join(" + ") }
        );
    }
    let arches: BTreeSet<Arch> = kernels.iter().map(|k| k.kernel.arch).collect();

    let root = workspace_root();
    let vm_dir = root.join("target/vm");
    let logs = vm_dir.join("logs");
    fs::create_dir_all(&logs).context(format!("creating {}", logs.display()))?;

    // Fetch first: a package that moved is the most likely failure, and the cheapest to see.
    let mut vmlinuz = Vec::new();
    for kernel in &kernels {
        vmlinuz.push(fetch_kernel(kernel)?.vmlinuz()?);
    }

    let mut initrds = Vec::new();
    for &arch in &arches {
        let started = Instant::now();
        let (argtrace, e2e, extra) = match &opts.binaries {
            Some(dir) => {
                let dir = dir.join(arch.rust_target());
                let extra = opts.with.iter().map(|p| (p.clone(), dir.join(p))).collect();
                (dir.join("argtrace"), dir.join("argtrace-e2e"), extra)
            }
            None => build(arch, &vm_dir, &opts.with)?,
        };
        for binary in [&argtrace, &e2e].into_iter().chain(extra.iter().map(|(_, p)| p)) {
            check_static(binary)?;
        }
        let initrd = initramfs::build(arch, &argtrace, &e2e, &extra, opts.run.as_deref(), &vm_dir.join("initramfs"))?;
        eprintln!("vm: {} binaries and initramfs ready in {:.0?}", arch.name(), started.elapsed());
        initrds.push((arch, initrd));
    }

    // Slow guests first (arm64 emulation costs more), so two queues finish close together.
    let mut queue: Vec<(Resolved, PathBuf, PathBuf)> = kernels
        .iter()
        .zip(vmlinuz)
        .map(|(k, z)| {
            let initrd = initrds.iter().find(|(a, _)| *a == k.kernel.arch).unwrap().1.clone();
            (k.clone(), z, initrd)
        })
        .collect();
    queue.sort_by_key(|(k, _, _)| k.kernel.arch != Arch::Arm64);
    queue.reverse(); // popped from the end

    let queue = Arc::new(Mutex::new(queue));
    let results = Arc::new(Mutex::new(Vec::<GuestRun>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..opts.jobs.min(kernels.len()))
        .map(|_| {
            let (queue, results, stop, logs) = (queue.clone(), results.clone(), stop.clone(), logs.clone());
            let (timeout, keep_going, run_mode) = (opts.timeout, opts.keep_going, opts.run.is_some());
            std::thread::spawn(move || -> Result<()> {
                loop {
                    if stop.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    let Some((kernel, vmlinuz, initrd)) = queue.lock().unwrap().pop() else {
                        return Ok(());
                    };
                    let guest = run_guest(kernel, &vmlinuz, &initrd, &logs, timeout, run_mode)?;
                    if guest.failed() && !keep_going {
                        stop.store(true, Ordering::SeqCst);
                    }
                    results.lock().unwrap().push(guest);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("guest worker panicked")?;
    }
    let mut runs = std::mem::take(&mut *results.lock().unwrap());
    let order = |k: &Resolved| kernels.iter().position(|x| x.kernel.name() == k.kernel.name());
    runs.sort_by_key(|r| order(&r.kernel));
    let not_run: Vec<&Resolved> =
        kernels.iter().filter(|k| !runs.iter().any(|r| r.kernel.kernel.name() == k.kernel.name())).collect();
    eprintln!("vm: all guests done in {:.0?}", started.elapsed());

    let (_, failed) =
        if opts.run.is_some() { report_run(&runs, &not_run, &root) } else { report(&runs, &not_run, &root) };
    if failed > 0 {
        // The table and the summary line say what failed; just exit non-zero.
        std::process::exit(1);
    }
    Ok(())
}

const STATIC_HELP: &str = "\
cargo xtask static [--arch x86_64|arm64]

Builds argtrace and argtrace-e2e statically, exactly as `cargo xtask vm` does for its
guests (target/vm/<rust target>/release/), checks that neither has a program
interpreter, and prints their two paths, one a line. Default architecture: x86_64.
";

/// `cargo xtask static`: the guests' static build on its own (the container image's binary).
pub fn static_main(args: &[String]) -> Result<()> {
    let arch = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => Arch::X86_64,
        ["--arch", a] => Arch::parse(a).ok_or_else(|| format!("--arch {a}: x86_64 or arm64"))?,
        ["-h" | "--help"] => {
            print!("{STATIC_HELP}");
            return Ok(());
        }
        _ => return Err(format!("unknown arguments {args:?}\n\n{STATIC_HELP}")),
    };
    let (argtrace, e2e, _) = build(arch, &workspace_root().join("target/vm"), &[])?;
    for binary in [&argtrace, &e2e] {
        check_static(binary)?;
        println!("{}", binary.display());
    }
    Ok(())
}

/// The static argtrace and argtrace-e2e, and each `--with` package's (name, binary).
type Built = (PathBuf, PathBuf, Vec<(String, PathBuf)>);

/// Builds both binaries, and those of the `with` packages, statically for `arch` in
/// target/vm (its own target dir, so the normal build cache is not invalidated by the
/// different flags). A `with` package's binary must be named like the package.
fn build(arch: Arch, vm_dir: &Path, with: &[String]) -> Result<Built> {
    let target = arch.rust_target();
    let mut packages = vec!["argtrace".to_string(), "argtrace-e2e".to_string()];
    packages.extend(with.iter().cloned());
    eprintln!("vm: building {} for {target} (static)", packages.join(", "));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--release", "--target", target, "--target-dir"])
        .arg(vm_dir)
        .args(packages.iter().flat_map(|p| ["-p", p.as_str()]))
        .args(["--features", "argtrace/static"])
        // With an explicit --target, RUSTFLAGS reach only the target's code, not build
        // scripts or proc macros, which must stay dynamic host binaries.
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        // libbpf-sys links libelf.a and libz.a from here. The plain variable would apply to
        // every target, including host build scripts, so only per-target ones are set.
        .env_remove("LIBBPF_SYS_LIBRARY_PATH")
        .env("LIBBPF_SYS_LIBRARY_PATH_x86_64_unknown_linux_gnu", "/usr/lib/x86_64-linux-gnu")
        .env("LIBBPF_SYS_LIBRARY_PATH_aarch64_unknown_linux_gnu", "/usr/lib/aarch64-linux-gnu");
    run(&mut cmd)?;
    let out = vm_dir.join(target).join("release");
    let extra = with.iter().map(|p| (p.clone(), out.join(p))).collect();
    Ok((out.join("argtrace"), out.join("argtrace-e2e"), extra))
}

/// A guest has no shared libraries: refuse an ELF with a program interpreter (PT_INTERP).
fn check_static(path: &Path) -> Result<()> {
    let elf = fs::read(path).context(format!("reading {}", path.display()))?;
    let u16_at = |at: usize| elf.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |at: usize| elf.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()));
    let u64_at = |at: usize| elf.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize);
    if elf.starts_with(b"#!/bin/sh") {
        return Ok(()); // a stand-in script for busybox sh (handy with --binaries)
    }
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return Err(format!("{} is not a 64-bit little-endian ELF file", path.display()));
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return Err(format!("{}: truncated ELF header", path.display()));
    };
    const PT_INTERP: u32 = 3;
    if (0..phnum).any(|i| u32_at(phoff + i * phentsize) == Some(PT_INTERP)) {
        return Err(format!("{} is dynamically linked; the guests need static binaries", path.display()));
    }
    Ok(())
}

fn run_guest(
    kernel: Resolved,
    vmlinuz: &Path,
    initrd: &Path,
    logs: &Path,
    timeout: Duration,
    run_mode: bool,
) -> Result<GuestRun> {
    // A --run command gets no suite arguments.
    let params: Vec<String> = if run_mode {
        Vec::new()
    } else {
        kernel
            .kernel
            .suite_params()
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("argtrace.{k}={v}"),
                None => format!("argtrace.{k}"),
            })
            .collect()
    };
    let arch = kernel.kernel.arch;
    let cmd = qemu::command(arch, vmlinuz, initrd, &params.join(" "));
    let log = logs.join(format!("{}.log", kernel.kernel.name()));
    eprintln!("vm: booting {} {} ({})", kernel.package, kernel.version, kernel.kernel.name());
    let boot = qemu::boot(cmd, &log, timeout)?;
    let text = String::from_utf8_lossy(&fs::read(&log).context(format!("reading {}", log.display()))?).into_owned();
    let console = console::parse(&text);

    let mut health = Vec::new();
    if boot.timed_out {
        health.push(format!("timed out after {:.0?}", boot.elapsed));
    } else if let Some(status) = boot.status.filter(|s| !s.success()) {
        health.push(format!("qemu exited with {status}"));
    }
    match &console.boot {
        None => health.push("no E2E-BOOT line: the guest did not reach /init".into()),
        Some((_, machine)) if machine != arch.uname_m() => {
            health.push(format!("E2E-BOOT says {machine}, expected {}", arch.uname_m()))
        }
        Some(_) => {}
    }
    if run_mode {
        match console.exit {
            None if console.boot.is_some() => health.push("no E2E-EXIT line: the command did not finish".into()),
            Some(status) if status != 0 => health.push(format!("the command exited {status}")),
            _ => {}
        }
        health.extend(console.problems.iter().map(|p| format!("console: {p}")));
        let output = console::run_output(&text);
        let guest = GuestRun { kernel, log, elapsed: boot.elapsed, console, health, output };
        eprintln!(
            "vm: {} {} in {:.1} s",
            guest.kernel.kernel.name(),
            if guest.failed() { "FAILED" } else { "ok" },
            guest.elapsed.as_secs_f64()
        );
        return Ok(guest);
    }
    let counted = |pass: bool| console.results.iter().filter(|r| r.passed == pass).count() as u32;
    let (passes, fails) = (counted(true), counted(false));
    match console.done {
        None => health.push("no E2E-DONE line: the suite did not finish".into()),
        Some((p, f)) if (p, f) != (passes, fails) => health.push(format!(
            "E2E-DONE says passed={p} failed={f} but the console has {passes} PASS and {fails} FAIL lines"
        )),
        Some(_) => {}
    }
    if console.results.is_empty() {
        health.push("no E2E-RESULT lines".into());
    }
    if console.kernel.is_none() && console.boot.is_some() {
        health.push("no E2E-KERNEL line: the suite did not report its detection of the probe modes".into());
    }
    match console.exit {
        None if console.boot.is_some() => health.push("no E2E-EXIT line".into()),
        Some(0) if fails > 0 => health.push("the suite exited 0 despite FAIL results".into()),
        Some(status) if status != 0 && fails == 0 => {
            health.push(format!("the suite exited {status} without a FAIL result"))
        }
        _ => {}
    }
    health.extend(console.problems.iter().map(|p| format!("console: {p}")));

    let guest = GuestRun { kernel, log, elapsed: boot.elapsed, console, health, output: Vec::new() };
    eprintln!(
        "vm: {} {} in {:.1} s ({} PASS, {} FAIL)",
        guest.kernel.kernel.name(),
        if guest.failed() { "FAILED" } else { "ok" },
        guest.elapsed.as_secs_f64(),
        passes,
        fails
    );
    Ok(guest)
}

/// Prints the per-kernel tables, the failures and the summary line; returns the counts
/// (case results plus one boot/console result per kernel).
fn report(runs: &[GuestRun], not_run: &[&Resolved], root: &Path) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    println!();
    for run in runs {
        println!("## {}", heading(run));
        println!();
        // What the suite found on the kernel itself; the `detect` row says whether it agrees
        // with tests/kernels.txt.
        println!("detection: {}", detection_summary(run.console.kernel.as_deref()));
        println!();
        // Every mode's column, the kernel's or not, in argtrace's order: the same layout for all.
        print!("{}", table(&run.console.results, &PROBE_MODES.map(String::from)));
        let health = if run.health.is_empty() { "pass" } else { "FAIL" };
        println!("boot/console: {health}");
        println!();
        for r in &run.console.results {
            if r.passed {
                passed += 1
            } else {
                failed += 1
            }
        }
        if run.health.is_empty() {
            passed += 1
        } else {
            failed += 1
        }
    }

    let failing: Vec<&GuestRun> = runs.iter().filter(|r| r.failed()).collect();
    if !failing.is_empty() {
        println!("## Failures");
        println!();
        for run in failing {
            for r in run.console.results.iter().filter(|r| !r.passed) {
                println!("- {} {} {}: {}", run.kernel.kernel.name(), r.case, r.mode, r.detail);
            }
            for reason in &run.health {
                println!("- {} boot/console: {reason}", run.kernel.kernel.name());
            }
            let log = run.log.strip_prefix(root).unwrap_or(&run.log);
            println!("  log: {}", log.display());
            println!("  reproduce: {} cargo xtask vm", run.kernel.pin());
        }
        println!();
    }
    print!("{}", kernels_table(runs, not_run));
    println!();
    if not_run.is_empty() {
        println!("vm: {passed} passed, {failed} failed");
    } else {
        println!("vm: {passed} passed, {failed} failed, {} skipped", not_run.len());
    }
    (passed, failed)
}

/// The `--run` report: per kernel a heading, the log's path, the command's output lines
/// and the health verdict; returns (kernels ok, kernels failed).
fn report_run(runs: &[GuestRun], not_run: &[&Resolved], root: &Path) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    for run in runs {
        println!("## {}", heading(run));
        let log = run.log.strip_prefix(root).unwrap_or(&run.log);
        println!("log: {}", log.display());
        println!("--- output ---");
        for line in &run.output {
            println!("{line}");
        }
        println!("--- end of output ---");
        match run.console.exit {
            Some(status) => println!("exit status: {status}"),
            None => println!("exit status: none"),
        }
        for reason in &run.health {
            println!("- {reason}");
        }
        println!("boot/console: {}", if run.health.is_empty() { "pass" } else { "FAIL" });
        println!();
        if run.failed() {
            failed += 1
        } else {
            passed += 1
        }
    }
    print!("{}", kernels_table(runs, not_run));
    println!();
    println!(
        "vm: {passed} passed, {failed} failed{}",
        if not_run.is_empty() { String::new() } else { format!(", {} skipped", not_run.len()) }
    );
    (passed, failed)
}

/// A guest's heading: the line, the exact package and version booted, the release the
/// guest reported, the time and the verdict.
fn heading(run: &GuestRun) -> String {
    let release = run.console.boot.as_ref().map_or("?", |(r, _)| r.as_str());
    format!(
        "{}: {} {}{} (uname -r {release}, {:.1} s): {}",
        run.kernel.kernel.name(),
        run.kernel.package,
        run.kernel.version,
        if run.kernel.pinned { ", pinned" } else { "" },
        run.elapsed.as_secs_f64(),
        if run.failed() { "FAILED" } else { "ok" }
    )
}

/// The summary of what was booted: per line of the list, the meta package and suites it
/// was resolved through, the exact package and version, the release the guest reported and
/// the verdict; with the date, so that it can go into the README as it is.
fn kernels_table(runs: &[GuestRun], not_run: &[&Resolved]) -> String {
    let date = util::output_string(Command::new("date").args(["-u", "+%Y-%m-%d"])).unwrap_or_default();
    let mut out = format!("## Kernels booted ({date})\n\n");
    out += "| series | arch | resolved through | package | version | uname -r | result |\n";
    out += "|---|---|---|---|---|---|---|\n";
    let rows = runs.iter().map(|r| (&r.kernel, r.console.boot.as_ref().map(|(u, _)| u.as_str()), Some(r.failed())));
    let skipped = not_run.iter().map(|k| (*k, None, None));
    for (kernel, release, failed) in rows.chain(skipped) {
        let through = if kernel.pinned {
            "ARGTRACE_KERNEL".to_string()
        } else {
            format!("`{}` ({})", kernel.kernel.meta, kernel.kernel.suites.join(", "))
        };
        let result = match failed {
            None => "not run (an earlier kernel failed; --keep-going runs all)",
            Some(true) => "FAILED",
            Some(false) => "ok",
        };
        out += &format!(
            "| {} | {} | {through} | `{}` | {} | {} | {result} |\n",
            kernel.kernel.series,
            kernel.kernel.arch.name(),
            kernel.package,
            kernel.version,
            release.unwrap_or("-"),
        );
    }
    out
}

/// The detection line for the report: modes, auto's choice and the reasons for the missing
/// modes (the evidence for the present ones stays in the log).
fn detection_summary(kernel: Option<&str>) -> String {
    match kernel {
        None => "none reported".to_string(),
        Some(line) => line.split(" has=").next().unwrap_or(line).to_string(),
    }
}

/// A markdown table: one row per case, one column per mode; the kernel's listed modes
/// come first, then any other mode the suite reported, in order of appearance.
fn table(results: &[CaseResult], listed_modes: &[String]) -> String {
    let mut modes: Vec<&str> = listed_modes.iter().map(String::as_str).collect();
    let mut cases: Vec<&str> = Vec::new();
    for r in results {
        if !modes.contains(&r.mode.as_str()) {
            modes.push(&r.mode);
        }
        if !cases.contains(&r.case.as_str()) {
            cases.push(&r.case);
        }
    }
    if results.is_empty() {
        return "(no case results)\n".to_string();
    }
    let cell = |case: &str, mode: &str| {
        let mut verdicts = results.iter().filter(|r| r.case == case && r.mode == mode);
        match (verdicts.next(), verdicts.next()) {
            (None, _) => "-",
            (Some(r), None) => {
                if r.passed {
                    "pass"
                } else {
                    "FAIL"
                }
            }
            // A case reported twice in one mode counts as both; show the worst.
            (Some(a), Some(b)) => {
                if a.passed && b.passed {
                    "pass"
                } else {
                    "FAIL"
                }
            }
        }
    };
    let case_width = cases.iter().map(|c| c.len()).max().unwrap_or(0).max(4);
    let widths: Vec<usize> = modes.iter().map(|m| m.len().max(4)).collect();
    let mut out = format!("| {:case_width$} |", "case");
    for (m, w) in modes.iter().zip(&widths) {
        out += &format!(" {m:w$} |");
    }
    out += &format!("\n|{}|", "-".repeat(case_width + 2));
    for w in &widths {
        out += &format!("{}|", "-".repeat(w + 2));
    }
    out.push('\n');
    for case in &cases {
        out += &format!("| {case:case_width$} |");
        for (m, w) in modes.iter().zip(&widths) {
            out += &format!(" {:w$} |", cell(case, m));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(case: &str, mode: &str, passed: bool) -> CaseResult {
        CaseResult { case: case.into(), mode: mode.into(), passed, detail: String::new() }
    }

    #[test]
    fn table_has_a_row_per_case_and_a_column_per_mode() {
        let t = table(
            &[result("clone", "kprobe", true), result("clone", "fentry", true), result("mmap", "fentry", false)],
            &["fentry".to_string()],
        );
        assert_eq!(
            t,
            "| case  | fentry | kprobe |\n\
             |-------|--------|--------|\n\
             | clone | pass   | pass   |\n\
             | mmap  | FAIL   | -      |\n"
        );
    }

    #[test]
    fn detection_summary_leaves_out_the_evidence() {
        assert_eq!(
            detection_summary(Some(
                "modes=kprobe,tracepoint auto=kprobe lacks=fentry(attach: ENOTSUPP 524) has=kprobe(a),tracepoint(b)"
            )),
            "modes=kprobe,tracepoint auto=kprobe lacks=fentry(attach: ENOTSUPP 524)"
        );
        assert_eq!(detection_summary(None), "none reported");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("8m").unwrap(), Duration::from_secs(480));
        assert!(parse_duration("0").is_err());
    }
}
