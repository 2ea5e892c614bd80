"""`warpgrid run|serve|inspect|check`: the shim host's command line.

Exit codes: the guest's status for `run` (0 ok, 1 err); 2 bad config or arguments; 3 the
component cannot be loaded or linked; 4 the guest faulted (trap, deadline); 5 cannot listen.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from warpgrid.config import ConfigError, WarpConfig, display_name, load_config, parse_listen
from warpgrid.engine import WarpGridEngine
from warpgrid.faults import GuestFault, InstantiationError, ShimNotEnabledError
from warpgrid.hostsignals import handling, terminate_when_parent_exits
from warpgrid.http.server import ListenError
from warpgrid.http.workers import default_workers
from warpgrid.loaded import LoadedComponent
from warpgrid.shims import BY_NAME
from warpgrid.shims.signals import HOST_SIGNALS

EXIT_CONFIG = 2
EXIT_LOAD = 3
EXIT_FAULT = 4
EXIT_LISTEN = 5

log = logging.getLogger("warpgrid")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first `--` belongs to the guest. Split it off before argparse,
    # which mishandles `--` after options inside a subcommand.
    guest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, guest_args = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    if guest_args and args.command != "run":
        _parser().error(f"arguments after -- are only for `run`: {' '.join(guest_args)}")
    if args.command == "run":
        args.args = [*args.args, *guest_args]
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.exit_with_parent:
        terminate_when_parent_exits()
    return _exit_code(lambda: args.handler(args))


def _exit_code(command: Callable[[], int]) -> int:
    """Runs a command, turning the host's known failures into messages and exit codes."""
    try:
        return command()
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_CONFIG
    except (FileNotFoundError, InstantiationError, ShimNotEnabledError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_LOAD
    except GuestFault as e:
        print(f"error: guest fault: {e}", file=sys.stderr)
        return EXIT_FAULT
    except ListenError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_LISTEN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warpgrid", description="WarpGrid shim host for WebAssembly components")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--exit-with-parent", action="store_true",
        help="stop as on SIGTERM when the process that started this one exits (what `pants run` "
        "targets pass: Pants runs them in their own session and does not pass SIGTERM on)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a CLI component (wasi:cli/run)")
    _component_args(run)
    run.add_argument("args", nargs="*", help="arguments for the guest; put them after `--`")
    run.set_defaults(handler=cmd_run)

    srv = sub.add_parser("serve", help="serve an HTTP component (warpgrid:shim/http-handler)")
    _component_args(srv)
    srv.add_argument("--listen", help="loopback HOST:PORT (overrides [http] listen; port 0 = any free)")
    srv.add_argument(
        "--workers", type=int, default=default_workers(),
        help="worker processes sharing the socket (default: the number of cores, here %(default)s)",
    )
    srv.add_argument(
        "--async", dest="async_host", action="store_true",
        help="the async host (WASI 0.3 C API, docs/domains/05-async.md): many requests in flight "
        "per worker on one event loop, database waits park the guest instead of a thread",
    )
    srv.set_defaults(handler=cmd_serve)

    dep = sub.add_parser("deploy", help="run every service of a deployment manifest in this process (docs/domains/01-host-functions.md)")
    dep.add_argument("manifest", type=Path, help="deployment.toml: namespace and [services.<name>] tables")
    dep.add_argument("--cache-dir", type=Path, help="compiled-code cache (default: XDG cache dir)")
    dep.add_argument("--no-cache", action="store_true", help="do not use the compiled-code cache")
    dep.set_defaults(handler=cmd_deploy)

    insp = sub.add_parser("inspect", help="show imports, exports and the shims a component needs")
    insp.add_argument("component", type=Path)
    insp.add_argument("--config", type=Path, help="warp.toml: also show whether each needed shim is enabled")
    insp.set_defaults(handler=cmd_inspect)

    check = sub.add_parser("check", help="validate a warp.toml")
    check.add_argument("config", type=Path)
    check.set_defaults(handler=cmd_check)
    return parser


def _component_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("component", type=Path, help="the .wasm component")
    p.add_argument("--config", type=Path, help="warp.toml (default: built-in defaults)")
    p.add_argument("--cache-dir", type=Path, help="compiled-code cache (default: XDG cache dir)")
    p.add_argument("--no-cache", action="store_true", help="do not use the compiled-code cache")


def _engine(args: argparse.Namespace, config: WarpConfig) -> WarpGridEngine:
    return WarpGridEngine(config, cache_dir=args.cache_dir, use_cache=not args.no_cache)


def _config(path: Path | None) -> WarpConfig:
    return load_config(path) if path else WarpConfig()


