//! Compiles each BPF program under bpf/ for the target architecture, against
//! arch/<arch>/vmlinux.h and arch/<arch>/regs.h, into a libbpf-rs skeleton in OUT_DIR.

use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    // The kernel's own names for the architectures, as arch/ uses them.
    let arch = match target_arch.as_str() {
        "x86_64" => "x86",
        "aarch64" => "arm64",
        other => panic!("argtrace supports x86_64 and aarch64, not {other}"),
    };
    let arch_dir = format!("arch/{arch}");

    // Every bpf/<name>.bpf.c is one subject's object: adding a subject adds
    // its file, not a line here.
    let mut programs: Vec<String> = std::fs::read_dir("bpf")
        .expect("read bpf/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".bpf.c").map(String::from))
        .collect();
    programs.sort();
    println!("cargo:rerun-if-changed=bpf");
    for name in &programs {
        let src = format!("bpf/{name}.bpf.c");
        SkeletonBuilder::new()
            .source(&src)
            .clang_args(["-Wall", "-Wno-unused-function", "-Ibpf", &format!("-I{arch_dir}")])
            .build_and_generate(out.join(format!("{name}.skel.rs")))
            .unwrap_or_else(|e| panic!("building {src}: {e:#}"));
        println!("cargo:rerun-if-changed={src}");
    }
    println!("cargo:rerun-if-changed=bpf/argtrace.h");
    for header in ["argtrace.bpf.h", "calls.bpf.h", "cgroup.bpf.h"] {
        println!("cargo:rerun-if-changed=bpf/{header}");
    }
    println!("cargo:rerun-if-changed={arch_dir}");
}
