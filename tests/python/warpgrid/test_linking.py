"""Only enabled shims are linked; the startup log says what is active."""

import logging

import pytest
from wasmtime import Store, WasiConfig, WasmtimeError

from warpgrid.faults import ShimNotEnabledError


def test_disabled_shim_is_absent_from_the_linker(make_engine, cli_guest) -> None:
    engine = make_engine("[shims]\ndns = false\n")
    assert "dns" not in engine.enabled_shims
    loaded = engine.load_component(cli_guest)
    store = Store(engine.engine)
    store.set_wasi(WasiConfig())
    store.set_epoch_deadline(1 << 30)
    with pytest.raises(WasmtimeError, match=r"warpgrid:shim/dns@0\.1\.0"):
        engine.linker.instantiate(store, loaded.component)


def test_instantiating_a_guest_that_needs_a_disabled_shim_names_the_fix(make_engine, cli_guest) -> None:
    engine = make_engine("[shims]\nsignals = false\n")
    loaded = engine.load_component(cli_guest)
    with pytest.raises(ShimNotEnabledError) as err:
        engine.instantiate(loaded)
    message = str(err.value)
    assert "warpgrid:shim/signals@0.1.0" in message
    assert "set `signals = true` under [shims] in test-warp.toml" in message


def test_guest_without_shim_imports_runs_with_every_shim_disabled(make_engine, unpatched_guest) -> None:
    engine = make_engine(
        "[shims]\nfilesystem = false\ndns = false\nsignals = false\nthreading = false\ndatabase_proxy = false\n"
        "http_client = false\nhttp_body = false\n"
    )
    assert engine.enabled_shims == []
    loaded = engine.load_component(unpatched_guest)
    with engine.instantiate(loaded, argv=["u", "/etc/hosts"], stdout=lambda b: None) as guest:
        assert guest.run() == 1  # runs fine; /etc/hosts is simply not there


def test_startup_log_lists_active_shims_and_what_they_intercept(make_engine, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="warpgrid"):
        make_engine("[shims]\nthreading = false\n")
    text = caplog.text
    assert "active shims: dns, filesystem, http_body, http_client, signals" in text
    assert "filesystem (warpgrid:shim/filesystem@0.1.0): virtual files" in text
    assert "/etc/resolv.conf" in text
    assert "dns (warpgrid:shim/dns@0.1.0): name resolution" in text
    assert "threading: disabled (not linked)" in text
    assert "database_proxy: disabled (not linked)" in text
