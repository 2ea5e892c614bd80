"""warpgrid:shim/threading: the guest declares the threading model it needs.

Named ``threading_model`` rather than ``threading`` so that nothing in this package can shadow
the standard library ``threading`` module (a module named ``threading.py`` inside a package is
picked up instead of the stdlib one when the package directory lands on sys.path, e.g. when a
script in it is run directly or a tool adds source roots carelessly).

Informational: guests always run single-threaded. ``parallel-required`` logs a warning and sets
``DeploymentStatus.parallel_required`` (the deployment cannot get what it asked for).
``cooperative`` sets ``DeploymentStatus.sequential``: from then on the HTTP trigger runs that
deployment's requests one at a time (a lock around each call), because a cooperative guest
assumes nothing else runs while it holds control. ``single-threaded`` changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from warpgrid.shims.base import Shim, context_of

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

log = logging.getLogger(__name__)

class ThreadingShim(Shim):
    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "ThreadingShim":
        return cls()

    def describe(self) -> str:
        return "threading declaration: parallel-required -> warning + status flag; cooperative -> sequential requests"

    def define(self, instance: Any) -> None:
        instance.add_func("declare-threading-model", self._declare)

    def _declare(self, store: Any, model: str) -> None:
        ctx = context_of(store)
        ctx.deployment.declare_threading(model)
        if model == "parallel-required":
            message = (
                f"instance {ctx.instance_id} declared threading model 'parallel-required': WarpGrid "
                "runs guests single-threaded, so parallel work will run sequentially"
            )
            log.warning(message)
            ctx.deployment.warnings.append(message)
