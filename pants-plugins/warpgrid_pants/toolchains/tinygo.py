"""`tinygo_toolchain`: TinyGo from pinned sources -> a TINYGOROOT that `tinygo_component` uses.

Steps, each a cacheable Process or a pure digest operation (a warm remote cache builds nothing):
  1. the pinned Go toolchain module (`go_upstream`) extracted, with the exec bits a module zip
     does not carry (`GoRootRequest` -> `GoRoot`); it downloads modules and builds tinygo;
  2. the pinned TinyGo module (`upstream`) with its patch series (`script_build.PatchedUpstream`);
  3. `go mod download` + `go mod verify` of TinyGo's own go.sum (scripts/go_mod_download.sh), the
     one networked step, keyed by go.mod + go.sum and the Go tree (`GoModDownloadRequest`, also
     what `tinygo_component` uses for a service's go.sum);
  4. the patched wasi-libc source of the `wasi_libc` sysroot target (the very
     `PatchedUpstreamRequest` its sysroot build uses: one copy of the source);
  5. scripts/build_tinygo.sh (`script_build.UpstreamScriptBuild`): tinygo built with cgo against
     the host's LLVM 19, WarpGrid's overlay (contract item `tinygo-overlay`) over `src/`, wasi-libc
     built with TinyGo's recipe. clang-19, llvm-config-19 (LLVM's version: tinygo links
     libLLVM-19), ld and make are fingerprinted into the cache key (`SystemTools`); HOME,
     XDG_CACHE_HOME and GOCACHE point into the sandbox;
  6. the output is checked (bin/tinygo, go/bin/go, libc.a), so a broken tree is never cached as
     a toolchain downstream.
`TinyGoToolchainRequest` resolves a dependency-style field (`tinygo_component.toolchain`); unset,
it is WarpGrid's built-in toolchain: the defaults of every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, OutputPathField, PackageFieldSet
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import (
    EMPTY_DIGEST,
    AddPrefix,
    CreateDigest,
    Digest,
    DigestEntries,
    DigestSubset,
    FileEntry,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import SpecialCasedDependencies
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.target_types import (
    TinyGoGoUpstreamField,
    TinyGoPatchesField,
    TinyGoUpstreamField,
    TinyGoWasiLibcField,
)
from warpgrid_pants.toolchains.clang import MAKE_TOOL_NAMES
from warpgrid_pants.toolchains.script_build import (
    BUILD_TIMEOUT_SECONDS,
    PatchedUpstream,
    PatchedUpstreamRequest,
    UpstreamScriptBuild,
)
from warpgrid_pants.toolchains.system_tools import (
    SystemTools,
    SystemToolsRequest,
    ToolchainError,
    plugin_scripts,
    process_failure,
)
from warpgrid_pants.toolchains.wasi_libc import (
    BUILTIN_UPSTREAM as BUILTIN_WASI_LIBC,
    PatchSeries,
    PatchSeriesRequest,
    WasiLibcSysrootFieldSet,
    single_target,
)
from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest
from warpgrid_pants.upstream.fetch import passthrough_env_names

BUILD_SCRIPT = "build_tinygo.sh"
DOWNLOAD_SCRIPT = "go_mod_download.sh"
BUILTIN_TOOLCHAIN_LABEL = "WarpGrid's built-in TinyGo toolchain"
BUILTIN_PATCHES = "tinygo"  # patches/<this>/ among the contract files
# Sandbox layout of the toolchain build.
SRC_DIR = "tinygo-src"
GO_ROOT_DIR = "go-root"
MODCACHE_DIR = "gomodcache"
WASI_LIBC_DIR = "wasi-libc-src"
OVERLAY_DIR = "overlay"
OUT_DIR = "tinygoroot"
# Fixed (not the machine's core count): it is part of the cache key and must match everywhere.
BUILD_JOBS = 2
# Debian's prebuilt wasm32 builtins (libclang-rt-19-dev-wasm32), linked by patches/tinygo/0001.
COMPILER_RT = "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a"

# What build_tinygo.sh runs: cgo's compilers and host linker, LLVM's version (tinygo links
# libLLVM-19, so its version belongs in the key), wasi-libc's make and its utilities.
TOOLCHAIN_BUILD_TOOLS = (
    "clang-19", "clang++-19", "llvm-ar-19", "llvm-nm-19", "llvm-config-19", "ld", "patch",
    *MAKE_TOOL_NAMES,
)
# What go_mod_download.sh runs besides the pinned go.
DOWNLOAD_TOOLS = ("bash", "cat", "chmod", "cp", "env", "find", "mkdir", "rm", "wc")


# The Debian packages whose files the builds read by absolute path (LLVM's headers and libLLVM for
# cgo, the prebuilt builtins archive, wasm-ld, wasm-opt): their versions join the cache keys.
HOST_PACKAGES = ("llvm-19-dev", "libclang-19-dev", "libclang-rt-19-dev-wasm32", "lld-19", "binaryen")


class TinyGoBuildError(Exception):
    """The toolchain is misconfigured, its build failed, or it produced no usable TINYGOROOT."""


@dataclass(frozen=True)
class TinyGoToolchainFieldSet(PackageFieldSet):
    required_fields = (TinyGoUpstreamField,)

    upstream: TinyGoUpstreamField
    go_upstream: TinyGoGoUpstreamField
    patches: TinyGoPatchesField
    wasi_libc: TinyGoWasiLibcField
    output_path: OutputPathField


@dataclass(frozen=True)
class TinyGoToolchain:
    """A TINYGOROOT at the digest root: bin/tinygo, src/, targets/, lib/, go/ (the GOROOT)."""

    label: str
    digest: Digest
    go: "GoRoot"  # the pinned Go tree it was built with (downloads modules for components)


# ---------------------------------------------------------------------------------------------
# The pinned Go tree, and module downloads with it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoRootRequest:
    upstream: str  # a go_module pin of `golang.org/toolchain`


@dataclass(frozen=True)
class GoRoot:
    """The pinned Go toolchain tree at the digest root, `bin/go` and `pkg/tool/*/*` executable."""

    upstream: str
    version: str
    digest: Digest


def _is_go_executable(path: str) -> bool:
    return path.startswith("bin/") or (path.startswith("pkg/tool/") and path.count("/") == 3)


@rule(desc="Preparing the pinned Go toolchain", level=LogLevel.DEBUG)
async def prepare_go_root(request: GoRootRequest) -> GoRoot:
    extracted = await Get(ExtractedUpstream, ExtractUpstreamRequest(request.upstream))
    entries = await Get(DigestEntries, Digest, extracted.digest)
    if not any(isinstance(e, FileEntry) and e.path == "bin/go" for e in entries):
        raise ToolchainError(
            f"The pinned upstream `{request.upstream}` {extracted.pin.version} has no bin/go: it "
            "must be the go command's toolchain module (golang.org/toolchain@v0.0.1-goX.Y.Z.<os>-"
            "<arch>) with its strip_prefix, in third_party/upstreams.toml."
        )
    # A module zip keeps no modes: mark the commands executable.
    fixed = [
        FileEntry(e.path, e.file_digest, is_executable=True)
        if isinstance(e, FileEntry) and _is_go_executable(e.path)
        else e
        for e in entries
    ]
    digest = await Get(Digest, CreateDigest(fixed))
    return GoRoot(request.upstream, extracted.pin.version, digest)


@dataclass(frozen=True)
class GoModDownloadRequest:
    """Download and verify the modules of `go.mod` + `go.sum` (in `digest`, at `dir`)."""

    go: GoRoot
    digest: Digest  # holds exactly <dir>/go.mod and <dir>/go.sum: the cache key
    dir: str
    description: str
    address: str  # who asks, for messages


@dataclass(frozen=True)
class GoModCache:
    """A module cache (GOMODCACHE layout) at the digest root, verified against go.sum."""

    digest: Digest


EMPTY_MODCACHE = GoModCache(EMPTY_DIGEST)  # a module without requirements downloads nothing
_GO_MOUNT = "__warpgrid_go"
_MODCACHE_OUT = "__warpgrid_out/gomodcache"


@rule(desc="Downloading Go modules", level=LogLevel.DEBUG)
async def go_mod_download(request: GoModDownloadRequest) -> GoModCache:
    tools, script, passthrough = await MultiGet(
        Get(SystemTools, SystemToolsRequest(DOWNLOAD_TOOLS, rationale="download Go modules")),
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", DOWNLOAD_SCRIPT)),
        Get(EnvironmentVars, EnvironmentVarsRequest(passthrough_env_names({"go_module"}))),
    )
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(tools.path("bash"), DOWNLOAD_SCRIPT),
            description=request.description,
            level=LogLevel.INFO,
            input_digest=await Get(Digest, MergeDigests([request.digest, script])),
            immutable_input_digests={**tools.immutable_input_digests, _GO_MOUNT: request.go.digest},
            env=tools.env(
                {
                    "HOME": "{chroot}/.home",
                    **{k: v for k, v in passthrough.items() if v},
                    "GO_ROOT": f"{{chroot}}/{_GO_MOUNT}",
                    "WARPGRID_GO": f"{request.go.upstream} {request.go.version}",
                    "SRC": f"{{chroot}}/{request.dir or '.'}",
                    "OUT": f"{{chroot}}/{_MODCACHE_OUT}",
                    "WORK": "{chroot}/__warpgrid_work",
                }
            ),
            output_directories=(_MODCACHE_OUT,),
            timeout_seconds=BUILD_TIMEOUT_SECONDS,
        ),
    )
    if result.exit_code != 0:
        raise TinyGoBuildError(
            f"{request.address}: "
            + process_failure(f"`go mod download` of {request.dir or '.'}/go.sum", result)
        )
    return GoModCache(await Get(Digest, RemovePrefix(result.output_digest, _MODCACHE_OUT)))


@dataclass(frozen=True)
class HostPackages:
    """`dpkg-query` versions of `HOST_PACKAGES` (a fingerprint for files tools cannot report)."""

    versions: str


@rule(desc="Fingerprinting LLVM's Debian packages", level=LogLevel.DEBUG)
async def host_packages() -> HostPackages:
    tools = await Get(
        SystemTools, SystemToolsRequest(("dpkg-query",), rationale="fingerprint LLVM 19's packages")
    )
    probe = await Get(
        FallibleProcessResult,
        Process(
            argv=(tools.path("dpkg-query"), "-W", "-f", "${Package}=${Version}\\n", *HOST_PACKAGES),
            description="Query the versions of LLVM 19's Debian packages",
            level=LogLevel.DEBUG,
            env=tools.env(),
            cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
        ),
    )
    if probe.exit_code != 0:
        raise ToolchainError(
            f"TinyGo needs the Debian packages {' '.join(HOST_PACKAGES)}: "
            + process_failure("dpkg-query", probe)
            + f"\nInstall them: apt-get install {' '.join(HOST_PACKAGES)}"
        )
    return HostPackages(" ".join(probe.stdout.decode().split()))


# ---------------------------------------------------------------------------------------------
# The toolchain
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TinyGoToolchainBuildRequest:
    label: str
    upstream: str
    go_upstream: str
    patches: tuple[str, ...]
    patches_digest: Optional[Digest]  # None: the build root
    wasi_libc: PatchedUpstreamRequest


async def _builtin_series(upstream: str) -> tuple[tuple[str, ...], Digest]:
    """WarpGrid's own series for `upstream` (`patches/<upstream>/*.patch` among the contract
    files), and the digest holding it."""
    patches = await Get(ContractFiles, ContractFilesRequest("patches"))
    prefix = f"{ITEMS['patches'].canonical}/{upstream}/"
    series = tuple(sorted(f for f in patches.files if f.startswith(prefix)))
    return series, await Get(Digest, DigestSubset(patches.digest, PathGlobs(series)))


async def _wasi_libc_source(field: Optional[SpecialCasedDependencies]) -> PatchedUpstreamRequest:
    """The patched wasi-libc source a `wasi_libc_sysroot` target (or the built-in one) builds."""
    if field is None or not field.value:
        series, digest = await _builtin_series(BUILTIN_WASI_LIBC)
        return PatchedUpstreamRequest(BUILTIN_WASI_LIBC, series, digest)
    target = await single_target(field, WasiLibcSysrootFieldSet, "wasi_libc_sysroot", TinyGoBuildError)
    sysroot = WasiLibcSysrootFieldSet.create(target)
    series = await Get(PatchSeries, PatchSeriesRequest(sysroot.patches))
    return PatchedUpstreamRequest(sysroot.upstream.value, series.paths)


@rule(desc="Resolving a tinygo_toolchain target", level=LogLevel.DEBUG)
async def tinygo_toolchain_from_target(field_set: TinyGoToolchainFieldSet) -> TinyGoToolchain:
    if field_set.patches.value:
        series = await Get(PatchSeries, PatchSeriesRequest(field_set.patches))
        patches, patches_digest = series.paths, None
    else:
        patches, patches_digest = await _builtin_series(BUILTIN_PATCHES)
    return await Get(
        TinyGoToolchain,
        TinyGoToolchainBuildRequest(
            str(field_set.address),
            field_set.upstream.value or TinyGoUpstreamField.default,
            field_set.go_upstream.value or TinyGoGoUpstreamField.default,
            patches,
            patches_digest,
            await _wasi_libc_source(field_set.wasi_libc),
        ),
    )


@dataclass(frozen=True)
class TinyGoToolchainRequest:
    """The toolchain a dependency-style field (`tinygo_component.toolchain`) names; unset:
    WarpGrid's built-in toolchain."""

    field: SpecialCasedDependencies


