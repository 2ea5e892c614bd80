"""The host clang-19 toolchain: tools fingerprinted behind shims; the resource dir has the builtins."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from pants.testutil.rule_runner import RuleRunner

from warpgrid_pants.toolchains.clang import ClangResourceDir, ClangToolchain, ClangToolchainRequest

# The `[wasm-clang]` defaults: Debian bookworm's LLVM 19.
CLANG_TOOL_NAMES = ("clang-19", "llvm-ar-19", "llvm-nm-19", "wasm-ld-19")
from warpgrid_pants.toolchains.conftest import contents, make_rule_runner


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    return make_rule_runner()


def test_clang_env_is_explicit_and_fingerprinted(rule_runner: RuleRunner) -> None:
    toolchain = rule_runner.request(ClangToolchain, [ClangToolchainRequest()])
    env = toolchain.tools.env()
    assert env["PATH"].startswith("{chroot}/_binary_shims_")
    assert env["SOURCE_DATE_EPOCH"] == "0"
    assert set(toolchain.tools.paths) == set(CLANG_TOOL_NAMES)
    for tool in CLANG_TOOL_NAMES:
        key = "WARPGRID_TOOL_" + tool.upper().replace("-", "_")
        # sha256 of `<tool> --version`: a clang upgrade changes every cache key.
        version = subprocess.run([tool, "--version"], capture_output=True, check=True).stdout
        assert env[key] == hashlib.sha256(version).hexdigest(), tool


def test_resource_dir_puts_builtins_where_clang_looks(rule_runner: RuleRunner, tmp_path: Path) -> None:
    rd = rule_runner.request(ClangResourceDir, [])
    files = contents(rule_runner, rd.digest)
    # Where clang-19 itself says it looks, given a resource dir.
    wanted = subprocess.run(
        ["clang-19", "--target=wasm32-wasi", "-resource-dir", str(tmp_path), "-print-libgcc-file-name"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    relpath = str(Path(wanted).relative_to(tmp_path))
    assert rd.builtins_path == relpath == "lib/wasm32-unknown-wasi/libclang_rt.builtins.a"
    assert hashlib.sha256(files[relpath]).hexdigest() == rd.builtins_sha256
    assert "include/stdarg.h" in files and "include/wasm_simd128.h" in files
    # Nothing but headers and the builtins archive: no host paths, nothing machine-specific.
    assert {p.split("/")[0] for p in files} == {"include", "lib"}
    assert [p for p in files if p.startswith("lib/")] == [relpath]
