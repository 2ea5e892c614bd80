"""The pinned Rust toolchain (`rust-toolchain.toml`) and the Processes that run cargo.

`RustToolchain` is the rustup toolchain that `rust-toolchain.toml` at the build root names
(`channel`), found under `[warpgrid-rust].rustup_home` and fingerprinted (sha256 of `rustc -vV`
and `cargo -V`): the fingerprint and the toolchain path are in the env of every Rust Process, so a
toolchain change invalidates cached results locally and in a remote cache. The launcher installs
it (`rustup toolchain install <channel> --profile minimal --target wasm32-wasip2`).

`CargoProcess` runs one of the plugin's cargo scripts (`scripts/cargo_fetch.sh`,
`scripts/cargo_build.sh`) with host tools behind PATH shims (bash, coreutils, and `cc`/`ld`,
which rustc uses to link build scripts and proc macros for the host).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from dataclasses import dataclass

from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import Digest, DigestContents, MergeDigests, PathGlobs
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.option.global_options import GlobMatchErrorBehavior
from pants.option.option_types import StrOption
from pants.option.subsystem import Subsystem
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import (
    SystemTools,
    SystemToolsRequest,
    ToolchainError,
    ToolProcess,
    plugin_scripts,
)

TOOLCHAIN_FILE = "rust-toolchain.toml"
SCRIPTS_DIR = "__warpgrid_scripts"
_CHANNEL = re.compile(r'^\s*channel\s*=\s*"([^"]+)"', re.MULTILINE)
_HOST_TOOLS = (
    "bash", "cc", "ld", "mkdir", "cat", "cp", "sed", "head", "tr", "wc", "basename", "dirname",
    "find", "grep", "ls", "rm", "sort", "paste",
)


class RustToolchainSubsystem(Subsystem):
    options_scope = "warpgrid-rust"
    help = "Where WarpGrid finds the pinned Rust toolchain that `rust-toolchain.toml` names."

    rustup_home = StrOption(
        default="",
        help=(
            "The rustup home holding `toolchains/<channel>-<host>` (the channel comes from "
            "`rust-toolchain.toml` at the build root). Empty: `$RUSTUP_HOME`, else `$HOME/.rustup`."
        ),
    )


@dataclass(frozen=True)
class RustToolchain:
    """The pinned toolchain's root, its fingerprint, and the host tools cargo needs."""

    root: str
    channel: str
    fingerprint: str
    tools: SystemTools

    @property
    def cargo(self) -> str:
        return f"{self.root}/bin/cargo"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = self.tools.env({
            "WG_RUST_TOOLCHAIN": self.root,
            "WARPGRID_TOOL_RUST": self.fingerprint,
            "CARGO": self.cargo,
            **(extra or {}),
        })
        env["PATH"] = f"{self.root}/bin:{env['PATH']}"
        return env


def _host_triple() -> str:
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return f"{arch}-unknown-linux-gnu" if platform.system() == "Linux" else f"{arch}-apple-darwin"


@rule(desc="Finding the pinned Rust toolchain", level=LogLevel.DEBUG)
async def find_rust_toolchain(subsystem: RustToolchainSubsystem) -> RustToolchain:
    contents, env, tools = await MultiGet(
        Get(
            DigestContents,
            PathGlobs(
                [TOOLCHAIN_FILE],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin="the Rust toolchain pin (rust-toolchain.toml at the build root)",
            ),
        ),
        Get(EnvironmentVars, EnvironmentVarsRequest(["RUSTUP_HOME", "HOME"])),
        Get(SystemTools, SystemToolsRequest(_HOST_TOOLS, rationale="build Rust components with cargo")),
    )
    match = _CHANNEL.search(contents[0].content.decode())
    if not match:
        raise ToolchainError(f"{TOOLCHAIN_FILE} has no `channel = \"...\"` in its [toolchain] table")
    channel = match.group(1)
    home = subsystem.rustup_home or env.get("RUSTUP_HOME") or os.path.join(env.get("HOME") or "/root", ".rustup")
    root = os.path.join(home, "toolchains", f"{channel}-{_host_triple()}")
    install = f"rustup toolchain install {channel} --profile minimal --target wasm32-wasip2"
    probe = await Get(
        FallibleProcessResult,
        Process(
            argv=("/bin/sh", "-c", f'"{root}/bin/rustc" -vV && "{root}/bin/cargo" -V'),
            description=f"Probe the Rust toolchain {channel}",
            level=LogLevel.DEBUG,
            cache_scope=ProcessCacheScope.PER_RESTART_SUCCESSFUL,
        ),
    )
    if probe.exit_code != 0:
        raise ToolchainError(
            f"The Rust toolchain {channel} ({TOOLCHAIN_FILE}) is not installed at {root}: run "
            f"`{install}`, or point `[warpgrid-rust].rustup_home` at the rustup home that has it.\n"
            + (probe.stdout + probe.stderr).decode(errors="replace")
        )
    return RustToolchain(root, channel, hashlib.sha256(probe.stdout).hexdigest(), tools)


@dataclass(frozen=True)
class CargoProcess(ToolProcess):
    """Run the plugin's cargo script `script` with `args` in a sandbox holding `input_digest`."""

    script: str = ""
    extra_env: FrozenDict[str, str] = FrozenDict()


@rule(level=LogLevel.DEBUG)
async def setup_cargo_process(request: CargoProcess, toolchain: RustToolchain) -> Process:
    scripts = await Get(Digest, plugin_scripts("warpgrid_pants.toolchains", request.script, prefix=SCRIPTS_DIR))
    return request.process(
        (toolchain.tools.path("bash"), f"{SCRIPTS_DIR}/{request.script}"),
        env=toolchain.env(dict(request.extra_env)),
        mounts=toolchain.tools.immutable_input_digests,
        input_digest=await Get(Digest, MergeDigests([request.input_digest, scripts])),
    )


def rules():
    return [*collect_rules(), *RustToolchainSubsystem.rules()]
