"""warpgrid:shim/http-client: one service calls another of its deployment by registry name.

The shim owns the policy (URL shape, the caller's ``[http_client] allow`` list, the nesting
bound) and the name resolution (the dns shim's resolver: the deployment registers each
service's instances as addresses of ``<name>.<namespace>.warp.local`` and the resolver rotates
them, which is the round robin). What answers an address is a :class:`Router` the deployment
installs (``warpgrid.deployment``); outside a deployment there is none and every call fails
with ``not-found`` at once.

The call runs on the caller's thread: the callee gets a fresh instance in its own Store and
engine, bounded by its own request deadline and by what is left of the caller's. A callee
fault comes back as a 500/504 *response* (its dispatcher's fault answer), so the caller keeps
running and decides; only problems of the call itself are ``err`` strings, "<code>: <text>".
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from wasmtime.component import Record

from warpgrid.context import context_of
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.shims.base import Shim

from .config import REGISTRY_SUFFIX, HttpClientConfig

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

__all__ = ["HttpClientShim", "HttpClientConfig", "Router", "CallError"]

log = logging.getLogger("warpgrid.http_client")

CALLER_HEADER = "x-warpgrid-caller"


class CallError(Exception):
    """A call that cannot be made; ``code`` is the first word of the WIT error string."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


class Router(Protocol):
    """What the deployment gives the shim: the instance behind an address."""

    def service_at(self, address: str) -> "Callee | None": ...


class Callee(Protocol):
    name: str

    def handle(self, request: HttpRequest, timeout_ms: int | None = None) -> HttpResponse: ...


_depth = threading.local()


class HttpClientShim(Shim):
    def __init__(self, config: HttpClientConfig, resolve: Any, source: str) -> None:
        self.config = config
        self._resolve = resolve  # hostname -> list[str], raises DnsError; None: no dns shim
        self.source = source
        self.router: Router | None = None
        self.caller = ""  # this engine's service name inside a deployment

    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "HttpClientShim":
        dns = built.get("dns")
        resolve = dns.resolver.resolve if dns is not None else None  # type: ignore[attr-defined]
        return cls(config.http_client, resolve, config.source)

    def describe(self) -> str:
        allowed = ", ".join(self.config.allow) or "nothing ([http_client] allow is empty)"
        return f"service-to-service HTTP (*{REGISTRY_SUFFIX}): may call {allowed}"

    def define(self, instance: Any) -> None:
        instance.add_func("send", self._send)

    def set_allow(self, allow: list[str]) -> None:
        """A config reload's new allow-list (already validated)."""
        self.config = self.config.model_copy(update={"allow": list(allow)})

    # -- the call ------------------------------------------------------------------------------

    def _send(self, store: Any, request: Any) -> Record | str:
        try:
            response = self.call(
                str(request.method), str(request.url), [tuple(h) for h in request.headers],
                bytes(request.body), context_of(store).deadline,
            )
        except CallError as e:
            log.warning("%s: %s %s refused: %s", self.caller or "guest", request.method, request.url, e)
            return str(e)
        # A wasmtime Record, not a SimpleNamespace: the result's ok and err cases are told apart
        # by Python class (Record vs str), so the record must be the class wasmtime lifts to.
        record = Record()
        record.status = response.status
        record.headers = [(str(n), str(v)) for n, v in response.headers]
        record.body = bytes(response.body)
        return record

    def call(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
             deadline: float | None = None) -> HttpResponse:
        """Routes one request; raises CallError. ``deadline`` is the caller's (monotonic)."""
        host, target = self._parse(url)
        self._check_allowed(host)
        callee = self._route(host)
        depth = getattr(_depth, "value", 0)
        if depth >= self.config.max_depth:
            raise CallError("loop", f"{host}: {depth} nested calls already in this request ([http_client] max_depth)")
        timeout_ms = None
        if deadline is not None:
            timeout_ms = max(1, int((deadline - time.monotonic()) * 1000))
        names = {n.lower() for n, _ in headers}
        sent = list(headers)
        if "host" not in names:
            sent.append(("host", host))
        if self.caller and CALLER_HEADER not in names:
            sent.append((CALLER_HEADER, self.caller))
        _depth.value = depth + 1
        try:
            response = callee.handle(HttpRequest(method, target, sent, body), timeout_ms)
        finally:
            _depth.value = depth
        log.info("%s -> %s %s %s: %d", self.caller or "guest", callee.name, method, target, response.status)
        return response

    @staticmethod
    def _parse(url: str) -> tuple[str, str]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise CallError("invalid-url", f"{url!r}: {e}") from None
        if parts.scheme != "http" or not parts.hostname:
            raise CallError("invalid-url", f"{url!r}: expected http://<name>.<namespace>{REGISTRY_SUFFIX}/path")
        if port not in (None, 80):
            raise CallError("invalid-url", f"{url!r}: services are addressed by name only (no port)")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return parts.hostname.lower().rstrip("."), target

    def _check_allowed(self, host: str) -> None:
        if not host.endswith(REGISTRY_SUFFIX):
            raise CallError(
                "not-found", f"{host} is not a deployment service: only <name>.<namespace>{REGISTRY_SUFFIX} "
                "names are reachable (outgoing HTTP to other hosts is not offered)")
        if not any(fnmatch.fnmatchcase(host, pattern) for pattern in self.config.allow):
            raise CallError(
                "not-allowed", f"{host} is not in [http_client] allow of {self.source}; add it there "
                f"(allowed now: {', '.join(self.config.allow) or 'nothing'})")

    def _route(self, host: str) -> "Callee":
        if self.router is None:
            raise CallError("not-found", f"{host}: this host runs no deployment (start it with `warpgrid deploy`)")
        if self._resolve is None:
            raise CallError("not-found", f"{host}: the dns shim is disabled, so no service name resolves")
        from warpgrid.shims.dns import DnsError

        try:
            addresses = self._resolve(host)
        except DnsError as e:
            raise CallError("not-found", f"{host}: no such service in this deployment ({e.code})") from None
        for address in addresses[:1]:  # the resolver rotated them: the first is this call's turn
            callee = self.router.service_at(address)
            if callee is not None:
                return callee
        raise CallError("not-found", f"{host} resolves to {', '.join(addresses)}, which is no service instance of this deployment")
