#!/bin/sh
# Builds a wasi-libc sysroot reproducibly: same source + same tools => the same bytes in $OUT,
# whatever directory the build runs in. Run by the `wasi_libc_sysroot` Pants rule in a sandbox
# with an explicit environment; also usable by hand (see docs/FORK-MAINTENANCE.md).
#
# Environment:
#   SRC           wasi-libc source tree (the pinned upstream, normally already patched); read only
#   OUT           directory to install the sysroot into (include/, lib/wasm32-wasi/, share/wasm32-wasi/)
#   CC, AR, NM    clang, llvm-ar, llvm-nm (default clang-19, llvm-ar-19, llvm-nm-19)
#   JOBS          parallel make jobs (default 2)
#   THREAD_MODEL  single (default) or posix
#   PATCHES       optional: a directory of NNNN-*.patch files applied in name order before the
#                 build (the Pants rule applies the series itself and leaves this unset)
#   WORK          optional: scratch directory (default: $OUT.work, removed afterwards)
#
# Why each step (reproducibility):
#   - the tree is copied to a scratch directory and every compile maps that directory to the
#     fixed name /wasi-libc (-ffile-prefix-map), so no sandbox path reaches an object file;
#   - patch 0002 of the WarpGrid series sorts the Makefile's `find` results, so archive member
#     order does not depend on the file system; llvm-ar writes no timestamps/uids by default;
#   - LC_ALL=C, TZ=UTC and SOURCE_DATE_EPOCH pin anything locale- or clock-dependent;
#   - upstream's check-symbols (part of the default target) must pass: the patch series keeps
#     expected/ in step with clang 19 and with every symbol WarpGrid adds.
set -eu

. "$(dirname "$0")/patch_series.sh"

: "${SRC:?set SRC to the wasi-libc source tree}"
: "${OUT:?set OUT to the directory that receives the sysroot}"
CC=${CC:-clang-19}
AR=${AR:-llvm-ar-19}
NM=${NM:-llvm-nm-19}
JOBS=${JOBS:-2}
THREAD_MODEL=${THREAD_MODEL:-single}
WORK=${WORK:-$OUT.work}

[ -f "$SRC/Makefile" ] && [ -d "$SRC/libc-bottom-half" ] ||
    die "SRC=$SRC is not a wasi-libc source tree (no Makefile / libc-bottom-half): point SRC at the extracted upstream"
case $JOBS in '' | *[!0-9]*) die "JOBS=$JOBS is not a number" ;; esac
case $THREAD_MODEL in single | posix) ;; *) die "THREAD_MODEL=$THREAD_MODEL: use single or posix" ;; esac
for tool in "$CC" "$AR" "$NM"; do
    command -v "$tool" >/dev/null 2>&1 || die "tool '$tool' not found on PATH ($PATH)"
done

export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
umask 022

rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd -P)
cp -R "$SRC/." "$WORK/"

apply_patch_series "$WORK"

echo "build_wasi_libc.sh: $("$CC" --version | head -n 1); THREAD_MODEL=$THREAD_MODEL JOBS=$JOBS"
# EXTRA_CFLAGS replaces upstream's default (-O2 -DNDEBUG), so those two are repeated here; the
# expected predefined-macros list assumes NDEBUG.
make -C "$WORK" -j"$JOBS" \
    CC="$CC" AR="$AR" NM="$NM" THREAD_MODEL="$THREAD_MODEL" \
    EXTRA_CFLAGS="-O2 -DNDEBUG -ffile-prefix-map=$WORK=/wasi-libc" \
    SYSROOT="$WORK/sysroot" ||
    die "make failed (see above; a check-symbols diff means expected/ is out of step with the sources)"

[ -f "$WORK/sysroot/lib/wasm32-wasi/libc.a" ] || die "the build produced no lib/wasm32-wasi/libc.a"
mkdir -p "$OUT"
cp -R "$WORK/sysroot/." "$OUT/"
rm -rf "$WORK"
echo "build_wasi_libc.sh: sysroot in $OUT"
