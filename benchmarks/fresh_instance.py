"""Fresh instance per request vs a warm instance, through the host (run on demand, never in CI).

Three ways to answer the same request, in rounds so machine noise hits all of them alike:

- ``warm``: one instance reused for every call (what isolation forbids; the floor);
- ``fresh``: ``RequestDispatcher`` with ``ready_instances = 0``: instantiate on the request path;
- ``ready``: ``RequestDispatcher`` with ``ready_instances = N``: instances made ahead by the
  background thread, each used once (what `warpgrid serve` does by default).

Requests are sent one at a time; ``--gap-ms`` paces them (an arrival rate below capacity, the
case the ready queue is for; back to back, the refill competes with the requests for the CPU).

    python benchmarks/fresh_instance.py app.wasm [--path /] [--requests 100] [--rounds 3] [--gap-ms 20]

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

from warpgrid.config import parse_config
from warpgrid.engine import WarpGridEngine
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.messages import HttpRequest

CONFIG = "[shims]\ndatabase_proxy = true\n[limits]\nmemory_mb = 256\nrequest_timeout_ms = 30000\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("component", type=Path)
    p.add_argument("--path", default="/")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--ready", type=int, default=2)
    p.add_argument("--gap-ms", type=float, default=20.0)
    p.add_argument("--warmup", help="warm-up request for ready instances, e.g. 'GET /api/info'")
    args = p.parse_args()
    request = HttpRequest("GET", args.path, [("host", "bench")])
    times: dict[str, list[float]] = {"warm": [], "fresh": [], "ready": []}
    with tempfile.TemporaryDirectory() as cache, WarpGridEngine(parse_config(CONFIG), cache_dir=cache) as engine:
        loaded = engine.load_component(args.component)
        fresh = RequestDispatcher(engine, loaded, 0)
        warmup = None
        if args.warmup:
            method, path = args.warmup.split(" ", 1)
            warmup = HttpRequest(method, path, [("host", "bench")])
        ready = RequestDispatcher(engine, loaded, args.ready, warmup)
        warm = engine.instantiate(loaded)
        try:
            assert warm.call_handler(request).status == 200
            for _ in range(args.rounds):
                for name in ("warm", "fresh", "ready"):
                    for _ in range(args.requests):
                        time.sleep(args.gap_ms / 1000)
                        t0 = time.perf_counter()
                        status = warm.call_handler(request).status if name == "warm" else (
                            fresh if name == "fresh" else ready).handle(request).status
                        times[name].append((time.perf_counter() - t0) * 1000)
                        assert status == 200, (name, status)
        finally:
            warm.close()
            ready.close()
            fresh.close()
    rows = {}
    for name, values in times.items():
        rows[name] = {"p50_ms": round(statistics.median(values), 3), "p99_ms": round(percentile(values, 0.99), 3),
                      "mean_ms": round(statistics.fmean(values), 3), "n": len(values)}
        print(f"{name:<6} p50 {rows[name]['p50_ms']:>8.3f} ms  p99 {rows[name]['p99_ms']:>8.3f} ms  mean {rows[name]['mean_ms']:>8.3f} ms")
    ratios = {k: round(rows[k]["p50_ms"] / rows["warm"]["p50_ms"], 2) for k in ("fresh", "ready")}
    print(f"p50 vs warm: fresh {ratios['fresh']}x, ready {ratios['ready']}x (load {os.getloadavg()[0]:.1f})")
    print("RESULT " + json.dumps({"component": str(args.component), "path": args.path, "gap_ms": args.gap_ms,
                                  "warmup": args.warmup,
                                  "rows": rows, "p50_vs_warm": ratios, "load": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
