"""Runs a deployment: every service of a manifest in this one host process.

Each service gets its own engine (its own warp.toml: shims, limits, allow-list), one
dispatcher per replica (a fresh instance per request, as `warpgrid serve`), and an HTTP
listener when the manifest gives it ``listen``. Replica ``r`` of service number ``i`` has the
loopback address ``127.77.i.r``; every service's DNS registry maps ``<name>.<ns>.warp.local``
to its replicas' addresses, and the :class:`Router` maps an address back to its replica. The
dns shim rotates the addresses per lookup, so calls go round robin over the replicas.

Why one process: a call is a function call on the caller's thread into another engine (no
sockets, no serialisation beyond the WIT records), and one process has one log stream and
one place that delivers signals. Guests run in parallel across connections (wasm releases the
GIL); the process uses about one core for the Python around them (no ``--workers`` here).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from warpgrid.config import ConfigError, WarpConfig
from warpgrid.engine import WarpGridEngine
from warpgrid.guest import GuestInstance
from warpgrid.hostsignals import handling
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.framing import ServerLimits
from warpgrid.http.messages import HttpRequest, HttpResponse
from warpgrid.http.server import HttpTrigger
from warpgrid.loaded import LoadedComponent
from warpgrid.shims.signals import HOST_SIGNALS

from .logstream import current_service, prefixed_output
from .manifest import DeploymentManifest

log = logging.getLogger("warpgrid.deployment")

ADDRESS_PREFIX = "127.77"


class ServiceEngine(WarpGridEngine):
    """An engine whose guests' stdout/stderr lines carry the service's name."""

    def __init__(self, name: str, config: WarpConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.service_name = name
        self._stdout = prefixed_output(name, lambda: sys.stdout.buffer)
        self._stderr = prefixed_output(name, lambda: sys.stderr.buffer)

    def instantiate(self, loaded: LoadedComponent, **kwargs: Any) -> GuestInstance:
        kwargs["stdout"] = kwargs.get("stdout") or self._stdout
        kwargs["stderr"] = kwargs.get("stderr") or self._stderr
        return super().instantiate(loaded, **kwargs)


@dataclass
class Replica:
    """One instance slot of a service: what an address of its registry name answers."""

    name: str
    address: str
    dispatcher: RequestDispatcher

    def handle(self, request: HttpRequest, timeout_ms: int | None = None) -> HttpResponse:
        token = current_service.set(self.name)
        try:
            return self.dispatcher.handle(request, timeout_ms)
        finally:
            current_service.reset(token)


@dataclass
class Service:
    name: str
    hostname: str
    engine: ServiceEngine
    replicas: list[Replica]
    trigger: HttpTrigger | None = None
    config_path: Path | None = None

    @property
    def url(self) -> str | None:
        return self.trigger.url if self.trigger else None


class _Listener:
    """What a service's HTTP listener dispatches to: its replicas, round robin (the trigger
    wants one dispatcher; this is it)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.engine = service.engine
        self._turn = 0
        self._lock = threading.Lock()

    def handle(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            replica = self.service.replicas[self._turn % len(self.service.replicas)]
            self._turn += 1
        return replica.handle(request)


@dataclass
class Router:
    """Address -> replica, for the http-client shims of every service."""

    by_address: dict[str, Replica] = field(default_factory=dict)

    def service_at(self, address: str) -> Replica | None:
        return self.by_address.get(address)


class Deployment:
    """Every service of ``manifest``, started by :meth:`start`, stopped by :meth:`close`."""

    def __init__(self, manifest: DeploymentManifest, *, cache_dir: str | Path | None = None,
                 use_cache: bool = True, limits: ServerLimits | None = None) -> None:
        self.manifest = manifest
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.limits = limits
        self.router = Router()
        self.services: dict[str, Service] = {}

    def addresses(self) -> dict[str, list[str]]:
        """hostname -> its replicas' loopback addresses (the DNS registry every service gets)."""
        return {
            self.manifest.hostname(name): [f"{ADDRESS_PREFIX}.{i}.{r}" for r in range(1, spec.replicas + 1)]
            for i, (name, spec) in enumerate(sorted(self.manifest.services.items()), start=1)
        }

    def start(self) -> "Deployment":
        registry = self.addresses()
        try:
            for name, spec in self.manifest.services.items():
                self.services[name] = self._start_service(name, self.manifest.service_config(name), registry)
        except BaseException:
            self.close()
            raise
        for service in self.services.values():
            log.info("%s: %d replica(s) at %s%s", service.hostname, len(service.replicas),
                     ", ".join(r.address for r in service.replicas),
                     f", listening on {service.url}" if service.url else "")
        return self

    def _start_service(self, name: str, config: WarpConfig, registry: dict[str, list[str]]) -> Service:
        spec = self.manifest.services[name]
        clash = sorted(set(config.dns.registry) & set(registry))
        if clash:
            raise ConfigError(f"{config.source}: [dns] registry names {', '.join(clash)}, which the deployment "
                              f"{self.manifest.source} registers itself; remove it from [dns] registry")
        source = config.source
        config = config.model_copy(deep=True)
        config._source = source
        config.dns.registry.update(registry)
        token = current_service.set(name)
        try:
            engine = ServiceEngine(name, config, cache_dir=self.cache_dir, use_cache=self.use_cache)
        finally:
            current_service.reset(token)
        hostname = self.manifest.hostname(name)
        service = Service(name, hostname, engine, [], config_path=spec.config)
        self.services[name] = service  # close() finds it if what follows fails
        loaded = engine.load_component(spec.component)
        engine.check_shims(loaded)
        self._wire_client(engine, name)
        for address in registry[hostname]:
            replica = Replica(name, address, RequestDispatcher(engine, loaded, config.http.ready_instances))
            service.replicas.append(replica)
            self.router.by_address[address] = replica
        if spec.listen:
            limits = self.limits or ServerLimits.for_serving(
                config.http.max_body_bytes, config.limits.request_timeout_ms)
            service.trigger = HttpTrigger(_Listener(service), spec.listen, limits=limits).start()  # type: ignore[arg-type]
        return service

    def _wire_client(self, engine: WarpGridEngine, name: str) -> None:
        try:
            client = engine.shim("http_client")
        except KeyError:
            return  # disabled in this service's [shims]: it calls nobody
        client.router = self.router  # type: ignore[attr-defined]
        client.caller = self.manifest.hostname(name)  # type: ignore[attr-defined]

    # -- control -------------------------------------------------------------------------------

    def deliver_signal(self, signal_name: str) -> int:
        """Queues ``signal_name`` on every live instance of every service; returns how many."""
        return sum(s.engine.deliver_signal(signal_name) for s in self.services.values())

    def reload(self) -> None:
        """SIGHUP: re-reads every service's warp.toml and applies its [http_client] allow-list
        (a config with an error is reported and the old one kept), then delivers ``hangup``."""
        for name, service in self.services.items():
            if service.config_path is None:
                continue
            try:
                config = self.manifest.service_config(name)
            except ConfigError as e:
                log.error("reload of %s kept the running config: %s", name, e)
                continue
            try:
                service.engine.shim("http_client").set_allow(config.http_client.allow)  # type: ignore[attr-defined]
            except KeyError:
                pass
        queued = self.deliver_signal("hangup")
        log.info("reloaded; hangup queued by %d instance(s)", queued)

    def close(self) -> None:
        """Stops listening (draining in-flight requests), then drops every engine."""
        for service in self.services.values():
            if service.trigger is not None:
                service.trigger.shutdown()
        for service in self.services.values():
            for replica in service.replicas:
                replica.dispatcher.close()
            service.engine.close()
        self.services.clear()
        self.router.by_address.clear()

    def __enter__(self) -> "Deployment":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(deployment: Deployment, out: TextIO = sys.stdout, on_ready: Callable[[Deployment], None] | None = None) -> int:
    """Runs until SIGINT/SIGTERM: ``interrupt``/``terminate`` reach every live instance, then
    all services stop. SIGHUP reloads (see :meth:`Deployment.reload`)."""
    stop = threading.Event()
    hangups: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP:
            hangups.append(signum)  # handled on the main loop: reload reads files and logs
            return
        queued = deployment.deliver_signal(HOST_SIGNALS[signum])
        log.info("received %s: %s queued by %d instance(s); stopping every service",
                 signal.Signals(signum).name, HOST_SIGNALS[signum], queued)
        stop.set()

    with handling(HOST_SIGNALS, on_signal):
        deployment.start()
        try:
            for name, service in deployment.services.items():
                if service.url:
                    print(f"Serving {name} {service.url}", file=out, flush=True)
            print(f"Deployment {deployment.manifest.namespace} ready: "
                  f"{', '.join(s.hostname for s in deployment.services.values())}", file=out, flush=True)
            if on_ready is not None:
                on_ready(deployment)
            while not stop.wait(0.2):
                while hangups:
                    hangups.pop()
                    deployment.reload()
        finally:
            deployment.close()
    log.info("deployment %s stopped", deployment.manifest.namespace)
    return 0
