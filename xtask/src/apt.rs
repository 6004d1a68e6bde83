// A private apt state for a set of Debian suites (e.g. bookworm + bookworm-security, or
// trixie-backports): its own sources.list, package lists and cache under
// <cache>/apt-<suites>/, so that each kernel is resolved from its own suite's lists and the
// machine's apt sources are neither used nor changed. Only std: apt-get and apt-cache do
// the work.

use crate::util::{cache_dir, output, show, Context, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The suite sets whose lists this process has already refreshed (once per run is enough).
static UPDATED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// One private apt source: the suites, where its state lives, and the `-o` options that
/// point apt-get and apt-cache at it.
pub struct Apt {
    pub suites: Vec<String>,
    dir: PathBuf,
    args: Vec<String>,
}

impl Apt {
    /// Sets up (or reuses) the state directory of `suites`; reads nothing from the network.
    pub fn open(suites: &[String]) -> Result<Apt> {
        let dir = cache_dir()?.join(format!("apt-{}", suites.join("+")));
        for sub in ["lists/partial", "cache/archives/partial"] {
            fs::create_dir_all(dir.join(sub)).context(format!("creating {}", dir.display()))?;
        }
        let list = dir.join("sources.list");
        let text: String = suites.iter().map(|suite| source_line(suite)).collect();
        if fs::read_to_string(&list).ok().as_deref() != Some(text.as_str()) {
            fs::write(&list, &text).context(format!("writing {}", list.display()))?;
        }
        let opts = [
            format!("Dir::Etc::SourceList={}", list.display()),
            "Dir::Etc::SourceParts=/nonexistent".to_string(),
            format!("Dir::State::Lists={}", dir.join("lists").display()),
            format!("Dir::Cache={}", dir.join("cache").display()),
            // Docker-style machines switch the binary cache off; with it each apt-cache
            // call parses tens of megabytes of lists again.
            "Dir::Cache::pkgcache=pkgcache.bin".to_string(),
            "Dir::Cache::srcpkgcache=".to_string(),
            // Kernels of both architectures, whatever dpkg's foreign architectures are.
            "APT::Architectures::=amd64".to_string(),
            "APT::Architectures::=arm64".to_string(),
            // Only the Packages lists: no translations, no AppStream metadata.
            "Acquire::Languages=none".to_string(),
            "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false".to_string(),
            // As root, apt would drop to the _apt user, who cannot write the cache directory.
            "APT::Sandbox::User=root".to_string(),
        ];
        let args = opts.iter().flat_map(|o| ["-o".to_string(), o.clone()]).collect();
        Ok(Apt { suites: suites.to_vec(), dir, args })
    }

    /// `apt-get update`, once per run and suite set. Debian replaces kernel packages with
    /// every security update, so the lists are always refreshed; when that fails (offline)
    /// but lists from an earlier run exist, they are used, with a warning.
    pub fn update(&self) -> Result<()> {
        let key = self.suites.join("+");
        let mut updated = UPDATED.lock().unwrap();
        if updated.contains(&key) {
            return Ok(());
        }
        let have_lists = self.has_lists();
        let started = Instant::now();
        let result = loop {
            let result = output(Command::new("apt-get").arg("-qq").args(&self.args).arg("update"));
            // Another run refreshing the same lists holds apt's lock: wait for it.
            match result {
                Err(e) if e.contains("Could not get lock") && started.elapsed() < Duration::from_secs(120) => {
                    std::thread::sleep(Duration::from_secs(2))
                }
                other => break other,
            }
        };
        match result {
            Ok(_) => eprintln!("xtask: {} package lists refreshed in {:.1?}", key, started.elapsed()),
            Err(e) if have_lists => {
                eprintln!("xtask: warning: cannot refresh the {key} package lists, using the last ones: {e}")
            }
            Err(e) => return Err(format!("cannot fetch the {key} package lists: {e}")),
        }
        updated.insert(key);
        Ok(())
    }

    fn has_lists(&self) -> bool {
        let lists = self.dir.join("lists");
        fs::read_dir(lists)
            .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().contains("_Packages"))))
    }

    /// The candidate stanza of each `package:arch`, in the order asked, from one apt-cache
    /// call; a package the lists lack is an error naming it.
    pub fn show(&self, specs: &[String]) -> Result<Vec<Stanza>> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = Command::new("apt-cache");
        cmd.args(&self.args).args(["show", "--no-all-versions"]).args(specs);
        // Not `output`: apt-cache fails when any package is unknown, yet prints the others.
        let out = cmd.stdin(Stdio::null()).output().context(format!("cannot run `{}`", show(&cmd)))?;
        let stanzas = parse_stanzas(&String::from_utf8_lossy(&out.stdout));
        specs
            .iter()
            .map(|spec| {
                let (name, arch) = spec.split_once(':').unwrap_or((spec, "amd64"));
                stanzas
                    .iter()
                    .find(|s| {
                        s.get("Package") == Some(name)
                            && matches!(s.get("Architecture"), Some(a) if a == arch || a == "all")
                    })
                    .cloned()
                    .ok_or(format!(
                        "{spec} is not in the {} package lists ({})",
                        self.suites.join(" + "),
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
            })
            .collect()
    }

    /// `apt-get download <spec>` into `dir` (the spec may carry `=<version>`).
    pub fn download(&self, spec: &str, dir: &Path) -> Result<()> {
        output(Command::new("apt-get").arg("-q").args(&self.args).args(["download", spec]).current_dir(dir)).map(|_| ())
    }
}

