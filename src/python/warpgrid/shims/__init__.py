"""Shim registry: the one place that names each shim, its WIT interface, its [shims] switch
and its implementing class.

Classes are imported lazily so a disabled shim (and its dependencies, e.g. database drivers)
is never imported, let alone linked. ``ShimsConfig`` (warp.toml's [shims]) is generated from
this table, and each class gets its ``name``/``interface`` from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warpgrid.shims.base import Shim

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

PACKAGE = "warpgrid:shim"
VERSION = "0.1.0"


@dataclass(frozen=True)
class ShimSpec:
    name: str  # the [shims] key
    wit: str  # the interface name inside warpgrid:shim
    target: str  # "module:Class"
    default: bool  # whether [shims] enables it when the key is absent

    @property
    def interface(self) -> str:
        return f"{PACKAGE}/{self.wit}@{VERSION}"

    def load(self) -> type[Shim]:
        module_name, class_name = self.target.split(":")
        cls: type[Shim] = getattr(importlib.import_module(module_name), class_name)
        cls.name, cls.interface = self.name, self.interface
        return cls


# Registry order is build order: a shim may use the ones before it (database_proxy and
# http_client use dns).
SHIMS: tuple[ShimSpec, ...] = (
    ShimSpec("filesystem", "filesystem", "warpgrid.shims.filesystem:FilesystemShim", True),
    ShimSpec("dns", "dns", "warpgrid.shims.dns:DnsShim", True),
    ShimSpec("signals", "signals", "warpgrid.shims.signals:SignalsShim", True),
    ShimSpec("database_proxy", "database-proxy", "warpgrid.shims.database:DatabaseProxyShim", False),
    ShimSpec("threading", "threading", "warpgrid.shims.threading_model:ThreadingShim", True),
    ShimSpec("http_client", "http-client", "warpgrid.shims.http_client:HttpClientShim", True),
    ShimSpec("http_body", "http-body", "warpgrid.shims.http_body:HttpBodyShim", True),
)
BY_NAME: Mapping[str, ShimSpec] = {s.name: s for s in SHIMS}
BY_INTERFACE: Mapping[str, ShimSpec] = {s.interface: s for s in SHIMS}


def shim_class(name: str) -> type[Shim]:
    return BY_NAME[name].load()


def build_shims(config: "WarpConfig") -> list[Shim]:
    """Host-wide state for every shim enabled in [shims], in registry order."""
    enabled = set(config.shims.enabled())
    built: dict[str, Shim] = {}
    for spec in SHIMS:
        if spec.name in enabled:
            built[spec.name] = spec.load().from_config(config, built)
    return list(built.values())


def shim_for_import(import_name: str) -> str | None:
    """'warpgrid:shim/dns@0.1.0' -> 'dns'; None for imports that are not shims."""
    spec = BY_INTERFACE.get(import_name)
    return spec.name if spec else None
