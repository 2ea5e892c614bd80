#!/bin/sh
# Builds a third-party C library (a pinned upstream plus patches) for wasm32-wasi against a
# WarpGrid wasi-libc sysroot: include/ + lib/lib$LIBNAME.a in $OUT, the same bytes for the same
# inputs whatever directory the build runs in. Run by the `c_library` Pants rule in a sandbox
# with an explicit environment; also usable by hand (docs/domains/02-libc-patches.md).
#
# Environment:
#   SRC           the library's source tree (the extracted upstream); read only
#   OUT           directory receiving include/ and lib/
#   SYSROOT       the wasi-libc sysroot (include/, lib/wasm32-wasi/)
#   RECIPE        a recipe file (sh syntax, sourced) setting:
#                   LIBNAME          archive name: lib/lib$LIBNAME.a
#                   SOURCES          C files to compile, relative to the tree
#                   HEADERS          headers to install, each `tree-path[:include-path]`
#                   CFLAGS           extra compile flags (-D, -I relative to the tree)
#                   CONFIGURE_ARGS   optional: run `./configure --host=wasm32-unknown-wasi
#                                    $CONFIGURE_ARGS` first (autoconf trees), with CC set to a
#                                    wrapper named `wasm32-wasi-clang` so no path reaches the
#                                    generated headers
#   RESOURCE_DIR  optional: clang resource dir holding the wasm32 builtins
#   PATCHES       optional: a directory of NNNN-*.patch files applied in name order
#   OVERLAY       optional: a directory of WarpGrid-written files copied over the tree after
#                 patching (e.g. generated-header replacements); never upstream text
#   CC, AR, LD    clang, llvm-ar and the wasm linker (default clang-19, llvm-ar-19, wasm-ld-19;
#                 clang-19 itself runs wasm-ld-19 from PATH, and configure insists on finding
#                 an `ld`, which must not be the host's)
# Tools on PATH besides those: sh, cp, mkdir, rm, cat, chmod, basename, dirname, printf, wc,
# patch, awk, tail, and for CONFIGURE_ARGS recipes sed, grep, expr, tr, sort, uniq, cmp, ls, mv,
# ln, touch, uname, head, rmdir (an autoconf configure's usual set).
#   WORK          optional: scratch directory (default: $OUT.work, removed afterwards)
#
# Reproducibility: the tree is copied to a scratch directory that every compile maps to
# /src/<LIBNAME> (-ffile-prefix-map), configure sees only the wrapper's name, objects are
# archived in SOURCES order with `llvm-ar rcD` (deterministic: no timestamps, uids or modes),
# and LC_ALL=C, TZ=UTC, SOURCE_DATE_EPOCH pin the rest.
set -eu

. "$(dirname "$0")/patch_series.sh"

: "${SRC:?set SRC to the library source tree}"
: "${OUT:?set OUT to the directory that receives include/ and lib/}"
: "${SYSROOT:?set SYSROOT to the wasi-libc sysroot}"
: "${RECIPE:?set RECIPE to the library recipe file}"
CC=${CC:-clang-19}
AR=${AR:-llvm-ar-19}
LD=${LD:-wasm-ld-19}
WORK=${WORK:-$OUT.work}

[ -d "$SRC" ] || die "SRC=$SRC is not a directory"
[ -f "$SYSROOT/lib/wasm32-wasi/libc.a" ] || die "SYSROOT=$SYSROOT has no lib/wasm32-wasi/libc.a: build third_party/wasi-libc:sysroot first"
[ -f "$RECIPE" ] || die "RECIPE=$RECIPE is not a file"
for tool in "$CC" "$AR" "$LD"; do
    command -v "$tool" >/dev/null 2>&1 || die "tool '$tool' not found on PATH ($PATH)"
done

LIBNAME= SOURCES= HEADERS= CFLAGS= CONFIGURE_ARGS=
. "$(cd "$(dirname "$RECIPE")" && pwd -P)/$(basename "$RECIPE")"
[ -n "$LIBNAME" ] || die "$RECIPE sets no LIBNAME"
[ -n "$SOURCES" ] || die "$RECIPE sets no SOURCES"

