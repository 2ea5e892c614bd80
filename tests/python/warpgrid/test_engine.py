"""Engine: compiled-code cache, export lookup, exit codes, poisoning, deadlines, memory."""

from pathlib import Path

import pytest

from support import run_cli_guest

from warpgrid.cache import CompiledCache
from warpgrid.faults import GuestFault, InstantiationError
from warpgrid.guest import HttpRequest


def test_compiled_code_cache_hits_on_second_load(make_engine, cli_guest, tmp_path) -> None:
    cache = tmp_path / "cc"
    first = make_engine(cache_dir=cache).load_component(cli_guest)
    assert first.cache_hit is False
    artifacts = list(cache.glob("*.cwasm"))
    assert len(artifacts) == 1
    second = make_engine(cache_dir=cache).load_component(cli_guest)
    assert second.cache_hit is True
    assert second.sha256 == first.sha256
    code, out = run_cli_guest(make_engine(cache_dir=cache), cli_guest, "threading", "single-threaded")
    assert (code, out) == (0, "threading single-threaded\n")


def test_cache_key_covers_wasmtime_version_engine_config_and_component() -> None:
    a = CompiledCache(Path("/x"), "epoch_interruption=1")
    b = CompiledCache(Path("/x"), "epoch_interruption=0")
    assert a.key("aa") != a.key("bb")
    assert a.key("aa") != b.key("aa")
    assert a.key("aa") == CompiledCache(Path("/y"), "epoch_interruption=1").key("aa")


def test_corrupt_cache_entry_is_recompiled(make_engine, cli_guest, tmp_path) -> None:
    cache = tmp_path / "cc"
    make_engine(cache_dir=cache).load_component(cli_guest)
    (artifact,) = cache.glob("*.cwasm")
    artifact.write_bytes(b"not a compiled component")
    loaded = make_engine(cache_dir=cache).load_component(cli_guest)
    assert loaded.cache_hit is False
    assert run_cli_guest(make_engine(cache_dir=cache), cli_guest)[0] == 0


def test_cache_can_be_disabled(make_engine, cli_guest) -> None:
    engine = make_engine(cache_dir=None, use_cache=False)
    assert engine.load_component(cli_guest).cache_hit is False


def test_not_a_component_is_a_clear_error(make_engine, tmp_path) -> None:
    bogus = tmp_path / "bogus.wasm"
    bogus.write_bytes(b"\0asm garbage")
    with pytest.raises(InstantiationError, match="bogus.wasm: not a valid WebAssembly component"):
        make_engine().load_component(bogus)


def test_export_index_is_cached_per_component(make_engine, http_guest) -> None:
    loaded = make_engine().load_component(http_guest)
    first = loaded.export_index("warpgrid:shim/http-handler@0.1.0", "handle")
    assert loaded.export_index("warpgrid:shim/http-handler@0.1.0", "handle") is first


def test_missing_export_is_reported(make_engine, cli_guest) -> None:
    engine = make_engine()
    with engine.instantiate(engine.load_component(cli_guest)) as guest:
        with pytest.raises(GuestFault, match=r"does not export warpgrid:shim/http-handler@0.1.0#handle") as err:
            guest.call_handler(HttpRequest("GET", "/"))
    assert err.value.kind == "bad-export"


def test_guest_exit_status_is_returned(make_engine, cli_guest) -> None:
    # WASI 0.2 wasi:cli/exit carries only ok/err, so exit(7) arrives as status 1.
    engine = make_engine()
    assert run_cli_guest(engine, cli_guest, "threading", "cooperative", "exit", "7") == (1, "threading cooperative\n")
    assert run_cli_guest(engine, cli_guest, "exit", "0") == (0, "")


def test_unknown_command_returns_error_code(make_engine, cli_guest) -> None:
    assert run_cli_guest(make_engine(), cli_guest, "bogus")[0] == 1


def test_handler_round_trip(make_engine, http_guest) -> None:
    engine = make_engine()
    with engine.instantiate(engine.load_component(http_guest)) as guest:
        response = guest.call_handler(HttpRequest("PUT", "/items/7?x=1", [("x-id", "42")], b"\x00\xffpayload"))
    assert response.status == 200
    assert response.body == b"PUT /items/7?x=1\n\x00\xffpayload"
    assert ("x-echo-x-id", "42") in response.headers


def test_trap_poisons_the_instance(make_engine, http_guest) -> None:
    engine = make_engine()
    with engine.instantiate(engine.load_component(http_guest)) as guest:
        with pytest.raises(GuestFault) as err:
            guest.call_handler(HttpRequest("GET", "/trap"))
        assert (err.value.kind, err.value.http_status) == ("trap", 500)
        assert "unreachable" in err.value.detail
        assert guest.poisoned
        with pytest.raises(GuestFault, match="poisoned"):
            guest.call_handler(HttpRequest("GET", "/"))


def test_epoch_deadline_stops_an_infinite_loop(make_engine, http_guest) -> None:
    engine = make_engine("[limits]\nrequest_timeout_ms = 200\n")
    with engine.instantiate(engine.load_component(http_guest)) as guest:
        with pytest.raises(GuestFault) as err:
            guest.call_handler(HttpRequest("GET", "/loop"))
    assert (err.value.kind, err.value.http_status) == ("timeout", 504)


def test_memory_limit_stops_a_memory_blow_up(make_engine, http_guest, capfd) -> None:
    engine = make_engine("[limits]\nmemory_mb = 16\n")
    with engine.instantiate(engine.load_component(http_guest)) as guest:
        with pytest.raises(GuestFault) as err:
            guest.call_handler(HttpRequest("GET", "/alloc"))
    assert err.value.http_status == 500
    assert "out of memory after 1" in capfd.readouterr().err  # ~15 MiB of the 16 MiB limit


def test_env_from_config_reaches_the_guest(make_engine, cli_guest) -> None:
    engine = make_engine('[env]\nGREETING = "hi"\n')
    loaded = engine.load_component(cli_guest)
    with engine.instantiate(loaded, argv=["x"], env={"EXTRA": "1"}) as guest:
        assert guest.context.env == {"GREETING": "hi", "EXTRA": "1"}
