"""The pinned Bun and the Processes that run it.

Bun comes from its pin in `third_party/upstreams.toml` (`[bun]`: the npm platform package
`@oven/bun-linux-x64`, whose tarball carries the binary at `package/bin/bun`), fetched by hash
and extracted by the upstream rules: no install script runs, nothing is taken from the host.
`BunProcess` runs it with the env every Bun step shares (HOME, TMPDIR and the transpiler cache
inside the sandbox, the deterministic settings, `WARPGRID_TOOL_BUN` = the pinned version so a pin
change invalidates every cached Bun step). `BunInstallRequest` installs an app's dependencies
from its `bun.lock`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestContents,
    DigestSubset,
    Directory,
    MergeDigests,
    PathGlobs,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import DETERMINISTIC_ENV, ToolchainError, ToolProcess, process_failure
from warpgrid_pants.toolchains.node import (
    SANDBOX_HOME,
    SANDBOX_TMP,
    InstalledPackages,
    InstallRequest,
    installed_packages,
    sandbox_dirs,
)
from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest

BUN_PIN = "bun"
BUN_CACHE = ".bun-cache"


class BunError(Exception):
    """A Bun step failed; the message names the step and carries its output."""


@dataclass(frozen=True)
class Bun:
    """The pinned bun binary: mount `digest` at `mount`, run `exe_path`."""

    digest: Digest
    version: str

    mount = "__warpgrid_bun"

    @property
    def exe_path(self) -> str:
        # Absolute through {chroot}: a Process with a working_directory resolves argv[0] from it.
        return "{chroot}/" + f"{self.mount}/bin/bun"

    def env(self) -> dict[str, str]:
        return {
            **DETERMINISTIC_ENV,
            "WARPGRID_TOOL_BUN": self.version,
            "HOME": "{chroot}/" + SANDBOX_HOME,
            "TMPDIR": "{chroot}/" + SANDBOX_TMP,
            "BUN_INSTALL_CACHE_DIR": "{chroot}/" + BUN_CACHE,
            "BUN_RUNTIME_TRANSPILER_CACHE_PATH": "0",
            "NO_COLOR": "1",
            "DO_NOT_TRACK": "1",
        }


@rule(desc="Preparing the pinned Bun", level=LogLevel.DEBUG)
async def prepare_bun() -> Bun:
    extracted = await Get(ExtractedUpstream, ExtractUpstreamRequest(BUN_PIN))
    binary = await Get(Snapshot, DigestSubset(extracted.digest, PathGlobs(["bin/bun"])))
    if binary.files != ("bin/bun",):
        raise ToolchainError(f"the [{BUN_PIN}] pin holds no bin/bun: check its strip_prefix in third_party/upstreams.toml")
    return Bun(binary.digest, extracted.pin.version)


@dataclass(frozen=True)
class BunProcess(ToolProcess):
    """Run `bun <args>`, in `working_directory` when given."""

    working_directory: str | None = None
    append_only_cache: bool = False


@rule(level=LogLevel.DEBUG)
async def setup_bun_process(request: BunProcess, bun: Bun) -> Process:
    dirs = await sandbox_dirs()
    return request.process(
        (bun.exe_path,),
        env=bun.env(),
        mounts={bun.mount: bun.digest},
        input_digest=await Get(Digest, MergeDigests([request.input_digest, dirs])),
        working_directory=request.working_directory,
        # Bun's download cache is content-addressed (keyed by the lockfile's integrity hashes):
        # sharing it between runs cannot change an output.
        append_only_caches={"bun": BUN_CACHE} if request.append_only_cache else {},
    )


class BunInstallRequest(InstallRequest):
    """`bun install --frozen-lockfile` of bun.lock (package.json alone when it has no dependencies)."""


_DEPENDENCY_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


@rule(desc="Installing Bun dependencies from bun.lock", level=LogLevel.DEBUG)
async def bun_install(request: BunInstallRequest) -> InstalledPackages:
    contents = {c.path.rsplit("/", 1)[-1]: c.content for c in await Get(DigestContents, Digest, request.input_digest)}
    where = request.package_dir or "."
    if "bun.lock" not in contents:
        try:
            package = json.loads(contents.get("package.json", b"{}"))
        except ValueError as e:
            raise BunError(f"{where}/package.json is not JSON: {e}") from None
        if any(package.get(k) for k in _DEPENDENCY_KEYS):
            raise BunError(
                f"{where}/bun.lock is missing: run `bun install` in {where} and add bun.lock to the "
                "target's sources (a binary bun.lockb converts with `bun install --save-text-lockfile`)"
            )
        # No dependencies: Bun writes no lockfile, and there is nothing to install.
        return InstalledPackages(await Get(Digest, CreateDigest([Directory(f"{where}/node_modules")])))
    # Needs the npm registry (Bun's configuration decides which), yet the output is a pure
    # function of package.json + bun.lock: --frozen-lockfile never re-resolves, Bun verifies each
    # tarball against the lockfile's sha512, no lifecycle script runs, files are copied (no hard
    # links into the cache). Safe to cache locally and remotely.
    result = await Get(
        FallibleProcessResult,
        BunProcess(
            args=("install", "--frozen-lockfile", "--ignore-scripts", "--backend=copyfile", "--no-progress", "--no-summary"),
            description=request.description,
            input_digest=request.input_digest,
            working_directory=request.package_dir or None,
            output_directories=("node_modules",),
            append_only_cache=True,
        ),
    )
    if result.exit_code != 0:
        raise BunError(
            process_failure(f"`bun install --frozen-lockfile` in {where} (from its bun.lock)", result)
            + f"\n  fix: regenerate bun.lock with `bun install` in {where} and check that every "
            "dependency exists in the registry Bun is configured for"
        )
    return await installed_packages(request, result.output_digest)


def rules():
    return collect_rules()
