#!/usr/bin/env bash
# Builds argtrace's Debian package with cargo-deb ([package.metadata.deb] in Cargo.toml): the
# release binary (linked against Debian's libelf1 and zlib1g, Depends computed by
# dpkg-shlibdeps), the man page, and the bash, zsh and fish completions, generated from the clap
# definition by examples/completions.rs into target/completions. Installs what it needs on a
# fresh Debian 12 machine (as root): the build's packages, dpkg-dev, and cargo-deb (pinned in
# scripts/deps.sh, from crates.io). The last line of its output is the .deb's path.
#
#   scripts/deb.sh                 # target/debian/argtrace_<version>-1_amd64.deb
#   scripts/deb.sh --arch arm64    # target/debian/argtrace_<version>-1_arm64.deb (cross build)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

target=()
case "${1:-}" in
    "") ;;
    --arch)
        case "${2:-}" in
            amd64) ;;
            arm64) target=(--target aarch64-unknown-linux-gnu) ;;
            *) echo "deb.sh: --arch takes amd64 or arm64" >&2; exit 2 ;;
        esac
        ;;
    *) echo "usage: scripts/deb.sh [--arch amd64|arm64]" >&2; exit 2 ;;
esac

deps_build
[ "${#target[@]}" = 0 ] || deps_cross_arm64
deps_deb

echo "== deb: completions from the clap definition" >&2
cargo run --quiet --locked --example completions -- target/completions >&2
echo "== deb: release build ${target[*]}" >&2
cargo build --release --locked -p argtrace "${target[@]}" >&2
# The build above is the one packed (--no-build), so that it ran with --locked.
cargo deb --no-build --quiet "${target[@]}"
