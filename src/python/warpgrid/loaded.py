"""A compiled component and its import/export facts; shared by the engine and its guests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component, ExportIndex

from warpgrid.cache import CompiledCache
from warpgrid.faults import GuestFault, InstantiationError, ShimNotEnabledError, classify
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
    # The enabled-shim set this component's imports were last checked against (see `check_shims`).
    _checked_against: frozenset[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, engine: Engine, cache: CompiledCache, path: str | Path) -> "LoadedComponent":
        """Compile (or take from the cache) the component at `path`; both engines load this way."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"component {path} does not exist")
        try:
            result = cache.load(engine, path)
        except WasmtimeError as e:
            raise InstantiationError(f"{path}: not a valid WebAssembly component: {e}") from None
        ctype = result.component.type
        return cls(
            component=result.component,
            path=path,
            sha256=result.sha256,
            cache_hit=result.cache_hit,
            imports=list(ctype.imports(engine)),
            exports=list(ctype.exports(engine)),
        )

    def check_shims(self, enabled: frozenset[str], config_source: object) -> None:
        """Every shim the component imports must be enabled. Checked once per component and
        enabled set: both are fixed after construction."""
        if self._checked_against is enabled:
            return
        for name in self.imports:
            shim = shim_for_import(name)
            if shim and shim not in enabled:
                raise ShimNotEnabledError(
                    f"{self.path.name} imports {name}, but shim '{shim}' is disabled: "
                    f"set `{shim} = true` under [shims] in {config_source}"
                )
        self._checked_against = enabled

    def link_failure(self, error: WasmtimeError, enabled: Iterable[str]) -> Exception:
        """What an instantiation error means: a missing import, or a fault of the guest's start."""
        first = str(error).splitlines()[0] if str(error) else ""
        if first.startswith("component imports"):
            return InstantiationError(
                f"{self.path.name}: cannot link: {first} (this host provides WASI 0.2 and the "
                f"enabled warpgrid shims: {', '.join(enabled) or 'none'})"
            )
        return classify(error)

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
