"""System tools for upstream processes: found with BinaryPathRequest, exposed via shims, fingerprinted.

A Process only sees the tools it asked for (PATH holds shims, nothing else from the host), and
each tool's `--version` output is hashed into the Process env, so upgrading a tool invalidates
cached results instead of silently reusing them.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass

from pants.core.util_rules.system_binaries import (
    BinaryPath,
    BinaryPathRequest,
    BinaryPaths,
    BinaryPathTest,
    BinaryShims,
    BinaryShimsRequest,
)
from pants.engine.fs import CreateDigest, FileContent
from pants.engine.internals.selectors import Get, MultiGet
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

TOOL_SEARCH_PATH = ("/usr/bin", "/bin", "/usr/local/bin", "/usr/local/go/bin")

# How each tool proves it runs and reports its version (stdout is fingerprinted).
_VERSION_ARGS = {"go": ("version",)}
# Tools that are scripts run by an interpreter (which must be requested too, for the shims).
_SCRIPT_TOOLS = {"npm": "node"}

SCRIPTS_DIR = "__warpgrid_scripts"


def process_failure(what: str, result: FallibleProcessResult) -> str:
    """The message for a failed tool run: what ran, its exit code and its whole output."""
    out = (result.stdout + b"\n" + result.stderr).decode(errors="replace").strip()
    return f"{what} failed (exit {result.exit_code}):\n{out}"


@dataclass(frozen=True)
class UpstreamToolsRequest:
    """Tools a Process needs. `required` tools must exist; `optional` ones are shimmed if found."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    rationale: str = "work with pinned upstreams"


@dataclass(frozen=True)
class UpstreamTools:
    paths: FrozenDict[str, BinaryPath]  # only the tools that were found
    shims: BinaryShims

    def path(self, name: str) -> str:
        return self.paths[name].path

    @property
    def env(self) -> dict[str, str]:
        """PATH to the shims plus one fingerprint variable per tool (part of the cache key)."""
        env = {"PATH": self.shims.path_component}
        for name, binary in sorted(self.paths.items()):
            key = "WARPGRID_TOOL_" + "".join(c if c.isalnum() else "_" for c in name.upper())
            env[key] = f"{binary.path}:{binary.fingerprint}"
        return env

    @property
    def immutable_input_digests(self):
        return self.shims.immutable_input_digests


def _request(name: str) -> BinaryPathRequest:
    return BinaryPathRequest(
        binary_name=name,
        search_path=TOOL_SEARCH_PATH,
        test=BinaryPathTest(_VERSION_ARGS.get(name, ("--version",))),
    )


@dataclass(frozen=True)
class _ScriptToolRequest:
    """A tool that is a script for an interpreter (npm is `#!/usr/bin/env node`): its version
    test must run through the interpreter, because BinaryPathTest runs with an empty PATH."""

    name: str
    interpreter: str


@rule(desc="Finding a script tool", level=LogLevel.DEBUG)
async def find_script_tool(request: _ScriptToolRequest) -> BinaryPaths:
    interpreters, candidates = await MultiGet(
        Get(BinaryPaths, BinaryPathRequest, _request(request.interpreter)),
        Get(BinaryPaths, BinaryPathRequest(binary_name=request.name, search_path=TOOL_SEARCH_PATH)),
    )
    if interpreters.first_path is None or candidates.first_path is None:
        return BinaryPaths(request.name)
    path = candidates.first_path.path
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=[interpreters.first_path.path, path, "--version"],
            description=f"Test binary {path}.",
            level=LogLevel.DEBUG,
            cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
        ),
    )
    if result.exit_code != 0:
        return BinaryPaths(request.name)
    fingerprint = BinaryPath.fingerprinted(path, result.stdout + interpreters.first_path.fingerprint.encode())
    return BinaryPaths(request.name, [fingerprint])


@rule(desc="Finding tools for pinned upstreams")
async def find_upstream_tools(request: UpstreamToolsRequest) -> UpstreamTools:
    names = (*request.required, *(n for n in request.optional if n not in request.required))
    all_paths = await MultiGet(
        Get(BinaryPaths, _ScriptToolRequest(n, _SCRIPT_TOOLS[n]))
        if n in _SCRIPT_TOOLS
        else Get(BinaryPaths, BinaryPathRequest, _request(n))
        for n in names
    )
    found: dict[str, BinaryPath] = {}
    for name, paths in zip(names, all_paths):
        if paths.first_path is not None:
            found[name] = paths.first_path
        elif name in request.required:
            paths.first_path_or_raise(_request(name), rationale=request.rationale)
    shims = await Get(
        BinaryShims,
        BinaryShimsRequest.for_paths(*found.values(), rationale=request.rationale),
    )
    return UpstreamTools(paths=FrozenDict(found), shims=shims)


def script_digest_request(*names: str) -> CreateDigest:
    """The helper scripts shipped in `warpgrid/upstream/scripts/`, placed under SCRIPTS_DIR."""
    files = []
    for name in names:
        content = pkgutil.get_data("warpgrid.upstream", f"scripts/{name}")
        if content is None:
            raise FileNotFoundError(f"warpgrid/upstream/scripts/{name} is missing from the plugin")
        files.append(FileContent(f"{SCRIPTS_DIR}/{name}", content))
    return CreateDigest(files)


def rules():
    return collect_rules()
