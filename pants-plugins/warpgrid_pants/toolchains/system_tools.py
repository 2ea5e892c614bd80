"""The one way a WarpGrid Process gets a host tool: found, fingerprinted, behind PATH shims.

Every toolchain (clang, make, node/npm, python3/patch for the upstream machinery) asks for its
tools with a `SystemToolsRequest`. One Process, `bash find_tools.sh` (its header says why not
Pants' BinaryPathRequest), finds them all and runs their version tests. The answer,
`SystemTools`, gives a Process:
  - a PATH holding shims for exactly those tools (nothing else on the host leaks in: e.g. clang
    runs `wasm-opt` after linking when it finds one on PATH);
  - one `WARPGRID_TOOL_<NAME>` variable per tool carrying the sha256 of its version output.
    Pants' cache key covers argv, env and inputs only, so this is what makes upgrading a tool
    invalidate cached results, locally and in a remote cache;
  - `DETERMINISTIC_ENV` (epoch, locale, zone), which every build Process has.
The shared failure formatting (`process_failure`, `step_failure`) and the plugin's own scripts
(`plugin_scripts`, read with pkgutil so an installed wheel works too) live here as well.
"""

from __future__ import annotations

import hashlib
import os
import pkgutil
from dataclasses import dataclass
from typing import Mapping

from pants.core.util_rules.system_binaries import BashBinary, BinaryPath, BinaryShims, BinaryShimsRequest
from pants.engine.addresses import Address
from pants.engine.fs import (
    EMPTY_DIGEST,
    CreateDigest,
    Digest,
    DigestContents,
    Directory,
    FileContent,
    MergeDigests,
)
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.option_types import StrListOption
from pants.option.subsystem import Subsystem
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

# Deterministic settings every build Process gets.
DETERMINISTIC_ENV = FrozenDict({"SOURCE_DATE_EPOCH": "0", "LC_ALL": "C", "TZ": "UTC"})

# How a tool proves it runs and reports its version (the output is fingerprinted).
_VERSION_ARG = {"go": "version"}
# Tools that are scripts for an interpreter (npm is `#!/usr/bin/env node`).
_SCRIPT_TOOLS = {"npm": "node"}


class ToolchainError(Exception):
    """A host tool is missing or unusable; the message says which and how to fix it."""


class SystemToolsSubsystem(Subsystem):
    options_scope = "warpgrid-system-tools"
    help = "Where WarpGrid looks for the host tools its build Processes run (clang-19, make, node, ...)."

    search_path = StrListOption(
        default=["/usr/bin", "/bin", "/usr/local/bin", "/usr/local/go/bin"],
        help=(
            "Directories searched, in order, for every host tool a WarpGrid build runs. Each "
            "tool found is fingerprinted (sha256 of its version output) into the cache key of "
            "every Process that uses it, so changing this can change which tool, and therefore "
            "which cache entries, a build uses."
        ),
    )


def process_failure(what: str, result: FallibleProcessResult) -> str:
    """The message for a failed tool run: what ran, its exit code and its whole output."""
    out = (result.stdout + b"\n" + result.stderr).decode(errors="replace").strip()
    return f"{what} failed (exit {result.exit_code}):\n{out}"


def step_failure(address: Address, step: str, result: FallibleProcessResult) -> str:
    """The message for a failed build step of a target: the target first, then the tool run."""
    return f"{address}: {process_failure(step, result)}"


def tool_env_name(tool: str) -> str:
    return "WARPGRID_TOOL_" + "".join(c if c.isalnum() else "_" for c in tool).upper()


@dataclass(frozen=True)
class SystemToolsRequest:
    """Tools a Process needs. `names` must exist; `optional` ones are shimmed when found."""

    names: tuple[str, ...]
    rationale: str
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemTools:
    """Found host tools, their fingerprints, and the shims directory for a Process' PATH."""

    paths: FrozenDict[str, BinaryPath]  # only the tools that were found
    shims: BinaryShims

    def has(self, name: str) -> bool:
        return name in self.paths

    def path(self, name: str) -> str:
        return self.paths[name].path

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The complete Process env: deterministic settings, shims PATH, fingerprints, `extra`."""
        return {
            **DETERMINISTIC_ENV,
            "PATH": self.shims.path_component,
            **{tool_env_name(name): p.fingerprint for name, p in sorted(self.paths.items())},
            **(extra or {}),
        }

    @property
    def immutable_input_digests(self) -> Mapping[str, Digest]:
        return self.shims.immutable_input_digests


FIND_TOOLS_SCRIPT = "find_tools.sh"
_FOUND = "found"


def _fingerprint(version_output: bytes) -> str:
    """Pants' fingerprint of a tested binary (BinaryPath.fingerprinted): sha256 of its version
    output. Kept identical, so the cache keys that hold it did not change when WarpGrid started
    finding tools with find_tools.sh."""
    return hashlib.sha256(version_output).hexdigest()


def _found_tool(found: Mapping[str, bytes], name: str) -> BinaryPath | None:
    """`name` as find_tools.sh recorded it; a script tool's fingerprint covers its interpreter."""
    path = found.get(f"{name}.path")
    if path is None:
        return None
    version = found[f"{name}.version"]
    interpreter = _SCRIPT_TOOLS.get(name)
    if interpreter is not None:
        version += _fingerprint(found[f"{interpreter}.version"]).encode()
    return BinaryPath(path.decode(), _fingerprint(version))


