"""Shim registry: maps each [shims] key to its WIT interface and implementing class.

Classes are imported lazily so a disabled shim (and its dependencies, e.g. database drivers)
is never imported, let alone linked.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from warpgrid.shims.base import Shim

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

PACKAGE = "warpgrid:shim"
VERSION = "0.1.0"

# [shims] key -> (WIT interface, "module:Class")
SHIM_CLASSES: dict[str, tuple[str, str]] = {
    "filesystem": (f"{PACKAGE}/filesystem@{VERSION}", "warpgrid.shims.filesystem:FilesystemShim"),
    "dns": (f"{PACKAGE}/dns@{VERSION}", "warpgrid.shims.dns:DnsShim"),
    "signals": (f"{PACKAGE}/signals@{VERSION}", "warpgrid.shims.signals:SignalsShim"),
    "database_proxy": (
        f"{PACKAGE}/database-proxy@{VERSION}",
        "warpgrid.shims.database:DatabaseProxyShim",
    ),
    "threading": (f"{PACKAGE}/threading@{VERSION}", "warpgrid.shims.threading_model:ThreadingShim"),
}

INTERFACE_TO_SHIM: dict[str, str] = {iface: name for name, (iface, _) in SHIM_CLASSES.items()}


def shim_class(name: str) -> type[Shim]:
    _, target = SHIM_CLASSES[name]
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_shims(config: "WarpConfig") -> list[Shim]:
    """Host-wide state for every shim enabled in [shims], in registry order."""
    enabled = set(config.shims.enabled())
    return [shim_class(name).from_config(config) for name in SHIM_CLASSES if name in enabled]


def shim_for_import(import_name: str) -> str | None:
    """'warpgrid:shim/dns@0.1.0' -> 'dns'; None for imports that are not shims."""
    return INTERFACE_TO_SHIM.get(import_name)
