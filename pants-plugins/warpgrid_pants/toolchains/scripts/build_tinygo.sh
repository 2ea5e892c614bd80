#!/bin/sh
# Builds a TinyGo toolchain (a TINYGOROOT) reproducibly from pinned sources: the TinyGo module tree,
# the Go 1.24 toolchain module, the patched wasi-libc source and Debian's LLVM 19. Same inputs +
# same Debian packages => the same bytes in $OUT, whatever directory the build runs in. Run by the
# `tinygo_toolchain` Pants rule in a sandbox with an explicit environment; usable by hand too.
#
# Environment (inputs are read only; nothing outside $OUT and $WORK is written):
#   TINYGO_SRC      the extracted TinyGo v0.37.0 module tree (normally already patched with
#                   patches/tinygo; set PATCHES to apply a series here instead)
#   GO_ROOT         the extracted Go toolchain module tree (go1.24.x: TinyGo 0.37 accepts 1.19-1.24);
#                   it builds tinygo and becomes the GOROOT tinygo compiles against
#   GOMODCACHE      a module cache holding TinyGo's dependencies (filled by a separate, networked
#                   `go mod download` step in TINYGO_SRC; go.sum verifies it here, GOPROXY=off)
#   WASI_LIBC_SRC   the PATCHED wasi-libc source tree (the project's [wasi-libc] pin + its series)
#   OVERLAY         optional: a directory merged over TINYGOROOT/src (WarpGrid's net, net/http)
#   COMPILER_RT     prebuilt wasm32 builtins archive
#                   (default /usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a)
#   OUT             the TINYGOROOT to create (bin/tinygo, src/, targets/, lib/, go/ = GOROOT)
#   CC, AR, NM      clang-19, llvm-ar-19, llvm-nm-19 (defaults) for wasi-libc
#   JOBS            parallel jobs (default 2)
#   PATCHES         optional: a directory of NNNN-*.patch applied to TINYGO_SRC in name order
#   WORK            optional scratch directory (default $OUT.work, removed afterwards)
#
# Why each step (reproducibility):
#   - GOCACHE, GOPATH, HOME and XDG_CACHE_HOME live in $WORK; GOTOOLCHAIN=local, GOPROXY=off,
#     GOFLAGS=-mod=readonly: the build uses only the given Go and the given, go.sum-checked modules;
#   - `go build -trimpath -buildvcs=false -ldflags='-buildid= -s -w'` keeps work-dir paths, VCS
#     stamps and build ids out of the binary;
#   - wasi-libc compiles map its scratch dir to /wasi-libc (-ffile-prefix-map); the WarpGrid
#     series sorts archive members; llvm-ar writes no timestamps;
#   - files are copied with fixed modes; LC_ALL=C, TZ=UTC, SOURCE_DATE_EPOCH=0.
set -eu

die() {
    echo "build_tinygo.sh: error: $*" >&2
    exit 1
}

: "${TINYGO_SRC:?set TINYGO_SRC to the TinyGo module tree}"
: "${GO_ROOT:?set GO_ROOT to the Go 1.24 toolchain tree}"
: "${GOMODCACHE:?set GOMODCACHE to the module cache with TinyGo dependencies}"
: "${WASI_LIBC_SRC:?set WASI_LIBC_SRC to the patched wasi-libc source tree}"
: "${OUT:?set OUT to the TINYGOROOT to create}"
COMPILER_RT=${COMPILER_RT:-/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a}
CC=${CC:-clang-19}
AR=${AR:-llvm-ar-19}
NM=${NM:-llvm-nm-19}
JOBS=${JOBS:-2}
WORK=${WORK:-$OUT.work}

[ -f "$TINYGO_SRC/go.mod" ] && [ -d "$TINYGO_SRC/src/runtime" ] && [ -d "$TINYGO_SRC/targets" ] ||
    die "TINYGO_SRC=$TINYGO_SRC is not a TinyGo module tree (no go.mod, src/runtime, targets/)"
