"""`componentize_js_component`: a TypeScript/JavaScript app -> a validated WebAssembly component.

The toolchain (npm ci of the pinned lockfile, patched ComponentizeJS, deterministic engine) comes
from `warpgrid.toolchains.componentize_js` and is shared by every app. Per app, each step is a
cacheable Process with an explicit env (remote-cache friendly, byte-reproducible):
  1. `npm ci` of the app's package-lock.json (keyed by package.json + lockfile only, so editing a
     source file does not reinstall);
  2. `tsc --noEmit -p <app>/tsconfig.json` with the pinned TypeScript (when the app has a
     tsconfig.json): a type error fails the build with tsc's message naming file and line;
  3. `componentize.mjs build`: esbuild bundles the entry (`@warpgrid/sdk` -> `src/js/sdk/src`),
     ComponentizeJS (patched, deterministic engine) makes the component for the world;
  4. `warpgrid.components.finalize` validates the component with the pinned wasm-tools, checks
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
from pants.engine.fs import Digest, DigestSubset, MergeDigests, PathGlobs, Snapshot
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import HydratedSources, HydrateSourcesRequest
from pants.engine.unions import UnionRule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.util.logging import LogLevel

from warpgrid.components import finalize
from warpgrid.components.finalize import (
    COMPONENT,
    FinalizeComponentRequest,
    FinalizedComponent,
    component_package,
    expected_export,
    step_failure,
)
from warpgrid.target_types import (
    ComponentOutputPathField,
    JsComponentSourcesField,
    JsComponentWorldField,
    JsEnableFeaturesField,
    JsEntryField,
    WitDirField,
)
from warpgrid.toolchains.componentize_js import (
    ComponentizeJsEngine,
    ComponentizeJsError,
    ComponentizeJsToolchain,
    NpmCiRequest,
    NpmCiResult,
    sandbox_dirs,
)

# The guest SDK that `@warpgrid/sdk[/sub]` imports resolve to (its TypeScript sources).
SDK_DIR = "src/js/sdk"


@dataclass(frozen=True)
class JsComponentFieldSet(PackageFieldSet):
    required_fields = (JsComponentSourcesField, JsEntryField)

    sources: JsComponentSourcesField
    entry: JsEntryField
    world: JsComponentWorldField
    wit: WitDirField
    enable_features: JsEnableFeaturesField
    output_path: ComponentOutputPathField


@dataclass(frozen=True)
class BuiltJsComponent:
    """A built, validated component: `digest` holds exactly one file, at `path` (`.wasm`)."""

    address: Address
    digest: Digest
    path: str
    world: str


def _fail(address: Address, what: str, result: FallibleProcessResult) -> ComponentizeJsError:
    return ComponentizeJsError(step_failure(address, what, result))


def _relative_dir(address: Address, field: str, raw: str) -> str:
    path = posixpath.normpath(raw.strip())
    if path.startswith("/") or path == ".." or path.startswith("../"):
        raise ComponentizeJsError(
            f"{address}: `{field}={raw!r}` must be relative (to the build root for `wit`, to the "
            "BUILD file for `entry`) and stay inside the repository"
        )
    return path


@rule(desc="Building a ComponentizeJS component", level=LogLevel.DEBUG)
async def build_js_component(field_set: JsComponentFieldSet) -> BuiltJsComponent:
    address = field_set.address
    app_dir = address.spec_path
    world = field_set.world.value or JsComponentWorldField.default
    wit = _relative_dir(address, "wit", field_set.wit.value or "wit")
    entry_rel = _relative_dir(address, "entry", field_set.entry.value or JsEntryField.default)
    entry = posixpath.join(app_dir, entry_rel) if app_dir else entry_rel
    features = tuple(field_set.enable_features.value or ())

    sources, wit_snapshot, sdk = await MultiGet(
        Get(HydratedSources, HydrateSourcesRequest(field_set.sources)),
        Get(
            Snapshot,
            PathGlobs(
                [f"{wit}/**/*.wit"],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the `wit` field of {address} (no .wit files in {wit}/)",
            ),
        ),
        Get(
            Snapshot,
            PathGlobs(
                [f"{SDK_DIR}/src/**/*.ts", f"{SDK_DIR}/package.json"],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the WarpGrid JS SDK ({SDK_DIR}/src), for {address}",
            ),
        ),
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
    dirs = await sandbox_dirs()
    app_input = await Get(
        Digest,
        MergeDigests([sources.snapshot.digest, installed.digest, sdk.digest, wit_snapshot.digest, dirs]),
    )
    env = toolchain.node.env()

    # 2. + 3. Type-check, then componentize.
    tsconfig = app_path("tsconfig.json")
    typecheck_process = Process(
        argv=toolchain.node_argv("typecheck", "--project", tsconfig),
        description=f"Type-check {address} (tsc --noEmit)",
        level=LogLevel.DEBUG,
        input_digest=app_input,
        immutable_input_digests=toolchain.immutable_input_digests,
        env=env,
    )
    build_argv = toolchain.node_argv(
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
    )
    # Type-check first (while the shared engine is prepared): a type error fails fast, and tsc
    # and ComponentizeJS (~800 MB) do not compete for memory.
    if tsconfig in files:
        typechecked, engine = await MultiGet(
            Get(FallibleProcessResult, Process, typecheck_process), Get(ComponentizeJsEngine)
        )
        if typechecked.exit_code != 0:
            raise _fail(address, f"type-checking ({tsconfig})", typechecked)
    else:
        engine = await Get(ComponentizeJsEngine)
    built = await Get(
        FallibleProcessResult,
        Process(
            argv=build_argv,
            description=f"Componentize {address} ({world})",
            level=LogLevel.INFO,
            input_digest=app_input,
            immutable_input_digests={
                **toolchain.immutable_input_digests,
                ComponentizeJsEngine.mount: engine.digest,
            },
            env=env,
            output_files=(COMPONENT,),
        ),
    )
    if built.exit_code != 0:
        raise _fail(address, f"componentizing {entry} for {world}", built)

    # 4. Validate, check the world's export, place at the output path.
    finalized = await Get(
        FinalizedComponent,
        FinalizeComponentRequest(
            address=address,
            digest=built.output_digest,
            output_path=field_set.output_path.value_or_default(file_ending="wasm"),
            world=world,
            expected_export=expected_export(world),
            produced_by=f"componentizing {entry} for {world}",
            export_hint=(
                f"the entry {entry} must export it (for an http-service: `export const "
                "httpHandler = serve(app)` with `serve` from `@warpgrid/sdk/http`)"
            ),
        ),
    )
    return BuiltJsComponent(address, finalized.digest, finalized.path, world)


@rule(desc="Packaging a ComponentizeJS component", level=LogLevel.DEBUG)
async def package_js_component(field_set: JsComponentFieldSet) -> BuiltPackage:
    built = await Get(BuiltJsComponent, JsComponentFieldSet, field_set)
    return component_package(built.digest, built.path, built.world)


def rules():
    return [*collect_rules(), *finalize.rules(), UnionRule(PackageFieldSet, JsComponentFieldSet)]
