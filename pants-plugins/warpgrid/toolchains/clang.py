"""The host C toolchain for wasm32-wasi: clang-19 and its LLVM tools, found and fingerprinted.

Every Process that compiles C runs with an explicit env: PATH holds only shims for the tools it
needs (so nothing else on the host leaks in: e.g. clang runs `wasm-opt` after linking when it
finds one on PATH), and one `WARPGRID_TOOL_<NAME>` variable per tool carries a sha256 of that
tool's `--version` output, because Pants' cache key covers argv, env and inputs only: upgrading
clang must invalidate every cached object, locally and in the remote cache.

The clang resource dir is prepared here too: Debian ships the wasm32 builtins at
`lib/wasi/libclang_rt.builtins-wasm32.a`, while clang-19 looks for them where
`-print-libgcc-file-name` says (`lib/wasm32-unknown-wasi/libclang_rt.builtins.a`). A Process copies
clang's headers and the builtins archive into a digest with that layout; compiles then pass
`-resource-dir` pointing at it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Mapping

from pants.core.util_rules.environments import EnvironmentTarget
from pants.core.util_rules.system_binaries import (
    BashBinary,
    BinaryPath,
    BinaryPathRequest,
    BinaryPaths,
    BinaryPathTest,
    BinaryShims,
    BinaryShimsRequest,
)
from pants.engine.fs import Digest, RemovePrefix, Snapshot
from pants.engine.process import FallibleProcessResult, Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

# Where host tools are searched (the same as Pants' own system-binary search).
SEARCH_PATH = ("/usr/bin", "/bin", "/usr/local/bin")

# What compiling and linking C for wasm32-wasi needs. clang-19 execs wasm-ld from PATH.
CLANG_TOOL_NAMES = ("clang-19", "llvm-ar-19", "llvm-nm-19", "wasm-ld-19")

# What a Makefile-driven build (wasi-libc) runs besides the compiler: make and the shell
# utilities its recipes call. `sh` itself is found by make at /bin/sh.
MAKE_TOOL_NAMES = (
    "make",
    "bash",
    "basename",
    "cat",
    "chmod",
    "cmp",
    "cp",
    "cut",
    "diff",
    "dirname",
    "env",
    "find",
    "grep",
    "head",
    "ln",
    "ls",
    "mkdir",
    "mktemp",
    "mv",
    "rm",
    "rmdir",
    "sed",
    "sha256sum",
    "sort",
    "tail",
    "touch",
    "tr",
    "uniq",
    "wc",
    "xargs",
)

# Deterministic settings every toolchain Process gets.
DETERMINISTIC_ENV = FrozenDict({"SOURCE_DATE_EPOCH": "0", "LC_ALL": "C", "TZ": "UTC"})


class ToolchainError(Exception):
    """A host tool is missing or unusable; the message says which and how to fix it."""


@dataclass(frozen=True)
class HostToolsRequest:
    """Find these tools on the host (each must answer `--version`) and put shims on a PATH."""

    names: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class HostTools:
    """Found host tools, their fingerprints, and a shims directory to put on a Process' PATH."""

    paths: tuple[BinaryPath, ...]
    shims: BinaryShims

    def fingerprint_env(self) -> dict[str, str]:
        """One `WARPGRID_TOOL_<NAME>` per tool (sha256 of its `--version` output)."""
        return {_env_name(os.path.basename(p.path)): p.fingerprint for p in self.paths}

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The complete Process env: shims PATH, fingerprints, deterministic settings, `extra`."""
        return {
            **DETERMINISTIC_ENV,
            "PATH": self.shims.path_component,
            **self.fingerprint_env(),
            **(extra or {}),
        }

    @property
    def immutable_input_digests(self) -> Mapping[str, Digest]:
        return self.shims.immutable_input_digests


def _env_name(tool: str) -> str:
    return "WARPGRID_TOOL_" + "".join(c if c.isalnum() else "_" for c in tool).upper()


@rule(desc="Finding host tools", level=LogLevel.DEBUG)
async def find_host_tools(request: HostToolsRequest) -> HostTools:
    path_requests = [
        BinaryPathRequest(
            binary_name=name, search_path=SEARCH_PATH, test=BinaryPathTest(args=["--version"])
        )
        for name in request.names
    ]
    found = await MultiGet(Get(BinaryPaths, BinaryPathRequest, r) for r in path_requests)
    missing = [r.binary_name for r, paths in zip(path_requests, found) if not paths.first_path]
    if missing:
        raise ToolchainError(
            f"Cannot find {', '.join(missing)} on {list(SEARCH_PATH)} (needed to "
            f"{request.rationale}). On Debian bookworm install them with: apt-get install "
            "clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 make"
        )
    paths = tuple(p.first_path for p in found if p.first_path)
    shims = await Get(BinaryShims, BinaryShimsRequest.for_paths(*paths, rationale=request.rationale))
    return HostTools(paths, shims)


@dataclass(frozen=True)
class ClangToolchain:
    """clang-19, llvm-ar-19, llvm-nm-19 and wasm-ld-19, fingerprinted, behind PATH shims."""

    tools: HostTools

    clang = "clang-19"
    ar = "llvm-ar-19"
    nm = "llvm-nm-19"


@rule(desc="Finding clang-19 and the LLVM 19 tools", level=LogLevel.DEBUG)
async def find_clang_toolchain() -> ClangToolchain:
    tools = await Get(
        HostTools,
        HostToolsRequest(CLANG_TOOL_NAMES, rationale="compile C to wasm32-wasi"),
    )
    return ClangToolchain(tools)


@dataclass(frozen=True)
class MakeBuildTools:
    """clang-19 and friends plus make and the shell utilities a Makefile's recipes call."""

    tools: HostTools


