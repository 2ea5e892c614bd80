"""`c_component`: real clang-19, the real patched sysroot, the pinned wasm-tools and adapter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pants.core.goals.package import BuiltPackage
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.components.c import (
    CComponentError,
    CComponentFieldSet,
    cli_run_glue,
    shim_link_flags,
)
from warpgrid_pants.components.componentize import COMPONENT, UnfinalizedComponent
from warpgrid_pants.components.finalize import Component, FinalizeComponentRequest
from warpgrid_pants.toolchains.wasi_libc import WasiLibcSysroot
from pants.engine.fs import EMPTY_DIGEST
from warpgrid_pants.testutil import build_rules
from warpgrid_pants.toolchains.conftest import build_sysroot, contents, make_rule_runner, request_for
from warpgrid_pants.toolchains.wasm_tools import WasmTools

HELLO = r"""
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  printf("hello from c_component, %d args\n", argc);
  return argc > 1 && strcmp(argv[1], "fail") == 0;
}
"""

# A library for an imports-only world: built as a reactor, exports nothing of its own.
LIBRARY = "int add(int a, int b) { return a + b; }\n"

# Exports wasi:cli/run itself (as tests/guests/c/cli_service.c does): no glue must be added.
OWN_RUN = r"""
#include <stdio.h>
__attribute__((export_name("wasi:cli/run@0.2.12#run")))
int my_run(void) { puts("own run"); return 0; }
"""

BUILD = """
c_component(name="hello", sources=["hello.c"])
c_component(name="lib", sources=["lib.c"], world="warpgrid:shim/shim-enabled")
c_component(name="own_run", sources=["own_run.c"])
c_component(name="broken", sources=["broken.c"])
c_component(name="bad_sysroot", sources=["hello.c"], sysroot=":hello")
c_component(name="bad_wit", sources=["hello.c"], wit="no-such-wit")
c_component(name="bad_world", sources=["hello.c"], world="warpgrid:shim/http-servce")
c_component(name="resolver", sources=["resolver.c"])
c_component(name="resolver_stock", sources=["resolver.c"], shims=[])
c_component(name="resolver_dns_only", sources=["resolver.c"], shims=["dns"])
"""

# Uses getaddrinfo (the dns shim) and fopen (the filesystem shim) like test-apps/c-shims.
RESOLVER = r"""
#include <netdb.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  int err = getaddrinfo("db.production.warp.local", "5432", &hints, &res);
  if (err) { printf("getaddrinfo: %s\n", gai_strerror(err)); return 1; }
  freeaddrinfo(res);
  FILE *f = fopen("/etc/resolv.conf", "r");
  if (f) fclose(f);
  return 0;
}
"""


FILES = {
    "app/BUILD": BUILD,
    "app/hello.c": HELLO,
    "app/lib.c": LIBRARY,
    "app/own_run.c": OWN_RUN,
    "app/broken.c": "int main(void) { return undefined_symbol; }\n",
    "app/resolver.c": RESOLVER,
}


def _runner(isolated: bool = False) -> RuleRunner:
    return make_rule_runner(
        isolated=isolated,
        extra_rules=[
            QueryRule(Component, [CComponentFieldSet]),
            QueryRule(BuiltPackage, [CComponentFieldSet]),
            QueryRule(Component, [FinalizeComponentRequest]),
        ],
        files=FILES,
    )


def _build(runner: RuleRunner, name: str) -> Component:
    return request_for(runner, Component, CComponentFieldSet, Address("app", target_name=name))


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return _runner()


@pytest.fixture(scope="module")
def wasm_tools(rule_runner: RuleRunner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned wasm-tools binary, written out so the tests can inspect components with it."""
    exe = tmp_path_factory.mktemp("wasm-tools") / "wasm-tools"
    exe.write_bytes(contents(rule_runner, rule_runner.request(WasmTools, []).digest)["wasm-tools"])
    exe.chmod(0o755)
    return exe


def _write(runner: RuleRunner, built: Component, tmp_path: Path) -> Path:
    (path,) = contents(runner, built.digest).items()
    out = tmp_path / Path(path[0]).name
    out.write_bytes(path[1])
    return out


