"""Runs the @warpgrid/sdk unit tests (`src/js/sdk/test/*.test.mjs`) with node, as `npm test` does.

The SDK is compiled with the TypeScript pinned in `third_party/js/componentize/package-lock.json`
(the same tsc the component builds use), installed here with `npm ci` from a one-package lockfile
built from that entry, so its integrity hash pins it. Then `node --test` runs the tests against
the compiled `dist/`, with `warpgrid:shim/*` imports resolved to the test doubles in
`test/host/` (the host interfaces exist only inside a component). Any tsc error or failing node
test fails this test, with their output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SDK = Path("src/js/sdk")
TOOLCHAIN_LOCK = Path("third_party/js/componentize/package-lock.json")


def _run(argv: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{output}"
    return output


def _pinned_typescript_lock() -> tuple[dict, dict]:
    lock = json.loads(TOOLCHAIN_LOCK.read_text())
    entry = lock["packages"]["node_modules/typescript"]
    package = {"name": "sdk-tests", "version": "0.0.0", "private": True,
               "devDependencies": {"typescript": entry["version"]}}
    mini = {
        "name": "sdk-tests",
        "version": "0.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "sdk-tests", "version": "0.0.0",
                 "devDependencies": {"typescript": entry["version"]}},
            "node_modules/typescript": {**entry, "dev": True},
        },
    }
    return package, mini


@pytest.fixture(scope="module")
def tsc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is not on PATH ({os.environ.get('PATH')}): install Node.js 20+"
    home = tmp_path_factory.mktemp("home")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "npm_config_cache": str(home / ".npm"),
        "npm_config_update_notifier": "false",
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    tools = tmp_path_factory.mktemp("typescript")
    package, lock = _pinned_typescript_lock()
    (tools / "package.json").write_text(json.dumps(package))
    (tools / "package-lock.json").write_text(json.dumps(lock))
    _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], tools, env, "npm ci of the pinned TypeScript")
    return tools / "node_modules" / "typescript" / "bin" / "tsc", env


def test_sdk_node_unit_tests(tsc: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    tsc_bin, env = tsc
    sdk = tmp_path / "sdk"
    shutil.copytree(SDK, sdk)
    tests = sorted(p.name for p in (sdk / "test").glob("*.test.mjs"))
    assert tests, f"no *.test.mjs in {SDK}/test"

    _run(["node", str(tsc_bin), "-p", "tsconfig.json"], sdk, env, f"tsc -p {SDK}/tsconfig.json")
    output = _run(["node", "--import", "./test/host/register.mjs", "--test", "--test-reporter=tap", *(f"test/{t}" for t in tests)], sdk, env, "node --test")

    # node's TAP summary: every test ran and passed.
    counts = dict(re.findall(r"^# (tests|pass|fail) (\d+)$", output, re.MULTILINE))
    assert counts.get("fail") == "0" and int(counts.get("pass", 0)) > 0, output
    assert counts["pass"] == counts["tests"], output
