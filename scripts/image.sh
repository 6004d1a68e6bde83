#!/usr/bin/env bash
# Builds argtrace's container image, localhost/argtrace:<version>, from the Containerfile:
# the static binary of `cargo xtask static` (the kernel matrix's own build) in a scratch
# image, with Debian's podman; no registry is needed. Prints the image's name.
#
#   scripts/image.sh [TAG]     (default tag: the version in Cargo.toml)
#
# podman runs with the cgroupfs manager and runc (crun refuses hybrid cgroup layouts; see
# docs/fleet.md); ARGTRACE_PODMAN_FLAGS replaces those global flags.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
deps_build
deps_container
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
tag=${1:-$version}
image=localhost/argtrace:$tag
read -r -a podman_flags <<<"${ARGTRACE_PODMAN_FLAGS:---cgroup-manager=cgroupfs --runtime runc}"
built=$(cargo xtask static)
binary=${built%%$'\n'*}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/argtrace"
cp Containerfile "$context/Containerfile"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
podman "${podman_flags[@]}" build --quiet --layers=false --file "$context/Containerfile" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --tag "$image" "$context" >/dev/null
echo "$image"
