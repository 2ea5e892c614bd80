"""The last step every component build shares, whatever the language: check, then place.

A language rule (`c_component`, `componentize_js_component`) ends with a component at
`COMPONENT` in some Process's output digest. `FinalizeComponentRequest` turns that into what
`package` and `warpgrid_run` consume:
  1. the pinned wasm-tools validates the component (`wasm-tools validate`);
  2. it prints the component's WIT (`wasm-tools component wit`), which must contain the world's
     export when the world has one (`warpgrid:shim/http-handler` for an http-service,
     `wasi:cli/run` for a cli-service), so a component that would fail at instantiation in the
     host fails the build instead, naming the target;
  3. the component is placed at the target's output path (`<path.to.target>/<name>.wasm`).
The bytes are never rewritten: the placed file is the very blob the language rule produced.
Both wasm-tools runs are cacheable Processes with an explicit env, like every other build step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact
from pants.engine.addresses import Address
from pants.engine.fs import CreateDigest, Digest, DigestEntries, FileEntry
from pants.engine.process import FallibleProcessResult, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid.toolchains.wasm_tools import WasmTools
from warpgrid.upstream.tools import process_failure

# Where a language rule writes the component it built (inside its Process's output digest).
COMPONENT = "__warpgrid_out/component.wasm"

# What a component of a known world must export, as `wasm-tools component wit` prints it.
WORLD_EXPORTS = {
    "http-service": "export warpgrid:shim/http-handler@",
    "cli-service": "export wasi:cli/run@",
}


class ComponentBuildError(Exception):
    """A component failed a shared check; the message names the target, the step and the output."""


def world_name(world: str) -> str:
    """`pkg:ns/cli-service@0.1.0` -> `cli-service`."""
    return world.split("/")[-1].split("@")[0]


def expected_export(world: str) -> str | None:
    """The `component wit` line a component of `world` must contain, when the world is known."""
    return WORLD_EXPORTS.get(world_name(world))


def step_failure(address: Address, step: str, result: FallibleProcessResult) -> str:
    """The message for a failed build step: target, step, exit code and the tool's whole output."""
    return f"{address}: {process_failure(step, result)}"


def wasm_tools_process(
    wasm_tools: WasmTools,
    *args: str,
    description: str,
    input_digest: Digest,
    output_files: tuple[str, ...] = (),
) -> Process:
    """A Process running the pinned wasm-tools with its deterministic, fingerprinted env."""
    return Process(
        argv=(wasm_tools.exe_path, *args),
        description=description,
        level=LogLevel.DEBUG,
        input_digest=input_digest,
        immutable_input_digests=wasm_tools.immutable_input_digests,
        env=wasm_tools.env(),
        output_files=output_files,
    )


@dataclass(frozen=True)
class FinalizeComponentRequest:
    """A freshly built component, at `COMPONENT` in `digest`, to check and place."""

    address: Address
    digest: Digest
    output_path: str  # where the component goes, e.g. `<path.to.target>/<name>.wasm`
    world: str
    expected_export: Optional[str]  # a `component wit` line prefix (see `expected_export`)
    produced_by: str  # the step that wrote `COMPONENT`, for the messages
    export_hint: str = ""  # how to fix a missing export, in the language's terms


@dataclass(frozen=True)
class FinalizedComponent:
    """A validated component: `digest` holds exactly one file, at `path`; `wit` is its WIT."""

    digest: Digest
    path: str
    world: str
    wit: str


@rule(desc="Validating a component", level=LogLevel.DEBUG)
async def finalize_component(request: FinalizeComponentRequest) -> FinalizedComponent:
    address, world = request.address, request.world
    entries, wasm_tools = await MultiGet(
        Get(DigestEntries, Digest, request.digest), Get(WasmTools)
    )
    files = [e for e in entries if isinstance(e, FileEntry) and e.path == COMPONENT]
    if len(files) != 1:
        found = ", ".join(e.path for e in entries) or "nothing"
        raise ComponentBuildError(
            f"{address}: {request.produced_by} wrote no {COMPONENT} (its output holds {found})"
        )

    validated, printed = await MultiGet(
        Get(
            FallibleProcessResult,
            Process,
            wasm_tools_process(
                wasm_tools,
                "validate",
                COMPONENT,
                description=f"Validate the component for {address}",
                input_digest=request.digest,
            ),
        ),
        Get(
            FallibleProcessResult,
            Process,
            wasm_tools_process(
                wasm_tools,
                "component",
                "wit",
                COMPONENT,
                description=f"Print the WIT of the component for {address}",
                input_digest=request.digest,
            ),
        ),
    )
    if validated.exit_code != 0:
        raise ComponentBuildError(step_failure(address, "`wasm-tools validate`", validated))
    if printed.exit_code != 0:
        raise ComponentBuildError(step_failure(address, "`wasm-tools component wit`", printed))
    wit = printed.stdout.decode(errors="replace")
    wanted = request.expected_export
    if wanted and wanted not in wit:
        exports = [line.strip() for line in wit.splitlines() if line.strip().startswith("export ")]
        raise ComponentBuildError(
            f"{address}: the component does not `{wanted}...` as world {world} requires "
            f"(`wasm-tools component wit` shows {exports or 'no exports'})"
            + (f": {request.export_hint}" if request.export_hint else "")
        )

    digest = await Get(Digest, CreateDigest([FileEntry(request.output_path, files[0].file_digest)]))
    return FinalizedComponent(digest, request.output_path, world, wit)


def component_package(digest: Digest, path: str, world: str) -> BuiltPackage:
    """What `package` reports for a component: the one `.wasm` file, and its world."""
    return BuiltPackage(
        digest, (BuiltPackageArtifact(path, extra_log_lines=(f"    world: {world}",)),)
    )


def rules():
    return collect_rules()
