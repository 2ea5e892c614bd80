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

from dataclasses import dataclass

from pants.engine.fs import CreateDigest, Digest, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.pipeline import ComponentStep
from warpgrid_pants.components.js import JsAppFieldSet
from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.target_types import BunComponentSourcesField, BunEntryField
from warpgrid_pants.toolchains.bun import BunError, BunInstallRequest, BunProcess
from warpgrid_pants.toolchains.componentize_js import ComponentizeJsEngine, ComponentizeJsToolchain
from warpgrid_pants.toolchains.node import InstalledPackages, NodeToolProcess
from warpgrid_pants.toolchains.system_tools import plugin_scripts, step_failure

# The SDKs the bundle resolves `@warpgrid/bun-sdk` and `@warpgrid/sdk` to (their sources).
BUN_SDK_DIR = ITEMS["bun-sdk"].canonical
SDK_DIR = ITEMS["js-sdk"].canonical
SCRIPT_MOUNT = "__warpgrid_bun_scripts"
BUNDLE_SCRIPT = "bun_bundle.mjs"
# The bundle's place in the componentize sandbox: its file name is part of the component.
BUNDLE_DIR = "__warpgrid_bundle"
BUNDLE = f"{BUNDLE_DIR}/bundle.js"


class BunAppRequest(ComponentStep):
    """Bun bundles the app, ComponentizeJS makes the component of the bundle."""


@dataclass(frozen=True)
class BunComponentFieldSet(JsAppFieldSet):
    required_fields = (BunComponentSourcesField, BunEntryField)
    step = BunAppRequest
    entry_must = "must serve: `export default { fetch }` or `Bun.serve({ fetch })`"


@rule(desc="Bundling and componentizing a Bun app", level=LogLevel.DEBUG)
async def componentize_bun_app(request: BunAppRequest) -> UnfinalizedComponent:
    field_set, wit, sources = request.field_set, request.wit, request.sources
    address, app_dir = request.address, request.app_dir
    request.require_sources(("package.json",))
    entry = request.source_named_by("entry", field_set.entry_value)
    bun_sdk, js_sdk, script = await MultiGet(
        Get(ContractFiles, ContractFilesRequest("bun-sdk")),
        Get(ContractFiles, ContractFilesRequest("js-sdk")),
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", BUNDLE_SCRIPT)),
    )

    # 1. Dependencies, keyed by package.json + bun.lock only; the shared toolchain meanwhile.
    lockfiles = await Get(
        Digest, DigestSubset(sources.digest, PathGlobs([request.app_path("package.json"), request.app_path("bun.lock")]))
    )
    installed, toolchain = await MultiGet(
        Get(InstalledPackages, BunInstallRequest(app_dir, lockfiles, f"Install Bun dependencies of {address}")),
        Get(ComponentizeJsToolchain),
    )

    # 2. One ESM bundle with the WarpGrid Bun plugin.
    bundle_input = await Get(
        Digest, MergeDigests([sources.digest, installed.digest, bun_sdk.digest, js_sdk.digest])
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
    built = await Get(
        FallibleProcessResult,
        NodeToolProcess,
        toolchain.build(
            engine, entry=BUNDLE, project_dir=BUNDLE_DIR, wit_dir=wit.dir, world=wit.world,
            features=tuple(field_set.enable_features.value or ()), out=COMPONENT,
            description=f"Componentize {address} ({wit.world})",
            input_digest=await Get(Digest, MergeDigests([bundled.output_digest, wit.digest])),
        ),
    )
    if built.exit_code != 0:
        raise BunError(step_failure(address, f"componentizing the bundle of {entry} for {wit.world}", built))
    return UnfinalizedComponent(address, built.output_digest, wit.world, f"bundling {entry} with Bun and componentizing it for {wit.world}")


def rules():
    return [*collect_rules(), *BunComponentFieldSet.rules()]
