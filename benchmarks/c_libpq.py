"""libpq in wasm through the proxy vs native libpq, same server, same run: `SELECT 1` latency.

Starts its own PostgreSQL 15 on 127.0.0.1 (temp dir, free port, SCRAM auth), then runs
benchmarks/c-libpq/select1.c twice, alternating in rounds so drift hits both sides equally:

* native: compiled with the system C compiler against the system's libpq (libpq-dev), connected
  straight to the server over TCP with the password;
* wasm: the same source linked with libpq built for wasm32-wasi (build_c_library.sh), run under
  the shim host; libpq's socket goes through the patched libc and the database proxy, which
  holds the password.

Each run prints p50/p90/p99/mean of N queries over one connection (after one warm-up query);
this script prints each round and, last, `RESULT {json}` with the medians of the rounds.

Usage: python benchmarks/c_libpq.py WASM_COMPONENT [--n 1000] [--rounds 3]
       (WASM_COMPONENT: select1.c built as a cli-service component against libpq for wasm)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src" / "python"))

from warpgrid.config import WarpConfig  # noqa: E402
from warpgrid.engine import WarpGridEngine  # noqa: E402
from warpgrid_testing import localservers  # noqa: E402

SOURCE = ROOT / "benchmarks" / "c-libpq" / "select1.c"
USER, PASSWORD = "bench", "bench-Secret-3"


def parse(line: str) -> dict[str, float]:
    """`n=1000 p50_us=... ...` -> {"n": 1000.0, "p50_us": ...}."""
    return {k: float(v) for k, v in (field.split("=") for field in line.split())}


def build_native(out: Path) -> Path:
    include = subprocess.run(["pg_config", "--includedir"], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["cc", "-O2", str(SOURCE), f"-I{include}", "-lpq", "-o", str(out)], check=True)
    return out


def run_native(binary: Path, port: int, n: int) -> dict[str, float]:
    env = {**os.environ, "LIBPQ_CONNINFO": f"host=127.0.0.1 port={port} dbname=app user={USER} "
                                          f"password={PASSWORD} sslmode=disable"}
    out = subprocess.run([str(binary), str(n)], capture_output=True, text=True, env=env, check=True).stdout
    return parse(out.strip().splitlines()[-1])


def run_wasm(engine: WarpGridEngine, component, port: int, n: int) -> dict[str, float]:
    out = bytearray()
    env = {"LIBPQ_CONNINFO": f"host=db.production.warp.local port={port} dbname=app user={USER}",
           "WARPGRID_DB_PORTS": f"{port}=postgres"}
    guest = engine.instantiate(component, argv=["select1", str(n)], env=env, stdout=out.extend)
    code = guest.run(timeout_ms=600_000)
    if code != 0:
        raise RuntimeError(f"wasm select1 exited {code}: {out.decode()}")
    return parse(out.decode().strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("component", type=Path)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    server = localservers.postgres({USER: PASSWORD}, tls=False)
    os.environ["WG_BENCH_PG_PW"] = PASSWORD
    try:
        with tempfile.TemporaryDirectory(prefix="wg-libpq-bench-") as tmp:
            native = build_native(Path(tmp) / "select1")
            config = WarpConfig.model_validate({
                "shims": {"filesystem": True, "dns": True, "database_proxy": True},
                "dns": {"registry": {"db.production.warp.local": ["127.0.0.1"]}},
                "database": {"endpoints": {"app": {
                    "protocol": "postgres", "host": "db.production.warp.local", "port": server.port,
                    "database": "app", "user": USER, "password_env": "WG_BENCH_PG_PW"}}},
            })
            engine = WarpGridEngine(config, cache_dir=Path(tmp) / "cache")
            component = engine.load_component(args.component)
            rounds: dict[str, list[dict[str, float]]] = {"native": [], "wasm": []}
            for i in range(args.rounds):
                rounds["native"].append(run_native(native, server.port, args.n))
                rounds["wasm"].append(run_wasm(engine, component, server.port, args.n))
                print(f"round {i + 1}: native {rounds['native'][-1]}  wasm {rounds['wasm'][-1]}", flush=True)
            engine.close()
    finally:
        server.destroy()
    result = {
        f"{side}_{key}": statistics.median(r[key] for r in runs)
        for side, runs in rounds.items() for key in ("p50_us", "p90_us", "p99_us", "mean_us")
    }
    result["n"] = args.n
    result["rounds"] = args.rounds
    result["p50_ratio_wasm_over_native"] = round(result["wasm_p50_us"] / result["native_p50_us"], 2)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
