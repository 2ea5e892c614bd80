"""Building a pinned upstream with one of the plugin's shell scripts: the shape the wasi-libc
sysroot and every `c_library` share.

  `PatchedUpstreamRequest` -> `PatchedUpstream`: the pin, extracted, with its series applied.
  `UpstreamScriptBuild` -> `Process`: `bash <script>` with the caller's inputs and variables, the
      host tools' deterministic, fingerprinted env, HOME in the sandbox, the pin and patch names
      (informational: the inputs already key the build), one output directory, a long timeout,
      and a remote-cache speculation delay: these builds take minutes, and Pants 2.17 otherwise
      races a local run against the remote lookup.
"""

from __future__ import annotations

import os
from abc import ABCMeta
from dataclasses import dataclass
from typing import Callable, Optional

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, OutputPathField, PackageFieldSet
from pants.core.util_rules.system_binaries import BashBinary
from pants.engine.fs import AddPrefix, CreateDigest, Digest, MergeDigests
from pants.engine.process import Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.target_types import PatchesField, UpstreamPinField
from warpgrid_pants.toolchains.system_tools import SystemTools, plugin_scripts
from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest
from warpgrid_pants.upstream.patch import ApplyPatchSeriesRequest, PatchedTree
from warpgrid_pants.upstream.pins import UpstreamPin

BUILD_TIMEOUT_SECONDS = 30 * 60
REMOTE_CACHE_SPECULATION_DELAY_MS = 5_000


@dataclass(frozen=True)
class PatchedUpstreamFieldSet(PackageFieldSet, metaclass=ABCMeta):
    """A target built from a pinned upstream and a patch series (`wasi_libc_sysroot`,
    `c_library`): each target's own `upstream` and `patches` fields subclass these."""

    upstream: UpstreamPinField
    patches: PatchesField
    output_path: OutputPathField


async def package_tree(
    field_set: PatchedUpstreamFieldSet, tree: Digest, log_lines: Callable[[str], tuple[str, ...]]
) -> BuiltPackage:
    """What `package` writes for a built tree: the tree under the target's output path, with
    `log_lines(output_path)` naming what is in it."""
    output_path = field_set.output_path.value_or_default(file_ending=None)
    digest = await Get(Digest, AddPrefix(tree, output_path))
    return BuiltPackage(digest, (BuiltPackageArtifact(output_path, extra_log_lines=log_lines(output_path)),))


@dataclass(frozen=True)
class PatchedUpstreamRequest:
    upstream: str  # the pin name
    patches: tuple[str, ...]  # in application order
    patches_digest: Optional[Digest] = None  # where they are; None: the build root


@dataclass(frozen=True)
class PatchedUpstream:
    pin: UpstreamPin
    digest: Digest  # the upstream tree (strip_prefix removed), patched
    patches: tuple[str, ...]


@rule(desc="Preparing a patched upstream", level=LogLevel.DEBUG)
async def patched_upstream(request: PatchedUpstreamRequest) -> PatchedUpstream:
    extracted = await Get(ExtractedUpstream, ExtractUpstreamRequest(request.upstream))
    tree = extracted.digest
    if request.patches:
        patched = await Get(
            PatchedTree,
            ApplyPatchSeriesRequest(request.upstream, tree, request.patches, request.patches_digest),
        )
        tree = patched.digest
    return PatchedUpstream(extracted.pin, tree, request.patches)


# The error exit and by-hand patch step of the C build scripts (build_wasi_libc.sh,
# build_c_library.sh), which source it: it follows them in `UpstreamScriptBuild.scripts`.
PATCH_SERIES_SCRIPT = "patch_series.sh"


@dataclass(frozen=True)
class UpstreamScriptBuild:
    """Run `bash <script>` (from `toolchains/scripts/`) over `input_digest`."""

    scripts: tuple[str, ...]  # the script bash runs, then any plugin scripts it sources
    upstream: PatchedUpstream
    tools: SystemTools
    input_digest: Digest
    env: FrozenDict[str, str]  # the script's own variables
    out_dir: str
    description: str


@rule(level=LogLevel.DEBUG)
async def setup_upstream_script_build(request: UpstreamScriptBuild, bash: BashBinary) -> Process:
    scripts = await Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", *request.scripts))
    pin = request.upstream.pin
    input_digest = await Get(Digest, MergeDigests([request.input_digest, scripts]))
    return Process(
        argv=(bash.path, request.scripts[0]),
        description=request.description,
        level=LogLevel.INFO,
        input_digest=input_digest,
        immutable_input_digests=request.tools.immutable_input_digests,
        env=request.tools.env(
            {
                "HOME": "{chroot}/.home",
                **request.env,
                "WARPGRID_UPSTREAM": f"{pin.name} {pin.version} sha256:{pin.sha256}",
                "WARPGRID_PATCHES": " ".join(os.path.basename(p) for p in request.upstream.patches),
            }
        ),
        output_directories=(request.out_dir,),
        timeout_seconds=BUILD_TIMEOUT_SECONDS,
        remote_cache_speculation_delay_millis=REMOTE_CACHE_SPECULATION_DELAY_MS,
    )


def rules():
    return collect_rules()