@rule(desc="Finding make and the shell utilities", level=LogLevel.DEBUG)
async def find_make_build_tools() -> MakeBuildTools:
    tools = await Get(
        HostTools,
        HostToolsRequest(
            CLANG_TOOL_NAMES + MAKE_TOOL_NAMES, rationale="run a Makefile build with clang-19"
        ),
    )
    return MakeBuildTools(tools)


# ---------------------------------------------------------------------------------------------
# The clang resource dir with the wasm32 builtins where clang-19 looks for them
# ---------------------------------------------------------------------------------------------

RESOURCE_DIR_OUTPUT = "resource-dir"


@dataclass(frozen=True)
class ClangResourceDir:
    """A digest laid out as a clang resource dir: `include/` and the wasm32 builtins archive.

    Mount it with `immutable_input_digests={ClangResourceDir.mount: digest}` and pass
    `-resource-dir <mount>`.
    """

    digest: Digest
    builtins_path: str  # relative to the resource dir, e.g. lib/wasm32-unknown-wasi/libclang_rt.builtins.a
    builtins_sha256: str

    mount = "__warpgrid_clang_resource_dir"


@dataclass(frozen=True)
class _HostBuiltins:
    """Where the host keeps clang's resource dir and the wasm32 builtins, and their hash."""

    resource_dir: str
    builtins: str
    builtins_sha256: str
    wanted_relpath: str


_FIND_BUILTINS_SCRIPT = r"""
set -euo pipefail
rd="$(clang-19 -print-resource-dir)"
mkdir -p __empty
wanted="$(clang-19 --target=wasm32-wasi -resource-dir __empty -print-libgcc-file-name)"
wanted="${wanted#__empty/}"
have="$(clang-19 --target=wasm32-wasi -print-libgcc-file-name)"
if [ ! -f "$have" ]; then
  for candidate in "$rd/$wanted" "$rd/lib/wasi/libclang_rt.builtins-wasm32.a"; do
    if [ -f "$candidate" ]; then have="$candidate"; break; fi
  done
fi
if [ ! -f "$have" ]; then
  echo "clang-19 has no wasm32 builtins (looked for $have and $rd/lib/wasi/libclang_rt.builtins-wasm32.a): apt-get install libclang-rt-19-dev-wasm32" >&2
  exit 3
fi
sum="$(sha256sum "$have")"
printf '%s\n%s\n%s\n%s\n' "$rd" "$have" "${sum%% *}" "$wanted"
"""

