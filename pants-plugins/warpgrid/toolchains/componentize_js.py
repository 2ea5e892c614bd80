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

Every Process has an explicit env: PATH holds only node/npm shims, `WARPGRID_TOOL_NODE` and
`WARPGRID_TOOL_NPM` carry fingerprints of `node --version` / `npm --version` (a tool upgrade
invalidates the cache), HOME and TMPDIR point into the sandbox, and npm's download cache is the
append-only named cache `npm` (content-addressed, so sharing it between runs cannot change an
output). No Process uses a local-only cache scope.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass

from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestSubset,
    Directory,
    FileContent,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.util.logging import LogLevel

from warpgrid.toolchains.clang import DETERMINISTIC_ENV, ToolchainError
from warpgrid.toolchains.wasm_tools import WasmTools
from warpgrid.upstream.patch import ApplyPatchSeriesRequest, PatchedTree
from warpgrid.upstream.tools import UpstreamTools, UpstreamToolsRequest, process_failure

# Repository paths of the pinned toolchain (package.json + package-lock.json) and its patches.
TOOLCHAIN_PACKAGE_DIR = "third_party/js/componentize"
PATCHES_DIR = "patches/componentize-js"
# The pin name of ComponentizeJS in third_party/upstreams.toml, for patch error messages.
COMPONENTIZE_JS_PIN = "componentize-js"
CJS_PACKAGE = "node_modules/@bytecodealliance/componentize-js"

# Sandbox-relative places every JS Process shares.
SANDBOX_TMP = ".tmp"
SANDBOX_HOME = ".home"
NPM_CACHE = ".npm"


class ComponentizeJsError(Exception):
    """A ComponentizeJS toolchain or build step failed; the message names the step and output."""


@dataclass(frozen=True)
class NodeTools:
    """node and npm from the host, fingerprinted; `env()` is the whole env of a JS Process."""

    tools: UpstreamTools

    def env(self) -> dict[str, str]:
        return {
            **DETERMINISTIC_ENV,
            **self.tools.env,  # PATH (node/npm shims only) + WARPGRID_TOOL_NODE / _NPM
            "HOME": "{chroot}/" + SANDBOX_HOME,
            "TMPDIR": "{chroot}/" + SANDBOX_TMP,
            "npm_config_cache": "{chroot}/" + NPM_CACHE,
            "npm_config_update_notifier": "false",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
            "npm_config_progress": "false",
            "npm_config_loglevel": "warn",
        }

    @property
    def node(self) -> str:
        return self.tools.path("node")

    @property
    def npm(self) -> str:
        return self.tools.path("npm")  # a node script: finds node on PATH (the shim)

    @property
    def immutable_input_digests(self):
        return self.tools.immutable_input_digests


@rule(desc="Finding node and npm", level=LogLevel.DEBUG)
async def find_node_tools() -> NodeTools:
    tools = await Get(
        UpstreamTools,
        UpstreamToolsRequest(
            required=("node", "npm"), rationale="build TypeScript/JavaScript components"
        ),
    )
    return NodeTools(tools)


async def sandbox_dirs() -> Digest:
    """The empty HOME and TMPDIR every JS Process gets (node's mkdtemp needs TMPDIR to exist)."""
    return await Get(Digest, CreateDigest([Directory(SANDBOX_TMP), Directory(SANDBOX_HOME)]))


# ---------------------------------------------------------------------------------- npm ci


@dataclass(frozen=True)
class NpmCiRequest:
    """`npm ci` in `package_dir`; `input_digest` holds package.json + package-lock.json there."""

    package_dir: str
    input_digest: Digest
    description: str


@dataclass(frozen=True)
class NpmCiResult:
    """`<package_dir>/node_modules`, exactly as `npm ci` installed it from the lockfile."""

    digest: Digest


@rule(desc="Installing npm dependencies from a lockfile", level=LogLevel.DEBUG)
async def npm_ci(request: NpmCiRequest, node: NodeTools) -> NpmCiResult:
    dirs = await sandbox_dirs()
    input_digest = await Get(Digest, MergeDigests([request.input_digest, dirs]))
    # Needs the registry (npm's own configuration decides which): deliberately not hermetic, yet
    # the output is a pure function of the lockfile: npm ci installs exactly the locked versions
    # and verifies each tarball against the lockfile's sha512 integrity, scripts never run and no
    # symlinks are created. So the result is safe to cache locally and remotely.
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(
                node.npm,
                "ci",
                "--ignore-scripts",
                "--no-bin-links",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
            ),
            description=request.description,
            level=LogLevel.DEBUG,
            input_digest=input_digest,
            immutable_input_digests=node.immutable_input_digests,
            working_directory=request.package_dir or None,
            env=node.env(),
            append_only_caches={"npm": NPM_CACHE},
            # Relative to the working directory, and so is the captured digest.
            output_directories=("node_modules",),
        ),
    )
    if result.exit_code != 0:
        raise ComponentizeJsError(
            process_failure(
                f"`npm ci` in {request.package_dir or '.'} (from its package-lock.json)", result
            )
            + "\n  fix: regenerate the lockfile with `npm install --package-lock-only` and check "
            "that every dependency exists in the registry npm is configured for"
        )
    # An app without dependencies gets an empty node_modules: nothing to install is fine.
    digest = result.output_digest
    if request.package_dir:
        digest = await Get(Digest, AddPrefix(digest, request.package_dir))
    return NpmCiResult(digest)


