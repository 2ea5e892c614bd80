#!/bin/sh
# Builds a Go main package into a WebAssembly component with TinyGo, reproducibly and offline:
#   1. tinygo build -target=wasip1 -buildmode=c-shared (a reactor core module; the WarpGrid
#      net/http in TINYGOROOT exports warpgrid:shim/http-handler@0.1.0#handle and cabi_realloc);
#   2. wasm-tools component embed WIT --world WORLD (the world's type information);
#   3. wasm-tools component new --adapt wasi_snapshot_preview1=REACTOR_ADAPTER.
# Run by the Go component Pants rule in a sandbox with an explicit environment; usable by hand.
#
# Environment:
#   TINYGOROOT   the toolchain made by build_tinygo.sh (bin/tinygo, src/, targets/, lib/, go/)
#   SRC          the Go module directory (go.mod, go.sum, the main package); read only
#   PKG          the main package inside SRC (default ".")
#   GOMODCACHE   optional: the module cache made by go_mod_download.sh for SRC's go.sum
#                (required when go.mod has requirements)
#   WIT          the WIT directory (wit/ with deps/), WORLD the world (warpgrid:shim/http-service)
#   ADAPTER      wasi_snapshot_preview1.reactor.wasm (the pinned jco package's lib/)
#   WASM_TOOLS   wasm-tools binary (default: wasm-tools on PATH)
#   OUT          the component to write; CORE_OUT optionally also keeps the core module
#   OPT          TinyGo -opt level (default z); SCHEDULER (default asyncify); GC (default: target's)
#   INTERP_TIMEOUT  TinyGo's budget for running package initializers at compile time (default 30m:
#                Go 1.24's crypto/internal/fips140/nistec init needs minutes on a busy machine,
#                beyond TinyGo's 3m default)
#   TINYGO_CACHE optional, NOT for hermetic builds: a persistent directory for GOCACHE and TinyGo's
#                library cache, shared between runs (the compatibility matrix and dev loops use it)
#   WORK         optional scratch directory (default $OUT.work, removed afterwards)
#
# Tools on PATH: clang-19 (or clang), wasm-ld-19, wasm-opt (binaryen >= 102).
# Why it is reproducible: the sources are copied to a fixed-name directory under WORK and built
# from there with -no-debug (no DWARF, so no paths); GOCACHE, XDG_CACHE_HOME (TinyGo's library
# cache) and HOME live in WORK; GOPROXY=off, GOFLAGS=-mod=readonly and GOTOOLCHAIN=local make the
# build use only TINYGOROOT's Go and the go.sum-verified modules; wasm-tools output is a pure
# function of its inputs.
set -eu

die() {
    echo "build_go_component.sh: error: $*" >&2
    exit 1
}

: "${TINYGOROOT:?set TINYGOROOT to the toolchain made by build_tinygo.sh}"
: "${SRC:?set SRC to the Go module directory}"
# CORE_OUT alone (no OUT): stop after the core module (the Pants rule componentizes it with the
# shared pipeline step, components/componentize.py, the same wasm-tools commands as below).
if [ -n "${OUT:-}" ] || [ -z "${CORE_OUT:-}" ]; then
    : "${WIT:?set WIT to the WIT directory}"
    : "${WORLD:?set WORLD, e.g. warpgrid:shim/http-service}"
    : "${ADAPTER:?set ADAPTER to wasi_snapshot_preview1.reactor.wasm}"
    : "${OUT:?set OUT to the component file to write}"
fi
PKG=${PKG:-.}
OPT=${OPT:-z}
SCHEDULER=${SCHEDULER:-asyncify}
INTERP_TIMEOUT=${INTERP_TIMEOUT:-30m}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
WORK=${WORK:-${OUT:-$CORE_OUT}.work}

