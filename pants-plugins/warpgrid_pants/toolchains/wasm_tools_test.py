"""The pinned wasm-tools and preview1 adapters come from the pins, not from the host."""

from __future__ import annotations

import pytest

from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.toolchains.conftest import contents, make_rule_runner
from warpgrid_pants.toolchains.wasm_tools import Preview1Adapters, WasmTools

WASM_MAGIC = b"\0asm"


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return make_rule_runner()


def test_wasm_tools_is_the_pinned_version(rule_runner: RuleRunner) -> None:
    wasm_tools = rule_runner.request(WasmTools, [])
    assert wasm_tools.version.startswith("wasm-tools 1.262.0 ")
    files = contents(rule_runner, wasm_tools.digest)
    assert list(files) == ["wasm-tools"]
    assert files["wasm-tools"][:4] == b"\x7fELF"
    assert wasm_tools.env()["WARPGRID_TOOL_WASM_TOOLS"] == wasm_tools.version


def test_adapters_are_core_modules(rule_runner: RuleRunner) -> None:
    adapters = rule_runner.request(Preview1Adapters, [])
    files = contents(rule_runner, adapters.digest)
    assert set(files) == {Preview1Adapters.command, Preview1Adapters.reactor}
    for path, data in files.items():
        # Core modules (version 1), not components: `component new --adapt` wants modules.
        assert data[:8] == WASM_MAGIC + b"\x01\0\0\0", path
