#!/usr/bin/env bash
# Builds ts-http-handler twice from scratch, each time in its own temporary
# directory (fresh `npm ci` of the pinned toolchain and of the app, patches
# applied, deterministic engine prepared), and compares the two components'
# sha256. Exit 0 only when they are byte-identical.
#
#   bash test-apps/ts-http-handler/check_reproducible.sh [WASM_TOOLS [KEEP_AS]]
# KEEP_AS: optional path where the first build's component is copied.
# Needs node/npm (registry access for npm ci) and wasm-tools (argument, or on PATH).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WASM_TOOLS=${1:-$(command -v wasm-tools || true)}
KEEP_AS=${2:-}
[ -x "$WASM_TOOLS" ] || { echo "wasm-tools not found: pass its path as the first argument" >&2; exit 2; }
RECIPE=$REPO/pants-plugins/warpgrid_pants/toolchains/scripts/componentize.mjs

build_once() {
  local dir=$1
  mkdir -p "$dir/toolchain" "$dir/app"
  cp "$REPO/third_party/js/componentize/package.json" "$REPO/third_party/js/componentize/package-lock.json" "$dir/toolchain/"
  (cd "$dir/toolchain" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  node "$RECIPE" apply-patches --toolchain "$dir/toolchain" --patches "$REPO/patches/componentize-js" >/dev/null
  node "$RECIPE" prepare-engine --toolchain "$dir/toolchain" --wasm-tools "$WASM_TOOLS" --out "$dir/engine.wasm" >/dev/null
  cp -r "$REPO/test-apps/ts-http-handler/package.json" "$REPO/test-apps/ts-http-handler/package-lock.json" \
        "$REPO/test-apps/ts-http-handler/src" "$dir/app/"
  (cd "$dir/app" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  (cd "$dir" && TMPDIR=$dir node "$RECIPE" build --toolchain "$dir/toolchain" --engine "$dir/engine.wasm" \
      --entry "$dir/app/src/index.ts" --project-dir "$dir/app" --sdk "$REPO/src/js/sdk" \
      --wit "$REPO/wit" --out "$dir/out/app.wasm" >/dev/null)
  sha256sum "$dir/out/app.wasm" | cut -d' ' -f1
}

A=$(mktemp -d /tmp/warpgrid-repro-a.XXXXXX)
B=$(mktemp -d /tmp/warpgrid-repro-bb.XXXXXXXX)   # a different path length on purpose
trap 'rm -rf "$A" "$B"' EXIT
a=$(build_once "$A")
b=$(build_once "$B")
[ -z "$KEEP_AS" ] || cp "$A/out/app.wasm" "$KEEP_AS"
echo "build 1: $a"
echo "build 2: $b"
[ "$a" = "$b" ] && echo "reproducible: yes" || { echo "reproducible: NO" >&2; exit 1; }
