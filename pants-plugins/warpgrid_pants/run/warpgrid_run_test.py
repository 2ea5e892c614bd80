"""`warpgrid_run`: which targets can be run as a component, and the errors for the rest."""

from __future__ import annotations

import pytest

from pants.core.target_types import FileTarget, GenericTarget
from pants.core.target_types import rules as core_target_type_rules
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from pants.core.goals.package import environment_aware_package
from pants.core.util_rules import environments

from warpgrid_pants.run.warpgrid_run import (
    ComponentArtifact,
    ComponentArtifactRequest,
    WarpgridRunFieldSet,
    build_component_artifact,
)
from warpgrid_pants.target_types import WarpgridRunTarget


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            build_component_artifact,
            environment_aware_package,
            *environments.rules(),
            *core_target_type_rules(),
            QueryRule(ComponentArtifact, [ComponentArtifactRequest]),
        ],
        target_types=[FileTarget, GenericTarget, WarpgridRunTarget],
    )


def _artifact(rule_runner: RuleRunner, address: Address) -> ComponentArtifact:
    target = rule_runner.get_target(address)
    return rule_runner.request(ComponentArtifact, [ComponentArtifactRequest(target)])


def test_a_file_target_holding_one_wasm_is_a_component(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"app/BUILD": "file(name='c', source='app.wasm')", "app/app.wasm": "\0asm"})
    artifact = _artifact(rule_runner, Address("app", target_name="c"))
    assert artifact.path == "app/app.wasm"


def test_a_file_that_is_not_wasm_is_refused_by_name(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"app/BUILD": "file(name='c', source='app.txt')", "app/app.txt": "x"})
    with pytest.raises(ExecutionError, match=r"app:c: a `file` component must be one \.wasm file"):
        _artifact(rule_runner, Address("app", target_name="c"))


def test_a_non_component_target_is_refused_with_the_fix(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"app/BUILD": "target(name='t')"})
    with pytest.raises(ExecutionError, match=r"app:t \(a `target`\) is not a component: point `component` at"):
        _artifact(rule_runner, Address("app", target_name="t"))


def test_component_field_accepts_one_address_or_a_list(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": (
                "warpgrid_run(name='one', component=':c', config='warp.toml')\n"
                "warpgrid_run(name='many', component=[':c'], mode='run', args=['x'])\n"
            ),
            "app/warp.toml": "",
        }
    )
    one = WarpgridRunFieldSet.create(rule_runner.get_target(Address("app", target_name="one")))
    many = WarpgridRunFieldSet.create(rule_runner.get_target(Address("app", target_name="many")))
    assert one.component.value == (":c",) == many.component.value
    assert (one.mode.value, many.mode.value, many.args.value) == ("serve", "run", ("x",))
