"""The HTTP trigger: serves a component's http-handler export on a loopback address.

Only the message types are imported eagerly: the guest module needs them, and the server
and dispatcher import the engine (which imports the guest).
"""

from __future__ import annotations

from typing import Any

from warpgrid.http.messages import HttpRequest, HttpResponse

__all__ = ["HttpRequest", "HttpResponse", "HttpTrigger", "ListenError", "RequestDispatcher", "serve"]


def __getattr__(name: str) -> Any:
    if name == "RequestDispatcher":
        from warpgrid.http.dispatch import RequestDispatcher

        return RequestDispatcher
    if name in ("HttpTrigger", "ListenError", "serve"):
        from warpgrid.http import server

        return getattr(server, name)
    raise AttributeError(f"module 'warpgrid.http' has no attribute {name!r}")