[ -x "$GO_ROOT/bin/go" ] || [ -f "$GO_ROOT/bin/go" ] || die "GO_ROOT=$GO_ROOT has no bin/go"
[ -f "$GO_ROOT/VERSION" ] || die "GO_ROOT=$GO_ROOT has no VERSION file"
case $(head -n 1 "$GO_ROOT/VERSION") in
go1.19* | go1.2[0-4]*) ;;
*) die "GO_ROOT=$GO_ROOT is $(head -n 1 "$GO_ROOT/VERSION"); TinyGo 0.37 needs go1.19 through go1.24" ;;
esac
[ -d "$GOMODCACHE/cache/download" ] || die "GOMODCACHE=$GOMODCACHE is not a module cache (no cache/download): run the dependency download step"
[ -f "$WASI_LIBC_SRC/Makefile" ] && [ -d "$WASI_LIBC_SRC/libc-bottom-half" ] ||
    die "WASI_LIBC_SRC=$WASI_LIBC_SRC is not a wasi-libc source tree"
[ -f "$COMPILER_RT" ] || die "COMPILER_RT=$COMPILER_RT not found (Debian package libclang-rt-19-dev-wasm32)"
[ -z "${OVERLAY:-}" ] || [ -d "$OVERLAY" ] || die "OVERLAY=$OVERLAY is not a directory"
for tool in "$CC" "$AR" "$NM" make patch; do
    command -v "$tool" >/dev/null 2>&1 || die "tool '$tool' not found on PATH ($PATH)"
done
[ -f /usr/lib/llvm-19/include/llvm-c/Core.h ] || die "LLVM 19 headers missing (Debian llvm-19-dev)"
[ -f /usr/include/clang-c/Index.h ] || [ -f /usr/lib/llvm-19/include/clang-c/Index.h ] ||
    die "libclang 19 headers missing (Debian libclang-19-dev)"

export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
umask 022

rm -rf "$WORK" "$OUT"
mkdir -p "$WORK" "$OUT"
WORK=$(cd "$WORK" && pwd -P)
OUT=$(cd "$OUT" && pwd -P)
GOMODCACHE=$(cd "$GOMODCACHE" && pwd -P)

# 1. The TinyGo tree, patched.
cp -R "$TINYGO_SRC/." "$WORK/tinygo/" 2>/dev/null || { mkdir -p "$WORK/tinygo" && cp -R "$TINYGO_SRC/." "$WORK/tinygo/"; }
chmod -R u+w "$WORK/tinygo"
if [ -n "${PATCHES:-}" ]; then
    [ -d "$PATCHES" ] || die "PATCHES=$PATCHES is not a directory"
    for p in "$PATCHES"/*.patch; do
        [ -e "$p" ] || die "PATCHES=$PATCHES holds no *.patch files"
        (cd "$WORK/tinygo" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -r - <"$p" >/dev/null) ||
            die "patch $(basename "$p") does not apply to TINYGO_SRC; rebase the series (docs/FORK-MAINTENANCE.md)"
    done
fi
grep -q "lib/compiler-rt-prebuilt" "$WORK/tinygo/builder/build.go" ||
    die "TINYGO_SRC lacks patches/tinygo/0001 (prebuilt compiler-rt): apply the series first"

# 2. The Go toolchain, with the exec bits a module zip does not carry.
mkdir -p "$OUT/go"
cp -R "$GO_ROOT/." "$OUT/go/"
chmod -R u+w,go-w "$OUT/go"
chmod 0755 "$OUT/go/bin/"* "$OUT/go/pkg/tool/"*/* 2>/dev/null || true
GO="$OUT/go/bin/go"

