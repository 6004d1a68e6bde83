// The reviewed kernel list (tests/kernels.txt), each line resolved through its Debian
// meta package to today's exact kernel package (or pinned with ARGTRACE_KERNEL), and
// Debian packages fetched into the cache: `apt-get download` + `dpkg-deb -x`, once per
// package version.

use crate::apt::{parse_stanzas, Apt};
use crate::util::{cache_dir, output, run, workspace_root, Context, Result};
use std::collections::BTreeMap;
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

/// One line of tests/kernels.txt: a kernel series, named by the Debian meta package that
/// always depends on its newest build, and what argtrace must find on it.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// `6.1`, `6.12`, `5.10` (the upstream major.minor the meta package must resolve to),
    /// or `newest` (whatever the suite's meta package depends on today).
    pub series: String,
    pub arch: Arch,
    /// The Debian meta package, e.g. `linux-image-cloud-amd64`.
    pub meta: String,
    /// `apt=<suite,...>`: the suites whose own package lists resolve and fetch it, e.g.
    /// `bookworm,bookworm-security` or `trixie-backports`.
    pub suites: Vec<String>,
    /// The probe mode argtrace must pick on its own on this kernel.
    pub expect_auto: String,
    /// The modes the suite runs every case in.
    pub modes: Vec<String>,
    /// Modes that must be refused on this kernel (a refusal is the expected result).
    pub unavailable: Vec<String>,
    /// This kernel's BTF is the source of arch/<arch>/vmlinux.h.
    pub vmlinux_h: bool,
    /// `refuse=<subject>:<mode>,...`: subjects that cannot run in a mode the
    /// kernel has (clone's fentry path needs bpf_task_pt_regs, Linux 5.15):
    /// argtrace must refuse them naming what is missing, and auto pass over it.
    pub refuse: Vec<String>,
}

impl Kernel {
    /// The line's name in messages, logs and `--kernel`: `<series>-<arch>`, e.g. `6.1-arm64`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.series, self.arch.name())
    }

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

/// The series whose meta package may resolve to any version.
pub const NEWEST: &str = "newest";

pub fn list_path() -> PathBuf {
    workspace_root().join("tests/kernels.txt")
}

/// Reads tests/kernels.txt. Format, one kernel a line, `#` starts a comment:
/// `<series> <arch> <meta package> apt=<suite,..> expect_auto=<mode> modes=<m1,m2,..>
/// [unavailable=<m,..>] [refuse=<subject:mode,..>] [vmlinux_h]`
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
        let series = words.next().unwrap_or_default().to_string();
        if series != NEWEST && major_minor(&series).as_deref() != Some(series.as_str()) {
            return Err(format!("line {lineno}: series `{series}` is neither <major>.<minor> nor {NEWEST}"));
        }
        let arch_word = words.next().ok_or(format!("line {lineno}: missing architecture"))?;
        let arch = Arch::parse(arch_word)
            .ok_or(format!("line {lineno}: unknown architecture `{arch_word}` (x86_64 or arm64)"))?;
        let meta = words.next().ok_or(format!("line {lineno}: missing meta package name"))?.to_string();
        if !meta.starts_with("linux-image-") || !meta.ends_with(&format!("-{}", arch.deb_arch())) {
            return Err(format!("line {lineno}: `{meta}` is not a linux-image-*-{} package", arch.deb_arch()));
        }
        let mut kernel = Kernel {
            series,
            arch,
            meta,
            suites: Vec::new(),
            expect_auto: String::new(),
            modes: Vec::new(),
            unavailable: Vec::new(),
            vmlinux_h: false,
            refuse: Vec::new(),
        };
        for word in words {
            let list = |v: &str| v.split(',').filter(|m| !m.is_empty()).map(String::from).collect();
            match word.split_once('=') {
                Some(("apt", v)) => kernel.suites = list(v),
                Some(("expect_auto", v)) => kernel.expect_auto = v.to_string(),
                Some(("modes", v)) => kernel.modes = list(v),
                Some(("unavailable", v)) => kernel.unavailable = list(v),
                Some(("refuse", v)) => kernel.refuse = list(v),
                None if word == "vmlinux_h" => kernel.vmlinux_h = true,
                _ => return Err(format!("line {lineno}: unknown field `{word}`")),
            }
        }
        if kernel.suites.is_empty() {
            return Err(format!("line {lineno}: apt=<suite,...> is required (the lists that resolve {})", kernel.meta));
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
        if kernels.iter().any(|k: &Kernel| k.name() == kernel.name()) {
            return Err(format!("line {lineno}: series {} is listed twice for {}", kernel.series, arch.name()));
        }
        kernels.push(kernel);
    }
    Ok(kernels)
}

