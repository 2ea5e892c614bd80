from __future__ import annotations

import pytest

from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.upstream.conftest import PINS, contents, fetch, make_tarball, pin_toml, sha256
from warpgrid_pants.upstream.extract import ExtractedUpstream, ExtractUpstreamRequest
from warpgrid_pants.upstream.fetch import passthrough_env_names

TARBALL = make_tarball({"README": "tiny upstream\n", "src/a.c": "int a;\n"}, "tiny-1.0")


def _fail(rule_runner: RuleRunner, name: str = "tiny") -> str:
    with pytest.raises(ExecutionError) as e:
        fetch(rule_runner, name)
    return str(e.value)


def test_offline_dir_hit_without_network(rule_runner: RuleRunner) -> None:
    # The only listed source is unreachable and the network is off: the offline dir must serve it.
    rule_runner.write_files(
        {
            PINS: pin_toml("tiny", TARBALL, "tiny-1.0.tar.gz", '{ url = "https://example.invalid/tiny-1.0.tar.gz" },', "tiny-1.0"),
            "mirror/tiny-1.0.tar.gz": TARBALL,
        }
    )
    rule_runner.set_options(
        ["--warpgrid-upstreams-offline-dir=mirror", "--warpgrid-upstreams-allow-network=false"]
    )
    fetched = fetch(rule_runner, "tiny")
    assert contents(rule_runner, fetched.digest) == {"tiny-1.0.tar.gz": TARBALL}

    extracted = rule_runner.request(ExtractedUpstream, [ExtractUpstreamRequest("tiny")])
    assert contents(rule_runner, extracted.digest) == {
        "README": b"tiny upstream\n",
        "src/a.c": b"int a;\n",
    }


def test_offline_dir_by_sha256_name(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            PINS: pin_toml("tiny", TARBALL, "tiny-1.0.tar.gz", '{ url = "https://example.invalid/x" },'),
            f"mirror/{sha256(TARBALL)}": TARBALL,
        }
    )
    rule_runner.set_options(["--warpgrid-upstreams-offline-dir=mirror", "--warpgrid-upstreams-allow-network=false"])
    fetched = fetch(rule_runner, "tiny")
    assert contents(rule_runner, fetched.digest) == {"tiny-1.0.tar.gz": TARBALL}


def test_hash_mismatch_shows_expected_actual_and_source(rule_runner: RuleRunner) -> None:
    tampered = make_tarball({"README": "tampered\n"}, "tiny-1.0")
    root = rule_runner.build_root
    rule_runner.write_files(
        {
            PINS: pin_toml("tiny", TARBALL, "tiny-1.0.tar.gz", f'{{ url = "file://{root}/served/tiny-1.0.tar.gz" }},'),
            "served/tiny-1.0.tar.gz": tampered,
        }
    )
    rule_runner.set_options(["--warpgrid-upstreams-allow-network=true"])
    message = _fail(rule_runner)
    assert f"expected sha256 {sha256(TARBALL)} ({len(TARBALL)} bytes)" in message
    assert f"actual sha256 {sha256(tampered)} ({len(tampered)} bytes)" in message
    assert f"url file://{root}/served/tiny-1.0.tar.gz: hash mismatch" in message
    assert f"[tiny] in {PINS}" in message


def test_first_matching_source_wins(rule_runner: RuleRunner) -> None:
    root = rule_runner.build_root
    rule_runner.write_files(
        {
            PINS: pin_toml(
                "tiny", TARBALL, "tiny-1.0.tar.gz",
                f'{{ url = "file://{root}/gone.tar.gz" }},\n{{ url = "file://{root}/good/tiny-1.0.tar.gz" }},',
            ),
            "good/tiny-1.0.tar.gz": TARBALL,
        }
    )
    rule_runner.set_options(["--warpgrid-upstreams-allow-network=true"])
    fetched = fetch(rule_runner, "tiny")
    assert contents(rule_runner, fetched.digest) == {"tiny-1.0.tar.gz": TARBALL}


def test_all_sources_failing_lists_each_reason(rule_runner: RuleRunner) -> None:
    root = rule_runner.build_root
    rule_runner.write_files(
        {
            PINS: pin_toml(
                "tiny", TARBALL, "tiny-1.0.tar.gz",
                f'{{ url = "file://{root}/nowhere/tiny-1.0.tar.gz" }},\n'
                # apt-get resolves package names locally: this fails without touching the network.
                '{ debian_binary = "warpgrid-no-such-package-xyz", version = "1.0" },',
            ),
            "mirror/unrelated": "x",
        }
    )
    rule_runner.set_options(["--warpgrid-upstreams-offline-dir=mirror", "--warpgrid-upstreams-allow-network=true"])
    message = _fail(rule_runner)
    assert "Could not fetch upstream `tiny` 1.0 (tiny-1.0.tar.gz" in message
    assert f"1. offline_dir {root}/mirror: no file named tiny-1.0.tar.gz or {sha256(TARBALL)}" in message
    assert f"2. url file://{root}/nowhere/tiny-1.0.tar.gz: download failed" in message
    assert "3. debian_binary warpgrid-no-such-package-xyz=1.0: " in message
    assert "Fix:" in message


def test_network_off_lists_skipped_sources(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {PINS: pin_toml("tiny", TARBALL, "tiny-1.0.tar.gz", '{ npm = "tiny", version = "1.0.0" },')}
    )
    rule_runner.set_options(["--warpgrid-upstreams-allow-network=false"])
    message = _fail(rule_runner)
    assert "npm tiny@1.0.0: skipped: [warpgrid-upstreams].allow_network is false" in message


def test_wrong_strip_prefix_is_named(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            PINS: pin_toml("tiny", TARBALL, "tiny-1.0.tar.gz", '{ url = "https://example.invalid/x" },', "tiny-2.0"),
            "mirror/tiny-1.0.tar.gz": TARBALL,
        }
    )
    rule_runner.set_options(["--warpgrid-upstreams-offline-dir=mirror", "--warpgrid-upstreams-allow-network=false"])
    with pytest.raises(ExecutionError) as e:
        rule_runner.request(ExtractedUpstream, [ExtractUpstreamRequest("tiny")])
    assert "[tiny] key `strip_prefix`" in str(e.value)
    assert "top-level entries: tiny-1.0" in str(e.value)


def test_a_fetch_passes_only_its_own_clients_settings() -> None:
    # Env is part of the cache key: an npm pin must not miss the cache over a team's GOPROXY.
    npm = passthrough_env_names({"npm"})
    assert "NPM_CONFIG_REGISTRY" in npm and "https_proxy" in npm
    assert not {"GOPROXY", "PIP_INDEX_URL"} & set(npm)
    assert "GOSUMDB" in passthrough_env_names({"url", "go_module"})
    assert passthrough_env_names({"debian_source"}) == passthrough_env_names({"url"})
