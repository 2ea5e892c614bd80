"""`pants run` for `warpgrid_deployment` targets: build every service, start them in one host.

Each listed `warpgrid_run` target contributes its component and `warp.toml` (built and
hydrated exactly as `pants run` of that target would), staged under
`__warpgrid_run/<service>/`; this rule writes the host's deployment manifest beside them and
runs `warpgrid deploy` on it (`src/python/warpgrid/deployment`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from pants.core.goals.run import RunFieldSet, RunInSandboxBehavior, RunRequest
from pants.engine.addresses import Addresses, UnparsedAddressInputs
from pants.engine.fs import AddPrefix, CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import HydratedSources, HydrateSourcesRequest, Targets
from pants.util.logging import LogLevel

from warpgrid_pants.run.warpgrid_run import (
    _RUN_DIR,
    ComponentArtifact,
    ComponentArtifactRequest,
    HostCommand,
    WarpgridRunError,
)
from warpgrid_pants.target_types import (
    WarpgridDeploymentListenField,
    WarpgridDeploymentNamespaceField,
    WarpgridDeploymentReplicasField,
    WarpgridDeploymentServicesField,
    WarpgridRunComponentField,
    WarpgridRunConfigField,
    WarpgridRunModeField,
)

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
MANIFEST = "deployment.toml"


@dataclass(frozen=True)
class WarpgridDeploymentFieldSet(RunFieldSet):
    required_fields = (WarpgridDeploymentServicesField,)
    run_in_sandbox_behavior = RunInSandboxBehavior.RUN_REQUEST_HERMETIC

    services: WarpgridDeploymentServicesField
    namespace: WarpgridDeploymentNamespaceField
    listen: WarpgridDeploymentListenField
    replicas: WarpgridDeploymentReplicasField


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


def render_manifest(namespace: str, services: dict[str, tuple[str, str]], listen: dict[str, str],
                    replicas: dict[str, int]) -> str:
    """The host's deployment.toml: service -> (component path, config path), relative to it."""
    lines = [f"namespace = {_toml_string(namespace)}"]
    for name in sorted(services):
        component, config = services[name]
        lines += ["", f"[services.{name}]", f"component = {_toml_string(component)}",
                  f"config = {_toml_string(config)}"]
        if name in listen:
            lines.append(f"listen = {_toml_string(listen[name])}")
        if name in replicas:
            lines.append(f"replicas = {replicas[name]}")
    return "\n".join(lines) + "\n"


def _check_names(field_set: WarpgridDeploymentFieldSet, namespace: str, names: list[str]) -> dict[str, int]:
    where = f"{field_set.address}"
    if not _LABEL.fullmatch(namespace):
        raise WarpgridRunError(f"{where}: `namespace` {namespace!r} must be a DNS label (lowercase letters, digits, '-')")
    for name in names:
        if not _LABEL.fullmatch(name):
            raise WarpgridRunError(
                f"{where}: service `{name}` (a `warpgrid_run` target's name) must be a DNS label; rename the target")
    if len(set(names)) != len(names):
        raise WarpgridRunError(f"{where}: two `services` have the same target name: {sorted(names)}")
    for field in (field_set.listen, field_set.replicas):
        unknown = sorted(set(field.value or {}) - set(names))
        if unknown:
            raise WarpgridRunError(f"{where}: `{field.alias}` names {unknown}, which are not in `services` ({sorted(names)})")
    replicas = {}
    for name, count in (field_set.replicas.value or {}).items():
        if not count.isdigit() or not 1 <= int(count) <= 16:
            raise WarpgridRunError(f"{where}: `replicas` of `{name}` must be a count from 1 to 16, got {count!r}")
        replicas[name] = int(count)
    return replicas


@rule(desc="Preparing a WarpGrid deployment", level=LogLevel.DEBUG)
async def create_warpgrid_deployment_run_request(field_set: WarpgridDeploymentFieldSet) -> RunRequest:
    addresses = await Get(Addresses, UnparsedAddressInputs, field_set.services.to_unparsed_address_inputs())
    targets = await Get(Targets, Addresses, addresses)
    for target in targets:
        if not (target.has_field(WarpgridRunComponentField) and target.has_field(WarpgridRunConfigField)):
            raise WarpgridRunError(
                f"{field_set.address}: `services` must name `warpgrid_run` targets; {target.address} is a `{target.alias}`")
        if target[WarpgridRunModeField].value != "serve":
            raise WarpgridRunError(f"{field_set.address}: {target.address} has mode=\"run\"; a deployment serves HTTP (mode=\"serve\")")
    names = [t.address.target_name for t in targets]
    namespace = field_set.namespace.value or field_set.address.target_name
    replicas = _check_names(field_set, namespace, names)

    component_addresses = await MultiGet(
        Get(Addresses, UnparsedAddressInputs, t[WarpgridRunComponentField].to_unparsed_address_inputs()) for t in targets
    )
    component_targets = await MultiGet(Get(Targets, Addresses, a) for a in component_addresses)
    components = await MultiGet(Get(ComponentArtifact, ComponentArtifactRequest(c[0])) for c in component_targets)
    configs = await MultiGet(Get(HydratedSources, HydrateSourcesRequest(t[WarpgridRunConfigField])) for t in targets)
    staged: list[Digest] = []
    services: dict[str, tuple[str, str]] = {}
    for target, name, component, config in zip(targets, names, components, configs):
        if not config.snapshot.files:
            raise WarpgridRunError(f"{target.address}: config file {target[WarpgridRunConfigField].value!r} does not exist")
        merged = await Get(Digest, MergeDigests([component.digest, config.snapshot.digest]))
        staged.append(await Get(Digest, AddPrefix(merged, name)))
        services[name] = (os.path.join(name, component.path), os.path.join(name, config.snapshot.files[0]))
    manifest = render_manifest(namespace, services, dict(field_set.listen.value or {}), replicas)
    manifest_digest = await Get(Digest, CreateDigest([FileContent(MANIFEST, manifest.encode())]))
    host = await Get(HostCommand)
    inputs = await Get(Digest, MergeDigests([*staged, manifest_digest]))
    digest = await Get(Digest, MergeDigests([host.digest, await Get(Digest, AddPrefix(inputs, _RUN_DIR))]))
    args = host.argv("deploy", os.path.join("{chroot}", _RUN_DIR, MANIFEST))
    return RunRequest(digest=digest, args=args, extra_env=host.extra_env)


def rules():
    return [*collect_rules(), *WarpgridDeploymentFieldSet.rules()]
