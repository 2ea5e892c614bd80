#!/bin/sh
# The one networked step of the Go path: downloads every module a Go module's go.sum lists into a
# fresh module cache and verifies it, so the build steps run with GOPROXY=off. Keyed by go.mod +
# go.sum (a Pants Process whose inputs are those two files is cached on them).
#
# Environment:
#   GO_ROOT      a Go toolchain tree (TINYGOROOT/go, or the pinned go-toolchain upstream)
#   SRC          directory holding go.mod and go.sum (only those two are read)
#   OUT          the module cache to create (GOMODCACHE layout: cache/download/..., extracted trees)
#   WORK         optional scratch directory (default $OUT.work)
# GOPROXY / GOSUMDB / GOPRIVATE / GONOSUMDB are passed through from the caller's environment when
# set (the go command's own defaults otherwise); nothing else from the environment is used.
#
# Why the result is trustworthy and stable: `-mod=readonly` refuses any module whose hash go.sum
# does not already hold, `go mod verify` re-hashes every extracted tree against go.sum, and the
# cache's lock files and the go command's own bookkeeping are removed so the output depends only
# on go.sum.
set -eu

die() {
    echo "go_mod_download.sh: error: $*" >&2
    exit 1
}

: "${GO_ROOT:?set GO_ROOT to a Go toolchain tree}"
: "${SRC:?set SRC to the directory with go.mod and go.sum}"
: "${OUT:?set OUT to the module cache to create}"
WORK=${WORK:-$OUT.work}
[ -x "$GO_ROOT/bin/go" ] || die "GO_ROOT=$GO_ROOT has no executable bin/go"
[ -f "$SRC/go.mod" ] || die "SRC=$SRC has no go.mod"
[ -f "$SRC/go.sum" ] || die "SRC=$SRC has no go.sum (run 'go mod tidy' in the project and commit go.sum)"

export LC_ALL=C TZ=UTC
umask 022
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/mod" "$WORK/home" "$WORK/gocache" "$OUT"
WORK=$(cd "$WORK" && pwd -P)
OUT=$(cd "$OUT" && pwd -P)
cp "$SRC/go.mod" "$SRC/go.sum" "$WORK/mod/"
GO_ROOT=$(cd "$GO_ROOT" && pwd -P)

gomod() {
    (
        cd "$WORK/mod"
        env -i PATH="$GO_ROOT/bin:$PATH" HOME="$WORK/home" GOROOT="$GO_ROOT" GOPATH="$WORK/gopath" \
            GOCACHE="$WORK/gocache" GOMODCACHE="$OUT" GOTOOLCHAIN=local GOFLAGS="-mod=readonly -modcacherw" \
            GOWORK=off ${GOPROXY:+GOPROXY="$GOPROXY"} ${GOSUMDB:+GOSUMDB="$GOSUMDB"} \
            ${GOPRIVATE:+GOPRIVATE="$GOPRIVATE"} ${GONOSUMDB:+GONOSUMDB="$GONOSUMDB"} \
            ${SSL_CERT_FILE:+SSL_CERT_FILE="$SSL_CERT_FILE"} ${HTTPS_PROXY:+HTTPS_PROXY="$HTTPS_PROXY"} \
            "$GO_ROOT/bin/go" mod "$@"
    )
}
gomod download && gomod verify || die "go mod download / verify failed for $SRC/go.sum (see above)"

# Only the downloaded modules: drop lock files and the go command's per-run state.
find "$OUT" -name '*.lock' -type f -delete
rm -rf "$OUT/cache/download/sumdb" "$OUT/cache/vcs"
find "$OUT" -type d -exec chmod 0755 {} +
find "$OUT" -type f -exec chmod 0644 {} +
rm -rf "$WORK"
echo "go_mod_download.sh: module cache in $OUT ($(find "$OUT/cache/download" -name '*.zip' | wc -l) modules)"
