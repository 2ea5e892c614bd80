"""The Rust toolchain channel is parsed from rust-toolchain.toml, and the tailor rule recognises a
wasm library crate by its crate-type."""

from __future__ import annotations

from warpgrid_pants.run.tailor import _CDYLIB
from warpgrid_pants.toolchains.cargo import _CHANNEL, _host_triple


def test_channel_regex_ignores_comments_and_other_keys() -> None:
    assert _CHANNEL.search('[toolchain]\n# channel = "nightly"\nprofile = "minimal"\n') is None
    assert _CHANNEL.search('[toolchain]\n  channel = "1.95.0"\n').group(1) == "1.95.0"


def test_host_triple_names_a_rustup_host() -> None:
    assert _host_triple().split("-", 1)[1] in ("unknown-linux-gnu", "apple-darwin")


def test_cdylib_detection() -> None:
    assert _CDYLIB.search('[lib]\ncrate-type = ["cdylib"]\n')
    assert _CDYLIB.search('[lib]\ncrate-type = [ "rlib", "cdylib" ]\n')
    assert not _CDYLIB.search('[lib]\ncrate-type = ["rlib"]\n')
    assert not _CDYLIB.search('[package]\nname = "cdylib"\n')
