"""`pants run` for `warpgrid_run` targets: build the component, then start it under the host.

The host is an ordinary `pex_binary` (`[warpgrid].host`), whose run request is Pants' own, or
else the released host wheel, hash-checked and run as a PEX (run/host_release.py); either way
`serve|run COMPONENT --config warp.toml` is appended, and everything the host needs is built
hermetically and cached like any other Python binary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pants.backend.python.goals.package_pex_binary import PexBinaryFieldSet
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import PythonExecutable
from pants.core.goals.package import BuiltPackage, EnvironmentAwarePackageRequest, PackageFieldSet
from pants.core.goals.run import RunFieldSet, RunInSandboxBehavior, RunRequest
from pants.core.target_types import FileSourceField
from pants.engine.addresses import Addresses, UnparsedAddressInputs
from pants.engine.fs import AddPrefix, Digest, MergeDigests
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    HydratedSources,
    HydrateSourcesRequest,
    Target,
    Targets,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionMembership
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from warpgrid_pants.run.host_release import ReleasedHost, ReleasedHostRequest
from warpgrid_pants.subsystem import HOST_INTERPRETER, WarpGridSubsystem
from warpgrid_pants.target_types import (
    WarpgridRunArgsField,
    WarpgridRunComponentField,
    WarpgridRunConfigField,
    WarpgridRunModeField,
)

_RUN_DIR = "__warpgrid_run"


class WarpgridRunError(Exception):
    pass


@dataclass(frozen=True)
class WarpgridRunFieldSet(RunFieldSet):
    required_fields = (WarpgridRunComponentField, WarpgridRunConfigField)
    run_in_sandbox_behavior = RunInSandboxBehavior.RUN_REQUEST_HERMETIC

    component: WarpgridRunComponentField
    config: WarpgridRunConfigField
    mode: WarpgridRunModeField
    args: WarpgridRunArgsField


@dataclass(frozen=True)
class ComponentArtifactRequest:
    target: Target


@dataclass(frozen=True)
class ComponentArtifact:
    """A built component: a digest holding exactly one `.wasm` file at `path`."""

    digest: Digest
    path: str


@rule(desc="Building the component to run", level=LogLevel.DEBUG)
async def build_component_artifact(
    request: ComponentArtifactRequest, union_membership: UnionMembership
) -> ComponentArtifact:
    target = request.target
    package_field_sets = [
        fs_type.create(target)
        for fs_type in union_membership.get(PackageFieldSet)
        if fs_type.is_applicable(target)
    ]
    if package_field_sets:
        built = await Get(BuiltPackage, EnvironmentAwarePackageRequest(package_field_sets[0]))
        wasm = [a.relpath for a in built.artifacts if a.relpath and a.relpath.endswith(".wasm")]
        if len(wasm) != 1:
            raise WarpgridRunError(
                f"{target.address} packaged {[a.relpath for a in built.artifacts]}: expected "
                "exactly one .wasm component"
            )
        return ComponentArtifact(built.digest, wasm[0])
    if target.has_field(FileSourceField):
        sources = await Get(HydratedSources, HydrateSourcesRequest(target[FileSourceField]))
        files = sources.snapshot.files
        if len(files) != 1 or not files[0].endswith(".wasm"):
            raise WarpgridRunError(
                f"{target.address}: a `file` component must be one .wasm file, got {files}"
            )
        return ComponentArtifact(sources.snapshot.digest, files[0])
    raise WarpgridRunError(
        f"{target.address} (a `{target.alias}`) is not a component: point `component` at a "
        "WarpGrid component target such as `c_component` or at a `file` target holding a .wasm"
    )


@dataclass(frozen=True)
class HostCommand:
    """How to start the shim host: the files it needs, the launcher (interpreter and pex), its env."""

    digest: Digest
    launcher: tuple[str, ...]
    extra_env: FrozenDict[str, str]

    def argv(self, *command: str) -> tuple[str, ...]:
        """The host running `command` under `pants run`. `--exit-with-parent`: Pants 2.17 starts
        the program in a session of its own and does not pass its SIGTERM on, so the host stops
        itself once Pants is gone instead of outliving it."""
        return (*self.launcher, "--exit-with-parent", *command)


@rule(desc="Preparing the WarpGrid host", level=LogLevel.DEBUG)
async def prepare_host_command(warpgrid: WarpGridSubsystem) -> HostCommand:
    if not warpgrid.host:
        constraints = InterpreterConstraints([HOST_INTERPRETER])
        host, python = await MultiGet(
            Get(ReleasedHost, ReleasedHostRequest()),
            Get(PythonExecutable, InterpreterConstraints, constraints),
        )
        return HostCommand(host.pex.digest, (python.path, os.path.join("{chroot}", host.pex.name)), FrozenDict())

    addresses = await Get(
        Addresses,
        UnparsedAddressInputs(
            [warpgrid.host], owning_address=None, description_of_origin="the option `[warpgrid].host`"
        ),
    )
    host_target = await Get(
        WrappedTarget, WrappedTargetRequest(addresses[0], description_of_origin="`[warpgrid].host`")
    )
    if not PexBinaryFieldSet.is_applicable(host_target.target):
        raise WarpgridRunError(f"`[warpgrid].host` = {warpgrid.host} is not a `pex_binary` target")
    run = await Get(RunRequest, PexBinaryFieldSet, PexBinaryFieldSet.create(host_target.target))
    return HostCommand(run.digest, run.args, FrozenDict(run.extra_env))


@rule(desc="Preparing a WarpGrid run", level=LogLevel.DEBUG)
async def create_warpgrid_run_request(field_set: WarpgridRunFieldSet) -> RunRequest:
    component_addresses = await Get(
        Addresses, UnparsedAddressInputs, field_set.component.to_unparsed_address_inputs()
    )
    if len(component_addresses) != 1:
        raise WarpgridRunError(f"{field_set.address}: `component` must name exactly one target")
    component_targets = await Get(Targets, Addresses, component_addresses)
    component, host, config = await MultiGet(
        Get(ComponentArtifact, ComponentArtifactRequest(component_targets[0])),
        Get(HostCommand),
        Get(HydratedSources, HydrateSourcesRequest(field_set.config)),
    )
    if not config.snapshot.files:
        raise WarpgridRunError(
            f"{field_set.address}: config file {field_set.config.value!r} does not exist "
            f"next to its BUILD file ({field_set.address.spec_path or '.'})"
        )
    inputs = await Get(Digest, MergeDigests([component.digest, config.snapshot.digest]))
    staged = await Get(Digest, AddPrefix(inputs, _RUN_DIR))
    digest = await Get(Digest, MergeDigests([host.digest, staged]))

    component_path = os.path.join("{chroot}", _RUN_DIR, component.path)
    config_path = os.path.join("{chroot}", _RUN_DIR, config.snapshot.files[0])
    guest_args = ("--", *field_set.args.value) if field_set.mode.value == "run" else ()
    args = host.argv(field_set.mode.value, component_path, "--config", config_path, *guest_args)
    return RunRequest(digest=digest, args=args, extra_env=host.extra_env)


def rules():
    return [*collect_rules(), *WarpgridRunFieldSet.rules()]
