"""Body round trips through the host: POST /echo of N bytes, request in and response out.

Bodies above 1 MiB cross in pieces (warpgrid:shim/http-body); below, in the http-handler records.
Each size is measured against the same route with an empty body in the same run (the fixed cost
of a request: instance, call, headers), so ``body cost = echo(N) - echo(0)``. Sizes alternate
within each round so machine noise hits all of them alike. Requests go through
``RequestDispatcher.handle`` (a fresh instance each, made on the request path), not over a socket.

    python benchmarks/body_round_trip.py COMPONENT... [--sizes 1024,65536,1048576] [--rounds 5]
        [--malloc-tuning]

``--malloc-tuning`` turns on ``fastbytes.keep_large_blocks_in_heap()`` first (see
docs/PERFORMANCE.md "Floor"). Bodies are printable ASCII (the hono echo answers ``text()``).
Prints a table and a final `RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from warpgrid._wasmtime_fast import fastbytes
from warpgrid.config import parse_config
from warpgrid.engine import WarpGridEngine
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.messages import HttpRequest

CONFIG = (
    "[shims]\ndatabase_proxy = true\n[limits]\nmemory_mb = 512\nrequest_timeout_ms = 120000\n"
    "[http]\nmax_body_bytes = {limit}\n"
)
DEFAULT_SIZES = [0, 1 << 10, 64 << 10, 1 << 20, (1 << 20) + 1, 4 << 20, 8 << 20]


def echo_ms(dispatcher: RequestDispatcher, body: bytes) -> float:
    request = HttpRequest("POST", "/echo", [("host", "bench"), ("content-type", "application/octet-stream")], body)
    start = time.perf_counter()
    response = dispatcher.handle(request)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200 or response.body != body:
        raise SystemExit(f"echo of {len(body)} bytes failed: {response.status} {response.body[:200]!r}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("components", type=Path, nargs="+")
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--malloc-tuning", action="store_true")
    args = p.parse_args()
    sizes = sorted({0, *(int(s) for s in args.sizes.split(","))})
    if args.malloc_tuning:
        fastbytes.keep_large_blocks_in_heap()
    bodies = {n: bytes(33 + b % 94 for b in os.urandom(n)) for n in sizes}
    results = []
    print(f"load average before: {os.getloadavg()[0]:.2f}; malloc tuning: {args.malloc_tuning}")
    for component in args.components:
        config = parse_config(CONFIG.format(limit=max(sizes)), source="body_round_trip")
        with tempfile.TemporaryDirectory() as cache, WarpGridEngine(config, cache_dir=cache) as engine:
            dispatcher = RequestDispatcher(engine, engine.load_component(component))
            echo_ms(dispatcher, bodies[sizes[-1]])  # compile-time and allocator warm-up
            times: dict[int, list[float]] = {n: [] for n in sizes}
            for _ in range(args.rounds):
                for n in sizes:
                    times[n].append(echo_ms(dispatcher, bodies[n]))
            dispatcher.close()
        base = statistics.median(times[0])
        print(f"\n{component}  (empty body: p50 {base:.2f} ms)")
        print(f"{'bytes':>10} {'p50 ms':>9} {'min ms':>9} {'body cost p50 ms':>17} {'MiB/s':>8}")
        for n in sizes:
            p50 = statistics.median(times[n])
            cost = p50 - base
            rate = (n / (1 << 20)) / (cost / 1000) if n and cost > 0 else 0.0
            print(f"{n:>10} {p50:>9.2f} {min(times[n]):>9.2f} {cost:>17.2f} {rate:>8.1f}")
            results.append({"component": str(component), "bytes": n, "p50_ms": round(p50, 3),
                            "min_ms": round(min(times[n]), 3), "body_cost_p50_ms": round(cost, 3)})
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    print("RESULT " + json.dumps({"malloc_tuning": args.malloc_tuning, "rows": results}))


if __name__ == "__main__":
    main()
