"""`componentize_js_component`: real node/npm, the pinned patched ComponentizeJS, real wasm-tools.

Slow (npm ci of the toolchain, one componentize of a tiny app: ~800 MB, tens of seconds), so one
runner builds one small app; the failure cases stop before componentizing.
"""

from __future__ import annotations

import os

import pytest

from pants.core.goals.package import BuiltPackage
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.process import Process, ProcessResult
from pants.testutil.rule_runner import QueryRule, RuleRunner

from warpgrid_pants import target_types
from warpgrid_pants.components.finalize import Component
from warpgrid_pants.components.js import JsComponentFieldSet
from warpgrid_pants.components.world import expected_export
from warpgrid_pants.toolchains.conftest import OFFLINE_ENV, repo_files
from warpgrid_pants.toolchains.wasm_tools import WasmTools
from warpgrid_pants.testutil import BuildRuleRunner, build_rules

APP = "app"

# No npm dependencies (npm ci installs nothing; no registry access needed for the app), the SDK's
# fetch-style adapter as the http-handler export.
INDEX_TS = """\
import { serve } from '@warpgrid/sdk/http';

const app = {
  fetch: async (request: Request): Promise<Response> =>
    new Response(`hello from ${new URL(request.url).pathname}`, { status: 200 }),
};

export const httpHandler = serve(app);
"""

BAD_TS = """\
const count: number = 'not a number';
export const httpHandler = { handle: () => count };
"""

PACKAGE_JSON = '{"name": "tiny-app", "version": "0.1.0", "private": true, "type": "module"}\n'
PACKAGE_LOCK = """\
{
  "name": "tiny-app",
  "version": "0.1.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "tiny-app", "version": "0.1.0"}
  }
}
"""
TSCONFIG = """\
{
  "compilerOptions": {
    "target": "ES2022", "module": "ES2022", "moduleResolution": "Bundler",
    "lib": ["ES2022", "DOM"], "strict": true, "noEmit": true, "skipLibCheck": true, "types": [],
    "paths": {"@warpgrid/sdk/*": ["../src/js/sdk/src/*.ts"]}
  },
  "include": ["src/**/*.ts", "../src/js/sdk/src/generated/**/*.d.ts", "../src/js/sdk/src/process.d.ts"]
}
"""

BUILD = """\
componentize_js_component(name="wasm")
componentize_js_component(name="no_lock", sources=["src/index.ts", "package.json"])
componentize_js_component(name="bad_entry", entry="src/missing.ts")
"""


@pytest.fixture(scope="module")
def runner() -> RuleRunner:
    runner = BuildRuleRunner(
        rules=[
            *build_rules(),
            QueryRule(Component, [JsComponentFieldSet]),
            QueryRule(BuiltPackage, [JsComponentFieldSet]),
            QueryRule(WasmTools, []),
            QueryRule(ProcessResult, [Process]),
            QueryRule(DigestContents, [Digest]),
        ],
        target_types=[*target_types.target_types(), FilesGeneratorTarget, FileTarget],
    )
    options = []
    if os.environ.get(OFFLINE_ENV):
        options.append(f"--warpgrid-upstreams-offline-dir={os.environ[OFFLINE_ENV]}")
    runner.set_options(options)
    runner.write_files(
        {
            **repo_files(
                (
                    "third_party/upstreams.toml",
                    "third_party/js/componentize/package.json",
                    "third_party/js/componentize/package-lock.json",
                    "wit",
                    "patches/componentize-js",
                    "src/js/sdk/src",
                )
            ),
            f"{APP}/BUILD": BUILD,
            f"{APP}/package.json": PACKAGE_JSON,
            f"{APP}/package-lock.json": PACKAGE_LOCK,
            f"{APP}/tsconfig.json": TSCONFIG,
            f"{APP}/src/index.ts": INDEX_TS,
            # A second app whose only module has a type error.
            "bad/BUILD": 'componentize_js_component(name="bad_types")',
            "bad/package.json": PACKAGE_JSON,
            "bad/package-lock.json": PACKAGE_LOCK,
            "bad/tsconfig.json": TSCONFIG,
            "bad/src/index.ts": BAD_TS,
        }
    )
    return runner


def _field_set(runner: RuleRunner, name: str, app: str = APP) -> JsComponentFieldSet:
    return JsComponentFieldSet.create(runner.get_target(Address(app, target_name=name)))


def test_expected_export() -> None:
    assert expected_export("warpgrid:shim/http-service") == "export warpgrid:shim/http-handler@"
    assert expected_export("warpgrid:shim/cli-service@0.1.0") == "export wasi:cli/run@"
    assert expected_export("warpgrid:shim/shim-enabled") is None


def test_builds_an_http_handler_component(runner: RuleRunner) -> None:
    built = runner.request(BuiltPackage, [_field_set(runner, "wasm")])
    assert [a.relpath for a in built.artifacts] == ["app/wasm.wasm"]
    (component,) = runner.request(DigestContents, [built.digest])
    assert component.path == "app/wasm.wasm"
    assert component.content[:8] == b"\0asm\x0d\x00\x01\x00"  # a component, not a core module

    # Independently of the rule's own check: the pinned wasm-tools sees the http-handler export.
    wasm_tools = runner.request(WasmTools, [])
    printed = runner.request(
        ProcessResult,
        [
            Process(
                argv=(wasm_tools.exe_path, "component", "wit", component.path),
                description="print the component's WIT",
                input_digest=built.digest,
                immutable_input_digests=wasm_tools.immutable_input_digests,
                env=wasm_tools.env(),
            )
        ],
    )
    wit = printed.stdout.decode()
    assert "export warpgrid:shim/http-handler@0.1.0;" in wit
    assert "import warpgrid:shim/dns@0.1.0;" in wit
    assert "wasi:http" not in wit  # the http feature is off by default


def test_type_error_fails_naming_the_file(runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as exc:
        runner.request(Component, [_field_set(runner, "bad_types", "bad")])
    message = str(exc.value)
    assert "bad:bad_types: type-checking (bad/tsconfig.json)" in message
    assert "bad/src/index.ts(1,7): error TS2322" in message


def test_missing_lockfile_is_an_error(runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as exc:
        runner.request(Component, [_field_set(runner, "no_lock")])
    assert "app:no_lock: `sources` must include package-lock.json" in str(exc.value)


def test_entry_outside_sources_is_an_error(runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError) as exc:
        runner.request(Component, [_field_set(runner, "bad_entry")])
    assert "`entry='src/missing.ts'` (app/src/missing.ts) is not among the target's sources" in str(
        exc.value
    )