@rule(desc="Resolving a TinyGo toolchain", level=LogLevel.DEBUG)
async def resolve_tinygo_toolchain(request: TinyGoToolchainRequest) -> TinyGoToolchain:
    field = request.field
    if not field.value:
        patches, patches_digest = await _builtin_series(BUILTIN_PATCHES)
        return await Get(
            TinyGoToolchain,
            TinyGoToolchainBuildRequest(
                BUILTIN_TOOLCHAIN_LABEL,
                TinyGoUpstreamField.default,
                TinyGoGoUpstreamField.default,
                patches,
                patches_digest,
                await _wasi_libc_source(None),
            ),
        )
    target = await single_target(field, TinyGoToolchainFieldSet, "tinygo_toolchain", TinyGoBuildError)
    return await Get(TinyGoToolchain, TinyGoToolchainFieldSet, TinyGoToolchainFieldSet.create(target))


async def _checked_toolchain(label: str, output_digest: Digest, go: GoRoot) -> TinyGoToolchain:
    digest = await Get(Digest, RemovePrefix(output_digest, OUT_DIR))
    snapshot = await Get(Snapshot, Digest, digest)
    files = set(snapshot.files)
    wanted = ("bin/tinygo", "go/bin/go", "targets/wasip1.json", "lib/wasi-libc/sysroot/lib/wasm32-wasi/libc.a",
              "src/net/http/trigger.go", "lib/compiler-rt-prebuilt/libclang_rt.builtins-wasm32.a")
    missing = [f for f in wanted if f not in files]
    if missing:
        raise TinyGoBuildError(
            f"{label}: {BUILD_SCRIPT} wrote no complete TINYGOROOT at $OUT (missing "
            f"{', '.join(missing)}; {len(files)} files in total)."
        )
    return TinyGoToolchain(label, digest, go)


