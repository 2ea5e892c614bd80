#!/usr/bin/env bash
# Step "build" of rust_component: compile a Cargo package to a WebAssembly component, offline,
# from the crates vendored by cargo_fetch.sh. On wasm32-wasip2 rustc's linker
# (wasm-component-ld, shipped in the toolchain) already emits a component, built from the
# world that wit-bindgen embeds (warpgrid-sdk: warpgrid:shim/http-service).
#
# Inputs (paths relative to the working directory, the Process sandbox):
#   $1 / WG_RUST_APP     the Cargo package dir, e.g. test-apps/rust-http-postgres (a cdylib)
#   $2 / WG_RUST_VENDOR  the vendor dir from cargo_fetch.sh
#   $3 / WG_RUST_OUT     the output component path, e.g. __warpgrid_out/component.wasm
#   WG_RUST_TARGET       default wasm32-wasip2
#   WG_RUST_TOOLCHAIN    the pinned toolchain's root (…/toolchains/1.95.0-<host>): cargo and rustc
#                        are taken from its bin/, and its path is remapped out of the output
#   WG_RUST_PROFILE      default release
# The sandbox must also hold every path dependency at its repo path (src/rust/warpgrid-sdk) and
# the WIT the bindings read (wit/shim.wit, wit/deps/**): the SDK reads ../../../wit.
#   WG_RUST_RUSTFLAGS    extra rustc flags, space-separated (the target's `rustflags`, e.g.
#                        `--cfg tokio_unstable`); cargo joins them with a package's own
#                        .cargo/config.toml [build] rustflags when that file is present.
set -euo pipefail

app=${1:-${WG_RUST_APP:?cargo_build.sh: the Cargo package dir (WG_RUST_APP or \$1) is required}}
vendor=${2:-${WG_RUST_VENDOR:?cargo_build.sh: the vendor dir (WG_RUST_VENDOR or \$2) is required}}
out=${3:-${WG_RUST_OUT:?cargo_build.sh: the output path (WG_RUST_OUT or \$3) is required}}
target=${WG_RUST_TARGET:-wasm32-wasip2}
profile=${WG_RUST_PROFILE:-release}
toolchain=${WG_RUST_TOOLCHAIN:?cargo_build.sh: WG_RUST_TOOLCHAIN (the pinned rust toolchain root) is required}
work=$PWD

fail() { echo "cargo_build.sh: $*" >&2; exit 1; }
[ -f "$app/Cargo.toml" ] || fail "$app/Cargo.toml is missing from the sandbox"
[ -f "$app/Cargo.lock" ] || fail "$app/Cargo.lock is missing (builds are --locked)"
[ -d "$vendor" ] || fail "vendor dir $vendor is missing (run cargo_fetch.sh first)"
[ -x "$toolchain/bin/cargo" ] && [ -x "$toolchain/bin/rustc" ] || fail "no cargo/rustc in $toolchain/bin"
[ -d "$toolchain/lib/rustlib/$target" ] || fail "the toolchain has no $target std: rustup target add --toolchain $(basename "$toolchain") $target"

vendor_abs=$(cd "$vendor" && pwd)
# Everything cargo writes stays in the sandbox; nothing of the user's ~/.cargo or ~/.rustup is read.
export CARGO_HOME="$work/.cargo-home" HOME="$work/.home" TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=0
export RUSTC="$toolchain/bin/rustc" RUSTDOC="$toolchain/bin/rustdoc" PATH="$toolchain/bin:$PATH"
export CARGO_TARGET_DIR="$work/.cargo-target" CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
# Determinism: one codegen unit, no incremental state; release profile choices (lto, opt-level,
# strip) stay the package's.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER
mkdir -p "$CARGO_HOME" "$HOME"
cat > "$CARGO_HOME/config.toml" <<CFG
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "$vendor_abs"

[net]
offline = true
CFG

# Paths that differ per sandbox, per machine or per toolchain install are rewritten to fixed
# names, so panic locations and any embedded path are the same in every build.
# rustc applies the last matching prefix: the sandbox root first, the dirs inside it after.
flags=("--remap-path-prefix=$work=/warpgrid" "--remap-path-prefix=$vendor_abs=/cargo/vendor"
       "--remap-path-prefix=$CARGO_HOME=/cargo/home" "--remap-path-prefix=$toolchain=/rust/toolchain")
# The target's `rustflags` (space-separated), e.g. `--cfg tokio_unstable`.
read -r -a extra <<< "${WG_RUST_RUSTFLAGS:-}"
flags+=("${extra[@]}")
rustflags="["
for f in "${flags[@]}"; do rustflags+="\"${f//\"/\\\"}\", "; done
rustflags="${rustflags%, }]"

# Cargo hashes a path dependency's absolute path into its -C metadata (hence into symbol names
# and TypeIds) unless the dependency lies inside the workspace root. The package's path
# dependencies (../../src/rust/warpgrid-sdk) lie outside its own directory, so the sandbox root
# becomes the workspace root: a generated virtual manifest with the package as its only member,
# its lockfile, and its [profile.*] tables (cargo reads profiles only from the root).
if grep -qE '^\[workspace\]' "$app/Cargo.toml"; then
  fail "$app/Cargo.toml has its own [workspace]; remove it (the build makes the sandbox root the workspace)"
fi
[ ! -e Cargo.toml ] || fail "the sandbox root already has a Cargo.toml; rust_component packages must live in a subdirectory"
edition=$(sed -n 's/^edition *= *"\(.*\)"/\1/p' "$app/Cargo.toml" | head -1)
resolver=$([ "$edition" = 2024 ] && echo 3 || echo 2)
# Path dependencies inside a workspace root become members automatically (and bring their
# dev-dependencies into the resolve, which the package's lockfile does not hold): exclude them.
exclude=$(find . -name Cargo.toml -not -path './.cargo-home/*' -not -path "./$vendor/*" \
            -not -path './.cargo-target/*' -not -path "./$app/Cargo.toml" -not -path ./Cargo.toml \
          | sed 's#^\./##; s#/Cargo.toml$##' | LC_ALL=C sort | sed 's/.*/"&"/' | paste -sd, -)
{
  printf '[workspace]\nmembers = ["%s"]\nexclude = [%s]\nresolver = "%s"\n\n' "$app" "$exclude" "$resolver"
  sed -n '/^\[profile\./,/^\[/{/^\[profile\./p;/^\[/!p}' "$app/Cargo.toml"
} > Cargo.toml
cp "$app/Cargo.lock" Cargo.lock

cd "$app"
"$toolchain/bin/cargo" build --locked --offline --profile "$profile" --target "$target" --lib \
  --config "build.rustflags=$rustflags" \
  || fail "cargo build failed for $app ($target, $profile)"
cd "$work"

name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$app/Cargo.toml" | head -1)
lib=$(printf '%s' "$name" | tr - _)
profile_dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
built="$CARGO_TARGET_DIR/$target/$profile_dir/$lib.wasm"
[ -f "$built" ] || fail "cargo built no $built (is [lib] crate-type = [\"cdylib\"] set in $app/Cargo.toml?)"
mkdir -p "$(dirname "$out")"
cp "$built" "$out"
echo "cargo_build.sh: $app -> $out ($(wc -c < "$out") bytes)" >&2