fn source_line(suite: &str) -> String {
    // Security updates live in their own archive; every other suite in the main one.
    let archive = if suite.ends_with("-security") { "debian-security" } else { "debian" };
    format!("deb [arch=amd64,arm64 signed-by={KEYRING}] http://deb.debian.org/{archive} {suite} main\n")
}

/// One package's control stanza (`apt-cache show`, `dpkg-deb -f`).
#[derive(Clone, Debug, Default)]
pub struct Stanza {
    fields: Vec<(String, String)>,
}

impl Stanza {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The names in `Depends`, each alternative's first choice, without version or arch.
    pub fn depends(&self) -> Vec<String> {
        self.get("Depends")
            .unwrap_or("")
            .split(',')
            .filter_map(|dep| {
                let first = dep.split('|').next()?.trim();
                let name = first.split([' ', '(']).next()?.split(':').next()?;
                (!name.is_empty()).then(|| name.to_string())
            })
            .collect()
    }
}

/// Control stanzas, separated by blank lines; continuation lines (leading space) are
/// joined to their field.
pub fn parse_stanzas(text: &str) -> Vec<Stanza> {
    let mut stanzas = Vec::new();
    let mut current = Stanza::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                stanzas.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.fields.push((name.to_string(), value.trim().to_string()));
        }
    }
    if !current.fields.is_empty() {
        stanzas.push(current);
    }
    stanzas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_and_their_dependencies() {
        let text = "Package: linux-image-7.3.4+deb13-cloud-amd64\n\
            Version: 7.3.4-1~bpo13+1\n\
            Depends: dracut | initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool, \
            linux-base-7.3.4+deb13-cloud-amd64 (= 7.3.4-1~bpo13+1), linux-binary-7.3.4+deb13-cloud-amd64 (= 7.3.4-1~bpo13+1)\n\
            Description: Linux 7.3.4\n the long part\n\
            \n\
            Package: linux-image-cloud-arm64\n\
            Depends: linux-image-6.1.0-57-cloud-arm64:arm64 (= 6.1.192-3)\n";
        let stanzas = parse_stanzas(text);
        assert_eq!(stanzas.len(), 2);
        assert_eq!(stanzas[0].get("version"), Some("7.3.4-1~bpo13+1"));
        assert_eq!(stanzas[0].get("Description"), Some("Linux 7.3.4\nthe long part"));
        assert_eq!(
            stanzas[0].depends(),
            ["dracut", "linux-base-7.3.4+deb13-cloud-amd64", "linux-binary-7.3.4+deb13-cloud-amd64"]
        );
        assert_eq!(stanzas[1].depends(), ["linux-image-6.1.0-57-cloud-arm64"]);
    }

    #[test]
    fn security_suites_come_from_their_own_archive() {
        assert!(source_line("bookworm-security").contains("/debian-security bookworm-security main"));
        assert!(source_line("trixie-backports").contains("/debian trixie-backports main"));
    }
}
