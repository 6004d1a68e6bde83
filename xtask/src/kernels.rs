// The reviewed kernel list (tests/kernels.txt) and Debian packages fetched into the cache:
// parsing the list, and `apt-get download` + `dpkg-deb -x` of a package exactly once.

use crate::util::{cache_dir, output_string, run, workspace_root, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A guest architecture, with every name the tools use for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Arm64];

    /// The name in tests/kernels.txt, `uname -m` style except for arm64 (Debian's name).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" | "amd64" | "x86" => Some(Arch::X86_64),
            "arm64" | "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// Debian's architecture name (`apt-get download pkg:<deb_arch>`).
    pub fn deb_arch(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The directory under arch/ that holds this architecture's vmlinux.h.
    pub fn source_dir(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86",
            Arch::Arm64 => "arm64",
        }
    }

    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// What `uname -m` says inside the guest.
    pub fn uname_m(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }
}

/// One line of tests/kernels.txt.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub arch: Arch,
    /// The Debian binary package, e.g. `linux-image-6.1.0-56-cloud-amd64`.
    pub package: String,
    /// The probe mode argtrace must pick on its own on this kernel.
    pub expect_auto: String,
    /// The modes the suite runs every case in.
    pub modes: Vec<String>,
    /// Modes that must be refused on this kernel (a refusal is the expected result).
    pub unavailable: Vec<String>,
    /// This kernel's BTF is the source of arch/<arch>/vmlinux.h.
    pub vmlinux_h: bool,
    /// `apt=<suite>`: fetched through the project's own apt source for that
    /// Debian suite (e.g. bullseye), kept in the cache, not the machine's.
    pub apt_suite: Option<String>,
    /// `refuse=<subject>:<mode>,...`: subjects that cannot run in a mode the
    /// kernel has (clone's fentry path needs bpf_task_pt_regs, Linux 5.15):
    /// argtrace must refuse them naming what is missing, and auto pass over it.
    pub refuse: Vec<String>,
}

impl Kernel {
    /// The arguments of `argtrace-e2e suite` for this kernel, as `key=value` pairs (a
    /// `key` alone is a flag); the guest's /init gets them through the kernel command line
    /// as `argtrace.key=value` or `argtrace.key`. The suite detects the kernel's modes
    /// itself (`--detect`) and checks the detection against this reviewed line.
    pub fn suite_params(&self) -> Vec<(&'static str, Option<String>)> {
        let unavailable = if self.unavailable.is_empty() { "none".to_string() } else { self.unavailable.join(",") };
        let mut params = vec![
            ("detect", None),
            ("expect_modes", Some(self.modes.join(","))),
            ("expect_auto", Some(self.expect_auto.clone())),
            ("expect_unavailable", Some(unavailable)),
        ];
        if !self.refuse.is_empty() {
            params.push(("refuse", Some(self.refuse.join(","))));
        }
        params
    }
}

/// argtrace's probe modes, in the order its auto tries them.
pub const PROBE_MODES: [&str; 3] = ["fentry", "kprobe", "tracepoint"];

pub fn list_path() -> PathBuf {
    workspace_root().join("tests/kernels.txt")
}

