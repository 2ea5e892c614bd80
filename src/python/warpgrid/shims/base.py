"""The shim contract: everything a shim may give the engine, declared in one place.

The engine talks to shims only through :class:`Shim`. A shim:

- is built once per engine from the warp.toml (``from_config``), possibly using shims built
  before it (the database proxy resolves endpoint names with the DNS shim's resolver);
- adds its host functions to the linker (``define``); each receives ``(store, *params)`` and
  finds its per-instance state with ``context_of(store).state_for(self.name)``;
- may give each instance state (``new_instance_state``) and must then release whatever host
  resources that state holds when the instance ends (``release_instance_state``);
- may expose read-only directories to unpatched guests (``preopens``);
- releases its host-wide resources in ``close``.

Defaults make every optional part explicit, so the engine never probes with hasattr/getattr.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from warpgrid.context import InstanceContext, context_of

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

__all__ = ["Shim", "Preopen", "InstanceContext", "context_of"]


class Preopen(NamedTuple):
    """A read-only directory an unpatched guest sees through WASI preopens."""

    host_dir: str
    guest_dir: str


class Shim(ABC):
    """One WIT interface of warpgrid:shim, implemented on the host."""

    name: ClassVar[str]  # the [shims] key, e.g. "dns", "database_proxy" (set by the registry)
    interface: ClassVar[str]  # e.g. "warpgrid:shim/dns@0.1.0" (set by the registry)

    @classmethod
    @abstractmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, "Shim"]) -> "Shim":
        """Host-wide state from the config; ``built`` holds the shims enabled before this one
        (registry order), by name."""

    @abstractmethod
    def describe(self) -> str:
        """One line for the startup log: what this shim gives guests."""

    @abstractmethod
    def define(self, instance: Any) -> None:
        """Adds the interface's host functions to a linker instance."""

    def new_instance_state(self) -> Any:
        """Per-instance state, or None."""
        return None

    def release_instance_state(self, state: Any) -> None:
        """The instance ended: free host resources its state holds (now, not at GC)."""

    def preopens(self, ctx: InstanceContext) -> list[Preopen]:
        """Read-only directories for guests without the shim. May depend only on ``ctx.argv``
        and ``ctx.env``: the engine caches the result per distinct pair."""
        return []

    def close(self) -> None:
        """Releases host-wide resources (threads, temp dirs, pools)."""
