#!/usr/bin/env python3
"""Dev loop, accurate Wasm mode: the real shim host (same engine, shims and warp.toml as
`warpgrid serve`) serving the dev-engine component, whose app bundle is replaced after every
source change without restarting anything (same process, same port, same compiled engine).

    python bun_dev_host.py --engine dev-engine.wasm --config warp.toml --listen 127.0.0.1:PORT \
        --watch APP_DIR --bundle OUT.js -- BUNDLE_COMMAND...

BUNDLE_COMMAND (e.g. `bun bun_bundle.mjs --format cjs ... --out OUT.js`) is run at start and
after each change under a --watch directory (node_modules and dot-directories are ignored;
polled every 50 ms: no inotify dependency). On success the new bundle becomes the filesystem
shim's virtual file /warpgrid/dev/bundle.js, which the dev engine (src/js/bun-sdk/src/dev/
engine.js) evaluates on every request: each request is a fresh instance, so the next request
after a rebuild runs the new code. A failed rebuild keeps the previous bundle and prints the
error. Prints `Serving URL` when ready and `rebuilt in S s (N bytes)` after each rebuild.
Needs PYTHONPATH to include the host (src/python).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from warpgrid.config import load_config
from warpgrid.engine import WarpGridEngine
from warpgrid.http import RequestDispatcher
from warpgrid.http.server import HttpTrigger

BUNDLE_PATH = "/warpgrid/dev/bundle.js"  # the dev engine's BUNDLE_PATH
POLL_S = 0.05


def snapshot(dirs: list[Path]) -> dict[str, float]:
    """mtime_ns of every file under `dirs`, skipping node_modules and dot-directories."""
    seen: dict[str, float] = {}
    for root in dirs:
        for base, subdirs, files in os.walk(root):
            subdirs[:] = [d for d in subdirs if d != "node_modules" and not d.startswith(".")]
            for name in files:
                path = os.path.join(base, name)
                try:
                    seen[path] = os.stat(path).st_mtime_ns
                except FileNotFoundError:
                    pass
    return seen


def rebuild(command: list[str], bundle: Path) -> bytes | None:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"rebuild failed (keeping the previous bundle):\n{result.stdout}{result.stderr}", file=sys.stderr, flush=True)
        return None
    data = bundle.read_bytes()
    print(f"rebuilt in {time.monotonic() - started:.3f} s ({len(data)} bytes)", flush=True)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", type=Path, required=True, help="the dev-engine component")
    parser.add_argument("--config", type=Path, required=True, help="warp.toml (the filesystem shim must be enabled)")
    parser.add_argument("--listen", default=None, help="loopback HOST:PORT (default: [http] listen)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="compiled-code cache")
    parser.add_argument("--watch", type=Path, action="append", required=True, help="source directory to watch")
    parser.add_argument("--bundle", type=Path, required=True, help="the file BUNDLE_COMMAND writes")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- BUNDLE_COMMAND...")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the bundle command after --")

    config = load_config(args.config)
    engine = WarpGridEngine(config, cache_dir=args.cache_dir)
    try:
        tree = engine.shim("filesystem").tree  # type: ignore[attr-defined]
    except KeyError:
        print(f"error: {args.config}: [shims] filesystem must be enabled for the dev engine", file=sys.stderr)
        return 2
    first = rebuild(command, args.bundle)
    if first is None:
        return 1
    tree.static[BUNDLE_PATH] = first
    loaded = engine.load_component(args.engine)
    trigger = HttpTrigger(RequestDispatcher(engine, loaded), args.listen or config.http.listen, config.http.max_body_bytes).start()
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    print(f"Serving {trigger.url}", flush=True)
    state = snapshot(args.watch)
    try:
        while not stop.wait(POLL_S):
            now = snapshot(args.watch)
            if now != state:
                state = now
                data = rebuild(command, args.bundle)
                if data is not None:
                    tree.static[BUNDLE_PATH] = data
    finally:
        trigger.shutdown()
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
