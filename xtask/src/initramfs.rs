// The guests' initramfs: a cached base (busybox-static for the guest's architecture, its
// applet symlinks, a few device nodes and /etc files) plus a small per-run part (/init, the
// two binaries under test, any `--with` binaries and the `--run` command). The kernel unpacks concatenated cpio archives in order, so
// the image is simply base.cpio.gz followed by run.cpio.
//
// The cpio "newc" archives are written here rather than with cpio(1), so that device
// nodes need no mknod, and every byte is the same from one run to the next.

use crate::kernels::{fetch_package, Arch};
use crate::util::{cache_dir, output_string, write_atomic, Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Bump when the base layout below changes, so cached bases are rebuilt.
const BASE_LAYOUT: u32 = 1;

/// The guest's /init. It mounts what the suite relies on, reports the kernel, runs the
/// suite with arguments taken from the kernel command line (`argtrace.key=value` becomes
/// `--key value` and `argtrace.key` the flag `--key`, `_` turned into `-`), reports its
/// exit status and powers off. Every
/// line the harness reads starts with `E2E-`. With `--run`, `init_script` swaps the suite's
/// line for the command, between `E2E-RUN-BEGIN` and `E2E-EXIT`.
const INIT: &str = r#"#!/bin/sh
# /init of an argtrace test guest, written by `cargo xtask vm` (xtask/src/initramfs.rs).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TERM=dumb

mnt() { # mnt TYPE DIR [OPTIONS]
    mkdir -p "$2"
    mount -t "$1" ${3:+-o "$3"} "$1" "$2" || echo "E2E-INIT cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts
mnt tmpfs /dev/shm mode=1777
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mnt bpf /sys/fs/bpf
mnt cgroup2 /sys/fs/cgroup
ip link set lo up || echo "E2E-INIT cannot bring lo up"
hostname argtrace-guest

echo "E2E-BOOT $(uname -r) $(uname -m)"

set --
for word in $(cat /proc/cmdline); do
    case "$word" in
        argtrace.*=*)
            key=${word#argtrace.}
            key=${key%%=*}
            set -- "$@" "--$(echo "$key" | tr _ -)" "${word#*=}"
            ;;
        argtrace.*)
            key=${word#argtrace.}
            set -- "$@" "--$(echo "$key" | tr _ -)"
            ;;
    esac
done
echo "E2E-ARGS $*"

cd /tmp
/bin/argtrace-e2e suite --argtrace /bin/argtrace "$@"
echo "E2E-EXIT $?"
sync
poweroff -f
"#;

/// What replaces the suite's line in /init under `--run`: the command, written to
/// /etc/xtask-run so that it needs no quoting, between markers the harness copies out.
const RUN_SUITE_LINE: &str = "/bin/argtrace-e2e suite --argtrace /bin/argtrace \"$@\"\n";
const RUN_COMMAND_LINES: &str = "echo \"E2E-RUN-BEGIN\"\nsh /etc/xtask-run\n";

/// The /init for a run: the suite's, or with `--run` the given shell command instead.
fn init_script(run: Option<&str>) -> String {
    match run {
        None => INIT.to_string(),
        Some(_) => INIT.replacen(RUN_SUITE_LINE, RUN_COMMAND_LINES, 1),
    }
}

/// Builds `<out_dir>/<arch>.initrd`: the cached base followed by /init and the binaries.
/// `extra` are more binaries, packed as /bin/<name>; `command`, when given, is what /init
/// runs instead of the e2e suite.
pub fn build(
    arch: Arch,
    argtrace: &Path,
    e2e: &Path,
    extra: &[(String, PathBuf)],
    command: Option<&str>,
    out_dir: &Path,
) -> Result<PathBuf> {
    let base = base_image(arch)?;
    let mut run = Cpio::default();
    run.file("init", 0o755, init_script(command).as_bytes());
    if let Some(command) = command {
        run.file("etc/xtask-run", 0o755, format!("{command}\n").as_bytes());
    }
    let mut binaries = vec![("bin/argtrace".to_string(), argtrace), ("bin/argtrace-e2e".to_string(), e2e)];
    binaries.extend(extra.iter().map(|(name, path)| (format!("bin/{name}"), path.as_path())));
    for (name, path) in binaries {
        let data = fs::read(path).context(format!("reading {}", path.display()))?;
        run.file(&name, 0o755, &data);
    }
    // Uncompressed: QEMU copies it straight into guest memory, which under TCG is much
    // faster than gunzipping tens of megabytes of static binaries in the guest.
    let mut image = fs::read(&base).context(format!("reading {}", base.display()))?;
    // The kernel takes an uncompressed cpio after a compressed one only at a 4-byte aligned
    // offset (init/initramfs.c: unpack_to_rootfs); zeros in between are skipped.
    image.resize(image.len().next_multiple_of(512), 0);
    image.extend_from_slice(&run.finish());
    fs::create_dir_all(out_dir).context(format!("creating {}", out_dir.display()))?;
    let out = out_dir.join(format!("{}.initrd", arch.name()));
    write_atomic(&out, &image)?;
    Ok(out)
}

/// The cached, gzip'd base archive for an architecture, built on first use.
fn base_image(arch: Arch) -> Result<PathBuf> {
    let busybox = fetch_package(&format!("busybox/{}", arch.deb_arch()), "busybox-static", arch)?;
    let path = cache_dir()?.join("initramfs").join(format!(
        "base-{}-busybox-{}-v{BASE_LAYOUT}.cpio.gz",
        arch.name(),
        busybox.version.replace(':', "_")
    ));
    if path.exists() {
        return Ok(path);
    }
    eprintln!("xtask: packing {}", path.display());
    let binary = busybox.root.join("bin/busybox");
    let data = fs::read(&binary).context(format!("reading {}", binary.display()))?;

    let mut cpio = Cpio::default();
    for dir in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "etc", "proc", "sys", "tmp", "run", "root"] {
        cpio.dir(dir);
    }
    // The kernel opens /dev/console for /init before devtmpfs is mounted.
    cpio.char_device("dev/console", 0o600, 5, 1);
    cpio.char_device("dev/null", 0o666, 1, 3);
    cpio.file("bin/busybox", 0o755, &data);
    for applet in applets()? {
        if applet != "bin/busybox" {
            cpio.symlink(&applet, "/bin/busybox");
        }
    }
    cpio.file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    );
    cpio.file("etc/group", 0o644, b"root:x:0:\nnogroup:x:65534:\n");
    cpio.file("etc/hosts", 0o644, b"127.0.0.1 localhost\n::1 localhost\n");

    fs::create_dir_all(path.parent().unwrap()).context("creating the initramfs cache")?;
    write_atomic(&path, &gzip(&cpio.finish())?)?;
    Ok(path)
}

