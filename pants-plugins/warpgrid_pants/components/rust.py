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
The sandbox mirrors the repository: the package at its path, the SDK crate at `SDK_DIR` (the
package's path dependency `../../src/rust/warpgrid-sdk`), and `wit/` (the SDK reads `../../../wit`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.engine.fs import Digest, DigestSubset, MergeDigests, PathGlobs, Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.pipeline import ComponentFieldSet, ComponentStep
from warpgrid_pants.components.world import ComponentBuildError, WitWorld
from warpgrid_pants.target_types import RustComponentSourcesField, RustFlagsField
from warpgrid_pants.toolchains.cargo import CargoProcess
from warpgrid_pants.toolchains.system_tools import step_failure

# The guest SDK crate that packages depend on by path.
SDK_DIR = "src/rust/warpgrid-sdk"
VENDOR_DIR = "__warpgrid_out/vendor"


class CargoBuildRequest(ComponentStep):
    """Fetch + build of one Cargo package into a component at `COMPONENT`."""


@dataclass(frozen=True)
class RustComponentFieldSet(ComponentFieldSet):
    required_fields = (RustComponentSourcesField,)
    step = CargoBuildRequest

    rustflags: RustFlagsField

    def export_hint(self, wit: WitWorld) -> str:
        return (
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
    sdk = await Get(
        Snapshot,
        PathGlobs(
            [f"{SDK_DIR}/Cargo.toml", f"{SDK_DIR}/src/**/*.rs"],
            glob_match_error_behavior=GlobMatchErrorBehavior.error,
            description_of_origin=f"the WarpGrid Rust SDK ({SDK_DIR}), for {address}",
        ),
    )

    # 1. Vendor the crates, keyed by the manifests and the lockfile only.
    app_manifests, sdk_manifest = await MultiGet(
        Get(Digest, DigestSubset(sources.digest, PathGlobs([app_path("Cargo.toml"), app_path("Cargo.lock")]))),
        Get(Digest, DigestSubset(sdk.digest, PathGlobs([f"{SDK_DIR}/Cargo.toml"]))),
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
        Digest, MergeDigests([sources.digest, sdk.digest, wit_world.digest, fetched.output_digest])
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
