#!/usr/bin/env bash
# Builds a WASI 0.3-style (async-lifted) Rust guest with wit-bindgen's async support into a
# component, for the async host (docs/domains/05-async.md). Two modes, so only `fetch` needs
# the network and `build` is hermetic:
#
#   rust_p3_component.sh fetch <crate-dir> <cargo-home-out>
#       cargo fetch --locked (crates.io, keyed by the crate's Cargo.lock) into <cargo-home-out>.
#   rust_p3_component.sh build <crate-dir> <cargo-home> <out.wasm>
#       cargo build --release --locked --offline --target wasm32-wasip2, then copies the
#       component to <out.wasm>. rustc emits the component itself for wasm32-wasip2
#       (wasm-component-ld), so no adapter or `wasm-tools component new` step is needed.
#
# Tools: `cargo` and `rustc` (Rust >= 1.85, `rustup target add wasm32-wasip2`) on PATH.
# Paths are remapped so the output does not depend on where the sandbox lives.
set -euo pipefail

die() { echo "rust_p3_component.sh: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 fetch <crate-dir> <cargo-home-out> | build <crate-dir> <cargo-home> <out.wasm>"
mode=$1
crate=$(cd "$2" && pwd) || die "crate directory $2 does not exist"
[ -f "$crate/Cargo.toml" ] || die "$crate/Cargo.toml is missing"
[ -f "$crate/Cargo.lock" ] || die "$crate/Cargo.lock is missing (the build is --locked)"
command -v cargo >/dev/null || die "cargo is not on PATH"

export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=0 CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
export CARGO_NET_RETRY=2

case "$mode" in
  fetch)
    mkdir -p "$3"
    export CARGO_HOME=$(cd "$3" && pwd)
    cargo fetch --manifest-path "$crate/Cargo.toml" --locked --target wasm32-wasip2
    ;;
  build)
    [ $# -eq 4 ] || die "build needs <crate-dir> <cargo-home> <out.wasm>"
    [ -d "$3" ] || die "cargo home $3 does not exist (run the fetch mode first)"
    export CARGO_HOME=$(cd "$3" && pwd)
    work=$(mktemp -d "${TMPDIR:-/tmp}/rust-p3.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    export CARGO_TARGET_DIR="$work/target"
    export RUSTFLAGS="--remap-path-prefix=$crate=/src --remap-path-prefix=$CARGO_HOME=/cargo --remap-path-prefix=$work=/work"
    cargo build --manifest-path "$crate/Cargo.toml" --release --locked --offline --target wasm32-wasip2
    name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$crate/Cargo.toml" | head -1 | tr - _)
    built="$CARGO_TARGET_DIR/wasm32-wasip2/release/$name.wasm"
    [ -f "$built" ] || die "cargo did not produce $built"
    mkdir -p "$(dirname "$4")"
    cp "$built" "$4"
    ;;
  *)
    die "unknown mode $mode (fetch or build)"
    ;;
esac
