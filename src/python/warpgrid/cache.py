"""On-disk cache of compiled components.

Compiling a component with Cranelift takes seconds; deserializing the compiled artifact takes a
millisecond. The artifact is only valid for the same wasmtime version and engine Config, so the
key hashes those together with the component's own sha256.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """$WARPGRID_CACHE_DIR, else $XDG_CACHE_HOME/warpgrid/compiled, else ~/.cache/..."""
    if env := os.environ.get("WARPGRID_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "warpgrid" / "compiled"


def wasmtime_version() -> str:
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class CacheResult:
    component: Component
    sha256: str
    cache_hit: bool
    artifact: Path | None


class CompiledCache:
    def __init__(self, directory: Path | None, engine_fingerprint: str) -> None:
        self.directory = directory
        self.engine_fingerprint = engine_fingerprint

    def key(self, component_sha256: str) -> str:
        text = f"wasmtime={wasmtime_version()}\nengine={self.engine_fingerprint}\ncomponent={component_sha256}"
        return hashlib.sha256(text.encode()).hexdigest()

    def load(self, engine: Engine, path: Path) -> CacheResult:
        wasm = path.read_bytes()
        sha = hashlib.sha256(wasm).hexdigest()
        if self.directory is None:
            return CacheResult(Component(engine, wasm), sha, False, None)
        artifact = self.directory / f"{self.key(sha)}.cwasm"
        if artifact.is_file():
            try:
                return CacheResult(Component.deserialize_file(engine, str(artifact)), sha, True, artifact)
            except WasmtimeError as e:
                log.warning("compiled cache entry %s unusable (%s); recompiling", artifact, e)
        component = Component(engine, wasm)
        self._store(artifact, bytes(component.serialize()))
        return CacheResult(component, sha, False, artifact)

    @staticmethod
    def _store(artifact: Path, blob: bytes) -> None:
        """Atomic write: concurrent hosts never read a half-written artifact."""
        try:
            artifact.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=artifact.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, artifact)
        except OSError as e:
            log.warning("cannot write compiled cache entry %s: %s", artifact, e)
