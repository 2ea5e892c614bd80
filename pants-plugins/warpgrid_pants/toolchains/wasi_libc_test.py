"""`wasi_libc_sysroot`: the real pinned wasi-libc + the real patch series, built with clang-19."""

from __future__ import annotations

from pathlib import Path

import pytest

from pants.core.goals.package import BuiltPackage
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.toolchains.conftest import (
    SYSROOT,
    build_sysroot,
    contents,
    defined_symbols,
    make_rule_runner,
    patch_files,
)
from warpgrid_pants.toolchains.wasi_libc import (
    PatchSeries,
    PatchSeriesRequest,
    WasiLibcSysroot,
    WasiLibcSysrootFieldSet,
)

# What the WarpGrid patch series adds to libc.a (docs/domains/02-libc-patches.md).
WARPGRID_DNS_SYMBOLS = ("getaddrinfo", "freeaddrinfo", "gai_strerror", "gethostbyname", "getnameinfo")


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return make_rule_runner(extra_rules=[QueryRule(PatchSeries, [PatchSeriesRequest])])


@pytest.fixture(scope="module")
def sysroot(rule_runner: RuleRunner) -> WasiLibcSysroot:
    return build_sysroot(rule_runner)


@pytest.fixture(scope="module")
def sysroot_files(rule_runner: RuleRunner, sysroot: WasiLibcSysroot) -> dict[str, bytes]:
    return dict(contents(rule_runner, sysroot.digest))


def test_sysroot_layout(sysroot: WasiLibcSysroot, sysroot_files: dict[str, bytes]) -> None:
    assert sysroot.triple == "wasm32-wasi"
    lib = f"lib/{sysroot.triple}"
    for required in ("libc.a", "crt1.o", "crt1-command.o", "crt1-reactor.o", "libm.a"):
        assert f"{lib}/{required}" in sysroot_files, required
    for header in ("stdio.h", "stdlib.h", "sys/socket.h", "wasi/api.h"):
        assert f"include/{header}" in sysroot_files, header
    assert sysroot_files[f"{lib}/libc.a"][:8] == b"!<arch>\n"


def test_sysroot_has_no_host_paths(sysroot_files: dict[str, bytes]) -> None:
    # A sandbox path in an object or header would break byte-reproducibility across machines.
    leaks = [p for p, data in sysroot_files.items() if b"pants-sandbox" in data or b"/tmp/" in data]
    assert leaks == []


def test_patch_series_is_applied_in_file_name_order(rule_runner: RuleRunner) -> None:
    field_set = WasiLibcSysrootFieldSet.create(rule_runner.get_target(SYSROOT))
    series = rule_runner.request(PatchSeries, [PatchSeriesRequest(field_set.patches)])
    assert list(series.paths) == patch_files()
    assert [Path(p).name for p in series.paths] == sorted(Path(p).name for p in series.paths)


def test_warpgrid_patches_are_in_the_sysroot(
    sysroot: WasiLibcSysroot, sysroot_files: dict[str, bytes], tmp_path: Path
) -> None:
    assert patch_files(), "patches/wasi-libc/ holds no patch series"
    assert "include/netdb.h" in sysroot_files
    symbols = defined_symbols(sysroot_files[f"lib/{sysroot.triple}/libc.a"], tmp_path)
    missing = [s for s in WARPGRID_DNS_SYMBOLS if s not in symbols]
    assert missing == []
    # The opt-in link switches c_component passes as -Wl,-u,<switch>.
    assert set(sysroot.shim_switches) >= {
        "__warpgrid_shims",
        "__warpgrid_shim_dns",
        "__warpgrid_shim_filesystem",
        "__warpgrid_shim_database_proxy",
    }
    assert set(sysroot.shim_switches) <= symbols


def test_package_writes_a_wasi_libc_path(rule_runner: RuleRunner) -> None:
    field_set = WasiLibcSysrootFieldSet.create(rule_runner.get_target(SYSROOT))
    built = rule_runner.request(BuiltPackage, [field_set])
    assert [a.relpath for a in built.artifacts] == ["third_party.wasi-libc/sysroot"]
    files = contents(rule_runner, built.digest)
    assert "third_party.wasi-libc/sysroot/lib/wasm32-wasi/libc.a" in files


def test_patches_must_be_patch_files(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "bad/notes.txt": "not a patch",
            "bad/BUILD": 'files(name="series", sources=["notes.txt"])\n'
            'wasi_libc_sysroot(name="sysroot", upstream="wasi-libc", patches=[":series"])',
        }
    )
    target = rule_runner.get_target(Address("bad", target_name="sysroot"))
    with pytest.raises(ExecutionError) as e:
        rule_runner.request(PatchSeries, [PatchSeriesRequest(WasiLibcSysrootFieldSet.create(target).patches)])
    assert "bad/notes.txt" in str(e.value) and ".patch" in str(e.value)


def test_a_patch_that_does_not_apply_names_the_patch(rule_runner: RuleRunner) -> None:
    first = patch_files()[0]
    lines = Path(first).read_text().split("\n")
    hunk = next(i for i, line in enumerate(lines) if line.startswith("@@")) + 1
    while not lines[hunk].startswith(" "):
        hunk += 1
    lines[hunk] = " WARPGRID_TEST_CORRUPTED_CONTEXT"
    name = Path(first).name
    rule_runner.write_files(
        {
            f"corrupt/{name}": "\n".join(lines),
            "corrupt/BUILD": 'files(name="series", sources=["*.patch"])\n'
            'wasi_libc_sysroot(name="sysroot", upstream="wasi-libc", patches=[":series"])',
        }
    )
    with pytest.raises(ExecutionError) as e:
        build_sysroot(rule_runner, Address("corrupt", target_name="sysroot"))
    assert name in str(e.value)
