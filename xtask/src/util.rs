// Small helpers shared by the xtask commands: where things live (workspace, cache),
// running external programs with readable errors, and the shared install script.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Errors are plain messages: xtask prints them as `xtask: <message>` and exits 1.
pub type Result<T> = std::result::Result<T, String>;

/// Adds what was being done to an error message, like anyhow's `context`.
pub trait Context<T> {
    fn context(self, what: impl Display) -> Result<T>;
}

impl<T, E: Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// The workspace root (the directory holding the root Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `${XDG_CACHE_HOME:-$HOME/.cache}/argtrace`: outside the repository, so that kernels
/// and guest images survive a fresh clone (CI) and never end up in a commit.
pub fn cache_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
            PathBuf::from(home).join(".cache")
        }
    };
    Ok(base.join("argtrace"))
}

/// How a command is shown in messages: program and arguments, space separated.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs a command with inherited stdout/stderr; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().context(format!("cannot run `{}`", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

/// Runs a command and returns its stdout; stderr is shown only when it fails.
pub fn output(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd.stdin(Stdio::null()).output().context(format!("cannot run `{}`", show(cmd)))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!("`{}` failed ({}):\n{}", show(cmd), out.status, String::from_utf8_lossy(&out.stderr).trim_end()))
    }
}

/// Like `output`, decoded as UTF-8 and trimmed.
pub fn output_string(cmd: &mut Command) -> Result<String> {
    let out = output(cmd)?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Calls a function of scripts/deps.sh (the one place that knows how to install things).
pub fn deps(function: &str, args: &[&str]) -> Result<()> {
    let script = workspace_root().join("scripts/deps.sh");
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(format!(". \"$0\" && {function} \"$@\"")).arg(&script).args(args);
    run(&mut cmd).map_err(|e| format!("installing what is missing: {e}"))
}

/// Writes a file atomically: a reader (or an interrupted run) never sees half of it.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, data).context(format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).context(format!("renaming {} into place", tmp.display()))
}
