# shellcheck shell=bash
# Shared install steps for the project's scripts, CI and `cargo xtask`: source this file,
# then call the functions. Each one is idempotent and quiet when nothing is missing,
# because a fresh CI machine has none of what a developer installed by hand.
#
#   . scripts/deps.sh
#   deps_build               # what `cargo build` of the workspace needs on this machine
#   deps_vm x86_64 arm64     # everything `cargo xtask vm` needs for those guests
#   deps_vmlinux             # everything `cargo xtask vmlinux` needs
#   deps_container           # podman and what tests/container.rs needs besides

# Set to 1 once `apt-get update` ran in this shell, so a batch updates at most once.
_deps_updated=0

_deps_log() { echo "deps: $*" >&2; }

_deps_update() {
    if [ "$_deps_updated" = 0 ]; then
        _deps_log "apt-get update"
        apt-get update -qq >&2 || return 1
        _deps_updated=1
    fi
}

# True when every named package (pkg or pkg:arch) is installed.
_deps_installed() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 1
    done
}

# deps_install [-t SUITE] PKG...: install the packages that are missing, without recommends.
deps_install() {
    local suite=() missing=() p
    if [ "${1:-}" = -t ]; then suite=(-t "$2"); shift 2; fi
    for p in "$@"; do _deps_installed "$p" || missing+=("$p"); done
    [ "${#missing[@]}" = 0 ] && return 0
    _deps_update || return 1
    _deps_log "apt-get install ${suite[*]} ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${suite[@]}" "${missing[@]}" >&2
}

# Make bookworm-backports an apt source (QEMU comes from there when qemu-utils does).
deps_backports() {
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        _deps_log "adding bookworm-backports to /etc/apt/sources.list.d/backports.list"
        echo 'deb http://deb.debian.org/debian bookworm-backports main' \
            >/etc/apt/sources.list.d/backports.list
        _deps_updated=0
    fi
}

# Let apt fetch and install arm64 packages (kernels, busybox, -dev libraries for the cross build).
deps_arm64_arch() {
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        _deps_log "dpkg --add-architecture arm64"
        dpkg --add-architecture arm64
        _deps_updated=0
        _deps_update
    fi
}

# Install PKG... from bookworm-backports when the machine's qemu-utils already comes from there:
# bookworm's own qemu-system-* conflicts with a backported qemu-utils.
_deps_install_qemu() {
    local missing=0 p
    for p in "$@"; do _deps_installed "$p" || missing=1; done
    [ "$missing" = 0 ] && return 0
    if dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null | grep -q 'bpo'; then
        deps_backports
        deps_install -t bookworm-backports "$@"
    else
        deps_install "$@"
    fi
}

# What building the workspace needs: clang for the BPF objects (libbpf-cargo), make and a C
# compiler for libbpf-sys's vendored libbpf, and libelf/zlib to link it.
deps_build() {
    deps_install clang llvm make gcc libc6-dev pkg-config libelf-dev zlib1g-dev
}

# What `cargo xtask vmlinux` needs: the BTF dumper, the decompressors and arm64 package lists.
deps_vmlinux() {
    deps_arm64_arch
    deps_install bpftool xz-utils gzip zstd lz4 dpkg
}

# deps_vm ARCH...: what `cargo xtask vm` needs to build, pack and boot guests of those
# architectures (x86_64, arm64).
deps_vm() {
    # debian-archive-keyring: the kernels are resolved from the suites' own signed lists.
    local arch pkgs=(cpio gzip xz-utils zstd lz4 debian-archive-keyring) qemu=()
    deps_build || return 1
    for arch in "$@"; do
        case "$arch" in
            # The e2e suite's i386 static trigger (e2e/build.rs): gcc-12-multilib, never
            # gcc-multilib, which would remove gcc-aarch64-linux-gnu (see deps_strace_source).
            x86_64)
                qemu+=(qemu-system-x86)
                pkgs+=(gcc-12-multilib libc6-dev-i386)
                ;;
            # Also the e2e suite's AArch32 (armhf) static trigger (e2e/build.rs).
            arm64)
                deps_cross_arm64 || return 1
                qemu+=(qemu-system-arm)
                pkgs+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
                ;;
            *) _deps_log "unknown architecture $arch"; return 1 ;;
        esac
    done
    deps_install "${pkgs[@]}" || return 1
    [ "${#qemu[@]}" = 0 ] || _deps_install_qemu "${qemu[@]}" || return 1
}

