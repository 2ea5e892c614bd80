"""`rust_component`: a Cargo package (a `cdylib`) -> a validated WebAssembly component.

Per target, two cacheable Processes with an explicit env (remote-cache friendly, byte-reproducible):
  1. fetch: `cargo vendor --locked` of the package's Cargo.lock (scripts/cargo_fetch.sh). Its
     inputs are the manifests and the lockfile only, so editing a source file does not refetch;
     this is the only Rust step with network access.
  2. build: `cargo build --locked --offline --release --target wasm32-wasip2` from the vendored
     crates (scripts/cargo_build.sh), paths remapped, one codegen unit. On wasm32-wasip2 rustc's
     linker emits the component itself, for the world wit-bindgen embeds (the `warpgrid-sdk`
     crate generates `warpgrid:shim/http-service` from `wit/`).
  3. `warpgrid_pants.components.finalize` validates it with the pinned wasm-tools, checks the
     world's export and places it at the output path.
The sandbox mirrors the repository: the package at its path, the plugin's SDK crate at the path
the package's manifest gives its `warpgrid-sdk` dependency (in this repository
`../../src/rust/warpgrid-sdk`; in an adopting one the crate `pants export --resolve=warpgrid-sdk`
writes to `dist/export/warpgrid/src/rust/warpgrid-sdk`), with `wit/` three levels above it, where
the SDK's bindings read it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import toml  # pants: no-infer-dep (Pants provides it)

from pants.engine.addresses import Address
from pants.engine.fs import (
    EMPTY_DIGEST,
    AddPrefix,
    Digest,
    DigestContents,
    DigestSubset,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.pipeline import ComponentFieldSet, ComponentStep
from warpgrid_pants.components.world import ComponentBuildError, WitWorld
from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.target_types import RustComponentSourcesField, RustFlagsField
from warpgrid_pants.toolchains.cargo import CargoProcess
from warpgrid_pants.toolchains.system_tools import step_failure

SDK_CRATE = "warpgrid-sdk"
SDK_DIR = ITEMS["rust-sdk"].canonical
# The SDK's bindings read the WIT at `../../../wit` from the crate (lib.rs, `generate!`).
SDK_WIT_FROM_CRATE = "../../../wit"
VENDOR_DIR = "__warpgrid_out/vendor"


@dataclass(frozen=True)
class RustSdkRequest:
    """The plugin's `warpgrid-sdk` crate (+ the WIT it reads) placed where `manifest` points."""

    address: Address
    app_dir: str
    manifest: bytes
    wit: Digest


def wit_dir_of(crate_path: str) -> str:
    """Where the SDK crate at `crate_path` reads the WIT, from the build root."""
    return posixpath.normpath(posixpath.join(crate_path, SDK_WIT_FROM_CRATE))


def sdk_path(address: Address, app_dir: str, manifest: bytes) -> str | None:
    """Where the package's `warpgrid-sdk` path dependency points, from the build root; None when
    the package does not depend on the SDK."""
    try:
        parsed = toml.loads(manifest.decode())
    except (UnicodeDecodeError, toml.TomlDecodeError) as e:
        raise ComponentBuildError(f"{address}: {posixpath.join(app_dir, 'Cargo.toml')} is not valid TOML: {e}")
    deps = parsed.get("dependencies", {})
    dep = deps.get(SDK_CRATE)
    if dep is None:
        return None
    fix = (
        f"depend on it by path: `{SDK_CRATE} = {{ path = \"<relative path to>/{SDK_DIR}\" }}`; "
        "`pants export --resolve=warpgrid-sdk` writes the crate to "
        f"dist/export/warpgrid/{SDK_DIR} (in the WarpGrid repository it is {SDK_DIR})"
    )
    if not isinstance(dep, dict) or "path" not in dep:
        raise ComponentBuildError(f"{address}: `{SDK_CRATE}` is not on crates.io, so {fix}")
    path = posixpath.normpath(posixpath.join(app_dir, dep["path"]))
    wit = wit_dir_of(path)
    if path.startswith("../") or path == ".." or wit.startswith("../") or wit == "..":
        raise ComponentBuildError(
            f"{address}: the `{SDK_CRATE}` path {dep['path']!r} leaves the build root (or leaves no "
            f"room for the WIT at {SDK_WIT_FROM_CRATE} from it); {fix}"
        )
    return path


