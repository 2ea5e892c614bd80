"""`bun_component`: a Bun service -> a validated WebAssembly component.

Bun itself (the `[bun]` pin) and the ComponentizeJS toolchain and engine (shared with
`componentize_js_component`: the same Processes, the same cache entries) come from the
toolchains. Per app, each step is a cacheable Process with an explicit env:
  1. `bun install --frozen-lockfile --ignore-scripts --backend=copyfile` of the app's bun.lock
     (keyed by package.json + bun.lock only; skipped for an app without dependencies);
  2. `bun bun_bundle.mjs`: `bun build --target=browser --format=esm` with the WarpGrid Bun plugin
     (`src/js/bun-sdk/src/bundler/plugin.ts`): one ESM file exporting `httpHandler`, Bun APIs
     replaced by WASI/shim-backed polyfills, `@warpgrid/bun-sdk` and `@warpgrid/sdk` resolved to
     their sources; Bun names modules relative to the sandbox root, which mirrors the repository;
  3. `componentize.mjs build` of that bundle (no second bundling step of our own: esbuild passes
     the import-free bundle through) with the deterministic engine;
  4. the shared finalize step (validate, check the world's export, place at the output path).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.fs import CreateDigest, Digest, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import HydratedSources, HydrateSourcesRequest
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.finalize import Component, FinalizeComponentRequest, component_package
from warpgrid_pants.components.world import WitWorld, WitWorldRequest, relative_path
from warpgrid_pants.target_types import (
    BunComponentSourcesField,
    BunComponentWorldField,
    BunEntryField,
    ComponentOutputPathField,
    JsEnableFeaturesField,
    WitDirField,
)
from warpgrid_pants.toolchains.bun import BunError, BunInstallRequest, BunInstallResult, BunProcess
from warpgrid_pants.toolchains.componentize_js import ComponentizeJsEngine, ComponentizeJsToolchain
from warpgrid_pants.toolchains.node import NodeToolProcess
from warpgrid_pants.toolchains.system_tools import plugin_scripts, step_failure

# The SDKs the bundle resolves `@warpgrid/bun-sdk` and `@warpgrid/sdk` to (their sources).
BUN_SDK_DIR = ITEMS["bun-sdk"].canonical
SDK_DIR = ITEMS["js-sdk"].canonical
SCRIPT_MOUNT = "__warpgrid_bun_scripts"
BUNDLE_SCRIPT = "bun_bundle.mjs"
# The bundle's place in the componentize sandbox: its file name is part of the component.
BUNDLE_DIR = "__warpgrid_bundle"
BUNDLE = f"{BUNDLE_DIR}/bundle.js"


@dataclass(frozen=True)
class BunComponentFieldSet(PackageFieldSet):
    required_fields = (BunComponentSourcesField, BunEntryField)

    sources: BunComponentSourcesField
    entry: BunEntryField
    world: BunComponentWorldField
    wit: WitDirField
    enable_features: JsEnableFeaturesField
    output_path: ComponentOutputPathField


@dataclass(frozen=True)
class BunAppRequest:
    field_set: BunComponentFieldSet
    wit: WitWorld


@rule(desc="Bundling and componentizing a Bun app", level=LogLevel.DEBUG)
async def componentize_bun_app(request: BunAppRequest) -> UnfinalizedComponent:
    field_set, wit_world = request.field_set, request.wit
    address = field_set.address
    app_dir = address.spec_path
    entry_rel = relative_path(address, "entry", field_set.entry.value or BunEntryField.default, relative_to="the BUILD file")
    entry = posixpath.join(app_dir, entry_rel) if app_dir else entry_rel
    app_path = (lambda name: posixpath.join(app_dir, name)) if app_dir else (lambda name: name)
    features = tuple(field_set.enable_features.value or ())

    sources, bun_sdk, js_sdk, script = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(field_set.sources)),
        Get(ContractFiles, ContractFilesRequest("bun-sdk")),
        Get(ContractFiles, ContractFilesRequest("js-sdk")),
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", BUNDLE_SCRIPT)),
    )
    files = set(sources.snapshot.files)
    if app_path("package.json") not in files:
        raise BunError(f"{address}: `sources` must include package.json next to the BUILD file")
    if entry not in files:
        raise BunError(
            f"{address}: `entry={field_set.entry.value!r}` ({entry}) is not among the target's "
            f"sources ({sorted(files)}): fix `entry` or add the file to `sources`"
        )

    # 1. Dependencies, keyed by package.json + bun.lock only; the shared toolchain meanwhile.
    lockfiles = await Get(Digest, DigestSubset(sources.snapshot.digest, PathGlobs([app_path("package.json"), app_path("bun.lock")])))
    installed, toolchain = await MultiGet(
        Get(BunInstallResult, BunInstallRequest(app_dir, lockfiles, f"Install Bun dependencies of {address}")),
        Get(ComponentizeJsToolchain),
    )

    # 2. One ESM bundle with the WarpGrid Bun plugin.
    bundle_input = await Get(
        Digest, MergeDigests([sources.snapshot.digest, installed.digest, bun_sdk.digest, js_sdk.digest])
    )
    bundled = await Get(
        FallibleProcessResult,
        BunProcess(
            args=(f"{SCRIPT_MOUNT}/{BUNDLE_SCRIPT}", "--entry", entry, "--project-dir", app_dir or ".",
                  "--bun-sdk", BUN_SDK_DIR, "--sdk", SDK_DIR, "--out", BUNDLE),
            description=f"Bundle {address} (bun build --target=browser + the WarpGrid plugin)",
            input_digest=bundle_input,
            mounts=FrozenDict({SCRIPT_MOUNT: script}),
            output_files=(BUNDLE,),
        ),
    )
    if bundled.exit_code != 0:
        raise BunError(step_failure(address, f"bundling {entry}", bundled))

    # 3. The shared ComponentizeJS recipe on the bundle.
    engine = await Get(ComponentizeJsEngine)
    cjs_input = await Get(Digest, MergeDigests([bundled.output_digest, wit_world.digest]))
    world = wit_world.world
    built = await Get(
        FallibleProcessResult,
        NodeToolProcess,
        toolchain.process(
            "build", "--engine", ComponentizeJsEngine.path, "--entry", BUNDLE, "--project-dir", BUNDLE_DIR,
            "--wit", wit_world.dir, "--world", world,
            *(arg for f in features for arg in ("--enable-feature", f)),
            "--out", COMPONENT,
            description=f"Componentize {address} ({world})",
            input_digest=cjs_input,
            mounts={ComponentizeJsEngine.mount: engine.digest},
            output_files=(COMPONENT,),
            level=LogLevel.INFO,
        ),
    )
    if built.exit_code != 0:
        raise BunError(step_failure(address, f"componentizing the bundle of {entry} for {world}", built))
    return UnfinalizedComponent(address, built.output_digest, world, f"bundling {entry} with Bun and componentizing it for {world}")


@rule(desc="Building a Bun component", level=LogLevel.DEBUG)
async def build_bun_component(field_set: BunComponentFieldSet) -> Component:
    world = field_set.world.value or BunComponentWorldField.default
    wit = await Get(WitWorld, WitWorldRequest(field_set.address, field_set.wit.value, world))
    unfinalized = await Get(UnfinalizedComponent, BunAppRequest(field_set, wit))
    return await Get(
        Component,
        FinalizeComponentRequest(
            unfinalized,
            output_path=field_set.output_path.value_or_default(file_ending="wasm"),
            export_hint=(
                f"the entry {field_set.entry.value or BunEntryField.default} must serve: "
                "`export default { fetch }` or `Bun.serve({ fetch })`"
            ),
        ),
    )


@rule(desc="Packaging a Bun component", level=LogLevel.DEBUG)
async def package_bun_component(field_set: BunComponentFieldSet) -> BuiltPackage:
    return component_package(await Get(Component, BunComponentFieldSet, field_set))


def rules():
    return [*collect_rules(), UnionRule(PackageFieldSet, BunComponentFieldSet)]
