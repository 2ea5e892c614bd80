"""The T6 deployment under load (run on demand, never in CI): docs/PERFORMANCE.md "T6".

Starts a Postgres and a Redis on loopback (warpgrid_testing.localservers), the five-service
deployment of warpgrid_testing.t6 with `python -m warpgrid deploy` (one host process), creates
two users through the gateway, then drives the gateway with wrk:

1. ``GET /health`` (the gateway alone, no service call): the baseline of the same run;
2. ``GET /summary`` (one call to each of users/Go, notifications/TS, analytics/Bun, each of
   which queries Postgres or Redis through the database proxy) for ``--seconds`` (60) at
   ``--connections`` (16).

Reports req/s, p50/p99, errors and non-2xx for each, and the host's RSS before the load and
after it, plus the 1-minute load average at start and end (the machine may be shared). Then
the fault checks: ``/api/faults/trap`` must answer 500 and ``/api/faults/loop`` 504, and
``/summary`` 200 right after. Needs `wrk`, `postgres` and `redis-server` on PATH and the
components built: `./pants package test-apps/t6-multi-service:: tests/guests/c:http_service`.
Prints a final `RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from serve_load import tree_rss_kib, wrk
from warpgrid_testing import localservers
from warpgrid_testing.t6 import BUILT, PG_PASSWORD, PG_USER, REDIS_PASSWORD, write_deployment

DIST = Path("dist")


def built_components() -> dict[str, Path]:
    """Where `pants package` put each component (dist/<dir.with.dots>/<name>.wasm)."""
    out = {name: DIST / path for name, path in BUILT.items()}
    missing = [str(p) for p in out.values() if not p.is_file()]
    if missing:
        raise SystemExit(f"missing components {missing}: run `./pants package test-apps/t6-multi-service:: tests/guests/c:http_service`")
    return out


def call(url: str, method: str = "GET", body: object = None) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline-seconds", type=int, default=20)
    parser.add_argument("--path", default="/summary", help="the gateway route under load (default: /summary)")
    args = parser.parse_args()
    components = built_components()
    pg = localservers.postgres({PG_USER: PG_PASSWORD}, tls=False)
    redis = localservers.redis(REDIS_PASSWORD)
    proc = None
    try:
        with tempfile.TemporaryDirectory(prefix="t6-load-") as tmp:
            manifest = write_deployment(Path(tmp), pg.port, redis.port, built={k: v.resolve() for k, v in components.items()})
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
                   "WG_T6_PG_PW": PG_PASSWORD, "WG_T6_REDIS_PW": REDIS_PASSWORD}
            proc = subprocess.Popen([sys.executable, "-m", "warpgrid", "deploy", str(manifest), "--cache-dir", f"{tmp}/cache"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
            assert proc.stdout is not None
            url = None
            for line in proc.stdout:
                match = re.fullmatch(r"Serving gateway (http://\S+)", line.strip())
                url = match.group(1) if match else url
                if line.startswith("Deployment "):
                    break
            if url is None:
                raise SystemExit("the deployment did not start")
            for name in ("Ada", "Grace") if args.path == "/summary" else ():
                status, body = call(url + "/signup", "POST", {"name": name, "email": f"{name.lower()}@example.org"})
                if status != 201:
                    raise SystemExit(f"signup failed: {status} {body!r}")
            status, body = call(url + args.path)
            if status != 200:
                raise SystemExit(f"{args.path} failed: {status} {body!r}")
            wrk(url, 4, 2, args.path)  # warm-up: every service's first instances
            load_start = loadavg()
            rss_before = tree_rss_kib(proc.pid)
            baseline = wrk(url, args.connections, args.baseline_seconds, "/health")
            summary = wrk(url, args.connections, args.seconds, args.path)
            rss_after = tree_rss_kib(proc.pid)
            load_end = loadavg()
            faults = {path: call(url + path)[0] for path in ("/api/faults/trap", "/api/faults/loop", args.path)}
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        pg.destroy()
        redis.destroy()
    for name, r in (("GET /health (gateway only)", baseline), (f"GET {args.path}", summary)):
        print(f"{name:32} c={args.connections}: {r['rps']:8.1f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
              f"requests {r['requests']}  errors {r['socket_errors']:.0f}  non-2xx {r['non_2xx']:.0f}")
    print(f"host RSS before {rss_before / 1024:.1f} MiB, after {rss_after / 1024:.1f} MiB; "
          f"load average {load_start:.2f} -> {load_end:.2f}; faults {faults}")
    ok = faults == {"/api/faults/trap": 500, "/api/faults/loop": 504, args.path: 200}
    print("RESULT " + json.dumps({
        "connections": args.connections, "seconds": args.seconds, "path": args.path, "baseline": baseline, "load": summary,
        "rss_before_kib": rss_before, "rss_after_kib": rss_after, "loadavg_start": load_start, "loadavg_end": load_end,
        "faults": faults, "faults_ok": ok,
    }))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
