//! Builds the 32-bit trigger (e2e/compat/trigger.c) for the 32-bit ABI of the
//! target: i386 with `gcc -m32 -static` for an x86_64 argtrace-e2e, AArch32
//! with `arm-linux-gnueabihf-gcc -static` for an aarch64 one, which carries it
//! (include_bytes!) into every guest's initramfs and onto the host.
//! scripts/deps.sh installs what it needs (deps_vm: gcc-12-multilib and
//! libc6-dev-i386; gcc-arm-linux-gnueabihf and libc6-dev-armhf-cross);
//! without them it is empty and the 32-bit cases fail saying why.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = "compat/trigger.c";
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("argtrace-compat");
    let _ = std::fs::remove_file(&out);
    let (cc, abi_flags): (&str, &[&str]) = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => ("gcc", &["-m32"]),
        Ok("aarch64") => ("arm-linux-gnueabihf-gcc", &[]),
        _ => ("", &[]),
    };
    if !cc.is_empty() {
        let built =
            Command::new(cc).args(abi_flags).args(["-static", "-O1", "-Wall", "-o"]).arg(&out).arg(src).output();
        match built {
            Ok(o) if o.status.success() => return,
            Ok(o) => println!(
                "cargo:warning=the 32-bit trigger was not built ({cc} {abi_flags:?} -static: {})",
                String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("failed")
            ),
            Err(e) => println!("cargo:warning=the 32-bit trigger was not built ({cc}: {e})"),
        }
    }
    std::fs::write(&out, b"").expect("write the empty 32-bit trigger");
}
