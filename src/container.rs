//! Containers as the cgroup v2 hierarchy names them: which container and
//! Kubernetes pod a cgroup path belongs to (the runtimes' usual layouts,
//! below), the cgroup of a container given by a unique id prefix
//! (--container), and the names of a cgroup id seen in an event, resolved
//! here in user space and cached per id (JSON container_id and pod_uid).
//!
//! Layouts (one path component each; the last one that names a container
//! wins, the first `pod<uid>` names the pod):
//! - docker: `docker-<id>.scope` (systemd), `/docker/<id>` (cgroupfs);
//! - containerd: `cri-containerd-<id>.scope`;
//! - CRI-O: `crio-<id>.scope`;
//! - podman: `libpod-<id>.scope` (systemd), `libpod-<id>` (cgroupfs);
//! - Kubernetes: `kubepods…/pod<uid>/<id>` (cgroupfs driver) and
//!   `kubepods-…-pod<uid with _ for ->.slice` (systemd driver).
//!
//! A container id is 64 hexadecimal digits, as every one of these runtimes
//! makes them; the `-conmon-` scopes of podman and CRI-O are their monitors,
//! not the container.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a cgroup path says of its container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub container_id: Option<String>,
    pub pod_uid: Option<String>,
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The container id one path component names, if any.
fn container_of_component(c: &str) -> Option<&str> {
    let c = c.strip_suffix(".scope").unwrap_or(c);
    for prefix in ["docker-", "cri-containerd-", "crio-", "libpod-", ""] {
        if let Some(id) = c.strip_prefix(prefix) {
            if is_container_id(id) {
                return Some(id);
            }
        }
    }
    None
}

/// The pod uid one path component names: `pod<uid>` (cgroupfs driver) or
/// `kubepods-<qos>-pod<uid_with_underscores>.slice` (systemd driver).
fn pod_of_component(c: &str) -> Option<String> {
    let c = c.strip_suffix(".slice").unwrap_or(c);
    let at = c.rfind("pod")?;
    if at > 0 && !c[..at].ends_with('-') {
        return None;
    }
    if at > 0 && !c.starts_with("kubepods") {
        return None;
    }
    let uid = c[at + 3..].replace('_', "-");
    let ok = uid.len() == 36
        && uid.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    ok.then_some(uid)
}

/// What a cgroup path (absolute, or relative to the hierarchy's root) says
/// of its container and pod.
pub fn names_of_path(path: &Path) -> Names {
    let mut names = Names::default();
    for c in path.iter().filter_map(|c| c.to_str()) {
        if let Some(id) = container_of_component(c) {
            names.container_id = Some(id.to_string());
        }
        if names.pod_uid.is_none() {
            names.pod_uid = pod_of_component(c);
        }
    }
    names
}

/// Every directory of the cgroup v2 hierarchy at `root`, with its id (the
/// directory's inode number, which is the kernel's cgroup id).
fn walk(root: &Path) -> Vec<(u64, PathBuf)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        if let Ok(meta) = std::fs::metadata(&dir) {
            out.push((meta.ino(), dir.clone()));
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                todo.push(entry.path());
            }
        }
    }
    out
}

/// The cgroup of the container whose id starts with `prefix`, under the
/// cgroup v2 hierarchy at `root`: the topmost directory naming it (its
/// descendants are the container's too). Errors name what went wrong in one
/// line: no such container, or a prefix that several containers share.
pub fn find(root: &Path, prefix: &str) -> Result<PathBuf, String> {
    let wanted = prefix.to_ascii_lowercase();
    if wanted.is_empty() || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) || wanted.len() > 64 {
        return Err(format!("--container {prefix}: a container id is 1 to 64 hexadecimal digits"));
    }
    let mut found: HashMap<String, PathBuf> = HashMap::new();
    for (_, dir) in walk(root) {
        let rel = dir.strip_prefix(root).unwrap_or(&dir);
        let Some(id) = rel.iter().filter_map(|c| c.to_str()).filter_map(container_of_component).next() else {
            continue;
        };
        if !id.starts_with(&wanted) {
            continue;
        }
        let shorter = found.get(id).map_or(true, |p| dir.components().count() < p.components().count());
        if shorter {
            found.insert(id.to_string(), dir);
        }
    }
    match found.len() {
        0 => Err(format!(
            "--container {prefix}: no container with that id has a cgroup under {} (docker, containerd, CRI-O, \
             podman and Kubernetes layouts are known)",
            root.display()
        )),
        1 => Ok(found.into_values().next().expect("one")),
        n => {
            let mut ids: Vec<&str> = found.keys().map(|k| &k[..12]).collect();
            ids.sort_unstable();
            Err(format!("--container {prefix}: {n} containers start with it ({}): give more digits", ids.join(", ")))
        }
    }
}

/// A cgroup id's names, resolved by walking the hierarchy once per unknown
/// id (at most once a second), and cached.
pub struct Resolver {
    root: Option<PathBuf>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    known: HashMap<u64, Names>,
    last_walk: Option<Instant>,
}

