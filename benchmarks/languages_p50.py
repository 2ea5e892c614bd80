"""Request p50/p90 of the same small route in each language's test app, under this host, one run.

Every app answers a tiny JSON or text route without a database (C `/health`, TypeScript and Bun
`/api/info`, Rust T1 `/health`, Go `/health`): what is compared is the guest language's own cost
per fresh instance, not the work a route does. Each server runs alone (`--workers 1`), gets 20
warm-up requests, then N sequential requests on one kept-alive connection.

  ./pants run benchmarks:languages-p50 -- c=dist/test-apps.c-http-hello/wasm.wasm:test-apps/c-http-hello/warp.toml:/health ...
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
import urllib.parse
from pathlib import Path

from serve_load import start_server


def measure(url: str, path: str, n: int) -> dict[str, float]:
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    times = []
    for i in range(20 + n):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url}{path}: status {response.status}")
        if i >= 20:
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p90_ms": round(times[int(0.9 * len(times))], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="+", help="NAME=COMPONENT.wasm:WARP.toml:PATH")
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    results = {}
    for spec in args.apps:
        name, rest = spec.split("=", 1)
        component, config, path = rest.split(":", 2)
        proc, url = start_server(Path(component).resolve(), Path(config).resolve(), workers=1)
        try:
            results[name] = measure(url, path, args.n)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"{name:8} p50 {results[name]['p50_ms']:7.2f} ms   p90 {results[name]['p90_ms']:7.2f} ms", flush=True)
    print("RESULT " + json.dumps(results))


if __name__ == "__main__":
    main()
