"""The pinned, patched ComponentizeJS toolchain and its deterministic engine, shared by every app.

Three cacheable Processes, none of which depends on an application, so one toolchain and one
engine serve every `componentize_js_component` (built once per pin, locally and remotely cached):

  1. `npm ci` of `third_party/js/componentize/package{,-lock}.json` (ComponentizeJS, esbuild,
     TypeScript, the preview2 shim): needs the npm registry, but its output is deterministic: the
     lockfile's integrity hashes (sha512 of every tarball) are the pin and npm verifies them, the
     install runs with `--ignore-scripts` (no install script can add host-dependent files) and
     `--no-bin-links` (no `.bin` symlinks), so the same lockfile gives the same tree;
  2. the `patches/componentize-js/` series applied to `node_modules/@bytecodealliance/
     componentize-js` with the shared `ApplyPatchSeriesRequest` (GNU patch, strict: a stale patch
     fails naming patch, file and hunk);
  3. `componentize.mjs prepare-engine` with the pinned wasm-tools: the StarlingMonkey engine
     rewritten so Wizer's snapshot does not capture init-time randomness or clocks (see the
     script's header: this is what makes components byte-reproducible).

Every Process is a `NodeToolProcess` (toolchains/node.py) with an explicit env: PATH holds only node/npm shims, `WARPGRID_TOOL_NODE` and
`WARPGRID_TOOL_NPM` carry fingerprints of `node --version` / `npm --version` (a tool upgrade
invalidates the cache), HOME and TMPDIR point into the sandbox, and npm's download cache is the
append-only named cache `npm` (content-addressed, so sharing it between runs cannot change an
output). No Process uses a local-only cache scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.engine.fs import (
    EMPTY_DIGEST,
    AddPrefix,
    CreateDigest,
    Digest,
    DigestSubset,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.contract import ITEMS, ContractFiles, ContractFilesRequest
from warpgrid_pants.toolchains.node import InstalledPackages, NodeToolProcess, NpmCiRequest
from warpgrid_pants.toolchains.system_tools import ToolchainError, plugin_scripts, process_failure
from warpgrid_pants.toolchains.wasm_tools import WasmTools
from warpgrid_pants.upstream.patch import ApplyPatchSeriesRequest, PatchedTree

# Where the pinned toolchain (package.json + package-lock.json) and its patches sit among
# WarpGrid's contract files (shipped with the plugin, or from the repository: contract.py).
TOOLCHAIN_PACKAGE_DIR = ITEMS["componentize-js"].canonical
PATCHES_DIR = f"{ITEMS['patches'].canonical}/componentize-js"
# The pin name of ComponentizeJS in third_party/upstreams.toml, for patch error messages.
COMPONENTIZE_JS_PIN = "componentize-js"
CJS_PACKAGE = "node_modules/@bytecodealliance/componentize-js"


class ComponentizeJsError(Exception):
    """A ComponentizeJS toolchain or build step failed; the message names the step and output."""

# ---------------------------------------------------------------------------- the toolchain


SCRIPT_MOUNT = "__warpgrid_cjs_scripts"
SCRIPT = "componentize.mjs"


@dataclass(frozen=True)
class ComponentizeJsToolchain:
    """The patched toolchain tree (`node_modules/` at its root) and the recipe script.

    `process(command, ...)` runs `componentize.mjs <command>` as a `NodeToolProcess` with both
    mounted read-only (shared between sandboxes, never copied).
    """

    digest: Digest
    script: Digest

    mount = "__warpgrid_cjs_toolchain"
    script_path = f"{SCRIPT_MOUNT}/{SCRIPT}"

    @property
    def mounts(self) -> dict[str, Digest]:
        return {self.mount: self.digest, SCRIPT_MOUNT: self.script}

    def process(
        self,
        command: str,
        *args: str,
        description: str,
        input_digest: Digest,
        mounts: dict[str, Digest] | None = None,
        extra_env: dict[str, str] | None = None,
        output_files: tuple[str, ...] = (),
        level: LogLevel = LogLevel.DEBUG,
    ) -> NodeToolProcess:
        return NodeToolProcess(
            args=(self.script_path, command, "--toolchain", self.mount, *args),
            description=description,
            input_digest=input_digest,
            mounts=FrozenDict({**self.mounts, **(mounts or {})}),
            extra_env=FrozenDict(extra_env or {}),
            output_files=output_files,
            level=level,
        )

    def build(
        self,
        engine: ComponentizeJsEngine,
        *,
        entry: str,
        project_dir: str,
        wit_dir: str,
        world: str,
        features: tuple[str, ...],
        out: str,
        description: str,
        input_digest: Digest,
        sdk_dir: str | None = None,
    ) -> NodeToolProcess:
        """`componentize.mjs build`: bundle `entry` (`@warpgrid/sdk` -> `sdk_dir` when given) and
        make the component for `world` at `out`, with the deterministic `engine`."""
        return self.process(
            "build",
            "--engine", ComponentizeJsEngine.path,
            "--entry", entry,
            "--project-dir", project_dir,
            *(("--sdk", sdk_dir) if sdk_dir else ()),
            "--wit", wit_dir,
            "--world", world,
            *(arg for f in features for arg in ("--enable-feature", f)),
            "--out", out,
            description=description,
            input_digest=input_digest,
            mounts={ComponentizeJsEngine.mount: engine.digest},
            output_files=(out,),
            level=LogLevel.INFO,
        )


@dataclass(frozen=True)
class ComponentizeJsEngine:
    """The deterministic StarlingMonkey engine for the pinned toolchain.

    `digest` holds one file, `engine.wasm`; mount it at `mount` (it is then at `path`).
    """

    digest: Digest

    mount = "__warpgrid_cjs_engine"
    path = f"{mount}/engine.wasm"


@rule(desc="Preparing the pinned ComponentizeJS toolchain", level=LogLevel.DEBUG)
async def prepare_componentize_js_toolchain() -> ComponentizeJsToolchain:
    lockfiles, patches, script = await MultiGet(
        Get(ContractFiles, ContractFilesRequest("componentize-js")),
        Get(ContractFiles, ContractFilesRequest("patches")),
        Get(Digest, CreateDigest, plugin_scripts("warpgrid_pants.toolchains", SCRIPT)),
    )
    series = tuple(sorted(f for f in patches.files if f.startswith(f"{PATCHES_DIR}/")))
    if not series:
        raise ToolchainError(f"No ComponentizeJS patch series in {patches.source} ({PATCHES_DIR}/*.patch)")
    if len(lockfiles.files) != 2:
        raise ToolchainError(
            f"{lockfiles.source} must hold package.json and package-lock.json, found "
            f"{list(lockfiles.files)}"
        )
    series_digest = await Get(Digest, DigestSubset(patches.digest, PathGlobs(series)))
    installed = await Get(
        InstalledPackages,
        NpmCiRequest(
            TOOLCHAIN_PACKAGE_DIR,
            lockfiles.digest,
            f"Install the pinned ComponentizeJS toolchain ({TOOLCHAIN_PACKAGE_DIR})",
        ),
    )
    tree = await Get(Digest, RemovePrefix(installed.digest, TOOLCHAIN_PACKAGE_DIR))

    # Patch the ComponentizeJS package in place: split it out, patch, put it back.
    package, rest = await MultiGet(
        Get(Digest, DigestSubset(tree, PathGlobs([f"{CJS_PACKAGE}/**"]))),
        Get(Digest, DigestSubset(tree, PathGlobs(["**", f"!{CJS_PACKAGE}/**"]))),
    )
    unpatched = await Get(Digest, RemovePrefix(package, CJS_PACKAGE))
    patched = await Get(
        PatchedTree,
        ApplyPatchSeriesRequest(
            upstream=COMPONENTIZE_JS_PIN,
            tree=unpatched,
            patches=series,  # NNNN-name.patch: file name order
            patches_digest=series_digest,
        ),
    )
    patched_package = await Get(Digest, AddPrefix(patched.digest, CJS_PACKAGE))
    toolchain = await Get(Digest, MergeDigests([rest, patched_package]))
    return ComponentizeJsToolchain(toolchain, script)


@rule(desc="Preparing the deterministic ComponentizeJS engine", level=LogLevel.DEBUG)
async def prepare_componentize_js_engine(
    toolchain: ComponentizeJsToolchain, wasm_tools: WasmTools
) -> ComponentizeJsEngine:
    out = "engine.wasm"
    result = await Get(
        FallibleProcessResult,
        NodeToolProcess,
        toolchain.process(
            "prepare-engine",
            "--wasm-tools",
            wasm_tools.exe_path,
            "--out",
            out,
            description="Make the ComponentizeJS engine deterministic",
            input_digest=EMPTY_DIGEST,
            mounts=dict(wasm_tools.immutable_input_digests),
            extra_env={"WARPGRID_TOOL_WASM_TOOLS": wasm_tools.version},
            output_files=(out,),
        ),
    )
    if result.exit_code != 0:
        raise ComponentizeJsError(process_failure("`componentize.mjs prepare-engine`", result))
    return ComponentizeJsEngine(result.output_digest)


def rules():
    return collect_rules()