/// How often an unknown id may cause a walk of the hierarchy.
const REWALK: Duration = Duration::from_secs(1);

impl Resolver {
    pub fn new() -> Resolver {
        Resolver { root: crate::sys::cgroup2_mount(), state: Mutex::new(State::default()) }
    }

    /// The names of cgroup `id` (default: none known, or 0: no cgroup).
    pub fn names(&self, id: u64) -> Names {
        let Some(root) = self.root.as_deref().filter(|_| id != 0) else { return Names::default() };
        let Ok(mut state) = self.state.lock() else { return Names::default() };
        if let Some(n) = state.known.get(&id) {
            return n.clone();
        }
        if state.last_walk.map_or(true, |t| t.elapsed() >= REWALK) {
            state.last_walk = Some(Instant::now());
            for (ino, dir) in walk(root) {
                let names = names_of_path(dir.strip_prefix(root).unwrap_or(&dir));
                state.known.insert(ino, names);
            }
        }
        state.known.get(&id).cloned().unwrap_or_default()
    }
}

impl Resolver {
    /// A resolver that knows these ids and walks nothing (renderers' tests).
    #[cfg(test)]
    pub fn fixed(known: &[(u64, Names)]) -> Resolver {
        let state = State { known: known.iter().cloned().collect(), last_walk: Some(Instant::now()) };
        Resolver { root: Some(PathBuf::from("/nonexistent")), state: Mutex::new(state) }
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").field("root", &self.root).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4c1b3e5f2a6d7c8b9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f";
    const POD: &str = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";

    fn names(path: &str) -> (Option<String>, Option<String>) {
        let n = names_of_path(Path::new(path));
        (n.container_id, n.pod_uid)
    }

    #[test]
    fn every_runtime_layout_names_its_container() {
        let id = Some(ID.to_string());
        for path in [
            format!("/system.slice/docker-{ID}.scope"),
            format!("/docker/{ID}"),
            format!("/system.slice/cri-containerd-{ID}.scope"),
            format!("/machine.slice/crio-{ID}.scope"),
            format!("/machine.slice/libpod-{ID}.scope"),
            format!("/machine.slice/libpod-{ID}.scope/container"),
            format!("/libpod_parent/libpod-{ID}"),
        ] {
            assert_eq!(names(&path), (id.clone(), None), "{path}");
        }
    }

    #[test]
    fn kubernetes_paths_name_the_pod_and_the_container() {
        let pod_systemd = POD.replace('-', "_");
        let want = (Some(ID.to_string()), Some(POD.to_string()));
        assert_eq!(names(&format!("/kubepods/burstable/pod{POD}/{ID}")), want);
        assert_eq!(names(&format!("/kubepods/pod{POD}/{ID}")), want);
        assert_eq!(
            names(&format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{pod_systemd}.slice/\
                 cri-containerd-{ID}.scope"
            )),
            want
        );
        assert_eq!(names(&format!("/kubepods.slice/kubepods-pod{pod_systemd}.slice/crio-{ID}.scope")), want);
        // The pod's own cgroup: a pod, no container.
        assert_eq!(names(&format!("/kubepods/besteffort/pod{POD}")), (None, Some(POD.to_string())));
    }

    #[test]
    fn other_paths_name_nothing() {
        for path in [
            "/",
            "/user.slice/user-0.slice/session-1.scope",
            "/system.slice/docker.service",
            "/docker/abc",
            &format!("/machine.slice/libpod-conmon-{ID}.scope"),
            &format!("/machine.slice/crio-conmon-{ID}.scope"),
            &format!("/podcast/{}", &ID[..36]),
            &format!("/docker/{}", ID.to_uppercase()),
        ] {
            assert_eq!(names(path), (None, None), "{path}");
        }
    }

    #[test]
    fn find_takes_a_unique_prefix_and_the_topmost_directory() {
        let root = std::env::temp_dir().join(format!("argtrace-container-find-{}", std::process::id()));
        let other = format!("4c1b{}", "0".repeat(60));
        for dir in [
            format!("machine.slice/libpod-{ID}.scope/container"),
            format!("machine.slice/libpod-{other}.scope"),
            "system.slice/cron.service".to_string(),
        ] {
            std::fs::create_dir_all(root.join(dir)).expect("make the tree");
        }
        let found = find(&root, &ID[..6]);
        let ambiguous = find(&root, "4c1b");
        let missing = find(&root, "ffff");
        let bad = find(&root, "xyz");
        std::fs::remove_dir_all(&root).expect("remove the tree");
        assert_eq!(found, Ok(root.join(format!("machine.slice/libpod-{ID}.scope"))));
        assert_eq!(
            ambiguous,
            Err("--container 4c1b: 2 containers start with it (4c1b00000000, 4c1b3e5f2a6d): give more digits".into())
        );
        assert!(missing.unwrap_err().starts_with("--container ffff: no container with that id"));
        assert_eq!(bad, Err("--container xyz: a container id is 1 to 64 hexadecimal digits".into()));
    }
}
