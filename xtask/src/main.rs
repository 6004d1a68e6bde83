// xtask: the project's developer commands that are not the product, run as
// `cargo xtask <command>` (alias in .cargo/config.toml). Only std: the work is done by
// Debian's tools (apt-get, dpkg-deb, bpftool, cpio, gzip, qemu), which scripts/deps.sh installs.

mod apt;
mod console;
mod initramfs;
mod kernels;
mod qemu;
mod util;
mod vm;
mod vmlinux;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  vmlinux   regenerate arch/*/vmlinux.h from the Debian kernels in tests/kernels.txt
  vm        build static binaries and run the e2e suite in QEMU on every kernel of
            tests/kernels.txt
  static    build the static argtrace and argtrace-e2e as `vm` does (target/vm/), check
            they are static, and print their paths (scripts/image.sh uses it)

`cargo xtask <command> --help` describes a command's options.
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("vmlinux") => vmlinux::main(&args[1..]),
        Some("vm") => vm::main(&args[1..]),
        Some("static") => vm::static_main(&args[1..]),
        None | Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    if let Err(message) = result {
        eprintln!("xtask: {message}");
        std::process::exit(1);
    }
}
