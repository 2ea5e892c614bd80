"""Adopting WarpGrid in an existing repository, as docs/ADOPTING.md tells a user to.

A temporary foreign repository gets only what ADOPTING.md lists: the `pants` launcher, the two
wheels `./pants package` built (from `dist/`, handed in by `runtime_package_dependencies`), and
a pants.toml of three lines. Its sources are ordinary code that knows nothing of WarpGrid's
repository: a C command, a C HTTP handler using `<warpgrid/http.h>`, a hono app with a plain
`export default app`, and a Rust crate (a tower Service) depending on the `warpgrid-sdk` crate at
the path `pants export --resolve=warpgrid-sdk` writes it to. Then, as a user would: `pants tailor
::`, `pants package ::`, `pants run` of each, HTTP requests to the served ones, and `tsc` over the
hono app with a plain tsconfig.json after the export.

Nothing is mocked: the nested Pants resolves the plugin wheel, builds with the real toolchains
(the process cache in ~/.cache/pants is shared, so what this repository already built is reused)
and starts the host from its wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

PANTS_TOML = """\
[GLOBAL]
plugins = ["warpgrid-pants==0.1.0"]
backend_packages.add = ["warpgrid_pants"]

[python-repos]
find_links = ["file://%(buildroot)s/vendor/warpgrid"]
"""

C_COMMAND = r"""
#include <stdio.h>
int main(int argc, char **argv) {
  FILE *f = fopen("/etc/resolv.conf", "r");
  printf("hello from a plain C program (%d args, resolv.conf %s)\n", argc, f ? "visible" : "missing");
  return 0;
}
"""

C_HANDLER = r"""
#include <warpgrid/http.h>
void wg_handle(const struct wg_request *req, struct wg_response *res) {
  static const char body[] = "adopted C handler\n";
  if (wg_str_eq(req->uri, "/")) wg_response_set(res, 200, "text/plain", (const uint8_t *)body, sizeof body - 1);
  else wg_response_set(res, 404, "text/plain", (const uint8_t *)"no\n", 3);
}
"""

HONO_APP = """\
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('adopted hono app'));
app.get('/json/:name', (c) => c.json({ hello: c.req.param('name') }));
export default app;
"""

WARP_TOML_CLI = """\
[shims]
filesystem = true
dns = true
"""

WARP_TOML_HTTP = """\
[shims]
filesystem = true
dns = true
signals = true
threading = true
database_proxy = true

[http]
listen = "127.0.0.1:0"
"""


def _wheels() -> list[Path]:
    found = sorted(Path.cwd().rglob("*.whl"))
    names = {w.name.split("-")[0] for w in found}
    assert {"warpgrid", "warpgrid_pants"} <= names, f"wheels from dist/ missing in the sandbox: {found}"
    return found


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("foreign") / "repo"
    (root / "vendor/warpgrid").mkdir(parents=True)
    for wheel in _wheels():
        shutil.copy(wheel, root / "vendor/warpgrid" / wheel.name)
    shutil.copy(Path("pants"), root / "pants")
    (root / "pants").chmod(0o755)
    (root / "pants.toml").write_text(PANTS_TOML)
    files = {
        "tools/hello/main.c": C_COMMAND,
        "tools/hello/warp.toml": WARP_TOML_CLI,
        "services/greeter/handler.c": C_HANDLER,
        "services/greeter/warp.toml": WARP_TOML_HTTP,
        "services/web/src/index.ts": HONO_APP,
        "services/web/warp.toml": WARP_TOML_HTTP,
        "services/api/warp.toml": WARP_TOML_HTTP,
    }
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    # An npm app as it already is: its package.json and lockfile (hono, pinned by integrity).
    fixture = Path("tests/adoption/fixtures/web")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(fixture / name, root / "services/web" / name)
    # A Cargo package as it already is: manifest, lockfile, source.
    shutil.copytree(Path("tests/adoption/fixtures/api"), root / "services/api", dirs_exist_ok=True)
    shutil.copy(Path("rust-toolchain.toml"), root / "rust-toolchain.toml")  # the repo's Rust pin
    return root


def pants(repo: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["./pants", "--no-pantsd", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "WARPGRID_QUIET": "1"},
    )
    assert proc.returncode == 0, f"./pants {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def serve_and_get(repo: Path, target: str, paths: list[str]) -> list[tuple[int, str]]:
    proc = subprocess.Popen(
        ["./pants", "--no-pantsd", "run", target],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "WARPGRID_QUIET": "1"},
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 900
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"Serving (http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        assert url, "no `Serving http://...` line:\n" + "".join(lines)
        answers = []
        for path in paths:
            try:
                with urllib.request.urlopen(url + path, timeout=30) as r:
                    answers.append((r.status, r.read().decode()))
            except urllib.error.HTTPError as e:
                answers.append((e.code, e.read().decode()))
        return answers
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if url:
            assert_stops_answering(url)


def assert_stops_answering(url: str) -> None:
    """The server must not outlive `pants run`: Pants starts it in a session of its own, out of
    reach of the signal above, and the host's `--exit-with-parent` stops it once Pants is gone."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=5).close()
        except urllib.error.HTTPError:
            pass  # still serving
        except OSError:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} still answers 30 s after `pants run` was stopped")


