# Sourced by build_wasi_libc.sh and build_c_library.sh, which ship with it (script_build.py):
# their error exit and their by-hand patch step.

die() {
    echo "${0##*/}: error: $*" >&2
    exit 1
}

# apply_patch_series TREE: when PATCHES is set (by-hand runs; the Pants rules apply the series
# themselves and leave it unset), apply its *.patch files to TREE in name order, failing with
# the first hunk that does not apply.
apply_patch_series() {
    [ -n "${PATCHES:-}" ] || return 0
    [ -d "$PATCHES" ] || die "PATCHES=$PATCHES is not a directory"
    for p in "$PATCHES"/*.patch; do
        [ -e "$p" ] || die "PATCHES=$PATCHES holds no *.patch files"
        if ! log=$(cd "$1" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch -r - <"$p" 2>&1); then
            echo "$log" >&2
            # The first failed hunk and the file it belongs to (patch prints the file first).
            where=$(echo "$log" | awk '/^patching file /{f=substr($0,15)} /FAILED/{print f ": " $0; exit}')
            die "patch $(basename "$p") does not apply: ${where:-see the output above}; rebase the series (docs/FORK-MAINTENANCE.md)"
        fi
    done
}