# 3. tinygo itself (cgo against Debian's LLVM 19 / libclang 19).
mkdir -p "$WORK/home" "$WORK/gocache" "$WORK/gopath" "$OUT/bin"
echo "build_tinygo.sh: building tinygo with $("$GO" version | cut -d' ' -f3) and $(llvm-config-19 --version 2>/dev/null || echo 'LLVM 19')"
(
    cd "$WORK/tinygo"
    env HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache" GOROOT="$OUT/go" GOPATH="$WORK/gopath" \
        GOCACHE="$WORK/gocache" GOMODCACHE="$GOMODCACHE" GOTOOLCHAIN=local GOPROXY=off \
        GOFLAGS=-mod=readonly GONOSUMDB= GOSUMDB=off GOWORK=off CGO_ENABLED=1 CC=clang-19 CXX=clang++-19 \
        "$GO" build -p "$JOBS" -trimpath -buildvcs=false -ldflags='-buildid= -s -w' -o "$OUT/bin/tinygo" .
) || die "go build of tinygo failed (see above)"

# 4. TINYGOROOT: src/ and targets/ from the tree, WarpGrid's overlay over src/.
cp -R "$WORK/tinygo/src" "$WORK/tinygo/targets" "$OUT/"
mkdir -p "$OUT/src/net"
if [ -n "${OVERLAY:-}" ]; then
    cp -R "$OVERLAY/." "$OUT/src/"
fi
mkdir -p "$OUT/lib/compiler-rt-prebuilt"
cp "$COMPILER_RT" "$OUT/lib/compiler-rt-prebuilt/libclang_rt.builtins-wasm32.a"
cp "$WORK/tinygo/LICENSE" "$OUT/LICENSE"

# 5. wasi-libc for TinyGo: TinyGo's own recipe (MALLOC_IMPL=none: TinyGo brings its allocator),
#    upstream's default target (with MALLOC_IMPL=none it skips check-symbols, whose lists hold the
#    dlmalloc symbols this build leaves out).
cp -R "$WASI_LIBC_SRC/." "$WORK/wasi-libc/" 2>/dev/null || { mkdir -p "$WORK/wasi-libc" && cp -R "$WASI_LIBC_SRC/." "$WORK/wasi-libc/"; }
chmod -R u+w "$WORK/wasi-libc"
make -C "$WORK/wasi-libc" -j"$JOBS" CC="$CC" AR="$AR" NM="$NM" MALLOC_IMPL=none \
    EXTRA_CFLAGS="-O2 -g -DNDEBUG -mnontrapping-fptoint -msign-ext -ffile-prefix-map=$WORK/wasi-libc=/wasi-libc" \
    SYSROOT="$WORK/wasi-libc/sysroot" >"$WORK/wasi-libc.log" 2>&1 ||
    { tail -n 40 "$WORK/wasi-libc.log" >&2; die "wasi-libc make failed (log above)"; }
[ -f "$WORK/wasi-libc/sysroot/lib/wasm32-wasi/libc.a" ] || die "wasi-libc produced no lib/wasm32-wasi/libc.a"
mkdir -p "$OUT/lib/wasi-libc/sysroot"
cp -R "$WORK/wasi-libc/sysroot/." "$OUT/lib/wasi-libc/sysroot/"

# 6. Fixed modes everywhere; a smoke test that the binary runs and finds its root.
find "$OUT" -type d -exec chmod 0755 {} +
find "$OUT" -type f ! -perm -u+x -exec chmod 0644 {} +
find "$OUT" -type f -perm -u+x -exec chmod 0755 {} +
env GOROOT="$OUT/go" PATH="$OUT/go/bin:$PATH" "$OUT/bin/tinygo" version >/dev/null 2>&1 || die "the built tinygo does not run: $("$OUT/bin/tinygo" version 2>&1 | head -n 3)"
rm -rf "$WORK"
echo "build_tinygo.sh: TINYGOROOT in $OUT ($(env GOROOT="$OUT/go" PATH="$OUT/go/bin:$PATH" "$OUT/bin/tinygo" version))"
