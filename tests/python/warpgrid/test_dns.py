"""DNS chain order, round-robin, TTL expiry and error mapping (Resolver + real guest)."""

import threading

import pytest

from support import run_cli_guest

from warpgrid.shims.dns import DnsError, Resolver, system_lookup

REGISTRY = {"api.prod.warp.local": ["10.0.0.5", "10.0.0.6", "10.0.0.7"], "shadow.ns.warp.local": ["10.9.9.9"]}
HOSTS = {"db.internal": ["192.168.1.10"], "shadow.ns.warp.local": ["192.168.9.9"], "localhost": ["10.1.1.1"]}


class FakeClock:
    """The TTL clock is injected so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLookup:
    """Counts calls to the real host resolver (it still answers)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, name: str) -> list[str]:
        self.calls.append(name)
        return system_lookup(name)


def test_chain_order_registry_then_hosts_then_system() -> None:
    lookup = CountingLookup()
    resolver = Resolver(REGISTRY, HOSTS, ttl_seconds=30, lookup=lookup)
    assert resolver.resolve("shadow.ns.warp.local") == ["10.9.9.9"]  # registry beats hosts
    assert resolver.resolve("localhost") == ["10.1.1.1"]  # hosts beats system
    assert resolver.resolve("db.internal") == ["192.168.1.10"]
    assert lookup.calls == []
    no_override = Resolver({}, {}, ttl_seconds=30, lookup=lookup)
    assert "127.0.0.1" in no_override.resolve("localhost")  # the host's own resolver
    assert lookup.calls == ["localhost"]


def test_names_are_case_and_trailing_dot_insensitive() -> None:
    resolver = Resolver(REGISTRY, HOSTS, ttl_seconds=30)
    assert resolver.resolve("DB.Internal.") == ["192.168.1.10"]


def test_round_robin_rotates_per_call() -> None:
    resolver = Resolver(REGISTRY, HOSTS, ttl_seconds=30)
    answers = [resolver.resolve("api.prod.warp.local") for _ in range(4)]
    assert answers == [
        ["10.0.0.5", "10.0.0.6", "10.0.0.7"],
        ["10.0.0.6", "10.0.0.7", "10.0.0.5"],
        ["10.0.0.7", "10.0.0.5", "10.0.0.6"],
        ["10.0.0.5", "10.0.0.6", "10.0.0.7"],
    ]


def test_system_answers_are_cached_until_ttl_expires() -> None:
    clock, lookup = FakeClock(), CountingLookup()
    resolver = Resolver({}, {}, ttl_seconds=10, lookup=lookup, clock=clock)
    resolver.resolve("localhost")
    clock.now += 9.9
    resolver.resolve("localhost")
    assert lookup.calls == ["localhost"]
    clock.now += 0.2
    resolver.resolve("localhost")
    assert lookup.calls == ["localhost", "localhost"]


def test_ttl_zero_disables_the_cache() -> None:
    lookup = CountingLookup()
    resolver = Resolver({}, {}, ttl_seconds=0, lookup=lookup)
    resolver.resolve("localhost")
    resolver.resolve("localhost")
    assert lookup.calls == ["localhost", "localhost"]


def test_unknown_name_is_not_found() -> None:
    resolver = Resolver({}, {}, ttl_seconds=30)
    with pytest.raises(DnsError) as err:
        resolver.resolve("no-such-host.invalid")
    assert err.value.code == "not-found"


def test_unanswered_system_lookup_is_timeout() -> None:
    # A resolver that never answers cannot be produced on this machine; a lookup that blocks
    # stands in for it.
    release = threading.Event()
    resolver = Resolver({}, {}, ttl_seconds=30, timeout_seconds=0.05, lookup=lambda name: release.wait(5) and [])
    try:
        with pytest.raises(DnsError) as err:
            resolver.resolve("slow.example")
        assert err.value.code == "timeout"
    finally:
        release.set()
        resolver.close()


def test_unexpected_lookup_failure_is_internal() -> None:
    def broken(name: str) -> list[str]:
        raise OSError("resolver exploded")

    with pytest.raises(DnsError) as err:
        Resolver({}, {}, ttl_seconds=30, lookup=broken).resolve("x.example")
    assert err.value.code == "internal"


def test_guest_resolves_through_the_chain_with_rotation(make_engine, cli_guest) -> None:
    engine = make_engine(
        '[dns]\nregistry = { "api.prod.warp.local" = ["10.0.0.5", "fd00::1"] }\n'
        'hosts = { "db.internal" = ["192.168.1.10"] }\n'
    )
    code, out = run_cli_guest(
        engine, cli_guest,
        "dns", "api.prod.warp.local", "dns", "api.prod.warp.local", "dns", "db.internal",
        "dns", "localhost", "dns", "no-such-host.invalid",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "dns api.prod.warp.local 10.0.0.5 v6:fd000000000000000000000000000001",
        "dns api.prod.warp.local v6:fd000000000000000000000000000001 10.0.0.5",
        "dns db.internal 192.168.1.10",
    ]
    assert lines[3].startswith("dns localhost 127.0.0.1")  # system resolver, IPv4 first
    assert lines[4] == "dns no-such-host.invalid error not-found"


def test_database_proxy_resolves_with_the_engine_dns_resolver() -> None:
    """One resolver per engine: the database shim gets the DNS shim's, not a second chain."""
    from warpgrid.config import parse_config
    from warpgrid.shims import build_shims

    shims = {s.name: s for s in build_shims(parse_config("[shims]\ndatabase_proxy = true\n"))}
    try:
        assert shims["database_proxy"].proxy.resolver == shims["dns"].resolver.resolve
    finally:
        for s in shims.values():
            s.close()
