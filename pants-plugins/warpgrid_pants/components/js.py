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

from dataclasses import dataclass
from typing import ClassVar

from pants.engine.fs import Digest, DigestSubset, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.pipeline import ComponentFieldSet, ComponentStep
from warpgrid_pants.components.world import WitWorld
from warpgrid_pants.target_types import EntryField, JsComponentSourcesField, JsEnableFeaturesField, JsEntryField
from warpgrid_pants.toolchains.componentize_js import (
    ComponentizeJsEngine,
    ComponentizeJsError,
    ComponentizeJsToolchain,
)
from warpgrid_pants.toolchains.node import InstalledPackages, NodeToolProcess, NpmCiRequest
from warpgrid_pants.toolchains.system_tools import step_failure

# Where the guest SDK that `@warpgrid/sdk[/sub]` imports resolve to sits in the sandbox (its
# TypeScript sources, from WarpGrid's contract files: contract.py).
SDK_DIR = ITEMS["js-sdk"].canonical


@dataclass(frozen=True)
class JsAppFieldSet(ComponentFieldSet):
    """A JS-family app (ComponentizeJS, Bun): an entry module and the ComponentizeJS features."""

    entry: EntryField
    enable_features: JsEnableFeaturesField

    entry_must: ClassVar[str]  # what the entry must do for the world's export, in the language's terms

    @property
    def entry_value(self) -> str:
        return self.entry.value or type(self.entry).default

    def export_hint(self, wit: WitWorld) -> str:
        return f"the entry {self.entry_value} {self.entry_must}"


class ComponentizeJsAppRequest(ComponentStep):
    """The ComponentizeJS step: an app (sources, lockfile, entry) -> a component directly."""


@dataclass(frozen=True)
class JsComponentFieldSet(JsAppFieldSet):
    required_fields = (JsComponentSourcesField, JsEntryField)
    step = ComponentizeJsAppRequest
    entry_must = (
        "must export it: for an http-service, `export default app` (a hono-style app with a "
        "`fetch` method) or `export const httpHandler = serve(app)` with `serve` from "
        "`@warpgrid/sdk/http`"
    )


@rule(desc="Componentizing a JS app", level=LogLevel.DEBUG)
async def componentize_js_app(request: ComponentizeJsAppRequest) -> UnfinalizedComponent:
    field_set, wit, sources = request.field_set, request.wit, request.sources
    address, app_dir = request.address, request.app_dir
    request.require_sources(
        ("package.json", "package-lock.json"),
        "the dependencies are installed with `npm ci` from the lockfile; create it with "
        "`npm install --package-lock-only`",
    )
    entry = request.source_named_by("entry", field_set.entry_value)
    sdk = await Get(ContractFiles, ContractFilesRequest("js-sdk"))

    # 1. The app's dependencies, keyed by package.json + package-lock.json only; the shared
    # toolchain is prepared meanwhile (or comes from the cache).
    lockfiles = await Get(
        Digest, DigestSubset(sources.digest, PathGlobs([request.app_path("package.json"), request.app_path("package-lock.json")]))
    )
    installed, toolchain = await MultiGet(
        Get(InstalledPackages, NpmCiRequest(app_dir, lockfiles, f"Install npm dependencies of {address}")),
        Get(ComponentizeJsToolchain),
    )
    app_input = await Get(Digest, MergeDigests([sources.digest, installed.digest, sdk.digest, wit.digest]))

    # 2. + 3. Type-check first (while the shared engine is prepared): a type error fails fast, and
    # tsc and ComponentizeJS (~800 MB) do not compete for memory. Then componentize.
    tsconfig = request.app_path("tsconfig.json")
    if tsconfig in sources.files:
        typechecked, engine = await MultiGet(
            Get(
                FallibleProcessResult,
                NodeToolProcess,
                toolchain.process(
                    "typecheck", "--project", tsconfig,
                    description=f"Type-check {address} (tsc --noEmit)", input_digest=app_input,
                ),
            ),
            Get(ComponentizeJsEngine),
        )
        if typechecked.exit_code != 0:
            raise ComponentizeJsError(step_failure(address, f"type-checking ({tsconfig})", typechecked))
    else:
        engine = await Get(ComponentizeJsEngine)
    built = await Get(
        FallibleProcessResult,
        NodeToolProcess,
        toolchain.build(
            engine, entry=entry, project_dir=app_dir or ".", sdk_dir=SDK_DIR, wit_dir=wit.dir, world=wit.world,
            features=tuple(field_set.enable_features.value or ()), out=COMPONENT,
            description=f"Componentize {address} ({wit.world})", input_digest=app_input,
        ),
    )
    what = f"componentizing {entry} for {wit.world}"
    if built.exit_code != 0:
        raise ComponentizeJsError(step_failure(address, what, built))
    return UnfinalizedComponent(address, built.output_digest, wit.world, what)


def rules():
    return [*collect_rules(), *JsComponentFieldSet.rules()]
