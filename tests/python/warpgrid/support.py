"""Helpers shared by the tests (not fixtures: plain functions)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from warpgrid.engine import LoadedComponent, WarpGridEngine



def run_cli_guest(engine: WarpGridEngine, component: LoadedComponent | Path, *args: str) -> tuple[int, str]:
    """Runs the cli_service guest with `args` as commands; returns (exit code, stdout)."""
    loaded = component if isinstance(component, LoadedComponent) else engine.load_component(component)
    chunks: list[bytes] = []
    with engine.instantiate(loaded, argv=["cli_service", *args], stdout=chunks.append) as guest:
        code = guest.run()
    return code, b"".join(chunks).decode()


def subprocess_env(env_extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Python subprocess that imports exactly what this test process does
    (under `./pants test` the sources and requirements come from pex sys.path entries, not from
    the checkout)."""
    return {**os.environ, **(env_extra or {}), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def warpgrid_cmd(*args: str, env_extra: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen[str]:
    """`python -m warpgrid ARGS` as a subprocess (see `subprocess_env`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "warpgrid", *args],
        env=subprocess_env(env_extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def serve_component(component: Path, config: Path, cache: Path,
                    env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`warpgrid serve COMPONENT --config CONFIG` until it prints its URL; (process, base URL).
    The host prints `Serving URL` once the component is compiled and listening."""
    proc = warpgrid_cmd(
        "serve", str(component.resolve()), "--config", str(config), "--cache-dir", str(cache),
        env_extra=env_extra,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    match = re.fullmatch(r"Serving (http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        pytest.fail(f"{line!r}\n{proc.communicate()[1]}")
    return proc, match.group(1)


def stop_served(proc: subprocess.Popen[str]) -> str:
    """SIGTERM a `serve_component` process (a graceful drain) and return its log (stderr)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def http_request(base_url: str, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (case-insensitive: the host sends lower-case names) and body; an HTTP
    error status is a result, not an exception."""
    req = urllib.request.Request(base_url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
