"""`componentize_js_component`: a TypeScript/JavaScript app -> a validated WebAssembly component.

The toolchain (npm ci of the pinned lockfile, patched ComponentizeJS, deterministic engine) comes
from `warpgrid_pants.toolchains.componentize_js` and is shared by every app. Per app, each step is a
cacheable Process with an explicit env (remote-cache friendly, byte-reproducible):
  1. `npm ci` of the app's package-lock.json (keyed by package.json + lockfile only, so editing a
     source file does not reinstall);
  2. `tsc --noEmit -p <app>/tsconfig.json` with the pinned TypeScript (when the app has a
     tsconfig.json): a type error fails the build with tsc's message naming file and line;
  3. `componentize.mjs build`: esbuild bundles the entry (`@warpgrid/sdk` -> `src/js/sdk/src`),
     ComponentizeJS (patched, deterministic engine) makes the component for the world;
  4. `warpgrid_pants.components.finalize` validates the component with the pinned wasm-tools, checks
     that its WIT has the world's export (`warpgrid:shim/http-handler` for an http-service,
     `wasi:cli/run` for a cli-service) and places it at the output path.
Sandbox layout mirrors the repository (app, `src/js/sdk`, `wit/` at their repo paths), so the
bundle (which names modules by path relative to the app) is the same in every sandbox.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import HydratedSources, HydrateSourcesRequest
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.finalize import Component, FinalizeComponentRequest, component_package
from warpgrid_pants.components.world import WitWorld, WitWorldRequest, relative_path
from warpgrid_pants.target_types import (
    ComponentOutputPathField,
    JsComponentSourcesField,
    JsComponentWorldField,
    JsEnableFeaturesField,
    JsEntryField,
    WitDirField,
)
from warpgrid_pants.toolchains.componentize_js import (
    ComponentizeJsEngine,
    ComponentizeJsError,
    ComponentizeJsToolchain,
)
from warpgrid_pants.toolchains.node import NodeToolProcess, NpmCiRequest, NpmCiResult
from warpgrid_pants.toolchains.system_tools import step_failure

# Where the guest SDK that `@warpgrid/sdk[/sub]` imports resolve to sits in the sandbox (its
# TypeScript sources, from WarpGrid's contract files: contract.py).
SDK_DIR = ITEMS["js-sdk"].canonical


@dataclass(frozen=True)
class JsComponentFieldSet(PackageFieldSet):
    required_fields = (JsComponentSourcesField, JsEntryField)

    sources: JsComponentSourcesField
    entry: JsEntryField
    world: JsComponentWorldField
    wit: WitDirField
    enable_features: JsEnableFeaturesField
    output_path: ComponentOutputPathField


def _fail(address: Address, what: str, result: FallibleProcessResult) -> ComponentizeJsError:
    return ComponentizeJsError(step_failure(address, what, result))


@dataclass(frozen=True)
class ComponentizeJsAppRequest:
    """The ComponentizeJS step: an app (sources, lockfile, entry) -> a component directly."""

    field_set: JsComponentFieldSet
    wit: WitWorld


@rule(desc="Componentizing a JS app", level=LogLevel.DEBUG)
async def componentize_js_app(request: ComponentizeJsAppRequest) -> UnfinalizedComponent:
    field_set, wit_world = request.field_set, request.wit
    address = field_set.address
    app_dir = address.spec_path
    world = wit_world.world
    wit = wit_world.dir
    entry_rel = relative_path(
        address, "entry", field_set.entry.value or JsEntryField.default, relative_to="the BUILD file"
    )
    entry = posixpath.join(app_dir, entry_rel) if app_dir else entry_rel
    features = tuple(field_set.enable_features.value or ())

    sources, sdk = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(field_set.sources)),
        Get(ContractFiles, ContractFilesRequest("js-sdk")),
    )
    files = set(sources.snapshot.files)
    app_path = (lambda name: posixpath.join(app_dir, name)) if app_dir else (lambda name: name)
    missing = [n for n in ("package.json", "package-lock.json") if app_path(n) not in files]
    if missing:
        raise ComponentizeJsError(
            f"{address}: `sources` must include {' and '.join(missing)} next to the BUILD file "
            "(the dependencies are installed with `npm ci` from the lockfile; create it with "
            "`npm install --package-lock-only`)"
        )
    if entry not in files:
        raise ComponentizeJsError(
            f"{address}: `entry={field_set.entry.value!r}` ({entry}) is not among the target's "
            f"sources ({sorted(files)}): fix `entry` or add the file to `sources`"
        )

    # 1. The app's dependencies, keyed by package.json + package-lock.json only.
    lockfiles = await Get(
        Digest,
        DigestSubset(
            sources.snapshot.digest,
            PathGlobs([app_path("package.json"), app_path("package-lock.json")]),
        ),
    )
    # The shared toolchain is prepared meanwhile (or comes from the cache).
    installed, toolchain = await MultiGet(
        Get(NpmCiResult, NpmCiRequest(app_dir, lockfiles, f"Install npm dependencies of {address}")),
        Get(ComponentizeJsToolchain),
    )
    app_input = await Get(
        Digest, MergeDigests([sources.snapshot.digest, installed.digest, sdk.digest, wit_world.digest])
    )

    # 2. + 3. Type-check, then componentize.
    tsconfig = app_path("tsconfig.json")
    typecheck_process = toolchain.process(
        "typecheck",
        "--project",
        tsconfig,
        description=f"Type-check {address} (tsc --noEmit)",
        input_digest=app_input,
    )
    # Type-check first (while the shared engine is prepared): a type error fails fast, and tsc
    # and ComponentizeJS (~800 MB) do not compete for memory.
    if tsconfig in files:
        typechecked, engine = await MultiGet(
            Get(FallibleProcessResult, NodeToolProcess, typecheck_process),
            Get(ComponentizeJsEngine),
        )
        if typechecked.exit_code != 0:
            raise _fail(address, f"type-checking ({tsconfig})", typechecked)
    else:
        engine = await Get(ComponentizeJsEngine)
    built = await Get(
        FallibleProcessResult,
        NodeToolProcess,
        toolchain.process(
            "build",
            "--engine",
            ComponentizeJsEngine.path,
            "--entry",
            entry,
            "--project-dir",
            app_dir or ".",
            "--sdk",
            SDK_DIR,
            "--wit",
            wit,
            "--world",
            world,
            *(arg for f in features for arg in ("--enable-feature", f)),
            "--out",
            COMPONENT,
            description=f"Componentize {address} ({world})",
            input_digest=app_input,
            mounts={ComponentizeJsEngine.mount: engine.digest},
            output_files=(COMPONENT,),
            level=LogLevel.INFO,
        ),
    )
    if built.exit_code != 0:
        raise _fail(address, f"componentizing {entry} for {world}", built)

    return UnfinalizedComponent(address, built.output_digest, world, f"componentizing {entry} for {world}")


@rule(desc="Building a ComponentizeJS component", level=LogLevel.DEBUG)
async def build_js_component(field_set: JsComponentFieldSet) -> Component:
    world = field_set.world.value or JsComponentWorldField.default
    wit = await Get(WitWorld, WitWorldRequest(field_set.address, field_set.wit.value, world))
    unfinalized = await Get(UnfinalizedComponent, ComponentizeJsAppRequest(field_set, wit))
    entry = field_set.entry.value or JsEntryField.default
    return await Get(
        Component,
        FinalizeComponentRequest(
            unfinalized,
            output_path=field_set.output_path.value_or_default(file_ending="wasm"),
            export_hint=(
                f"the entry {entry} must export it: for an http-service, `export default app` "
                "(a hono-style app with a `fetch` method) or `export const httpHandler = "
                "serve(app)` with `serve` from `@warpgrid/sdk/http`"
            ),
        ),
    )


@rule(desc="Packaging a ComponentizeJS component", level=LogLevel.DEBUG)
async def package_js_component(field_set: JsComponentFieldSet) -> BuiltPackage:
    return component_package(await Get(Component, JsComponentFieldSet, field_set))


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, JsComponentFieldSet)]