/// Reads tests/kernels.txt. Format, one kernel a line, `#` starts a comment:
/// `<arch> <package> expect_auto=<mode> modes=<m1,m2,..> [unavailable=<m,..>] [vmlinux_h]`
pub fn read_list() -> Result<Vec<Kernel>> {
    let path = list_path();
    let text = fs::read_to_string(&path).context(format!("reading {}", path.display()))?;
    parse_list(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse_list(text: &str) -> Result<Vec<Kernel>> {
    let mut kernels = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let lineno = index + 1;
        let mut words = line.split_whitespace();
        let arch_word = words.next().unwrap_or_default();
        let arch = Arch::parse(arch_word)
            .ok_or(format!("line {lineno}: unknown architecture `{arch_word}` (x86_64 or arm64)"))?;
        let package = words.next().ok_or(format!("line {lineno}: missing package name"))?.to_string();
        let mut kernel = Kernel {
            arch,
            package,
            expect_auto: String::new(),
            modes: Vec::new(),
            unavailable: Vec::new(),
            vmlinux_h: false,
            apt_suite: None,
            refuse: Vec::new(),
        };
        for word in words {
            let list = |v: &str| v.split(',').filter(|m| !m.is_empty()).map(String::from).collect();
            match word.split_once('=') {
                Some(("expect_auto", v)) => kernel.expect_auto = v.to_string(),
                Some(("modes", v)) => kernel.modes = list(v),
                Some(("unavailable", v)) => kernel.unavailable = list(v),
                Some(("apt", v)) => kernel.apt_suite = Some(v.to_string()),
                Some(("refuse", v)) => kernel.refuse = list(v),
                None if word == "vmlinux_h" => kernel.vmlinux_h = true,
                _ => return Err(format!("line {lineno}: unknown field `{word}`")),
            }
        }
        if kernel.expect_auto.is_empty() || kernel.modes.is_empty() {
            return Err(format!("line {lineno}: expect_auto= and modes= are required"));
        }
        // The suite detects every mode as present or missing: the line must say which.
        for mode in PROBE_MODES {
            let listed = kernel.modes.iter().chain(&kernel.unavailable).filter(|m| *m == mode).count();
            if listed != 1 {
                return Err(format!(
                    "line {lineno}: probe mode {mode} must be in exactly one of modes= and unavailable="
                ));
            }
        }
        let listed = || kernel.modes.iter().chain(&kernel.unavailable);
        if let Some(other) = listed().find(|m| !PROBE_MODES.contains(&m.as_str())) {
            return Err(format!("line {lineno}: unknown probe mode `{other}`"));
        }
        // What auto must choose: the first mode the kernel has, in argtrace's order.
        let first = PROBE_MODES.iter().find(|m| kernel.modes.iter().any(|x| x == *m)).expect("modes is not empty");
        if kernel.expect_auto != *first {
            return Err(format!(
                "line {lineno}: expect_auto={} but the first of modes= in fentry > kprobe > tracepoint order is {first}",
                kernel.expect_auto
            ));
        }
        if kernels.iter().any(|k: &Kernel| k.package == kernel.package) {
            return Err(format!("line {lineno}: {} is listed twice", kernel.package));
        }
        kernels.push(kernel);
    }
    Ok(kernels)
}

/// A Debian package unpacked in the cache.
pub struct Unpacked {
    /// The `dpkg-deb -x` tree.
    pub root: PathBuf,
    /// The package's version, e.g. `6.1.192-2`.
    pub version: String,
}

impl Unpacked {
    /// The single `boot/vmlinuz-*` of a kernel package.
    pub fn vmlinuz(&self) -> Result<PathBuf> {
        let boot = self.root.join("boot");
        let mut found = Vec::new();
        for entry in fs::read_dir(&boot).context(format!("reading {}", boot.display()))? {
            let path = entry.context("reading boot/")?.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-")) {
                found.push(path);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(format!("expected one boot/vmlinuz-* in {}, found {n}", boot.display())),
        }
    }
}

/// `apt-get download` a package for an architecture and unpack it under
/// `<cache>/<kind>/<package>/`, once: later calls return the cached tree. The marker file
/// `.version` is written last, so an interrupted unpack is redone.
pub fn fetch_package(kind: &str, package: &str, arch: Arch) -> Result<Unpacked> {
    fetch_package_from(kind, package, arch, None)
}

/// apt options that point apt at the project's own source list for `suite`
/// (e.g. bullseye, for its 5.10 kernel) and its own lists and cache, so the
/// machine's apt configuration is neither used nor changed.
fn own_apt_source(suite: &str) -> Result<Vec<String>> {
    let dir = cache_dir()?.join(format!("apt-{suite}"));
    let list = dir.join("sources.list");
    for sub in ["lists/partial", "cache/archives/partial"] {
        fs::create_dir_all(dir.join(sub)).context(format!("creating {}", dir.display()))?;
    }
    let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
    fs::write(
        &list,
        format!(
            "deb [signed-by={keyring}] http://deb.debian.org/debian {suite} main\n\
             deb [signed-by={keyring}] http://deb.debian.org/debian-security {suite}-security main\n"
        ),
    )
    .context(format!("writing {}", list.display()))?;
    let opts = [
        format!("Dir::Etc::SourceList={}", list.display()),
        "Dir::Etc::SourceParts=/nonexistent".to_string(),
        format!("Dir::State::Lists={}", dir.join("lists").display()),
        format!("Dir::Cache={}", dir.join("cache").display()),
        "APT::Sandbox::User=root".to_string(),
    ];
    let args: Vec<String> = opts.iter().flat_map(|o| ["-o".to_string(), o.clone()]).collect();
    if !dir.join("lists").read_dir().map(|mut d| d.any(|e| e.is_ok_and(|e| e.path().is_file()))).unwrap_or(false) {
        eprintln!("xtask: apt-get update for the project's own {suite} source ({})", dir.display());
        run(Command::new("apt-get").arg("-qq").args(&args).arg("update"))?;
    }
    Ok(args)
}

/// `fetch_package`, from the project's own apt source for `suite` when given.
pub fn fetch_package_from(kind: &str, package: &str, arch: Arch, suite: Option<&str>) -> Result<Unpacked> {
    let dir = cache_dir()?.join(kind).join(package);
    let marker = dir.join(".version");
    let root = dir.join("root");
    if let Ok(version) = fs::read_to_string(&marker) {
        return Ok(Unpacked { root, version: version.trim().to_string() });
    }
    eprintln!("xtask: fetching {package}:{} into {}", arch.deb_arch(), dir.display());
    if dir.exists() {
        fs::remove_dir_all(&dir).context(format!("removing stale {}", dir.display()))?;
    }
    let download = dir.join("download");
    fs::create_dir_all(&download).context(format!("creating {}", download.display()))?;

    let spec = format!("{package}:{}", arch.deb_arch());
    let own_source = match suite {
        Some(suite) => own_apt_source(suite)?,
        None => Vec::new(),
    };
    let apt_download = || {
        // As root, apt would drop to the _apt user, who cannot write the cache directory.
        crate::util::output(
            Command::new("apt-get")
                .args(["-q", "-o", "APT::Sandbox::User=root"])
                .args(&own_source)
                .args(["download", &spec])
                .current_dir(&download),
        )
    };
    if let Err(first) = apt_download() {
        // Package lists may be missing or stale on a fresh machine: update once and retry.
        eprintln!("xtask: apt-get download failed, running apt-get update and retrying");
        run(Command::new("apt-get").arg("-qq").args(&own_source).arg("update"))?;
        apt_download().map_err(|e| {
            format!(
                "{e}\n(first attempt: {first})\nIs the package name still current? \
                 Resolve it with e.g. `apt-cache depends linux-image-cloud-amd64` and update {}",
                list_path().display()
            )
        })?;
    }
    let deb = single_deb(&download)?;
    let version = output_string(Command::new("dpkg-deb").args(["-f"]).arg(&deb).arg("Version"))?;
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root))?;
    fs::remove_dir_all(&download).context(format!("removing {}", download.display()))?;
    fs::write(&marker, format!("{version}\n")).context(format!("writing {}", marker.display()))?;
    Ok(Unpacked { root, version })
}

