"""Helpers shared by the tests (not fixtures: plain functions)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from warpgrid.engine import LoadedComponent, WarpGridEngine



def run_cli_guest(engine: WarpGridEngine, component: LoadedComponent | Path, *args: str) -> tuple[int, str]:
    """Runs the cli_service guest with `args` as commands; returns (exit code, stdout)."""
    loaded = component if isinstance(component, LoadedComponent) else engine.load_component(component)
    chunks: list[bytes] = []
    with engine.instantiate(loaded, argv=["cli_service", *args], stdout=chunks.append) as guest:
        code = guest.run()
    return code, b"".join(chunks).decode()


def warpgrid_cmd(*args: str, env_extra: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen[str]:
    """`python -m warpgrid ARGS` as a subprocess that imports exactly what this test process
    does (under `./pants test` the sources and requirements come from pex sys.path entries,
    not from the checkout)."""
    env = {**os.environ, **(env_extra or {}), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-m", "warpgrid", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )
