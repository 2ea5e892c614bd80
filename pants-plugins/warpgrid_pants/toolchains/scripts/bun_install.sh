#!/usr/bin/env bash
# WarpGrid Bun install step: the app's dependencies, exactly as its bun.lock pins them.
#
#   BUN=/abs/path/to/bun bun_install.sh APP_DIR
#
# Runs `bun install --frozen-lockfile --ignore-scripts --backend=copyfile` in APP_DIR with
# HOME, TMPDIR and Bun's download cache inside the current directory (the sandbox), so nothing
# from the user's machine leaks in. This is the only Bun step that needs the network (the npm
# registry, as Bun is configured; Bun verifies every tarball against the lockfile's sha512
# integrity). Its output, APP_DIR/node_modules, is a pure function of package.json + bun.lock:
#   --frozen-lockfile  fails if bun.lock does not match package.json (never re-resolves),
#   --ignore-scripts   no lifecycle script runs (not even Bun's default trusted ones),
#   --backend=copyfile real files, not hard links into the cache.
# Why bun.lock and not package-lock.json: it is what `bun install` writes for a Bun project, a
# text file that reviews and diffs like any source, and it is installed by the pinned Bun
# itself (no second package manager in the Bun path). Binary bun.lockb is refused: convert it
# with `bun install --save-text-lockfile`.
set -euo pipefail
APP=${1:?usage: BUN=/path/to/bun bun_install.sh APP_DIR}
: "${BUN:?set BUN to the pinned bun binary (third_party/upstreams.toml [bun]: bin/bun)}"
[ -x "$BUN" ] || { echo "bun_install: BUN=$BUN is not an executable" >&2; exit 1; }
[ -f "$APP/package.json" ] || { echo "bun_install: $APP/package.json is missing" >&2; exit 1; }
# An app without dependencies needs no lockfile (bun writes none for it): empty node_modules.
DEPS=$("$BUN" -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"].reduce((n, k) => n + Object.keys(p[k] ?? {}).length, 0))' "$APP/package.json") \
  || { echo "bun_install: cannot read $APP/package.json (not JSON?)" >&2; exit 1; }
if [ ! -f "$APP/bun.lock" ] && [ "$DEPS" = 0 ] && [ ! -f "$APP/bun.lockb" ]; then
  mkdir -p "$APP/node_modules"
  exit 0
fi
if [ ! -f "$APP/bun.lock" ]; then
  if [ -f "$APP/bun.lockb" ]; then
    echo "bun_install: $APP has only the binary bun.lockb; run \`bun install --save-text-lockfile\` there and commit bun.lock" >&2
  else
    echo "bun_install: $APP/bun.lock is missing; run \`bun install\` in $APP and commit bun.lock" >&2
  fi
  exit 1
fi
WORK=$(pwd)
mkdir -p "$WORK/.home" "$WORK/.tmp"
export HOME="$WORK/.home" TMPDIR="$WORK/.tmp" BUN_INSTALL_CACHE_DIR="${BUN_INSTALL_CACHE_DIR:-$WORK/.bun-cache}"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC NO_COLOR=1 BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 DO_NOT_TRACK=1
cd "$APP"
if ! "$BUN" install --frozen-lockfile --ignore-scripts --backend=copyfile --no-progress --no-summary; then
  echo "bun_install: \`bun install --frozen-lockfile\` failed in $APP (see above): regenerate bun.lock with \`bun install\` and check that every dependency exists in the registry Bun is configured for" >&2
  exit 1
fi
mkdir -p node_modules  # an app without dependencies still gets the (empty) output directory
