"""Pipeline step 4: check a component and place it, whatever the language. Then package it.

`FinalizeComponentRequest` (an `UnfinalizedComponent`) -> `Component`, what `package` and
`warpgrid_run` consume:
  1. the pinned wasm-tools validates the component (`wasm-tools validate`);
  2. it prints the component's WIT (`wasm-tools component wit`), which must contain the world's
     export when the world has one (`warpgrid:shim/http-handler` for an http-service,
     `wasi:cli/run` for a cli-service), so a component that would fail at instantiation in the
     host fails the build instead, naming the target;
  3. the component is placed at the target's output path (`<path.to.target>/<name>.wasm`).
The bytes are never rewritten: the placed file is the very blob the language rule produced.
`component_package` is the one packaging path every component target's `package` rule returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact
from pants.engine.addresses import Address
from pants.engine.fs import CreateDigest, Digest, DigestEntries, FileEntry
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.util.logging import LogLevel

from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.world import ComponentBuildError, expected_export
from warpgrid_pants.toolchains.system_tools import step_failure
from warpgrid_pants.toolchains.wasm_tools import WasmToolsProcess


@dataclass(frozen=True)
class FinalizeComponentRequest:
    component: UnfinalizedComponent
    output_path: str  # where the component goes, e.g. `<path.to.target>/<name>.wasm`
    export_hint: str = ""  # how to fix a missing export, in the language's terms


@dataclass(frozen=True)
class Component:
    """A validated component: `digest` holds exactly one file, at `path`; `wit` is its WIT."""

    address: Address
    digest: Digest
    path: str
    world: str
    wit: str

    @property
    def exports_cli_run(self) -> bool:
        return "export wasi:cli/run@" in self.wit


@rule(desc="Validating a component", level=LogLevel.DEBUG)
async def finalize_component(request: FinalizeComponentRequest) -> Component:
    unfinalized = request.component
    address, world = unfinalized.address, unfinalized.world
    entries = await Get(DigestEntries, Digest, unfinalized.digest)
    files = [e for e in entries if isinstance(e, FileEntry) and e.path == COMPONENT]
    if len(files) != 1:
        found = ", ".join(e.path for e in entries) or "nothing"
        raise ComponentBuildError(
            f"{address}: {unfinalized.produced_by} wrote no {COMPONENT} (its output holds {found})"
        )

    validated, printed = await MultiGet(
        Get(
            FallibleProcessResult,
            WasmToolsProcess(
                args=("validate", COMPONENT),
                description=f"Validate the component for {address}",
                input_digest=unfinalized.digest,
            ),
        ),
        Get(
            FallibleProcessResult,
            WasmToolsProcess(
                args=("component", "wit", COMPONENT),
                description=f"Print the WIT of the component for {address}",
                input_digest=unfinalized.digest,
            ),
        ),
    )
    if validated.exit_code != 0:
        raise ComponentBuildError(step_failure(address, "`wasm-tools validate`", validated))
    if printed.exit_code != 0:
        raise ComponentBuildError(step_failure(address, "`wasm-tools component wit`", printed))
    wit = printed.stdout.decode(errors="replace")
    wanted = expected_export(world)
    if wanted and wanted not in wit:
        exports = [line.strip() for line in wit.splitlines() if line.strip().startswith("export ")]
        raise ComponentBuildError(
            f"{address}: the component does not `{wanted}...` as world {world} requires "
            f"(`wasm-tools component wit` shows {exports or 'no exports'})"
            + (f": {request.export_hint}" if request.export_hint else "")
        )

    digest = await Get(Digest, CreateDigest([FileEntry(request.output_path, files[0].file_digest)]))
    return Component(address, digest, request.output_path, world, wit)


def component_package(component: Component) -> BuiltPackage:
    """What `package` reports for a component: the one `.wasm` file, and its world."""
    return BuiltPackage(
        component.digest,
        (BuiltPackageArtifact(component.path, extra_log_lines=(f"    world: {component.world}",)),),
    )


def rules():
    return collect_rules()
