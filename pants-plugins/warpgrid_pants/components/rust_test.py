"""Where `rust_component` places the plugin's `warpgrid-sdk` crate: the path the manifest gives."""

from __future__ import annotations

import pytest
from pants.engine.addresses import Address

from warpgrid_pants.components.rust import sdk_path
from warpgrid_pants.components.world import ComponentBuildError

ADDRESS = Address("services/api", target_name="wasm")


def manifest(dependency: str) -> bytes:
    return f'[package]\nname = "api"\nversion = "0.1.0"\n\n[dependencies]\n{dependency}\n'.encode()


def test_the_repository_layout() -> None:
    path = sdk_path(ADDRESS, "services/api", manifest('warpgrid-sdk = { path = "../../src/rust/warpgrid-sdk" }'))
    assert path == "src/rust/warpgrid-sdk"


def test_the_exported_crate_of_an_adopting_repository() -> None:
    dep = 'warpgrid-sdk = { path = "../../dist/export/warpgrid/src/rust/warpgrid-sdk" }'
    assert sdk_path(ADDRESS, "services/api", manifest(dep)) == "dist/export/warpgrid/src/rust/warpgrid-sdk"


def test_a_package_without_the_sdk_needs_none() -> None:
    assert sdk_path(ADDRESS, "services/api", manifest('serde = "1"')) is None


def test_a_registry_dependency_is_refused_with_the_fix() -> None:
    with pytest.raises(ComponentBuildError, match=r"not on crates.io.*export --resolve=warpgrid-sdk"):
        sdk_path(ADDRESS, "services/api", manifest('warpgrid-sdk = "0.1"'))


def test_a_path_outside_the_build_root_is_refused() -> None:
    with pytest.raises(ComponentBuildError, match="leaves the build root"):
        sdk_path(ADDRESS, "services/api", manifest('warpgrid-sdk = { path = "../../../sdk" }'))


def test_no_room_for_the_wit_above_the_crate_is_refused() -> None:
    with pytest.raises(ComponentBuildError, match="no room for the WIT"):
        sdk_path(ADDRESS, "services/api", manifest('warpgrid-sdk = { path = "../sdk" }'))


def test_invalid_toml_names_the_file() -> None:
    with pytest.raises(ComponentBuildError, match="services/api/Cargo.toml is not valid TOML"):
        sdk_path(ADDRESS, "services/api", b"[package\n")