def cmd_run(args: argparse.Namespace) -> int:
    """Runs the guest on a worker thread so host signals are handled promptly on the main
    thread and delivered to the guest; a second SIGTERM/SIGINT exits at once."""
    config = _config(args.config)
    with _engine(args, config) as engine:
        loaded = _load(engine, args.component)
        guest = engine.instantiate(
            loaded,
            argv=[args.component.name, *args.args],
            inherit_stdin=True,
            timeout_ms=config.limits.run_timeout_ms,
        )
        outcome: dict[str, object] = {}

        def work() -> None:
            try:
                outcome["code"] = guest.run()
            except BaseException as e:  # reported on the main thread
                outcome["error"] = e

        worker = threading.Thread(target=work, name="warpgrid-guest", daemon=True)
        received: list[int] = []

        def on_signal(signum: int, _frame: object) -> None:
            if signum in received and signum != signal.SIGHUP:
                log.warning("second %s: exiting without waiting for the guest", signal.Signals(signum).name)
                sys.stdout.flush()
                raise SystemExit(128 + signum)
            received.append(signum)
            queued = engine.deliver_signal(HOST_SIGNALS[signum])
            log.info("%s -> %s (queued by %d instance(s))", signal.Signals(signum).name, HOST_SIGNALS[signum], queued)

        with handling(HOST_SIGNALS, on_signal):
            worker.start()
            while worker.is_alive():
                worker.join(0.1)
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return int(outcome["code"])  # type: ignore[call-overload]


def cmd_serve(args: argparse.Namespace) -> int:
    """One worker serves in this process; more are pre-forked (warpgrid.http.workers) before
    any wasmtime state exists here, each with its own engine."""
    from warpgrid.http import HttpRequest, RequestDispatcher, serve
    from warpgrid.http.server import listen_socket
    from warpgrid.http.workers import run_workers

    config = _config(args.config)
    listen = args.listen or config.http.listen
    try:
        parse_listen(listen)
    except ValueError as e:
        raise ConfigError(f"--listen: {e}") from None
    if args.workers < 1:
        raise ConfigError(f"--workers: expected 1 or more, got {args.workers}")
    if args.async_host:
        from warpgrid.aio.__main__ import main as async_main

        argv = ["serve", str(args.component), "--listen", listen, "--workers", str(args.workers)]
        if args.config:
            argv += ["--config", str(args.config)]
        return async_main(argv + (["--no-cache"] if args.no_cache else []))
    sock = listen_socket(listen)

    def worker(on_ready: Callable[[str], None] | None = None) -> int:
        with _engine(args, config) as engine:
            loaded = _load(engine, args.component)
            warmup = None
            if config.http.warmup_request:
                method, path = config.http.warmup_request.split(" ", 1)
                warmup = HttpRequest(method, path, [("host", "warmup.invalid")])
            dispatcher = RequestDispatcher(engine, loaded, config.http.ready_instances, warmup)
            return serve(dispatcher, sock, config.http.max_body_bytes, on_ready=on_ready)

    if args.workers == 1:
        return worker()
    drain = config.limits.request_timeout_ms / 1000 + 1
    return run_workers(sock, args.workers, lambda ready: _exit_code(lambda: worker(lambda _url: ready())), drain_seconds=drain)


def cmd_deploy(args: argparse.Namespace) -> int:
    """Every service of the manifest in this process, one log stream prefixed per service."""
    from warpgrid.deployment import Deployment, load_manifest, serve
    from warpgrid.deployment.logstream import install

    install(logging.DEBUG if args.verbose else logging.INFO)
    manifest = load_manifest(args.manifest)
    return serve(Deployment(manifest, cache_dir=args.cache_dir, use_cache=not args.no_cache))


def cmd_inspect(args: argparse.Namespace) -> int:
    config = _config(args.config)
    with WarpGridEngine(config, use_cache=False) as engine:
        loaded = _load(engine, args.component, check_shims=False)
    print(f"component: {loaded.path} (sha256 {loaded.sha256})")
    print("imports:")
    for name in loaded.imports:
        print(f"  {name}")
    print("exports:")
    for name in loaded.exports:
        print(f"  {name}")
    needed = loaded.needed_shims()
    print("shims needed: " + (", ".join(needed) or "none"))
    enabled = set(config.shims.enabled())
    for name in needed:
        state = "enabled" if name in enabled else f"DISABLED: set {name} = true under [shims]"
        print(f"  {name} ({BY_NAME[name].interface}): {state}")
    kind = [k for k, iface in (("http", "warpgrid:shim/http-handler"), ("cli", "wasi:cli/run")) if any(e.startswith(iface) for e in loaded.exports)]
    print("runs with: " + (", ".join({"http": "warpgrid serve", "cli": "warpgrid run"}[k] for k in kind) or "nothing (no known export)"))
    missing = [n for n in needed if n not in enabled]
    return EXIT_LOAD if missing and args.config else 0


def cmd_check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(f"{display_name(args.config)}: OK")
    print(f"  shims enabled: {', '.join(config.shims.enabled()) or 'none'}")
    print(f"  dns: {len(config.dns.registry)} registry names, {len(config.dns.hosts)} hosts overrides, ttl {config.dns.ttl_seconds:g}s")
    print(f"  limits: {config.limits.memory_mb} MiB memory, {config.limits.request_timeout_ms} ms request deadline")
    print(f"  http: listen {config.http.listen}")
    print(f"  env: {len(config.env)} variables")
    return 0


def _load(engine: WarpGridEngine, path: Path, *, check_shims: bool = True) -> LoadedComponent:
    loaded = engine.load_component(path)
    log.info("loaded %s (sha256 %s, compiled cache %s)", path, loaded.sha256[:12], "hit" if loaded.cache_hit else "miss")
    if check_shims:
        # `run` and `serve` fail at start-up, naming the warp.toml line to add, not per request.
        engine.check_shims(loaded)
    return loaded


if __name__ == "__main__":
    sys.exit(main())
