"""Turns one HTTP request into one guest call on a fresh instance, and faults into responses.

A fresh instance per request keeps guests isolated (no state leaks between requests) and makes
poisoning irrelevant: a trapped instance is simply dropped. Instantiation of a C or TinyGo
component costs well under a millisecond once the component is compiled.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field

from warpgrid.engine import WarpGridEngine
from warpgrid.faults import GuestFault, InstantiationError, ShimNotEnabledError, classify
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.http.ready import ReadyInstances
from warpgrid.loaded import LoadedComponent

log = logging.getLogger(__name__)

REASONS = {500: "guest failed", 502: "guest cannot be instantiated", 504: "guest exceeded the request deadline"}
KIND_REASONS = {"too-large": "body too large to cross the host/guest boundary"}


def as_fault(exc: Exception, request: HttpRequest) -> tuple[GuestFault, int]:
    """The fault and HTTP status for whatever a guest call raised (both hosts answer alike)."""
    if isinstance(exc, GuestFault):
        return exc, exc.http_status
    if isinstance(exc, (InstantiationError, ShimNotEnabledError)):
        return GuestFault("instantiate", str(exc)), 502
    # A host bug must cost one request, not the server.
    log.exception("unexpected error handling %s %s", request.method, request.uri, exc_info=exc)
    return classify(exc), 500


def fault_response(request: HttpRequest, fault: GuestFault, status: int) -> HttpResponse:
    """A JSON 5xx naming the fault's kind and error id (also logged, for the operator)."""
    log.error(
        "error_id=%s %s %s -> %d (%s): %s",
        fault.error_id, request.method, request.uri, status, fault.kind, fault.detail,
    )
    body = {"error": KIND_REASONS.get(fault.kind) or REASONS.get(status, "guest failed"), "kind": fault.kind, "error_id": fault.error_id}
    return HttpResponse(
        status,
        [("content-type", "application/json"), ("x-warpgrid-error-id", fault.error_id)],
        (json.dumps(body) + "\n").encode(),
    )


@dataclass
class DispatchStats:
    served: int = 0
    faults: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, fault: bool) -> None:
        with self._lock:
            if fault:
                self.faults += 1
            else:
                self.served += 1


class RequestDispatcher:
    def __init__(self, engine: WarpGridEngine, component: LoadedComponent, ready_instances: int = 0,
                 warmup: HttpRequest | None = None) -> None:
        self.engine = engine
        self.component = component
        self.stats = DispatchStats()
        self.ready = ReadyInstances(engine, component, ready_instances, warmup)

    def handle(self, request: HttpRequest, timeout_ms: int | None = None) -> HttpResponse:
        """Never raises for guest problems: every fault becomes a 5xx with an error id.
        ``timeout_ms`` (default: [limits] request_timeout_ms) is shortened by a caller's deadline
        when another service calls this one (warpgrid.shims.http_client)."""
        try:
            guest = self.ready.take()
            try:
                shorter = timeout_ms is not None and timeout_ms < guest.default_timeout_ms
                response = guest.call_handler(request, timeout_ms if shorter else None)
            finally:
                self.ready.retire(guest)
        except Exception as e:
            self.stats.count(fault=True)
            return fault_response(request, *as_fault(e, request))
        self.stats.count(fault=False)
        return response

    def close(self) -> None:
        """Drops the instances made ahead that no request took."""
        self.ready.close()