_COPY_RESOURCE_DIR_SCRIPT = r"""
set -euo pipefail
out="resource-dir"
mkdir -p "$out/$(dirname "$WARPGRID_BUILTINS_RELPATH")"
cp -R "$WARPGRID_CLANG_RESOURCE_DIR/include" "$out/include"
cp "$WARPGRID_BUILTINS_SOURCE" "$out/$WARPGRID_BUILTINS_RELPATH"
sum="$(sha256sum "$out/$WARPGRID_BUILTINS_RELPATH")"
if [ "${sum%% *}" != "$WARPGRID_BUILTINS_SHA256" ]; then
  echo "$WARPGRID_BUILTINS_SOURCE changed while copying: expected sha256 $WARPGRID_BUILTINS_SHA256, got ${sum%% *}" >&2
  exit 4
fi
"""


@rule(desc="Locating clang-19's wasm32 builtins", level=LogLevel.DEBUG)
async def find_host_builtins(
    bash: BashBinary, env_target: EnvironmentTarget
) -> _HostBuiltins:
    tools = await Get(
        HostTools,
        HostToolsRequest(("clang-19", "mkdir", "sha256sum"), rationale="locate the wasm32 builtins"),
    )
    # Host discovery: like Pants' own binary search it is cached per pantsd lifetime only, since
    # the host may change under us; the fingerprint it yields goes into cacheable Processes.
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(bash.path, "-c", _FIND_BUILTINS_SCRIPT),
            description="Locate clang-19's wasm32 builtins",
            level=LogLevel.DEBUG,
            env=tools.env(),
            immutable_input_digests=tools.immutable_input_digests,
            cache_scope=env_target.executable_search_path_cache_scope(),
        ),
    )
    if result.exit_code != 0:
        raise ToolchainError(
            "Could not locate clang-19's wasm32 builtins: "
            + result.stderr.decode(errors="replace").strip()
        )
    lines = result.stdout.decode().splitlines()
    if len(lines) != 4:
        raise ToolchainError(f"Unexpected output locating the wasm32 builtins: {lines!r}")
    return _HostBuiltins(*lines)


@rule(desc="Preparing clang-19's resource dir for wasm32", level=LogLevel.DEBUG)
async def prepare_clang_resource_dir(bash: BashBinary) -> ClangResourceDir:
    host, tools = await MultiGet(
        Get(_HostBuiltins),
        Get(
            HostTools,
            HostToolsRequest(
                ("clang-19", "cp", "mkdir", "dirname", "sha256sum"),
                rationale="prepare clang's resource dir",
            ),
        ),
    )
    result = await Get(
        ProcessResult,
        Process(
            argv=(bash.path, "-c", _COPY_RESOURCE_DIR_SCRIPT),
            description="Prepare clang-19's resource dir with the wasm32 builtins",
            level=LogLevel.DEBUG,
            env=tools.env(
                {
                    "WARPGRID_CLANG_RESOURCE_DIR": host.resource_dir,
                    "WARPGRID_BUILTINS_SOURCE": host.builtins,
                    "WARPGRID_BUILTINS_SHA256": host.builtins_sha256,
                    "WARPGRID_BUILTINS_RELPATH": host.wanted_relpath,
                }
            ),
            immutable_input_digests=tools.immutable_input_digests,
            output_directories=(RESOURCE_DIR_OUTPUT,),
        ),
    )
    digest = await Get(Digest, RemovePrefix(result.output_digest, RESOURCE_DIR_OUTPUT))
    snapshot = await Get(Snapshot, Digest, digest)
    _require_files(
        snapshot.files,
        (host.wanted_relpath, "include/stddef.h", "include/stdarg.h"),
        what="clang's prepared resource dir",
    )
    return ClangResourceDir(digest, host.wanted_relpath, host.builtins_sha256)


def _require_files(files: Iterable[str], required: Iterable[str], *, what: str) -> None:
    present = set(files)
    missing = [f for f in required if f not in present]
    if missing:
        raise ToolchainError(f"{what} lacks {', '.join(missing)}")


def rules():
    return collect_rules()
