#!/usr/bin/env bash
# Every test, on a fresh Debian 12 machine (as root): installs what it needs,
# checks the habits (scripts/habits.sh), then runs the unit, CLI and live tests on this machine's kernel (in every
# probe mode the kernel itself offers, found by e2e/src/detect.rs), the
# side-by-side test against strace, cross-builds for arm64, builds, installs and
# removes the Debian package (tests/package.rs), and runs the QEMU
# kernel matrix that proves fentry, kprobe and tracepoint modes on Debian's
# x86_64 and arm64 kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says when it starts (seconds since the command began): where the run's time goes.
step() { echo "== $* (at ${SECONDS} s)"; }
# First the house habits (rustfmt, clippy -D warnings, clang-format), failing fast.
scripts/habits.sh
. scripts/deps.sh
deps_build
deps_vm x86_64 arm64
# The side-by-side test (tests/strace.rs) runs real programs under strace;
# tests/hostile.rs runs argtrace as nobody through setpriv (util-linux); the
# skb pcap case reads its file back with tcpdump -r (on this machine only).
deps_install strace util-linux tcpdump
# tests/live.rs validates every JSON line of the live suite against schema/argtrace.schema.json.
deps_install python3-jsonschema
# tests/strace_programs.rs runs real programs side by side under strace and argtrace syscall:
# python3 (files, sockets, threads, a loopback HTTP server), curl, and the Essential tar, gzip,
# grep, findutils, coreutils.
deps_install python3 curl tar gzip grep findutils coreutils
# tests/strace_suite.rs builds strace's own test programs from Debian's source (fetched once).
deps_strace_source >/dev/null
# tests/container.rs builds the image (scripts/image.sh) and runs it, a busybox workload and
# the DaemonSet's pod form under podman.
deps_container
step "unit, CLI and live tests (this kernel: $(uname -r))"
cargo test --workspace --locked
cat target/strace-suite.txt
cat target/strace-programs.txt
step "arm64 cross build"
cargo build --release --locked --target aarch64-unknown-linux-gnu
step "Debian package: build, dpkg -i, binary, man page, completions, dpkg -r (amd64; arm64 built)"
cargo test --locked --test package
step "kernel matrix (QEMU)"
cargo xtask vm --keep-going
echo "== test command done in ${SECONDS} s"
