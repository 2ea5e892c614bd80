#!/usr/bin/env bash
# Builds bun-http-handler twice from scratch, each time in its own temporary directory that
# mirrors the repository layout (fresh `npm ci` of the pinned ComponentizeJS toolchain, patches,
# deterministic engine; fresh `bun install --frozen-lockfile` of the app with an empty Bun
# cache; bundle; componentize), and compares the bundles' and the components' sha256.
# Exit 0 only when both are byte-identical.
#
#   bash test-apps/bun-http-handler/check_reproducible.sh BUN WASM_TOOLS [KEEP_AS]
# BUN: the pinned bun binary (third_party/upstreams.toml [bun], package/bin/bun).
# Needs node/npm and registry access for the two installs. REPRO_TMP: where the two build
# directories go (default /tmp).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUN=${1:?usage: check_reproducible.sh BUN WASM_TOOLS [KEEP_AS]}
WASM_TOOLS=${2:?path to the pinned wasm-tools}
KEEP_AS=${3:-}
SCRIPTS=$REPO/pants-plugins/warpgrid_pants/toolchains/scripts
RECIPE=$REPO/pants-plugins/warpgrid_pants/toolchains/scripts/componentize.mjs
APP=test-apps/bun-http-handler

build_once() {
  local dir=$1
  mkdir -p "$dir/toolchain" "$dir/repo/test-apps" "$dir/repo/src/js"
  cp "$REPO/third_party/js/componentize/package.json" "$REPO/third_party/js/componentize/package-lock.json" "$dir/toolchain/"
  (cd "$dir/toolchain" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  node "$RECIPE" apply-patches --toolchain "$dir/toolchain" --patches "$REPO/patches/componentize-js" >/dev/null
  node "$RECIPE" prepare-engine --toolchain "$dir/toolchain" --wasm-tools "$WASM_TOOLS" --out "$dir/engine.wasm" >/dev/null
  mkdir -p "$dir/repo/$APP"
  cp -r "$REPO/$APP/package.json" "$REPO/$APP/bun.lock" "$REPO/$APP/src" "$dir/repo/$APP/"
  cp -r "$REPO/src/js/bun-sdk" "$REPO/src/js/sdk" "$dir/repo/src/js/"
  rm -rf "$dir/repo/src/js/sdk/node_modules" "$dir/repo/src/js/sdk/dist" "$dir/repo/src/js/bun-sdk/node_modules"
  cp -r "$REPO/wit" "$dir/repo/"
  (cd "$dir/repo" && TMPDIR=$dir BUN="$BUN" NODE_TOOLCHAIN="$dir/toolchain" ENGINE="$dir/engine.wasm" CJS="$RECIPE" \
     BUNDLE_OUT="$dir/bundle.js" BUN_INSTALL_CACHE_DIR="$dir/bun-cache" \
     bash "$SCRIPTS/bun_component.sh" "$APP" "$APP/src/index.ts" "$dir/app.wasm" >"$dir/build.log" 2>&1) \
     || { cat "$dir/build.log" >&2; return 1; }
  grep '^times:' "$dir/build.log" >&2
  echo "$(sha256sum "$dir/bundle.js" | cut -d' ' -f1) $(sha256sum "$dir/app.wasm" | cut -d' ' -f1) $(stat -c %s "$dir/app.wasm")"
}

ROOT=${REPRO_TMP:-/tmp}
A=$(mktemp -d "$ROOT/warpgrid-bun-repro-a.XXXXXX")
B=$(mktemp -d "$ROOT/warpgrid-bun-repro-bb.XXXXXXXX")   # a different path length on purpose
trap 'rm -rf "$A" "$B"' EXIT
a=$(build_once "$A")
b=$(build_once "$B")
[ -z "$KEEP_AS" ] || cp "$A/app.wasm" "$KEEP_AS"
echo "build 1 (bundle, component, bytes): $a"
echo "build 2 (bundle, component, bytes): $b"
[ "$a" = "$b" ] && echo "reproducible: yes" || { echo "reproducible: NO" >&2; exit 1; }
