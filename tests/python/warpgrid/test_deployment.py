"""Deployments (warpgrid.deployment): several real C guests in one host, calling each other by
`*.warp.local` name through warpgrid:shim/http-client (the relay guest uses the C SDK's
wg_http_send), with the allow-list, round robin, callee faults and signals."""

from __future__ import annotations

import http.client
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guests import guest_component
from support import warpgrid_cmd
from warpgrid.config import ConfigError
from warpgrid.deployment import Deployment, load_manifest

FRONT = """
[limits]
request_timeout_ms = 8000
[http_client]
allow = ["back.t.warp.local", "ghost.t.warp.local", "front.t.warp.local"]
max_depth = 2
"""
BACK = """
[limits]
request_timeout_ms = 700
[http]
ready_instances = 0
"""


def _write(tmp_path: Path, front_listen: str = "127.0.0.1:0") -> Path:
    (tmp_path / "front.toml").write_text(FRONT)
    (tmp_path / "back.toml").write_text(BACK)
    manifest = tmp_path / "deployment.toml"
    manifest.write_text(f"""
namespace = "t"
[services.front]
component = "{guest_component('relay_service')}"
config = "front.toml"
listen = "{front_listen}"
[services.back]
component = "{guest_component('http_service')}"
config = "back.toml"
replicas = 2
[services.other]
component = "{guest_component('http_service')}"
""")
    return manifest


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("deployment")
    with Deployment(load_manifest(_write(tmp)), cache_dir=tmp / "cache") as running:
        yield running


def _get(deployment: Deployment, path: str) -> tuple[int, str]:
    url = deployment.services["front"].url
    assert url is not None
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_a_service_calls_another_by_name(deployment: Deployment) -> None:
    status, body = _get(deployment, "/relay/back.t.warp.local/users/7?full=1")
    assert status == 200
    assert body.startswith("status=200\nGET /users/7?full=1\n")
    # the callee saw who called it and under which name
    assert "x-echo-x-warpgrid-caller: front.t.warp.local" in body
    assert "x-echo-host: back.t.warp.local" in body


def test_calls_go_round_robin_over_replicas(deployment: Deployment) -> None:
    replicas = deployment.services["back"].replicas
    before = [r.dispatcher.stats.served for r in replicas]
    for _ in range(4):
        assert _get(deployment, "/relay/back.t.warp.local/x")[1].startswith("status=200")
    after = [r.dispatcher.stats.served for r in replicas]
    assert [a - b for a, b in zip(after, before)] == [2, 2]


def test_a_name_the_caller_may_not_call_fails_at_once(deployment: Deployment) -> None:
    status, body = _get(deployment, "/relay/other.t.warp.local/x")
    assert status == 502
    assert body.startswith("error: not-allowed: other.t.warp.local is not in [http_client] allow of ")
    assert deployment.services["other"].replicas[0].dispatcher.stats.served == 0


def test_unknown_and_outside_names_fail_with_not_found(deployment: Deployment) -> None:
    status, body = _get(deployment, "/relay/ghost.t.warp.local/x")
    assert (status, body.split(":")[0]) == (502, "error")
    assert "not-found: ghost.t.warp.local: no such service in this deployment" in body
    status, body = _get(deployment, "/relay/localhost/x")
    assert status == 502 and "not-found: localhost is not a deployment service" in body
    status, body = _get(deployment, "/relay/back.t.warp.local:8080/x")
    assert status == 502 and "invalid-url" in body


def test_a_trapping_callee_gives_the_caller_a_500_and_both_keep_serving(deployment: Deployment) -> None:
    status, body = _get(deployment, "/relay/back.t.warp.local/trap")
    assert status == 200 and body.startswith("status=500\n")
    assert '"kind": "trap"' in body
    assert _get(deployment, "/relay/back.t.warp.local/ok")[1].startswith("status=200")
    assert _get(deployment, "/hello") == (200, "hello from relay\n")


def test_a_callee_past_its_deadline_gives_the_caller_a_504(deployment: Deployment) -> None:
    status, body = _get(deployment, "/relay/back.t.warp.local/loop")
    assert status == 200 and body.startswith("status=504\n")
    assert '"kind": "timeout"' in body
    assert _get(deployment, "/hello") == (200, "hello from relay\n")


def test_nested_calls_are_bounded(deployment: Deployment) -> None:
    path = "/relay/front.t.warp.local/relay/front.t.warp.local/relay/back.t.warp.local/x"
    status, body = _get(deployment, path)
    assert status == 200
    assert body.startswith("status=200\nstatus=502\nerror: loop: back.t.warp.local: 2 nested calls")


def test_manifest_errors_name_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "deployment.toml"
    bad.write_text('namespace = "t"\n[services.Bad_Name]\ncomponent = "x.wasm"\n')
    with pytest.raises(ConfigError, match=r"deployment.toml: key 'services': service name 'Bad_Name' must be a DNS label"):
        load_manifest(bad)
    bad.write_text('[services.a]\ncomponent = "x.wasm"\nreplica = 2\n')
    with pytest.raises(ConfigError, match=r"key 'services.a.replica': unknown key"):
        load_manifest(bad)
    bad.write_text('[services.a]\ncomponent = "missing.wasm"\n')
    with pytest.raises(ConfigError, match=r"services.a.component: .*missing.wasm does not exist"):
        load_manifest(bad)
    (tmp_path / "a.toml").write_text('[http_client]\nallow = ["example.com"]\n')
    bad.write_text(f'[services.a]\ncomponent = "{guest_component("http_service")}"\nconfig = "a.toml"\n')
    with pytest.raises(ConfigError, match=r"a.toml: key 'http_client.allow': allow pattern 'example.com' must name deployment services"):
        Deployment(load_manifest(bad)).start()


def test_warpgrid_deploy_prefixes_logs_reloads_on_sighup_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    manifest = _write(tmp_path)
    proc = warpgrid_cmd("deploy", str(manifest), "--cache-dir", str(tmp_path / "cache"))
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            match = re.fullmatch(r"Serving front (http://127\.0\.0\.1:\d+)", line.strip())
            url = match.group(1) if match else url
            if line.startswith("Deployment t ready: "):
                assert set(line.split(": ", 1)[1].strip().split(", ")) == {
                    "front.t.warp.local", "back.t.warp.local", "other.t.warp.local"}
                break
        assert url is not None
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        conn.request("GET", "/relay/back.t.warp.local/trap")
        assert conn.getresponse().read().startswith(b"status=500")
        conn.close()
        (tmp_path / "front.toml").write_text(FRONT.replace('"back.t.warp.local", ', ""))
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the reload happens on the host's main loop
            conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
            conn.request("GET", "/relay/back.t.warp.local/x")
            body = conn.getresponse().read()
            conn.close()
            if b"not-allowed" in body:
                break
            time.sleep(0.2)
        assert b"error: not-allowed: back.t.warp.local" in body
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert re.search(r"ERROR \[back\] warpgrid\.http\.dispatch: error_id=\w+ GET /trap -> 500 \(trap\)", err), err
    assert re.search(r"INFO \[front\] warpgrid\.http_client: front\.t\.warp\.local -> back GET /trap: 500", err), err
    assert "reloaded; hangup queued by" in err
    assert re.search(r"received SIGINT: interrupt queued by \d+ instance\(s\); stopping every service", err), err
    assert "deployment t stopped" in err
