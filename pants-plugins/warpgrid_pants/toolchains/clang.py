"""The host C toolchain for wasm32-wasi: clang-19 and its LLVM tools, and the Process that runs it.

`[wasm-clang]` names the tools (Debian bookworm's clang-19 by default); `system_tools` finds and
fingerprints them. A `ClangProcess` (argv after the compiler, inputs, outputs) becomes a `Process`
with the clang shims on PATH, the fingerprints in env and clang's prepared resource dir mounted:
the `GoSdkProcess` pattern of Pants' Go backend.

The clang resource dir is prepared here too: Debian ships the wasm32 builtins at
`lib/wasi/libclang_rt.builtins-wasm32.a`, while clang-19 looks for them where
`-print-libgcc-file-name` says (`lib/wasm32-unknown-wasi/libclang_rt.builtins.a`). A Process copies
clang's headers and the builtins archive into a digest with that layout; compiles then pass
`-resource-dir` pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from pants.core.util_rules.environments import EnvironmentTarget
from pants.core.util_rules.system_binaries import BashBinary
from pants.engine.fs import Digest, RemovePrefix, Snapshot
from pants.engine.process import FallibleProcessResult, Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest, ToolchainError, ToolProcess

# What a Makefile-driven build (wasi-libc, C libraries) runs besides the compiler: make and the
# shell utilities its recipes call. `sh` itself is found by make at /bin/sh.
MAKE_TOOL_NAMES = (
    "make", "bash", "basename", "cat", "chmod", "cmp", "cp", "cut", "diff", "dirname", "env",
    "find", "grep", "head", "ln", "ls", "mkdir", "mktemp", "mv", "rm", "rmdir", "sed",
    "sha256sum", "sort", "tail", "touch", "tr", "uniq", "wc", "xargs",
)


class WasmClangSubsystem(Subsystem):
    options_scope = "wasm-clang"
    help = "The host clang and LLVM tools WarpGrid compiles C to wasm32-wasi with."

    clang = StrOption(
        default="clang-19",
        help="The clang executable (searched on `[warpgrid-system-tools].search_path`). It must "
        "target wasm32-wasi and find its wasm32 builtins (Debian: libclang-rt-19-dev-wasm32).",
    )
    ar = StrOption(default="llvm-ar-19", help="The archiver matching `clang`.")
    nm = StrOption(default="llvm-nm-19", help="The symbol lister matching `clang`.")
    wasm_ld = StrOption(
        default="wasm-ld-19", help="The wasm linker clang runs (found on the shims PATH)."
    )

    @property
    def tool_names(self) -> tuple[str, ...]:
        return (self.clang, self.ar, self.nm, self.wasm_ld)


@dataclass(frozen=True)
class ClangToolchainRequest:
    """clang and its LLVM tools, plus the `extra` host tools a build runs besides them (make and
    the shell utilities of a Makefile's recipes, a configure script's tools)."""

    extra: tuple[str, ...] = ()
    rationale: str = "compile C to wasm32-wasi"


# What a Makefile-driven build (the wasi-libc sysroot) asks for.
MAKE_BUILD_TOOLS = ClangToolchainRequest(MAKE_TOOL_NAMES, "run a Makefile build with clang")


@dataclass(frozen=True)
class ClangToolchain:
    """clang and its LLVM tools (and any extra tools), fingerprinted, behind PATH shims, under
    their configured names."""

    tools: SystemTools
    clang: str
    ar: str
    nm: str
    wasm_ld: str


@rule(desc="Finding clang and the LLVM tools", level=LogLevel.DEBUG)
async def find_clang_toolchain(request: ClangToolchainRequest, subsystem: WasmClangSubsystem) -> ClangToolchain:
    names = tuple(dict.fromkeys((*subsystem.tool_names, *request.extra)))
    tools = await Get(SystemTools, SystemToolsRequest(names, rationale=request.rationale))
    return ClangToolchain(tools, subsystem.clang, subsystem.ar, subsystem.nm, subsystem.wasm_ld)


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
rd="$("$CLANG" -print-resource-dir)"
mkdir -p __empty
wanted="$("$CLANG" --target=wasm32-wasi -resource-dir __empty -print-libgcc-file-name)"
wanted="${wanted#__empty/}"
have="$("$CLANG" --target=wasm32-wasi -print-libgcc-file-name)"
if [ ! -f "$have" ]; then
  for candidate in "$rd/$wanted" "$rd/lib/wasi/libclang_rt.builtins-wasm32.a"; do
    if [ -f "$candidate" ]; then have="$candidate"; break; fi
  done
fi
if [ ! -f "$have" ]; then
  echo "$CLANG has no wasm32 builtins (looked for $have and $rd/lib/wasi/libclang_rt.builtins-wasm32.a): apt-get install libclang-rt-19-dev-wasm32" >&2
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


def _script_process(
    bash: BashBinary, tools: SystemTools, script: str, description: str, env: Mapping[str, str], **kwargs
) -> Process:
    """A host-discovery script (above) run by bash with `tools` on PATH and `env` on top of theirs."""
    return Process(
        argv=(bash.path, "-c", script),
        description=description,
        level=LogLevel.DEBUG,
        env=tools.env(env),
        immutable_input_digests=tools.immutable_input_digests,
        **kwargs,
    )


@rule(desc="Locating clang-19's wasm32 builtins", level=LogLevel.DEBUG)
async def find_host_builtins(
    bash: BashBinary, env_target: EnvironmentTarget, subsystem: WasmClangSubsystem
) -> _HostBuiltins:
    tools = await Get(
        SystemTools,
        SystemToolsRequest(
            (subsystem.clang, "mkdir", "sha256sum"), rationale="locate the wasm32 builtins"
        ),
    )
    # Host discovery: like Pants' own binary search it is cached per pantsd lifetime only, since
    # the host may change under us; the fingerprint it yields goes into cacheable Processes.
    result = await Get(
        FallibleProcessResult,
        _script_process(
            bash,
            tools,
            _FIND_BUILTINS_SCRIPT,
            "Locate clang-19's wasm32 builtins",
            {"CLANG": subsystem.clang},
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
async def prepare_clang_resource_dir(
    bash: BashBinary, subsystem: WasmClangSubsystem
) -> ClangResourceDir:
    host, tools = await MultiGet(
        Get(_HostBuiltins),
        Get(
            SystemTools,
            SystemToolsRequest(
                (subsystem.clang, "cp", "mkdir", "dirname", "sha256sum"),
                rationale="prepare clang's resource dir",
            ),
        ),
    )
    result = await Get(
        ProcessResult,
        _script_process(
            bash,
            tools,
            _COPY_RESOURCE_DIR_SCRIPT,
            "Prepare clang-19's resource dir with the wasm32 builtins",
            {
                "WARPGRID_CLANG_RESOURCE_DIR": host.resource_dir,
                "WARPGRID_BUILTINS_SOURCE": host.builtins,
                "WARPGRID_BUILTINS_SHA256": host.builtins_sha256,
                "WARPGRID_BUILTINS_RELPATH": host.wanted_relpath,
            },
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


# ---------------------------------------------------------------------------------------------
# The Process that runs clang
# ---------------------------------------------------------------------------------------------


class ClangProcess(ToolProcess):
    """Run the configured clang with `args` (everything after the compiler name).

    The prepared resource dir is always mounted at `ClangResourceDir.mount`, for `-resource-dir`.
    """


@rule(level=LogLevel.DEBUG)
async def setup_clang_process(request: ClangProcess, resource_dir: ClangResourceDir) -> Process:
    clang = await Get(ClangToolchain, ClangToolchainRequest())
    return request.process(
        (clang.clang,),
        env=clang.tools.env(),
        mounts={**clang.tools.immutable_input_digests, ClangResourceDir.mount: resource_dir.digest},
    )


def _require_files(files: Iterable[str], required: Iterable[str], *, what: str) -> None:
    present = set(files)
    missing = [f for f in required if f not in present]
    if missing:
        raise ToolchainError(f"{what} lacks {', '.join(missing)}")


def rules():
    return [*collect_rules(), *WasmClangSubsystem.rules()]
