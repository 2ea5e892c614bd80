"""Database-proxy benchmark: pg8000 through the WarpGrid proxy vs pg8000 direct, same server, one run.

Starts its own PostgreSQL 15 on 127.0.0.1 (temp dir, free port, SCRAM auth) and measures
side by side, interleaved in rounds so drift hits both sides equally:

* simple-query throughput and p50/p99 latency of `SELECT 1` (one driver connection each);
* connect + first query: a pooled proxy connection (host answers the startup, warm TCP
  and server session) vs a fresh authenticated connection (TCP + SCRAM + backend fork).
  A sample starts when the previous one has finished, including the fresh backend's exit.

Both sides pass ssl_context=False to pg8000: otherwise pg8000 builds a default TLS context
(~35 ms of CA loading) on every connect, which has nothing to do with the proxy.

Prints human-readable lines and, last, `RESULT {json}` with direct_qps, proxied_qps,
pooled_connect_ms, fresh_connect_ms and the p50/p99 figures.

Usage: python benchmarks/dbproxy.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# Run from a checkout without installing: make src/python importable.
_SRC = Path(__file__).resolve().parent.parent / "src" / "python"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

import pg8000.native  # noqa: E402

from warpgrid_testing import localservers  # noqa: E402
from warpgrid_testing.proxysocket import ProxySocket  # noqa: E402
from warpgrid.shims.database.config import DatabaseConfig  # noqa: E402
from warpgrid.shims.database.handles import HandleTable  # noqa: E402
from warpgrid.shims.database.proxy import DatabaseProxy  # noqa: E402

USER, PASSWORD = "bench", "bench-" + os.urandom(4).hex()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def pin_together(backend_pids: list[int]) -> int | None:
    """Pin this process and both server backends to the CPU we run on.

    On a small VM a client/backend pair on different CPUs pays a cross-CPU wakeup per round
    trip (measured here: ~40 us same CPU vs ~95 us split), and the scheduler decides that
    at random per connection, so one side could be handicapped for a whole run. Pinning
    gives direct and proxied the same placement. Needs permission over the backends (root
    or the postgres user); otherwise the run is unpinned and says so.
    """
    # The CPU we are on now (field 39 of /proc/self/stat; os.sched_getcpu is 3.13+).
    cpu = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[36])
    try:
        for pid in [0, *backend_pids]:
            os.sched_setaffinity(pid, {cpu})
    except OSError as exc:
        print(f"note: not pinned ({exc}); placement noise may favour either side")
        return None
    return cpu


def wait_exited(pid: int, timeout: float = 1.0) -> None:
    """Wait until server process `pid` has exited and been reaped (Linux /proc), bounded.

    Used between connect samples instead of a fixed pause: a fixed 10 ms idle let other
    processes on this shared machine evict our caches, which added ~0.2-0.3 ms of cold-cache
    cost to every sample (a `SELECT 1` on an already-open direct connection: 0.30 ms after a
    10 ms pause vs 0.04 ms back to back), measuring the machine rather than the connect path.
    """
    path = f"/proc/{pid}"
    deadline = time.perf_counter() + timeout
    while os.path.exists(path) and time.perf_counter() < deadline:
        time.sleep(0.0002)


def query_round(conn: pg8000.native.Connection, n: int) -> tuple[float, list[float]]:
    """n sequential `SELECT 1`; returns elapsed seconds and per-query latencies."""
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        conn.run("SELECT 1")
        lat.append(time.perf_counter() - s)
    return time.perf_counter() - t0, lat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations (well under a minute)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin this process and the two server backends to one CPU")
    args = ap.parse_args()
    # Many short interleaved rounds: load bursts from other processes hit both sides alike.
    rounds, per_round, connects = (30, 100, 60) if args.quick else (300, 100, 300)

    t_start = time.perf_counter()
    server = localservers.postgres({USER: PASSWORD}, tls=False)
    os.environ["WG_BENCH_PG_PASSWORD"] = PASSWORD
    proxy = DatabaseProxy(DatabaseConfig.model_validate({"endpoints": {"bench": {
        "protocol": "postgres", "host": "127.0.0.1", "port": server.port, "database": "app",
        "user": USER, "password_env": "WG_BENCH_PG_PASSWORD"}}}))
    handles = HandleTable()
    try:
        def proxied_connect() -> pg8000.native.Connection:
            sock = ProxySocket.connect(proxy, handles, "postgres", "127.0.0.1", server.port, "app")
            return pg8000.native.Connection("guest", sock=sock, ssl_context=False)

        def direct_connect() -> pg8000.native.Connection:
            return pg8000.native.Connection(USER, password=PASSWORD, host="127.0.0.1", port=server.port,
                                            database="app", ssl_context=False)

        # -- throughput / latency, interleaved rounds ------------------------------------------
        direct, proxied = direct_connect(), proxied_connect()
        pinned = None if args.no_pin else pin_together(
            [direct.run("SELECT pg_backend_pid()")[0][0], proxied.run("SELECT pg_backend_pid()")[0][0]])
        query_round(direct, 200)  # warm both paths
        query_round(proxied, 200)
        d_qps: list[float] = []
        p_qps: list[float] = []
        d_lat: list[float] = []
        p_lat: list[float] = []
        for _ in range(rounds):
            t, lat = query_round(direct, per_round)
            d_qps.append(per_round / t)
            d_lat += lat
            t, lat = query_round(proxied, per_round)
            p_qps.append(per_round / t)
            p_lat += lat
        direct.close()
        proxied.close()
        total = rounds * per_round

        # -- connect + first query -----------------------------------------------------------------
        fresh_ms: list[float] = []
        pooled_ms: list[float] = []
        close_ms: list[float] = []
        proxied_connect().close()  # the pool holds one warm connection
        for _ in range(connects):
            # Each sample starts once the previous one has left nothing running: the pooled
            # close below is synchronous (its reset has completed), and after a fresh close
            # we wait for that backend's exit, which would otherwise land in the next sample.
            s = time.perf_counter()
            c = direct_connect()
            c.run("SELECT 1")
            fresh_ms.append((time.perf_counter() - s) * 1000)
            backend = c.run("SELECT pg_backend_pid()")[0][0]  # untimed
            c.close()
            wait_exited(backend)
            s = time.perf_counter()
            c = proxied_connect()
            c.run("SELECT 1")
            pooled_ms.append((time.perf_counter() - s) * 1000)
            s = time.perf_counter()
            c.close()  # Terminate + DISCARD ALL on the host before the connection is pooled again
            close_ms.append((time.perf_counter() - s) * 1000)
        metrics = proxy.format_metrics()
    finally:
        proxy.shutdown(timeout=2)
        server.destroy()

    result = {
        # Median over rounds: a load burst from another process spoils a few rounds, not the figure.
        "direct_qps": round(statistics.median(d_qps), 1),
        "proxied_qps": round(statistics.median(p_qps), 1),
        "direct_p50_ms": round(percentile(d_lat, 0.50) * 1000, 4),
        "direct_p99_ms": round(percentile(d_lat, 0.99) * 1000, 4),
        "proxied_p50_ms": round(percentile(p_lat, 0.50) * 1000, 4),
        "proxied_p99_ms": round(percentile(p_lat, 0.99) * 1000, 4),
        "pooled_connect_ms": round(statistics.median(pooled_ms), 4),
        "fresh_connect_ms": round(statistics.median(fresh_ms), 4),
        "pooled_close_ms": round(statistics.median(close_ms), 4),
        "queries": total,
        "connects": connects,
        "seconds": round(time.perf_counter() - t_start, 1),
        "pinned_cpu": pinned,
    }
    print(f"simple query SELECT 1, {total} each: direct {result['direct_qps']} q/s "
          f"(p50 {result['direct_p50_ms']} ms, p99 {result['direct_p99_ms']} ms), proxied "
          f"{result['proxied_qps']} q/s (p50 {result['proxied_p50_ms']} ms, p99 {result['proxied_p99_ms']} ms): "
          f"{result['proxied_qps'] / result['direct_qps']:.0%} of direct")
    print(f"connect + first query, median of {connects}: pooled {result['pooled_connect_ms']} ms, "
          f"fresh SCRAM {result['fresh_connect_ms']} ms: "
          f"{result['fresh_connect_ms'] / result['pooled_connect_ms']:.1f}x "
          f"(pooled close with reset: {result['pooled_close_ms']} ms)")
    print(f"pool: {metrics}")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
