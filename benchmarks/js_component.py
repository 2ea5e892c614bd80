"""Benchmark of a ComponentizeJS http-service component under plain wasmtime-py.

Measures what docs/PERFORMANCE.md reports (ComponentizeJS section): component size, Cranelift
compile time (`Component.from_file`), serialize size, deserialize-from-cache
time (`Component.deserialize_file`), and per-request latency (fresh Store +
instance per request, as the HTTP trigger does; and a warm instance reused).
Optionally times the build itself (`--build-cmd`). Run on demand; no asserts.

    python benchmarks/js_component.py app.wasm [--requests 200] [--path /]
        [--build-cmd "node .../componentize.mjs build ..."]
"""
from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

HANDLER = "warpgrid:shim/http-handler@0.1.0"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def shim_stubs(linker: Linker, imported: set[str]) -> None:
    """No-op shim imports so any http-service component links (requests to `/` must not call them)."""
    def trap(*_args):
        raise RuntimeError("benchmark host: shim call not expected on this path")

    funcs = {
        "warpgrid:shim/dns@0.1.0": ["resolve"],
        "warpgrid:shim/database-proxy@0.1.0": ["connect", "send", "recv", "close"],
        "warpgrid:shim/filesystem@0.1.0": ["read-virtual", "is-virtual", "list-virtual-paths"],
        "warpgrid:shim/signals@0.1.0": ["on-signal", "poll-signal"],
        "warpgrid:shim/threading@0.1.0": ["declare-threading-model"],
    }
    with linker.root() as root:
        for iface, names in funcs.items():
            if iface in imported:
                with root.add_instance(iface) as inst:
                    for name in names:
                        inst.add_func(name, trap)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("component")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--path", default="/")
    ap.add_argument("--build-cmd", help="command that (re)builds the component; timed 1x")
    args = ap.parse_args(argv)

    if args.build_cmd:
        t0 = time.perf_counter()
        subprocess.run(shlex.split(args.build_cmd), check=True, stdout=subprocess.DEVNULL)
        print(f"componentize (build command): {time.perf_counter() - t0:.1f} s")
    size = os.path.getsize(args.component)
    print(f"component size: {size} bytes ({size / 2**20:.1f} MiB)")

    engine = Engine(Config())
    t0 = time.perf_counter()
    comp = Component.from_file(engine, args.component)
    compile_s = time.perf_counter() - t0
    print(f"Component.from_file (Cranelift compile): {compile_s:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        cwasm = Path(tmp) / "app.cwasm"
        cwasm.write_bytes(comp.serialize())
        print(f"serialized: {cwasm.stat().st_size} bytes")
        loads = []
        for _ in range(5):
            t0 = time.perf_counter()
            comp = Component.deserialize_file(engine, str(cwasm))
            loads.append(time.perf_counter() - t0)
        print(f"Component.deserialize_file: p50 {statistics.median(loads) * 1e3:.2f} ms (5 runs)")

        imported = set(comp.type.imports(engine))
        linker = Linker(engine)
        linker.add_wasip2()
        shim_stubs(linker, imported)
        idx = comp.get_export_index("handle", comp.get_export_index(HANDLER))

        def new_instance():
            store = Store(engine)
            store.set_wasi(WasiConfig())
            return store, linker.instantiate(store, comp)

        req = SimpleNamespace(method="GET", uri=args.path, headers=[("host", "bench.local")], body=b"")
        fresh, warm = [], []
        status = None
        for _ in range(args.requests):
            t0 = time.perf_counter()
            store, inst = new_instance()
            resp = inst.get_func(store, idx)(store, req)
            fresh.append(time.perf_counter() - t0)
            status = resp.status
        store, inst = new_instance()
        func = inst.get_func(store, idx)
        for _ in range(args.requests):
            t0 = time.perf_counter()
            func(store, req)
            warm.append(time.perf_counter() - t0)
        print(f"GET {args.path} status {status}")
        for name, xs in (("fresh instance per request", fresh), ("warm instance", warm)):
            print(f"{name}: p50 {statistics.median(xs) * 1e3:.3f} ms, p90 {pct(xs, 0.9) * 1e3:.3f} ms, "
                  f"min {min(xs) * 1e3:.3f} ms (n={len(xs)})")
    print(f"load average during run: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