def _wit(wasm_tools: Path, component: Path) -> str:
    subprocess.run([str(wasm_tools), "validate", str(component)], check=True)
    return subprocess.run(
        [str(wasm_tools), "component", "wit", str(component)], capture_output=True, text=True, check=True
    ).stdout


def test_cli_component_exports_wasi_cli_run(rule_runner: RuleRunner, wasm_tools: Path, tmp_path: Path) -> None:
    built = _build(rule_runner, "hello")
    assert built.path == "app/hello.wasm" and built.exports_cli_run
    wit = _wit(wasm_tools, _write(rule_runner, built, tmp_path))
    assert "export wasi:cli/run@0.2.12;" in wit
    # A program using only stdio needs no WarpGrid shim.
    assert "warpgrid:shim" not in wit


def test_package_writes_the_component(rule_runner: RuleRunner) -> None:
    field_set = CComponentFieldSet.create(rule_runner.get_target(Address("app", target_name="hello")))
    built = rule_runner.request(BuiltPackage, [field_set])
    assert [a.relpath for a in built.artifacts] == ["app/hello.wasm"]
    (data,) = contents(rule_runner, built.digest).values()
    assert data[:8] == b"\0asm\x0d\0\x01\0"  # a component, not a core module


def test_reactor_world_has_no_run_export(rule_runner: RuleRunner, wasm_tools: Path, tmp_path: Path) -> None:
    built = _build(rule_runner, "lib")
    assert not built.exports_cli_run
    wit = _wit(wasm_tools, _write(rule_runner, built, tmp_path))
    assert "wasi:cli/run" not in wit


def test_sources_exporting_run_themselves_get_no_glue(
    rule_runner: RuleRunner, wasm_tools: Path, tmp_path: Path
) -> None:
    built = _build(rule_runner, "own_run")
    assert "export wasi:cli/run@0.2.12;" in _wit(wasm_tools, _write(rule_runner, built, tmp_path))


def test_glue_names_the_wit_version() -> None:
    assert b'export_name("wasi:cli/run@0.2.12#run")' in cli_run_glue("0.2.12")


