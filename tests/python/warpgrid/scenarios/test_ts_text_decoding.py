"""A TS handler's `text()` on a binary body follows Fetch: invalid UTF-8 becomes U+FFFD (Node and
browsers do the same) instead of an exception that turned the request into a 502.

The component is test-apps/ts-http-handler (hono; POST /echo answers `c.req.text()`).
"""

from __future__ import annotations

from pathlib import Path

from warpgrid.config import parse_config
from warpgrid.engine import WarpGridEngine
from warpgrid.http.dispatch import RequestDispatcher
from warpgrid.http.messages import HttpRequest

COMPONENT = Path("test-apps.ts-http-handler/wasm.wasm")
CONFIG = "[shims]\ndatabase_proxy = true\n[limits]\nmemory_mb = 128\nrequest_timeout_ms = 20000\n"


def test_text_of_a_binary_body_substitutes_u_fffd(tmp_path) -> None:
    engine = WarpGridEngine(parse_config(CONFIG), cache_dir=tmp_path / "cache")
    try:
        dispatcher = RequestDispatcher(engine, engine.load_component(COMPONENT))
        body = b"ok \xff\xfe end \xc3\x28 \xe2\x82\xac"
        response = dispatcher.handle(
            HttpRequest("POST", "/echo", [("host", "x"), ("content-type", "application/octet-stream")], body)
        )
        assert response.status == 200, response.body
        assert response.body.decode("utf-8") == body.decode("utf-8", errors="replace")
        assert "\ufffd" in response.body.decode("utf-8") and "\u20ac" in response.body.decode("utf-8")
    finally:
        engine.close()