@rule(desc="Building a TinyGo toolchain", level=LogLevel.DEBUG)
async def build_tinygo_toolchain(request: TinyGoToolchainBuildRequest) -> TinyGoToolchain:
    tinygo, go, wasi_libc, overlay, tools, packages = await MultiGet(
        Get(PatchedUpstream, PatchedUpstreamRequest(request.upstream, request.patches, request.patches_digest)),
        Get(GoRoot, GoRootRequest(request.go_upstream)),
        Get(PatchedUpstream, PatchedUpstreamRequest, request.wasi_libc),
        Get(ContractFiles, ContractFilesRequest("tinygo-overlay")),
        Get(SystemTools, SystemToolsRequest(TOOLCHAIN_BUILD_TOOLS, rationale="build TinyGo against LLVM 19")),
        Get(HostPackages),
    )
    # TinyGo's own module dependencies, keyed by its go.mod + go.sum only.
    manifests = await Get(Digest, DigestSubset(tinygo.digest, PathGlobs(["go.mod", "go.sum"])))
    modcache = await Get(
        GoModCache,
        GoModDownloadRequest(
            go,
            await Get(Digest, AddPrefix(manifests, SRC_DIR)),
            SRC_DIR,
            f"Download TinyGo {tinygo.pin.version}'s Go modules (go mod download, verified against its go.sum)",
            request.label,
        ),
    )
    overlay_tree = await Get(Digest, RemovePrefix(overlay.digest, ITEMS["tinygo-overlay"].canonical))
    inputs = await MultiGet(
        Get(Digest, AddPrefix(tinygo.digest, SRC_DIR)),
        Get(Digest, AddPrefix(go.digest, GO_ROOT_DIR)),
        Get(Digest, AddPrefix(modcache.digest, MODCACHE_DIR)),
        Get(Digest, AddPrefix(wasi_libc.digest, WASI_LIBC_DIR)),
        Get(Digest, AddPrefix(overlay_tree, OVERLAY_DIR)),
    )
    pin = tinygo.pin
    result = await Get(
        FallibleProcessResult,
        UpstreamScriptBuild(
            scripts=(BUILD_SCRIPT,),
            upstream=tinygo,
            tools=tools,
            input_digest=await Get(Digest, MergeDigests(inputs)),
            env=FrozenDict(
                {
                    "TINYGO_SRC": f"{{chroot}}/{SRC_DIR}",
                    "GO_ROOT": f"{{chroot}}/{GO_ROOT_DIR}",
                    "GOMODCACHE": f"{{chroot}}/{MODCACHE_DIR}",
                    "WASI_LIBC_SRC": f"{{chroot}}/{WASI_LIBC_DIR}",
                    "OVERLAY": f"{{chroot}}/{OVERLAY_DIR}",
                    "OUT": f"{{chroot}}/{OUT_DIR}",
                    "WORK": "{chroot}/work",
                    "XDG_CACHE_HOME": "{chroot}/.home/.cache",
                    "GOCACHE": "{chroot}/work/gocache",
                    "COMPILER_RT": COMPILER_RT,
                    "CC": "clang-19",
                    "AR": "llvm-ar-19",
                    "NM": "llvm-nm-19",
                    "JOBS": str(BUILD_JOBS),
                    "WARPGRID_GO": f"{go.upstream} {go.version}",
                    "WARPGRID_HOST_PACKAGES": packages.versions,
                    "WARPGRID_WASI_LIBC": f"{wasi_libc.pin.name} {wasi_libc.pin.version} "
                    + " ".join(p.rsplit("/", 1)[-1] for p in wasi_libc.patches),
                }
            ),
            out_dir=OUT_DIR,
            description=(
                f"Build TinyGo {pin.version} with {len(request.patches)} patches, Go {go.version} "
                f"and LLVM 19 ({request.label})"
            ),
        ),
    )
    if result.exit_code != 0:
        raise TinyGoBuildError(process_failure(f"{request.label}: building TinyGo {pin.version}", result))
    return await _checked_toolchain(request.label, result.output_digest, go)


@rule(desc="Packaging a TinyGo toolchain", level=LogLevel.DEBUG)
async def package_tinygo_toolchain(field_set: TinyGoToolchainFieldSet) -> BuiltPackage:
    toolchain = await Get(TinyGoToolchain, TinyGoToolchainFieldSet, field_set)
    output_path = field_set.output_path.value_or_default(file_ending=None)
    digest = await Get(Digest, AddPrefix(toolchain.digest, output_path))
    return BuiltPackage(
        digest,
        (BuiltPackageArtifact(output_path, extra_log_lines=(f"    tinygo: {output_path}/bin/tinygo",)),),
    )


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, TinyGoToolchainFieldSet)]
