"""`python -m warpgrid.aio serve --config warp.toml app.wasm`: the async host's HTTP trigger.

Kept apart from `warpgrid serve` (the threaded host) until the CLI grows a switch for it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from warpgrid.config import load_config, WarpConfig

from .engine import AsyncWarpGridEngine
from .server import serve_async


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warpgrid.aio")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("serve", help="serve an HTTP component on the async host")
    srv.add_argument("component")
    srv.add_argument("--config", help="warp.toml")
    srv.add_argument("--listen", help="HOST:PORT (loopback); default [http] listen")
    srv.add_argument("--pooling", type=int, default=0, metavar="N",
                     help="use the pooling instance allocator with N instance slots")
    srv.add_argument("--max-in-flight", type=int, default=256)
    srv.add_argument("--no-cache", action="store_true")
    srv.add_argument("--workers", type=int, default=1, help="worker processes sharing the port (SO_REUSEPORT)")
    srv.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers > 1:
        from .workers import reserve_port, run_workers

        config = load_config(args.config) if args.config else WarpConfig()
        listen, reservation = reserve_port(args.listen or config.http.listen)
        raw = list(argv if argv is not None else sys.argv[1:])
        with reservation:
            return run_workers(args.workers, _without(raw, {"--workers", "--listen"}), listen)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(args.config) if args.config else WarpConfig()
    with AsyncWarpGridEngine(config, use_cache=not args.no_cache, pooling_instances=args.pooling,
                             max_in_flight=args.max_in_flight) as engine:
        loaded = engine.load_component(args.component)
        return asyncio.run(serve_async(engine, loaded, args.listen or config.http.listen,
                                       config.http.max_body_bytes, reuse_port=args.reuse_port))


def _without(argv: list[str], options: set[str]) -> list[str]:
    """argv minus the given options and their values (`--opt v` and `--opt=v`)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif arg.split("=", 1)[0] not in options:
            out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
