"""warpgrid:shim/dns: registry -> hosts overrides -> host system DNS, round-robin, TTL cache.

The registry and hosts overrides come from warp.toml and are authoritative, so they are never
cached or expired. System answers are cached for ``[dns] ttl_seconds`` (positive answers only:
a name that appears later should not stay NXDOMAIN for a TTL). Each call rotates the answer list
by one, per hostname, so clients that take the first address spread load.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from warpgrid.shims.base import Shim

if TYPE_CHECKING:
    from warpgrid.config import WarpConfig

log = logging.getLogger(__name__)

Clock = Callable[[], float]
SystemLookup = Callable[[str], list[str]]


class DnsError(Exception):
    """A resolution failure; ``code`` is the WIT dns-error case."""

    def __init__(self, code: str, hostname: str) -> None:
        super().__init__(f"{hostname}: {code}")
        self.code = code


def system_lookup(hostname: str) -> list[str]:
    """Addresses from the host resolver (getaddrinfo), de-duplicated, IPv4 first."""
    try:
        infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise DnsError("not-found", hostname) from None
        if e.errno == socket.EAI_AGAIN:
            raise DnsError("timeout", hostname) from None
        raise DnsError("internal", hostname) from None
    addrs: list[str] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addrs:
            addrs.append(str(sockaddr[0]).split("%")[0])
    addrs.sort(key=lambda a: ":" in a)
    if not addrs:
        raise DnsError("not-found", hostname)
    return addrs


@dataclass
class _Cached:
    addrs: list[str]
    expires: float


class Resolver:
    """The resolution chain; thread-safe, shared by all instances of an engine."""

    def __init__(
        self,
        registry: dict[str, list[str]],
        hosts: dict[str, list[str]],
        ttl_seconds: float,
        timeout_seconds: float = 2.0,
        lookup: SystemLookup = system_lookup,
        clock: Clock = time.monotonic,
    ) -> None:
        self.registry = {k.lower(): list(v) for k, v in registry.items()}
        self.hosts = {k.lower(): list(v) for k, v in hosts.items()}
        self.ttl = ttl_seconds
        self.timeout = timeout_seconds
        self._lookup = lookup
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._turns: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="warpgrid-dns")

    def resolve(self, hostname: str) -> list[str]:
        """Addresses of ``hostname``, rotated one step per call; raises DnsError."""
        name = hostname.rstrip(".").lower()
        if not name:
            raise DnsError("not-found", hostname)
        addrs = self.registry.get(name) or self.hosts.get(name) or self._system(name)
        with self._lock:
            turn = self._turns.get(name, 0)
            self._turns[name] = turn + 1
        shift = turn % len(addrs)
        return addrs[shift:] + addrs[:shift]

    def _system(self, name: str) -> list[str]:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit.expires > now:
                return hit.addrs
        future = self._pool.submit(self._lookup, name)
        try:
            addrs = future.result(timeout=self.timeout)
        except FutureTimeout:
            raise DnsError("timeout", name) from None
        except DnsError:
            raise
        except Exception:
            log.exception("system DNS lookup of %s failed", name)
            raise DnsError("internal", name) from None
        if self.ttl > 0:
            with self._lock:
                self._cache[name] = _Cached(list(addrs), self._clock() + self.ttl)
        return list(addrs)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def to_wit(addr: str) -> SimpleNamespace:
    """'10.0.0.5' -> ip-address record {octets, is-v6}."""
    ip = ipaddress.ip_address(addr)
    record = SimpleNamespace(octets=ip.packed)
    setattr(record, "is-v6", ip.version == 6)
    return record


class DnsShim(Shim):
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    @classmethod
    def from_config(cls, config: "WarpConfig", built: Mapping[str, Shim]) -> "DnsShim":
        dns = config.dns
        return cls(Resolver(dns.registry, dns.hosts, dns.ttl_seconds, dns.system_timeout_ms / 1000))

    def describe(self) -> str:
        return (
            f"name resolution: {len(self.resolver.registry)} registry names (*.warp.local), "
            f"{len(self.resolver.hosts)} hosts overrides, then system DNS (TTL {self.resolver.ttl:g}s)"
        )

    def define(self, instance: Any) -> None:
        instance.add_func("resolve", self._resolve)

    def _resolve(self, store: Any, hostname: str) -> list[SimpleNamespace] | str:
        try:
            return [to_wit(a) for a in self.resolver.resolve(hostname)]
        except DnsError as e:
            return e.code

    def close(self) -> None:
        self.resolver.close()