[ -x "$TINYGOROOT/bin/tinygo" ] || die "TINYGOROOT=$TINYGOROOT has no bin/tinygo (run build_tinygo.sh)"
[ -x "$TINYGOROOT/go/bin/go" ] || die "TINYGOROOT=$TINYGOROOT has no go/bin/go"
[ -f "$SRC/go.mod" ] || die "SRC=$SRC has no go.mod"
if [ -n "${OUT:-}" ]; then
    [ -d "$WIT" ] || die "WIT=$WIT is not a directory"
    [ -f "$ADAPTER" ] || die "ADAPTER=$ADAPTER not found"
    command -v "$WASM_TOOLS" >/dev/null 2>&1 || die "wasm-tools '$WASM_TOOLS' not found"
fi
for tool in wasm-ld-19 wasm-opt; do
    command -v "$tool" >/dev/null 2>&1 || die "tool '$tool' not found on PATH ($PATH)"
done
if grep -q '^require' "$SRC/go.mod"; then
    [ -n "${GOMODCACHE:-}" ] && [ -d "$GOMODCACHE/cache/download" ] ||
        die "$SRC/go.mod has requirements: set GOMODCACHE to the cache made by go_mod_download.sh"
    [ -f "$SRC/go.sum" ] || die "$SRC/go.mod has requirements but no go.sum"
fi

export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
umask 022

TINYGOROOT=$(cd "$TINYGOROOT" && pwd -P)
rm -rf "$WORK"
mkdir -p "$WORK/home" "$WORK/gocache" "$WORK/gopath" "$WORK/src"
WORK=$(cd "$WORK" && pwd -P)
cp -R "$SRC/." "$WORK/src/"
if [ -z "${GOMODCACHE:-}" ]; then
    GOMODCACHE="$WORK/gopath/pkg/mod"
    mkdir -p "$GOMODCACHE"
fi
GOMODCACHE=$(cd "$GOMODCACHE" && pwd -P)

echo "build_go_component.sh: tinygo build $PKG${WORLD:+ ($WORLD)}"
(
    cd "$WORK/src"
    CACHE_ROOT=${TINYGO_CACHE:-$WORK/home/.cache}
    mkdir -p "$CACHE_ROOT"
    env HOME="$WORK/home" XDG_CACHE_HOME="$CACHE_ROOT" GOCACHE="$CACHE_ROOT/go-build" \
        GOPATH="$WORK/gopath" GOMODCACHE="$GOMODCACHE" GOROOT="$TINYGOROOT/go" TINYGOROOT="$TINYGOROOT" \
        GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=readonly GOSUMDB=off GOWORK=off \
        PATH="$TINYGOROOT/go/bin:$PATH" \
        "$TINYGOROOT/bin/tinygo" build -target=wasip1 -buildmode=c-shared -no-debug \
        -opt="$OPT" -scheduler="$SCHEDULER" -interp-timeout="$INTERP_TIMEOUT" ${GC:+-gc="$GC"} -o "$WORK/core.wasm" "$PKG"
) || die "tinygo build failed (see above)"
[ -s "$WORK/core.wasm" ] || die "tinygo produced no core module"

if [ -z "${OUT:-}" ]; then
    mkdir -p "$(dirname "$CORE_OUT")"
    cp "$WORK/core.wasm" "$CORE_OUT"
    rm -rf "$WORK"
    echo "build_go_component.sh: core module $CORE_OUT ($(wc -c <"$CORE_OUT") bytes)"
    exit 0
fi

"$WASM_TOOLS" component embed "$WIT" --world "$WORLD" "$WORK/core.wasm" -o "$WORK/embedded.wasm" ||
    die "wasm-tools component embed failed: the module's imports/exports do not fit world $WORLD"
"$WASM_TOOLS" component new "$WORK/embedded.wasm" --adapt "wasi_snapshot_preview1=$ADAPTER" -o "$WORK/component.wasm" ||
    die "wasm-tools component new failed (see above)"
"$WASM_TOOLS" validate --features all "$WORK/component.wasm" || die "the component does not validate"

mkdir -p "$(dirname "$OUT")"
cp "$WORK/component.wasm" "$OUT"
[ -z "${CORE_OUT:-}" ] || cp "$WORK/core.wasm" "$CORE_OUT"
rm -rf "$WORK"
echo "build_go_component.sh: $OUT ($(wc -c <"$OUT") bytes)"