@dataclass(frozen=True)
class PlacedRustSdk:
    """The crate at its manifest path, with a copy of the WIT where it reads it (if not `wit/`)."""

    digest: Digest


@rule(desc="Placing the WarpGrid Rust SDK", level=LogLevel.DEBUG)
async def place_rust_sdk(request: RustSdkRequest) -> PlacedRustSdk:
    path = sdk_path(request.address, request.app_dir, request.manifest)
    if path is None:
        return PlacedRustSdk(EMPTY_DIGEST)
    crate = await Get(ContractFiles, ContractFilesRequest("rust-sdk"))
    placed = [crate.digest]
    if path != SDK_DIR:
        placed = [await Get(Digest, AddPrefix(await Get(Digest, RemovePrefix(crate.digest, SDK_DIR)), path))]
        wit_dir = wit_dir_of(path)
        if wit_dir != "wit":
            placed.append(await Get(Digest, AddPrefix(await Get(Digest, RemovePrefix(request.wit, "wit")), wit_dir)))
    return PlacedRustSdk(await Get(Digest, MergeDigests(placed)))


class CargoBuildRequest(ComponentStep):
    """Fetch + build of one Cargo package into a component at `COMPONENT`."""


@dataclass(frozen=True)
class RustComponentFieldSet(ComponentFieldSet):
    required_fields = (RustComponentSourcesField,)
    step = CargoBuildRequest

    rustflags: RustFlagsField
    export_help = (
        "the crate must be a `cdylib` that exports it: for an http-service, "
        "`warpgrid_sdk::http_service!(app())` with an axum Router or any tower Service"
    )


@rule(desc="Building a Cargo package for wasm32-wasip2", level=LogLevel.DEBUG)
async def cargo_build_component(request: CargoBuildRequest) -> UnfinalizedComponent:
    field_set, wit_world, sources = request.field_set, request.wit, request.sources
    address, app_dir, app_path = request.address, request.app_dir, request.app_path
    request.require_sources(
        ("Cargo.toml", "Cargo.lock"),
        "crates are vendored from the lockfile and the build runs --locked; create it with "
        "`cargo generate-lockfile`",
    )
    manifest = await Get(DigestContents, DigestSubset(sources.digest, PathGlobs([app_path("Cargo.toml")])))
    sdk = (await Get(PlacedRustSdk, RustSdkRequest(address, app_dir, manifest[0].content, wit_world.digest))).digest

    # 1. Vendor the crates, keyed by the manifests and the lockfile only.
    app_manifests, sdk_manifest = await MultiGet(
        Get(Digest, DigestSubset(sources.digest, PathGlobs([app_path("Cargo.toml"), app_path("Cargo.lock")]))),
        Get(Digest, DigestSubset(sdk, PathGlobs(["**/Cargo.toml"]))),
    )
    manifests = await Get(Digest, MergeDigests([app_manifests, sdk_manifest]))
    fetched = await Get(
        FallibleProcessResult,
        CargoProcess(
            script="cargo_fetch.sh",
            args=(app_dir or ".", VENDOR_DIR),
            description=f"Vendor the crates of {address} (cargo vendor --locked)",
            input_digest=manifests,
            output_directories=(VENDOR_DIR,),
            level=LogLevel.INFO,
        ),
    )
    if fetched.exit_code != 0:
        raise ComponentBuildError(step_failure(address, f"vendoring crates from {app_path('Cargo.lock')}", fetched))

    # 2. Build offline from the vendored crates.
    build_input = await Get(
        Digest, MergeDigests([sources.digest, sdk, wit_world.digest, fetched.output_digest])
    )
    built = await Get(
        FallibleProcessResult,
        CargoProcess(
            script="cargo_build.sh",
            args=(app_dir or ".", VENDOR_DIR, COMPONENT),
            description=f"Build {address} (cargo build --release --target wasm32-wasip2)",
            input_digest=build_input,
            output_files=(COMPONENT,),
            extra_env=FrozenDict({"WG_RUST_RUSTFLAGS": " ".join(field_set.rustflags.value or ())}),
            level=LogLevel.INFO,
        ),
    )
    if built.exit_code != 0:
        raise ComponentBuildError(step_failure(address, f"cargo build of {app_dir or '.'}", built))
    return UnfinalizedComponent(address, built.output_digest, wit_world.world, f"cargo build of {app_dir or '.'}")


def rules():
    return [*collect_rules(), *RustComponentFieldSet.rules()]
