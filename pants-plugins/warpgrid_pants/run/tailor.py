"""`pants tailor` for WarpGrid: propose a `c_component` for every directory of unowned C sources,
a `rust_component` for every unowned `Cargo.toml` of a `cdylib` crate (a wasm library), and a
`warpgrid_run` next to either when the directory has a `warp.toml`.

This is how an existing repository adopts WarpGrid: run `pants tailor ::`, review the BUILD
files it writes, then `pants package`/`pants run` them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pants.core.goals.tailor import (
    AllOwnedSources,
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
import re

from pants.engine.fs import DigestContents, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.dirutil import group_by_dir
from pants.util.logging import LogLevel

from warpgrid_pants.target_types import CComponentTarget, RustComponentTarget, WarpgridRunTarget

# `crate-type = ["cdylib"]` (any spacing, possibly among other crate types).
_CDYLIB = re.compile(r'^\s*crate-type\s*=\s*\[[^\]]*"cdylib"', re.MULTILINE)


@dataclass(frozen=True)
class PutativeWarpGridTargetsRequest(PutativeTargetsRequest):
    pass


@rule(level=LogLevel.DEBUG, desc="Determine candidate WarpGrid targets to create")
async def find_putative_warpgrid_targets(
    request: PutativeWarpGridTargetsRequest, all_owned_sources: AllOwnedSources
) -> PutativeTargets:
    c_files, warp_tomls, manifests = await MultiGet(
        Get(Paths, PathGlobs, request.path_globs("*.c", "*.h")),
        Get(Paths, PathGlobs, request.path_globs("warp.toml")),
        Get(Paths, PathGlobs, request.path_globs("Cargo.toml")),
    )
    unowned_manifests = sorted(set(manifests.files) - set(all_owned_sources))
    manifest_contents: tuple = ()
    if unowned_manifests:
        manifest_contents = tuple(await Get(DigestContents, PathGlobs(unowned_manifests)))
    rust_dirs = sorted(
        os.path.dirname(fc.path) for fc in manifest_contents if _CDYLIB.search(fc.content.decode(errors="replace"))
    )
    unowned = sorted(set(c_files.files) - set(all_owned_sources))
    dirs_with_config = {os.path.dirname(path) for path in warp_tomls.files}
    putative = []

    def run_target(dirname: str) -> None:
        if dirname in dirs_with_config:
            putative.append(
                PutativeTarget.for_target_type(
                    WarpgridRunTarget,
                    path=dirname,
                    name="run",
                    triggering_sources=["warp.toml"],
                    kwargs={"component": ":wasm"},
                )
            )

    for dirname in rust_dirs:
        putative.append(
            PutativeTarget.for_target_type(
                RustComponentTarget, path=dirname, name="wasm", triggering_sources=["Cargo.toml"]
            )
        )
        run_target(dirname)
    for dirname, filenames in group_by_dir(unowned).items():
        if not any(name.endswith(".c") for name in filenames):
            continue
        putative.append(
            PutativeTarget.for_target_type(
                CComponentTarget,
                path=dirname,
                name="wasm",
                triggering_sources=sorted(filenames),
                kwargs={"sources": tuple(sorted(filenames))},
            )
        )
        run_target(dirname)
    return PutativeTargets(putative)


def rules():
    return [*collect_rules(), UnionRule(PutativeTargetsRequest, PutativeWarpGridTargetsRequest)]
