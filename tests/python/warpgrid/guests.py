"""Locates the real guest components the tests run.

The guests are built by the plugin's own `c_component` rule (tests/guests/c/BUILD,
src/c/warpgrid/tests/BUILD), so the tests exercise exactly what users build. Under
`./pants test` they arrive through `runtime_package_dependencies` at their package output path
(`<dir.with.dots>/<name>.wasm`) relative to the sandbox root; when running pytest by hand,
`./pants package tests/guests/c:: src/c/warpgrid/tests::` first puts them under dist/.
"""

from __future__ import annotations

from pathlib import Path

GUEST_DIRS = ("tests.guests.c", "src.c.warpgrid.tests")


class GuestMissing(RuntimeError):
    pass


def guest_component(name: str) -> Path:
    """The component built from the guest target `name` (e.g. "cli_service")."""
    candidates = [Path(root) / d / f"{name}.wasm" for root in (".", "dist") for d in GUEST_DIRS]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    raise GuestMissing(
        f"guest component {name}.wasm not found (looked in {', '.join(map(str, candidates))}): "
        "run the tests with `./pants test`, or `./pants package tests/guests/c:: "
        "src/c/warpgrid/tests::` before running pytest by hand"
    )