/// `6.1` of `6.1`, `6.1.0-57-cloud-amd64`, `6.12.118+deb12-cloud-arm64`, `7.3.4+deb13`.
pub fn major_minor(version: &str) -> Option<String> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let (major, minor) = (parts.next()?, parts.next()?);
    let dot = version.as_bytes().get(major.len()) == Some(&b'.');
    (dot && !major.is_empty() && !minor.is_empty()).then(|| format!("{major}.{minor}"))
}

/// A line of the list with the exact Debian packages it stands for today.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub kernel: Kernel,
    /// The versioned image package, e.g. `linux-image-6.1.0-57-cloud-amd64`.
    pub package: String,
    /// Its Debian version, e.g. `6.1.192-3`.
    pub version: String,
    /// The package that holds the kernel image: `package` itself, or from Debian 13 on the
    /// `linux-binary-*` it depends on (its image is usr/lib/modules/<release>/vmlinuz).
    pub image_package: String,
    /// Set by ARGTRACE_KERNEL rather than the meta package.
    pub pinned: bool,
}

impl Resolved {
    /// The exact, pinnable name for a reproduction.
    pub fn pin(&self) -> String {
        format!("ARGTRACE_KERNEL={}", self.package)
    }
}

/// The exact packages from ARGTRACE_KERNEL (comma separated), if set.
pub fn pins_from_env() -> Vec<String> {
    std::env::var("ARGTRACE_KERNEL")
        .unwrap_or_default()
        .split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| p.split(':').next().unwrap_or(p).to_string())
        .collect()
}

/// The line a pinned package belongs to: the same architecture (the package's suffix) and
/// series (its version's major.minor), or else that architecture's `newest` line.
pub fn line_of_pin<'a>(pin: &str, kernels: &'a [Kernel]) -> Result<&'a Kernel> {
    let bad = || {
        format!(
            "ARGTRACE_KERNEL: `{pin}` is not an exact kernel package \
             (linux-image-<version>-<flavour>-<amd64|arm64>, e.g. linux-image-6.1.0-57-cloud-amd64)"
        )
    };
    let version = pin.strip_prefix("linux-image-").ok_or_else(bad)?;
    let series = major_minor(version).ok_or_else(bad)?;
    let arch = Arch::ALL.into_iter().find(|a| pin.ends_with(&format!("-{}", a.deb_arch()))).ok_or_else(bad)?;
    let same_arch = || kernels.iter().filter(move |k| k.arch == arch);
    same_arch()
        .find(|k| k.series == series)
        .or_else(|| same_arch().find(|k| k.series == NEWEST))
        .ok_or(format!("ARGTRACE_KERNEL: no line of tests/kernels.txt for series {series} on {}", arch.name()))
}

/// Resolves the lines: each meta package through its own suites' freshly updated lists,
/// or a pinned exact package (`pins`: line name -> package). One apt-cache call per
/// suite set and step.
pub fn resolve(kernels: &[Kernel], pins: &BTreeMap<String, String>) -> Result<Vec<Resolved>> {
    let mut groups: Vec<(Vec<String>, Vec<&Kernel>)> = Vec::new();
    for kernel in kernels {
        match groups.iter_mut().find(|(s, _)| *s == kernel.suites) {
            Some((_, members)) => members.push(kernel),
            None => groups.push((kernel.suites.clone(), vec![kernel])),
        }
    }
    let mut resolved = Vec::new();
    for (suites, members) in groups {
        let apt = Apt::open(&suites)?;
        apt.update()?;
        let spec = |name: &str, k: &Kernel| format!("{name}:{}", k.arch.deb_arch());
        // Step 1: the meta packages name today's versioned image package.
        let unpinned: Vec<&Kernel> = members.iter().copied().filter(|k| !pins.contains_key(&k.name())).collect();
        let metas = apt.show(&unpinned.iter().map(|k| spec(&k.meta, k)).collect::<Vec<_>>())?;
        let mut packages = BTreeMap::new();
        for (kernel, meta) in unpinned.iter().zip(&metas) {
            let images: Vec<String> = meta
                .depends()
                .into_iter()
                .filter(|d| d.starts_with("linux-image-") && *d != kernel.meta && !d.ends_with("-dbg"))
                .collect();
            let [image] = images.as_slice() else {
                return Err(format!(
                    "{}: {} ({}) depends on no single linux-image-* package: {}",
                    kernel.name(),
                    kernel.meta,
                    suites.join(" + "),
                    meta.get("Depends").unwrap_or("")
                ));
            };
            let found = major_minor(image.trim_start_matches("linux-image-"));
            if kernel.series != NEWEST && found.as_deref() != Some(kernel.series.as_str()) {
                return Err(format!(
                    "{}: {} in {} now depends on {image}, which is not series {}: review tests/kernels.txt",
                    kernel.name(),
                    kernel.meta,
                    suites.join(" + "),
                    kernel.series
                ));
            }
            packages.insert(kernel.name(), image.clone());
        }
        for kernel in &members {
            if let Some(pin) = pins.get(&kernel.name()) {
                packages.insert(kernel.name(), pin.clone());
            }
        }
        // Step 2: each image package's version, and the linux-binary-* package that holds
        // the image where it holds none itself (Debian 13 on).
        for kernel in &members {
            let package = &packages[&kernel.name()];
            let pinned = pins.contains_key(&kernel.name());
            let stanza = match apt.show(&[spec(package, kernel)]) {
                Ok(mut s) => s.remove(0),
                // A pinned package Debian no longer ships may still be in the cache.
                Err(e) if pinned => match cached(package)? {
                    Some((image_package, version)) => {
                        eprintln!("xtask: {package} is no longer in the lists; using the cached {version}");
                        let (kernel, package) = ((*kernel).clone(), package.clone());
                        resolved.push(Resolved { kernel, package, version, image_package, pinned });
                        continue;
                    }
                    None => return Err(format!("{}: {e}, and no cached copy", kernel.name())),
                },
                Err(e) => return Err(e),
            };
            let version = stanza.get("Version").ok_or(format!("{package}: no Version in apt-cache show"))?;
            let binary = format!("linux-binary-{}", package.trim_start_matches("linux-image-"));
            let image_package = if stanza.depends().contains(&binary) { binary } else { package.clone() };
            resolved.push(Resolved {
                kernel: (*kernel).clone(),
                package: package.clone(),
                version: version.to_string(),
                image_package,
                pinned,
            });
        }
    }
    // In the list's order.
    resolved.sort_by_key(|r| kernels.iter().position(|k| k.name() == r.kernel.name()));
    Ok(resolved)
}

/// The newest cached unpack of `package` (or of the linux-binary-* that holds its image),
/// for a pinned package that has left Debian's lists: (image package, version).
fn cached(package: &str) -> Result<Option<(String, String)>> {
    let dir = cache_dir()?.join("kernels");
    let binary = format!("linux-binary-{}", package.trim_start_matches("linux-image-"));
    let mut found: Vec<(String, String)> = Vec::new();
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((holder, version)) = name.split_once('_') else { continue };
        if (holder == package || holder == binary) && entry.path().join(".version").exists() {
            found.push((holder.to_string(), version.replace("%3a", ":")));
        }
    }
    found.sort();
    Ok(found.pop())
}

/// A Debian package unpacked in the cache.
pub struct Unpacked {
    /// The `dpkg-deb -x` tree.
    pub root: PathBuf,
    /// The package's version, e.g. `6.1.192-2`.
    pub version: String,
}

impl Unpacked {
    /// The kernel image of a kernel package: `boot/vmlinuz-*` (Debian 11 and 12), or
    /// `usr/lib/modules/<release>/vmlinuz` (Debian 13's linux-binary-* packages).
    pub fn vmlinuz(&self) -> Result<PathBuf> {
        let mut found = Vec::new();
        let boot = self.root.join("boot");
        for entry in fs::read_dir(&boot).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("vmlinuz-") {
                found.push(entry.path());
            }
        }
        let modules = self.root.join("usr/lib/modules");
        for entry in fs::read_dir(&modules).into_iter().flatten().flatten() {
            let image = entry.path().join("vmlinuz");
            if image.is_file() {
                found.push(image);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            n => Err(format!(
                "expected one boot/vmlinuz-* or usr/lib/modules/*/vmlinuz in {}, found {n}",
                self.root.display()
            )),
        }
    }
}

