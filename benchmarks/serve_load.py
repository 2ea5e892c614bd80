"""Load and soak runs of `warpgrid serve` with wrk (run on demand, never in CI).

Starts `python -m warpgrid serve COMPONENT --workers N` on a free loopback port, then either

- ``throughput``: wrk at each concurrency (default 1, 8, 64) for ``--seconds`` after a short
  warm-up, reporting req/s, p50/p99 latency, errors and the server's RSS (all its processes);
- ``workers``: wrk at one concurrency (default 8) against ``--workers 1`` and ``--workers 2``
  servers started in turn, alternating for ``--rounds`` rounds so machine noise hits both alike;
  reports each run, the median req/s of each and their ratio (the issue's goal: >= 1.7x on 2
  cores), with the load average before and after;
- ``soak``: wrk at one concurrency for ``--seconds`` while the RSS of the server's processes is
  sampled every ``--sample`` seconds; reports the growth after the warm-up (the first minute)
  and wrk's errors and non-2xx answers.

    python benchmarks/serve_load.py throughput COMPONENT [--config warp.toml] [--workers 2]
    python benchmarks/serve_load.py workers COMPONENT [--config warp.toml] [--concurrency 8] [--rounds 3]
    python benchmarks/serve_load.py soak COMPONENT --seconds 600 --connections 16 --csv soak.csv

Needs `wrk` on PATH (Debian package wrk). Prints a table and a final `RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def start_announced(cmd: list[str], announce: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start a server whose first stdout line is `announce` (a regex with the URL as group 1)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    match = re.fullmatch(announce, line)
    if not match:
        proc.kill()
        raise SystemExit(f"{cmd[0]} did not start: {line!r}")
    return proc, match.group(1)


def start_server(component: Path, config: Path | None, workers: int) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "warpgrid", "serve", str(component), "--listen", "127.0.0.1:0", "--workers", str(workers)]
    if config:
        cmd += ["--config", str(config)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return start_announced(cmd, r"Serving (http://\S+)", env)


def tree_rss_kib(pid: int) -> int:
    """RSS of ``pid`` and its children (the workers), from /proc."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def wrk(url: str, connections: int, seconds: int, path: str) -> dict[str, float]:
    threads = max(1, min(connections, 2))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url + path],
        capture_output=True, text=True, check=True,
    ).stdout
    result: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", out)
        result[f"p{pct}_ms"] = float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(x) for x in errors.groups()) if errors else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return result


def throughput(args: argparse.Namespace) -> dict[str, object]:
    proc, url = start_server(args.component, args.config, args.workers)
    rows = []
    try:
        wrk(url, 4, 2, args.path)  # warm-up: compiled cache, first instances
        for c in args.concurrency:
            r = wrk(url, c, args.seconds, args.path)
            r.update(connections=c, rss_mib=round(tree_rss_kib(proc.pid) / 1024, 1))
            rows.append(r)
            print(f"c={c:<3} {r['rps']:>9.1f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
                  f"errors {r['socket_errors']:.0f}  non-2xx {r['non_2xx']:.0f}  RSS {r['rss_mib']} MiB", flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    return {"mode": "throughput", "workers": args.workers, "path": args.path, "load": os.getloadavg()[0], "rows": rows}


def workers(args: argparse.Namespace) -> dict[str, object]:
    c = args.concurrency[0]
    load_before = os.getloadavg()
    runs: list[dict[str, object]] = []
    for rnd in range(args.rounds):
        for n in (1, 2):
            proc, url = start_server(args.component, args.config, n)
            try:
                wrk(url, c, 2, args.path)  # warm-up: compiled cache, ready instances in every worker
                r = wrk(url, c, args.seconds, args.path)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            r.update(round=rnd, workers=n, load=os.getloadavg()[0])
            runs.append(r)
            print(f"round {rnd} workers={n} c={c}: {r['rps']:>9.1f} req/s  p50 {r['p50_ms']:.2f} ms  "
                  f"p99 {r['p99_ms']:.2f} ms  errors {r['socket_errors']:.0f}  load {r['load']:.1f}", flush=True)
    median = {n: statistics.median(float(r["rps"]) for r in runs if r["workers"] == n) for n in (1, 2)}  # type: ignore[arg-type]
    ratio = median[2] / median[1]
    load_after = os.getloadavg()
    print(f"median req/s: 1 worker {median[1]:.1f}, 2 workers {median[2]:.1f}: ratio {ratio:.2f}x "
          f"(goal >= 1.7x on 2 cores); load average before {load_before[0]:.1f}, after {load_after[0]:.1f}, "
          f"cores {os.cpu_count()}")
    return {"mode": "workers", "connections": c, "path": args.path, "runs": runs, "median_rps": median,
            "ratio": round(ratio, 3), "load_before": load_before, "load_after": load_after, "cores": os.cpu_count()}


def soak(args: argparse.Namespace) -> dict[str, object]:
    proc, url = start_server(args.component, args.config, args.workers)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            samples.append((round(time.monotonic() - started, 1), tree_rss_kib(proc.pid)))
            stop.wait(args.sample)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        r = wrk(url, args.connections, args.seconds, args.path)
    finally:
        stop.set()
        sampler.join()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    samples.append((round(time.monotonic() - started, 1), samples[-1][1]))
    warm = [kib for t, kib in samples if t >= args.warmup] or [samples[-1][1]]
    growth = (max(warm) - warm[0]) / warm[0] * 100
    if args.csv:
        Path(args.csv).write_text("seconds,rss_kib\n" + "".join(f"{t},{kib}\n" for t, kib in samples))
    print(f"soak c={args.connections} {args.seconds}s: {r['requests']:.0f} requests ({r['rps']:.1f} req/s), "
          f"socket errors {r['socket_errors']:.0f}, non-2xx {r['non_2xx']:.0f}; RSS after warm-up "
          f"{warm[0] / 1024:.1f} -> max {max(warm) / 1024:.1f} MiB ({growth:+.1f} %)")
    return {"mode": "soak", "workers": args.workers, "connections": args.connections, "seconds": args.seconds,
            "wrk": r, "rss_start_kib": warm[0], "rss_max_kib": max(warm), "growth_percent": round(growth, 2),
            "samples": samples, "load": os.getloadavg()[0]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["throughput", "workers", "soak"])
    p.add_argument("component", type=Path)
    p.add_argument("--config", type=Path)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--path", default="/")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--sample", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=60.0)
    p.add_argument("--rounds", type=int, default=3, help="workers mode: rounds of 1 then 2 workers")
    p.add_argument("--csv")
    args = p.parse_args()
    if args.mode == "workers" and args.concurrency == [1, 8, 64]:
        args.concurrency = [8]
    result = {"throughput": throughput, "workers": workers, "soak": soak}[args.mode](args)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
