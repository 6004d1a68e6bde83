//! The Debian package (issue 20, item 5): scripts/deb.sh builds it with cargo-deb, `dpkg -i`
//! installs it on this machine, and what it holds works from where Debian puts it: the binary in
//! /usr/bin (its version, and a real trace of a command), the man page through `man`, the bash
//! completion through bash-completion's loader (subcommands and options), and the zsh and fish
//! completions parse. `dpkg -r` then leaves the machine as it was, also when a check fails. The
//! arm64 package is built from the cross build and its contents checked (not installed).
//!
//! It installs a package on the machine, so a plain `cargo test` never runs it (Cargo.toml:
//! `test = false`); scripts/test.sh runs it by name, as root: `cargo test --test package`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const BIN: &str = "/usr/bin/argtrace";

/// What the package must hold, besides /usr/share/doc's files.
const FILES: [&str; 5] = [
    "/usr/bin/argtrace",
    "/usr/share/man/man1/argtrace.1.gz",
    "/usr/share/bash-completion/completions/argtrace",
    "/usr/share/zsh/vendor-completions/_argtrace",
    "/usr/share/fish/vendor_completions.d/argtrace.fish",
];

fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` and returns its stdout; panics with its stderr unless it exits 0.
fn ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{cmd:?} printed non-UTF-8: {e}"))
}

fn bash(script: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.current_dir(ROOT).args(["-c", script]);
    cmd
}

/// scripts/deb.sh's .deb: the last line of its stdout.
fn build_deb(args: &[&str]) -> PathBuf {
    let out = ok(Command::new(Path::new(ROOT).join("scripts/deb.sh")).current_dir(ROOT).args(args));
    let deb = PathBuf::from(out.lines().last().unwrap_or_default().trim());
    assert!(deb.is_file(), "scripts/deb.sh {args:?} printed {out:?}, not the path of a .deb");
    deb
}

/// dpkg's status of the argtrace package ("" when it is not installed).
fn installed_version() -> String {
    let out = output(Command::new("dpkg-query").args(["-W", "-f=${db:Status-Abbrev}${Version}", "argtrace"]));
    let text = String::from_utf8_lossy(&out.stdout);
    text.strip_prefix("ii ").map(str::to_string).unwrap_or_default()
}

/// Removes the package when dropped (the test's end, or a failed check), unless it was
/// installed before the test: then the machine had it and keeps it.
struct Installed {
    remove: bool,
}

impl Drop for Installed {
    fn drop(&mut self) {
        if !self.remove {
            return;
        }
        let out = output(Command::new("dpkg").args(["-r", "argtrace"]));
        if !out.status.success() {
            eprintln!("package: dpkg -r argtrace failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        if Path::new(BIN).exists() && !std::thread::panicking() {
            panic!("{BIN} is still there after dpkg -r argtrace");
        }
    }
}

/// The file list of a .deb, without directories, as absolute paths.
fn contents(deb: &Path) -> Vec<String> {
    ok(Command::new("dpkg-deb").arg("--contents").arg(deb))
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}

fn field(deb: &Path, name: &str) -> String {
    ok(Command::new("dpkg-deb").arg("--field").arg(deb).arg(name)).trim().to_string()
}

/// The package's control fields and files, the same for every architecture.
fn check_deb(deb: &Path, arch: &str, libelf: &str) {
    assert_eq!(field(deb, "Package"), "argtrace", "{}", deb.display());
    assert_eq!(field(deb, "Architecture"), arch, "{}", deb.display());
    assert_eq!(field(deb, "Version"), format!("{VERSION}-1"), "{}: the crate's version", deb.display());
    let depends = field(deb, "Depends");
    for lib in [libelf, "zlib1g", "libc6"] {
        assert!(
            depends.split(", ").any(|d| d.starts_with(&format!("{lib} ")) || d == lib),
            "{}: Depends ({depends}) lacks {lib}",
            deb.display()
        );
    }
    for f in ["Maintainer", "Description", "Section"] {
        assert!(!field(deb, f).is_empty(), "{}: no {f}", deb.display());
    }
    let files = contents(deb);
    for f in FILES.iter().chain(&["/usr/share/doc/argtrace/copyright"]) {
        assert!(files.iter().any(|p| p == f), "{} lacks {f}; it holds {files:?}", deb.display());
    }
}

/// The candidates bash-completion offers for `line` (the word under the cursor is its last,
/// possibly empty), with the completion loaded the way an interactive shell loads it: by
/// bash-completion's loader from /usr/share/bash-completion/completions/argtrace.
fn bash_complete(line: &str) -> Vec<String> {
    let script = format!(
        r#"set -e
. /usr/share/bash-completion/bash_completion
__load_completion argtrace
spec=$(complete -p argtrace)
[[ $spec == *" -F "* ]] || {{ echo "no completion function: $spec" >&2; exit 1; }}
fn=${{spec#* -F }}; fn=${{fn%% *}}
COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMPREPLY=()
set +e  # a completion function's status means nothing (compgen's 1 for no match)
"$fn" argtrace "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    ok(&mut bash(&script)).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn the_deb_installs_and_its_binary_man_page_and_completions_work() {
    assert_eq!(unsafe { libc::geteuid() }, 0, "the package test installs a .deb: run it as root");
    // What the checks use: man-db, bash-completion, zsh, fish (scripts/deps.sh).
    ok(&mut bash(". scripts/deps.sh && deps_package_test"));

    let deb = build_deb(&[]);
    check_deb(&deb, "amd64", "libelf1");

    let before = installed_version();
    if before.is_empty() {
        let owner = output(Command::new("dpkg-query").args(["-S", BIN]));
        assert!(
            !Path::new(BIN).exists() || owner.status.success(),
            "{BIN} exists and no package owns it: the test would replace it, move it away first"
        );
    } else {
        eprintln!("package: argtrace {before} was installed before the test: it stays installed (now this build)");
    }
    let _installed = Installed { remove: before.is_empty() };
    // A machine whose dpkg excludes /usr/share/man (a minimal container image's dpkg.cfg.d)
    // still gets the man page, so that `man argtrace` can be checked there too.
    ok(Command::new("dpkg").arg("--path-include=/usr/share/man/man1/argtrace.1.gz").arg("-i").arg(&deb));
    assert_eq!(installed_version(), format!("{VERSION}-1"), "dpkg -i {}", deb.display());
    for f in FILES {
        assert!(Path::new(f).is_file(), "{f} is not there after dpkg -i {}", deb.display());
    }

    // The binary: its version, and a real trace with the exit status the traced command chose.
    assert_eq!(ok(Command::new(BIN).arg("--version")).trim(), format!("argtrace {VERSION}"), "{BIN} --version");
    let out = output(Command::new(BIN).args(["syscall", "-e", "trace=exit_group", "--", "sh", "-c", "exit 7"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{BIN} syscall -- sh -c 'exit 7': {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.lines().any(|l| l.ends_with("exit_group(7) = ?")),
        "{BIN} syscall -e trace=exit_group -- sh -c 'exit 7' printed no exit_group(7) line:\n{stdout}"
    );

    // The man page, found by man itself in /usr/share/man, rendered without groff warnings.
    assert_eq!(ok(Command::new("man").args(["-w", "argtrace"])).trim(), FILES[1], "man -w argtrace");
    let man = output(Command::new("man").args(["--warnings", "argtrace"]).env("MANWIDTH", "80").env("MANPAGER", "cat"));
    // Justified text: compare with single spaces.
    let text = String::from_utf8_lossy(&man.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    let warnings = String::from_utf8_lossy(&man.stderr);
    assert!(man.status.success(), "man argtrace failed ({}): {warnings}", man.status);
    assert!(warnings.trim().is_empty(), "man --warnings argtrace warns:\n{warnings}");
    assert!(text.contains("argtrace - trace, live and decoded"), "man argtrace shows no NAME section:\n{text}");
    for needle in [format!("argtrace {VERSION}"), "/usr/share/bash-completion/completions/argtrace".into()] {
        assert!(text.contains(&needle), "man argtrace does not show {needle:?}:\n{text}");
    }

    // bash: subcommands, a subcommand's own options, the common ones, an option's values.
    assert_eq!(bash_complete("argtrace sy"), ["syscall"], "argtrace sy<TAB>");
    assert_eq!(bash_complete("argtrace syscall --str"), ["--string-limit"], "argtrace syscall --str<TAB>");
    assert_eq!(bash_complete("argtrace tcp-"), ["tcp-connect", "tcp-send"], "argtrace tcp-<TAB>");
    assert_eq!(bash_complete("argtrace mmap --follow"), ["--follow-forks"], "argtrace mmap --follow<TAB>");
    let probes = bash_complete("argtrace mmap --probe ");
    for mode in ["auto", "fentry", "kprobe", "tracepoint"] {
        assert!(probes.iter().any(|p| p == mode), "argtrace mmap --probe <TAB> offers {probes:?}, not {mode}");
    }
    let all = bash_complete("argtrace ");
    for s in ["clone", "mmap", "tcp-connect", "sock", "tcp-send", "skb", "syscall"] {
        assert!(all.iter().any(|c| c == s), "argtrace <TAB> offers {all:?}, not {s}");
    }

    // After `--` the words are the traced command's: bash offers none of argtrace's there (its
    // -o default then completes file names), zsh completes a command with its arguments.
    assert_eq!(bash_complete("argtrace syscall -- l"), Vec::<String>::new(), "argtrace syscall -- l<TAB>");
    let zsh = std::fs::read_to_string(FILES[3]).unwrap_or_else(|e| panic!("{}: {e}", FILES[3]));
    assert!(zsh.contains("'*::run -- The command to start and trace, after --:_cmdambivalent'"), "{}", FILES[3]);

    // zsh and fish: their files parse, and name the subcommands.
    ok(Command::new("zsh").args(["-n", FILES[3]]));
    ok(Command::new("fish").args(["--no-execute", FILES[4]]));
    for f in &FILES[3..] {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(text.contains("tcp-connect") && text.contains("string-limit"), "{f} lacks subcommands or options");
    }

    // arm64: the same package from the cross build (scripts/test.sh's arm64 build), not installed.
    check_deb(&build_deb(&["--arch", "arm64"]), "arm64", "libelf1");
}
