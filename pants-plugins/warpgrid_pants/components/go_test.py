"""`tinygo_component`: misconfigured targets fail at once, naming the target and the fix, before
any toolchain build (the real builds run in tests/python/warpgrid/scenarios/test_go_t3.py, which
serves the packaged components)."""

from __future__ import annotations

import pytest

from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.components.finalize import Component
from warpgrid_pants.components.go import TinyGoComponentFieldSet
from warpgrid_pants.toolchains.conftest import make_rule_runner

MAIN = 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
BUILD = """
tinygo_component(name="no_mod", sources=["main.go"])
tinygo_component(name="no_sum", sources=["go.mod", "main.go"])
tinygo_component(name="bad_world", world="warpgrid:shim/http-servce")
tinygo_component(name="bad_toolchain", toolchain=":no_mod")
"""


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    runner = make_rule_runner(extra_rules=[QueryRule(Component, [TinyGoComponentFieldSet])])
    runner.write_files(
        {
            "app/BUILD": BUILD,
            "app/main.go": MAIN,
            "app/go.mod": "module example.test/app\n\ngo 1.22\n\nrequire github.com/jackc/pgx/v5 v5.7.2\n",
            "app/go.sum": "",
        }
    )
    return runner


def _build(runner: RuleRunner, name: str) -> Component:
    target = runner.get_target(Address("app", target_name=name))
    return runner.request(Component, [TinyGoComponentFieldSet.create(target)])


def _error(runner: RuleRunner, name: str) -> str:
    with pytest.raises(ExecutionError) as e:
        _build(runner, name)
    return str(e.value)


def test_go_mod_is_required(rule_runner: RuleRunner) -> None:
    assert "app:no_mod: `sources` must include go.mod next to the BUILD file" in _error(rule_runner, "no_mod")


def test_requirements_need_go_sum(rule_runner: RuleRunner) -> None:
    message = _error(rule_runner, "no_sum")
    assert "app:no_sum: app/go.mod has requirements but `sources` holds no go.sum" in message
    assert "go mod tidy" in message


def test_world_typo_lists_the_valid_worlds(rule_runner: RuleRunner) -> None:
    message = _error(rule_runner, "bad_world")
    assert "app:bad_world: `world='warpgrid:shim/http-servce'` is not a world of warpgrid:shim" in message
    assert "`warpgrid:shim/http-service`" in message


def test_toolchain_must_name_a_tinygo_toolchain(rule_runner: RuleRunner) -> None:
    message = _error(rule_runner, "bad_toolchain")
    assert "app:bad_toolchain: `toolchain=[':no_mod']` must name one `tinygo_toolchain` target" in message
    assert "app:no_mod (a `tinygo_component`)" in message
