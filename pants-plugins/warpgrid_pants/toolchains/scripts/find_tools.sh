#!/usr/bin/env bash
# Find host tools on PATH and record how each answers its version test: the one Process behind a
# `SystemToolsRequest` (system_tools.py).
#
# Why a script of our own: Pants' BinaryPathRequest writes `./find_binary.sh` into a new sandbox
# and executes it at once, one Process per tool. With several of those starting together, a
# concurrent fork can still hold the freshly written script open, the exec fails with ETXTBSY,
# and Pants 2.17's single retry then fails with EINVAL. Here bash *reads* this script (nothing
# written by the engine is executed), and one Process looks up all the tools of a request.
#
# Arguments: triples NAME INTERPRETER VERSION_ARG, e.g. `clang-19 '' --version  npm node --version`.
#   INTERPRETER  empty, or the tool that runs NAME (npm is a script for node); it is looked up and
#                version-tested the same way first, and NAME is tested as `INTERPRETER NAME ARG`.
# Environment: PATH, the search path (directories, in order).
# Output, in ./found (which must exist), for each NAME:
#   NAME.path     the first candidate whose version test exited 0 (absent: none did);
#   NAME.version  that test's stdout, byte for byte (its sha256 is the tool's fingerprint);
#   NAME.failed   one line per candidate that failed its test: `<path> exited <code>`.
# Only bash builtins are used, so the search path need not hold coreutils.
set -uo pipefail
set -f  # the search path is split on ":" only, never globbed

search_path=$PATH
# The version tests run without the search path, as Pants' did: a tool's answer must not depend
# on what else is installed.
unset PATH

# find NAME VERSION_ARG [INTERPRETER_PATH]: record the first candidate that passes its test.
find_tool() {
  local name=$1 arg=$2 interpreter=${3:-} dir candidate code
  local IFS=:
  for dir in $search_path; do
    [[ -n "$dir" ]] || continue
    candidate="$dir/$name"
    [[ -f "$candidate" && -x "$candidate" ]] || continue
    if [[ -n "$interpreter" ]]; then
      "$interpreter" "$candidate" "$arg" >"found/$name.version" 2>/dev/null
    else
      "$candidate" "$arg" >"found/$name.version" 2>/dev/null
    fi
    code=$?
    if ((code == 0)); then
      printf '%s' "$candidate" >"found/$name.path"
      return 0
    fi
    printf '%s exited %s\n' "$candidate" "$code" >>"found/$name.failed"
  done
  return 1
}

while (($# >= 3)); do
  name=$1 interpreter=$2 arg=$3
  shift 3
  if [[ -f "found/$name.path" ]]; then
    continue  # already found as another tool's interpreter
  elif [[ -z "$interpreter" ]]; then
    find_tool "$name" "$arg"
  elif [[ -f "found/$interpreter.path" ]] || find_tool "$interpreter" --version; then
    interpreter_path=$(<"found/$interpreter.path")
    find_tool "$name" "$arg" "$interpreter_path"
  fi
done
(($# == 0)) || { echo "find_tools.sh: arguments come in NAME INTERPRETER VERSION_ARG triples" >&2; exit 2; }
exit 0