# What `cargo build --target aarch64-unknown-linux-gnu` needs: the cross compiler and libc,
# arm64's libelf and zlib to link, and Rust's arm64 standard library.
deps_cross_arm64() {
    deps_arm64_arch
    deps_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross libelf-dev:arm64 zlib1g-dev:arm64 || return 1
    deps_rust_target aarch64-unknown-linux-gnu
}

# deps_rust_target TRIPLE: add a Rust standard library for cross builds (rustup only).
deps_rust_target() {
    command -v rustup >/dev/null || return 0
    rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
    _deps_log "rustup target add $1"
    rustup target add "$1" >&2
}

# What scripts/habits.sh needs: Debian's clang-format for bpf/, and rustfmt and clippy
# (components of the machine's Rust toolchain; added through rustup where they are missing).
deps_habits() {
    deps_build || return 1
    deps_install clang-format || return 1
    local c
    for c in rustfmt clippy; do
        if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
            command -v rustup >/dev/null || { _deps_log "cargo $c is missing and there is no rustup"; return 1; }
            _deps_log "rustup component add $c"
            rustup component add "$c" >&2 || return 1
        fi
    done
}

# The strace release whose output is the project's oracle: Debian 12's, the one tests/strace.rs
# runs side by side and tests/strace_suite.rs takes the test programs from.
STRACE_DEB_VERSION=6.1-0.1

# Make bookworm's source packages an apt source (for `apt-get source`), once.
deps_deb_src() {
    if ! grep -rqs '^[^#]*deb-src[^#]*debian[^#]* bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
        ! grep -rqsE '^Types:.*deb-src' /etc/apt/sources.list.d/; then
        _deps_log "adding bookworm's deb-src to /etc/apt/sources.list.d/deb-src.list"
        echo 'deb-src http://deb.debian.org/debian bookworm main' >/etc/apt/sources.list.d/deb-src.list
        _deps_updated=0
    fi
}

# deps_strace_source: Debian's strace source ($STRACE_DEB_VERSION), unpacked once under
# ${XDG_CACHE_HOME:-$HOME/.cache}/argtrace/strace-$STRACE_DEB_VERSION; prints that directory.
# Also what building its test programs needs: gcc, make, and for the i386 builds gcc-12-multilib
# and libc6-dev-i386, never the gcc-multilib package: it conflicts with gcc-aarch64-linux-gnu (the
# arm64 cross build) for its one /usr/include/asm link, which tests/strace_suite.rs makes privately.
deps_strace_source() {
    local cache="${XDG_CACHE_HOME:-$HOME/.cache}/argtrace" dir
    dir="$cache/strace-$STRACE_DEB_VERSION"
    deps_install dpkg-dev gcc make gcc-12-multilib libc6-dev-i386 strace || return 1
    if [ ! -f "$dir/tests/gen_tests.in" ]; then
        deps_deb_src
        _deps_update || return 1
        mkdir -p "$cache/strace-src.tmp" || return 1
        _deps_log "apt-get source strace=$STRACE_DEB_VERSION into $dir"
        (cd "$cache/strace-src.tmp" && apt-get source -qq "strace=$STRACE_DEB_VERSION" >&2) || return 1
        rm -rf "$dir" && mv "$cache/strace-src.tmp/strace-${STRACE_DEB_VERSION%-*}" "$dir" || return 1
        rm -rf "$cache/strace-src.tmp"
    fi
    echo "$dir"
}

# The cargo-deb release scripts/deb.sh builds the .deb with (crates.io, `cargo install --locked`).
CARGO_DEB_VERSION=3.8.0

# What scripts/deb.sh needs besides the build: dpkg-shlibdeps (dpkg-dev) for the Depends line,
# and cargo-deb $CARGO_DEB_VERSION, installed once into Cargo's bin directory.
deps_deb() {
    deps_install dpkg-dev || return 1
    if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
        _deps_log "cargo install cargo-deb --locked --version $CARGO_DEB_VERSION"
        cargo install --quiet cargo-deb --locked --version "$CARGO_DEB_VERSION" >&2 || return 1
    fi
}

# What tests/package.rs needs to read and use the installed package: man-db (and groff) for
# `man argtrace`, bash-completion's helpers, and zsh and fish to check their completion files.
deps_package_test() {
    deps_install man-db groff-base bash-completion zsh fish
}

# What scripts/image.sh and tests/container.rs need: podman with runc (crun refuses hybrid
# cgroup layouts), catatonit for the pause container of `podman kube play`, the static
# busybox the workload image is made of, and python3's yaml to parse deploy/daemonset.yaml.
deps_container() {
    deps_install podman runc catatonit busybox-static python3-yaml tar
}
