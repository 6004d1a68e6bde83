//! Builds the i386 trigger (e2e/i386/trigger.c) with `gcc -m32 -static` for an
//! x86_64 argtrace-e2e, which carries it (include_bytes!) into every guest's
//! initramfs and onto the host. scripts/deps.sh installs what it needs
//! (gcc-12-multilib, libc6-dev-i386); without them, or for another
//! architecture, it is empty and the i386 cases fail saying why.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = "i386/trigger.c";
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("argtrace-i386");
    let _ = std::fs::remove_file(&out);
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        let built = Command::new("gcc").args(["-m32", "-static", "-O1", "-Wall", "-o"]).arg(&out).arg(src).output();
        match built {
            Ok(o) if o.status.success() => return,
            Ok(o) => println!(
                "cargo:warning=the i386 trigger was not built (gcc -m32 -static: {})",
                String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("failed")
            ),
            Err(e) => println!("cargo:warning=the i386 trigger was not built (gcc: {e})"),
        }
    }
    std::fs::write(&out, b"").expect("write the empty i386 trigger");
}
