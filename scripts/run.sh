#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what the build
# needs, build argtrace, and trace live. Arguments go to argtrace; by default
# `argtrace clone`, every process and thread creation of the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
deps_build
cargo build --release --locked
if [ "$#" -eq 0 ]; then set -- clone; fi
exec target/release/argtrace "$@"
