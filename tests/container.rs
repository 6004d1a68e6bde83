//! The container image and the DaemonSet on this machine's podman (issue 20's
//! "a real container" and "DaemonSet" proofs; docs/fleet.md):
//!
//! 1. scripts/image.sh builds localhost/argtrace:<tag> (FROM scratch, the static
//!    binary), and a workload image is imported from Debian's busybox-static;
//! 2. a workload container truncates a file to a length it chose, over and over,
//!    while a host process truncates another file to another length: the host's
//!    `argtrace syscall --container <12 digits>` sees exactly the container's
//!    calls (its length, its full container id, its cgroup's inode as cgroup_id)
//!    and none of the host's;
//! 3. the image's argtrace, run in its container with KERNEL-LAB.md's flags
//!    (privileged, host pid namespace), sees a host process's call (its pid, its
//!    length, no container) and the workload's (its cgroup id; its container id
//!    only where the host's cgroup hierarchy is mounted in the container, as the
//!    DaemonSet does); with the DaemonSet's own privileges instead (CAP_BPF and
//!    CAP_PERFMON only, seccomp unconfined, read-only root) the same, every
//!    JSON line valid against schema/argtrace.schema.json, while
//!    podman's default seccomp profile makes the run fail (exit 5): why the
//!    manifest asks for Unconfined;
//! 4. deploy/daemonset.yaml parses (python3's yaml), has what the docs say, and
//!    its pod form runs under `podman kube play` and sees a host process's call
//!    and the workload's, named by its container id.
//!
//! Every container, pod and image made here is removed at the end, failed or not
//! (podman's pause image too, when `kube play` built it).
//! A podman that cannot start a container fails the test with one line saying why.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use argtrace_testkit::tracing::spawn_tracing;
use serde_json::Value;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// podman's global flags for this machine (KERNEL-LAB.md): its hybrid cgroup
/// layout wants the cgroupfs manager and runc (crun refuses it).
const GLOBAL: [&str; 3] = ["--cgroup-manager=cgroupfs", "--runtime", "runc"];
/// Run flags every container here needs: the machine's rlimits cannot be raised.
const ULIMITS: [&str; 4] = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
const BUSYBOX: &str = "/bin/busybox";

