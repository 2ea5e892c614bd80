"""Shared fixtures: the real guest components (built by Pants, see guests.py) and engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from guests import guest_component

from warpgrid.config import WarpConfig, parse_config
from warpgrid.engine import WarpGridEngine


@pytest.fixture(scope="session")
def cli_guest() -> Path:
    return guest_component("cli_service")


@pytest.fixture(scope="session")
def http_guest() -> Path:
    return guest_component("http_service")


@pytest.fixture(scope="session")
def unpatched_guest() -> Path:
    return guest_component("unpatched")


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., WarpGridEngine]]:
    """make_engine(toml_text="") -> a WarpGridEngine with a per-test compiled-code cache."""
    engines: list[WarpGridEngine] = []

    def make(toml_text: str = "", **kwargs: object) -> WarpGridEngine:
        config = parse_config(toml_text, source="test-warp.toml") if toml_text else WarpConfig()
        kwargs.setdefault("cache_dir", tmp_path / "cache")
        engine = WarpGridEngine(config, **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
