"""`pants export --resolve=warpgrid-sdk`: the guest SDKs for editors, `tsc` and `cargo`.

Component builds take the SDKs from the plugin, so a build never needs them installed. The
tools around a build do: `tsc` or an editor resolves `@warpgrid/sdk/http` by walking up to a
`node_modules/@warpgrid/sdk` whose package.json `exports` name `.d.ts` files, and `cargo` (or
rust-analyzer) needs the `warpgrid-sdk` crate at the path a package's manifest gives it. Neither
SDK is on a public registry, so `pants export` writes them, as Pants' Python backend exports
virtualenvs for IDEs:

  dist/export/warpgrid/npm/@warpgrid/sdk    the npm package: package.json + dist/ (`tsc -p` over
                                            the SDK with the pinned toolchain's TypeScript)
  dist/export/warpgrid/src/rust/warpgrid-sdk + dist/export/warpgrid/wit
                                            the crate and the WIT its bindings read (../../../wit)

and copies the npm package to `node_modules/@warpgrid/sdk` at the build root (replacing an older
export), where TypeScript finds it from any directory of the repository. A Rust package depends on
`warpgrid-sdk = { path = "<relative>/dist/export/warpgrid/src/rust/warpgrid-sdk" }`; the
`rust_component` build places the plugin's crate at that same path (components/rust.py).

Pants 2.17's target-spec form (`pants export services/web:`) also exports them when a
`componentize_js_component`, `bun_component` or `rust_component` is named.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from pants.core.goals.export import (
    ExportRequest,
    ExportResult,
    ExportResults,
    ExportSubsystem,
    PostProcessingCommand,
)
from pants.engine.fs import AddPrefix, Digest, DigestSubset, MergeDigests, PathGlobs, RemovePrefix
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.target_types import (
    BunComponentSourcesField,
    JsComponentSourcesField,
    RustComponentSourcesField,
)
from warpgrid_pants.toolchains.componentize_js import ComponentizeJsToolchain
from warpgrid_pants.toolchains.node import NodeToolError, NodeToolProcess
from warpgrid_pants.toolchains.system_tools import process_failure

RESOLVE = "warpgrid-sdk"  # `pants export --resolve=warpgrid-sdk`
EXPORT_RELDIR = "warpgrid"
NPM_PACKAGE = "npm/@warpgrid/sdk"  # inside EXPORT_RELDIR
INSTALLED_AT = "node_modules/@warpgrid/sdk"  # at the build root
JS_SDK_DIR = ITEMS["js-sdk"].canonical
SDK_FIELDS = (JsComponentSourcesField, BunComponentSourcesField, RustComponentSourcesField)


@dataclass(frozen=True)
class ExportSdksRequest(ExportRequest):
    pass


@dataclass(frozen=True)
class BuildJsSdkRequest:
    """The JS SDK the contract files hold (the plugin's, or `[warpgrid-contract].js_sdk_dir`)."""


@dataclass(frozen=True)
class BuiltJsSdk:
    """The npm package directory at its root: package.json and dist/ (`.js` + `.d.ts`)."""

    digest: Digest


@rule(desc="Building the @warpgrid/sdk npm package (tsc)", level=LogLevel.DEBUG)
async def build_js_sdk_package(_: BuildJsSdkRequest, toolchain: ComponentizeJsToolchain) -> BuiltJsSdk:
    sdk = await Get(ContractFiles, ContractFilesRequest("js-sdk"))
    tsc = posixpath.join(toolchain.mount, "node_modules/typescript/bin/tsc")
    result = await Get(
        FallibleProcessResult,
        NodeToolProcess(
            args=(tsc, "-p", f"{JS_SDK_DIR}/tsconfig.json"),
            description="Compile @warpgrid/sdk with tsc (declarations for editors)",
            input_digest=sdk.digest,
            mounts=FrozenDict(toolchain.mounts),
            output_directories=(f"{JS_SDK_DIR}/dist",),
        ),
    )
    if result.exit_code != 0:
        raise NodeToolError(process_failure(f"`tsc -p {JS_SDK_DIR}/tsconfig.json` (from {sdk.source})", result))
    manifest = await Get(Digest, DigestSubset(sdk.digest, PathGlobs([f"{JS_SDK_DIR}/package.json"])))
    package = await Get(Digest, MergeDigests([manifest, result.output_digest]))
    return BuiltJsSdk(await Get(Digest, RemovePrefix(package, JS_SDK_DIR)))


@rule(desc="Exporting the WarpGrid SDKs for editors, tsc and cargo", level=LogLevel.DEBUG)
async def export_sdks(request: ExportSdksRequest, export: ExportSubsystem) -> ExportResults:
    named = RESOLVE in export.options.resolve
    sdk_targets = any(t.has_field(field) for t in request.targets for field in SDK_FIELDS)
    if not (named or sdk_targets):
        return ExportResults()
    js, rust, wit = await MultiGet(
        Get(BuiltJsSdk, BuildJsSdkRequest()),
        Get(ContractFiles, ContractFilesRequest("rust-sdk")),
        Get(ContractFiles, ContractFilesRequest("wit")),
    )
    npm = await Get(Digest, AddPrefix(js.digest, NPM_PACKAGE))
    tree = await Get(Digest, MergeDigests([npm, rust.digest, wit.digest]))
    install = PostProcessingCommand(
        [
            "/bin/sh",
            "-c",
            'rm -rf "$1" && mkdir -p "$(dirname "$1")" && cp -R "$2" "$1"',
            "install-warpgrid-sdk",
            INSTALLED_AT,
            f"{{digest_root}}/{NPM_PACKAGE}",
        ]
    )
    return ExportResults(
        [
            ExportResult(
                f"the WarpGrid SDKs (npm @warpgrid/sdk, also installed at {INSTALLED_AT}; "
                f"the Rust crate at {EXPORT_RELDIR}/{ITEMS['rust-sdk'].canonical})",
                EXPORT_RELDIR,
                digest=tree,
                post_processing_cmds=[install],
                resolve=RESOLVE,
            )
        ]
    )


def rules():
    return [*collect_rules(), UnionRule(ExportRequest, ExportSdksRequest)]