fn podman() -> Command {
    let mut cmd = Command::new("podman");
    cmd.args(GLOBAL);
    cmd
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The last line a command wrote that is not empty: its one-line reason.
fn last_line(out: &Output) -> String {
    text(out).lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").to_string()
}

/// Runs podman with `args`; its stdout, or a panic with its output.
fn podman_ok(args: &[&str]) -> String {
    let out = podman().args(args).stdin(Stdio::null()).output().expect("run podman");
    assert!(out.status.success(), "podman {args:?} failed: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What this test made, removed when it ends (also when it fails).
#[derive(Default)]
struct Made {
    containers: Vec<String>,
    kube: Vec<PathBuf>,
    images: Vec<String>,
    dirs: Vec<PathBuf>,
    /// Whether podman's pause image (built by `kube play` for a pod's infra
    /// container) was there before; if not, it goes too.
    pause_was_there: bool,
}

/// The ids of podman's pause images (`localhost/podman-pause:<podman version>`).
fn pause_images() -> Vec<String> {
    let out = podman()
        .args(["images", "-q", "--filter", "reference=localhost/podman-pause"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(String::from).collect()).unwrap_or_default()
}

impl Drop for Made {
    fn drop(&mut self) {
        let quiet = |args: &[&str]| {
            let _ = podman().args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status();
        };
        for c in &self.containers {
            quiet(&["rm", "-f", "-t", "0", c]);
        }
        for k in &self.kube {
            quiet(&["kube", "down", &k.to_string_lossy()]);
        }
        let mut images = self.images.clone();
        if !self.pause_was_there {
            images.extend(pause_images());
        }
        for i in &images {
            quiet(&["rmi", "-f", i]);
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A host process (busybox, exec'd from here: not in any container) truncating
/// `file` to `len`; its pid.
fn host_truncate(file: &Path, len: u64) -> u32 {
    let mut child = Command::new(BUSYBOX)
        .args(["truncate", "-s", &len.to_string()])
        .arg(file)
        .spawn()
        .unwrap_or_else(|e| panic!("{BUSYBOX}: {e} (Debian's busybox-static)"));
    let pid = child.id();
    assert!(child.wait().expect("wait busybox").success(), "busybox truncate failed");
    assert_eq!(std::fs::metadata(file).expect("the truncated file").len(), len, "the host call happened");
    pid
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|v: &Value| v.get("event").is_some())
        .collect()
}

fn length(e: &Value) -> Option<u64> {
    e["args"]["length"].as_u64()
}

/// The cgroup v2 directory of process `pid`: the hierarchy's mount joined
/// with /proc/PID/cgroup's `0::` path.
fn cgroup_dir(pid: &str) -> PathBuf {
    let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    let root = mounts
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.get(2) == Some(&"cgroup2")).then(|| f[1].to_string())
        })
        .expect("a cgroup v2 hierarchy is mounted");
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("/proc/PID/cgroup");
    let rel = cgroup.lines().find_map(|l| l.strip_prefix("0::")).expect("a 0:: line");
    Path::new(&root).join(rel.trim_start_matches('/'))
}

/// Runs the argtrace command line `cmd` (anything that ends with argtrace's own
/// stderr, e.g. `podman run ... IMAGE`), waits for it to trace, calls `during`,
/// then waits until its JSON events so far satisfy `enough` (at most 30 s: a
/// busy machine is slow, and the checks after say what is missing), stops it
/// with SIGINT and returns its exit code, stdout and stderr.
fn trace_around(
    cmd: &mut Command,
    during: impl FnOnce(),
    enough: impl Fn(&[Value]) -> bool,
) -> (Option<i32>, String, String) {
    let out_file = tempfile_path("out");
    let out = std::fs::File::create(&out_file).expect("create the output file");
    let mut t = spawn_tracing(cmd.stdin(Stdio::null()).stdout(out), Duration::from_secs(90))
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    during();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        // Whole lines only: argtrace may be writing the next one.
        let so_far = std::fs::read_to_string(&out_file).unwrap_or_default();
        if enough(&json_lines(&so_far[..so_far.rfind('\n').map_or(0, |i| i + 1)])) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    argtrace_testkit::process::signal(t.pid(), libc::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = t.child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = t.child.kill();
            panic!("{cmd:?} did not end within 30 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = t.stderr_lines(Duration::from_secs(5)).join("\n");
    let stdout = std::fs::read_to_string(&out_file).expect("read the output file");
    let _ = std::fs::remove_file(&out_file);
    (status.code(), stdout, stderr)
}

fn tempfile_path(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "argtrace-container-{}-{what}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ))
}

/// Fails the test with one line when podman cannot start a container here.
fn assert_podman_runs(image: &str) {
    let out = podman()
        .args(["run", "--rm"])
        .args(ULIMITS)
        .args([image, BUSYBOX, "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("podman cannot start a container here: podman: {e}"));
    if !out.status.success() {
        panic!("podman cannot start a container here (podman {} run ...): {}", GLOBAL.join(" "), last_line(&out));
    }
}

/// Python: deploy/daemonset.yaml's documents as JSON (python3-yaml parses it).
fn daemonset_documents() -> Vec<Value> {
    let out = Command::new("python3")
        .args(["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"])
        .arg(Path::new(REPO).join("deploy/daemonset.yaml"))
        .output()
        .expect("run python3");
    assert!(out.status.success(), "deploy/daemonset.yaml does not parse: {}", text(&out));
    serde_json::from_slice::<Value>(&out.stdout).expect("JSON").as_array().expect("a list").clone()
}

#[test]
fn image_container_scoping_and_daemonset() {
    let started = Instant::now();
    let me = std::process::id() as u64;
    let mut made = Made::default();
    made.pause_was_there = !pause_images().is_empty();
    let scratch = tempfile_path("dir");
    std::fs::create_dir_all(scratch.join("rootfs/bin")).expect("scratch dir");
    std::fs::create_dir_all(scratch.join("rootfs/tmp")).expect("scratch dir");
    made.dirs.push(scratch.clone());

    // 1. The images.
    let tag = format!("test-{me}");
    let out = Command::new(Path::new(REPO).join("scripts/image.sh")).arg(&tag).output().expect("run scripts/image.sh");
    if !out.status.success() {
        eprintln!("{}", text(&out));
        panic!("scripts/image.sh failed: {}", last_line(&out));
    }
    let image = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(image, format!("localhost/argtrace:{tag}"));
    made.images.push(image.clone());
    let entry = podman_ok(&["image", "inspect", "--format", "{{json .Config.Entrypoint}} {{.Config.Labels}}", &image]);
    assert!(entry.starts_with(r#"["/argtrace"] "#), "{entry}");
    assert!(entry.contains("org.opencontainers.image.version:"), "{entry}");
    let layers = podman_ok(&["image", "inspect", "--format", "{{len .RootFS.Layers}}", &image]);
    assert_eq!(layers, "1", "a scratch image holds one layer: the binary");

    std::fs::copy(BUSYBOX, scratch.join("rootfs/bin/busybox"))
        .unwrap_or_else(|e| panic!("{BUSYBOX}: {e} (Debian's busybox-static)"));
    std::os::unix::fs::symlink("busybox", scratch.join("rootfs/bin/sh")).expect("symlink");
    let workload_image = format!("localhost/argtrace-workload:{tag}");
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(scratch.join("rootfs"))
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run tar");
    let import = podman()
        .args(["import", "-q", "-", &workload_image])
        .stdin(tar.stdout.take().expect("piped"))
        .output()
        .expect("run podman import");
    assert!(tar.wait().expect("wait tar").success(), "tar of the workload's rootfs failed");
    assert!(import.status.success(), "podman import: {}", text(&import));
    made.images.push(workload_image.clone());
    assert_podman_runs(&workload_image);

    // 2. A workload container, and the host's argtrace scoped to it.
    let container_len = 0x0100_0000 + me;
    let host_len = 0x0200_0000 + me;
    let id = podman_ok(
        &[
            &["run", "-d", "--name", &format!("argtrace-workload-{me}")][..],
            &ULIMITS,
            &[
                &workload_image,
                BUSYBOX,
                "sh",
                "-c",
                &format!("while :; do busybox truncate -s {container_len} /tmp/f; busybox usleep 100000; done"),
            ],
        ]
        .concat(),
    );
    made.containers.push(id.clone());
    assert_eq!(id.len(), 64, "podman prints the full id: {id}");
    let workload_pid = podman_ok(&["inspect", "--format", "{{.State.Pid}}", &id]);
    let workload_cgroup = cgroup_dir(&workload_pid);
    let cgroup_id = std::fs::metadata(&workload_cgroup).expect("the workload's cgroup").ino();
    assert!(
        workload_cgroup.to_string_lossy().contains(&format!("libpod-{id}")),
        "podman's cgroup path: {}",
        workload_cgroup.display()
    );
    let host_file = scratch.join("host-file");
    let mut host_pids = Vec::new();
    let (code, stdout, stderr) = trace_around(
        Command::new(common::ARGTRACE).args(["syscall", "-j", "-e", "trace=ftruncate", "--container", &id[..12]]),
        || {
            for _ in 0..10 {
                host_pids.push(host_truncate(&host_file, host_len));
                std::thread::sleep(Duration::from_millis(100));
            }
        },
        |events| events.iter().filter(|e| length(e) == Some(container_len)).count() >= 5,
    );
    assert_eq!(code, Some(0), "argtrace --container: {stderr}");
    let events = json_lines(&stdout);
    assert!(events.len() >= 5, "the workload truncates every 100 ms; 5 calls within 30 s: {stdout}\n{stderr}");
    for e in &events {
        assert_eq!(e["syscall"], "ftruncate", "{e}");
        assert_eq!(length(e), Some(container_len), "only the container's call: {e}");
        assert_eq!(e["container_id"], Value::from(id.as_str()), "{e}");
        assert_eq!(e["cgroup_id"], Value::from(cgroup_id), "the cgroup's inode ({}): {e}", workload_cgroup.display());
        assert!(!host_pids.contains(&(e["pid"].as_u64().unwrap_or(0) as u32)), "a host process: {e}");
    }
    eprintln!("--container {}: {} events, all the workload's; none of {} host calls", &id[..12], events.len(), 10);
    // Every JSON line of every run here, for the schema at the end of step 3.
    let mut all_json = stdout.clone();

    // 3. The image's argtrace in its container: KERNEL-LAB's flags, then the DaemonSet's privileges.
    // KERNEL-LAB.md's command line exactly (privileged, btf and tracefs mounted, not the
    // host's cgroup hierarchy: the workload's cgroup id is right, its container id cannot be
    // named), then with the host's /sys/fs/cgroup mounted, then with the DaemonSet's privileges.
    let lab: &[&str] =
        &["--privileged", "-v", "/sys/kernel/btf:/sys/kernel/btf:ro", "-v", "/sys/kernel/tracing:/sys/kernel/tracing"];
    let mounts = [
        "-v",
        "/sys/kernel/btf:/sys/kernel/btf:ro",
        "-v",
        "/sys/kernel/tracing:/sys/kernel/tracing:ro",
        "-v",
        "/sys/fs/cgroup:/sys/fs/cgroup:ro",
    ];
    let privileged: &[&str] = &[&["--privileged"][..], &mounts].concat();
    let daemonset: &[&str] = &[
        &[
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_BPF,CAP_PERFMON",
            "--security-opt",
            "seccomp=unconfined",
            "--read-only",
        ][..],
        &mounts,
    ]
    .concat();
    let named = Value::from(id.as_str());
    for (n, (what, flags, workload_id)) in [
        ("KERNEL-LAB flags", lab, &Value::Null),
        ("privileged, host cgroups", privileged, &named),
        ("CAP_BPF+CAP_PERFMON, host cgroups", daemonset, &named),
    ]
    .into_iter()
    .enumerate()
    {
        let len = 0x0300_0000 + me * 4 + n as u64;
        let mut host_pid = 0;
        let (code, stdout, stderr) = trace_around(
            podman()
                .args(["run", "--rm", "--pid=host", "--name", &format!("argtrace-image-{me}-{n}")])
                .args(ULIMITS)
                .args(flags)
                .args([&image, "syscall", "-j", "-e", "trace=ftruncate"]),
            || host_pid = host_truncate(&host_file, len),
            |events| {
                events.iter().any(|e| length(e) == Some(len)) && events.iter().any(|e| length(e) == Some(container_len))
            },
        );
        assert_eq!(code, Some(0), "argtrace in its container ({what}): {stderr}");
        all_json.push_str(&stdout);
        let events = json_lines(&stdout);
        let host: Vec<&Value> = events.iter().filter(|e| length(e) == Some(len)).collect();
        assert_eq!(host.len(), 1, "the host call, once ({what}): {stdout}\n{stderr}");
        assert_eq!(host[0]["pid"], Value::from(host_pid), "the host's pid ({what}): {}", host[0]);
        assert_eq!(host[0]["container_id"], Value::Null, "{}", host[0]);
        assert_eq!(host[0]["cgroup_id"], Value::from(std::fs::metadata(cgroup_dir("self")).expect("own").ino()));
        let workload: Vec<&Value> = events.iter().filter(|e| length(e) == Some(container_len)).collect();
        assert!(!workload.is_empty(), "the workload's calls ({what}): {stdout}");
        for e in &workload {
            assert_eq!(&e["container_id"], workload_id, "the workload's container id ({what}): {e}");
            assert_eq!(e["cgroup_id"], Value::from(cgroup_id), "{e}");
        }
        eprintln!(
            "image ({what}): host pid {host_pid} length {len} seen; {} workload events, container_id {workload_id}",
            workload.len()
        );
    }
    // What the image writes is what schema/argtrace.schema.json describes (a real validator).
    let json_file = scratch.join("events.jsonl");
    std::fs::write(&json_file, &all_json).expect("write the events");
    let out = Command::new("/usr/bin/python3")
        .arg(Path::new(REPO).join("scripts/validate-json.py"))
        .arg(Path::new(REPO).join("schema/argtrace.schema.json"))
        .args(["--require", "syscall,summary"])
        .arg(&json_file)
        .output()
        .expect("run scripts/validate-json.py");
    assert!(out.status.success(), "the schema refuses the image's JSON: {}", text(&out));
    // Podman's default seccomp profile allows bpf(2) only with CAP_SYS_ADMIN.
    let out = podman()
        .args(["run", "--rm", "--pid=host"])
        .args(ULIMITS)
        .args(&daemonset[..4])
        .args(mounts)
        .args([&image, "syscall", "-j", "-e", "trace=ftruncate", "-d", "1"])
        .stdin(Stdio::null())
        .output()
        .expect("run podman");
    assert_eq!(out.status.code(), Some(5), "default seccomp: {}", text(&out));
    assert!(text(&out).contains("EPERM"), "{}", text(&out));

    // 4. The DaemonSet: parsed, and its pod form under `podman kube play`.
    let docs = daemonset_documents();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, ["Namespace", "DaemonSet"]);
    let ds = &docs[1];
    assert_eq!(ds["metadata"]["namespace"], docs[0]["metadata"]["name"]);
    let spec = &ds["spec"]["template"]["spec"];
    assert_eq!(spec["hostPID"], true);
    assert_eq!(spec["tolerations"], serde_json::json!([{"operator": "Exists"}]));
    let c = &spec["containers"][0];
    let args: Vec<&str> = c["args"].as_array().expect("args").iter().filter_map(Value::as_str).collect();
    assert!(args.contains(&"-j"), "JSON lines: {args:?}");
    let sc = &c["securityContext"];
    assert_eq!(sc["privileged"], false);
    assert_eq!(sc["capabilities"], serde_json::json!({"drop": ["ALL"], "add": ["BPF", "PERFMON"]}));
    assert_eq!(sc["seccompProfile"]["type"], "Unconfined");
    for (path, m) in c["volumeMounts"].as_array().expect("mounts").iter().map(|m| (m["mountPath"].as_str(), m)) {
        assert_eq!(m["readOnly"], true, "{path:?} read-only");
    }
    let mount_paths: Vec<&str> =
        c["volumeMounts"].as_array().expect("mounts").iter().filter_map(|m| m["mountPath"].as_str()).collect();
    assert_eq!(mount_paths, ["/sys/kernel/btf", "/sys/kernel/tracing", "/sys/fs/cgroup"]);
    assert!(c["resources"]["limits"]["memory"].is_string() && c["resources"]["requests"]["cpu"].is_string());

    // The pod form: the template as a Pod, with this test's image and subject. Debian 12's
    // podman 4.3.1 takes seccomp from the older annotation only (it ignores securityContext's
    // seccompProfile) and ignores hostPID (kube play has it since containers/podman#17168); its
    // rlimits come from containers.conf (a pod spec has none).
    let pod_name = format!("argtrace-kube-{me}");
    let mut template = ds["spec"]["template"].clone();
    template["metadata"]["name"] = Value::from(pod_name.as_str());
    template["metadata"]["annotations"] = serde_json::json!({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"});
    template["spec"]["restartPolicy"] = Value::from("Never");
    let kc = &mut template["spec"]["containers"][0];
    kc["image"] = Value::from(image.as_str());
    kc["args"] = serde_json::json!(["syscall", "-j", "-e", "trace=ftruncate"]);
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": template["metadata"], "spec": template["spec"]});
    let pod_file = scratch.join("pod.yaml");
    std::fs::write(&pod_file, serde_json::to_string_pretty(&pod).expect("JSON")).expect("write the pod");
    let conf = scratch.join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\
         [engine]\ncgroup_manager = \"cgroupfs\"\nruntime = \"runc\"\n",
    )
    .expect("write containers.conf");
    made.kube.push(pod_file.clone());
    let play = podman().env("CONTAINERS_CONF", &conf).args(["kube", "play"]).arg(&pod_file).output().expect("podman");
    assert!(play.status.success(), "podman kube play: {}", text(&play));
    let ctr = format!("{pod_name}-argtrace");
    let logs = |ctr: &str| text(&podman().args(["logs", ctr]).output().expect("podman logs"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !logs(&ctr).contains("argtrace: tracing") {
        assert!(Instant::now() < deadline, "the kube pod never traced: {}", logs(&ctr));
        std::thread::sleep(Duration::from_millis(200));
    }
    let len = 0x0400_0000 + me;
    let host_pid = host_truncate(&host_file, len);
    let deadline = Instant::now() + Duration::from_secs(20);
    // The host's call, and the workload container's (still running), named from the host's
    // cgroup hierarchy (the hostPath mount).
    let (seen, workload) = loop {
        let events = json_lines(&logs(&ctr));
        let host = events.iter().find(|e| length(e) == Some(len)).cloned();
        let workload: Vec<Value> = events.into_iter().filter(|e| length(e) == Some(container_len)).collect();
        if let (Some(host), false) = (&host, workload.is_empty()) {
            break (host.clone(), workload);
        }
        assert!(
            Instant::now() < deadline,
            "the kube pod never showed the host call ({}) and a call of the workload ({}) within 20 s: {}",
            host.is_some(),
            !workload.is_empty(),
            logs(&ctr)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(seen["pid"], Value::from(host_pid), "{seen}");
    assert_eq!(seen["container_id"], Value::Null, "{seen}");
    for e in &workload {
        assert_eq!((&e["container_id"], &e["cgroup_id"]), (&named, &Value::from(cgroup_id)), "{e}");
    }
    let inspect = podman_ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.CapAdd}} {{.HostConfig.Privileged}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidMode}}",
        &ctr,
    ]);
    let fields: Vec<&str> = inspect.split(' ').collect();
    assert_eq!(fields[..4], ["[CAP_BPF", "CAP_PERFMON]", "false", "true"], "{inspect}");
    eprintln!(
        "kube play: host pid {host_pid} length {len} seen; pid namespace {} (hostPID {}); {:.0?} in all",
        fields[4],
        if fields[4] == "host" { "honoured" } else { "ignored by this podman" },
        started.elapsed()
    );
}

/// docs/fleet.md's configuration snippets parse (every `yaml` block with
/// python3's yaml, every `toml` block with its tomllib) and read what the
/// DaemonSet writes: its log files, CRI lines, stdout only, JSON, and the
/// OpenTelemetry names of the traced container and pod.
#[test]
fn fleet_doc_snippets_parse() {
    const SCRIPT: &str = r#"
import json, re, sys, tomllib, yaml
text = open(sys.argv[1]).read()
out = []
for lang, body in re.findall(r"^```(yaml|toml)\n(.*?)^```", text, re.S | re.M):
    out.append([lang, yaml.safe_load(body) if lang == "yaml" else tomllib.loads(body)])
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(Path::new(REPO).join("docs/fleet.md"))
        .output()
        .expect("run python3");
    assert!(out.status.success(), "a snippet of docs/fleet.md does not parse: {}", text(&out));
    let blocks: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(blocks.len(), 4, "the Collector, Vector, Fluent Bit and the Collector's transform");
    let logs = "/var/log/pods/argtrace_*/argtrace/*.log";

    let otel = &blocks[0][1];
    let filelog = &otel["receivers"]["filelog/argtrace"];
    assert_eq!(filelog["include"], serde_json::json!([logs]));
    let ops: Vec<&str> =
        filelog["operators"].as_array().expect("operators").iter().filter_map(|o| o["type"].as_str()).collect();
    assert_eq!(ops, ["container", "json_parser", "move", "move"]);
    let moves: Vec<(&str, &str)> = filelog["operators"].as_array().expect("operators")[2..]
        .iter()
        .map(|o| (o["from"].as_str().unwrap_or(""), o["to"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        moves,
        [
            ("attributes.container_id", r#"resource["container.id"]"#),
            ("attributes.pod_uid", r#"resource["k8s.pod.uid"]"#)
        ]
    );
    assert_eq!(otel["service"]["pipelines"]["logs/argtrace"]["receivers"], serde_json::json!(["filelog/argtrace"]));

    assert_eq!(blocks[1][0], "toml");
    let vector = &blocks[1][1];
    assert_eq!(vector["sources"]["argtrace"]["type"], "kubernetes_logs");
    let remap = &vector["transforms"]["argtrace_events"];
    assert_eq!(remap["type"], "remap");
    let vrl = remap["source"].as_str().expect("source");
    for needle in ["parse_json(.message)", r#"."container.id""#, r#"."k8s.pod.uid""#, r#".stream != "stdout""#] {
        assert!(vrl.contains(needle), "{needle} in the remap");
    }

    let fluent = &blocks[2][1]["pipeline"];
    let input = &fluent["inputs"][0];
    assert_eq!((input["name"].as_str(), input["path"].as_str()), (Some("tail"), Some(logs)));
    assert_eq!(input["multiline.parser"], "cri");
    let filters: Vec<&str> =
        fluent["filters"].as_array().expect("filters").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(filters, ["grep", "parser", "modify"]);
    assert_eq!(fluent["filters"][1]["key_name"], "log", "the cri parser's key");
    assert_eq!(fluent["filters"][2]["rename"], serde_json::json!(["container_id container.id", "pod_uid k8s.pod.uid"]));

    let transform = &blocks[3][1]["processors"];
    assert_eq!(transform["groupbyattrs/argtrace"]["keys"], serde_json::json!(["container.id", "k8s.pod.uid"]));
}
