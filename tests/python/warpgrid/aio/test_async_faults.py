"""CPU-bound faults on the async host, with the threaded host's C test guest (tests/guests/c:
http_service): an endless loop is stopped by its deadline, an allocation storm by the memory
limit, and neither affects the requests running beside it on the same event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from warpgrid.aio.engine import AsyncWarpGridEngine
from warpgrid.config import WarpConfig
from warpgrid.guest import HttpRequest


@pytest.fixture
def engine(tmp_path):
    config = WarpConfig.model_validate({"limits": {"request_timeout_ms": 300, "memory_mb": 16}})
    eng = AsyncWarpGridEngine(config, cache_dir=tmp_path / "cache")
    yield eng
    eng.close()


def test_loop_alloc_and_echo_side_by_side(engine, http_guest):
    loaded = engine.load_component(http_guest)

    async def scenario():
        started = time.monotonic()
        responses = await asyncio.gather(
            engine.handle(loaded, HttpRequest("GET", "/loop", [], b"")),
            engine.handle(loaded, HttpRequest("GET", "/alloc", [], b"")),
            engine.handle(loaded, HttpRequest("POST", "/echo", [("x-a", "1")], b"body")))
        return responses, time.monotonic() - started

    (loop, alloc, echo), elapsed = asyncio.run(scenario())
    assert loop.status == 504 and b'"kind": "timeout"' in loop.body
    assert alloc.status == 500 and b'"kind": "trap"' in alloc.body
    assert echo.status == 200 and echo.body == b"POST /echo\nbody"
    assert ("x-echo-x-a", "1") in echo.headers
    assert elapsed < 5, elapsed  # the loop was stopped near its 300 ms deadline
    assert (engine.served, engine.faults) == (1, 2)


def test_a_spinning_guest_does_not_hold_the_event_loop(engine, http_guest):
    """Time slicing: the loop guest yields every epoch tick, so a quick request beside it is
    answered while the loop still runs, and the loop still ends at its deadline."""
    loaded = engine.load_component(http_guest)

    async def timed(request):
        started = time.monotonic()
        response = await engine.handle(loaded, request)
        return response, time.monotonic() - started

    async def scenario():
        spin = asyncio.ensure_future(timed(HttpRequest("GET", "/loop", [], b"")))
        await asyncio.sleep(0.05)  # the loop guest is running now
        quick = await engine.handle(loaded, HttpRequest("GET", "/quick", [], b""))
        spin_was_running = not spin.done()
        return await spin, quick, spin_was_running

    (spin, spin_s), quick, spin_was_running = asyncio.run(scenario())
    assert quick.status == 200 and spin_was_running  # answered while the loop guest still ran
    assert spin.status == 504 and 0.25 < spin_s < 2, spin_s


def test_without_time_slicing_the_epoch_deadline_traps(tmp_path, http_guest):
    config = WarpConfig.model_validate({"limits": {"request_timeout_ms": 200}})
    with AsyncWarpGridEngine(config, cache_dir=tmp_path / "c", time_slice_ticks=0) as eng:
        loaded = eng.load_component(http_guest)
        response = asyncio.run(eng.handle(loaded, HttpRequest("GET", "/loop", [], b"")))
    assert response.status == 504 and b'"kind": "timeout"' in response.body