fn single_deb(dir: &Path) -> Result<PathBuf> {
    let debs: Vec<PathBuf> = fs::read_dir(dir)
        .context(format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    match debs.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("expected one .deb in {}, found {}", dir.display(), debs.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_list() {
        let text = "# comment\n\
            x86_64 linux-image-a expect_auto=fentry modes=fentry,kprobe,tracepoint vmlinux_h # why\n\
            \n\
            arm64 linux-image-b expect_auto=kprobe modes=kprobe,tracepoint unavailable=fentry\n";
        let list = parse_list(text).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].arch, Arch::X86_64);
        assert_eq!(list[0].modes, ["fentry", "kprobe", "tracepoint"]);
        assert!(list[0].vmlinux_h);
        assert_eq!(list[1].unavailable, ["fentry"]);
        assert_eq!(
            list[1].suite_params(),
            [
                ("detect", None),
                ("expect_modes", Some("kprobe,tracepoint".to_string())),
                ("expect_auto", Some("kprobe".to_string())),
                ("expect_unavailable", Some("fentry".to_string())),
            ]
        );
        assert_eq!(list[0].suite_params()[3], ("expect_unavailable", Some("none".to_string())));
    }

    #[test]
    fn every_mode_is_either_expected_or_missing() {
        // tracepoint in neither list
        assert!(parse_list("x86_64 pkg expect_auto=fentry modes=fentry,kprobe\n").is_err());
        // fentry in both
        let both = "x86_64 pkg expect_auto=fentry modes=fentry,kprobe,tracepoint unavailable=fentry\n";
        assert!(parse_list(both).is_err());
        assert!(parse_list("x86_64 pkg expect_auto=fentry modes=fentry,kprobe,tracepoint,uprobe\n").is_err());
        // auto must be the first mode the kernel has
        assert!(parse_list("x86_64 pkg expect_auto=kprobe modes=fentry,kprobe,tracepoint\n").is_err());
    }

    #[test]
    fn rejects_unknown_fields() {
        let modes = "modes=tracepoint unavailable=fentry,kprobe";
        assert!(parse_list(&format!("x86_64 pkg expect_auto=tracepoint {modes} bogus=1\n")).is_err());
        assert!(parse_list(&format!("riscv pkg expect_auto=tracepoint {modes}\n")).is_err());
        assert!(parse_list(&format!("x86_64 pkg {modes}\n")).is_err());
        assert!(parse_list(&format!("x86_64 pkg expect_auto=tracepoint {modes}\n")).is_ok());
    }
}
