"""Async host vs thread-per-request host on a database-bound route, one run.

Starts its own PostgreSQL 15 on 127.0.0.1 (temp dir, free port, SCRAM auth), then for each host:
`python -m warpgrid serve` (threaded: one OS thread per connection, held for the whole request)
and `python -m warpgrid.aio serve` (one asyncio loop; guests on wasmtime fibers, parked while
their database recv waits). Both serve the same C guest (tests/guests/aio:db_http) with the same
warp.toml (database-proxy pool of --pool connections) and get the same load: --concurrency
keep-alive connections, each sending `GET /sleep/50` (`SELECT pg_sleep(0.05)` through the proxy)
back to back for --seconds after a --warmup. The load generator is a separate process (asyncio,
raw HTTP/1.1). While the load runs, the server's VmRSS and Threads are sampled from
/proc/<pid>/status every 0.2 s, and its CPU time (utime + stime, /proc/<pid>/stat) over the
measured window gives CPU ms per request: on a shared, loaded machine req/s depends on the CPU
share the scheduler grants (per thread), CPU per request does not.

Prints a table and, last, `RESULT {json}`.

Usage: python benchmarks/async_dbproxy.py [--component dist/tests.guests.aio/db_http.wasm]
       [--concurrency 64] [--seconds 15] [--warmup 3] [--pool 48] [--sleep-ms 50]
(`./pants package tests/guests/aio:db_http` builds the component.) Hosts: threaded, async,
async-pooling (the async host with `--pooling 256`), async-2w (two async worker processes on
one port, each with half the pool); pick with --hosts. RSS, threads and CPU count the server
process and its children.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_SRC = _ROOT / "src" / "python"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from warpgrid_testing import localservers  # noqa: E402

PASSWORD = "bench-Secret-1"
HOSTS = {
    "threaded": ["-m", "warpgrid", "serve"],
    "async": ["-m", "warpgrid.aio", "serve"],
    # The same async host with wasmtime's pooling instance allocator (warm slots, fiber stacks
    # and copy-on-write memory images reused across the per-request instances).
    "async-pooling": ["-m", "warpgrid.aio", "serve", "--pooling", "256"],
    # Two async worker processes on one port (SO_REUSEPORT), each with half the pool: one
    # event loop uses one core, the threaded host's ctypes calls spread over all of them.
    "async-2w": ["-m", "warpgrid.aio", "serve", "--workers", "2"],
}
POOL_DIVISOR = {"async-2w": 2}  # per-process pools: the same total connections for every host


# -- load generator (runs in its own process) ------------------------------------------------------

async def _client(port: int, path: str, stop_at: float, record_from: float, latencies: list, errors: list) -> None:
    """One keep-alive connection sending `path` back to back; a refused or reset connection
    counts as an error and is reopened (the threaded host's listen backlog is small)."""
    request = f"GET {path} HTTP/1.1\r\nhost: bench\r\n\r\n".encode()
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            errors.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
            continue
        try:
            while time.monotonic() < stop_at:
                started = time.monotonic()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                ended = time.monotonic()
                if started >= record_from and ended <= stop_at:
                    (latencies if status == 200 else errors).append(ended - started)
        except (OSError, asyncio.IncompleteReadError):
            if started >= record_from:
                errors.append(time.monotonic() - started)
        finally:
            writer.close()


def _load(port: int, path: str, concurrency: int, warmup: float, seconds: float, out) -> None:
    async def main():
        now = time.monotonic()
        record_from, stop_at = now + warmup, now + warmup + seconds
        latencies: list = []
        errors: list = []
        await asyncio.gather(*(_client(port, path, stop_at, record_from, latencies, errors)
                               for _ in range(concurrency)))
        return latencies, errors

    latencies, errors = asyncio.run(main())
    out.put((latencies, len(errors)))


# -- server side ---------------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (worker processes of `--workers`)."""
    pids = [pid]
    for p in pids:
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    pids.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def _proc_status(pid: int) -> tuple[int, int]:
    """(VmRSS in KiB, Threads) summed over `pid` and its descendants."""
    rss = threads = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads += int(line.split()[1])
        except OSError:
            pass
    return rss, threads


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its descendants (all threads), from /proc/<pid>/stat."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _warp_toml(directory: Path, pg_port: int, pool: int) -> Path:
    path = directory / f"warp-{pool}.toml"
    path.write_text(f"""
[shims]
database_proxy = true
[limits]
request_timeout_ms = 30000
[env]
WG_DB_HOST = "127.0.0.1"
WG_DB_PORT = "{pg_port}"
WG_DB_NAME = "app"
[database]
pool_size = {pool}
checkout_timeout = 30.0
[database.endpoints.app]
protocol = "postgres"
host = "127.0.0.1"
port = {pg_port}
database = "app"
user = "appuser"
password_env = "WG_BENCH_PG_PW"
""")
    return path


def _start_server(kind: str, component: Path, config: Path, cache_dir: Path) -> tuple[subprocess.Popen, int]:
    port = localservers.free_port()
    argv = [sys.executable, *HOSTS[kind], str(component), "--config", str(config), "--listen", f"127.0.0.1:{port}"]
    argv += ["--cache-dir", str(cache_dir)] if kind == "threaded" else []
    env = {**os.environ, "WG_BENCH_PG_PW": PASSWORD, "PYTHONPATH": str(_SRC)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{kind} host exited before serving (exit code {proc.wait()})")
        if line.startswith("Serving"):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, port
    proc.kill()
    raise RuntimeError(f"{kind} host did not start within 120 s")


def measure(kind: str, component: Path, config: Path, cache_dir: Path, args: argparse.Namespace) -> dict:
    proc, port = _start_server(kind, component, config, cache_dir)
    try:
        idle_rss, idle_threads = _proc_status(proc.pid)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        loader = ctx.Process(target=_load, args=(port, f"/sleep/{args.sleep_ms}", args.concurrency,
                                                 args.warmup, args.seconds, out))
        loader.start()
        samples = []
        time.sleep(args.warmup)
        cpu_start = _cpu_seconds(proc.pid)
        stop = time.monotonic() + args.seconds
        while time.monotonic() < stop:
            samples.append(_proc_status(proc.pid))
            time.sleep(0.2)
        cpu = _cpu_seconds(proc.pid) - cpu_start
        latencies, errors = out.get(timeout=args.seconds + 120)
        loader.join()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    rss = [s[0] for s in samples]
    threads = [s[1] for s in samples]
    return {
        "host": kind, "pool_per_process": args.pool // POOL_DIVISOR.get(kind, 1), "requests": len(latencies), "errors": errors,
        "req_per_s": round(len(latencies) / args.seconds, 1),
        "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
        "idle_rss_mib": round(idle_rss / 1024, 1), "peak_rss_mib": round(max(rss) / 1024, 1),
        "mean_rss_mib": round(statistics.mean(rss) / 1024, 1),
        "server_cpu_s": round(cpu, 2),
        "cpu_ms_per_request": round(cpu * 1000 / max(1, len(latencies)), 2),
        "idle_threads": idle_threads, "peak_threads": max(threads), "mean_threads": round(statistics.mean(threads), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--component", type=Path, default=_ROOT / "dist" / "tests.guests.aio" / "db_http.wasm")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--pool", type=int, default=48, help="database-proxy pool_size (server max_connections is 60)")
    parser.add_argument("--sleep-ms", type=int, default=50)
    parser.add_argument("--hosts", default="threaded,async,async-pooling,async-2w")
    args = parser.parse_args()
    if not args.component.is_file():
        print(f"error: {args.component} not found: run `./pants package tests/guests/aio:db_http`", file=sys.stderr)
        return 2
    server = localservers.postgres({"appuser": PASSWORD}, tls=False)
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="wg-async-bench-") as tmp:
            for kind in args.hosts.split(","):
                config = _warp_toml(Path(tmp), server.port, args.pool // POOL_DIVISOR.get(kind, 1))
                r = measure(kind, args.component, config, Path(tmp) / "cache", args)
                results.append(r)
                print(f"{kind:9s} {r['req_per_s']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
                      f"errors {r['errors']}  RSS idle/peak {r['idle_rss_mib']}/{r['peak_rss_mib']} MiB  "
                      f"threads idle/peak {r['idle_threads']}/{r['peak_threads']}  "
                  f"server CPU {r['cpu_ms_per_request']} ms/req", flush=True)
    finally:
        server.destroy()
    summary = {"concurrency": args.concurrency, "seconds": args.seconds, "pool_size": args.pool,
               "route": f"GET /sleep/{args.sleep_ms} (SELECT pg_sleep({args.sleep_ms / 1000}))",
               "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()], "hosts": results}
    base = next((r for r in results if r["host"] == "threaded"), None)
    if base and base["req_per_s"]:
        summary["throughput_ratio_vs_threaded"] = {
            r["host"]: round(r["req_per_s"] / base["req_per_s"], 2) for r in results if r is not base}
    print("RESULT " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
