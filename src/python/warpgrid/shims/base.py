"""The shape every shim implements; the engine only talks to shims through it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, runtime_checkable

from warpgrid.context import InstanceContext, context_of

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

__all__ = ["Shim", "Preopen", "InstanceContext", "context_of"]


@runtime_checkable
class Shim(Protocol):
    """One WIT interface of warpgrid:shim, implemented on the host.

    Host functions added in ``define`` receive ``(store, *params)`` and find their per-instance
    state with ``context_of(store).state_for(self.name)``.
    """

    name: ClassVar[str]  # the [shims] key, e.g. "dns", "database_proxy"
    interface: ClassVar[str]  # e.g. "warpgrid:shim/dns@0.1.0"

    @classmethod
    def from_config(cls, config: "WarpConfig") -> "Shim": ...

    def describe(self) -> str: ...

    def new_instance_state(self) -> object:
        """Per-instance state (or None). If it has a ``release_all()`` method, the engine calls
        it when the instance closes, so host resources it holds never outlive the instance."""
        ...

    def define(self, instance: Any) -> None: ...

    def close(self) -> None: ...


class Preopen(NamedTuple):
    """A read-only directory an unpatched guest sees through WASI preopens."""

    host_dir: str
    guest_dir: str