export LC_ALL=C TZ=UTC
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
umask 022

abs() { (cd "$1" && pwd -P); }
SYSROOT=$(abs "$SYSROOT")
mkdir -p "$OUT"
OUT=$(abs "$OUT")
rm -rf "$WORK"
mkdir -p "$WORK/tree" "$WORK/bin" "$WORK/obj" "$WORK/home"
WORK=$(abs "$WORK")
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache"
TREE=$WORK/tree
cp -R "$SRC/." "$TREE/"

apply_patch_series "$TREE"
if [ -n "${OVERLAY:-}" ]; then
    [ -d "$OVERLAY" ] || die "OVERLAY=$OVERLAY is not a directory"
    cp -R "$OVERLAY/." "$TREE/"
fi

# The compiler as configure and the compiles see it: target, sysroot and path mapping are
# fixed here so that neither configure's recorded arguments nor objects carry sandbox paths.
CC_PATH=$(command -v "$CC")
RD_FLAG=
if [ -n "${RESOURCE_DIR:-}" ]; then
    [ -d "$RESOURCE_DIR" ] || die "RESOURCE_DIR=$RESOURCE_DIR is not a directory"
    RD_FLAG="-resource-dir $(abs "$RESOURCE_DIR")"
fi
cat >"$WORK/bin/wasm32-wasi-clang" <<EOF
#!/bin/sh
exec "$CC_PATH" --target=wasm32-wasi --sysroot="$SYSROOT" $RD_FLAG \\
    -ffile-prefix-map="$TREE"=/src/$LIBNAME -ffile-prefix-map="$WORK"=/build -fno-ident "\$@"
EOF
chmod +x "$WORK/bin/wasm32-wasi-clang"
PATH="$WORK/bin:$PATH"

cd "$TREE"
if [ -n "$CONFIGURE_ARGS" ]; then
    [ -x ./configure ] || die "$RECIPE sets CONFIGURE_ARGS but $SRC has no ./configure"
    # shellcheck disable=SC2086 # word splitting of the recipe's argument list is intended
    ./configure --host=wasm32-unknown-wasi --build=x86_64-pc-linux-gnu \
        CC=wasm32-wasi-clang LD="$LD" $CONFIGURE_ARGS >"$WORK/configure.log" 2>&1 || {
        tail -n 40 "$WORK/configure.log" >&2
        die "./configure failed (last lines above; config.log in $TREE)"
    }
fi

objs=
i=0
for src in $SOURCES; do
    [ -f "$src" ] || die "$RECIPE lists $src, which is not in the tree"
    i=$((i + 1))
    # Numbered objects keep the archive order = SOURCES order and avoid name clashes
    # (src/port/foo.c and src/common/foo.c).
    obj="$WORK/obj/$(printf '%03d' "$i")-$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    wasm32-wasi-clang -O2 $CFLAGS -c "$src" -o "$obj" || die "compiling $src failed"
    objs="$objs $obj"
done

mkdir -p "$OUT/lib" "$OUT/include"
rm -f "$OUT/lib/lib$LIBNAME.a"
# shellcheck disable=SC2086
(cd "$WORK/obj" && "$AR" rcD "$OUT/lib/lib$LIBNAME.a" $(for o in $objs; do basename "$o"; done)) ||
    die "$AR failed to write lib$LIBNAME.a"

for h in $HEADERS; do
    from=${h%%:*}
    to=${h#*:}
    [ "$to" = "$h" ] && to=$(basename "$from")
    [ -f "$from" ] || die "$RECIPE installs header $from, which is not in the tree (after configure)"
    mkdir -p "$OUT/include/$(dirname "$to")"
    cp "$from" "$OUT/include/$to"
done

cd /
rm -rf "$WORK"
echo "build_c_library.sh: $OUT/lib/lib$LIBNAME.a ($i objects) and $(echo $HEADERS | wc -w) headers"
