#!/usr/bin/env bash
# WarpGrid Bun component, hand-run chain of the three build steps (each is one Pants Process in
# the bun_component rule; this script runs them in order for development and checks):
#
#   1. bun_install.sh   APP_DIR/node_modules from package.json + bun.lock   (network; cacheable)
#   2. bun_bundle.mjs   entry + node_modules + SDKs -> one ESM bundle        (hermetic, ~0.1 s)
#   3. componentize.mjs the bundle -> an http-service component              (hermetic, ~9 s+)
#
# usage (from the directory that mirrors the repository: APP, SDKs and wit/ at repo paths):
#   BUN=/abs/bun NODE_TOOLCHAIN=/abs/componentize-toolchain ENGINE=/abs/engine.wasm \
#   CJS=/abs/componentize.mjs bun_component.sh APP_DIR ENTRY OUT.wasm [WORLD]
# Optional: SKIP_INSTALL=1 (node_modules already there), BUNDLE_OUT=path (keep the bundle),
#           BUN_SDK (default src/js/bun-sdk), SDK (default src/js/sdk), WIT (default wit).
set -euo pipefail
APP=${1:?usage: bun_component.sh APP_DIR ENTRY OUT.wasm [WORLD]}
ENTRY=${2:?entry file, e.g. APP_DIR/src/index.ts}
OUT=${3:?output component path}
WORLD=${4:-warpgrid:shim/http-service}
HERE=$(cd "$(dirname "$0")" && pwd)
: "${BUN:?set BUN to the pinned bun binary}" "${NODE_TOOLCHAIN:?set NODE_TOOLCHAIN to the patched componentize toolchain}"
: "${ENGINE:?set ENGINE to the deterministic engine (componentize.mjs prepare-engine)}" "${CJS:?set CJS to componentize.mjs}"
BUN_SDK=${BUN_SDK:-src/js/bun-sdk}; SDK=${SDK:-src/js/sdk}; WIT=${WIT:-wit}
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
WORK=$(mktemp -d "${TMPDIR:-/tmp}/warpgrid-bun.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Always componentize $WORK/bundle/bundle.js: the bundle file name ends up in the component.
BUNDLE=$WORK/bundle/bundle.js

t0=$(date +%s.%N)
# The install step keeps HOME/TMPDIR/cache in its working directory: run it in $WORK.
ABS_APP=$(cd "$APP" && pwd)
[ "${SKIP_INSTALL:-0}" = 1 ] || (cd "$WORK" && BUN="$BUN" bash "$HERE/bun_install.sh" "$ABS_APP")
t1=$(date +%s.%N)
HOME="$WORK" TMPDIR="$WORK" BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 "$BUN" "$HERE/bun_bundle.mjs" \
  --entry "$ENTRY" --project-dir "$APP" --bun-sdk "$BUN_SDK" --sdk "$SDK" --out "$BUNDLE"
[ -z "${BUNDLE_OUT:-}" ] || cp "$BUNDLE" "$BUNDLE_OUT"
t2=$(date +%s.%N)
mkdir -p "$WORK/cjs"
TMPDIR="$WORK/cjs" node "$CJS" build --toolchain "$NODE_TOOLCHAIN" --engine "$ENGINE" \
  --entry "$BUNDLE" --project-dir "$(dirname "$BUNDLE")" --wit "$WIT" --world "$WORLD" --out "$OUT"
t3=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "times: install %.2fs, bundle %.2fs, componentize %.2fs\n", b-a, c-b, d-c }'
