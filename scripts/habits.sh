#!/usr/bin/env bash
# The house habits, checked first by the README's test command (scripts/test.sh) and
# runnable alone: rustfmt, clippy with warnings as errors, and clang-format for the BPF C.
# Each failure ends with one line naming the command that fixes or shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
deps_habits

fail() {
    echo "habits: $*" >&2
    exit 1
}

echo "== habits: rustfmt, clippy, clang-format"
if ! out=$(cargo fmt --all -- --check 2>&1); then
    printf '%s\n' "$out" | head -40 >&2
    fail "the Rust code is not formatted: run 'cargo fmt --all'"
fi
if ! cargo clippy --workspace --all-targets --locked --quiet -- -D warnings; then
    fail "clippy found warnings: run 'cargo clippy --workspace --all-targets --locked -- -D warnings' and fix them (allow a lint only with a one-line reason)"
fi
bpf_c=(bpf/*.c bpf/*.h arch/*/regs.h)
if ! out=$(clang-format --dry-run --Werror "${bpf_c[@]}" 2>&1); then
    printf '%s\n' "$out" | head -40 >&2
    fail "the BPF C is not formatted: run 'clang-format -i bpf/*.c bpf/*.h arch/*/regs.h'"
fi
