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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(args.config) if args.config else WarpConfig()
    with AsyncWarpGridEngine(config, use_cache=not args.no_cache, pooling_instances=args.pooling,
                             max_in_flight=args.max_in_flight) as engine:
        loaded = engine.load_component(args.component)
        return asyncio.run(serve_async(engine, loaded, args.listen or config.http.listen,
                                       config.http.max_body_bytes))


if __name__ == "__main__":
    sys.exit(main())
