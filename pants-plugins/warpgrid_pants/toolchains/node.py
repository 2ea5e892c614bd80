"""node and npm from the host, and the Processes that run them.

`NodeTools` is node + npm found and fingerprinted by `system_tools` (an upgrade invalidates every
cached JS step). `NodeToolProcess` runs a node script from the plugin or a toolchain with the
explicit env every JS step shares (HOME and TMPDIR inside the sandbox, npm's content-addressed
download cache as the append-only named cache `npm`): the `NodeJSToolProcess` pattern of Pants'
JavaScript backend. `NpmCiRequest` installs a package directory from its lockfile.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.engine.fs import AddPrefix, CreateDigest, Digest, Directory, MergeDigests
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest, ToolProcess, process_failure


class NodeToolError(Exception):
    """A node/npm step failed; the message names the step and carries its output."""


# Sandbox-relative places every JS Process shares.
SANDBOX_TMP = ".tmp"
SANDBOX_HOME = ".home"
NPM_CACHE = ".npm"


@dataclass(frozen=True)
class NodeTools:
    """node and npm from the host, fingerprinted; `env()` is the whole env of a JS Process."""

    tools: SystemTools

    def env(self) -> dict[str, str]:
        # PATH (node/npm shims only), WARPGRID_TOOL_NODE / _NPM, deterministic settings.
        return self.tools.env({
            "HOME": "{chroot}/" + SANDBOX_HOME,
            "TMPDIR": "{chroot}/" + SANDBOX_TMP,
            "npm_config_cache": "{chroot}/" + NPM_CACHE,
            "npm_config_update_notifier": "false",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
            "npm_config_progress": "false",
            "npm_config_loglevel": "warn",
        })

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
        SystemTools,
        SystemToolsRequest(("node", "npm"), rationale="build TypeScript/JavaScript components"),
    )
    return NodeTools(tools)


async def sandbox_dirs() -> Digest:
    """The empty HOME and TMPDIR every JS Process gets (node's mkdtemp needs TMPDIR to exist)."""
    return await Get(Digest, CreateDigest([Directory(SANDBOX_TMP), Directory(SANDBOX_HOME)]))


# ---------------------------------------------------------------------------------- npm ci


@dataclass(frozen=True)
class InstallRequest:
    """Install what a lockfile pins, in `package_dir`: `input_digest` holds package.json and the
    lockfile there. One subclass per package manager (`NpmCiRequest`, `BunInstallRequest`)."""

    package_dir: str
    input_digest: Digest
    description: str


@dataclass(frozen=True)
class InstalledPackages:
    """`<package_dir>/node_modules`, exactly as the lockfile pins it (empty without dependencies)."""

    digest: Digest


async def installed_packages(request: InstallRequest, output_digest: Digest) -> InstalledPackages:
    """An install's `node_modules` output (captured relative to `package_dir`) at its repo path."""
    if request.package_dir:
        output_digest = await Get(Digest, AddPrefix(output_digest, request.package_dir))
    return InstalledPackages(output_digest)


class NpmCiRequest(InstallRequest):
    """`npm ci` of package-lock.json."""


@rule(desc="Installing npm dependencies from a lockfile", level=LogLevel.DEBUG)
async def npm_ci(request: NpmCiRequest, node: NodeTools) -> InstalledPackages:
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
        raise NodeToolError(
            process_failure(
                f"`npm ci` in {request.package_dir or '.'} (from its package-lock.json)", result
            )
            + "\n  fix: regenerate the lockfile with `npm install --package-lock-only` and check "
            "that every dependency exists in the registry npm is configured for"
        )
    # An app without dependencies gets an empty node_modules: nothing to install is fine.
    return await installed_packages(request, result.output_digest)



@dataclass(frozen=True)
class NodeToolProcess(ToolProcess):
    """Run `node <args>` with the shared JS env; `extra_env` adds variables (e.g. a tool version
    that must key the cache)."""

    extra_env: FrozenDict[str, str] = FrozenDict()


@rule(level=LogLevel.DEBUG)
async def setup_node_tool_process(request: NodeToolProcess, node: NodeTools) -> Process:
    dirs = await sandbox_dirs()
    return request.process(
        (node.node,),
        env={**node.env(), **request.extra_env},
        mounts=node.immutable_input_digests,
        input_digest=await Get(Digest, MergeDigests([request.input_digest, dirs])),
    )


def rules():
    return collect_rules()
