"""Finding host tools: the real tools of this machine, and tools written by the test."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.testutil import BuildRuleRunner, build_rules
from warpgrid_pants.toolchains.system_tools import SystemTools, SystemToolsRequest


@pytest.fixture
def rule_runner() -> RuleRunner:
    return BuildRuleRunner(
        rules=[
            *build_rules(),
            QueryRule(SystemTools, [SystemToolsRequest]),
            QueryRule(BinaryPaths, [BinaryPathRequest]),
        ]
    )


def _tools(runner: RuleRunner, *names: str, optional: tuple[str, ...] = ()) -> SystemTools:
    return runner.request(SystemTools, [SystemToolsRequest(names, rationale="test", optional=optional)])


def _pants_lookup(runner: RuleRunner, name: str, version_arg: str = "--version") -> BinaryPaths:
    search_path = ("/usr/bin", "/bin", "/usr/local/bin", "/usr/local/go/bin")
    return runner.request(
        BinaryPaths,
        [BinaryPathRequest(binary_name=name, search_path=search_path, test=BinaryPathTest((version_arg,)))],
    )


def test_finds_each_tool_with_the_fingerprint_pants_gives_it(rule_runner: RuleRunner) -> None:
    """The same path and fingerprint as Pants' BinaryPathRequest: cache keys did not move."""
    tools = _tools(rule_runner, "make", "go")
    for name, version_arg in (("make", "--version"), ("go", "version")):
        expected = _pants_lookup(rule_runner, name, version_arg).first_path
        assert expected is not None
        assert tools.paths[name] == expected
    version = subprocess.run([tools.path("make"), "--version"], capture_output=True, env={}, check=True)
    assert tools.paths["make"].fingerprint == hashlib.sha256(version.stdout).hexdigest()
    assert tools.env()["WARPGRID_TOOL_MAKE"] == tools.paths["make"].fingerprint


def test_a_script_tool_is_tested_through_its_interpreter(rule_runner: RuleRunner) -> None:
    """npm is `#!/usr/bin/env node`; its fingerprint also covers node's."""
    tools = _tools(rule_runner, "npm")
    assert set(tools.paths) == {"npm"}  # node was looked up for npm's sake only
    node = _pants_lookup(rule_runner, "node").first_path
    assert node is not None
    npm_version = subprocess.run(
        [node.path, tools.path("npm"), "--version"], capture_output=True, env={}, check=True
    ).stdout
    assert tools.paths["npm"].fingerprint == hashlib.sha256(npm_version + node.fingerprint.encode()).hexdigest()


def _search_path(runner: RuleRunner, directory: Path) -> None:
    runner.set_options([f"--warpgrid-system-tools-search-path=['{directory}', '/usr/bin', '/bin']"])


def test_the_first_tool_that_passes_its_test_wins(rule_runner: RuleRunner, tmp_path: Path) -> None:
    """A broken `make` earlier on the search path is passed over, as Pants does."""
    broken = tmp_path / "make"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    _search_path(rule_runner, tmp_path)
    assert _tools(rule_runner, "make").path("make") in ("/usr/bin/make", "/bin/make")


def test_a_missing_or_failing_tool_is_named_with_the_reason(rule_runner: RuleRunner, tmp_path: Path) -> None:
    broken = tmp_path / "warpgrid-broken-tool"
    broken.write_text("#!/bin/sh\necho 'no good' >&2\nexit 3\n")
    broken.chmod(0o755)
    _search_path(rule_runner, tmp_path)
    with pytest.raises(ExecutionError) as e:
        _tools(rule_runner, "make", "warpgrid-broken-tool", "warpgrid-absent-tool")
    message = str(e.value)
    assert "Cannot find warpgrid-broken-tool, warpgrid-absent-tool on" in message
    assert f"warpgrid-broken-tool failed its version test ({broken} exited 3)" in message
    assert "no warpgrid-absent-tool there" in message
    assert "search_path" in message


def test_an_absent_optional_tool_is_left_out(rule_runner: RuleRunner) -> None:
    tools = _tools(rule_runner, "make", optional=("warpgrid-absent-tool",))
    assert tools.has("make") and not tools.has("warpgrid-absent-tool")