# ---------------------------------------------------------------------------- the toolchain


SCRIPT_MOUNT = "__warpgrid_cjs_scripts"
SCRIPT = "componentize.mjs"


@dataclass(frozen=True)
class ComponentizeJsToolchain:
    """The patched toolchain tree (`node_modules/` at its root), the recipe script and node.

    Mount `immutable_input_digests` and run `node_argv(...)`: the toolchain is at `mount`, the
    script at `script_path` (both immutable: shared read-only between sandboxes, never copied).
    """

    digest: Digest
    script: Digest
    node: NodeTools

    mount = "__warpgrid_cjs_toolchain"
    script_path = f"{SCRIPT_MOUNT}/{SCRIPT}"

    @property
    def immutable_input_digests(self) -> dict[str, Digest]:
        return {
            **self.node.immutable_input_digests,
            self.mount: self.digest,
            SCRIPT_MOUNT: self.script,
        }

    def node_argv(self, command: str, *args: str) -> tuple[str, ...]:
        return (self.node.node, self.script_path, command, "--toolchain", self.mount, *args)


@dataclass(frozen=True)
class ComponentizeJsEngine:
    """The deterministic StarlingMonkey engine for the pinned toolchain.

    `digest` holds one file, `engine.wasm`; mount it at `mount` (it is then at `path`).
    """

    digest: Digest

    mount = "__warpgrid_cjs_engine"
    path = f"{mount}/engine.wasm"


def _script_digest_request() -> CreateDigest:
    content = pkgutil.get_data("warpgrid.toolchains", f"scripts/{SCRIPT}")
    if content is None:
        raise ToolchainError(f"warpgrid/toolchains/scripts/{SCRIPT} is missing from the plugin")
    return CreateDigest([FileContent(SCRIPT, content)])


@rule(desc="Preparing the pinned ComponentizeJS toolchain", level=LogLevel.DEBUG)
async def prepare_componentize_js_toolchain(node: NodeTools) -> ComponentizeJsToolchain:
    lockfiles, patches, script = await MultiGet(
        Get(
            Snapshot,
            PathGlobs(
                [f"{TOOLCHAIN_PACKAGE_DIR}/package.json", f"{TOOLCHAIN_PACKAGE_DIR}/package-lock.json"],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin="the pinned ComponentizeJS toolchain",
            ),
        ),
        Get(
            Snapshot,
            PathGlobs(
                [f"{PATCHES_DIR}/*.patch"],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the ComponentizeJS patch series ({PATCHES_DIR}/)",
            ),
        ),
        Get(Digest, CreateDigest, _script_digest_request()),
    )
    if len(lockfiles.files) != 2:
        raise ToolchainError(
            f"{TOOLCHAIN_PACKAGE_DIR}/ must hold package.json and package-lock.json, found "
            f"{list(lockfiles.files)}"
        )
    installed = await Get(
        NpmCiResult,
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
            patches=tuple(sorted(patches.files)),  # NNNN-name.patch: file name order
        ),
    )
    patched_package = await Get(Digest, AddPrefix(patched.digest, CJS_PACKAGE))
    toolchain = await Get(Digest, MergeDigests([rest, patched_package]))
    return ComponentizeJsToolchain(toolchain, script, node)


@rule(desc="Preparing the deterministic ComponentizeJS engine", level=LogLevel.DEBUG)
async def prepare_componentize_js_engine(
    toolchain: ComponentizeJsToolchain, wasm_tools: WasmTools
) -> ComponentizeJsEngine:
    dirs = await sandbox_dirs()
    out = "engine.wasm"
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=toolchain.node_argv(
                "prepare-engine", "--wasm-tools", wasm_tools.exe_path, "--out", out
            ),
            description="Make the ComponentizeJS engine deterministic",
            level=LogLevel.DEBUG,
            input_digest=dirs,
            immutable_input_digests={
                **toolchain.immutable_input_digests,
                **wasm_tools.immutable_input_digests,
            },
            env={**toolchain.node.env(), "WARPGRID_TOOL_WASM_TOOLS": wasm_tools.version},
            output_files=(out,),
        ),
    )
    if result.exit_code != 0:
        raise ComponentizeJsError(process_failure("`componentize.mjs prepare-engine`", result))
    return ComponentizeJsEngine(result.output_digest)


def rules():
    return collect_rules()
