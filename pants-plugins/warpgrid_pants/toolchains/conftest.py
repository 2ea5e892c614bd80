"""Test helpers: RuleRunners that build the real pinned upstreams with the real host clang-19.

The runner's build root gets the repository's own pins (third_party/upstreams.toml), WIT
(wit/) and wasi-libc patch series (patches/wasi-libc/), read from the working directory (the
test sandbox holds them through the `python_tests` dependencies; a checkout does too).

Upstreams are fetched from their pinned sources. `WARPGRID_TEST_UPSTREAMS_OFFLINE_DIR`, when set,
is passed as `[warpgrid-upstreams].offline_dir` (a local mirror: files are still verified against
the pins), which keeps repeated runs off the network.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Mapping, TypeVar

from pants.core.goals.package import BuiltPackage
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents, Snapshot
from pants.engine.target import FieldSet
from pants.testutil.rule_runner import QueryRule, RuleRunner
from pants.util.frozendict import FrozenDict

from warpgrid_pants import target_types
from warpgrid_pants.toolchains.clang import ClangResourceDir, ClangToolchain, ClangToolchainRequest
from warpgrid_pants.toolchains.wasi_libc import WasiLibcSysroot, WasiLibcSysrootFieldSet
from warpgrid_pants.toolchains.wasm_tools import Preview1Adapters, WasmTools
from warpgrid_pants.testutil import BuildRuleRunner, build_rules

PINS = "third_party/upstreams.toml"
SYSROOT = Address("third_party/wasi-libc", target_name="sysroot")
OFFLINE_ENV = "WARPGRID_TEST_UPSTREAMS_OFFLINE_DIR"
T = TypeVar("T")


def repo_files(
    roots: Iterable[str] = ("third_party/upstreams.toml", "wit", "patches/wasi-libc", "src/c/warpgrid/include")
) -> dict[str, bytes]:
    """The repository files a real build needs, keyed by repo-relative path."""
    files: dict[str, bytes] = {}
    for root in roots:
        path = Path(root)
        if path.is_file():
            files[root] = path.read_bytes()
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.name != "BUILD":
                    files[str(f)] = f.read_bytes()
        else:
            raise FileNotFoundError(f"{root} is missing from {os.getcwd()}: declare it as a test dependency")
    return files


def patch_files() -> list[str]:
    return sorted(p for p in repo_files().keys() if p.startswith("patches/wasi-libc/") and p.endswith(".patch"))


def make_rule_runner(
    *, isolated: bool = False, extra_rules: Iterable = (), files: Mapping[str, str] = FrozenDict()
) -> RuleRunner:
    """A runner with the real pins, WIT, patches and sysroot target, plus a test's own `files`."""
    runner = BuildRuleRunner(
        rules=[
            *build_rules(),
            *extra_rules,
            QueryRule(ClangToolchain, [ClangToolchainRequest]),
            QueryRule(ClangResourceDir, []),
            QueryRule(WasmTools, []),
            QueryRule(Preview1Adapters, []),
            QueryRule(WasiLibcSysroot, [WasiLibcSysrootFieldSet]),
            QueryRule(BuiltPackage, [WasiLibcSysrootFieldSet]),
            QueryRule(Snapshot, [Digest]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=[*target_types.target_types(), FilesGeneratorTarget, FileTarget],
        isolated_local_store=isolated,
    )
    options = []
    if os.environ.get(OFFLINE_ENV):
        options.append(f"--warpgrid-upstreams-offline-dir={os.environ[OFFLINE_ENV]}")
    runner.set_options(options)
    runner.write_files(
        {
            **repo_files(),
            "patches/wasi-libc/BUILD": 'files(sources=["*.patch"])',
            "third_party/wasi-libc/BUILD": (
                'wasi_libc_sysroot(name="sysroot", upstream="wasi-libc", '
                'patches=["//patches/wasi-libc"])'
            ),
            **files,
        }
    )
    return runner


def request_for(runner: RuleRunner, output_type: type[T], field_set_type: type[FieldSet], address: Address) -> T:
    """`output_type` for the target at `address`, through its `field_set_type`."""
    return runner.request(output_type, [field_set_type.create(runner.get_target(address))])


def build_sysroot(runner: RuleRunner, address: Address = SYSROOT) -> WasiLibcSysroot:
    return request_for(runner, WasiLibcSysroot, WasiLibcSysrootFieldSet, address)


def contents(runner: RuleRunner, digest: Digest) -> Mapping[str, bytes]:
    return {fc.path: fc.content for fc in runner.request(DigestContents, [digest])}


def defined_symbols(archive: bytes, tmp_path: Path) -> set[str]:
    """The external symbols a static archive defines (llvm-nm), to check what a build exports."""
    lib = tmp_path / "lib.a"
    lib.write_bytes(archive)
    out = subprocess.run(
        ["llvm-nm-19", "--defined-only", "--extern-only", "--format=just-symbols", str(lib)],
        capture_output=True, text=True, check=True,
    ).stdout
    return {line.strip() for line in out.splitlines() if line.strip() and not line.endswith(":")}