/// The applets' paths (`bin/ls`, `sbin/ip`, ...), from the x86_64 busybox-static, which
/// runs here; Debian builds every architecture's busybox-static from the same config.
fn applets() -> Result<Vec<String>> {
    let busybox = fetch_package("busybox/amd64", "busybox-static", Arch::X86_64)?;
    let list = output_string(Command::new(busybox.root.join("bin/busybox")).arg("--list-full"))?;
    Ok(list.lines().map(str::to_string).collect())
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new("gzip")
        .args(["-9", "-n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run gzip")?;
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().context("gzip")?;
    writer.join().expect("gzip writer thread").context("writing to gzip")?;
    if !out.status.success() {
        return Err(format!("gzip failed ({})", out.status));
    }
    Ok(out.stdout)
}

/// A cpio archive in the "newc" format the kernel's initramfs unpacker reads. All entries
/// belong to root and carry mtime 0.
#[derive(Default)]
pub struct Cpio {
    out: Vec<u8>,
    inode: u32,
}

impl Cpio {
    pub fn dir(&mut self, name: &str) {
        self.entry(name, 0o040_000 | 0o755, (0, 0), b"");
    }

    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) {
        self.entry(name, 0o100_000 | perm, (0, 0), data);
    }

    pub fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, 0o120_000 | 0o777, (0, 0), target.as_bytes());
    }

    pub fn char_device(&mut self, name: &str, perm: u32, major: u32, minor: u32) {
        self.entry(name, 0o020_000 | perm, (major, minor), b"");
    }

    fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
        self.inode += 1;
        let fields = [
            self.inode,
            mode,
            0,                                                 // uid
            0,                                                 // gid
            if mode & 0o170_000 == 0o040_000 { 2 } else { 1 }, // nlink
            0,                                                 // mtime
            data.len() as u32,
            0, // devmajor
            0, // devminor
            rdev.0,
            rdev.1,
            name.len() as u32 + 1, // namesize, with the NUL
            0,                     // check
        ];
        self.out.extend_from_slice(b"070701");
        for field in fields {
            self.out.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    /// The archive with its trailer, padded to 512 bytes like cpio(1) does.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, (0, 0), b"");
        while !self.out.len().is_multiple_of(512) {
            self.out.push(0);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_replaces_only_the_suite_line() {
        assert_eq!(init_script(None), INIT);
        let run = init_script(Some("true"));
        assert!(!run.contains("argtrace-e2e suite"), "{run}");
        assert!(run.contains("echo \"E2E-RUN-BEGIN\"\nsh /etc/xtask-run\necho \"E2E-EXIT $?\"\n"), "{run}");
        assert!(run.contains("E2E-BOOT") && run.ends_with("poweroff -f\n"));
    }

    #[test]
    fn cpio_reads_back_with_cpio_tool() {
        let mut cpio = Cpio::default();
        cpio.dir("bin");
        cpio.file("bin/hello", 0o755, b"hi\n");
        cpio.symlink("bin/sh", "/bin/busybox");
        let archive = cpio.finish();
        let mut child = Command::new("cpio")
            .args(["-t", "-v", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cpio(1) is installed");
        child.stdin.take().unwrap().write_all(&archive).unwrap();
        let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        assert!(out.contains("bin/hello"), "{out}");
        assert!(out.contains("bin/sh -> /bin/busybox"), "{out}");
        assert!(out.starts_with("drwxr-xr-x"), "{out}");
    }
}
