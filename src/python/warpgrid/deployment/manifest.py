"""A deployment manifest: several services run by one host process as one unit.

Example (``deployment.toml``; paths are relative to this file)::

    namespace = "t6"

    [services.gateway]
    component = "gateway.wasm"
    config = "gateway/warp.toml"     # the service's own warp.toml (default: built-in defaults)
    listen = "127.0.0.1:8080"        # only services with `listen` are reachable from outside

    [services.users]
    component = "users.wasm"
    config = "users/warp.toml"
    replicas = 2                     # instances behind users.t6.warp.local, called round robin

Every service becomes ``<name>.<namespace>.warp.local`` in every service's DNS registry; what a
service may *call* is its own ``[http_client] allow`` list. The Pants ``warpgrid_deployment``
target writes this file from its ``warpgrid_run`` services.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warpgrid.config import ConfigError, WarpConfig, display_name, load_config, parse_listen

LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
SUFFIX = ".warp.local"
MAX_REPLICAS = 16


def _label(value: str, what: str) -> str:
    if not LABEL.fullmatch(value):
        raise ValueError(f"{what} {value!r} must be a DNS label: lowercase letters, digits and '-'")
    return value


class ServiceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    component: Path
    config: Path | None = None
    listen: str | None = None
    replicas: int = Field(default=1, ge=1, le=MAX_REPLICAS)

    @field_validator("listen")
    @classmethod
    def _loopback(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value


class DeploymentManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str = "default"
    services: dict[str, ServiceSpec]
    # Where the manifest came from (for messages); set by load_manifest, not a TOML key.
    source: str = Field(default="<manifest>", exclude=True)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return _label(value, "namespace")

    @field_validator("services")
    @classmethod
    def _services(cls, value: dict[str, ServiceSpec]) -> dict[str, ServiceSpec]:
        if not value:
            raise ValueError("a deployment needs at least one [services.<name>] table")
        for name in value:
            _label(name, "service name")
        return value

    def hostname(self, service: str) -> str:
        return f"{service}.{self.namespace}{SUFFIX}"

    def service_config(self, name: str) -> WarpConfig:
        """The service's own warp.toml (ConfigError names it), or the defaults."""
        spec = self.services[name]
        return load_config(spec.config) if spec.config else WarpConfig()


def load_manifest(path: str | Path) -> DeploymentManifest:
    """Reads and validates a deployment manifest; raises ConfigError naming file and key, and
    checks that every component and config file exists."""
    path = Path(path)
    source = display_name(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{source}: cannot read deployment manifest: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    try:
        manifest = DeploymentManifest.model_validate(data)
    except ValidationError as e:
        lines = []
        for item in e.errors():
            key = ".".join(str(p) for p in item["loc"]) or "<top level>"
            msg = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                msg = "unknown key (expected: namespace, [services.<name>] with component, config, listen, replicas)"
            lines.append(f"{source}: key '{key}': {msg}")
        raise ConfigError("\n".join(lines)) from None
    manifest.source = source
    base = path.parent
    for name, spec in manifest.services.items():
        spec.component = base / spec.component
        if not spec.component.is_file():
            raise ConfigError(f"{source}: services.{name}.component: {spec.component} does not exist")
        if spec.config is not None:
            spec.config = base / spec.config
            if not spec.config.is_file():
                raise ConfigError(f"{source}: services.{name}.config: {spec.config} does not exist")
    return manifest
