"""`c_library`: the real hiredis pin built with its real recipe, clang-19 and the patched sysroot.

libpq is left to `tests/python/warpgrid:c_libraries` (its cross configure takes minutes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pants.core.goals.package import BuiltPackage
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants.components.c import CComponentFieldSet
from warpgrid_pants.components.finalize import Component
from warpgrid_pants.toolchains.c_library import BuiltCLibrary, CLibraryFieldSet
from warpgrid_pants.toolchains.conftest import contents, defined_symbols, make_rule_runner, request_for

HIREDIS_RECIPE = "third_party/hiredis/recipe.sh"

BUILD = """
c_library(name="hiredis", upstream="hiredis", recipe="recipe.sh")
c_library(name="missing_source", upstream="hiredis", recipe="missing_source.sh")
c_library(name="no_headers", upstream="hiredis", recipe="no_headers.sh")
c_library(name="bad_overlay", upstream="hiredis", recipe="recipe.sh", overlay=["elsewhere/x.h"])
c_library(name="overlaid", upstream="hiredis", recipe="overlaid.sh", overlay=["overlay/**/*"])
c_component(name="client", sources=["client.c"], libraries=[":hiredis"])
c_component(name="not_a_library", sources=["client.c"], libraries=[":client"])
"""

# Uses hiredis' API (its headers and archive): reply parsing with no network at all.
CLIENT = r"""
#include <hiredis/hiredis.h>
#include <stdio.h>
int main(void) {
  redisReader *reader = redisReaderCreate();
  void *reply = NULL;
  redisReaderFeed(reader, "+OK\r\n", 5);
  int ok = redisReaderGetReply(reader, &reply) == REDIS_OK && reply != NULL;
  printf("%s\n", ok ? ((redisReply *)reply)->str : "no reply");
  freeReplyObject(reply);
  redisReaderFree(reader);
  return !ok;
}
"""

# An overlay file lands in the tree at its path below overlay/, where the recipe installs it.
OVERLAY_HEADER = "/* WARPGRID_TEST_OVERLAY */\n#define WARPGRID_OVERLAID 1\n"


def _runner(isolated: bool = False) -> RuleRunner:
    recipe = Path(HIREDIS_RECIPE).read_text()
    return make_rule_runner(
        isolated=isolated,
        extra_rules=[
            QueryRule(BuiltCLibrary, [CLibraryFieldSet]),
            QueryRule(BuiltPackage, [CLibraryFieldSet]),
            QueryRule(Component, [CComponentFieldSet]),
        ],
        files={
            "lib/BUILD": BUILD,
            "lib/recipe.sh": recipe,
            "lib/missing_source.sh": recipe.replace('SOURCES="', 'SOURCES="no_such_file.c '),
            "lib/no_headers.sh": recipe + "\nHEADERS=\n",
            "lib/elsewhere/x.h": "/* not under overlay/ */\n",
            "lib/overlay/extra/warpgrid.h": OVERLAY_HEADER,
            "lib/overlaid.sh": recipe + '\nHEADERS="$HEADERS extra/warpgrid.h:hiredis/warpgrid.h"\n',
            "lib/client.c": CLIENT,
        },
    )


def _library(runner: RuleRunner, name: str) -> BuiltCLibrary:
    return request_for(runner, BuiltCLibrary, CLibraryFieldSet, Address("lib", target_name=name))


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return _runner()


@pytest.fixture(scope="module")
def hiredis(rule_runner: RuleRunner) -> BuiltCLibrary:
    return _library(rule_runner, "hiredis")


def test_hiredis_builds_headers_and_archive(
    rule_runner: RuleRunner, hiredis: BuiltCLibrary, tmp_path: Path
) -> None:
    files = dict(contents(rule_runner, hiredis.digest))
    assert hiredis.archives == ("lib/libhiredis.a",)
    assert hiredis.include_dir == "include"
    for header in ("hiredis.h", "read.h", "sds.h", "alloc.h", "async.h"):
        assert f"include/hiredis/{header}" in files, header
    archive = files["lib/libhiredis.a"]
    assert archive[:8] == b"!<arch>\n"
    assert {"redisConnect", "redisCommand", "redisReaderCreate", "sdsnew"} <= defined_symbols(archive, tmp_path)
    # No sandbox or scratch path reaches the archive (byte-reproducibility across machines).
    leaks = [p for p, data in files.items() if b"pants-sandbox" in data or b"/tmp/" in data]
    assert leaks == []


def test_package_writes_include_and_lib(rule_runner: RuleRunner) -> None:
    field_set = CLibraryFieldSet.create(rule_runner.get_target(Address("lib", target_name="hiredis")))
    built = rule_runner.request(BuiltPackage, [field_set])
    assert [a.relpath for a in built.artifacts] == ["lib/hiredis"]
    files = contents(rule_runner, built.digest)
    assert "lib/hiredis/lib/libhiredis.a" in files
    assert "lib/hiredis/include/hiredis/hiredis.h" in files


def test_c_component_links_a_library(rule_runner: RuleRunner) -> None:
    target = rule_runner.get_target(Address("lib", target_name="client"))
    component = rule_runner.request(Component, [CComponentFieldSet.create(target)])
    (data,) = contents(rule_runner, component.digest).values()
    assert data[:8] == b"\0asm\x0d\0\x01\0"
    assert "export wasi:cli/run@0.2.12;" in component.wit


def test_libraries_must_be_c_library_targets(rule_runner: RuleRunner) -> None:
    target = rule_runner.get_target(Address("lib", target_name="not_a_library"))
    with pytest.raises(ExecutionError) as e:
        rule_runner.request(Component, [CComponentFieldSet.create(target)])
    message = str(e.value)
    assert "lib:not_a_library" in message and "c_library" in message and "lib:client" in message


def test_a_failing_recipe_names_the_target_and_the_file(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _library(rule_runner, "missing_source")
    message = str(e.value)
    assert "lib:missing_source" in message and "build_c_library.sh" in message
    assert "no_such_file.c" in message


def test_a_build_without_headers_is_an_error_naming_the_target(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _library(rule_runner, "no_headers")
    message = str(e.value)
    assert "lib:no_headers" in message and "include/" in message


def test_overlay_files_must_be_under_overlay(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as e:
        _library(rule_runner, "bad_overlay")
    assert "lib:bad_overlay" in str(e.value) and "lib/elsewhere/x.h" in str(e.value)


def test_overlay_files_land_in_the_tree(rule_runner: RuleRunner) -> None:
    files = dict(contents(rule_runner, _library(rule_runner, "overlaid").digest))
    assert files["include/hiredis/warpgrid.h"] == OVERLAY_HEADER.encode()


def test_two_clean_builds_are_byte_identical() -> None:
    """Separate local stores: nothing is reused, every Process runs again in a new sandbox."""
    first, second = _runner(isolated=True), _runner(isolated=True)
    a, b = _library(first, "hiredis"), _library(second, "hiredis")
    assert a.digest == b.digest
    assert dict(contents(first, a.digest)) == dict(contents(second, b.digest))
