#!/usr/bin/env bash
# Step "fetch" of rust_component: vendor every crate that a Cargo.lock names, into a directory
# that the offline build step (cargo_build.sh) uses as its only crate source. This is the one
# Rust step that needs the network; its cache key is the lockfile plus the manifests (the
# sources are not inputs), so it reruns only when dependencies change.
#
# Inputs (paths relative to the working directory, the Process sandbox):
#   $1 / WG_RUST_APP     the Cargo package dir (Cargo.toml + Cargo.lock), e.g. test-apps/rust-http-postgres
#   $2 / WG_RUST_VENDOR  the output dir to create, e.g. __warpgrid_out/vendor
#   CARGO                cargo of the pinned toolchain (absolute path), default: `cargo` on PATH
# Path dependencies (e.g. src/rust/warpgrid-sdk) must be present as their Cargo.toml at their
# repo paths; a missing src/lib.rs is stubbed here (in the sandbox only) because cargo insists
# on a target while it reads manifests, but vendoring needs no source.
# Output: $WG_RUST_VENDOR/<crate>-<version>/... (cargo vendor --versioned-dirs), byte-stable for a
# given Cargo.lock.
set -euo pipefail

app=${1:-${WG_RUST_APP:?cargo_fetch.sh: the Cargo package dir (WG_RUST_APP or \$1) is required}}
vendor=${2:-${WG_RUST_VENDOR:?cargo_fetch.sh: the vendor output dir (WG_RUST_VENDOR or \$2) is required}}
cargo=${CARGO:-cargo}
work=$PWD

fail() { echo "cargo_fetch.sh: $*" >&2; exit 1; }
[ -f "$app/Cargo.toml" ] || fail "$app/Cargo.toml is missing from the sandbox"
[ -f "$app/Cargo.lock" ] || fail "$app/Cargo.lock is missing: run \`cargo generate-lockfile\` in $app and commit it"
command -v "$cargo" >/dev/null || fail "cargo not found ($cargo)"

# Everything cargo writes stays in the sandbox; nothing of the user's ~/.cargo is read.
export CARGO_HOME="$work/.cargo-home" HOME="$work/.home" TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=0
export CARGO_NET_RETRY=${CARGO_NET_RETRY:-3} CARGO_TERM_COLOR=never
mkdir -p "$CARGO_HOME" "$HOME"

while IFS= read -r manifest; do
  dir=$(dirname "$manifest")
  if ! grep -qE '^\s*path\s*=' "$manifest" && [ ! -f "$dir/src/lib.rs" ] && [ ! -f "$dir/src/main.rs" ]; then
    mkdir -p "$dir/src" && : > "$dir/src/lib.rs"
  fi
done < <(find . -name Cargo.toml -not -path './.cargo-home/*' -not -path "./$vendor/*")

rm -rf "$vendor"
"$cargo" vendor --locked --versioned-dirs --manifest-path "$app/Cargo.toml" "$vendor" >/dev/null \
  || fail "cargo vendor failed for $app/Cargo.lock"
[ -n "$(ls -A "$vendor" 2>/dev/null)" ] || fail "cargo vendor produced no crates in $vendor"
echo "cargo_fetch.sh: vendored $(ls "$vendor" | wc -l) crates for $app into $vendor" >&2
