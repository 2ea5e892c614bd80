"""`wasi_libc_sysroot`: the pinned wasi-libc source + the WarpGrid patch series -> a sysroot.

Pipeline (each step a cacheable Process or a pure digest operation, so a fresh clone with a warm
remote cache builds nothing):
  1. fetch + extract the pinned upstream (`third_party/upstreams.toml`, upstream rules),
  2. apply the patch series in order (upstream rules: a bad hunk names patch, file and hunk),
  3. run `scripts/build_wasi_libc.sh` with clang-19 (`script_build.UpstreamScriptBuild`): explicit env (PATH of tool
     shims, SOURCE_DATE_EPOCH=0, one fingerprint per tool), fixed JOBS so the cache key is the
     same on every machine,
  4. check the output really is a sysroot: a missing output directory yields an empty digest
     silently, and a sysroot without libc.a must not be cached as a success downstream.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from pants.core.goals.package import (
    BuiltPackage,
    PackageFieldSet,
)
from pants.engine.addresses import Addresses, UnparsedAddressInputs
from pants.engine.fs import (
    AddPrefix,
    Digest,
    DigestContents,
    DigestSubset,
    PathGlobs,
    RemovePrefix,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    FieldSet,
    HydratedSources,
    HydrateSourcesRequest,
    SourcesField,
    SpecialCasedDependencies,
    Target,
    Targets,
)
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.target_types import (
    PatchesField,
    UpstreamPinField,
    WasiLibcSysrootPatchesField,
    WasiLibcThreadModelField,
)
from warpgrid_pants.toolchains.clang import MAKE_BUILD_TOOLS, ClangToolchain, ClangToolchainRequest
from warpgrid_pants.toolchains.script_build import (
    PATCH_SERIES_SCRIPT,
    PatchedUpstream,
    PatchedUpstreamFieldSet,
    PatchedUpstreamRequest,
    UpstreamScriptBuild,
    package_tree,
)

BUILD_SCRIPT = "build_wasi_libc.sh"
SRC_DIR = "src"
OUT_DIR = "sysroot"
# Fixed (not the machine's core count): it is part of the cache key and must match everywhere.
BUILD_JOBS = 2


class WasiLibcBuildError(Exception):
    """The sysroot build failed or produced something that is not a sysroot."""


class PatchSeriesError(Exception):
    """A `patches` entry does not name `.patch` files."""


@dataclass(frozen=True)
class WasiLibcSysrootFieldSet(PatchedUpstreamFieldSet):
    required_fields = (UpstreamPinField, WasiLibcSysrootPatchesField)

    thread_model: WasiLibcThreadModelField


@dataclass(frozen=True)
class WasiLibcSysroot:
    """A built sysroot, rooted at the digest root: include/, lib/<triple>/, share/<triple>/."""

    label: str  # the target that built it, or WarpGrid's built-in sysroot
    digest: Digest
    triple: str  # the multiarch directory under lib/, e.g. wasm32-wasi
    # The WarpGrid opt-in link switches libc defines (`__warpgrid_shims`, `__warpgrid_shim_dns`,
    # ...), from check-symbols' defined-symbols.txt; empty for a stock sysroot.
    shim_switches: tuple[str, ...] = ()

    @property
    def lib_dir(self) -> str:
        return f"lib/{self.triple}"


@dataclass(frozen=True)
class PatchSeriesRequest:
    """Resolve a `patches` field to repo-relative patch files, in application order."""

    field: PatchesField


@dataclass(frozen=True)
class PatchSeries:
    paths: tuple[str, ...]


@rule(desc="Resolving a patch series", level=LogLevel.DEBUG)
async def resolve_patch_series(request: PatchSeriesRequest) -> PatchSeries:
    field = request.field
    addresses = await Get(Addresses, UnparsedAddressInputs, field.to_unparsed_address_inputs())
    targets = await Get(Targets, Addresses, addresses)
    paths: list[str] = []
    for tgt in targets:
        if not tgt.has_field(SourcesField):
            raise PatchSeriesError(
                f"{field.address}: `patches` names {tgt.address} (a `{tgt.alias}`), which holds "
                "no files: point it at a `files(sources=[\"*.patch\"])` target."
            )
        hydrated = await Get(HydratedSources, HydrateSourcesRequest(tgt[SourcesField]))
        files = sorted(hydrated.snapshot.files, key=lambda p: (os.path.basename(p), p))
        not_patches = [f for f in files if not f.endswith(".patch")]
        if not_patches:
            raise PatchSeriesError(
                f"{field.address}: `patches` target {tgt.address} holds non-patch files "
                f"{not_patches}: patch files must end in `.patch` (NNNN-name.patch)."
            )
        paths.extend(f for f in files if f not in paths)
    return PatchSeries(tuple(paths))


def _tail(data: bytes, lines: int = 60) -> str:
    return "\n".join(data.decode(errors="replace").rstrip().splitlines()[-lines:])


async def _checked_sysroot(address: str, output_digest: Digest) -> WasiLibcSysroot:
    digest = await Get(Digest, RemovePrefix(output_digest, OUT_DIR))
    snapshot = await Get(Snapshot, Digest, digest)
    libcs = [f for f in snapshot.files if f.startswith("lib/") and f.endswith("/libc.a")]
    if len(libcs) != 1:
        raise WasiLibcBuildError(
            f"{address}: the build script wrote no sysroot at $OUT (expected exactly one "
            f"lib/<triple>/libc.a, found {libcs or 'none'}; {len(snapshot.files)} files in "
            f"total). {BUILD_SCRIPT} must install into $OUT."
        )
    triple = libcs[0].split("/")[1]
    files = set(snapshot.files)
    missing = [f for f in (f"lib/{triple}/crt1.o", f"lib/{triple}/crt1-command.o") if f not in files]
    # Headers: include/ (the 2022 tree) or include/<triple>/ (newer trees); clang reads both.
    if "include/stdio.h" not in files and f"include/{triple}/stdio.h" not in files:
        missing.append("include/stdio.h")
    if missing:
        raise WasiLibcBuildError(f"{address}: the built sysroot lacks {', '.join(missing)}")
    symbols_file = f"share/{triple}/defined-symbols.txt"
    switches: tuple[str, ...] = ()
    if symbols_file in files:
        subset = await Get(Digest, DigestSubset(digest, PathGlobs([symbols_file])))
        symbols = await Get(DigestContents, Digest, subset)
        switches = tuple(
            sorted(
                line.strip()
                for line in symbols[0].content.decode().splitlines()
                if line.strip() == "__warpgrid_shims" or line.startswith("__warpgrid_shim_")
            )
        )
    return WasiLibcSysroot(address, digest, triple, switches)


@dataclass(frozen=True)
class SysrootBuildRequest:
    """Build wasi-libc from a pin plus a patch series (paths, read from `patches_digest` when
    given, else from the build root)."""

    label: str
    upstream: str
    patches: tuple[str, ...]
    patches_digest: Optional[Digest]
    thread_model: str


# The sysroot a c_component gets when it names none: the `wasi-libc` pin plus WarpGrid's own
# series (`patches/wasi-libc/*.patch` among the contract files: contract.py).
BUILTIN_SYSROOT_LABEL = "WarpGrid's built-in wasi-libc sysroot"
BUILTIN_UPSTREAM = "wasi-libc"


@dataclass(frozen=True)
class WasiLibcSysrootRequest:
    """The sysroot a dependency-style field (e.g. `c_component.sysroot`) names; unset: built-in."""

    field: SpecialCasedDependencies


async def single_target(
    field: SpecialCasedDependencies, field_set_type: type[FieldSet], kind: str, error: type[Exception]
) -> Target:
    """The one target a dependency-style field (e.g. `sysroot`, `toolchain`) names, which must be
    a `kind` target (applicable to `field_set_type`); otherwise `error` naming field and target."""
    addresses = await Get(Addresses, UnparsedAddressInputs, field.to_unparsed_address_inputs())
    targets = await Get(Targets, Addresses, addresses)
    if len(targets) != 1 or not field_set_type.is_applicable(targets[0]):
        found = ", ".join(f"{t.address} (a `{t.alias}`)" for t in targets) or "nothing"
        raise error(
            f"{field.address}: `{field.alias}={list(field.value or ())}` must name one "
            f"`{kind}` target; it names {found}"
        )
    return targets[0]


@rule(desc="Resolving a sysroot", level=LogLevel.DEBUG)
async def resolve_sysroot(request: WasiLibcSysrootRequest) -> WasiLibcSysroot:
    field = request.field
    if not field.value:
        patches = await Get(ContractFiles, ContractFilesRequest("patches"))
        prefix = f"{ITEMS['patches'].canonical}/{BUILTIN_UPSTREAM}/"
        series = tuple(sorted(f for f in patches.files if f.startswith(prefix)))
        return await Get(
            WasiLibcSysroot,
            SysrootBuildRequest(
                BUILTIN_SYSROOT_LABEL,
                BUILTIN_UPSTREAM,
                series,
                await Get(Digest, DigestSubset(patches.digest, PathGlobs(series))),
                WasiLibcThreadModelField.default,
            ),
        )
    target = await single_target(field, WasiLibcSysrootFieldSet, "wasi_libc_sysroot", WasiLibcBuildError)
    return await Get(WasiLibcSysroot, WasiLibcSysrootFieldSet, WasiLibcSysrootFieldSet.create(target))


@rule(desc="Resolving a wasi_libc_sysroot target", level=LogLevel.DEBUG)
async def sysroot_from_target(field_set: WasiLibcSysrootFieldSet) -> WasiLibcSysroot:
    series = await Get(PatchSeries, PatchSeriesRequest(field_set.patches))
    return await Get(
        WasiLibcSysroot,
        SysrootBuildRequest(
            str(field_set.address),
            field_set.upstream.value,
            series.paths,
            None,
            field_set.thread_model.value or WasiLibcThreadModelField.default,
        ),
    )


@rule(desc="Building a wasi-libc sysroot", level=LogLevel.DEBUG)
async def build_wasi_libc_sysroot(request: SysrootBuildRequest) -> WasiLibcSysroot:
    upstream, tools = await MultiGet(
        Get(
            PatchedUpstream,
            PatchedUpstreamRequest(request.upstream, request.patches, request.patches_digest),
        ),
        Get(ClangToolchain, ClangToolchainRequest, MAKE_BUILD_TOOLS),
    )
    pin = upstream.pin
    result = await Get(
        FallibleProcessResult,
        UpstreamScriptBuild(
            scripts=(BUILD_SCRIPT, PATCH_SERIES_SCRIPT),
            upstream=upstream,
            tools=tools.tools,
            input_digest=await Get(Digest, AddPrefix(upstream.digest, SRC_DIR)),
            env=FrozenDict(
                {
                    "SRC": f"{{chroot}}/{SRC_DIR}",
                    "OUT": f"{{chroot}}/{OUT_DIR}",
                    "CC": tools.clang,
                    "AR": tools.ar,
                    "NM": tools.nm,
                    "JOBS": str(BUILD_JOBS),
                    "THREAD_MODEL": request.thread_model,
                }
            ),
            out_dir=OUT_DIR,
            description=(
                f"Build wasi-libc {pin.version} with {len(request.patches)} patches "
                f"({request.label})"
            ),
        ),
    )
    if result.exit_code != 0:
        raise WasiLibcBuildError(
            f"{request.label}: building wasi-libc {pin.version} failed (exit "
            f"{result.exit_code}).\n--- stdout (tail) ---\n{_tail(result.stdout)}\n"
            f"--- stderr (tail) ---\n{_tail(result.stderr)}"
        )
    return await _checked_sysroot(request.label, result.output_digest)


@rule(desc="Packaging a wasi-libc sysroot", level=LogLevel.DEBUG)
async def package_wasi_libc_sysroot(field_set: WasiLibcSysrootFieldSet) -> BuiltPackage:
    sysroot = await Get(WasiLibcSysroot, WasiLibcSysrootFieldSet, field_set)
    return await package_tree(field_set, sysroot.digest, lambda out: (f"    libc: {out}/{sysroot.lib_dir}/libc.a",))


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, WasiLibcSysrootFieldSet)]

