"""Pipeline step 1: the WIT world a component targets, resolved once for every language.

`WitWorldRequest` (the target's `wit` directory and `world`) -> `WitWorld`: the WIT files as a
digest, the directory they sit in, and what the world implies (the export it must have, whether
it is a command). Each language rule starts from a `WitWorld`; none globs WIT files itself.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Optional

from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents, PathGlobs, Snapshot
from pants.engine.rules import Get, collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest

# What a component of a known world must export, as `wasm-tools component wit` prints it.
WORLD_EXPORTS = {
    "http-service": "export warpgrid:shim/http-handler@",
    "cli-service": "export wasi:cli/run@",
}

_WASI_CLI_PACKAGE = re.compile(rb"^\s*package\s+wasi:cli@([0-9A-Za-z.+-]+)\s*;", re.MULTILINE)
_PACKAGE = re.compile(rb"^\s*package\s+([a-z][\w-]*:[a-z][\w-]*)(?:@[0-9A-Za-z.+-]+)?\s*;", re.MULTILINE)
_WORLD = re.compile(rb"^\s*world\s+([a-z][\w-]*)\s*\{", re.MULTILINE)


def declared_worlds(contents: DigestContents) -> dict[str, set[str]]:
    """`{package: {world, ...}}` for the top-level packages (files that declare a package)."""
    worlds: dict[str, set[str]] = {}
    for fc in contents:
        package = _PACKAGE.search(fc.content)
        if package:
            names = {m.group(1).decode() for m in _WORLD.finditer(fc.content)}
            worlds.setdefault(package.group(1).decode(), set()).update(names)
    return worlds


def check_world(address: Address, world: str, wit_dir: str, contents: DigestContents) -> None:
    """A world the WIT does not declare fails here, listing the valid ones (a typo in `world`
    would otherwise surface as wasm-tools' error deep in the build)."""
    package, _, name = world.partition("/")
    name = name.split("@")[0]
    worlds = declared_worlds(contents)
    if package in worlds and name not in worlds[package]:
        valid = ", ".join(f"`{package}/{w}`" for w in sorted(worlds[package]))
        raise ComponentBuildError(
            f"{address}: `world={world!r}` is not a world of {package} in {wit_dir}/: valid "
            f"worlds are {valid}"
        )


class ComponentBuildError(Exception):
    """A component is misconfigured or a build step failed; names the target and the step."""


def world_name(world: str) -> str:
    """`pkg:ns/cli-service@0.1.0` -> `cli-service`."""
    return world.split("/")[-1].split("@")[0]


def expected_export(world: str) -> Optional[str]:
    """The `component wit` line a component of `world` must contain, when the world is known."""
    return WORLD_EXPORTS.get(world_name(world))


def is_command_world(world: str) -> bool:
    """`pkg:name/cli-service[@ver]` runs as a command (exports wasi:cli/run)."""
    return world_name(world) == "cli-service"


def relative_path(address: Address, field: str, raw: str, *, relative_to: str) -> str:
    """`raw` normalised, or an error naming the field when it leaves the repository."""
    path = posixpath.normpath(raw.strip())
    if path.startswith("/") or path == ".." or path.startswith("../"):
        raise ComponentBuildError(
            f"{address}: `{field}={raw!r}` must be a path relative to {relative_to} that stays "
            "inside the repository (e.g. `wit`)"
        )
    return path


@dataclass(frozen=True)
class WitWorldRequest:
    address: Address
    wit_dir: Optional[str]  # the raw `wit` field value; None: WarpGrid's own contract
    world: str


@dataclass(frozen=True)
class WitWorld:
    """The WIT package (with `deps/`) at `dir` in `digest`, and the world the component targets."""

    digest: Digest
    dir: str
    world: str
    wasi_cli_version: Optional[str]  # of `package wasi:cli@V;` when exactly one is present

    @property
    def expected_export(self) -> Optional[str]:
        return expected_export(self.world)

    @property
    def is_command(self) -> bool:
        return is_command_world(self.world)


@rule(desc="Resolving a WIT world", level=LogLevel.DEBUG)
async def resolve_wit_world(request: WitWorldRequest) -> WitWorld:
    if request.wit_dir is None:
        contract = await Get(ContractFiles, ContractFilesRequest("wit"))
        wit, digest = ITEMS["wit"].canonical, contract.digest
    else:
        wit = relative_path(request.address, "wit", request.wit_dir, relative_to="the build root")
        snapshot = await Get(
            Snapshot,
            PathGlobs(
                [f"{wit}/**/*.wit"],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the `wit` field of {request.address} (no .wit files in {wit}/)",
            ),
        )
        digest = snapshot.digest
    contents = await Get(DigestContents, Digest, digest)
    check_world(request.address, request.world, wit, contents)
    versions = sorted({m.group(1).decode() for fc in contents for m in _WASI_CLI_PACKAGE.finditer(fc.content)})
    return WitWorld(digest, wit, request.world, versions[0] if len(versions) == 1 else None)


def rules():
    return collect_rules()
