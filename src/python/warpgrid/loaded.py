"""A compiled component and its import/export facts; shared by the engine and its guests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wasmtime.component import Component, ExportIndex

from warpgrid.faults import GuestFault
from warpgrid.shims import shim_for_import


@dataclass
class LoadedComponent:
    """A compiled component plus what the engine needs to know about it, loaded once and
    instantiated many times."""

    component: Component
    path: Path
    sha256: str
    cache_hit: bool
    imports: list[str]
    exports: list[str]
    _indexes: dict[tuple[str, str], ExportIndex] = field(default_factory=dict, repr=False)
    # The enabled-shim set this component's imports were last checked against (see WarpGridEngine.check_shims).
    _checked_against: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def export_index(self, interface: str, name: str) -> ExportIndex:
        """Export index of ``interface#name``, looked up once per component."""
        key = (interface, name)
        if key not in self._indexes:
            outer = self.component.get_export_index(interface)
            inner = self.component.get_export_index(name, outer) if outer else None
            if inner is None:
                raise GuestFault(
                    "bad-export",
                    f"{self.path.name} does not export {interface}#{name} (exports: {', '.join(self.exports) or 'none'})",
                )
            self._indexes[key] = inner
        return self._indexes[key]

    def needed_shims(self) -> list[str]:
        return [s for s in (shim_for_import(i) for i in self.imports) if s]
