"""warpgrid_deployment: the manifest it writes for `warpgrid deploy` and its field checks (the
end-to-end run is tests/python/warpgrid/test_deployment.py and the T6 scenario)."""

from __future__ import annotations

import pytest

from pants.core.target_types import FileTarget
from pants.engine.addresses import Address
from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.run.warpgrid_deployment import (
    WarpgridDeploymentFieldSet,
    WarpgridRunError,
    _check_names,
    render_manifest,
)
from warpgrid_pants.target_types import WarpgridDeploymentTarget, WarpgridRunTarget


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(target_types=[FileTarget, WarpgridRunTarget, WarpgridDeploymentTarget])


def test_the_manifest_lists_every_service_with_its_files() -> None:
    text = render_manifest(
        "t6",
        {"users": ("users/app/users.wasm", "users/app/warp.toml"), "gateway": ("gateway/g.wasm", 'gateway/we"ird.toml')},
        {"gateway": "127.0.0.1:8080"},
        {"users": 2},
    )
    assert text == (
        'namespace = "t6"\n'
        "\n[services.gateway]\n"
        'component = "gateway/g.wasm"\n'
        'config = "gateway/we\\"ird.toml"\n'
        'listen = "127.0.0.1:8080"\n'
        "\n[services.users]\n"
        'component = "users/app/users.wasm"\n'
        'config = "users/app/warp.toml"\n'
        "replicas = 2\n"
    )


def _field_set(rule_runner: RuleRunner, build: str) -> WarpgridDeploymentFieldSet:
    rule_runner.write_files({"app/BUILD": build})
    return WarpgridDeploymentFieldSet.create(rule_runner.get_target(Address("app", target_name="d")))


def test_fields_naming_unknown_services_or_bad_counts_are_refused(rule_runner: RuleRunner) -> None:
    fs = _field_set(rule_runner, "warpgrid_deployment(name='d', services=[':a'], listen={'b': '127.0.0.1:0'})")
    with pytest.raises(WarpgridRunError, match=r"app:d: `listen` names \['b'\], which are not in `services` \(\['a'\]\)"):
        _check_names(fs, "d", ["a"])
    fs = _field_set(rule_runner, "warpgrid_deployment(name='d', services=[':a'], replicas={'a': '0'})")
    with pytest.raises(WarpgridRunError, match=r"`replicas` of `a` must be a count from 1 to 16, got '0'"):
        _check_names(fs, "d", ["a"])
    fs = _field_set(rule_runner, "warpgrid_deployment(name='d', services=[':A_b'])")
    with pytest.raises(WarpgridRunError, match=r"service `A_b` \(a `warpgrid_run` target's name\) must be a DNS label"):
        _check_names(fs, "d", ["A_b"])
    fs = _field_set(rule_runner, "warpgrid_deployment(name='d', services=[':a'], replicas={'a': '3'})")
    assert _check_names(fs, "d", ["a"]) == {"a": 3}
