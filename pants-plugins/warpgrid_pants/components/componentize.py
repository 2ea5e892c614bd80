"""Pipeline step 3: a core module -> a component, the same way for every language that makes one.

`ComponentizeRequest` (a `CoreModule` from a language step and the `WitWorld`) ->
`UnfinalizedComponent`: the pinned wasm-tools embeds the world's type information
(`component embed`), then `component new` adapts WASI preview1 to preview2 with the pinned jco
adapter. Languages whose toolchain emits a component directly (ComponentizeJS) skip this step
and produce an `UnfinalizedComponent` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.engine.addresses import Address
from pants.engine.fs import Digest, MergeDigests
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.components.world import ComponentBuildError, WitWorld
from warpgrid_pants.toolchains.system_tools import step_failure
from warpgrid_pants.toolchains.wasm_tools import Preview1Adapters, WasmToolsProcess

# Where a language step writes its core module, and where a component is before finalizing.
CORE_MODULE = "__warpgrid_out/core.wasm"
COMPONENT = "__warpgrid_out/component.wasm"
_EMBEDDED = "__warpgrid_out/embedded.wasm"


@dataclass(frozen=True)
class CoreModule:
    """A WASI preview1 core module at `CORE_MODULE` in `digest`; `produced_by` names the step."""

    address: Address
    digest: Digest
    produced_by: str
    adapter: str = Preview1Adapters.reactor  # reactor: every export callable at any time


@dataclass(frozen=True)
class UnfinalizedComponent:
    """A component at `COMPONENT` in `digest`, not yet validated nor placed."""

    address: Address
    digest: Digest
    world: str
    produced_by: str  # the step that wrote it, for messages


@dataclass(frozen=True)
class ComponentizeRequest:
    core: CoreModule
    wit: WitWorld


@rule(desc="Componentizing a core module", level=LogLevel.DEBUG)
async def componentize(request: ComponentizeRequest) -> UnfinalizedComponent:
    core, wit = request.core, request.wit
    address = core.address
    embed_input = await Get(Digest, MergeDigests([core.digest, wit.digest]))
    embedded = await Get(
        FallibleProcessResult,
        WasmToolsProcess(
            args=("component", "embed", wit.dir, "--world", wit.world, CORE_MODULE, "-o", _EMBEDDED),
            description=f"Embed WIT world {wit.world} into {address}",
            input_digest=embed_input,
            output_files=(_EMBEDDED,),
        ),
    )
    if embedded.exit_code != 0:
        raise ComponentBuildError(
            step_failure(address, f"`wasm-tools component embed {wit.dir} --world {wit.world}`", embedded)
        )
    adapters = await Get(Preview1Adapters)
    new_input = await Get(Digest, MergeDigests([embedded.output_digest, adapters.digest]))
    created = await Get(
        FallibleProcessResult,
        WasmToolsProcess(
            args=(
                "component", "new", _EMBEDDED,
                "--adapt", f"wasi_snapshot_preview1={core.adapter}",
                "-o", COMPONENT,
            ),
            description=f"Create the component for {address}",
            input_digest=new_input,
            output_files=(COMPONENT,),
        ),
    )
    if created.exit_code != 0:
        raise ComponentBuildError(step_failure(address, "`wasm-tools component new`", created))
    return UnfinalizedComponent(address, created.output_digest, wit.world, "`wasm-tools component new`")


def rules():
    return collect_rules()