/// Fetches the package holding a resolved kernel's image into
/// `<cache>/kernels/<package>_<version>/`, once per version.
pub fn fetch_kernel(kernel: &Resolved) -> Result<Unpacked> {
    let dir =
        cache_dir()?.join("kernels").join(format!("{}_{}", kernel.image_package, kernel.version.replace(':', "%3a")));
    if let Some(unpacked) = cached_unpack(&dir) {
        return Ok(unpacked);
    }
    let apt = Apt::open(&kernel.kernel.suites)?;
    let spec = format!("{}:{}={}", kernel.image_package, kernel.kernel.arch.deb_arch(), kernel.version);
    unpack_into(&dir, &spec, |download| apt.download(&spec, download))
}

/// `apt-get download` a package for an architecture from the machine's apt sources and
/// unpack it under `<cache>/<kind>/<package>/`, once: later calls return the cached tree.
pub fn fetch_package(kind: &str, package: &str, arch: Arch) -> Result<Unpacked> {
    let dir = cache_dir()?.join(kind).join(package);
    if let Some(unpacked) = cached_unpack(&dir) {
        return Ok(unpacked);
    }
    let spec = format!("{package}:{}", arch.deb_arch());
    unpack_into(&dir, &spec, |download| {
        let apt_download = || {
            // As root, apt would drop to the _apt user, who cannot write the cache directory.
            output(
                Command::new("apt-get")
                    .args(["-q", "-o", "APT::Sandbox::User=root", "download", &spec])
                    .current_dir(download),
            )
        };
        if let Err(first) = apt_download() {
            // Package lists may be missing or stale on a fresh machine: update once and retry.
            eprintln!("xtask: apt-get download failed, running apt-get update and retrying");
            run(Command::new("apt-get").arg("-qq").arg("update"))?;
            apt_download().map_err(|e| format!("{e}\n(first attempt: {first})"))?;
        }
        Ok(())
    })
}

/// The unpacked tree in `dir` if an earlier fetch finished (its `.version` marker).
fn cached_unpack(dir: &Path) -> Option<Unpacked> {
    let version = fs::read_to_string(dir.join(".version")).ok()?;
    Some(Unpacked { root: dir.join("root"), version: version.trim().to_string() })
}

