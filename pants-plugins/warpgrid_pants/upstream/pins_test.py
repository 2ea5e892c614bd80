from __future__ import annotations

import pytest

from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.upstream.pins import PinsError, UpstreamPins, UpstreamSource, parse_upstream_pins
from warpgrid_pants.testutil import BuildRuleRunner, build_rules

SHA = "0123456789abcdef" * 4

GOOD = f"""
# a comment
[lib]
version = "1.0"
sha256 = "{SHA}"
size = 10
filename = "lib-1.0.tar.gz"
strip_prefix = "lib-1.0/"
sources = [
  # first the archive
  {{ url = "https://example.invalid/lib-1.0.tar.gz" }},
  {{ debian_source = "lib", version = "1.0-1" }},
  {{ npm = "@scope/lib", version = "1.0.0" }},
  {{ pypi = "lib", version = "1.0" }},
  {{ go_module = "example.invalid/lib", version = "v1.0.0" }},
  {{ debian_binary = "lib", version = "1.0-1" }},
]
"""


def test_parses_every_source_kind_in_order() -> None:
    pin = parse_upstream_pins(GOOD, "pins.toml").get("lib")
    assert (pin.version, pin.sha256, pin.size, pin.filename) == ("1.0", SHA, 10, "lib-1.0.tar.gz")
    assert pin.strip_prefix == "lib-1.0"
    assert [s.kind for s in pin.sources] == [
        "url", "debian_source", "npm", "pypi", "go_module", "debian_binary"
    ]
    assert pin.sources[2] == UpstreamSource("npm", "@scope/lib", "1.0.0")
    assert pin.sources[2].describe() == "npm @scope/lib@1.0.0"
    assert pin.sources[1].describe() == "debian_source lib=1.0-1"
    # The canonical JSON holds the sha256: it is the fetch Process's cache key.
    assert SHA in pin.to_json()


def _error(text: str) -> str:
    with pytest.raises(PinsError) as e:
        parse_upstream_pins(text, "third_party/upstreams.toml")
    return str(e.value)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('size = 10\n', 'size = 10\ncolour = "red"\n', ["[lib]", "`colour`", "unknown key"]),
        (f'sha256 = "{SHA}"\n', "", ["[lib]", "`sha256`", "missing"]),
        ("size = 10\n", "", ["[lib]", "`size`", "missing"]),
        (f'sha256 = "{SHA}"', 'sha256 = "abc"', ["[lib]", "`sha256`", "64 lowercase hex"]),
        ("size = 10", "size = -3", ["[lib]", "`size`", "positive integer"]),
        ('{ pypi = "lib", version = "1.0" }', '{ cargo = "lib", version = "1.0" }', ["[lib]", "sources[3]", "exactly one kind", "cargo"]),
        ('{ npm = "@scope/lib", version = "1.0.0" }', '{ npm = "@scope/lib" }', ["[lib]", "sources[2]", "needs `version`"]),
        ('{ npm = "@scope/lib", version = "1.0.0" }', '{ npm = "x", version = "1", sha = "y" }', ["sources[2]", "unknown key `sha`"]),
        ('{ url = "https://example.invalid/lib-1.0.tar.gz" }', '{ url = "ftp.invalid/x" }', ["sources[0]", "URL"]),
    ],
)
def test_errors_name_file_section_and_key(old: str, new: str, expected: list[str]) -> None:
    assert old in GOOD
    message = _error(GOOD.replace(old, new, 1))
    assert message.startswith("third_party/upstreams.toml")
    for fragment in expected:
        assert fragment in message, message


def test_invalid_toml_and_unknown_pin() -> None:
    assert "not valid TOML" in _error("[lib\nversion = 1")
    with pytest.raises(PinsError, match=r"no pin named \[nope\].*lib"):
        parse_upstream_pins(GOOD, "pins.toml").get("nope")


def test_pins_are_read_through_the_engine() -> None:
    rule_runner = BuildRuleRunner(rules=[*build_rules(), QueryRule(UpstreamPins, [])])
    rule_runner.write_files({"third_party/upstreams.toml": GOOD})
    assert [p.name for p in rule_runner.request(UpstreamPins, []).pins] == ["lib"]
    # An edit is seen (the file is a rule input, not read behind the engine's back).
    rule_runner.write_files({"third_party/upstreams.toml": GOOD.replace("[lib]", "[lib2]")})
    assert [p.name for p in rule_runner.request(UpstreamPins, []).pins] == ["lib2"]
    rule_runner.write_files({"third_party/upstreams.toml": GOOD.replace("size = 10\n", "")})
    with pytest.raises(ExecutionError, match=r"\[lib\] key `size`: missing"):
        rule_runner.request(UpstreamPins, [])
