// Booting one guest with QEMU's TCG emulator (nested KVM is unusable on the project's
// machines), the serial console captured to a log file, under a time limit.

use crate::kernels::Arch;
use crate::util::{show, Context, Result};
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a guest run ended, as far as QEMU is concerned (the console says the rest).
pub struct Boot {
    pub elapsed: Duration,
    pub timed_out: bool,
    /// QEMU's exit status; None when it was killed at the time limit.
    pub status: Option<std::process::ExitStatus>,
}

/// The QEMU command line for a guest, as in shared/KERNEL-LAB.md. `panic=-1` with
/// `-no-reboot` turns a panic into QEMU exiting at once, and the guest's /init ends with
/// `poweroff -f`, so QEMU exits by itself in both the good and the bad case.
pub fn command(arch: Arch, vmlinuz: &Path, initrd: &Path, params: &str) -> Command {
    let (program, machine, console): (&str, &[&str], &str) = match arch {
        Arch::X86_64 => ("qemu-system-x86_64", &["-cpu", "max"], "ttyS0"),
        // pauth-impdef: the architected pointer-authentication algorithm is several
        // times slower to emulate, and the guest cannot tell the difference.
        Arch::Arm64 => ("qemu-system-aarch64", &["-M", "virt", "-cpu", "max,pauth-impdef=on"], "ttyAMA0"),
    };
    let mut cmd = Command::new(program);
    cmd.args(["-accel", "tcg"])
        .args(machine)
        .args(["-m", "1024", "-smp", "2", "-nographic", "-no-reboot"])
        .arg("-kernel")
        .arg(vmlinuz)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        // Two guests of two emulated CPUs share the host's two cores, so a vCPU can sit
        // unscheduled for seconds: the RCU stall and soft-lockup detectors would then report
        // the host's load as kernel splats. Real hangs still hit the harness's time limit.
        // no_timer_check: on a loaded host the emulated IO-APIC timer can miss the kernel's
        // boot-time check, and 5.10 then panics ("IO-APIC + timer doesn't work!"), as
        // virtualized kernels are told to avoid it; x86 only (arm64 has no such check).
        .arg(format!(
            "console={console} panic=-1 rcupdate.rcu_cpu_stall_suppress=1 nowatchdog{} {params}",
            if matches!(arch, Arch::X86_64) { " no_timer_check" } else { "" }
        ));
    cmd
}

/// Runs a guest with its console (and QEMU's own messages) going to `log`, killing it
/// when it outlives `timeout`.
pub fn boot(mut cmd: Command, log: &Path, timeout: Duration) -> Result<Boot> {
    let file = File::create(log).context(format!("creating {}", log.display()))?;
    let err = file.try_clone().context("duplicating the log file handle")?;
    let start = Instant::now();
    let mut child =
        cmd.stdin(Stdio::null()).stdout(file).stderr(err).spawn().context(format!("cannot run `{}`", show(&cmd)))?;
    loop {
        if let Some(status) = child.try_wait().context("waiting for qemu")? {
            return Ok(Boot { elapsed: start.elapsed(), timed_out: false, status: Some(status) });
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Boot { elapsed: start.elapsed(), timed_out: true, status: None });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
