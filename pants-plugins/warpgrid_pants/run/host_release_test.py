"""The released host: where its wheel is found, and that the pinned hash is the built wheel's."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from warpgrid_pants.run.host_release import HostWheelNotFound, host_wheel_url, mismatch_message
from warpgrid_pants.subsystem import HOST_WHEEL

WHEEL = HOST_WHEEL.filename


def test_the_first_local_find_links_directory_holding_the_wheel_wins() -> None:
    present = {f"/b/{WHEEL}", f"/c/{WHEEL}"}
    links = ["https://wheels.example/simple/", "file:///a", "file:///b", "/c"]
    assert host_wheel_url(links, None, present.__contains__) == f"file:///b/{WHEEL}"
    assert host_wheel_url(["/c"], None, present.__contains__) == f"file:///c/{WHEEL}"


def test_an_explicit_url_is_used_as_given_if_it_names_the_wheel() -> None:
    url = f"https://pkgs.example/warpgrid/{WHEEL}"
    assert host_wheel_url(["file:///b"], url, lambda _: True) == url
    with pytest.raises(HostWheelNotFound, match=f"must end in the wheel's file name, {WHEEL}"):
        host_wheel_url([], "https://pkgs.example/warpgrid/warpgrid-9.9.9-py3-none-any.whl")


def test_a_missing_wheel_names_where_it_looked_and_the_fixes() -> None:
    with pytest.raises(HostWheelNotFound) as err:
        host_wheel_url(["file:///vendor/warpgrid", "https://x.example/"], None, lambda _: False)
    message = str(err.value)
    assert f"/vendor/warpgrid/{WHEEL}" in message
    assert "[warpgrid].host_wheel_url" in message and "[warpgrid].host" in message
    with pytest.raises(HostWheelNotFound, match="no local `\\[python-repos\\].find_links` directory"):
        host_wheel_url([], None)


def test_the_pinned_hash_is_the_hash_of_the_wheel_this_repository_builds() -> None:
    """Fails whenever the host changes: copy the values it prints into subsystem.py."""
    (wheel,) = Path(".").rglob(WHEEL)
    data = wheel.read_bytes()
    actual = (hashlib.sha256(data).hexdigest(), len(data))
    assert actual == (HOST_WHEEL.sha256, HOST_WHEEL.size), (
        f"{wheel} changed: set HOST_WHEEL in pants-plugins/warpgrid_pants/subsystem.py to "
        f'sha256="{actual[0]}", size={actual[1]}'
    )


def test_a_wrong_wheel_is_named_with_both_hashes_and_the_fix(tmp_path: Path) -> None:
    impostor = tmp_path / WHEEL
    impostor.write_bytes(b"not the host")
    message = mismatch_message(f"file://{impostor}", RuntimeError("digest mismatch"))
    assert str(impostor) in message
    assert f"expected sha256 {HOST_WHEEL.sha256}, {HOST_WHEEL.size} bytes" in message
    assert f"it has sha256 {hashlib.sha256(b'not the host').hexdigest()}, 12 bytes" in message
    assert "[warpgrid].host" in message and "digest mismatch" in message
