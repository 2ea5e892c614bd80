"""The async HTTP trigger: many keep-alive connections, one event loop, fresh instance each."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from warpgrid.aio.engine import AsyncWarpGridEngine
from warpgrid.aio.server import AsyncHttpTrigger


@pytest.fixture
def engine(make_config, tmp_path):
    eng = AsyncWarpGridEngine(make_config(), cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


async def fetch(port: int, requests: list[bytes]) -> list[tuple[int, bytes]]:
    """Sends `requests` one after another on one keep-alive connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out = []
    try:
        for raw in requests:
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            status = int(lines[0].split()[1])
            length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length"))
            out.append((status, await reader.readexactly(length)))
    finally:
        writer.close()
    return out


def request(method: str, path: str, body: bytes = b"") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nhost: t\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


def test_many_connections_in_flight_on_one_thread(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)

    async def scenario():
        trigger = await AsyncHttpTrigger(engine, loaded, "127.0.0.1:0").start()
        threads = threading.active_count()
        started = time.monotonic()
        results = await asyncio.gather(*(
            fetch(trigger.port, [request("GET", "/sleep/250"), request("POST", "/sql", b"SELECT 6 * 7")])
            for _ in range(24)))
        elapsed = time.monotonic() - started
        peak_threads = threading.active_count()
        await trigger.shutdown()
        return results, elapsed, threads, peak_threads

    results, elapsed, threads, peak_threads = asyncio.run(scenario())
    assert all(r == [(200, b"slept 250"), (200, b"42\n")] for r in results)
    # Requests overlapped on the loop (pool-size 4 bounds the database waits, not the guests).
    assert engine.peak_in_flight >= 8
    assert peak_threads <= threads + 8


def test_guest_faults_become_5xx_and_the_server_keeps_serving(engine, db_http_guest):
    loaded = engine.load_component(db_http_guest)

    async def scenario():
        trigger = await AsyncHttpTrigger(engine, loaded, "127.0.0.1:0").start()
        out = await fetch(trigger.port, [request("GET", "/trap"), request("GET", "/nowhere"),
                                         request("POST", "/sql", b"SELECT 1")])
        await trigger.shutdown()
        return out

    (trap, missing, ok) = asyncio.run(scenario())
    assert trap[0] == 500 and b"error_id" in trap[1]
    assert missing == (404, b"not found")
    assert ok == (200, b"1\n")
