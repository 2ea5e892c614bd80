"""`c_library`: a third-party C library (pinned upstream + patches + recipe) -> headers + archive.

Steps, each a cacheable Process or a pure digest operation (so a warm remote cache builds nothing):
  1. fetch + extract the pinned upstream, apply the `patches` series (upstream rules: a bad hunk
     names patch, file and hunk),
  2. copy the `overlay` files over the tree (WarpGrid-written replacements for generated files),
  3. run `scripts/build_c_library.sh` with the `recipe` against the `sysroot` and clang's
     prepared resource dir, in a sandbox with an explicit env (PATH of fingerprinted tool shims,
     SOURCE_DATE_EPOCH=0, LC_ALL=C, TZ=UTC); the script maps every build path away, so the
     output bytes do not depend on the sandbox,
  4. check the output: `lib/lib<name>.a` and at least one header under `include/`, or an error
     naming the target (a missing output directory would otherwise be an empty digest).

`c_component.libraries` resolves to `BuiltCLibraries` (`CLibrariesRequest`); components/c.py
mounts each library, adds its `include/` with `-isystem` and its archives after the sources.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.addresses import Address, Addresses, UnparsedAddressInputs
from pants.engine.fs import AddPrefix, Digest, MergeDigests, RemovePrefix, Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    SpecialCasedDependencies,
    Targets,
)
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.target_types import (
    CLibraryOverlayField,
    CLibraryRecipeField,
    CLibrarySysrootField,
    CLibraryUpstreamField,
)
from warpgrid_pants.toolchains.clang import MAKE_TOOL_NAMES, ClangResourceDir, ClangToolchain, ClangToolchainRequest
from warpgrid_pants.toolchains.script_build import (
    PATCH_SERIES_SCRIPT,
    PatchedUpstream,
    PatchedUpstreamFieldSet,
    PatchedUpstreamRequest,
    UpstreamScriptBuild,
    package_tree,
)
from warpgrid_pants.toolchains.system_tools import step_failure
from warpgrid_pants.toolchains.wasi_libc import (
    PatchSeries,
    PatchSeriesRequest,
    WasiLibcSysroot,
    WasiLibcSysrootRequest,
)

BUILD_SCRIPT = "build_c_library.sh"
# Sandbox layout. The sysroot and resource dir are ordinary inputs, not immutable mounts: the
# script resolves paths with `pwd -P`, which would follow a mount's symlink to a store path that
# differs between machines.
SRC_DIR = "src"
SYSROOT_DIR = "sysroot"
RESOURCE_DIR = "resource-dir"
OVERLAY_DIR = "overlay"
RECIPE_DIR = "recipe"
OUT_DIR = "out"
# The directory under a target's BUILD file whose files `overlay` names (see the field's help).
OVERLAY_ROOT = "overlay"

# What the script and an autoconf `configure` run besides clang and make's utilities.
C_LIBRARY_EXTRA_TOOLS = ("awk", "expr", "patch", "printf", "uname")


class CLibraryBuildError(Exception):
    """A c_library is misconfigured, its build failed, or it produced no archive."""


@dataclass(frozen=True)
class CLibraryFieldSet(PatchedUpstreamFieldSet):
    required_fields = (CLibraryUpstreamField, CLibraryRecipeField)

    recipe: CLibraryRecipeField
    overlay: CLibraryOverlayField
    sysroot: CLibrarySysrootField


@dataclass(frozen=True)
class BuiltCLibrary:
    """A built library, rooted at the digest root: `include/**` and `lib/lib<name>.a`."""

    address: Address
    digest: Digest
    archives: tuple[str, ...]  # relative to the digest root, e.g. ("lib/libpq.a",)
    include_dir: str = "include"


@dataclass(frozen=True)
class CLibrariesRequest:
    """The `c_library` targets a dependency-style field (e.g. `c_component.libraries`) names."""

    field: SpecialCasedDependencies


@dataclass(frozen=True)
class BuiltCLibraries:
    libraries: tuple[BuiltCLibrary, ...]  # in the order the field lists them


def _overlay_root(address: Address, files: tuple[str, ...]) -> str:
    """The prefix to strip from the overlay files; all must be under `<dir>/overlay/`."""
    root = os.path.join(address.spec_path, OVERLAY_ROOT) if address.spec_path else OVERLAY_ROOT
    outside = [f for f in files if not f.startswith(root + "/")]
    if outside:
        raise CLibraryBuildError(
            f"{address}: `overlay` files must live under {root}/ (they land in the tree at their "
            f"path below it); these do not: {outside}"
        )
    return root


def _checked_archives(address: Address, snapshot: Snapshot) -> tuple[str, ...]:
    archives = tuple(
        sorted(f for f in snapshot.files if f.startswith("lib/") and f.endswith(".a"))
    )
    headers = [f for f in snapshot.files if f.startswith("include/")]
    if not archives or not headers:
        raise CLibraryBuildError(
            f"{address}: the build wrote no "
            f"{'lib/lib<name>.a' if not archives else 'headers under include/'} in $OUT "
            f"({len(snapshot.files)} files: {list(snapshot.files)[:10]}); the recipe must set "
            f"LIBNAME, SOURCES and HEADERS and {BUILD_SCRIPT} must install into $OUT."
        )
    return archives


@rule(desc="Building a C library", level=LogLevel.DEBUG)
async def build_c_library(field_set: CLibraryFieldSet) -> BuiltCLibrary:
    address = field_set.address
    series = await Get(PatchSeries, PatchSeriesRequest(field_set.patches))
    upstream, sysroot, resource_dir, tools, recipe, overlay = await MultiGet(
        Get(PatchedUpstream, PatchedUpstreamRequest(field_set.upstream.value, series.paths)),
        Get(WasiLibcSysroot, WasiLibcSysrootRequest(field_set.sysroot)),
        Get(ClangResourceDir),
        Get(ClangToolchain, ClangToolchainRequest((*MAKE_TOOL_NAMES, *C_LIBRARY_EXTRA_TOOLS), "build a C library with clang")),
        Get(HydratedSources, HydrateSourcesRequest(field_set.recipe)),
        Get(HydratedSources, HydrateSourcesRequest(field_set.overlay)),
    )
    (recipe_path,) = recipe.snapshot.files
    recipe_name = os.path.basename(recipe_path)
    recipe_digest = recipe.snapshot.digest
    if os.path.dirname(recipe_path):
        recipe_digest = await Get(Digest, RemovePrefix(recipe_digest, os.path.dirname(recipe_path)))
    inputs = list(
        await MultiGet(
            Get(Digest, AddPrefix(upstream.digest, SRC_DIR)),
            Get(Digest, AddPrefix(sysroot.digest, SYSROOT_DIR)),
            Get(Digest, AddPrefix(resource_dir.digest, RESOURCE_DIR)),
            Get(Digest, AddPrefix(recipe_digest, RECIPE_DIR)),
        )
    )
    env = {
        "SRC": f"{{chroot}}/{SRC_DIR}",
        "OUT": f"{{chroot}}/{OUT_DIR}",
        "SYSROOT": f"{{chroot}}/{SYSROOT_DIR}",
        "RESOURCE_DIR": f"{{chroot}}/{RESOURCE_DIR}",
        "RECIPE": f"{{chroot}}/{RECIPE_DIR}/{recipe_name}",
        "WORK": "{chroot}/work",
        "CC": tools.clang,
        "AR": tools.ar,
        "LD": tools.wasm_ld,
    }
    if overlay.snapshot.files:
        root = _overlay_root(address, overlay.snapshot.files)
        stripped = await Get(Digest, RemovePrefix(overlay.snapshot.digest, root))
        inputs.append(await Get(Digest, AddPrefix(stripped, OVERLAY_DIR)))
        env["OVERLAY"] = f"{{chroot}}/{OVERLAY_DIR}"

    pin = upstream.pin
    result = await Get(
        FallibleProcessResult,
        UpstreamScriptBuild(
            scripts=(BUILD_SCRIPT, PATCH_SERIES_SCRIPT),
            upstream=upstream,
            tools=tools.tools,
            input_digest=await Get(Digest, MergeDigests(inputs)),
            env=FrozenDict(env),
            out_dir=OUT_DIR,
            description=(
                f"Build C library {address} from {pin.name} {pin.version} with "
                f"{len(series.paths)} patches"
            ),
        ),
    )
    if result.exit_code != 0:
        raise CLibraryBuildError(
            step_failure(address, f"building {pin.name} {pin.version} with {BUILD_SCRIPT}", result)
        )
    digest = await Get(Digest, RemovePrefix(result.output_digest, OUT_DIR))
    snapshot = await Get(Snapshot, Digest, digest)
    return BuiltCLibrary(address, digest, _checked_archives(address, snapshot))


@rule(desc="Resolving C libraries", level=LogLevel.DEBUG)
async def resolve_c_libraries(request: CLibrariesRequest) -> BuiltCLibraries:
    field = request.field
    if not field.value:
        return BuiltCLibraries(())
    addresses = await Get(Addresses, UnparsedAddressInputs, field.to_unparsed_address_inputs())
    targets = await Get(Targets, Addresses, addresses)
    wrong = [t for t in targets if not CLibraryFieldSet.is_applicable(t)]
    if wrong:
        found = ", ".join(f"{t.address} (a `{t.alias}`)" for t in wrong)
        raise CLibraryBuildError(
            f"{field.address}: `{field.alias}` must name `c_library` targets; it names {found}"
        )
    built = await MultiGet(
        Get(BuiltCLibrary, CLibraryFieldSet, CLibraryFieldSet.create(t)) for t in targets
    )
    return BuiltCLibraries(tuple(built))


@rule(desc="Packaging a C library", level=LogLevel.DEBUG)
async def package_c_library(field_set: CLibraryFieldSet) -> BuiltPackage:
    library = await Get(BuiltCLibrary, CLibraryFieldSet, field_set)
    return await package_tree(
        field_set, library.digest, lambda out: tuple(f"    archive: {out}/{a}" for a in library.archives)
    )


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, CLibraryFieldSet)]