def test_compile_error_names_target_and_step(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _build(rule_runner, "broken")
    message = str(e.value)
    assert "app:broken" in message and "clang-19" in message and "undefined_symbol" in message


def test_sysroot_must_be_a_wasi_libc_sysroot(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _build(rule_runner, "bad_sysroot")
    assert "app:bad_sysroot" in str(e.value) and "wasi_libc_sysroot" in str(e.value)


def test_missing_wit_dir_is_named(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _build(rule_runner, "bad_wit")
    assert "no-such-wit" in str(e.value) and "app:bad_wit" in str(e.value)


def _warpgrid_imports(wit: str) -> set[str]:
    return {
        line.split()[1].rstrip(";")
        for line in wit.splitlines()
        if line.strip().startswith("import warpgrid:shim/")
    }


def test_shims_are_imported_only_when_reached(
    rule_runner: RuleRunner, wasm_tools: Path, tmp_path: Path
) -> None:
    wit = _wit(wasm_tools, _write(rule_runner, _build(rule_runner, "resolver"), tmp_path))
    assert _warpgrid_imports(wit) == {"warpgrid:shim/dns@0.1.0", "warpgrid:shim/filesystem@0.1.0"}
    wit = _wit(wasm_tools, _write(rule_runner, _build(rule_runner, "resolver_dns_only"), tmp_path))
    assert _warpgrid_imports(wit) == {"warpgrid:shim/dns@0.1.0"}


def test_stock_fallback_without_shims(rule_runner: RuleRunner, wasm_tools: Path, tmp_path: Path) -> None:
    """The same program with `shims=[]` links against the patched sysroot and imports nothing
    from warpgrid:*: it runs on any WASI host with stock wasi-libc behaviour (libc's weak shim
    imports stay null and every patched function falls through)."""
    wit = _wit(wasm_tools, _write(rule_runner, _build(rule_runner, "resolver_stock"), tmp_path))
    assert _warpgrid_imports(wit) == set()
    assert "export wasi:cli/run@0.2.12;" in wit


def test_shim_link_flags_against_stock_and_patched_sysroots(rule_runner: RuleRunner) -> None:
    def field_set(name: str) -> CComponentFieldSet:
        return CComponentFieldSet.create(rule_runner.get_target(Address("app", target_name=name)))

    stock = WasiLibcSysroot("stock:sysroot", EMPTY_DIGEST, "wasm32-wasi", ())
    patched = WasiLibcSysroot(
        "third_party/wasi-libc:sysroot",
        EMPTY_DIGEST,
        "wasm32-wasi",
        ("__warpgrid_shim_database_proxy", "__warpgrid_shim_dns", "__warpgrid_shim_filesystem", "__warpgrid_shims"),
    )
    assert shim_link_flags(field_set("resolver"), patched) == ("-Wl,-u,__warpgrid_shims",)
    assert shim_link_flags(field_set("resolver_dns_only"), patched) == ("-Wl,-u,__warpgrid_shim_dns",)
    assert shim_link_flags(field_set("resolver_stock"), patched) == ()
    # The default asks a stock sysroot for nothing; an explicit shim it cannot give is an error.
    assert shim_link_flags(field_set("resolver"), stock) == ()
    with pytest.raises(CComponentError) as e:
        shim_link_flags(field_set("resolver_dns_only"), stock)
    assert "app:resolver_dns_only" in str(e.value) and "__warpgrid_shim_dns" in str(e.value)


def test_two_clean_builds_are_byte_identical() -> None:
    """Separate local stores: nothing is reused, every Process runs again in a new sandbox."""
    first, second = _runner(isolated=True), _runner(isolated=True)
    assert build_sysroot(first).digest == build_sysroot(second).digest
    assert _build(first, "hello").digest == _build(second, "hello").digest


def _finalize(runner: RuleRunner, component: bytes | None, world: str) -> Component:
    """The shared finalize step on `component` (None: the producing step wrote nothing)."""
    digest = EMPTY_DIGEST if component is None else runner.make_snapshot({COMPONENT: component}).digest
    request = FinalizeComponentRequest(
        UnfinalizedComponent(
            address=Address("app", target_name="lib"),
            digest=digest,
            world=world,
            produced_by="the producing step",
        ),
        output_path="app/placed.wasm",
        export_hint="export it from the sources",
    )
    return runner.request(Component, [request])


def test_world_typo_lists_the_valid_worlds(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _build(rule_runner, "bad_world")
    message = str(e.value)
    assert "app:bad_world: `world='warpgrid:shim/http-servce'` is not a world of warpgrid:shim" in message
    assert "`warpgrid:shim/cli-service`, `warpgrid:shim/http-service`, `warpgrid:shim/shim-enabled`" in message


def test_finalize_places_the_same_bytes(rule_runner: RuleRunner) -> None:
    (component,) = contents(rule_runner, _build(rule_runner, "hello").digest).values()
    finalized = _finalize(rule_runner, component, "warpgrid:shim/cli-service")
    assert finalized.path == "app/placed.wasm"
    assert dict(contents(rule_runner, finalized.digest)) == {"app/placed.wasm": component}
    assert "export wasi:cli/run@0.2.12;" in finalized.wit


def test_finalize_rejects_a_component_without_the_world_export(rule_runner: RuleRunner) -> None:
    """A valid component that lacks `wasi:cli/run` is not a cli-service: the build says so."""
    (component,) = contents(rule_runner, _build(rule_runner, "lib").digest).values()
    with pytest.raises(ExecutionError) as e:
        _finalize(rule_runner, component, "warpgrid:shim/cli-service")
    message = str(e.value)
    assert "app:lib: the component does not `export wasi:cli/run@...`" in message
    assert "warpgrid:shim/cli-service" in message and "export it from the sources" in message


def test_finalize_reports_wasm_tools_validate_output(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _finalize(rule_runner, b"\0asm\x0d\0\x01\0not a component", "warpgrid:shim/cli-service")
    message = str(e.value)
    # The tool's own output is in the message.
    assert "app:lib: `wasm-tools validate` failed (exit 1)" in message
    assert "unexpected end-of-file" in message


def test_finalize_names_the_step_that_wrote_nothing(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _finalize(rule_runner, None, "warpgrid:shim/cli-service")
    assert f"app:lib: the producing step wrote no {COMPONENT}" in str(e.value)
