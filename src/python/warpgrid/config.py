"""warp.toml -> typed, validated configuration.

Every section is a pydantic model with ``extra="forbid"`` so a typo is an error, not a silently
ignored key. Validation problems become one :class:`ConfigError` whose message names the file,
the dotted key (``shims.bogus_key_17``) and what was expected, because that is what a user needs
to fix the file without reading this code.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model, field_validator

from warpgrid.shims import SHIMS
from warpgrid.shims.database.config import DatabaseConfig
from warpgrid.shims.http_client.config import HttpClientConfig

REGISTRY_SUFFIX = ".warp.local"


class ConfigError(Exception):
    """A warp.toml problem; the message names file, key and expectation."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class _ShimSwitches(_Section):
    def enabled(self) -> list[str]:
        return [name for name, on in self.model_dump().items() if on]


# [shims]: one boolean per registered shim (warpgrid.shims.SHIMS), in registry order. A
# disabled shim is never imported into the linker.
ShimsConfig = create_model(
    "ShimsConfig",
    __base__=_ShimSwitches,
    __doc__="Which shims are linked.",
    **{spec.name: (bool, spec.default) for spec in SHIMS},
)


def _check_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"expected an IPv4 or IPv6 address, got {value!r}") from None
    return value


def _name_table(value: dict[str, list[str]], what: str) -> dict[str, list[str]]:
    """Names -> non-empty lists of IP addresses, with names lowercased."""
    for name, addrs in value.items():
        if not addrs:
            raise ValueError(f"{what} {name!r} needs at least one address")
        for a in addrs:
            _check_ip(a)
    return {k.lower(): v for k, v in value.items()}


class DnsConfig(_Section):
    """Resolution chain data: service registry, hosts overrides, cache TTL, resolv.conf."""

    # "<name>.<namespace>.warp.local" = ["10.0.0.5", "10.0.0.6"]
    registry: dict[str, list[str]] = Field(default_factory=dict)
    # "db.internal" = ["192.168.1.10"]
    hosts: dict[str, list[str]] = Field(default_factory=dict)
    ttl_seconds: float = Field(default=30.0, ge=0)
    system_timeout_ms: int = Field(default=2000, ge=1)
    nameservers: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    search: list[str] = Field(default_factory=lambda: ["warp.local"])

    @field_validator("registry")
    @classmethod
    def _registry_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            labels = name.lower().removesuffix(REGISTRY_SUFFIX).split(".")
            if not name.lower().endswith(REGISTRY_SUFFIX) or len(labels) != 2 or not all(labels):
                raise ValueError(
                    f"registry name {name!r} must look like '<name>.<namespace>{REGISTRY_SUFFIX}'"
                )
        return _name_table(value, "registry name")

    @field_validator("hosts")
    @classmethod
    def _hosts_addrs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _name_table(value, "hosts entry")

    @field_validator("nameservers")
    @classmethod
    def _nameservers(cls, value: list[str]) -> list[str]:
        return [_check_ip(a) for a in value]


class FilesystemConfig(_Section):
    """Virtual file tree options."""

    zoneinfo: bool = True
    # Extra read-only virtual files: "/etc/app.conf" = "key=value\n"
    files: dict[str, str] = Field(default_factory=dict)
    urandom_bytes: int = Field(default=4096, ge=1, le=1 << 20)
    preopens: bool = True

    @field_validator("files")
    @classmethod
    def _absolute(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value:
            if not path.startswith("/") or path.endswith("/") or "/../" in f"{path}/":
                raise ValueError(f"virtual file path {path!r} must be absolute and name a file")
        return value


class LimitsConfig(_Section):
    """Per-instance resource limits."""

    memory_mb: int = Field(default=128, ge=1, le=4096)
    request_timeout_ms: int = Field(default=5000, ge=1)
    # CLI `run` deadline; 0 means no deadline (long-running commands).
    run_timeout_ms: int = Field(default=0, ge=0)
    epoch_tick_ms: int = Field(default=10, ge=1, le=1000)


class HttpConfig(_Section):
    """HTTP trigger options."""

    listen: str = "127.0.0.1:8080"
    max_body_bytes: int = Field(default=8 << 20, ge=0)
    # Fresh instances made ahead of requests by a background thread (per worker); each is
    # still used for one request only. 0: instantiate on the request path.
    ready_instances: int = Field(default=2, ge=0, le=64)
    # "METHOD /path" sent to each ready instance before it is queued (none by default): for
    # components whose first call is much slower than later ones. Pick a side-effect-free route.
    warmup_request: str = ""

    @field_validator("warmup_request")
    @classmethod
    def _warmup(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Z]+ /\S*", value):
            raise ValueError(f"expected 'METHOD /path' such as 'GET /health', got {value!r}")
        return value

    @field_validator("listen")
    @classmethod
    def _loopback(cls, value: str) -> str:
        parse_listen(value)
        return value


def parse_listen(value: str) -> tuple[str, int]:
    """'127.0.0.1:8080' -> ('127.0.0.1', 8080); only loopback, port 0 picks a free port."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected 'HOST:PORT' with PORT in 0..65535, got {value!r}")
    host = host.strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"expected a loopback address (127.0.0.1, ::1, localhost), got {host!r}")
    return host, int(port)


class WarpConfig(_Section):
    """The whole warp.toml."""

    shims: ShimsConfig = Field(default_factory=ShimsConfig)  # type: ignore[valid-type]
    dns: DnsConfig = Field(default_factory=DnsConfig)
    filesystem: FilesystemConfig = Field(default_factory=FilesystemConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    env: dict[str, str] = Field(default_factory=dict)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    http_client: HttpClientConfig = Field(default_factory=HttpClientConfig)
    # Where this config came from, for messages; not a warp.toml key.
    _source: str = PrivateAttr(default="<defaults>")

    @property
    def source(self) -> str:
        return self._source


def load_config(path: str | Path) -> WarpConfig:
    """Reads and validates a warp.toml; raises ConfigError naming file and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file: {e.strerror}") from None
    return parse_config(text, source=display_name(path))


# The directory the Pants `warpgrid_run` target copies the component and warp.toml into
# (pants-plugins/warpgrid_pants/run/warpgrid_run.py `_RUN_DIR`); below it lies the path in the repository.
_PANTS_RUN_DIR = "__warpgrid_run"


def display_name(path: Path) -> str:
    """How messages name a config file: the user's own path, not a Pants sandbox copy.

    ``WARPGRID_CONFIG_NAME`` wins when set; a path inside a ``warpgrid_run`` sandbox is shown
    relative to the repository root (``/tmp/pants-sandbox-x/__warpgrid_run/app/warp.toml``
    -> ``app/warp.toml``)."""
    override = os.environ.get("WARPGRID_CONFIG_NAME")
    if override:
        return override
    parts = path.parts
    if _PANTS_RUN_DIR in parts[:-1]:
        cut = len(parts) - 1 - parts[::-1].index(_PANTS_RUN_DIR)
        return str(Path(*parts[cut + 1 :]))
    return str(path)


def parse_config(text: str, source: str = "<string>") -> WarpConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    try:
        config = WarpConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_describe(source, e)) from None
    config._source = source
    return config


def _known(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _describe(source: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "<top level>"
        if item["type"] == "extra_forbidden":
            parent = _model_at(WarpConfig, item["loc"][:-1])
            expected = f"expected one of: {_known(parent)}" if parent else "not allowed here"
            lines.append(f"{source}: unknown key '{key}'; {expected}")
        else:
            msg = item["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: key '{key}': {msg} (got {_short(item.get('input'))})")
    return "\n".join(lines)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    for part in loc:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
    return model


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