/// Downloads one .deb with `download` into a scratch directory, unpacks it and moves the
/// result to `dir` in one rename, so that an interrupted or concurrent fetch never leaves
/// a half tree behind.
fn unpack_into(dir: &Path, spec: &str, download: impl FnOnce(&Path) -> Result<()>) -> Result<Unpacked> {
    eprintln!("xtask: fetching {spec} into {}", dir.display());
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let scratch = dir.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    if scratch.exists() {
        fs::remove_dir_all(&scratch).context(format!("removing stale {}", scratch.display()))?;
    }
    let downloads = scratch.join("download");
    fs::create_dir_all(&downloads).context(format!("creating {}", downloads.display()))?;
    download(&downloads)?;
    let deb = single_deb(&downloads)?;
    let control = output(Command::new("dpkg-deb").arg("-f").arg(&deb))?;
    let stanza = parse_stanzas(&String::from_utf8_lossy(&control)).into_iter().next().unwrap_or_default();
    let version = stanza.get("Version").ok_or(format!("{}: no Version field", deb.display()))?.to_string();
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(scratch.join("root")))?;
    fs::remove_dir_all(&downloads).context(format!("removing {}", downloads.display()))?;
    fs::write(scratch.join(".version"), format!("{version}\n")).context("writing the .version marker")?;
    if dir.exists() && cached_unpack(dir).is_none() {
        // Left by an interrupted fetch of an older xtask.
        fs::remove_dir_all(dir).context(format!("removing stale {}", dir.display()))?;
    }
    if let Err(e) = fs::rename(&scratch, dir) {
        // Another run got there first: use its tree.
        let _ = fs::remove_dir_all(&scratch);
        return cached_unpack(dir).ok_or(format!("moving {} into place: {e}", dir.display()));
    }
    Ok(Unpacked { root: dir.join("root"), version })
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

    const TAIL: &str = "apt=bookworm,bookworm-security expect_auto=fentry modes=fentry,kprobe,tracepoint";

    #[test]
    fn parses_a_list() {
        let text = format!(
            "# comment\n\
            6.1 x86_64 linux-image-cloud-amd64 {TAIL} vmlinux_h # why\n\
            \n\
            newest arm64 linux-image-cloud-arm64 apt=trixie-backports expect_auto=kprobe modes=kprobe,tracepoint unavailable=fentry\n"
        );
        let list = parse_list(&text).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].arch, Arch::X86_64);
        assert_eq!(list[0].name(), "6.1-x86_64");
        assert_eq!(list[0].suites, ["bookworm", "bookworm-security"]);
        assert_eq!(list[0].modes, ["fentry", "kprobe", "tracepoint"]);
        assert!(list[0].vmlinux_h);
        assert_eq!(list[1].name(), "newest-arm64");
        assert_eq!(list[1].meta, "linux-image-cloud-arm64");
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
        let line = |rest: &str| format!("6.1 x86_64 linux-image-cloud-amd64 apt=bookworm {rest}\n");
        // tracepoint in neither list
        assert!(parse_list(&line("expect_auto=fentry modes=fentry,kprobe")).is_err());
        // fentry in both
        assert!(parse_list(&line("expect_auto=fentry modes=fentry,kprobe,tracepoint unavailable=fentry")).is_err());
        assert!(parse_list(&line("expect_auto=fentry modes=fentry,kprobe,tracepoint,uprobe")).is_err());
        // auto must be the first mode the kernel has
        assert!(parse_list(&line("expect_auto=kprobe modes=fentry,kprobe,tracepoint")).is_err());
    }

    #[test]
    fn rejects_unknown_fields_and_bad_lines() {
        let ok = format!("6.1 x86_64 linux-image-cloud-amd64 {TAIL}\n");
        assert!(parse_list(&ok).is_ok());
        assert!(parse_list(&format!("6.1 x86_64 linux-image-cloud-amd64 {TAIL} bogus=1\n")).is_err());
        assert!(parse_list(&format!("6.1 riscv linux-image-cloud-amd64 {TAIL}\n")).is_err());
        // a series is major.minor or `newest`
        assert!(parse_list(&format!("6.1.0 x86_64 linux-image-cloud-amd64 {TAIL}\n")).is_err());
        assert!(parse_list(&format!("latest x86_64 linux-image-cloud-amd64 {TAIL}\n")).is_err());
        // the meta package must be a kernel of the line's architecture
        assert!(parse_list(&format!("6.1 arm64 linux-image-cloud-amd64 {TAIL}\n")).is_err());
        // no suite, no resolution
        let no_apt = "6.1 x86_64 linux-image-cloud-amd64 expect_auto=fentry modes=fentry,kprobe,tracepoint\n";
        assert!(parse_list(no_apt).is_err());
        // one line per series and architecture
        assert!(parse_list(&format!("{ok}{ok}")).is_err());
    }

    #[test]
    fn the_series_of_a_version() {
        assert_eq!(major_minor("6.1").as_deref(), Some("6.1"));
        assert_eq!(major_minor("6.1.0-57-cloud-amd64").as_deref(), Some("6.1"));
        assert_eq!(major_minor("6.12.118+deb12-cloud-arm64").as_deref(), Some("6.12"));
        assert_eq!(major_minor("7.3.4+deb13-cloud-amd64").as_deref(), Some("7.3"));
        assert_eq!(major_minor("cloud-amd64"), None);
        assert_eq!(major_minor("6-1"), None);
    }

    #[test]
    fn a_pin_replaces_the_line_of_its_architecture_and_series() {
        let list = parse_list(include_str!("../../tests/kernels.txt")).unwrap();
        let line = |pin: &str| line_of_pin(pin, &list).map(|k| k.name());
        assert_eq!(line("linux-image-6.1.0-56-cloud-amd64").unwrap(), "6.1-x86_64");
        assert_eq!(line("linux-image-6.12.117+deb12-cloud-arm64").unwrap(), "6.12-arm64");
        assert_eq!(line("linux-image-5.10.0-46-cloud-amd64").unwrap(), "5.10-x86_64");
        // any other series is the newest line's
        assert_eq!(line("linux-image-7.2.12+deb13-cloud-arm64").unwrap(), "newest-arm64");
        assert!(line("linux-image-cloud-amd64").is_err());
        assert!(line("linux-binary-7.3.4+deb13-cloud-amd64").is_err());
        assert!(line("linux-image-7.3.4+deb13-cloud-riscv64").is_err());
    }

    #[test]
    fn the_reviewed_list_parses() {
        let list = parse_list(include_str!("../../tests/kernels.txt")).unwrap();
        for arch in Arch::ALL {
            assert_eq!(list.iter().filter(|k| k.arch == arch && k.vmlinux_h).count(), 1, "{arch:?}");
            assert!(list.iter().any(|k| k.arch == arch && k.series == NEWEST), "{arch:?}");
        }
    }
}