def _why_missing(found: Mapping[str, bytes], name: str) -> str:
    failed = found.get(f"{name}.failed", b"").decode().splitlines()
    if not failed:
        return f"no {name} there"
    return f"{name} failed its version test ({'; '.join(failed)})"


@rule(desc="Finding host tools", level=LogLevel.DEBUG)
async def find_system_tools(
    request: SystemToolsRequest, subsystem: SystemToolsSubsystem, bash: BashBinary
) -> SystemTools:
    search_path = tuple(subsystem.search_path)
    names = (*request.names, *(n for n in request.optional if n not in request.names))
    script, found_dir = await MultiGet(
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", FIND_TOOLS_SCRIPT)),
        Get(Digest, CreateDigest([Directory(_FOUND)])),
    )
    input_digest = await Get(Digest, MergeDigests([script, found_dir]))
    specs = (
        arg
        for n in names
        for arg in (n, _SCRIPT_TOOLS.get(n, ""), _VERSION_ARG.get(n, "--version"))
    )
    result = await Get(
        ProcessResult,
        Process(
            argv=(bash.path, FIND_TOOLS_SCRIPT, *specs),
            description=f"Finding {', '.join(names)} on {':'.join(search_path)}",
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            env={"PATH": ":".join(search_path)},
            output_directories=(_FOUND,),
            # As Pants' own binary discovery: once per run (or pantsd lifetime), never stored,
            # because upgrading a host tool changes the answer.
            cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
        ),
    )
    contents = await Get(DigestContents, Digest, result.output_digest)
    recorded = {os.path.basename(entry.path): entry.content for entry in contents}
    found = {n: p for n in names if (p := _found_tool(recorded, n)) is not None}
    missing = [n for n in request.names if n not in found]
    if missing:
        raise ToolchainError(
            f"Cannot find {', '.join(missing)} on {list(search_path)} (needed to "
            f"{request.rationale}): {'; '.join(_why_missing(recorded, n) for n in missing)}. "
            "`./pants` installs WarpGrid's Debian packages when run as root; otherwise install "
            "them, or point `[warpgrid-system-tools].search_path` at where they are."
        )
    shims = await Get(
        BinaryShims, BinaryShimsRequest.for_paths(*found.values(), rationale=request.rationale)
    )
    return SystemTools(FrozenDict(found), shims)


@dataclass(frozen=True)
class ToolProcess:
    """What every tool-process request (`ClangProcess`, `WasmToolsProcess`, `NodeToolProcess`,
    `BunProcess`, `CargoProcess`) says: the arguments after the tool, the sandbox's inputs,
    read-only `mounts` (immutable inputs: sysroots, scripts, engines) and the outputs.

    Each toolchain's rule turns its request into a `Process` with `process()`, adding what only
    it knows: the tool's argv prefix, its explicit env (deterministic settings, fingerprints)
    and its own mounts. The `GoSdkProcess` / `NodeJSToolProcess` pattern of Pants' backends.
    """

    args: tuple[str, ...]
    description: str
    input_digest: Digest = EMPTY_DIGEST
    mounts: FrozenDict[str, Digest] = FrozenDict()
    output_files: tuple[str, ...] = ()
    output_directories: tuple[str, ...] = ()
    level: LogLevel = LogLevel.DEBUG

    def process(
        self,
        argv0: tuple[str, ...],
        *,
        env: Mapping[str, str],
        mounts: Mapping[str, Digest],
        input_digest: Digest | None = None,
        **kwargs,
    ) -> Process:
        """The Process: `argv0` then `args`, exactly `env`, the tool's `mounts` and the request's."""
        return Process(
            argv=(*argv0, *self.args),
            description=self.description,
            level=self.level,
            input_digest=self.input_digest if input_digest is None else input_digest,
            immutable_input_digests={**mounts, **self.mounts},
            env=env,
            output_files=self.output_files,
            output_directories=self.output_directories,
            **kwargs,
        )


def plugin_scripts(package: str, *names: str, prefix: str = "") -> CreateDigest:
    """Scripts shipped inside the plugin (`<package>/scripts/<name>`), as a digest request.

    Read with pkgutil, so the plugin works from a source checkout and as an installed wheel.
    """
    files = []
    for name in names:
        try:
            content = pkgutil.get_data(package, f"scripts/{name}")
        except OSError:
            content = None
        if not content:
            raise ToolchainError(
                f"The WarpGrid plugin lacks {package.replace('.', '/')}/scripts/{name}: reinstall "
                "the plugin (its `resources` target ships the scripts)."
            )
        path = f"{prefix}/{name}" if prefix else name
        files.append(FileContent(path, content, is_executable=name.endswith(".sh")))
    return CreateDigest(files)


def rules():
    return [*collect_rules(), *SystemToolsSubsystem.rules()]