def test_tailor_proposes_working_targets(repo: Path) -> None:
    pants(repo, "tailor", "::")
    cli = (repo / "tools/hello/BUILD").read_text()
    assert "c_component(" in cli and "http-service" not in cli
    assert 'mode="run"' in cli
    handler = (repo / "services/greeter/BUILD").read_text()
    assert 'world="warpgrid:shim/http-service"' in handler and 'mode="serve"' in handler
    web = (repo / "services/web/BUILD").read_text()
    assert "componentize_js_component(" in web and 'mode="serve"' in web
    api = (repo / "services/api/BUILD").read_text()
    assert "rust_component(" in api and 'mode="serve"' in api


def test_package_builds_every_component(repo: Path) -> None:
    pants(repo, "package", "::")
    built = sorted(str(p.relative_to(repo / "dist")) for p in (repo / "dist").rglob("*.wasm"))
    assert built == [
        "services.api/wasm.wasm",
        "services.greeter/wasm.wasm",
        "services.web/wasm.wasm",
        "tools.hello/wasm.wasm",
    ]


def test_run_a_command(repo: Path) -> None:
    out = pants(repo, "run", "tools/hello:run").stdout
    assert "hello from a plain C program (1 args, resolv.conf visible)" in out


def test_serve_the_c_handler(repo: Path) -> None:
    assert serve_and_get(repo, "services/greeter:serve", ["/", "/nope"]) == [
        (200, "adopted C handler\n"),
        (404, "no\n"),
    ]


def test_serve_the_rust_service(repo: Path) -> None:
    assert serve_and_get(repo, "services/api:serve", ["/", "/nope"]) == [
        (200, "adopted rust service\n"),
        (404, "no route for /nope\n"),
    ]


def test_serve_the_hono_app_unchanged(repo: Path) -> None:
    (root_answer, json_answer) = serve_and_get(repo, "services/web:serve", ["/", "/json/ada"])
    assert root_answer == (200, "adopted hono app")
    assert json_answer == (200, '{"hello":"ada"}')


PLAIN_TSCONFIG = """\
{
  "compilerOptions": {
    "target": "es2022",
    "module": "nodenext",
    "strict": true,
    "skipLibCheck": true,
    "noEmit": true
  }
}
"""

SDK_USER = """\
import { serve } from '@warpgrid/sdk/http';
import { warpgrid } from '@warpgrid/sdk';
import app from './index.js';

export const httpHandler = serve(app);
export const sdkSurface: string = typeof warpgrid;
"""


def test_export_gives_the_sdk_types_to_a_plain_tsconfig(repo: Path) -> None:
    # Last in this module: the file it adds would otherwise change the hono component's sources.
    web = repo / "services/web"
    (web / "tsconfig.json").write_text(PLAIN_TSCONFIG)
    (web / "src/uses_sdk.ts").write_text(SDK_USER)
    pants(repo, "export", "--resolve=warpgrid-sdk")
    assert (repo / "node_modules/@warpgrid/sdk/dist/http.d.ts").is_file()
    # The crate the Rust package's manifest points at, for cargo and rust-analyzer.
    assert (repo / "dist/export/warpgrid/src/rust/warpgrid-sdk/Cargo.toml").is_file()
    assert (repo / "dist/export/warpgrid/wit/shim.wit").is_file()

    # As the user would: install the app's own dependencies (hono, typescript), then tsc.
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=web, check=True, timeout=600)
    tsc = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "-p", "."], cwd=web, capture_output=True, text=True, timeout=600
    )
    assert tsc.returncode == 0, f"tsc with a plain tsconfig.json failed:\n{tsc.stdout}\n{tsc.stderr}"

    # And it is a real check: a name the SDK does not export is an error.
    (web / "src/uses_sdk.ts").write_text("import { noSuchExport } from '@warpgrid/sdk/http';\nexport { noSuchExport };\n")
    tsc = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "-p", "."], cwd=web, capture_output=True, text=True, timeout=600
    )
    assert tsc.returncode != 0 and "noSuchExport" in tsc.stdout, tsc.stdout
